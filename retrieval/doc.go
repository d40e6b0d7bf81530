// Package retrieval is how attache finds and answers: embedders (a built-in
// offline one and any OpenAI-compatible API), the in-memory chromem-go vector
// index kept in step with the corpus library, hybrid search (vectors + BM25,
// fused, filtered by date and scope, with a recency prior), and answerers
// (extractive, or a language model through package llm) whose [n] citations are checked
// against the numbered sources.
//
// retrieval is the only package that imports chromem-go; its subpackage llm
// is the only one that imports go-openai.
package retrieval
