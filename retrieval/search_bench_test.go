package retrieval

import (
	"context"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/attache-bot/attache/corpus"
	"github.com/attache-bot/attache/retrieval/index"
)

// benchDim is the dimension of the benchmark vectors: OpenAI's
// text-embedding-3-small, the largest the product is configured with.
const benchDim = 1536

// randomEmbedder returns deterministic pseudo-random unit vectors seeded by
// the text, standing in for a real 1536-dimensional model.
type randomEmbedder struct{}

func (randomEmbedder) Name() string { return "bench-random-1536" }
func (randomEmbedder) Dim() int     { return benchDim }
func (r randomEmbedder) Embed(_ context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	for i, t := range texts {
		h := fnv.New64a()
		h.Write([]byte(t))
		out[i] = randomUnit(rand.New(rand.NewPCG(h.Sum64(), 1)))
	}
	return out, nil
}
func (r randomEmbedder) EmbedQuery(ctx context.Context, text string) ([]float32, error) {
	v, err := r.Embed(ctx, []string{text})
	return v[0], err
}

func randomUnit(rng *rand.Rand) []float32 {
	v := make([]float32, benchDim)
	var s float64
	for i := range v {
		x := rng.NormFloat64()
		v[i] = float32(x)
		s += x * x
	}
	inv := float32(1 / math.Sqrt(s))
	for i := range v {
		v[i] *= inv
	}
	return v
}

// benchWords make the synthetic passages: enough vocabulary for BM25 to
// have long and short posting lists.
var benchWords = []string{"minister", "talks", "border", "treaty", "sanctions", "election", "summit", "ceasefire",
	"trade", "tariff", "embassy", "envoy", "parliament", "coalition", "protest", "harbour", "pipeline", "grain",
	"refugees", "aid", "navy", "drills", "vote", "budget", "court", "ruling", "strike", "union", "oil", "gas"}

func benchText(rng *rand.Rand, n int) string {
	b := make([]byte, 0, n*9)
	for i := range n {
		if i > 0 {
			b = append(b, ' ')
		}
		b = append(b, benchWords[rng.IntN(len(benchWords))]...)
		if rng.IntN(40) == 0 {
			b = fmt.Appendf(b, " w%d", rng.IntN(100000)) // rare words
		}
	}
	return string(b)
}

// benchIndex builds an index of n chunks (10 per article, dates over two
// years) directly, without a library.
func benchIndex(b *testing.B, n int) (*index.Index, *rand.Rand) {
	b.Helper()
	rng := rand.New(rand.NewPCG(42, uint64(n)))
	ix := index.New(benchDim, nil)
	ctx := context.Background()
	start := day("2024-01-01")
	for a := 0; a < n/10; a++ {
		s := corpus.Summary{Seq: int64(a + 1), ID: fmt.Sprintf("a%06d", a), Scope: corpus.SharedScope, Title: benchText(rng, 6),
			Published: start.AddDate(0, 0, rng.IntN(730))}
		chunks := make([]corpus.StoredChunk, 10)
		for i := range chunks {
			chunks[i] = corpus.StoredChunk{Chunk: corpus.Chunk{ID: corpus.ChunkID(s.ID, i), ArticleID: s.ID, Index: i},
				Seq: int64(a*10 + i + 1), Scope: s.Scope, Published: s.Published, Vector: randomUnit(rng)}
		}
		if err := ix.Put(ctx, s, chunks); err != nil {
			b.Fatal(err)
		}
	}
	return ix, rng
}

// BenchmarkVectorSearch compares the engine's vector path (index query:
// chromem-go QueryEmbedding plus visibility filtering and mapping to
// articles) with a bare chromem-go QueryEmbedding on the same collection
// and query vectors, in the same run, and reports the overhead ratio.
func BenchmarkVectorSearch(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("chunks=%d", n), func(b *testing.B) {
			ix, rng := benchIndex(b, n)
			col := ix.Collection(corpus.SharedScope)
			want := defaultRanking().VectorCandidates
			queries := make([][]float32, 16)
			for i := range queries {
				queries[i] = randomUnit(rng)
			}
			ctx := context.Background()
			scopes := []string{corpus.SharedScope}
			var ours, theirs time.Duration
			i := 0
			b.ResetTimer()
			for b.Loop() {
				q := queries[i%len(queries)]
				i++
				t0 := time.Now()
				hits, err := ix.Query(ctx, q, scopes, index.AllDays, want)
				ours += time.Since(t0)
				if err != nil || len(hits) != want {
					b.Fatalf("ours: %d hits, %v", len(hits), err)
				}
				t0 = time.Now()
				res, err := col.QueryEmbedding(ctx, q, want, nil, nil)
				theirs += time.Since(t0)
				if err != nil || len(res) != want {
					b.Fatalf("chromem: %d results, %v", len(res), err)
				}
			}
			b.ReportMetric(float64(ours.Microseconds())/1000/float64(i), "ours_ms/query")
			b.ReportMetric(float64(theirs.Microseconds())/1000/float64(i), "chromem_ms/query")
			b.ReportMetric(float64(ours)/float64(theirs), "overhead_ratio")
		})
	}
}

// benchEngine builds a library of about n chunks (10 per article, dates
// over two years) through AddMany with random 1536-dimensional vectors,
// and the engine over it.
func benchEngine(b *testing.B, n int) *Engine {
	b.Helper()
	ctx := context.Background()
	lib, err := corpus.Open(ctx, b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { lib.Close() })
	e, err := New(ctx, lib, Config{Embedder: randomEmbedder{}})
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(42, uint64(n)))
	start := day("2024-01-01")
	var arts []corpus.Article
	for i := 0; i < n/10; i++ {
		a := corpus.Article{ID: fmt.Sprintf("s%06d", i), Title: benchText(rng, 6), Source: "Bench",
			Published: start.AddDate(0, 0, rng.IntN(730))}
		for s := range 10 {
			if s > 0 {
				a.Body += "\n\n"
			}
			a.Body += benchText(rng, 60) + "."
		}
		arts = append(arts, a)
	}
	if err := e.AddMany(ctx, arts, nil); err != nil {
		b.Fatal(err)
	}
	return e
}

// BenchmarkSearch measures a whole hybrid search (vector + BM25 over
// passages and articles from the library's full-text index, fusion,
// recency, one per article) at 10k and 100k chunks of 1536-dimensional
// vectors, as of a date that hides nothing and as of a date in the middle
// of the corpus (the exact-scan path), next to a bare chromem-go
// QueryEmbedding of the same collection in the same loop: the vector scan
// bounds the whole.
func BenchmarkSearch(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		e := benchEngine(b, n)
		col := e.ix.Collection(corpus.SharedScope)
		want := e.rank.VectorCandidates
		for _, asOf := range []string{"2026-06-01", "2025-01-01"} {
			b.Run(fmt.Sprintf("chunks=%d/asof=%s", n, asOf), func(b *testing.B) {
				ctx := context.Background()
				q := Query{Text: "What did the minister say about the border treaty and sanctions?", AsOf: day(asOf), K: 10}
				qvec, _ := e.emb.EmbedQuery(ctx, q.Text)
				var ours, theirs []time.Duration
				for b.Loop() {
					t0 := time.Now()
					ps, err := e.Search(ctx, q)
					ours = append(ours, time.Since(t0))
					if err != nil || len(ps) != 10 {
						b.Fatalf("%d passages, %v", len(ps), err)
					}
					t0 = time.Now()
					if _, err := col.QueryEmbedding(ctx, qvec, want, nil, nil); err != nil {
						b.Fatal(err)
					}
					theirs = append(theirs, time.Since(t0))
				}
				slices.Sort(ours)
				slices.Sort(theirs)
				p50, c50 := ours[len(ours)/2], theirs[len(theirs)/2]
				b.ReportMetric(float64(p50.Microseconds())/1000, "search_p50_ms")
				b.ReportMetric(float64(c50.Microseconds())/1000, "chromem_p50_ms")
				b.ReportMetric(float64(p50)/float64(c50), "ratio")
			})
		}
	}
}

// BenchmarkOpen100k measures opening a data directory of 100k chunks with
// 1536-dimensional vectors: library Open plus building the in-memory index
// (chromem-go collections; BM25 stays in the library) from the stored vectors.
func BenchmarkOpen100k(b *testing.B) {
	const chunks = 100_000
	ctx := context.Background()
	dir := b.TempDir()
	lib, err := corpus.Open(ctx, dir)
	if err != nil {
		b.Fatal(err)
	}
	e, err := New(ctx, lib, Config{Embedder: randomEmbedder{}})
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(7, 7))
	start := day("2024-01-01")
	var arts []corpus.Article
	total := 0
	for i := 0; total < chunks; i++ {
		a := corpus.Article{ID: fmt.Sprintf("open-%06d", i), Title: benchText(rng, 6), Source: "Bench",
			Published: start.AddDate(0, 0, rng.IntN(730))}
		for s := range 10 {
			if s > 0 {
				a.Body += "\n\n"
			}
			a.Body += benchText(rng, 70) + "."
		}
		a.Normalize()
		total += len(corpus.Split(a, corpus.SplitOptions{}))
		arts = append(arts, a)
	}
	if err := e.AddMany(ctx, arts, nil); err != nil {
		b.Fatal(err)
	}
	if err := lib.Close(); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	var took time.Duration
	runs := 0
	for b.Loop() {
		t0 := time.Now()
		lib, err := corpus.Open(ctx, dir)
		if err != nil {
			b.Fatal(err)
		}
		e, err := New(ctx, lib, Config{Embedder: randomEmbedder{}})
		if err != nil {
			b.Fatal(err)
		}
		took += time.Since(t0)
		runs++
		if e.ix.ChunkCount() != total {
			b.Fatalf("index has %d chunks, want %d", e.ix.ChunkCount(), total)
		}
		lib.Close()
	}
	b.ReportMetric(float64(total), "chunks")
	b.ReportMetric(took.Seconds()/float64(runs), "open_s")
}
