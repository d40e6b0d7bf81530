// Package lang is attache's text analysis: how text becomes words and index
// terms. The local embedder, the full-text index (written by the library,
// queried by search), the coverage gate and the extractive answerer all cut
// and fold words here, so that a question's words and an article's words
// meet on the same terms.
package lang

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxTermBytes is the longest word that becomes an index term: longer
// tokens are URLs, hashes or glued-together clutter that no question asks
// for.
const MaxTermBytes = 40

// Token is one word of a text: its lower-cased form and the byte range of
// text it was read from.
type Token struct {
	Word       string
	Start, End int
}

// Scan appends the words of text to dst with their byte offsets. A word is
// a run of letters, digits and non-spacing marks, lower-cased; an
// apostrophe inside a word ends it and a possessive "s" right after it is
// dropped ("Iran's" → "iran", its range covering "Iran"); digits separated
// by '.' or ',' stay one word ("2.9", "1,000") because numbers are answers
// to news questions.
func Scan(text string, dst []Token) []Token {
	scan(text, func(w string, start, end int) { dst = append(dst, Token{Word: w, Start: start, End: end}) })
	return dst
}

// Tokenize appends the words of text (as Scan cuts them) to dst.
func Tokenize(text string, dst []string) []string {
	scan(text, func(w string, _, _ int) { dst = append(dst, w) })
	return dst
}

// scan calls emit for every word of text (see Scan).
func scan(text string, emit func(w string, start, end int)) {
	var b strings.Builder
	start := 0
	flush := func(end int) {
		if b.Len() > 0 {
			emit(b.String(), start, end)
			b.Reset()
		}
	}
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r):
			if b.Len() == 0 {
				start = i
			}
			b.WriteRune(unicode.ToLower(r))
		case (r == '.' || r == ',') && b.Len() > 0 && isDigitAt(text, i-1) && isDigitAt(text, i+1):
			b.WriteRune(r)
		case r == '\'' || r == '’':
			flush(i)
			// Skip a possessive "s" right after the apostrophe.
			rest := text[i+size:]
			if len(rest) > 0 && (rest[0] == 's' || rest[0] == 'S') && (len(rest) == 1 || !isWordStart(rest[1:])) {
				size++
			}
		default:
			flush(i)
		}
		i += size
	}
	flush(len(text))
}

func isDigitAt(s string, i int) bool { return i >= 0 && i < len(s) && s[i] >= '0' && s[i] <= '9' }

func isWordStart(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}

// WordSet is a set of lower-case words.
type WordSet map[string]struct{}

// NewWordSet returns the set of the whitespace-separated words of list.
func NewWordSet(list string) WordSet {
	s := make(WordSet)
	for _, w := range strings.Fields(list) {
		s[w] = struct{}{}
	}
	return s
}

// Has reports whether w is in the set.
func (s WordSet) Has(w string) bool {
	_, ok := s[w]
	return ok
}

// With returns a new set holding s and the whitespace-separated words of
// list: a caller's named addition to a base list.
func (s WordSet) With(list string) WordSet {
	out := make(WordSet, len(s))
	for w := range s {
		out[w] = struct{}{}
	}
	for _, w := range strings.Fields(list) {
		out[w] = struct{}{}
	}
	return out
}

// Without returns a new set holding the words of s that are not among the
// whitespace-separated words of list: a caller that reads a base word
// itself (the "s" of a possessive, say) takes it out.
func (s WordSet) Without(list string) WordSet {
	out := s.With("")
	for _, w := range strings.Fields(list) {
		delete(out, w)
	}
	return out
}

// Stop is the base stop list: frequent English function words, question
// words and request words that say nothing about a topic. Neither the
// embedder nor BM25 can learn from a single text that "the" is
// uninformative, so they are told. Index terms leave these words out.
var Stop = NewWordSet(`a about above after again against all also am an and any are as at be because been
before being below between both but by can could did do does doing down during each few for from
further had has have having he her here hers herself him himself his how i if in into is it its
itself just me more most my myself no nor not now of off on once only or other our ours ourselves
out over own same she should so some such than that the their theirs them themselves then there
these they this those through to too under until up very was we were what when where which while
who whom whose why will with would you your yours yourself yourselves s t according said says
say whats which's please tell explain describe detail details summarize summarise know thanks`)

// Term returns the index term of word w (as Scan returns it) and whether w
// has one: stop words and words longer than MaxTermBytes have none.
func Term(w string) (string, bool) {
	if Stop.Has(w) || len(w) > MaxTermBytes {
		return "", false
	}
	return Stem(w), true
}

// Terms appends the index terms of text to dst, in text order, with
// repeats.
func Terms(text string, dst []string) []string {
	scan(text, func(w string, _, _ int) {
		if t, ok := Term(w); ok {
			dst = append(dst, t)
		}
	})
	return dst
}

// AppendIndexText appends the index terms of text to dst, each followed by
// a space, repeat times over: the form in which the full-text index stores
// a text, so that it needs no analysis of its own (it splits on spaces
// only; see the library's schema). A term holds only letters, digits,
// marks, '.' and ','.
func AppendIndexText(dst []byte, text string, repeat int) []byte {
	n := len(dst)
	scan(text, func(w string, _, _ int) {
		if t, ok := Term(w); ok {
			dst = append(dst, t...)
			dst = append(dst, ' ')
		}
	})
	once := dst[n:]
	for i := 1; i < repeat; i++ {
		dst = append(dst, once...)
	}
	return dst
}
