// Package librarytest is the conformance suite of the article library:
// the guarantees the engine and its followers rely on, written once and
// run against every implementation (the SQLite library in package corpus,
// the PostgreSQL one in package postgres).
package librarytest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/attache-bot/attache/corpus"
)

// Library is the method set the engine and its change-feed follower use:
// corpus.Store, which every implementation satisfies.
type Library = corpus.Store

// Open makes a new, empty library for one test and returns it with a
// function that opens another handle on the same store, as a second
// process would. Both are closed (and the store discarded) when the test
// ends; Open fails the test if the store cannot be made.
type Open func(t *testing.T) (lib Library, another func(t *testing.T) Library)

// Run runs every case of the suite against libraries made by open.
func Run(t *testing.T, open Open) {
	cases := []struct {
		name string
		fn   func(t *testing.T, open Open)
	}{
		{"PutUpdateUnchanged", testPutUpdateUnchanged},
		{"PutRejectsBadInput", testPutRejectsBadInput},
		{"HostileText", testHostileText},
		{"Remove", testRemove},
		{"Scopes", testScopes},
		{"ExplicitIDs", testExplicitIDs},
		{"ScopeConflict", testScopeConflict},
		{"Embedder", testEmbedder},
		{"EmbedderUnrecorded", testEmbedderUnrecorded},
		{"ChunksAndStored", testChunksAndStored},
		{"ChangeFeed", testChangeFeed},
		{"ChangeFeedPruned", testChangeFeedPruned},
		{"WatchAnotherHandle", testWatchAnotherHandle},
		{"ConcurrentWriters", testConcurrentWriters},
		{"FullText", testFullText},
		{"FullTextBadTerms", testFullTextBadTerms},
	}
	cases = append(cases, storyCases...)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.fn(t, open) })
	}
}

// Dim is the dimension of the suite's vectors.
const Dim = 8

// embedder is the suite's recorded embedder.
var embedder = corpus.EmbedderInfo{Name: "conformance-v1", Dim: Dim}

func newLib(t *testing.T, open Open) (Library, func(t *testing.T) Library) {
	t.Helper()
	lib, another := open(t)
	if err := lib.CheckEmbedder(context.Background(), embedder); err != nil {
		t.Fatalf("CheckEmbedder: %v", err)
	}
	return lib, another
}

// article returns a normalised article; published is YYYY-MM-DD or "".
func article(id, scope, title, published, body string) corpus.Article {
	a := corpus.Article{ID: id, Scope: scope, Title: title, Source: "Test Wire", Language: "en", Body: body}
	if published != "" {
		d, err := time.Parse(corpus.DateLayout, published)
		if err != nil {
			panic(err)
		}
		a.Published = d
	}
	a.Normalize()
	return a
}

// split cuts a into small chunks (so that a few sentences make several)
// and gives each a distinct deterministic vector of dim dimensions.
func split(a corpus.Article, dim int) ([]corpus.Chunk, [][]float32) {
	chunks := corpus.Split(a, corpus.SplitOptions{TargetBytes: 60, MaxBytes: 120})
	vecs := make([][]float32, len(chunks))
	for i, c := range chunks {
		v := make([]float32, dim)
		for j := range v {
			v[j] = float32(len(c.ID)+i*dim+j) / 100
		}
		vecs[i] = v
	}
	return chunks, vecs
}

func put(t *testing.T, lib Library, a corpus.Article) corpus.PutStatus {
	t.Helper()
	chunks, vecs := split(a, Dim)
	st, err := lib.Put(context.Background(), a, chunks, vecs)
	if err != nil {
		t.Fatalf("Put %s: %v", a.ID, err)
	}
	return st
}

func counts(t *testing.T, lib Library) (articles, chunks int) {
	t.Helper()
	ctx := context.Background()
	n, err := lib.Count(ctx)
	if err != nil {
		t.Fatalf("Count: %v", err)
	}
	c, err := lib.ChunkCount(ctx)
	if err != nil {
		t.Fatalf("ChunkCount: %v", err)
	}
	return n, c
}

const bodyA = "Floods hit the northern province on Monday. Rescue teams reached three villages. " +
	"The river rose two metres overnight. Officials said more rain is expected."

func testPutUpdateUnchanged(t *testing.T, open Open) {
	ctx := context.Background()
	lib, _ := newLib(t, open)
	a := article("flood-1", corpus.SharedScope, "Floods in the north", "2026-03-02", bodyA)
	chunks, _ := split(a, Dim)
	if len(chunks) < 2 {
		t.Fatalf("test article has %d chunks, want several", len(chunks))
	}
	if st := put(t, lib, a); st != corpus.Added {
		t.Fatalf("first Put = %v, want added", st)
	}
	got, err := lib.Get(ctx, a.ID)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if got != a {
		t.Errorf("Get = %+v\nwant %+v", got, a)
	}
	s, err := lib.Summary(ctx, a.ID)
	if err != nil {
		t.Fatalf("Summary: %v", err)
	}
	if s.ID != a.ID || s.Scope != a.Scope || s.Title != a.Title || s.Source != a.Source || !s.Published.Equal(a.Published) || s.Chunks != len(chunks) {
		t.Errorf("Summary = %+v, want the article's fields and %d chunks", s, len(chunks))
	}
	if h, found, err := lib.ContentHash(ctx, a.ID); err != nil || !found || h != corpus.Hash(a) {
		t.Errorf("ContentHash = %q, %v, %v; want %q", h, found, err, corpus.Hash(a))
	}
	if _, found, err := lib.ContentHash(ctx, "nope"); err != nil || found {
		t.Errorf("ContentHash(absent) = found %v, %v", found, err)
	}
	if st := put(t, lib, a); st != corpus.Unchanged {
		t.Errorf("same Put again = %v, want unchanged", st)
	}

	b := a
	b.Body = "Floods receded on Tuesday. Families returned home. Schools stay closed until Friday."
	b.Normalize()
	bChunks, _ := split(b, Dim)
	if st := put(t, lib, b); st != corpus.Updated {
		t.Fatalf("changed Put = %v, want updated", st)
	}
	if n, c := counts(t, lib); n != 1 || c != len(bChunks) {
		t.Errorf("after update: %d articles, %d chunks; want 1, %d (old chunks replaced)", n, c, len(bChunks))
	}
	stored, err := lib.ArticleChunks(ctx, a.ID)
	if err != nil {
		t.Fatalf("ArticleChunks: %v", err)
	}
	if !slices.Equal(stored, bChunks) {
		t.Errorf("ArticleChunks = %+v\nwant %+v", stored, bChunks)
	}
	ids := []string{bChunks[0].ID, bChunks[len(bChunks)-1].ID, "flood-1#99"}
	texts, err := lib.ChunkTexts(ctx, ids)
	if err != nil {
		t.Fatalf("ChunkTexts: %v", err)
	}
	if len(texts) != 2 || texts[ids[0]] != bChunks[0].Text || texts[ids[1]] != bChunks[len(bChunks)-1].Text {
		t.Errorf("ChunkTexts = %q", texts)
	}
	if got, err := lib.Get(ctx, a.ID); err != nil || got.Body != b.Body {
		t.Errorf("Get after update: body %q, %v", got.Body, err)
	}
	hashes, err := lib.ArticleHashes(ctx)
	if err != nil || len(hashes) != 1 || hashes[a.ID] != corpus.Hash(b) {
		t.Errorf("ArticleHashes = %v, %v; want {%s: %s}", hashes, err, a.ID, corpus.Hash(b))
	}
	if _, err := lib.Get(ctx, "absent"); !errors.Is(err, corpus.ErrNotFound) {
		t.Errorf("Get(absent) = %v, want ErrNotFound", err)
	}
	if _, err := lib.Summary(ctx, "absent"); !errors.Is(err, corpus.ErrNotFound) {
		t.Errorf("Summary(absent) = %v, want ErrNotFound", err)
	}
	if _, err := lib.ArticleChunks(ctx, "absent"); !errors.Is(err, corpus.ErrNotFound) {
		t.Errorf("ArticleChunks(absent) = %v, want ErrNotFound", err)
	}
	if _, err := lib.Stored(ctx, "absent"); !errors.Is(err, corpus.ErrNotFound) {
		t.Errorf("Stored(absent) = %v, want ErrNotFound", err)
	}
}

func testPutRejectsBadInput(t *testing.T, open Open) {
	ctx := context.Background()
	lib, _ := newLib(t, open)
	a := article("bad-1", corpus.SharedScope, "Title", "", bodyA)
	chunks, vecs := split(a, Dim)
	noID := a
	noID.ID = ""
	wrongText := slices.Clone(chunks)
	wrongText[0].Text = "not the body"
	foreign := slices.Clone(chunks)
	foreign[0].ArticleID = "other"
	mixed := slices.Clone(vecs)
	mixed[1] = make([]float32, Dim+1)
	empty := slices.Clone(vecs)
	empty[0] = nil
	noTitle := a
	noTitle.Title = ""
	for _, c := range []struct {
		name   string
		a      corpus.Article
		chunks []corpus.Chunk
		vecs   [][]float32
	}{
		{"no id", noID, chunks, vecs},
		{"no title", noTitle, chunks, vecs},
		{"fewer vectors", a, chunks, vecs[1:]},
		{"chunk text not the body's", a, wrongText, vecs},
		{"chunk of another article", a, foreign, vecs},
		{"mixed dimensions", a, chunks, mixed},
		{"empty vector", a, chunks, empty},
	} {
		if _, err := lib.Put(ctx, c.a, c.chunks, c.vecs); err == nil {
			t.Errorf("Put with %s: no error", c.name)
		}
	}
	if _, err := lib.Put(ctx, a, chunks, mixed); !errors.Is(err, corpus.ErrEmbedderMismatch) {
		t.Errorf("Put with mixed dimensions = %v, want ErrEmbedderMismatch", err)
	}
	if n, c := counts(t, lib); n != 0 || c != 0 {
		t.Errorf("rejected Puts stored %d articles, %d chunks", n, c)
	}
	if h, err := lib.Head(ctx); err != nil || h != 0 {
		if err != nil {
			t.Fatalf("Head: %v", err)
		}
		ch, err := lib.Changes(ctx, 0, 0)
		if err != nil || len(ch) != 0 {
			t.Errorf("rejected Puts logged changes: %v, %v", ch, err)
		}
	}
	// The same article whole goes in afterwards.
	if st := put(t, lib, a); st != corpus.Added {
		t.Errorf("valid Put after rejections = %v", st)
	}
}

func testHostileText(t *testing.T, open Open) {
	ctx := context.Background()
	lib, _ := newLib(t, open)
	for i, id := range []string{
		`x'); DROP TABLE articles; --`,
		`quote"d\back%_slash`,
		"ünïcödé-名前-🙂",
	} {
		a := article(id, corpus.SharedScope, "Title with 'quotes' and \"doubles\" %s _", "2026-01-0"+fmt.Sprint(i+1),
			"Body with 'quotes', \"doubles\", back\\slashes and 100% of _wildcards_. Then a ünïcödé 名前 sentence.")
		put(t, lib, a)
		got, err := lib.Get(ctx, id)
		if err != nil || got != a {
			t.Errorf("Get(%q) = %+v, %v\nwant %+v", id, got, err, a)
		}
		if stored, err := lib.Lookup(ctx, corpus.SharedScope, id); err != nil || stored != id {
			t.Errorf("Lookup(%q) = %q, %v", id, stored, err)
		}
	}
	if _, err := lib.Lookup(ctx, corpus.SharedScope, "x%"); !errors.Is(err, corpus.ErrNotFound) {
		t.Errorf("Lookup with a wildcard = %v, want ErrNotFound (ids are matched exactly)", err)
	}
	if n, _ := counts(t, lib); n != 3 {
		t.Errorf("%d articles, want 3", n)
	}
}

func testRemove(t *testing.T, open Open) {
	ctx := context.Background()
	lib, _ := newLib(t, open)
	a := article("rm-1", corpus.SharedScope, "Remove me", "2026-01-01", bodyA)
	b := article("rm-2", corpus.SharedScope, "Keep me", "2026-01-02", "Another article entirely. It stays.")
	put(t, lib, a)
	put(t, lib, b)
	if err := lib.Remove(ctx, "guild-1", a.ID); !errors.Is(err, corpus.ErrNotFound) {
		t.Errorf("Remove from another scope = %v, want ErrNotFound", err)
	}
	if err := lib.Remove(ctx, "", a.ID); err != nil { // "" is the shared scope
		t.Fatalf("Remove: %v", err)
	}
	if _, err := lib.Get(ctx, a.ID); !errors.Is(err, corpus.ErrNotFound) {
		t.Errorf("Get after Remove = %v, want ErrNotFound", err)
	}
	bChunks, _ := split(b, Dim)
	if n, c := counts(t, lib); n != 1 || c != len(bChunks) {
		t.Errorf("after Remove: %d articles, %d chunks; want 1, %d", n, c, len(bChunks))
	}
	if err := lib.Remove(ctx, corpus.SharedScope, a.ID); !errors.Is(err, corpus.ErrNotFound) {
		t.Errorf("second Remove = %v, want ErrNotFound", err)
	}
	texts, err := lib.ChunkTexts(ctx, []string{corpus.ChunkID(a.ID, 0)})
	if err != nil || len(texts) != 0 {
		t.Errorf("ChunkTexts of a removed article = %v, %v", texts, err)
	}
	// Removed and put again: added anew.
	if st := put(t, lib, a); st != corpus.Added {
		t.Errorf("Put after Remove = %v, want added", st)
	}
}

func testScopes(t *testing.T, open Open) {
	ctx := context.Background()
	lib, _ := newLib(t, open)
	arts := []corpus.Article{
		article("s-old", corpus.SharedScope, "Old shared", "2025-12-01", "Old news. Still news."),
		article("s-new", corpus.SharedScope, "New shared", "2026-02-01", "New news. Fresh news."),
		article("s-undated", corpus.SharedScope, "Undated shared", "", "Some news. Without a date."),
		article(corpus.ScopedID("g1", "r1"), "g1", "Guild one", "2026-01-15", "Guild news. For guild one."),
		article(corpus.ScopedID("g2", "r1"), "g2", "Guild two", "2026-01-20", "Guild news. For guild two."),
	}
	for _, a := range arts {
		put(t, lib, a)
	}
	ids := func(ss []corpus.Summary) []string {
		var out []string
		for _, s := range ss {
			out = append(out, s.ID)
		}
		return out
	}
	all, err := lib.List(ctx)
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if want := []string{"s-new", "r1@g2", "r1@g1", "s-old", "s-undated"}; !slices.Equal(ids(all), want) {
		t.Errorf("List() = %v, want %v (newest first, undated last)", ids(all), want)
	}
	g1, err := lib.List(ctx, corpus.SharedScope, "g1")
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if want := []string{"s-new", "r1@g1", "s-old", "s-undated"}; !slices.Equal(ids(g1), want) {
		t.Errorf("List(shared, g1) = %v, want %v", ids(g1), want)
	}
	only, err := lib.List(ctx, "g2")
	if err != nil || !slices.Equal(ids(only), []string{"r1@g2"}) {
		t.Errorf("List(g2) = %v, %v", ids(only), err)
	}
	none, err := lib.List(ctx, "g3")
	if err != nil || len(none) != 0 {
		t.Errorf("List(g3) = %v, %v; want none", ids(none), err)
	}
	seqs := map[int64]bool{}
	for _, s := range all {
		if s.Seq == 0 || seqs[s.Seq] {
			t.Errorf("Summary %s has seq %d (zero or repeated)", s.ID, s.Seq)
		}
		seqs[s.Seq] = true
		chunks, _ := split(arts[slices.IndexFunc(arts, func(a corpus.Article) bool { return a.ID == s.ID })], Dim)
		if s.Chunks != len(chunks) {
			t.Errorf("Summary %s: %d chunks, want %d", s.ID, s.Chunks, len(chunks))
		}
	}
}

func testExplicitIDs(t *testing.T, open Open) {
	ctx := context.Background()
	lib, _ := newLib(t, open)
	put(t, lib, article(corpus.ScopedID("g1", "ds-1"), "g1", "One", "", "Guild one's record. It is theirs."))
	put(t, lib, article(corpus.ScopedID("g2", "ds-1"), "g2", "Two", "", "Guild two's record. It is theirs."))
	put(t, lib, article("ds-2", corpus.SharedScope, "Shared", "", "A shared record. Everyone reads it."))
	for _, c := range []struct {
		scope, id, want string
	}{
		{"g1", "ds-1", "ds-1@g1"},
		{"g1", "ds-1@g1", "ds-1@g1"},
		{"g2", "ds-1", "ds-1@g2"},
		{corpus.SharedScope, "ds-2", "ds-2"},
		{"", "ds-2", "ds-2"},
	} {
		if got, err := lib.Lookup(ctx, c.scope, c.id); err != nil || got != c.want {
			t.Errorf("Lookup(%q, %q) = %q, %v; want %q", c.scope, c.id, got, err, c.want)
		}
	}
	for _, c := range []struct{ scope, id string }{
		{"g3", "ds-1"}, {"g1", "ds-1@g2"}, {corpus.SharedScope, "ds-1"}, {"g1", "ds-2"}, {"g1", ""},
	} {
		if got, err := lib.Lookup(ctx, c.scope, c.id); !errors.Is(err, corpus.ErrNotFound) {
			t.Errorf("Lookup(%q, %q) = %q, %v; want ErrNotFound", c.scope, c.id, got, err)
		}
	}
	if err := lib.Remove(ctx, "g1", "ds-1"); err != nil {
		t.Fatalf("Remove(g1, ds-1): %v", err)
	}
	if _, err := lib.Get(ctx, "ds-1@g2"); err != nil {
		t.Errorf("guild two's record after guild one removed its own: %v", err)
	}
	if _, err := lib.Get(ctx, "ds-1@g1"); !errors.Is(err, corpus.ErrNotFound) {
		t.Errorf("guild one's record after Remove: %v", err)
	}
}

func testScopeConflict(t *testing.T, open Open) {
	ctx := context.Background()
	lib, _ := newLib(t, open)
	a := article("same-id", corpus.SharedScope, "Shared", "", bodyA)
	put(t, lib, a)
	head, err := lib.Head(ctx)
	if err != nil {
		t.Fatalf("Head: %v", err)
	}
	b := article("same-id", "g1", "Guild's", "", "A guild tries to replace it. It must fail.")
	chunks, vecs := split(b, Dim)
	if _, err := lib.Put(ctx, b, chunks, vecs); !errors.Is(err, corpus.ErrScopeConflict) {
		t.Fatalf("Put of another scope's id = %v, want ErrScopeConflict", err)
	}
	if err := lib.Remove(ctx, "g1", "same-id"); !errors.Is(err, corpus.ErrNotFound) {
		t.Errorf("Remove of another scope's id = %v, want ErrNotFound", err)
	}
	if got, err := lib.Get(ctx, a.ID); err != nil || got != a {
		t.Errorf("the shared article after the conflict: %+v, %v", got, err)
	}
	if h, err := lib.Head(ctx); err != nil || h != head {
		t.Errorf("Head after a refused Put = %d, %v; want %d", h, err, head)
	}
}

func testEmbedder(t *testing.T, open Open) {
	ctx := context.Background()
	lib, another := open(t)
	if _, ok, err := lib.Embedder(ctx); err != nil || ok {
		t.Fatalf("Embedder of a new library = recorded %v, %v", ok, err)
	}
	for _, bad := range []corpus.EmbedderInfo{{}, {Name: "x"}, {Name: "", Dim: 4}, {Name: "x", Dim: -1}} {
		if err := lib.CheckEmbedder(ctx, bad); err == nil {
			t.Errorf("CheckEmbedder(%+v): no error", bad)
		}
	}
	if _, ok, _ := lib.Embedder(ctx); ok {
		t.Fatal("a refused CheckEmbedder recorded an embedder")
	}
	if err := lib.CheckEmbedder(ctx, embedder); err != nil {
		t.Fatalf("CheckEmbedder: %v", err)
	}
	other := another(t)
	if got, ok, err := other.Embedder(ctx); err != nil || !ok || got != embedder {
		t.Errorf("Embedder on another handle = %+v, %v, %v; want %+v", got, ok, err, embedder)
	}
	if err := other.CheckEmbedder(ctx, embedder); err != nil {
		t.Errorf("CheckEmbedder with the same embedder: %v", err)
	}
	for _, mixed := range []corpus.EmbedderInfo{{Name: "other-v1", Dim: Dim}, {Name: embedder.Name, Dim: 2 * Dim}} {
		if err := other.CheckEmbedder(ctx, mixed); !errors.Is(err, corpus.ErrEmbedderMismatch) {
			t.Errorf("CheckEmbedder(%+v) = %v, want ErrEmbedderMismatch", mixed, err)
		}
	}
	a := article("e-1", corpus.SharedScope, "Wrong size", "", bodyA)
	chunks, vecs := split(a, 2*Dim)
	if _, err := lib.Put(ctx, a, chunks, vecs); !errors.Is(err, corpus.ErrEmbedderMismatch) {
		t.Errorf("Put of %d-dimension vectors into a %d-dimension library = %v, want ErrEmbedderMismatch", 2*Dim, Dim, err)
	}
	if n, _ := counts(t, lib); n != 0 {
		t.Errorf("the refused Put stored %d articles", n)
	}
	if got, _, _ := lib.Embedder(ctx); got != embedder {
		t.Errorf("Embedder after refusals = %+v", got)
	}
}

func testEmbedderUnrecorded(t *testing.T, open Open) {
	ctx := context.Background()
	lib, _ := open(t)
	// Vectors stored by a caller that skipped CheckEmbedder still fix the
	// dimension.
	put(t, lib, article("u-1", corpus.SharedScope, "Unrecorded", "", bodyA))
	if err := lib.CheckEmbedder(ctx, corpus.EmbedderInfo{Name: "wide", Dim: 2 * Dim}); !errors.Is(err, corpus.ErrEmbedderMismatch) {
		t.Errorf("CheckEmbedder of another dimension over stored vectors = %v, want ErrEmbedderMismatch", err)
	}
	b := article("u-2", corpus.SharedScope, "Wide", "", "Wide vectors. Must not mix.")
	chunks, vecs := split(b, 2*Dim)
	if _, err := lib.Put(ctx, b, chunks, vecs); !errors.Is(err, corpus.ErrEmbedderMismatch) {
		t.Errorf("Put of other-size vectors = %v, want ErrEmbedderMismatch", err)
	}
	if err := lib.CheckEmbedder(ctx, embedder); err != nil {
		t.Errorf("CheckEmbedder of the stored dimension: %v", err)
	}
	if got, ok, err := lib.Embedder(ctx); err != nil || !ok || got != embedder {
		t.Errorf("Embedder = %+v, %v, %v", got, ok, err)
	}
}

func testChunksAndStored(t *testing.T, open Open) {
	ctx := context.Background()
	lib, _ := newLib(t, open)
	a := article("c-1", corpus.SharedScope, "Chunks", "2026-02-03", bodyA)
	b := article(corpus.ScopedID("g1", "c-2"), "g1", "More chunks", "", "Second article. With its own chunks. Three of them perhaps.")
	put(t, lib, a)
	put(t, lib, b)
	want := map[string]corpus.Article{a.ID: a, b.ID: b}
	seen := map[string]corpus.StoredChunk{}
	seqs := map[int64]bool{}
	err := lib.Chunks(ctx, func(c corpus.StoredChunk) error {
		if c.Text != "" {
			t.Errorf("Chunks gave %s with its text", c.ID)
		}
		art, ok := want[c.ArticleID]
		if !ok {
			t.Errorf("chunk %s of unknown article %q", c.ID, c.ArticleID)
			return nil
		}
		if c.Scope != art.Scope || !c.Published.Equal(art.Published) {
			t.Errorf("chunk %s: scope %q published %v; want %q %v", c.ID, c.Scope, c.Published, art.Scope, art.Published)
		}
		if seqs[c.Seq] || c.Seq == 0 {
			t.Errorf("chunk %s: seq %d zero or repeated", c.ID, c.Seq)
		}
		seqs[c.Seq] = true
		seen[c.ID] = c
		return nil
	})
	if err != nil {
		t.Fatalf("Chunks: %v", err)
	}
	for _, art := range []corpus.Article{a, b} {
		chunks, vecs := split(art, Dim)
		for i, c := range chunks {
			got, ok := seen[c.ID]
			if !ok {
				t.Errorf("Chunks missed %s", c.ID)
				continue
			}
			if got.Index != c.Index || got.Start != c.Start || got.End != c.End || !slices.Equal(got.Vector, vecs[i]) {
				t.Errorf("chunk %s = %+v, want offsets %d-%d and vector %v", c.ID, got, c.Start, c.End, vecs[i])
			}
		}
		s, err := lib.Stored(ctx, art.ID)
		if err != nil {
			t.Fatalf("Stored: %v", err)
		}
		if s.ID != art.ID || s.Hash != corpus.Hash(art) || s.Summary.Chunks != len(chunks) {
			t.Errorf("Stored(%s) = summary %+v hash %s", art.ID, s.Summary, s.Hash)
		}
		if len(s.Chunks) != len(chunks) {
			t.Fatalf("Stored(%s) has %d chunks, want %d", art.ID, len(s.Chunks), len(chunks))
		}
		for i, c := range s.Chunks {
			if c.ID != chunks[i].ID || c.Seq != seen[c.ID].Seq || !slices.Equal(c.Vector, vecs[i]) || c.Scope != art.Scope {
				t.Errorf("Stored(%s) chunk %d = %+v", art.ID, i, c)
			}
		}
	}
	// With scopes, only theirs (a shard's engine reads only what it holds).
	for _, tc := range []struct {
		scopes []string
		want   []string
	}{
		{[]string{"g1"}, []string{b.ID}},
		{[]string{corpus.SharedScope}, []string{a.ID}},
		{[]string{"g1", corpus.SharedScope}, []string{a.ID, b.ID}},
		{[]string{"g-none", "x'); DROP TABLE chunks; --"}, nil},
	} {
		got := map[string]int{}
		if err := lib.Chunks(ctx, func(c corpus.StoredChunk) error { got[c.ArticleID]++; return nil }, tc.scopes...); err != nil {
			t.Fatalf("Chunks(%q): %v", tc.scopes, err)
		}
		if len(got) != len(tc.want) {
			t.Errorf("Chunks(%q) gave the chunks of %v, want %v", tc.scopes, got, tc.want)
		}
		for _, id := range tc.want {
			if chunks, _ := split(want[id], Dim); got[id] != len(chunks) {
				t.Errorf("Chunks(%q) gave %d chunks of %s, want %d", tc.scopes, got[id], id, len(chunks))
			}
		}
	}
	stop := errors.New("stop")
	n := 0
	if err := lib.Chunks(ctx, func(corpus.StoredChunk) error { n++; return stop }); !errors.Is(err, stop) || n != 1 {
		t.Errorf("Chunks with fn failing = %v after %d calls; want fn's error after 1", err, n)
	}
}

// changes reads the whole log after pos.
func changes(t *testing.T, lib Library, after int64) []corpus.Change {
	t.Helper()
	ch, err := lib.Changes(context.Background(), after, 0)
	if err != nil {
		t.Fatalf("Changes(%d): %v", after, err)
	}
	return ch
}

func kinds(ch []corpus.Change) string {
	var b strings.Builder
	for _, c := range ch {
		fmt.Fprintf(&b, "%s:%s@%s ", c.Kind, c.ArticleID, c.Scope)
	}
	return strings.TrimSpace(b.String())
}

func testChangeFeed(t *testing.T, open Open) {
	ctx := context.Background()
	lib, _ := newLib(t, open)
	start, err := lib.Head(ctx)
	if err != nil {
		t.Fatalf("Head: %v", err)
	}
	if ch := changes(t, lib, start); len(ch) != 0 {
		t.Errorf("Changes at the head of a new library = %v", kinds(ch))
	}
	a := article("f-1", corpus.SharedScope, "Feed", "", bodyA)
	put(t, lib, a)
	put(t, lib, a) // unchanged: no entry
	b := a
	b.Body = "Updated body. Quite different."
	b.Normalize()
	put(t, lib, b)
	g := article(corpus.ScopedID("g1", "f-2"), "g1", "Guild", "", "Guild's article. Logged too.")
	put(t, lib, g)
	if err := lib.Remove(ctx, corpus.SharedScope, a.ID); err != nil {
		t.Fatalf("Remove: %v", err)
	}
	ch := changes(t, lib, start)
	if got, want := kinds(ch), "put:f-1@shared put:f-1@shared put:f-2@g1@g1 remove:f-1@shared"; got != want {
		t.Fatalf("Changes = %s\nwant %s", got, want)
	}
	for i, c := range ch {
		if i > 0 && c.Seq <= ch[i-1].Seq {
			t.Errorf("change %d has seq %d after %d: not increasing", i, c.Seq, ch[i-1].Seq)
		}
		if c.At.IsZero() || time.Since(c.At) > time.Hour || time.Until(c.At) > time.Hour {
			t.Errorf("change %d at %v, want about now", i, c.At)
		}
	}
	head, err := lib.Head(ctx)
	if err != nil || head != ch[len(ch)-1].Seq {
		t.Errorf("Head = %d, %v; want the last change's seq %d", head, err, ch[len(ch)-1].Seq)
	}
	if got := changes(t, lib, ch[1].Seq); kinds(got) != "put:f-2@g1@g1 remove:f-1@shared" {
		t.Errorf("Changes after the second = %s", kinds(got))
	}
	if got, err := lib.Changes(ctx, start, 2); err != nil || len(got) != 2 || got[0].Seq != ch[0].Seq {
		t.Errorf("Changes with limit 2 = %s, %v", kinds(got), err)
	}
	if got := changes(t, lib, head); len(got) != 0 {
		t.Errorf("Changes at the head = %s", kinds(got))
	}
	if _, err := lib.Changes(ctx, head+1000, 0); !errors.Is(err, corpus.ErrFellBehind) {
		t.Errorf("Changes after a position never given out = %v, want ErrFellBehind", err)
	}
	if _, err := lib.Changes(ctx, -1, 0); err == nil {
		t.Error("Changes(-1): no error")
	}
}

func testChangeFeedPruned(t *testing.T, open Open) {
	ctx := context.Background()
	lib, _ := newLib(t, open)
	if err := lib.SetChangeRetention(ctx, 0); err == nil {
		t.Error("SetChangeRetention(0): no error")
	}
	if err := lib.SetChangeRetention(ctx, 3); err != nil {
		t.Fatalf("SetChangeRetention: %v", err)
	}
	start, err := lib.Head(ctx)
	if err != nil {
		t.Fatalf("Head: %v", err)
	}
	for i := range 6 {
		put(t, lib, article(fmt.Sprintf("p-%d", i), corpus.SharedScope, "Pruned", "", fmt.Sprintf("Article number %d. Pruned soon.", i)))
	}
	if _, err := lib.Changes(ctx, start, 0); !errors.Is(err, corpus.ErrFellBehind) {
		t.Errorf("Changes from before the kept ones = %v, want ErrFellBehind", err)
	}
	head, err := lib.Head(ctx)
	if err != nil {
		t.Fatalf("Head: %v", err)
	}
	kept := changes(t, lib, head-3)
	if got := kinds(kept); got != "put:p-3@shared put:p-4@shared put:p-5@shared" {
		t.Errorf("the kept changes = %s", got)
	}
}

// wake waits for a wake-up from w, failing the test after a bound.
func wake(t *testing.T, w <-chan struct{}, what string) {
	t.Helper()
	select {
	case _, ok := <-w:
		if !ok {
			t.Fatalf("%s: Watch's channel closed", what)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: no wake-up within 10s", what)
	}
}

func testWatchAnotherHandle(t *testing.T, open Open) {
	lib, another := newLib(t, open)
	other := another(t)
	ctx, cancel := context.WithCancel(context.Background())
	w := lib.Watch(ctx)
	wake(t, w, "ready") // the first wake-up says the watcher is ready
	head, err := lib.Head(ctx)
	if err != nil {
		t.Fatalf("Head: %v", err)
	}
	put(t, other, article("w-1", corpus.SharedScope, "Watched", "", bodyA))
	// Wake-ups may be spurious: read the log on each until it shows the
	// other handle's write.
	deadline := time.After(10 * time.Second)
	for {
		wake(t, w, "after another handle's write")
		if ch := changes(t, lib, head); len(ch) > 0 {
			if kinds(ch) != "put:w-1@shared" {
				t.Errorf("Changes after the wake-up = %s", kinds(ch))
			}
			break
		}
		select {
		case <-deadline:
			t.Fatal("the other handle's write never showed in Changes")
		default:
		}
	}
	cancel()
	for range w { // closed once the watcher has stopped
	}
}

func testConcurrentWriters(t *testing.T, open Open) {
	ctx := context.Background()
	lib, another := newLib(t, open)
	other := another(t)
	start, err := lib.Head(ctx)
	if err != nil {
		t.Fatalf("Head: %v", err)
	}
	const each = 10
	var wg sync.WaitGroup
	errs := make(chan error, 2*each)
	for h, l := range []Library{lib, other} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				a := article(fmt.Sprintf("cw-%d-%d", h, i), corpus.SharedScope, "Concurrent", "", fmt.Sprintf("Writer %d wrote article %d. Both at once.", h, i))
				chunks, vecs := split(a, Dim)
				if _, err := l.Put(ctx, a, chunks, vecs); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent Put: %v", err)
	}
	if n, _ := counts(t, lib); n != 2*each {
		t.Errorf("%d articles after concurrent writers, want %d", n, 2*each)
	}
	ch := changes(t, other, start)
	if len(ch) != 2*each {
		t.Errorf("%d changes logged, want %d", len(ch), 2*each)
	}
	ids := map[string]bool{}
	for i, c := range ch {
		ids[c.ArticleID] = true
		if i > 0 && c.Seq <= ch[i-1].Seq {
			t.Errorf("change seqs not increasing: %d after %d", c.Seq, ch[i-1].Seq)
		}
	}
	if len(ids) != 2*each {
		t.Errorf("changes name %d articles, want %d", len(ids), 2*each)
	}
}

// bm25 is FTS5's bm25() of one term in one row, negated (higher is better),
// from first principles: k1 = 1.2, b = 0.75, IDF ln((N−n+0.5)/(n+0.5))
// floored at 1e-6.
func bm25(tf, rowLen float64, docs int, avgLen float64, hits int) float64 {
	const k1, b = 1.2, 0.75
	idf := math.Log((float64(docs) - float64(hits) + 0.5) / (float64(hits) + 0.5))
	if idf <= 0 {
		idf = 1e-6
	}
	return idf * tf * (k1 + 1) / (tf + k1*(1-b+b*rowLen/avgLen))
}

// row is one full-text row as the suite expects it.
type row struct {
	seq   int64
	terms []string
}

func tf(terms []string, term string) float64 {
	n := 0
	for _, t := range terms {
		if t == term {
			n++
		}
	}
	return float64(n)
}

// expectRows computes the rows of both indexes for the stored articles.
func expectRows(t *testing.T, lib Library, arts []corpus.Article) (passages, articles []row) {
	t.Helper()
	for _, a := range arts {
		s, err := lib.Stored(context.Background(), a.ID)
		if err != nil {
			t.Fatalf("Stored(%s): %v", a.ID, err)
		}
		chunks, _ := split(a, Dim)
		texts := make([]string, len(chunks))
		for i, c := range chunks {
			texts[i] = c.Text
		}
		art, rows := corpus.TermRows(a.Title, texts)
		articles = append(articles, row{s.Seq, strings.Fields(art)})
		for i, r := range rows {
			passages = append(passages, row{s.Chunks[i].Seq, strings.Fields(r)})
		}
	}
	return passages, articles
}

func checkIndex(t *testing.T, ft corpus.TextReader, ix corpus.TextIndex, rows []row, terms []string) {
	t.Helper()
	ctx := context.Background()
	st, err := ft.Stats(ctx, ix)
	if err != nil {
		t.Fatalf("Stats(%d): %v", ix, err)
	}
	total := 0
	for _, r := range rows {
		total += len(r.terms)
	}
	if st.Docs != int64(len(rows)) || (len(rows) > 0 && math.Abs(st.AvgLen-float64(total)/float64(len(rows))) > 1e-9) {
		t.Errorf("Stats(%d) = %+v, want %d rows of average length %v", ix, st, len(rows), float64(total)/float64(max(len(rows), 1)))
	}
	for _, term := range terms {
		type hit struct {
			seq   int64
			score float64
		}
		var want []hit
		for _, r := range rows {
			if n := tf(r.terms, term); n > 0 {
				want = append(want, hit{r.seq, n})
			}
		}
		for i := range want {
			r := rows[slices.IndexFunc(rows, func(r row) bool { return r.seq == want[i].seq })]
			want[i].score = bm25(want[i].score, float64(len(r.terms)), len(rows), st.AvgLen, len(want))
		}
		var got []hit
		err := ft.Postings(ctx, ix, term, func(seq int64, score float64) error {
			got = append(got, hit{seq, score})
			return nil
		})
		if err != nil {
			t.Fatalf("Postings(%d, %q): %v", ix, term, err)
		}
		sort.Slice(want, func(i, j int) bool { return want[i].seq < want[j].seq })
		if len(got) != len(want) {
			t.Errorf("Postings(%d, %q) = %v, want %v", ix, term, got, want)
			continue
		}
		for i := range got {
			if got[i].seq != want[i].seq || math.Abs(got[i].score-want[i].score) > 1e-9*math.Max(1, math.Abs(want[i].score)) {
				t.Errorf("Postings(%d, %q)[%d] = %+v, want %+v", ix, term, i, got[i], want[i])
			}
		}
	}
}

func testFullText(t *testing.T, open Open) {
	ctx := context.Background()
	lib, _ := newLib(t, open)
	arts := []corpus.Article{
		article("ft-1", corpus.SharedScope, "Floods in the north", "2026-03-02", bodyA),
		article("ft-2", corpus.SharedScope, "Election results", "2026-03-03",
			"The election count finished. Turnout reached 61.5 per cent. The flood of votes surprised officials."),
		article(corpus.ScopedID("g1", "ft-3"), "g1", "River levels", "",
			"River levels fell. River traffic resumed. The river authority thanked the rescue teams, river by river."),
	}
	ft := lib.Text()
	if st, err := ft.Stats(ctx, corpus.PassageIndex); err != nil || st.Docs != 0 {
		t.Errorf("Stats of an empty library = %+v, %v", st, err)
	}
	for _, a := range arts {
		put(t, lib, a)
	}
	terms := []string{"flood", "river", "rescu", "61.5", "official", "absentterm"}
	passages, articles := expectRows(t, lib, arts)
	checkIndex(t, ft, corpus.PassageIndex, passages, terms)
	checkIndex(t, ft, corpus.ArticleIndex, articles, terms)
	df, err := ft.DocFreq(ctx, terms)
	if err != nil {
		t.Fatalf("DocFreq: %v", err)
	}
	for _, term := range terms {
		want := 0
		for _, r := range articles {
			if tf(r.terms, term) > 0 {
				want++
			}
		}
		if got, ok := df[term]; got != want || ok != (want > 0) {
			t.Errorf("DocFreq[%q] = %d (present %v), want %d", term, got, ok, want)
		}
	}
	if df, err := ft.DocFreq(ctx, nil); err != nil || len(df) != 0 {
		t.Errorf("DocFreq(nil) = %v, %v", df, err)
	}

	// An update replaces the article's rows; a removal drops them.
	upd := arts[0]
	upd.Body = "Drought follows the floods. No river left. The fields are dry."
	upd.Normalize()
	put(t, lib, upd)
	if err := lib.Remove(ctx, corpus.SharedScope, arts[1].ID); err != nil {
		t.Fatalf("Remove: %v", err)
	}
	arts = []corpus.Article{upd, arts[2]}
	passages, articles = expectRows(t, lib, arts)
	terms = append(terms, "drought")
	checkIndex(t, ft, corpus.PassageIndex, passages, terms)
	checkIndex(t, ft, corpus.ArticleIndex, articles, terms)

	stop := errors.New("stop")
	calls := 0
	if err := ft.Postings(ctx, corpus.PassageIndex, "river", func(int64, float64) error { calls++; return stop }); !errors.Is(err, stop) || calls != 1 {
		t.Errorf("Postings with fn failing = %v after %d calls", err, calls)
	}
}

func testFullTextBadTerms(t *testing.T, open Open) {
	ctx := context.Background()
	lib, _ := newLib(t, open)
	put(t, lib, article("bt-1", corpus.SharedScope, "Terms", "", bodyA))
	ft := lib.Text()
	for _, bad := range []string{"", "two words", `quo"te`, "it's", "star*", "(paren", "col:on", "minus-", strings.Repeat("x", 41), "tab\there", "nul\x00"} {
		err := ft.Postings(ctx, corpus.PassageIndex, bad, func(int64, float64) error { return nil })
		if !errors.Is(err, corpus.ErrBadTerm) {
			t.Errorf("Postings(%q) = %v, want ErrBadTerm", bad, err)
		}
		if _, err := ft.DocFreq(ctx, []string{"flood", bad}); !errors.Is(err, corpus.ErrBadTerm) {
			t.Errorf("DocFreq(%q) = %v, want ErrBadTerm", bad, err)
		}
	}
	// A term that looks like query syntax of either engine but is a valid
	// term string matches nothing and fails nothing.
	for _, odd := range []string{"or", "and", "not", "near", "1,000", "ünï"} {
		if err := ft.Postings(ctx, corpus.ArticleIndex, odd, func(int64, float64) error { return nil }); err != nil {
			t.Errorf("Postings(%q): %v", odd, err)
		}
	}
}
