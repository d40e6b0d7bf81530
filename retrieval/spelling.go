package retrieval

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/attache-bot/attache/corpus/lang"
	"github.com/attache-bot/attache/retrieval/index"
)

// correctSpelling replaces each capitalised word of text that no article
// contains, and that is one typo away from a word the articles do contain
// (nearestTerm), with that word's index term, so that "Zelenksyy" finds
// what "Zelenskyy" finds. The caller holds the engine's lock.
func correctSpelling(ix *index.Index, text string) string {
	fields := strings.Fields(text)
	changed := false
	for i, f := range fields {
		toks := lang.Tokenize(f, nil)
		r, _ := utf8.DecodeRuneInString(strings.TrimLeftFunc(f, func(r rune) bool { return !unicode.IsLetter(r) }))
		if len(toks) != 1 || !unicode.IsUpper(r) || utf8.RuneCountInString(toks[0]) < gateFuzzyMinLen {
			continue
		}
		st := lang.Stem(toks[0])
		if ix.DF(st) > 0 {
			continue
		}
		if v, df := nearestTerm(ix, st); df > 0 {
			// Written with its capital, as the question wrote it: the
			// answerer reads capitals as names.
			first, size := utf8.DecodeRuneInString(v)
			fields[i], changed = string(unicode.ToUpper(first))+v[size:], true
		}
	}
	if !changed {
		return text
	}
	return strings.Join(fields, " ")
}

// nearestTerm finds the index term one typo away from stem (typoVariants)
// that the most articles contain; it returns "" and 0 when there is none.
// Looking the few variants up is much cheaper than comparing stem with
// the whole vocabulary.
func nearestTerm(ix *index.Index, stem string) (string, int) {
	best, bestDF := "", 0
	for _, v := range typoVariants(stem) {
		if df := ix.DF(v); df > bestDF || df == bestDF && df > 0 && v < best {
			best, bestDF = v, df
		}
	}
	return best, bestDF
}
