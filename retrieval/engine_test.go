package retrieval

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/attache-bot/attache/corpus"
	"go.uber.org/goleak"
)

// countingEmbedder wraps the local embedder and counts the texts embedded.
type countingEmbedder struct {
	LocalEmbedder
	name  string
	texts atomic.Int64
	fail  error
}

func (c *countingEmbedder) Name() string {
	if c.name != "" {
		return c.name
	}
	return c.LocalEmbedder.Name()
}

func (c *countingEmbedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	if c.fail != nil {
		return nil, c.fail
	}
	c.texts.Add(int64(len(texts)))
	return c.LocalEmbedder.Embed(ctx, texts)
}

func TestEngineRestartUsesStoredVectors(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	lib, err := corpus.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	emb := &countingEmbedder{}
	e, err := New(ctx, lib, Config{Embedder: emb})
	if err != nil {
		t.Fatal(err)
	}
	mustAdd(t, e, fixtureCorpus()...)
	before := search(t, e, Query{Text: "Where did Norland and Vesteria sign the fishing accord?", K: 10})
	if err := lib.Close(); err != nil {
		t.Fatal(err)
	}

	lib2, err := corpus.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer lib2.Close()
	emb2 := &countingEmbedder{}
	e2, err := New(ctx, lib2, Config{Embedder: emb2})
	if err != nil {
		t.Fatal(err)
	}
	if n := emb2.texts.Load(); n != 0 {
		t.Fatalf("start-up embedded %d texts; it must use the stored vectors", n)
	}
	after := search(t, e2, Query{Text: "Where did Norland and Vesteria sign the fishing accord?", K: 10})
	if strings.Join(ids(before), ",") != strings.Join(ids(after), ",") {
		t.Fatalf("results differ after restart:\n%v\n%v", ids(before), ids(after))
	}
	for i := range before {
		if d := before[i].Score - after[i].Score; d > 1e-6 || d < -1e-6 || before[i].ChunkID != after[i].ChunkID {
			t.Fatalf("passage %d differs: %+v vs %+v", i, before[i], after[i])
		}
	}
	if e2.lib != lib2 || e2.Embedder() != Embedder(emb2) || e2.Config().K != DefaultK {
		t.Fatal("accessors")
	}
}

func TestEngineEmbedderMismatch(t *testing.T) {
	ctx := context.Background()
	lib, err := corpus.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer lib.Close()
	e, err := New(ctx, lib, Config{})
	if err != nil {
		t.Fatal(err)
	}
	mustAdd(t, e, fixtureCorpus()[0])
	_, err = New(ctx, lib, Config{Embedder: &countingEmbedder{name: "other-embedder-v9"}})
	if !errors.Is(err, corpus.ErrEmbedderMismatch) {
		t.Fatalf("err %v, want ErrEmbedderMismatch", err)
	}
	for _, want := range []string{"re-index", "other-embedder-v9", LocalEmbedderName} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message lacks %q: %v", want, err)
		}
	}
	if _, err := New(ctx, nil, Config{}); err == nil {
		t.Error("nil library accepted")
	}
}

func TestEngineAddRejects(t *testing.T) {
	e, _ := newTestEngine(t, Config{MaxBodyBytes: 2000})
	ctx := context.Background()
	for name, a := range map[string]corpus.Article{
		"no title":  {Body: "text"},
		"no body":   {Title: "t", Body: "  "},
		"too big":   {Title: "t", Body: strings.Repeat("word ", 1000)},
		"bad utf-8": {Title: "t", Body: "abc \xff"},
	} {
		if _, _, err := e.Add(ctx, a); !errors.Is(err, corpus.ErrInvalidArticle) {
			t.Errorf("%s: err %v", name, err)
		}
	}
	// Derived id, normalised scope.
	got, st, err := e.Add(ctx, corpus.Article{Title: " Quay fire ", Body: "A fire broke out on the Halvik quay.", URL: "https://News.Example.test/quay/?utm_source=x"})
	if err != nil || st != corpus.Added || got.ID == "" || got.Scope != corpus.SharedScope || got.Title != "Quay fire" {
		t.Fatalf("derived id: %+v %v %v", got, st, err)
	}
	// The same id in a guild's scope is that guild's own article: the shared
	// one is untouched.
	other := got
	other.Scope = "555"
	other.Body = "Different text about a quay fire."
	own, st, err := e.Add(ctx, other)
	if err != nil || st != corpus.Added || own.ID != got.ID+"@555" {
		t.Fatalf("same id in a guild: %+v %v %v", own, st, err)
	}
	if ps := search(t, e, Query{Text: "fire Halvik quay"}); len(ps) != 1 || ps[0].ArticleID != got.ID || !strings.Contains(ps[0].Text, "broke out") {
		t.Fatalf("shared article after a guild's article of the same id: %+v", ps)
	}
	// A shared article may not take a guild article's stored id (an id
	// with "@" is invalid outside its guild, whether or not the guild has
	// it), and the index is untouched.
	taken := got
	taken.ID = own.ID
	taken.Body = "Yet another text about a quay fire."
	if _, _, err := e.Add(ctx, taken); !errors.Is(err, corpus.ErrInvalidArticle) {
		t.Fatalf("a shared article with a guild's stored id: %v", err)
	}
	if ps := search(t, e, Query{Text: "fire Halvik quay", Scope: "555", K: 10}); len(ps) != 2 || !has(ps, own.ID) || !has(ps, got.ID) {
		t.Fatalf("after refused conflict: %+v", ps)
	}
	// An embedder failure stores nothing.
	bad, _ := newTestEngine(t, Config{Embedder: &countingEmbedder{fail: errors.New("embedding service down")}})
	if _, _, err := bad.Add(ctx, fixtureCorpus()[0]); err == nil || !strings.Contains(err.Error(), "embedding service down") {
		t.Fatalf("embed failure: %v", err)
	}
	if n, _ := bad.lib.Count(ctx); n != 0 {
		t.Fatalf("library has %d articles after a failed embed", n)
	}
}

func TestEngineAddMany(t *testing.T) {
	// Registered first, so it runs after the library's own clean-up.
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
	e, _ := newTestEngine(t, Config{IngestWorkers: 3})
	ctx := context.Background()
	arts := fixtureCorpus()
	arts = append(arts, corpus.Article{Title: "", Body: "no title"}, arts[0]) // a reject and a duplicate
	type call struct {
		i  int
		id string
		st corpus.PutStatus
		ok bool
	}
	var calls []call
	err := e.AddMany(ctx, arts, func(i int, a corpus.Article, st corpus.PutStatus, err error) {
		calls = append(calls, call{i, a.ID, st, err == nil})
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(calls) != len(arts) {
		t.Fatalf("%d progress calls for %d articles", len(calls), len(arts))
	}
	for i, c := range calls {
		if c.i != i {
			t.Fatalf("progress out of order: %+v", calls)
		}
	}
	n := len(fixtureCorpus())
	if calls[n].ok || !calls[n+1].ok || calls[n+1].st != corpus.Unchanged {
		t.Fatalf("reject/duplicate: %+v", calls[n:])
	}
	for _, c := range calls[:n] {
		if !c.ok || c.st != corpus.Added {
			t.Fatalf("article %s: %+v", c.id, c)
		}
	}
	if ps := search(t, e, Query{Text: "Quorvia rail strike pay"}); len(ps) == 0 || ps[0].ArticleID != "rail-strike" {
		t.Fatalf("after AddMany: %v", ids(ps))
	}
	if err := e.AddMany(ctx, nil, nil); err != nil {
		t.Fatalf("empty: %v", err)
	}
}

func TestEngineAddManyCancel(t *testing.T) {
	// Registered first, so it runs after the library's own clean-up.
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
	e, lib := newTestEngine(t, Config{IngestWorkers: 2})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var arts []corpus.Article
	for i := range 200 {
		a := art("bulk-"+strings.Repeat("x", i%3)+string(rune('a'+i%26))+strings.Repeat("y", i/26), corpus.SharedScope, "2025-07-01",
			"Bulk story", "Bulk body text about harbours and ferries number "+strings.Repeat("z", i))
		arts = append(arts, a)
	}
	seen := 0
	err := e.AddMany(ctx, arts, func(i int, a corpus.Article, st corpus.PutStatus, err error) {
		seen++
		if i == 9 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
	if seen != 10 {
		t.Fatalf("progress called %d times after cancelling at 10", seen)
	}
	// What was written is complete in both the library and the index.
	n, _ := lib.Count(context.Background())
	if n < 10 || n != e.ix.Len() {
		t.Fatalf("library %d articles, index %d", n, e.ix.Len())
	}
}
