package gazetteer

import (
	"unicode"
	"unicode/utf8"
)

// token is one word of a text with its byte range, case kept: recognising
// "US" but not "us", and "Turkey" but not "turkey", needs the case that the
// index's lower-cased words have dropped.
type token struct {
	text       string
	start, end int
}

// scan appends the words of text to dst. Words are cut as the rest of
// attache cuts them (maximal runs of letters, digits and marks; an
// apostrophe, hyphen or dot separates), so "Britain's" gives "Britain" and
// "s", and "U.S." gives "U" and "S" — which is also how the names in
// places.tsv are cut, so both sides meet.
func scan(text string, dst []token) []token {
	start := -1
	for i := 0; i <= len(text); {
		r, n := rune(0), 1
		if i < len(text) {
			r, n = utf8.DecodeRuneInString(text[i:])
		}
		word := i < len(text) && r != utf8.RuneError && (unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r))
		if word && start < 0 {
			start = i
		} else if !word && start >= 0 {
			dst = append(dst, token{text[start:i], start, i})
			start = -1
		}
		i += n
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
