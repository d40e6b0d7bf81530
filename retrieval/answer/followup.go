package answer

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/attache-bot/attache/corpus/lang"
)

// maxFollowUpTerms is how many terms FollowUpQuery borrows from earlier
// questions.
const maxFollowUpTerms = 10

// copiedAnswerWords is the run of an earlier answer's words that makes a
// rewritten query a copy of that answer rather than a question about it.
const copiedAnswerWords = 6

// CopiesAnswer reports whether query repeats a run of copiedAnswerWords
// consecutive words of one of history's answers that the user's own
// questions do not contain: a query made of the previous answer's text
// finds that answer's sources again, whatever was asked.
func CopiesAnswer(query string, history []Turn) bool {
	runs := func(text string) map[string]bool {
		ws := followUpWords(strings.ToLower(StripCitations(text)))
		m := map[string]bool{}
		for i := 0; i+copiedAnswerWords <= len(ws); i++ {
			m[strings.Join(ws[i:i+copiedAnswerWords], " ")] = true
		}
		return m
	}
	asked := map[string]bool{}
	for _, t := range history {
		for r := range runs(t.Question) {
			asked[r] = true
		}
	}
	q := runs(query)
	for _, t := range history {
		for r := range runs(t.Answer) {
			if q[r] && !asked[r] {
				return true
			}
		}
	}
	return false
}

// FollowUpQuery is the heuristic follow-up rewrite used without a language
// model: when question leans on the conversation (NeedsContext), the key
// terms of the earlier questions (newest first) are put in front of it.
// The earlier answers are never used: their words would steer the search
// back to the sources already cited, and the user's questions are what name
// the subject. Otherwise question is returned unchanged. Pure.
func FollowUpQuery(question string, history []Turn) string {
	question = strings.TrimSpace(question)
	if len(history) == 0 || !NeedsContext(question) {
		return question
	}
	have := map[string]bool{}
	for _, w := range followUpWords(question) {
		have[strings.ToLower(w)] = true
	}
	var terms []string
	// The most recent question first: it is what "they" most likely means.
	for i := len(history) - 1; i >= 0 && i >= len(history)-2; i-- {
		for _, w := range contentWords(history[i].Question) {
			if lw := strings.ToLower(w); !have[lw] && len(terms) < maxFollowUpTerms {
				have[lw] = true
				terms = append(terms, w)
			}
		}
	}
	if len(terms) == 0 {
		return question
	}
	return strings.Join(terms, " ") + " " + question
}

// pronouns that refer back to something named earlier.
var pronouns = lang.NewWordSet(`they them their theirs he him his she her hers it its this that these those
	there here such former latter`)

// NeedsContext reports whether question leans on the conversation for its
// subject: it names nothing (no content word: "and why?", "what else?"),
// or it refers back with a pronoun and names no name ("What did she
// demand?", "what happened to that deal?"). A question that names its own
// subject, even after a connective ("and what happened to Castillo?",
// "what about bread?"), stands alone.
func NeedsContext(question string) bool {
	if len(contentWords(question)) == 0 {
		return true
	}
	if len(nameWords(question)) > 0 {
		return false
	}
	for _, w := range followUpWords(question) {
		if pronouns.Has(strings.ToLower(w)) {
			return true
		}
	}
	return false
}

// followUpWords splits text into words (letters, digits, inner apostrophes
// and hyphens).
func followUpWords(text string) []string { return lang.Fields(text, "-'") }

// contentWords returns the words of text that carry meaning: not stop words
// or question words, at least three letters or containing a digit.
func contentWords(text string) []string {
	var out []string
	for _, w := range followUpWords(text) {
		w = strings.Trim(w, "-'")
		lw := strings.ToLower(w)
		if lw == "" || followUpStopWords.Has(lw) || pronouns.Has(lw) {
			continue
		}
		if utf8.RuneCountInString(w) < 3 && !strings.ContainsFunc(w, unicode.IsDigit) {
			continue
		}
		out = append(out, w)
	}
	return out
}

// nameWords returns capitalised words that are not the first word of a
// sentence, and words with digits: the names, places and figures of text.
func nameWords(text string) []string {
	var out []string
	start := true
	for _, f := range strings.Fields(text) {
		w := strings.Trim(f, "\"'“”‘’()[],;:.!?")
		r, _ := utf8.DecodeRuneInString(w)
		isName := w != "" && !start && unicode.IsUpper(r) && !followUpStopWords.Has(strings.ToLower(w))
		if isName || (w != "" && strings.ContainsFunc(w, unicode.IsDigit)) {
			out = append(out, w)
		}
		start = strings.ContainsAny(f[len(f)-1:], ".!?")
	}
	return out
}

// followUpStopWords are function words and question words, which say
// nothing about the topic.
var followUpStopWords = lang.Stop.With(`else even among around without within upon done shall may might must need whether us yes every
	another much many less least told think thing things anything something nothing latest news
	today still ever`)
