package retrieval

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	mrand "math/rand"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/attache-bot/attache/corpus"
)

// The growth benchmark and the library builder behind it measure attache
// at sizes a news community reaches: libraries of short articles (six
// passages each) of realistic text, a vocabulary of tens of thousands of
// words in a Zipf distribution with English function words between them,
// so that BM25's posting lists have the lengths real text gives them.
//
//	ATTACHE_GROWTH_DIR   where the libraries are built and kept between runs
//	                     (one directory per embedder and size); unset = skip
//	ATTACHE_GROWTH_SIZES comma-separated chunk counts (default 10000,50000,120000,250000)
//	ATTACHE_GROWTH_DIMS  "local" (the built-in 768-dim embedder), "1536"
//	                     (random 1,536-dim vectors) or both (default "local,1536")

// growthVocabulary is the size of the synthetic vocabulary.
const growthVocabulary = 40_000

// growthText generates article text.
type growthText struct {
	rng   *mrand.Rand
	zipf  *mrand.Zipf
	words []string
}

func newGrowthText(seed int64) *growthText {
	rng := mrand.New(mrand.NewSource(seed))
	vocab := rand.New(rand.NewPCG(1, 1)) // the same words in every library
	syll := strings.Fields("ka ri to ma ne su lo vi an er in or ul es at on ba de fi gu ho ja ke li mo nu pa qu ra se ti vo wa xe yo ze")
	seen := map[string]bool{}
	var words []string
	for len(words) < growthVocabulary {
		var b strings.Builder
		for range 2 + vocab.IntN(3) {
			b.WriteString(syll[vocab.IntN(len(syll))])
		}
		if w := b.String(); !seen[w] {
			seen[w] = true
			words = append(words, w)
		}
	}
	// Zipf from rank 50 on: the words ranked above are function words,
	// which the stop list drops. Calibrated on the evaluation corpus, whose
	// most common index term ("year") is in 78% of its articles and the
	// twelfth in 55%: here the most common is in about three in four of
	// the six-passage articles and the twelfth in two in three.
	return &growthText{rng: rng, zipf: mrand.NewZipf(rng, 1.07, 50, growthVocabulary-1), words: words}
}

var growthFunction = strings.Fields("the of and to in a on for with said that was by at from as is were has")

// sentence returns a sentence of about n words.
func (g *growthText) sentence(n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(' ')
		}
		if g.rng.Intn(3) == 0 {
			b.WriteString(growthFunction[g.rng.Intn(len(growthFunction))])
			continue
		}
		w := g.words[g.zipf.Uint64()]
		if i == 0 || g.rng.Intn(12) == 0 {
			w = strings.ToUpper(w[:1]) + w[1:] // names and sentence starts
		}
		b.WriteString(w)
	}
	b.WriteByte('.')
	return b.String()
}

// article returns short article i: a headline and six paragraphs of about
// 560 bytes (one passage each).
func (g *growthText) article(i int) corpus.Article {
	paras := make([]string, 6)
	for p := range paras {
		var b strings.Builder
		for b.Len() < 520 {
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(g.sentence(8 + g.rng.Intn(10)))
		}
		paras[p] = b.String()
	}
	return corpus.Article{
		ID:        fmt.Sprintf("growth-%07d", i),
		Title:     strings.TrimSuffix(g.sentence(7), "."),
		Source:    "Growth Wire",
		Published: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i%700),
		Body:      strings.Join(paras, "\n\n"),
	}
}

// growthEmbedder returns the embedder of a dims setting.
func growthEmbedder(dims string) Embedder {
	if dims == "local" {
		return NewLocalEmbedder()
	}
	return randomEmbedder{}
}

// growthLibrary returns the directory of a library of about chunks
// passages for dims under root, building it through the engine's AddMany
// (the ingest path) unless it is there already.
func growthLibrary(tb testing.TB, root, dims string, chunks int) string {
	tb.Helper()
	dir := filepath.Join(root, fmt.Sprintf("%s-%d", dims, chunks))
	if _, err := os.Stat(filepath.Join(dir, "complete")); err == nil {
		return dir
	}
	ctx := context.Background()
	if err := os.RemoveAll(dir); err != nil {
		tb.Fatal(err)
	}
	lib, err := corpus.Open(ctx, dir)
	if err != nil {
		tb.Fatal(err)
	}
	defer lib.Close()
	e, err := New(ctx, lib, Config{Embedder: growthEmbedder(dims)})
	if err != nil {
		tb.Fatal(err)
	}
	g := newGrowthText(int64(chunks))
	for n := 0; n*6 < chunks; {
		batch := make([]corpus.Article, 0, 500)
		for ; len(batch) < 500 && n*6 < chunks; n++ {
			batch = append(batch, g.article(n))
		}
		var failed error
		if err := e.AddMany(ctx, batch, func(_ int, a corpus.Article, _ corpus.PutStatus, err error) {
			if err != nil && failed == nil {
				failed = fmt.Errorf("%s: %w", a.ID, err)
			}
		}); err != nil || failed != nil {
			tb.Fatal(err, failed)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "complete"), nil, 0o644); err != nil {
		tb.Fatal(err)
	}
	return dir
}

// TestBuildGrowthLibrary builds the growth libraries (for the cold
// "attache ask" measurement: ATTACHE_GROWTH_SIZES=120000
// ATTACHE_GROWTH_DIMS=local gives 20,000 articles).
func TestBuildGrowthLibrary(t *testing.T) {
	root := os.Getenv("ATTACHE_GROWTH_DIR")
	if root == "" {
		t.Skip("set ATTACHE_GROWTH_DIR to build the growth libraries")
	}
	for _, dims := range growthDims() {
		for _, n := range growthSizes(t) {
			t.Logf("%s", growthLibrary(t, root, dims, n))
		}
	}
}

// TestWriteGrowthJSONL writes the articles of the first growth size to
// ATTACHE_GROWTH_JSONL, for "attache ingest" (the same articles
// growthLibrary stores, so that any release can ingest them).
func TestWriteGrowthJSONL(t *testing.T) {
	path := os.Getenv("ATTACHE_GROWTH_JSONL")
	if path == "" {
		t.Skip("set ATTACHE_GROWTH_JSONL to write the growth articles")
	}
	chunks := growthSizes(t)[0]
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	g := newGrowthText(int64(chunks))
	for n := 0; n*6 < chunks; n++ {
		a := g.article(n)
		if err := enc.Encode(map[string]string{"id": a.ID, "title": a.Title, "source": a.Source,
			"published": a.Published.Format(corpus.DateLayout), "body": a.Body}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
}

func growthSizes(tb testing.TB) []int {
	s := os.Getenv("ATTACHE_GROWTH_SIZES")
	if s == "" {
		s = "10000,50000,120000,250000"
	}
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			tb.Fatalf("ATTACHE_GROWTH_SIZES: %q is not a chunk count", f)
		}
		out = append(out, n)
	}
	return out
}

func growthDims() []string {
	s := os.Getenv("ATTACHE_GROWTH_DIMS")
	if s == "" {
		s = "local,1536"
	}
	return strings.Split(s, ",")
}

// peakRSS returns the process's peak resident set size in MiB since the
// last resetPeakRSS (Linux; 0 elsewhere).
func peakRSS() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}

// resetPeakRSS starts a new peak (writing 5 to clear_refs resets VmHWM).
func resetPeakRSS() {
	runtime.GC()
	debug.FreeOSMemory()
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}

// BenchmarkGrowth opens each growth library (library Open and the
// in-memory index from the stored vectors), reports the time and the peak
// RSS of doing so and of a first round of hybrid searches over it (its
// p50: every term's rows read from the library), and the p50 of the same
// searches again (the rows cached, as between two writes).
func BenchmarkGrowth(b *testing.B) {
	root := os.Getenv("ATTACHE_GROWTH_DIR")
	if root == "" {
		b.Skip("set ATTACHE_GROWTH_DIR (see growth_bench_test.go)")
	}
	// Questions of the libraries' own words (the same for every size) and
	// a few of words no library has.
	questions := []string{
		"What did the minister say about the border treaty?",
		"Who won the vote in parliament?",
		"Why were the talks on grain exports suspended?",
	}
	g := newGrowthText(99)
	for range 30 {
		questions = append(questions, "What happened to "+strings.TrimSuffix(g.sentence(4), ".")+"?")
	}
	for _, dims := range growthDims() {
		for _, n := range growthSizes(b) {
			dir := growthLibrary(b, root, dims, n)
			b.Run(fmt.Sprintf("%s/chunks=%d", dims, n), func(b *testing.B) {
				ctx := context.Background()
				var open time.Duration
				var rss float64
				var lats, warm []time.Duration
				for b.Loop() {
					resetPeakRSS()
					t0 := time.Now()
					lib, err := corpus.Open(ctx, dir)
					if err != nil {
						b.Fatal(err)
					}
					e, err := New(ctx, lib, Config{Embedder: growthEmbedder(dims)})
					if err != nil {
						b.Fatal(err)
					}
					open += time.Since(t0)
					for _, q := range questions {
						t0 := time.Now()
						if _, err := e.Search(ctx, Query{Text: q, AsOf: day("2026-01-01"), K: 10}); err != nil {
							b.Fatal(err)
						}
						lats = append(lats, time.Since(t0))
					}
					rss = max(rss, peakRSS())
					// The same questions again: the question terms' rows
					// are now cached (until the next write).
					for _, q := range questions {
						t0 := time.Now()
						if _, err := e.Search(ctx, Query{Text: q, AsOf: day("2026-01-01"), K: 10}); err != nil {
							b.Fatal(err)
						}
						warm = append(warm, time.Since(t0))
					}
					lib.Close()
				}
				slices.Sort(lats)
				slices.Sort(warm)
				b.ReportMetric(open.Seconds()/float64(b.N), "open_s")
				b.ReportMetric(rss, "peak_rss_MiB")
				b.ReportMetric(float64(lats[len(lats)/2].Microseconds())/1000, "query_p50_ms")
				b.ReportMetric(float64(warm[len(warm)/2].Microseconds())/1000, "warm_p50_ms")
			})
		}
	}
}

// BenchmarkGrowthOpen is the open alone of BenchmarkGrowth (library Open
// and the in-memory index from the stored vectors, as every start of ask
// and serve does), for profiling it:
//
//	ATTACHE_GROWTH_DIR=/tmp/growth ATTACHE_GROWTH_SIZES=120000 ATTACHE_GROWTH_DIMS=local \
//	  go test -run '^$' -bench BenchmarkGrowthOpen -benchtime 5x -cpuprofile /tmp/open.prof ./retrieval/
func BenchmarkGrowthOpen(b *testing.B) {
	root := os.Getenv("ATTACHE_GROWTH_DIR")
	if root == "" {
		b.Skip("set ATTACHE_GROWTH_DIR (see growth_bench_test.go)")
	}
	for _, dims := range growthDims() {
		for _, n := range growthSizes(b) {
			dir := growthLibrary(b, root, dims, n)
			b.Run(fmt.Sprintf("%s/chunks=%d", dims, n), func(b *testing.B) {
				ctx := context.Background()
				var rss float64
				for b.Loop() {
					resetPeakRSS()
					lib, err := corpus.Open(ctx, dir)
					if err != nil {
						b.Fatal(err)
					}
					if _, err := New(ctx, lib, Config{Embedder: growthEmbedder(dims)}); err != nil {
						b.Fatal(err)
					}
					rss = max(rss, peakRSS())
					lib.Close()
				}
				b.ReportMetric(rss, "peak_rss_MiB")
			})
		}
	}
}
