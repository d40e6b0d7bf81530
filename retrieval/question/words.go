package question

import "github.com/attache-bot/attache/corpus/lang"

// Months and Weekdays are the lower-case names (and abbreviations) that
// mark a date: the answerer reads them as the answer to "when", the
// coverage gate as words that say nothing about a topic.
var (
	Months = lang.NewWordSet(`january february march april may june july august september october november
		december jan feb mar apr jun jul aug sep sept oct nov dec`)
	Weekdays = lang.NewWordSet(`monday tuesday wednesday thursday friday saturday sunday`)
)

// IsWord reports whether w (lower case) is a wh-word: who, whom, whose,
// what, which, where, when, why or how.
func IsWord(w string) bool {
	switch w {
	case "who", "whom", "whose", "what", "which", "where", "when", "why", "how":
		return true
	}
	return false
}
