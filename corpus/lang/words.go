package lang

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// The readers of questions and sentences cut words their own way, each for
// a reason of its own; the ways live here, next to the index's (Scan).

// Words splits s into words of letters and digits; a word may carry inner
// apostrophes, dots, commas and hyphens between alphanumerics ("U.S.",
// "2.9", "1,000", "Covid-19", "O'Neill"). Each CJK or Thai character is a
// word of its own.
func Words(s string) []string {
	var out []string
	start := -1
	isAlnum := func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) }
	for i, r := range s {
		if IsSpaceless(r) {
			// Each character is a token: these scripts put no spaces
			// between words, and single characters still overlap.
			if start >= 0 {
				out = append(out, strings.TrimRight(s[start:i], ".,'’-"))
				start = -1
			}
			out = append(out, string(r))
			continue
		}
		if isAlnum(r) {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 && strings.ContainsRune(".,'’-", r) {
			// Joiner only when followed by an alphanumeric.
			nr, _ := utf8.DecodeRuneInString(s[i+utf8.RuneLen(r):])
			if isAlnum(nr) && !(r == ',' && !unicode.IsDigit(nr)) && !(r == '.' && unicode.IsSpace(nr)) {
				continue
			}
		}
		if start >= 0 {
			out = append(out, strings.TrimRight(s[start:i], ".,'’-"))
			start = -1
		}
	}
	if start >= 0 {
		out = append(out, strings.TrimRight(s[start:], ".,'’-"))
	}
	return out
}

// IsSpaceless reports characters of scripts written without spaces between
// words.
func IsSpaceless(r rune) bool {
	if r < 0x0E00 { // below Thai: Latin, Greek, Cyrillic, Arabic, …
		return false
	}
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul, unicode.Thai)
}

// Fields splits s at every character that is not a letter, a digit or one
// of keep: the plain words of a question ("-" kept: "Covid-19"; "'" kept
// too by the follow-up reader: "O'Neill").
func Fields(s, keep string) []string {
	return strings.FieldsFunc(s, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !strings.ContainsRune(keep, r)
	})
}

// ContainsWholeWord reports whether needle occurs in text, ignoring case,
// not as part of a longer word: the characters around the occurrence must
// not extend a word that the needle starts or ends with.
func ContainsWholeWord(text, needle string) bool {
	needle = strings.TrimSpace(needle)
	if needle == "" {
		return false
	}
	t, n := strings.ToLower(text), strings.ToLower(needle)
	first, _ := utf8.DecodeRuneInString(n)
	last, _ := utf8.DecodeLastRuneInString(n)
	for off := 0; off <= len(t)-len(n); {
		i := strings.Index(t[off:], n)
		if i < 0 {
			return false
		}
		i += off
		before, _ := utf8.DecodeLastRuneInString(t[:i])
		after, _ := utf8.DecodeRuneInString(t[i+len(n):])
		okBefore := i == 0 || !isLetterOrDigit(first) || !isLetterOrDigit(before)
		okAfter := i+len(n) == len(t) || !isLetterOrDigit(last) || !isLetterOrDigit(after)
		if okBefore && okAfter {
			return true
		}
		_, size := utf8.DecodeRuneInString(t[i:])
		off = i + size
	}
	return false
}

func isLetterOrDigit(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }
