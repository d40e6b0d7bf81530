// Package answer checks what an answer cites: Check and CheckAs read the
// [n] citation groups of a text written from n numbered sources (ranges,
// lists, footnote and full-width forms), keep the real ones in a canonical
// form, and remove the invented ones or, for generated text, the sentences
// that cite only those (DropInvented); Stream does the same to a model's
// answer while it streams, showing only what the final check will keep, and
// ThinkEnd skips a leading thinking block. Defuse makes quoted text unable
// to pass for a citation.
//
// It is pure text over the sources' count: the answerers in package
// retrieval own the sources themselves.
package answer
