package retrieval

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/attache-bot/attache/corpus"
	"github.com/attache-bot/attache/corpus/lang"
	"github.com/attache-bot/attache/retrieval/index"
)

// TestFullTextBM25 checks the passage and article BM25 that search reads
// from the library against BM25 computed here from the analysed terms
// (title twice, k1 = 1.2, b = 0.75, IDF ln(1 + (N−n+0.5)/(n+0.5))), and
// that the index's own writes (index, remove) are seen at once.
func TestFullTextBM25(t *testing.T) {
	e, _ := newTestEngine(t, Config{})
	ctx := context.Background()
	var arts []corpus.Article
	for i := range 40 {
		arts = append(arts, art(fmt.Sprintf("n%02d", i), corpus.SharedScope, "2025-01-02", "Harbour ferry report",
			fmt.Sprintf("The harbour ferry report number w%d was filed. Ferries ran late.", i)))
	}
	arts = append(arts,
		art("rare", corpus.SharedScope, "2025-01-03", "Glorbnax seized", "Customs seized glorbnax at the harbour. The glorbnax was destroyed."),
		art("guild", "g1", "2025-01-03", "Glorbnax in the guild", "A guild note on glorbnax."))
	mustAdd(t, e, arts...)

	// Reference BM25 over passages, from the stored chunks.
	type doc struct {
		id, art string
		terms   []string
	}
	var docs []doc
	for _, a := range arts {
		a.Normalize()
		a.ID = corpus.ID(a)
		for _, c := range corpus.Split(a, corpus.SplitOptions{}) {
			ts := append(lang.Terms(a.Title, nil), lang.Terms(a.Title, nil)...)
			docs = append(docs, doc{c.ID, a.ID, append(ts, lang.Terms(c.Text, nil)...)})
		}
	}
	total := 0
	for _, d := range docs {
		total += len(d.terms)
	}
	avg := float64(total) / float64(len(docs))
	want := map[string]float64{}
	terms := index.QueryTerms("glorbnax harbour ferries")
	for _, term := range terms {
		n := 0
		for _, d := range docs {
			if slices.Contains(d.terms, term) {
				n++
			}
		}
		idf := math.Log(1 + (float64(len(docs))-float64(n)+0.5)/(float64(n)+0.5))
		for _, d := range docs {
			tf := 0.0
			for _, w := range d.terms {
				if w == term {
					tf++
				}
			}
			if tf > 0 && !strings.HasPrefix(d.art, "guild") {
				want[d.id] += idf * tf * 2.2 / (tf + 1.2*(0.25+0.75*float64(len(d.terms))/avg))
			}
		}
	}
	e.mu.RLock()
	hits, err := e.ix.SearchPassages(ctx, terms, []string{corpus.SharedScope}, index.AllDays, 1000)
	e.mu.RUnlock()
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) != len(want) {
		t.Fatalf("%d hits, want %d (the other scope hidden)", len(hits), len(want))
	}
	for i, h := range hits {
		if math.Abs(h.Score-want[h.ChunkID]) > 1e-9 {
			t.Errorf("%s: score %v, want %v", h.ChunkID, h.Score, want[h.ChunkID])
		}
		if i > 0 && h.Score > hits[i-1].Score {
			t.Fatalf("not sorted: %+v", hits)
		}
	}
	if hits[0].ArticleID != "rare" {
		t.Fatalf("rare term not first: %+v", hits[0])
	}

	// Articles, and the index's writes seen at once despite the cache.
	top := func() []index.ArticleHit {
		e.mu.RLock()
		defer e.mu.RUnlock()
		h, err := e.ix.SearchArticles(ctx, index.QueryTerms("glorbnax"), []string{corpus.SharedScope, "g1"}, index.AllDays, 10)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	if h := top(); len(h) != 2 {
		t.Fatalf("article hits %+v", h)
	}
	if err := e.Remove(ctx, corpus.SharedScope, "rare"); err != nil {
		t.Fatal(err)
	}
	if h := top(); len(h) != 1 || h[0].ArticleID != "guild@g1" && h[0].ArticleID != "guild" {
		t.Fatalf("after remove: %+v", h)
	}
	// remove drops an article from the index only; index puts it back
	// from the library.
	id := top()[0].ArticleID
	if err := e.remove(ctx, id); err != nil {
		t.Fatal(err)
	}
	if h := top(); len(h) != 0 {
		t.Fatalf("after remove from the index: %+v", h)
	}
	if err := e.index(ctx, id); err != nil {
		t.Fatal(err)
	}
	if h := top(); len(h) != 1 || h[0].ArticleID != id {
		t.Fatalf("after index: %+v", h)
	}
	// index of an article the library no longer has removes it.
	if err := e.index(ctx, "rare"); err != nil {
		t.Fatal(err)
	}
	e.mu.RLock()
	still := e.ix.Article("rare") != nil
	e.mu.RUnlock()
	if still {
		t.Fatal("index kept an article the library does not have")
	}
}
