package corpus

import (
	"context"
	"fmt"
	"github.com/attache-bot/attache/corpus/lang"
	mrand "math/rand"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// benchDim is the dimension of OpenAI's text-embedding-3-small, the largest
// vectors the library is expected to hold.
const benchDim = 1536

// buildBenchLibrary fills dir with nArticles articles of chunksPer chunks
// each, with random unit-free vectors of benchDim dimensions. It writes many
// articles per transaction (putTx) so that building 100k chunks takes
// seconds, not the minutes of one fsync'd transaction per article.
func buildBenchLibrary(tb testing.TB, dir string, nArticles, chunksPer int) {
	tb.Helper()
	ctx := context.Background()
	lib, err := Open(ctx, dir)
	if err != nil {
		tb.Fatal(err)
	}
	defer lib.Close()
	if err := lib.CheckEmbedder(ctx, EmbedderInfo{Name: "bench-v1", Dim: benchDim}); err != nil {
		tb.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	words := strings.Fields("talks ministers border treaty sanctions summit envoy ceasefire trade grain " +
		"harbour election parliament delegation accord tariffs embassy council vote reform")
	sentence := func() string {
		var b strings.Builder
		for i := 0; i < 12; i++ {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(words[rng.IntN(len(words))])
		}
		b.WriteString(". ")
		return b.String()
	}
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	putBatched(tb, lib, nArticles, 200, base, func(n int) (Article, []Chunk, [][]float32) {
		a := Article{ID: fmt.Sprintf("bench-%06d", n), Scope: SharedScope, Title: "Bench article " + fmt.Sprint(n),
			Source: "Bench", Published: base.AddDate(0, 0, n%700), Language: "en"}
		var body strings.Builder
		var chunks []Chunk
		for c := 0; c < chunksPer; c++ {
			s0 := body.Len()
			for k := 0; k < 6; k++ {
				body.WriteString(sentence())
			}
			txt := strings.TrimSpace(body.String()[s0:])
			chunks = append(chunks, Chunk{ID: ChunkID(a.ID, c), ArticleID: a.ID, Index: c, Start: s0, End: s0 + len(txt)})
			body.WriteString("\n\n")
		}
		a.Body = body.String()
		vecs := make([][]float32, len(chunks))
		for c := range chunks {
			chunks[c].Text = a.Body[chunks[c].Start:chunks[c].End]
			v := make([]float32, benchDim)
			for j := range v {
				v[j] = rng.Float32()*2 - 1
			}
			vecs[c] = v
		}
		return a, chunks, vecs
	})
}

// putBatched writes n articles made by article(0..n-1) straight through
// putTx, perTx to a transaction: the bench libraries are too big to build
// through Put, one transaction each.
func putBatched(tb testing.TB, lib *Library, n, perTx int, now time.Time, article func(k int) (Article, []Chunk, [][]float32)) {
	tb.Helper()
	ctx := context.Background()
	for start := 0; start < n; start += perTx {
		tx, err := lib.w.BeginTx(ctx, nil)
		if err != nil {
			tb.Fatal(err)
		}
		for k := start; k < n && k < start+perTx; k++ {
			a, chunks, vecs := article(k)
			if _, err := putTx(ctx, tx, a, chunks, vecs, now); err != nil {
				tx.Rollback()
				tb.Fatal(err)
			}
		}
		if err := tx.Commit(); err != nil {
			tb.Fatal(err)
		}
	}
}

func benchOpenChunks(b *testing.B, nArticles, chunksPer int) {
	dir := b.TempDir()
	buildBenchLibrary(b, dir, nArticles, chunksPer)
	ctx := context.Background()
	want := nArticles * chunksPer
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		lib, err := Open(ctx, dir)
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		var sum float32
		if err := lib.Chunks(ctx, func(c StoredChunk) error {
			n++
			sum += c.Vector[0]
			return nil
		}); err != nil {
			b.Fatal(err)
		}
		lib.Close()
		if n != want {
			b.Fatalf("streamed %d chunks, want %d", n, want)
		}
	}
	b.ReportMetric(float64(time.Since(start).Milliseconds())/float64(b.N), "ms/open")
	b.ReportMetric(float64(want), "chunks")
}

// BenchmarkOpenChunks100k measures start-up: opening a library of 100,000
// chunks with 1,536-dimension vectors and streaming every chunk and vector
// (the target for start-up including the vector index fill is 3 s).
func BenchmarkOpenChunks100k(b *testing.B) { benchOpenChunks(b, 20000, 5) }

// BenchmarkOpenChunks10k is the same at 10,000 chunks.
func BenchmarkOpenChunks10k(b *testing.B) { benchOpenChunks(b, 2000, 5) }

// zipfWords returns a vocabulary and a sampler with the skewed word
// frequencies of natural text, so that full-text benchmarks see a realistic
// mix of common and rare terms.
func zipfWords(rng *rand.Rand, n int) func() string {
	vocab := make([]string, n)
	for i := range vocab {
		b := make([]byte, 3+rng.IntN(7))
		for j := range b {
			b[j] = byte('a' + rng.IntN(26))
		}
		vocab[i] = string(b)
	}
	z := mrand.NewZipf(mrand.New(mrand.NewSource(3)), 1.1, 2, uint64(n-1))
	return func() string { return vocab[z.Uint64()] }
}

// buildSearchLibrary stores nArticles articles of chunksPer chunks of
// Zipf-distributed words (tiny vectors: only the text matters here).
func buildSearchLibrary(tb testing.TB, dir string, nArticles, chunksPer int) (query func() string) {
	tb.Helper()
	ctx := context.Background()
	lib, err := Open(ctx, dir)
	if err != nil {
		tb.Fatal(err)
	}
	defer lib.Close()
	rng := rand.New(rand.NewPCG(5, 6))
	word := zipfWords(rng, 20000)
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	putBatched(tb, lib, nArticles, 200, base, func(n int) (Article, []Chunk, [][]float32) {
		var body strings.Builder
		for s := 0; s < chunksPer*5; s++ {
			for w := 0; w < 18; w++ {
				if w > 0 {
					body.WriteByte(' ')
				}
				body.WriteString(word())
			}
			body.WriteString(". ")
		}
		a := Article{ID: fmt.Sprintf("s-%06d", n), Scope: SharedScope, Title: word() + " " + word() + " " + word(),
			Published: base.AddDate(0, 0, n%700), Body: strings.TrimSpace(body.String())}
		chunks := Split(a, SplitOptions{})
		vecs := make([][]float32, len(chunks))
		for i := range vecs {
			vecs[i] = []float32{1, float32(i)}
		}
		return a, chunks, vecs
	})
	return func() string {
		var q []string
		for i := 0; i < 12; i++ {
			q = append(q, word())
		}
		return "What did " + strings.Join(q, " ") + "?"
	}
}

// BenchmarkSearch measures the full-text reads of a question of a dozen
// words (common and rare) over about 36,000 chunks in 3,000 articles: the
// postings of each of its terms, from the passage and the article index.
func BenchmarkSearch(b *testing.B) {
	dir := b.TempDir()
	query := buildSearchLibrary(b, dir, 3000, 12)
	ctx := context.Background()
	lib, err := Open(ctx, dir)
	if err != nil {
		b.Fatal(err)
	}
	defer lib.Close()
	if n, _ := lib.ChunkCount(ctx); n < 30000 {
		b.Fatalf("only %d chunks", n)
	}
	queries := make([][]string, 200)
	for i := range queries {
		queries[i] = lang.Terms(query(), nil)
	}
	ft := lib.FullText()
	for _, ix := range []struct {
		name string
		ix   TextIndex
	}{{"chunks", PassageIndex}, {"articles", ArticleIndex}} {
		b.Run(ix.name, func(b *testing.B) {
			i := 0
			for b.Loop() {
				for _, term := range queries[i%len(queries)] {
					if err := ft.Postings(ctx, ix.ix, term, func(int64, float64) error { return nil }); err != nil {
						b.Fatal(err)
					}
				}
				i++
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/query")
		})
	}
}
