package transfer

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/attache-bot/attache/corpus"
)

func openLib(t *testing.T) *corpus.Library {
	t.Helper()
	lib, err := corpus.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lib.Close() })
	return lib
}

var info = corpus.EmbedderInfo{Name: "transfer-test", Dim: 4}

// fill puts n articles, every third in guild g1, into lib.
func fill(t *testing.T, lib corpus.Store, n int) {
	t.Helper()
	ctx := context.Background()
	if err := lib.CheckEmbedder(ctx, info); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		a := corpus.Article{ID: fmt.Sprintf("t-%d", i), Title: fmt.Sprintf("Article %d", i),
			Body: strings.Repeat(fmt.Sprintf("Sentence about topic %d. ", i), 30)}
		if i%3 == 0 {
			a.Scope = "g1"
			a.ID = corpus.ScopedID("g1", a.ID)
		}
		a.Normalize()
		chunks := corpus.Split(a, corpus.SplitOptions{})
		vecs := make([][]float32, len(chunks))
		for j := range vecs {
			vecs[j] = []float32{float32(i), float32(j), 1, 0}
		}
		if _, err := lib.Put(ctx, a, chunks, vecs); err != nil {
			t.Fatal(err)
		}
	}
}

func TestCopyVerify(t *testing.T) {
	ctx := context.Background()
	src, dst := openLib(t), openLib(t)
	fill(t, src, 12)
	var last int
	res, err := Copy(ctx, src, dst, Options{Workers: 3, Progress: func(done, total int) {
		if done < last || total != 12 {
			t.Errorf("progress %d of %d after %d", done, total, last)
		}
		last = done
	}})
	if err != nil || res.Copied != 12 || res.Skipped != 0 || last != 12 {
		t.Fatalf("Copy = %+v, %v (progress at %d)", res, err, last)
	}
	v, err := Verify(ctx, src, dst)
	if err != nil || !v.OK() || len(v.Scopes) != 2 || v.Scopes[0].Scope != corpus.SharedScope || v.Scopes[1].Source.Articles != 4 {
		t.Fatalf("Verify = %+v, %v", v, err)
	}
	if got := v.Scopes[0].Target; got.Articles != 8 || got.Chunks == 0 || got.Vectors != got.Chunks {
		t.Errorf("shared scope in the target: %+v", got)
	}

	// The target loses an article and gains one of its own.
	if err := dst.Remove(ctx, "g1", "t-3"); err != nil {
		t.Fatal(err)
	}
	a := corpus.Article{ID: "own", Scope: "g1", Title: "Own", Body: "The target's own article. It stays."}
	a.Normalize()
	chunks := corpus.Split(a, corpus.SplitOptions{})
	if _, err := dst.Put(ctx, a, chunks, [][]float32{{1, 2, 3, 4}}); err != nil {
		t.Fatal(err)
	}
	v, err = Verify(ctx, src, dst)
	if err != nil || v.OK() || v.Scopes[1].TargetOther != 1 || !strings.Contains(v.Mismatches(), "scope g1: source 4 articles") {
		t.Errorf("Verify after a loss = %+v, %v: %s", v, err, v.Mismatches())
	}
	// Copy again finds the lost one only.
	res, err = Copy(ctx, src, dst, Options{})
	if err != nil || res.Copied != 1 || res.Skipped != 11 {
		t.Errorf("second Copy = %+v, %v", res, err)
	}
	if v, err := Verify(ctx, src, dst); err != nil || !v.OK() {
		t.Errorf("Verify after the second copy: %s %v", v.Mismatches(), err)
	}
}

func TestCopyCancelledResumes(t *testing.T) {
	src, dst := openLib(t), openLib(t)
	fill(t, src, 20)
	ctx, cancel := context.WithCancel(context.Background())
	res, err := Copy(ctx, src, dst, Options{Workers: 2, Progress: func(done, total int) {
		if done == 5 {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) || res.Copied < 5 || res.Copied == 20 {
		t.Fatalf("cancelled Copy = %+v, %v", res, err)
	}
	res, err = Copy(context.Background(), src, dst, Options{})
	if err != nil || res.Copied+res.Skipped != 20 || res.Copied == 20 {
		t.Fatalf("resumed Copy = %+v, %v", res, err)
	}
	if n, _ := dst.Count(context.Background()); n != 20 {
		t.Errorf("%d articles after resuming, want 20", n)
	}
}

func TestCopyRefusesConflicts(t *testing.T) {
	ctx := context.Background()
	src := openLib(t)
	fill(t, src, 4)

	other := openLib(t)
	if err := other.CheckEmbedder(ctx, corpus.EmbedderInfo{Name: "another", Dim: 4}); err != nil {
		t.Fatal(err)
	}
	if _, err := Copy(ctx, src, other, Options{}); !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), "another") {
		t.Errorf("Copy into another embedder's library = %v", err)
	}

	// Another version of one of the source's articles.
	moved := openLib(t)
	if err := moved.CheckEmbedder(ctx, info); err != nil {
		t.Fatal(err)
	}
	a, err := src.Get(ctx, "t-1")
	if err != nil {
		t.Fatal(err)
	}
	chunks, _ := src.ArticleChunks(ctx, "t-1")
	st, _ := src.Stored(ctx, "t-1")
	vecs := make([][]float32, len(chunks))
	for i := range vecs {
		vecs[i] = st.Chunks[i].Vector
	}
	a.Title = "Changed"
	if _, err := moved.Put(ctx, a, chunks, vecs); err != nil {
		t.Fatal(err)
	}
	_, err = Copy(ctx, src, moved, Options{})
	if !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), "(t-1)") {
		t.Errorf("Copy over another version of t-1 = %v", err)
	}
	if n, _ := moved.Count(ctx); n != 1 {
		t.Errorf("the refused Copy wrote: %d articles", n)
	}
}

// TestCopyKeepsStories: a copy carries every article's stored story id and
// story data as they are (they are not recomputed from the text), so the
// target's stories are the source's.
func TestCopyKeepsStories(t *testing.T) {
	ctx := context.Background()
	src, dst := openLib(t), openLib(t)
	fill(t, src, 6)
	for i := range 6 {
		id := fmt.Sprintf("t-%d", i)
		if i%3 == 0 {
			id = corpus.ScopedID("g1", id)
		}
		a, err := src.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		a.StoryID, a.StoryData = fmt.Sprintf("st-%d", i/2), fmt.Sprintf("data of %d", i)
		stored, err := src.Stored(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		var vecs [][]float32
		for _, c := range stored.Chunks {
			vecs = append(vecs, c.Vector)
		}
		if _, err := src.Put(ctx, a, corpus.Split(a, corpus.SplitOptions{}), vecs); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := Copy(ctx, src, dst, Options{}); err != nil {
		t.Fatal(err)
	}
	sums, err := src.List(ctx)
	if err != nil || len(sums) != 6 {
		t.Fatalf("source lists %d articles, %v", len(sums), err)
	}
	for _, s := range sums {
		got, err := dst.Stored(ctx, s.ID)
		if err != nil {
			t.Fatal(err)
		}
		if s.StoryID == "" || got.StoryID != s.StoryID || got.StoryData != s.StoryData {
			t.Errorf("%s: copied story %q %q, source %q %q", s.ID, got.StoryID, got.StoryData, s.StoryID, s.StoryData)
		}
	}
}
