package retrieval

import (
	"context"
	"slices"
	"strings"

	"github.com/attache-bot/attache/retrieval/index"
)

// A question that asks for the latest ("What's the latest on Ukraine?",
// "Any news about the talks?", "Is the border still closed?") wants the
// newest coverage of its topic, not the best-matching article of any age:
// the recency prior of the ordinary ranking is a tie-breaker and lets a
// two-year-old article that repeats the topic's words win. So such a
// question is answered by looking for on-topic articles in ever wider
// periods back from the as-of date, and the newest on-topic articles come
// first.

// latestSpans are the periods, in days back from the end of the searched
// range, in which a latest question looks for on-topic articles, narrowest
// first; 0 is the whole range. Narrow periods first because each period's
// candidates are limited (ranking.VectorCandidates, TextCandidates): over
// years of coverage of a big topic, the newest article is not among the
// best matches of the whole range.
var latestSpans = []int32{7, 30, 90, 365, 0}

// Thresholds of aboutness for latest questions.
const (
	// latestTitleCover is the share of the topic's weight that an
	// article's headline must hold to be about the topic.
	latestTitleCover = 0.5
	// latestBodyCover is the share of the topic's weight that the article
	// must hold.
	latestBodyCover = 0.75
)

// topic is the terms of a question weighed by how telling they are in the
// corpus, for aboutness tests.
type topic struct {
	terms []gateTerm
	total float64
}

// cover is the share of the topic's weight whose terms has reports.
func (t topic) cover(has func(term string) bool) float64 {
	if t.total <= 0 {
		return 0
	}
	found := 0.0
	for _, term := range t.terms {
		if has(term.lookup) {
			found += keyWeight(term)
		}
	}
	return found / t.total
}

// aboutness says how clearly article id is about the topic: 2 when its
// headline names the topic and its text holds nearly all of it, 1 when its
// text holds nearly all of the topic and it is relevant (Engine.Relevant
// of abs), 0 otherwise. The caller holds the engine's lock.
func (e *Engine) aboutness(id string, abs float64, t topic) int {
	a := e.ix.Article(id)
	if a == nil || len(t.terms) == 0 {
		return 0
	}
	if t.cover(func(term string) bool { return e.ix.Has(id, term) }) < latestBodyCover {
		return 0
	}
	title := titleTerms(a.Title)
	if t.cover(func(term string) bool { return title[term] > 0 }) >= latestTitleCover {
		return 2
	}
	if e.Relevant(Passage{Score: abs}) {
		return 1
	}
	return 0
}

// latest finds the newest on-topic articles of r for a latest question:
// it searches ever wider periods back from the end of r (latestSpans) and
// stops at the first that holds an article whose headline names the topic;
// without one anywhere, it uses the narrowest period with an article that
// is otherwise about the topic. The result is those on-topic articles,
// newest first (same day: better match first), followed by the period's
// other candidates by score, and by the rest of r's when that makes fewer
// than k; ok is false when nothing in r is about the topic. The caller holds the engine's read lock.
func (e *Engine) latest(ctx context.Context, p searchPlan, r index.DayRange, qvec []float32, t topic, k int) ([]articleScore, bool, error) {
	if t.cover(func(term string) bool { return e.ix.DF(term) > 0 }) < latestBodyCover {
		// Terms no article contains outweigh the rest: nothing can be about
		// the topic, so no period needs searching.
		return nil, false, nil
	}
	var fallback []articleScore
	for _, span := range latestSpans {
		w := r
		if span > 0 {
			if r.To == index.AllDays.To {
				continue
			}
			w.From = max(r.From, r.To-span+1)
		}
		cands, err := e.gather(ctx, p, w, qvec)
		if err != nil {
			return nil, false, err
		}
		arts := fuseArticles(e.ix, cands, qvec, e.rank)
		best := 0
		tiers := make(map[string]int, len(arts))
		for _, a := range arts {
			if n := e.aboutness(a.ArticleID, a.Absolute, t); n > 0 {
				tiers[a.ArticleID] = n
				best = max(best, n)
			}
		}
		if best == 0 {
			continue
		}
		ordered := e.newestFirst(arts, tiers, best)
		if best == 2 {
			if span > 0 && len(ordered) < k {
				more, err := e.rest(ctx, p, r, qvec, ordered)
				if err != nil {
					return nil, false, err
				}
				ordered = append(ordered, more...)
			}
			return ordered, true, nil
		}
		if fallback == nil {
			fallback = ordered
		}
		if span == 0 {
			break
		}
	}
	if fallback != nil && len(fallback) < k {
		more, err := e.rest(ctx, p, r, qvec, fallback)
		if err != nil {
			return nil, false, err
		}
		fallback = append(fallback, more...)
	}
	return fallback, fallback != nil, nil
}

// rest returns the candidates of the whole range r that are not in have,
// by score with the recency prior: what follows the newest on-topic
// articles, so that a latest question still gets K articles.
func (e *Engine) rest(ctx context.Context, p searchPlan, r index.DayRange, qvec []float32, have []articleScore) ([]articleScore, error) {
	cands, err := e.gather(ctx, p, r, qvec)
	if err != nil {
		return nil, err
	}
	seen := make(map[string]bool, len(have))
	for _, a := range have {
		seen[a.ArticleID] = true
	}
	var out []articleScore
	for _, a := range fuseArticles(e.ix, cands, qvec, e.rank) {
		if !seen[a.ArticleID] {
			out = append(out, a)
		}
	}
	applyRecency(out, e.ix, dayTime(r.To), e.rank)
	return topArticles(out, len(out)), nil
}

// newestFirst orders arts: those of tier want, newest first (same day:
// higher score first), then the rest by score.
func (e *Engine) newestFirst(arts []articleScore, tiers map[string]int, want int) []articleScore {
	var top, rest []articleScore
	for _, a := range arts {
		if tiers[a.ArticleID] == want {
			top = append(top, a)
		} else {
			rest = append(rest, a)
		}
	}
	slices.SortFunc(top, func(a, b articleScore) int {
		da, db := e.ix.Article(a.ArticleID).Day(), e.ix.Article(b.ArticleID).Day()
		if da != db {
			if da > db {
				return -1
			}
			return 1
		}
		if a.Score != b.Score {
			if a.Score > b.Score {
				return -1
			}
			return 1
		}
		return strings.Compare(a.ArticleID, b.ArticleID)
	})
	rest = topArticles(rest, len(rest))
	return append(top, rest...)
}
