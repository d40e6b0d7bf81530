package gazetteer

import (
	"unicode"
	"unicode/utf8"

	"github.com/attache-bot/attache/corpus/lang"
)

// token is one word of a text with its byte range, case kept: recognising
// "US" but not "us", and "Turkey" but not "turkey", needs the case that the
// index's lower-cased words have dropped.
type token struct {
	text       string
	start, end int
}

// scan appends the words of text to dst, cut by the project's tokenizer
// (lang.Scan) but with their case kept. places.tsv's names are cut the
// same way, so both sides meet.
func scan(text string, dst []token) []token {
	for _, t := range lang.Scan(text, nil) {
		dst = append(dst, token{text[t.Start:t.End], t.Start, t.End})
	}
	return dst
}

// capitalised reports whether w starts with an upper-case letter.
func capitalised(w string) bool {
	r, _ := utf8.DecodeRuneInString(w)
	return unicode.IsUpper(r)
}

// allCaps reports whether text has letters and none of them is lower-case.
func allCaps(text string) bool {
	letters := false
	for _, r := range text {
		if unicode.IsLower(r) {
			return false
		}
		letters = letters || unicode.IsLetter(r)
	}
	return letters
}
