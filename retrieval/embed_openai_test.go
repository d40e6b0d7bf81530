package retrieval

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/attache-bot/attache/corpus"
	"github.com/attache-bot/attache/retrieval/llm"
	"github.com/attache-bot/attache/retrieval/llm/openaitest"
)

// newAPIEmbedder makes an OpenAI-compatible embedder talking to srv, asking
// for dims dimensions (0 = the model's own).
func newAPIEmbedder(t *testing.T, srv *openaitest.Server, dims int) *llm.Embedder {
	t.Helper()
	e, err := llm.NewEmbedder(context.Background(), llm.EmbedderConfig{BaseURL: srv.URL(), APIKey: "k", Dimensions: dims, MaxRetries: -1, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	return e
}

// The engine runs on the API embedder end to end: passages embedded in
// batches through the fake, the model and dimension recorded with the
// data, and questions answered from it.
func TestOpenAIEmbedderWithEngine(t *testing.T) {
	srv := openaitest.New(t)
	emb := newAPIEmbedder(t, srv, 0)
	ctx := context.Background()
	dir := t.TempDir()
	lib, err := corpus.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	e, err := New(ctx, lib, Config{Embedder: emb, Now: func() time.Time { return testAsOf }, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.AddMany(ctx, answerFixtures, nil); err != nil {
		t.Fatal(err)
	}
	a, err := e.Answer(ctx, Request{Question: "What guarantees does the Marsten foreign minister demand?"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkAnswerInvariants(t, a)
	if a.Mode != ModeExtractive || a.Sources[0].ArticleID != "demands" {
		t.Fatalf("got %+v", a)
	}
	info, ok, err := lib.Embedder(ctx)
	if err != nil || !ok || info.Name != "openai:text-embedding-3-small" || info.Dim != openaitest.DefaultEmbeddingDim {
		t.Fatalf("recorded embedder %+v (%v, %v)", info, ok, err)
	}
	lib.Close()

	// The same data with another embedder is refused.
	lib, err = corpus.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer lib.Close()
	if _, err := New(ctx, lib, Config{Logger: quietLogger()}); !errors.Is(err, corpus.ErrEmbedderMismatch) {
		t.Fatalf("err = %v, want ErrEmbedderMismatch", err)
	}
}

// EMBED_DIMENSIONS reaches the API and the library's embedder record: a
// library made with 256-dimension vectors refuses the same model at its
// own length, and the reverse.
func TestOpenAIEmbedderDimensionsRecorded(t *testing.T) {
	srv := openaitest.New(t)
	ctx := context.Background()
	dir := t.TempDir()
	lib, err := corpus.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	e, err := New(ctx, lib, Config{Embedder: newAPIEmbedder(t, srv, 256), Now: func() time.Time { return testAsOf }, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.AddMany(ctx, answerFixtures[:2], nil); err != nil {
		t.Fatal(err)
	}
	for _, r := range srv.EmbeddingRequests() {
		if r.Dimensions != 256 {
			t.Fatalf("an embeddings request without dimensions 256: %+v", r.Dimensions)
		}
	}
	info, ok, err := lib.Embedder(ctx)
	if err != nil || !ok || info.Name != "openai:text-embedding-3-small@256" || info.Dim != 256 {
		t.Fatalf("recorded embedder %+v (%v, %v)", info, ok, err)
	}
	lib.Close()

	lib, err = corpus.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer lib.Close()
	if _, err := New(ctx, lib, Config{Embedder: newAPIEmbedder(t, srv, 0), Logger: quietLogger()}); !errors.Is(err, corpus.ErrEmbedderMismatch) {
		t.Fatalf("model's own length over a 256-dimension library: err = %v, want ErrEmbedderMismatch", err)
	}
	if _, err := New(ctx, lib, Config{Embedder: newAPIEmbedder(t, srv, 512), Logger: quietLogger()}); !errors.Is(err, corpus.ErrEmbedderMismatch) {
		t.Fatalf("512 over a 256-dimension library: err = %v, want ErrEmbedderMismatch", err)
	}
	if _, err := New(ctx, lib, Config{Embedder: newAPIEmbedder(t, srv, 256), Logger: quietLogger()}); err != nil {
		t.Fatalf("the same length again: %v", err)
	}
}
