// Package retrieval is how attache finds and answers: embedders (a built-in
// offline one and any OpenAI-compatible API), the in-memory chromem-go vector
// index and the persisted full-text index kept in step with the corpus
// library, hybrid search (vectors + BM25, fused, filtered by date and scope,
// with a recency prior and a coverage gate), and the engine that answers
// from the passages it finds, by quoting them or through a language model
// (package llm), with [n] citations checked against the numbered sources.
//
// Its subpackages each hold one subject: index is the in-memory index the
// engine searches (vectors in chromem-go, what ranking and filtering know
// of every article and chunk, BM25 read from the library), question reads what a question
// asks from its text alone (answer type, date window, intent, the date and
// wh-words), answer quotes the sentences that answer a question (the
// extractive answerer, whose sentence scorer search's rerank also uses),
// renders the language model's prompts, reads follow-up questions and
// checks an answer's citations (also while it streams), llm is the
// language-model client, and evaluate measures retrieval and answers over
// this package's public API. The search weights are not configuration: the
// tests that tune them build with the tune tag.
//
// Its subpackage index is the only package that imports chromem-go, and
// llm the only one that imports go-openai. None of them imports bot.
package retrieval
