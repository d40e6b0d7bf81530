package llm

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/attache-bot/attache/retrieval/llm/openaitest"
)

// newTestEmbedder makes an embedder talking to srv with quiet logs and
// recorded retry waits.
func newTestEmbedder(t *testing.T, srv *openaitest.Server, edit ...func(*EmbedderConfig)) (*Embedder, *waitLog) {
	t.Helper()
	waits := &waitLog{}
	cfg := EmbedderConfig{BaseURL: srv.URL(), APIKey: testKey, Logger: quietLogger(), Sleep: waits.sleep}
	for _, e := range edit {
		e(&cfg)
	}
	e, err := NewEmbedder(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	return e, waits
}

func texts(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("passage %d about sanctions talks round %d in city%d", i, i%7, i)
	}
	return out
}

func TestOpenAIEmbedderBatchesThousandChunks(t *testing.T) {
	srv := openaitest.New(t)
	srv.ReverseEmbeddings(true) // results must be mapped back by index
	e, _ := newTestEmbedder(t, srv)
	probe := len(srv.EmbeddingRequests())
	in := texts(1000)
	vecs, err := e.Embed(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	sizes := srv.EmbeddingBatchSizes()[probe:]
	if len(sizes) > 8 {
		t.Fatalf("%d requests for 1,000 chunks (%v), want at most 8", len(sizes), sizes)
	}
	total := 0
	for _, n := range sizes {
		if n > DefaultEmbedBatchSize {
			t.Errorf("a batch of %d, want at most %d", n, DefaultEmbedBatchSize)
		}
		total += n
	}
	if total != 1000 || len(vecs) != 1000 {
		t.Fatalf("%d texts sent, %d vectors back, want 1000", total, len(vecs))
	}
	for i, v := range vecs {
		want := openaitest.Vector(in[i], openaitest.DefaultEmbeddingDim)
		if !sameDirection(v, want) {
			t.Fatalf("vector %d does not belong to text %d", i, i)
		}
		if n := norm(v); math.Abs(n-1) > 1e-5 {
			t.Fatalf("vector %d has norm %v, want 1", i, n)
		}
	}
}

func norm(v []float32) float64 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	return math.Sqrt(s)
}

func sameDirection(a []float32, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	var dot float64
	for i := range a {
		dot += float64(a[i]) * float64(b[i])
	}
	return math.Abs(dot/(norm(a)*norm(b))-1) < 1e-5
}

func TestOpenAIEmbedderNameAndDim(t *testing.T) {
	srv := openaitest.New(t)
	srv.SetEmbeddingDim(48)
	e, _ := newTestEmbedder(t, srv, func(c *EmbedderConfig) { c.Model = "nomic-embed-text" })
	if e.Name() != "openai:nomic-embed-text" || e.Dim() != 48 {
		t.Fatalf("Name %q Dim %d, want openai:nomic-embed-text and 48 (from the probe)", e.Name(), e.Dim())
	}
	e2, _ := newTestEmbedder(t, srv, func(c *EmbedderConfig) { c.Dimensions = 16 })
	if e2.Name() != "openai:text-embedding-3-small@16" || e2.Dim() != 16 {
		t.Fatalf("Name %q Dim %d, want the asked dimensions recorded", e2.Name(), e2.Dim())
	}
	if r := srv.EmbeddingRequests(); r[len(r)-1].Dimensions != 16 {
		t.Errorf("dimensions not sent: %+v", r[len(r)-1])
	}
}

func TestOpenAIEmbedderConfigurable(t *testing.T) {
	srv := openaitest.New(t)
	e, _ := newTestEmbedder(t, srv, func(c *EmbedderConfig) {
		c.BatchSize = 10
		c.Parallel = 1
		c.QueryPrefix, c.DocumentPrefix = "search_query: ", "search_document: "
	})
	start := len(srv.EmbeddingRequests())
	if _, err := e.Embed(context.Background(), texts(25)); err != nil {
		t.Fatal(err)
	}
	if got := srv.EmbeddingBatchSizes()[start:]; fmt.Sprint(got) != "[10 10 5]" {
		t.Fatalf("batches %v, want [10 10 5] in order (Parallel 1)", got)
	}
	if _, err := e.EmbedQuery(context.Background(), "who"); err != nil {
		t.Fatal(err)
	}
	reqs := srv.EmbeddingRequests()
	if !strings.HasPrefix(reqs[start].Input[0], "search_document: ") || reqs[len(reqs)-1].Input[0] != "search_query: who" {
		t.Errorf("prefixes not applied: %q, %q", reqs[start].Input[0], reqs[len(reqs)-1].Input[0])
	}
}

func TestOpenAIEmbedderHostileInput(t *testing.T) {
	srv := openaitest.New(t)
	e, _ := newTestEmbedder(t, srv)
	if v, err := e.Embed(context.Background(), nil); err != nil || v != nil {
		t.Fatalf("Embed(nil) = %v, %v", v, err)
	}
	huge := strings.Repeat("é", maxEmbedInputBytes) // 2 bytes each: over the bound
	vecs, err := e.Embed(context.Background(), []string{"", "   ", huge})
	if err != nil || len(vecs) != 3 {
		t.Fatalf("Embed(empty, blank, huge) = %d vectors, %v", len(vecs), err)
	}
	last := srv.EmbeddingRequests()[len(srv.EmbeddingRequests())-1]
	if last.Input[0] == "" || last.Input[1] == "   " || len(last.Input[2]) > maxEmbedInputBytes || !strings.HasSuffix(last.Input[2], "é") {
		t.Errorf("inputs not made acceptable: %q %q len %d", last.Input[0], last.Input[1], len(last.Input[2]))
	}
}

func TestOpenAIEmbedderBadResponses(t *testing.T) {
	for _, tt := range []struct {
		name string
		step openaitest.Step
		want error
	}{
		{"zero vector", openaitest.ZeroVectors(), errZeroVector},
		{"missing item", openaitest.MissingItem(), ErrUnavailable},
		{"malformed", openaitest.Malformed(), ErrUnavailable},
		{"bad request", openaitest.Fail(400, "too long"), ErrUnavailable},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := openaitest.New(t)
			e, _ := newTestEmbedder(t, srv)
			srv.ScriptEmbeddings(tt.step)
			_, err := e.Embed(context.Background(), texts(3))
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestOpenAIEmbedderRetries(t *testing.T) {
	srv := openaitest.New(t)
	e, waits := newTestEmbedder(t, srv)
	srv.ScriptEmbeddings(openaitest.RateLimited(2*time.Second), openaitest.ServerError())
	start := len(srv.EmbeddingRequests())
	if _, err := e.Embed(context.Background(), texts(5)); err != nil {
		t.Fatal(err)
	}
	if n := len(srv.EmbeddingRequests()) - start; n != 3 {
		t.Fatalf("%d requests, want 3 (two retries)", n)
	}
	if w := waits.all(); len(w) != 2 || w[0] != 2*time.Second {
		t.Fatalf("waits %v, want Retry-After first", w)
	}
}

func TestOpenAIEmbedderStartupErrors(t *testing.T) {
	srv := openaitest.New(t)
	srv.SetAPIKey("right-key")
	_, err := NewEmbedder(context.Background(), EmbedderConfig{BaseURL: srv.URL(), APIKey: testKey, Logger: quietLogger()})
	if !errors.Is(err, ErrAuth) || strings.Contains(err.Error(), testKey) {
		t.Fatalf("err = %v, want ErrAuth without the key", err)
	}
	srv2 := openaitest.New(t)
	srv2.SetModels("text-embedding-3-small")
	_, err = NewEmbedder(context.Background(), EmbedderConfig{BaseURL: srv2.URL(), Model: "no-such-model", Logger: quietLogger()})
	if !errors.Is(err, ErrModel) {
		t.Fatalf("err = %v, want ErrModel", err)
	}
	if _, err := NewEmbedder(context.Background(), EmbedderConfig{}); err == nil {
		t.Fatal("no base URL: want an error")
	}
	_, err = NewEmbedder(context.Background(), EmbedderConfig{BaseURL: srv2.URL(), Dimensions: 99, Logger: quietLogger()})
	if err != nil {
		t.Fatalf("the fake honours dimensions: %v", err)
	}
}

// A failing batch cancels the others, and a cancelled context stops all
// requests, leaving no goroutine behind.
func TestOpenAIEmbedderCancel(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	srv := openaitest.NewServer()
	defer srv.Close()
	e, err := NewEmbedder(context.Background(), EmbedderConfig{BaseURL: srv.URL(), BatchSize: 2, Parallel: 2, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	srv.ScriptEmbeddings(openaitest.Slow(), openaitest.Slow())
	openaitest.CheckCancelStops(t, srv, 2, "Embed", func(ctx context.Context) error {
		_, err := e.Embed(ctx, texts(10))
		return err
	})
	e.Close()
	srv.Close()
}

// BenchmarkEmbedder1000 embeds 1,000 passages through the fake API
// and reports the requests it took.
func BenchmarkEmbedder1000(b *testing.B) {
	srv := openaitest.New(b)
	emb, err := NewEmbedder(context.Background(), EmbedderConfig{BaseURL: srv.URL(), Logger: quietLogger()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(emb.Close)
	in := texts(1000)
	start := len(srv.EmbeddingRequests())
	b.ResetTimer()
	for b.Loop() {
		if _, err := emb.Embed(context.Background(), in); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	reqs := len(srv.EmbeddingRequests()) - start
	b.ReportMetric(float64(reqs)/float64(b.N), "requests/1000-chunks")
}
