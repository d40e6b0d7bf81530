// Package answer makes and checks answers from numbered passages.
//
// Extract answers a question by quoting whole sentences of the passages
// with [n] citations, Digest quotes the first sentence of each, and Matcher
// scores passages the same way for search's rerank. Check and CheckAs read
// the [n] citation groups of a text written from n numbered sources
// (ranges, lists, footnote and full-width forms), keep the real ones in a
// canonical form, and remove the invented ones or, for generated text, the
// sentences that cite only those (DropInvented); Stream does the same to a
// model's answer while it streams, showing only what the final check will
// keep, and ThinkEnd skips a leading thinking block. Defuse makes quoted
// text unable to pass for a citation. AnswerPrompt and RewritePrompt
// render the language model's prompts (prompts/*.tmpl) from numbered
// sources and earlier turns, with every untrusted value neutralised.
// NeedsContext tells a follow-up that leans on the conversation ("and
// why?") from one that names its own subject, FollowUpQuery is the
// rewrite of such a follow-up without a language model, and CopiesAnswer
// rejects a model's rewrite that merely repeats an earlier answer.
//
// It is pure text: a Passage is a headline and a text, a PromptSource adds
// the outlet and date, and the caller (package retrieval) keeps the
// sources themselves, in the same order, and calls the model.
package answer
