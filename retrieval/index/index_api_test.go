package index

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/attache-bot/attache/corpus"
)

const testDim = 8

func unitRandom(rng *rand.Rand) []float32 {
	v := make([]float32, testDim)
	for i := range v {
		v[i] = float32(rng.NormFloat64())
	}
	return unitVector(v)
}

// putArticle adds article id with n random chunks published on date
// ("" for unknown); seq numbers the article and its chunks' rows.
func putArticle(t *testing.T, ix *Index, rng *rand.Rand, id, scope, date string, n int, seq int64) {
	t.Helper()
	var pub time.Time
	if date != "" {
		var err error
		if pub, err = time.Parse(time.DateOnly, date); err != nil {
			t.Fatal(err)
		}
	}
	s := corpus.Summary{Seq: seq, ID: id, Scope: scope, Title: id, Published: pub}
	var chunks []corpus.StoredChunk
	for i := range n {
		chunks = append(chunks, corpus.StoredChunk{Chunk: corpus.Chunk{ID: corpus.ChunkID(id, i), ArticleID: id, Index: i},
			Seq: seq*100 + int64(i), Scope: scope, Published: pub, Vector: unitRandom(rng)})
	}
	if err := ix.Put(context.Background(), s, chunks); err != nil {
		t.Fatal(err)
	}
}

func TestDayRangeContains(t *testing.T) {
	d := DayOf(time.Date(2025, 3, 4, 23, 59, 0, 0, time.UTC))
	if d != DayOf(time.Date(2025, 3, 4, 0, 0, 0, 0, time.UTC)) || DayOf(time.Time{}) != UnknownDay {
		t.Fatalf("DayOf: %d", d)
	}
	if !AllDays.Contains(UnknownDay) || !AllDays.Contains(d) {
		t.Fatal("AllDays hides something")
	}
	upTo := DayRange{From: AllDays.From, To: d}
	if !upTo.Contains(UnknownDay) || !upTo.Contains(d) || upTo.Contains(d+1) {
		t.Fatal("an as-of range: unknown dates visible, later days hidden")
	}
	window := DayRange{From: d - 7, To: d}
	if window.Contains(UnknownDay) || window.Contains(d-8) || !window.Contains(d-7) {
		t.Fatal("a window: unknown dates and earlier days hidden")
	}
}

// TestPutRemove checks that the index holds exactly the last version of
// every article, that a bad vector leaves nothing behind, and that
// removing an unknown id is harmless.
func TestPutRemove(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	ix := New(testDim, nil)
	ctx := context.Background()
	putArticle(t, ix, rng, "a", corpus.SharedScope, "2025-01-02", 3, 1)
	putArticle(t, ix, rng, "a", corpus.SharedScope, "2025-01-05", 2, 2)
	a := ix.Article("a")
	if ix.Len() != 1 || ix.ChunkCount() != 2 || a == nil || len(a.ChunkIDs()) != 2 || a.Day() != DayOf(time.Date(2025, 1, 5, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("after replacing: %d articles, %d chunks, %+v", ix.Len(), ix.ChunkCount(), a)
	}
	if _, ok := ix.Chunk(corpus.ChunkID("a", 2)); ok {
		t.Fatal("a chunk of the old version survived")
	}
	if got := ix.Stored("a"); len(got) != 2 || got[1].Seq != 201 || len(got[0].Vector) != testDim {
		t.Fatalf("stored: %+v", got)
	}

	bad := corpus.Summary{Seq: 3, ID: "bad", Scope: corpus.SharedScope}
	err := ix.Put(ctx, bad, []corpus.StoredChunk{{Chunk: corpus.Chunk{ID: "bad#0", ArticleID: "bad"}, Seq: 300, Vector: []float32{1}}})
	if err == nil || !strings.Contains(err.Error(), "dimensional") {
		t.Fatalf("wrong dimension: %v", err)
	}
	if ix.Article("bad") != nil || ix.Len() != 1 {
		t.Fatal("a rejected article entered the index")
	}

	if err := ix.Remove(ctx, "nobody"); err != nil {
		t.Fatal(err)
	}
	if err := ix.Remove(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if ix.Len() != 0 || ix.ChunkCount() != 0 || ix.Collection(corpus.SharedScope).Count() != 0 {
		t.Fatalf("after remove: %d articles, %d chunks", ix.Len(), ix.ChunkCount())
	}
	if hits, err := ix.Query(ctx, unitRandom(rng), []string{corpus.SharedScope}, AllDays, 5); err != nil || len(hits) != 0 {
		t.Fatalf("query of an empty scope: %v, %v", hits, err)
	}
}

// TestRemoveScope: removing a scope takes every article, chunk and vector
// of it out of the index and leaves the other scopes whole and searchable;
// the scope can be filled again afterwards.
func TestRemoveScope(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	ix := New(testDim, nil)
	ctx := context.Background()
	putArticle(t, ix, rng, "s1", corpus.SharedScope, "2025-01-02", 2, 1)
	putArticle(t, ix, rng, "g1", "guild:1", "2025-01-02", 3, 2)
	putArticle(t, ix, rng, "g2", "guild:1", "", 1, 3)
	putArticle(t, ix, rng, "h1", "guild:2", "2025-01-03", 2, 4)

	ids, err := ix.RemoveScope("guild:1")
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(ids)
	if !slices.Equal(ids, []string{"g1", "g2"}) {
		t.Errorf("RemoveScope removed %v, want [g1 g2]", ids)
	}
	if ix.Len() != 2 || ix.ChunkCount() != 4 || ix.Article("g1") != nil || ix.Article("g2") != nil || ix.Collection("guild:1") != nil {
		t.Fatalf("after RemoveScope: %d articles, %d chunks, g1 %v", ix.Len(), ix.ChunkCount(), ix.Article("g1"))
	}
	if _, ok := ix.Chunk(corpus.ChunkID("g1", 0)); ok {
		t.Error("a chunk of the removed scope survived")
	}
	hits, err := ix.Query(ctx, unitRandom(rng), []string{corpus.SharedScope, "guild:1", "guild:2"}, AllDays, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hits {
		if a := ix.Article(h.ArticleID); a == nil || a.Scope == "guild:1" {
			t.Errorf("hit %+v of the removed scope", h)
		}
	}
	if len(hits) != 4 {
		t.Errorf("%d hits over the remaining scopes, want their 4 chunks", len(hits))
	}

	// Unknown and empty scopes: no-ops ("" is the shared scope).
	if ids, err := ix.RemoveScope("guild:none"); err != nil || len(ids) != 0 {
		t.Errorf("RemoveScope of an unknown scope = %v, %v", ids, err)
	}
	putArticle(t, ix, rng, "g3", "guild:1", "2025-01-04", 2, 5)
	if ix.Collection("guild:1").Count() != 2 || ix.Len() != 3 {
		t.Errorf("the scope filled again holds %d chunks, index %d articles", ix.Collection("guild:1").Count(), ix.Len())
	}
	if ids, err := ix.RemoveScope(""); err != nil || !slices.Equal(ids, []string{"s1"}) || ix.Len() != 2 {
		t.Errorf("RemoveScope(\"\") = %v, %v; index %d articles", ids, err, ix.Len())
	}
}

// TestQueryMatchesScan checks that a query is exact whichever path it
// takes (chromem-go with over-fetch, or the index's own scan when the
// range hides most chunks): its hits are the best visible chunks of the
// asked scopes by exact cosine, best first.
func TestQueryMatchesScan(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	ix := New(testDim, nil)
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 60 {
		date := start.AddDate(0, 0, i*5).Format(time.DateOnly)
		if i%10 == 0 {
			date = ""
		}
		putArticle(t, ix, rng, fmt.Sprintf("a%02d", i), corpus.SharedScope, date, 4, int64(i+1))
	}
	putArticle(t, ix, rng, "other", "g1", "2024-02-01", 4, 99)
	ctx := context.Background()
	for _, r := range []DayRange{
		AllDays,
		{From: AllDays.From, To: DayOf(start.AddDate(0, 0, 250))}, // hides little: chromem-go
		{From: AllDays.From, To: DayOf(start.AddDate(0, 0, 20))},  // hides most: scan
		{From: DayOf(start.AddDate(0, 0, 100)), To: DayOf(start.AddDate(0, 0, 110))},
	} {
		q := unitRandom(rng)
		hits, err := ix.Query(ctx, q, []string{corpus.SharedScope}, r, 10)
		if err != nil {
			t.Fatal(err)
		}
		type scored struct {
			id  string
			sim float64
		}
		var want []scored
		for id, a := range ix.Articles() {
			if a.Scope != corpus.SharedScope || !r.Contains(a.Day()) {
				continue
			}
			for _, cid := range a.ChunkIDs() {
				c, _ := ix.Chunk(cid)
				if c.ArticleID != id {
					t.Fatalf("chunk %s of %s names %s", cid, id, c.ArticleID)
				}
				want = append(want, scored{cid, dot(q, c.Vector)})
			}
		}
		slices.SortFunc(want, func(a, b scored) int {
			if a.sim != b.sim {
				if a.sim > b.sim {
					return -1
				}
				return 1
			}
			return strings.Compare(a.id, b.id)
		})
		want = want[:min(10, len(want))]
		if len(hits) != len(want) {
			t.Fatalf("range %+v: %d hits, want %d", r, len(hits), len(want))
		}
		for i, h := range hits {
			if h.ChunkID != want[i].id || h.Similarity-want[i].sim > 1e-5 || want[i].sim-h.Similarity > 1e-5 {
				t.Fatalf("range %+v, hit %d: %+v, want %+v", r, i, h, want[i])
			}
		}
	}
	if hits, err := ix.Query(ctx, unitRandom(rng), []string{corpus.SharedScope}, AllDays, 0); err != nil || hits != nil {
		t.Fatalf("want 0: %v %v", hits, err)
	}
}
