package retrieval

import (
	"math"
	"unicode/utf8"

	"github.com/attache-bot/attache/retrieval/index"
)

// newTopic weighs text's content terms (gateTerms) in the index. The caller
// holds the engine's lock.
func newTopic(ix *index.Index, text string) topic {
	t := topic{terms: gateTerms(text)}
	weigh(ix, t.terms)
	for _, term := range t.terms {
		t.total += keyWeight(term)
	}
	return t
}

// weigh fills each term's corpus statistics from the article full-text index:
// its document frequency (a near spelling's, for an absent word long
// enough to be misspelt), its IDF, and whether it is a key term. The
// caller holds the engine's lock.
func weigh(ix *index.Index, terms []gateTerm) {
	n := float64(max(ix.Len(), index.MinIDFArticles))
	maxIDF := math.Log(1 + (n+0.5)/0.5)
	rare := max(1, int(gateRareShare*float64(ix.Len())))
	for i := range terms {
		t := &terms[i]
		t.lookup = t.stem
		t.df = ix.DF(t.stem)
		if t.df == 0 && t.upper && utf8.RuneCountInString(t.stem) >= gateFuzzyMinLen {
			if v, df := nearestTerm(ix, t.stem); df > 0 {
				t.lookup, t.df = v, df
			}
		}
		t.idf = maxIDF
		if t.df > 0 {
			t.idf = math.Log(1 + (n-float64(t.df)+0.5)/(float64(t.df)+0.5))
		}
		// Key terms: names, numbers and rare words. An absent word is the
		// most telling of all, but only in a script whose words the
		// tokenizer splits reliably (letter case marks such scripts).
		switch {
		case t.df == 0 && (t.name || t.number):
			t.key = true
		case t.df == 0:
			// An absent lower-case word is telling in a corpus large
			// enough to use most words; in a small one ("held" missing
			// from a dozen articles) it counts only when found, i.e. not,
			// unless the question is typed all in lower case and so may
			// write names that way.
			t.key = t.cased
			t.soft = ix.Len() < index.MinIDFArticles && !t.lowerTyped
		case t.name:
			t.key = true
		default:
			// A rare word in lower case is often the quiz writer's or the
			// member's paraphrase ("automaker", "drenched") of what the
			// article says in other words: it counts for a source that has
			// it, and is not held against one that does not.
			t.key, t.soft = t.df <= rare, true
		}
	}
}

// keyCover is the share of the key terms' weight that article id holds:
// the weight of the terms it has over that of the terms a source must have
// (names, numbers, absent words) plus that of the soft terms it has (rare
// lower-case words count for a source, not against one). It is 1 when
// there are no key terms. any reports whether the article has any key term
// (or there are none); found, if not nil, records which key terms it has.
// The caller holds the engine's lock.
func keyCover(ix *index.Index, keys []gateTerm, id string, found []bool) (cover float64, hasKey bool) {
	hard, has, soft := 0.0, 0.0, 0.0
	for j, t := range keys {
		w := keyWeight(t)
		if !t.soft {
			hard += w
		}
		if !ix.Has(id, t.lookup) {
			continue
		}
		hasKey = true
		if found != nil {
			found[j] = true
		}
		if t.soft {
			soft += w
		} else {
			has += w
		}
	}
	if hard == 0 {
		return 1, true
	}
	return (has + soft) / (hard + soft), hasKey
}
