package index

import (
	"context"
	"math"
	"slices"
	"sync"

	"github.com/attache-bot/attache/corpus"
)

// BM25 is the library's full-text index (SQLite FTS5 over the analysed
// terms of package lang, written in the article's transaction, so it is
// persisted and never rebuilt at start-up). Search reads one term at a
// time: the rows holding it with FTS5's bm25() of that term alone. Every
// row's score is FTS5's IDF times the saturated term frequency; search
// divides FTS5's IDF out and multiplies by its own,
// ln(1 + (N−n+0.5)/(n+0.5)), which unlike FTS5's is never negative: a word
// in most passages still counts a little instead of nothing, and the
// ranking stays the one the ranking weights were tuned with.

// fts5IDF is the IDF FTS5's bm25() uses for a term in n of N rows.
func fts5IDF(n, N float64) float64 {
	idf := math.Log((N - n + 0.5) / (n + 0.5))
	if idf <= 0 {
		idf = 1e-6
	}
	return idf
}

// bm25IDF is search's IDF for a term in n of N documents.
func bm25IDF(n, N float64) float64 { return math.Log(1 + (N-n+0.5)/(n+0.5)) }

// postings are one term's rows in one full-text index, resolved to what
// the index knows of them: rows the index does not know (written by
// another process a moment ago) count for the term's document frequency
// but are not kept.
type postings struct {
	df    int       // rows holding the term
	seqs  []int64   // kept rows, ascending
	ords  []int32   // their slots in the index's rowTable
	parts []float64 // BM25 without IDF: the saturated term frequency
}

// termCache holds postings and index statistics between writes: the
// common words of questions recur, and a write (Put, remove, under
// the engine's write lock) clears it. Reads fill it concurrently under its
// own lock.
type termCache struct {
	mu    sync.Mutex
	terms map[termKey]*postings
	rows  int // kept rows in all cached postings, bounded by maxCachedRows
	stats map[corpus.TextIndex]corpus.TextStats
}

type termKey struct {
	ix   corpus.TextIndex
	term string
}

// maxCachedRows bounds the cache (20 bytes a row).
const maxCachedRows = 2_000_000

func (c *termCache) clear() {
	c.mu.Lock()
	c.terms, c.stats, c.rows = nil, nil, 0
	c.mu.Unlock()
}

func (c *termCache) get(k termKey) *postings {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.terms[k]
}

func (c *termCache) put(k termKey, p *postings) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.rows+len(p.seqs) > maxCachedRows {
		c.terms, c.rows = nil, 0
	}
	if c.terms == nil {
		c.terms = make(map[termKey]*postings)
	}
	c.terms[k] = p
	c.rows += len(p.seqs)
}

// stats returns the row count and average length of one full-text index.
func (ix *Index) stats(ctx context.Context, which corpus.TextIndex) (corpus.TextStats, error) {
	ix.cache.mu.Lock()
	st, ok := ix.cache.stats[which]
	ix.cache.mu.Unlock()
	if ok || ix.lib == nil {
		return st, nil
	}
	st, err := ix.text.Stats(ctx, which)
	if err != nil {
		return st, err
	}
	ix.cache.mu.Lock()
	if ix.cache.stats == nil {
		ix.cache.stats = make(map[corpus.TextIndex]corpus.TextStats)
	}
	ix.cache.stats[which] = st
	ix.cache.mu.Unlock()
	return st, nil
}

// postings returns term's rows in one full-text index.
func (ix *Index) postings(ctx context.Context, which corpus.TextIndex, term string) (*postings, error) {
	k := termKey{which, term}
	if p := ix.cache.get(k); p != nil {
		return p, nil
	}
	if ix.lib == nil {
		return &postings{}, nil
	}
	st, err := ix.stats(ctx, which)
	if err != nil {
		return nil, err
	}
	p := &postings{}
	err = ix.text.Postings(ctx, which, term, func(seq int64, score float64) error {
		p.df++
		ord := int32(-1)
		if which == corpus.ArticleIndex {
			if a := ix.articles[ix.articleSeq[seq]]; a != nil {
				ord = a.ord
			}
		} else if c, ok := ix.chunks[ix.chunkSeq[seq]]; ok {
			ord = c.ord
		}
		if ord < 0 {
			return nil
		}
		p.seqs = append(p.seqs, seq)
		p.ords = append(p.ords, ord)
		p.parts = append(p.parts, score)
		return nil
	})
	if err != nil {
		return nil, err
	}
	idf := fts5IDF(float64(p.df), float64(st.Docs))
	for i := range p.parts {
		p.parts[i] /= idf
	}
	ix.cache.put(k, p)
	return p, nil
}

// Warm reads the postings of terms in both full-text indexes into the
// cache (see the engine's gather); reads may share the caller's lock.
func (ix *Index) Warm(ctx context.Context, terms []string) error {
	for _, which := range []corpus.TextIndex{corpus.PassageIndex, corpus.ArticleIndex} {
		for _, t := range terms {
			if _, err := ix.postings(ctx, which, t); err != nil {
				return err
			}
		}
	}
	return nil
}

// articlePostings is postings of the article index for the coverage
// gate's lookups, which have no error path: a failed read counts as a
// term no article holds (and is logged by the search that fails on the
// same read, if any).
func (ix *Index) articlePostings(term string) *postings {
	p, err := ix.postings(context.Background(), corpus.ArticleIndex, term)
	if err != nil {
		return &postings{}
	}
	return p
}

// DF is the number of articles holding term.
func (ix *Index) DF(term string) int { return ix.articlePostings(term).df }

// has reports whether article a holds term.
func (ix *Index) has(a *Article, term string) bool {
	if a == nil {
		return false
	}
	_, ok := slices.BinarySearch(ix.articlePostings(term).seqs, a.seq)
	return ok
}

// Has reports whether the article with id holds index term t.
// Reads may run concurrently with each other, not with writes.
func (ix *Index) Has(id, t string) bool { return ix.has(ix.articles[id], t) }

// PassageHit is a passage found by BM25.
type PassageHit struct {
	ChunkID   string
	ArticleID string
	Score     float64
}

// ArticleHit is an article found by BM25.
type ArticleHit struct {
	ArticleID string
	Score     float64
}

// InScopes reports whether an article is in one of scopes and inside r
// (Admits).
func InScopes(a *Article, scopes []string, r DayRange) bool {
	return a != nil && slices.Contains(scopes, a.Scope) && r.Admits(a)
}

// scored is one row's BM25 score summed over the question's terms.
type scored struct {
	id    string
	score float64
}

// bm25 scores the rows of one full-text index that hold any of terms and
// whose article is in scopes and inside r, and returns the best limit,
// best first (ties by slot, so mostly by age in the library).
func (ix *Index) bm25(ctx context.Context, which corpus.TextIndex, terms []string, scopes []string, r DayRange, limit int) ([]scored, error) {
	if len(terms) == 0 || limit <= 0 {
		return nil, nil
	}
	st, err := ix.stats(ctx, which)
	if err != nil || st.Docs == 0 {
		return nil, err
	}
	rows := ix.passageRows.rows
	if which == corpus.ArticleIndex {
		rows = ix.articleRows.rows
	}
	n := float64(st.Docs)
	// Dense accumulators by slot: far cheaper than a map when common words
	// match most rows. −1 marks a row seen and hidden.
	score := make([]float64, len(rows))
	var touched []int32
	for _, t := range terms {
		p, err := ix.postings(ctx, which, t)
		if err != nil {
			return nil, err
		}
		if len(p.ords) == 0 {
			continue
		}
		idf := bm25IDF(float64(p.df), n)
		for i, o := range p.ords {
			switch {
			case score[o] < 0:
				continue
			case score[o] == 0:
				if !InScopes(rows[o].art, scopes, r) {
					score[o] = -1
					continue
				}
				touched = append(touched, o)
			}
			score[o] += idf * p.parts[i]
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	top := topHits(touched, score, limit)
	out := make([]scored, len(top))
	for i, h := range top {
		out[i] = scored{id: rows[h.doc].id, score: h.score}
	}
	return out, nil
}

// SearchPassages runs BM25 over the passages of scopes inside r.
func (ix *Index) SearchPassages(ctx context.Context, terms []string, scopes []string, r DayRange, limit int) ([]PassageHit, error) {
	hits, err := ix.bm25(ctx, corpus.PassageIndex, terms, scopes, r, limit)
	if err != nil {
		return nil, err
	}
	out := make([]PassageHit, len(hits))
	for i, h := range hits {
		out[i] = PassageHit{ChunkID: h.id, ArticleID: ix.chunks[h.id].ArticleID, Score: h.score}
	}
	return out, nil
}

// SearchArticles runs BM25 over the whole articles of scopes inside r.
func (ix *Index) SearchArticles(ctx context.Context, terms []string, scopes []string, r DayRange, limit int) ([]ArticleHit, error) {
	hits, err := ix.bm25(ctx, corpus.ArticleIndex, terms, scopes, r, limit)
	if err != nil {
		return nil, err
	}
	out := make([]ArticleHit, len(hits))
	for i, h := range hits {
		out[i] = ArticleHit{ArticleID: h.id, Score: h.score}
	}
	return out, nil
}
