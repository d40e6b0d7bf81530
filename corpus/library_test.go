package corpus

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

var libEmbedder = EmbedderInfo{Name: "test-v1", Dim: 4}

func libOpen(t *testing.T, dir string) *Library {
	t.Helper()
	lib, err := Open(context.Background(), dir)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { lib.Close() })
	if err := lib.CheckEmbedder(context.Background(), libEmbedder); err != nil {
		t.Fatalf("CheckEmbedder: %v", err)
	}
	return lib
}

func ymd(s string) time.Time {
	t, err := time.Parse(DateLayout, s)
	if err != nil {
		panic(err)
	}
	return t
}

func libArticle(id, scope, title, published, body string) Article {
	a := Article{ID: id, Scope: scope, Title: title, Source: "Test Wire", Body: body, Language: "en"}
	if published != "" {
		a.Published = ymd(published)
	}
	a.Normalize()
	return a
}

// testVectors gives each chunk a distinct, deterministic vector.
func libVectors(chunks []Chunk, dim int) [][]float32 {
	out := make([][]float32, len(chunks))
	for i, c := range chunks {
		v := make([]float32, dim)
		for j := range v {
			v[j] = float32(len(c.Text)%97) + float32(i)*0.5 + float32(j)*0.25
		}
		out[i] = v
	}
	return out
}

func libPut(t *testing.T, lib *Library, a Article) PutStatus {
	t.Helper()
	chunks := Split(a, SplitOptions{})
	st, err := lib.Put(context.Background(), a, chunks, libVectors(chunks, libEmbedder.Dim))
	if err != nil {
		t.Fatalf("Put %s: %v", a.ID, err)
	}
	return st
}

// ftsRows counts the full-text rows of both indexes, to prove that deleted
// content leaves none behind.
func libFTSRows(t *testing.T, lib *Library, term string) (chunkRows, articleRows int) {
	t.Helper()
	ctx := context.Background()
	q := `"` + term + `"`
	if err := lib.r.QueryRowContext(ctx, "SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH ?", q).Scan(&chunkRows); err != nil {
		t.Fatal(err)
	}
	if err := lib.r.QueryRowContext(ctx, "SELECT count(*) FROM articles_fts WHERE articles_fts MATCH ?", q).Scan(&articleRows); err != nil {
		t.Fatal(err)
	}
	return chunkRows, articleRows
}

const libBodyTreaty = `The foreign ministers met in Geneva on Tuesday to discuss the treaty. Talks lasted nine hours.

Delegates said the verification clause remained the main obstacle. A second round is planned for March.`

func TestPutGetListRemove(t *testing.T) {
	ctx := context.Background()
	lib := libOpen(t, t.TempDir())

	a := libArticle("a1", SharedScope, "Ministers meet over treaty", "2025-03-04", libBodyTreaty)
	b := libArticle("b1", "guild-1", "Harbour strike ends", "2025-03-06", "Dock workers returned to work on Thursday after a pay deal.")
	c := libArticle("c1", SharedScope, "Undated background piece", "", "Background on the long history of the border dispute.")
	if st := libPut(t, lib, a); st != Added {
		t.Fatalf("first put = %v, want added", st)
	}
	libPut(t, lib, b)
	libPut(t, lib, c)

	got, err := lib.Get(ctx, "a1")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, a) {
		t.Fatalf("Get = %+v\nwant %+v", got, a)
	}
	if h, ok, err := lib.ContentHash(ctx, "a1"); err != nil || !ok || h != Hash(a) {
		t.Fatalf("ContentHash = %q %v %v, want %q", h, ok, err, Hash(a))
	}
	if _, ok, err := lib.ContentHash(ctx, "nope"); ok || err != nil {
		t.Fatalf("ContentHash(unknown) = %v %v", ok, err)
	}

	list, err := lib.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, s := range list {
		ids = append(ids, s.ID)
	}
	if want := []string{"b1", "a1", "c1"}; !reflect.DeepEqual(ids, want) {
		t.Fatalf("List order = %v, want %v (newest first, undated last)", ids, want)
	}
	if list[1].Chunks != len(Split(a, SplitOptions{})) || list[1].Title != a.Title || !list[1].Published.Equal(a.Published) {
		t.Fatalf("summary = %+v", list[1])
	}
	shared, err := lib.List(ctx, SharedScope)
	if err != nil || len(shared) != 2 {
		t.Fatalf("List(shared) = %v, %v; want 2", shared, err)
	}
	if n, err := lib.Count(ctx); err != nil || n != 3 {
		t.Fatalf("Count = %d, %v", n, err)
	}

	chunks, err := lib.ArticleChunks(ctx, "a1")
	if err != nil || !reflect.DeepEqual(chunks, Split(a, SplitOptions{})) {
		t.Fatalf("ArticleChunks = %+v, %v", chunks, err)
	}

	// Removing from another scope or an unknown id is ErrNotFound and removes nothing.
	if err := lib.Remove(ctx, "guild-1", "a1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Remove(other scope) = %v, want ErrNotFound", err)
	}
	if err := lib.Remove(ctx, SharedScope, "missing"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Remove(unknown) = %v, want ErrNotFound", err)
	}
	if cr, ar := libFTSRows(t, lib, "verification"); cr != 1 || ar != 1 {
		t.Fatalf("fts rows before remove = %d, %d", cr, ar)
	}
	if err := lib.Remove(ctx, SharedScope, "a1"); err != nil {
		t.Fatal(err)
	}
	if _, err := lib.Get(ctx, "a1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get after remove = %v", err)
	}
	if _, err := lib.ArticleChunks(ctx, "a1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("ArticleChunks after remove = %v", err)
	}
	if cr, ar := libFTSRows(t, lib, "verification"); cr != 0 || ar != 0 {
		t.Fatalf("fts rows after remove = %d, %d; want 0", cr, ar)
	}
	hits, err := lib.SearchText(ctx, TextQuery{Text: "treaty verification Geneva"})
	if err != nil || len(hits) != 0 {
		t.Fatalf("search after remove = %v, %v", hits, err)
	}
	if err := lib.Remove(ctx, SharedScope, "a1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second Remove = %v", err)
	}
}

func TestPutUnchangedAndUpdated(t *testing.T) {
	ctx := context.Background()
	lib := libOpen(t, t.TempDir())
	a := libArticle("a1", SharedScope, "Ministers meet over treaty", "2025-03-04", libBodyTreaty)
	libPut(t, lib, a)
	if st := libPut(t, lib, a); st != Unchanged {
		t.Fatalf("same article again = %v, want unchanged", st)
	}

	b := a
	b.Body = "The ministers signed the accord in Oslo. The ceremony was brief."
	b.Normalize()
	if st := libPut(t, lib, b); st != Updated {
		t.Fatalf("changed article = %v, want updated", st)
	}
	chunks, err := lib.ArticleChunks(ctx, "a1")
	if err != nil || !reflect.DeepEqual(chunks, Split(b, SplitOptions{})) {
		t.Fatalf("chunks after update = %+v, %v", chunks, err)
	}
	// Old text is gone from both full-text indexes at once, new text is found.
	if cr, ar := libFTSRows(t, lib, "geneva"); cr != 0 || ar != 0 {
		t.Fatalf("old fts rows after update = %d, %d", cr, ar)
	}
	hits, err := lib.SearchText(ctx, TextQuery{Text: "Oslo accord"})
	if err != nil || len(hits) != 1 || hits[0].ArticleID != "a1" {
		t.Fatalf("search new text = %+v, %v", hits, err)
	}
	hits, err = lib.SearchText(ctx, TextQuery{Text: "Geneva verification"})
	if err != nil || len(hits) != 0 {
		t.Fatalf("search old text = %+v, %v", hits, err)
	}
	var n int
	if err := lib.r.QueryRow("SELECT count(*) FROM chunks").Scan(&n); err != nil || n != len(chunks) {
		t.Fatalf("chunk rows = %d, want %d", n, len(chunks))
	}
	// A title change alone is an update too, and re-titles the chunk index.
	c := b
	c.Title = "Accord signed in Oslo"
	if st := libPut(t, lib, c); st != Updated {
		t.Fatalf("retitled = %v", st)
	}
	if cr, ar := libFTSRows(t, lib, "treaty"); cr != 0 || ar != 0 {
		t.Fatalf("old title still indexed: %d, %d", cr, ar)
	}
}

func TestPutScopeConflictAndBadInput(t *testing.T) {
	ctx := context.Background()
	lib := libOpen(t, t.TempDir())
	a := libArticle("a1", "guild-1", "Ministers meet", "2025-03-04", libBodyTreaty)
	libPut(t, lib, a)

	other := a
	other.Scope = "guild-2"
	chunks := Split(other, SplitOptions{})
	if _, err := lib.Put(ctx, other, chunks, libVectors(chunks, 4)); !errors.Is(err, ErrScopeConflict) {
		t.Fatalf("put into another scope = %v, want ErrScopeConflict", err)
	}
	if _, err := lib.Put(ctx, a, chunks, libVectors(chunks, 4)[:len(chunks)-1]); err == nil {
		t.Fatal("fewer vectors than chunks accepted")
	}
	if _, err := lib.Put(ctx, a, chunks, libVectors(chunks, 3)); !errors.Is(err, ErrEmbedderMismatch) {
		t.Fatalf("wrong dimension = %v, want ErrEmbedderMismatch", err)
	}
	bad := append([]Chunk(nil), chunks...)
	bad[0].Text = "forged"
	if _, err := lib.Put(ctx, a, bad, libVectors(bad, 4)); err == nil {
		t.Fatal("chunk whose text does not match its offsets accepted")
	}
	noID := a
	noID.ID = ""
	if _, err := lib.Put(ctx, noID, nil, nil); !errors.Is(err, ErrInvalidArticle) {
		t.Fatalf("no id = %v", err)
	}
	noBody := a
	noBody.Body = ""
	if _, err := lib.Put(ctx, noBody, nil, nil); !errors.Is(err, ErrInvalidArticle) {
		t.Fatalf("no body = %v", err)
	}
	// None of the refused puts changed the stored article.
	got, err := lib.Get(ctx, "a1")
	if err != nil || !reflect.DeepEqual(got, a) {
		t.Fatalf("article changed by refused puts: %+v %v", got, err)
	}
}

func TestEmbedderMismatch(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	lib := libOpen(t, dir)
	libPut(t, lib, libArticle("a1", "", "T", "2025-01-01", "Some text here."))
	if info, ok, err := lib.Embedder(ctx); err != nil || !ok || info != libEmbedder {
		t.Fatalf("Embedder = %v %v %v", info, ok, err)
	}
	if err := lib.CheckEmbedder(ctx, libEmbedder); err != nil {
		t.Fatalf("same embedder: %v", err)
	}
	for _, other := range []EmbedderInfo{{"other-v2", 4}, {"test-v1", 8}} {
		err := lib.CheckEmbedder(ctx, other)
		if !errors.Is(err, ErrEmbedderMismatch) {
			t.Fatalf("CheckEmbedder(%v) = %v, want ErrEmbedderMismatch", other, err)
		}
		msg := err.Error()
		for _, want := range []string{dir, "test-v1 (dim 4)", other.Name, "re-index", "ingest the articles again"} {
			if !strings.Contains(msg, want) {
				t.Errorf("message %q lacks %q", msg, want)
			}
		}
		if strings.Contains(msg, "\n") {
			t.Errorf("message spans several lines: %q", msg)
		}
	}
	if err := lib.CheckEmbedder(ctx, EmbedderInfo{Name: "", Dim: 3}); err == nil {
		t.Fatal("empty embedder name accepted")
	}
	lib.Close()
	// The record survives a reopen.
	lib2, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer lib2.Close()
	if err := lib2.CheckEmbedder(ctx, EmbedderInfo{Name: "other-v2", Dim: 4}); !errors.Is(err, ErrEmbedderMismatch) {
		t.Fatalf("after reopen: %v", err)
	}
}

func TestEmbedderMismatchUnrecordedVectors(t *testing.T) {
	ctx := context.Background()
	lib, err := Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer lib.Close()
	a := libArticle("a1", "", "T", "2025-01-01", "Some text here.")
	chunks := Split(a, SplitOptions{})
	if _, err := lib.Put(ctx, a, chunks, libVectors(chunks, 6)); err != nil {
		t.Fatal(err)
	}
	if err := lib.CheckEmbedder(ctx, EmbedderInfo{Name: "x", Dim: 4}); !errors.Is(err, ErrEmbedderMismatch) {
		t.Fatalf("vectors of 6 dims vs embedder of 4: %v", err)
	}
	if err := lib.CheckEmbedder(ctx, EmbedderInfo{Name: "x", Dim: 6}); err != nil {
		t.Fatal(err)
	}
}

func TestSearchTextHostileInput(t *testing.T) {
	ctx := context.Background()
	lib := libOpen(t, t.TempDir())
	libPut(t, lib, libArticle("a1", "", "Ministers meet over treaty", "2025-03-04", libBodyTreaty))
	long := strings.Repeat("treaty NEAR(a b) \"quoted\" -minus * col:on ^caret (paren) AND OR NOT ", 150)
	if len(long) < 10000 {
		t.Fatal("long question too short")
	}
	inputs := []string{
		"", "   ", "?!.,;:", `"`, `""`, `"unbalanced`, "NEAR", "NEAR(treaty, geneva)", "*", "treaty*",
		"-treaty", "title:treaty", "text:geneva", "{title}: treaty", "^treaty", "AND", "OR NOT",
		"treaty AND", "(((", "a OR", "\x00treaty\x00", "\xff\xfe", "treaty'; DROP TABLE articles; --",
		strings.Repeat("x", 5000), long,
	}
	for _, in := range inputs {
		if _, err := lib.SearchText(ctx, TextQuery{Text: in}); err != nil {
			t.Errorf("SearchText(%.40q) = %v", in, err)
		}
		if _, err := lib.SearchArticles(ctx, TextQuery{Text: in}); err != nil {
			t.Errorf("SearchArticles(%.40q) = %v", in, err)
		}
	}
	// Syntax characters are separators, the words still count.
	hits, err := lib.SearchText(ctx, TextQuery{Text: `"Geneva" NEAR(verification) title:treaty*`})
	if err != nil || len(hits) == 0 {
		t.Fatalf("words inside syntax not searched: %v %v", hits, err)
	}
	if n, err := lib.Count(ctx); err != nil || n != 1 {
		t.Fatalf("articles after hostile queries = %d %v", n, err)
	}
}

func TestMatchExpression(t *testing.T) {
	cases := map[string]string{
		"":                            "",
		"?!":                          "",
		"What did the U.S. say?":      `"u" OR "say"`,
		`Iran's "guarantees" NEAR(x)`: `"iran" OR "guarantees" OR "near" OR "x"`,
		"the of":                      `"the" OR "of"`,
		"Café naïve CAFÉ":             `"café" OR "naïve"`,
		"Москва и Киев":               `"москва" OR "и" OR "киев"`,
	}
	for in, want := range cases {
		if got := MatchExpression(in); got != want {
			t.Errorf("MatchExpression(%q) = %q, want %q", in, got, want)
		}
	}
	many := make([]string, 100)
	for i := range many {
		many[i] = fmt.Sprintf("w%d", i)
	}
	if got := strings.Count(MatchExpression(strings.Join(many, " ")), " OR "); got != MaxQueryTerms-1 {
		t.Errorf("terms not capped: %d ORs", got)
	}
}

func TestSearchScopesDatesRanking(t *testing.T) {
	ctx := context.Background()
	lib := libOpen(t, t.TempDir())
	libPut(t, lib, libArticle("old", SharedScope, "Grain corridor reopens", "2024-01-10", "The grain corridor reopened after talks. Ships left the port."))
	libPut(t, lib, libArticle("new", SharedScope, "Grain exports rise", "2024-06-20", "Grain exports rose in June. The corridor stayed open."))
	libPut(t, lib, libArticle("g1", "guild-1", "Guild grain note", "2024-06-21", "A grain note only guild one can see."))
	libPut(t, lib, libArticle("g2", "guild-2", "Other guild grain", "2024-06-21", "A grain note only guild two can see."))
	libPut(t, lib, libArticle("undated", SharedScope, "Grain history", "", "A history of the grain trade."))
	libPut(t, lib, libArticle("other", SharedScope, "Unrelated", "2024-06-20", "Football results from the weekend."))

	articleIDs := func(q TextQuery) []string {
		t.Helper()
		hits, err := lib.SearchText(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		var ids []string
		for i, h := range hits {
			if i > 0 && h.Score > hits[i-1].Score {
				t.Fatalf("hits not ordered by score: %+v", hits)
			}
			if !strings.HasPrefix(h.ChunkID, h.ArticleID+"#") {
				t.Fatalf("chunk id %q not of article %q", h.ChunkID, h.ArticleID)
			}
			if !seen[h.ArticleID] {
				seen[h.ArticleID] = true
				ids = append(ids, h.ArticleID)
			}
		}
		ahits, err := lib.SearchArticles(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		var aids []string
		for _, h := range ahits {
			aids = append(aids, h.ArticleID)
		}
		if !libSameSet(ids, aids) {
			t.Fatalf("SearchText articles %v != SearchArticles %v for %+v", ids, aids, q)
		}
		return ids
	}
	if got := articleIDs(TextQuery{Text: "grain", Scopes: []string{SharedScope, "guild-1"}}); !libSameSet(got, []string{"old", "new", "g1", "undated"}) {
		t.Errorf("scopes shared+guild-1: %v", got)
	}
	if got := articleIDs(TextQuery{Text: "grain", Scopes: []string{"guild-2"}}); !libSameSet(got, []string{"g2"}) {
		t.Errorf("scope guild-2: %v", got)
	}
	if got := articleIDs(TextQuery{Text: "grain", Scopes: []string{SharedScope}, From: ymd("2024-06-01")}); !libSameSet(got, []string{"new"}) {
		t.Errorf("from June (undated excluded): %v", got)
	}
	if got := articleIDs(TextQuery{Text: "grain", Scopes: []string{SharedScope}, To: ymd("2024-06-19")}); !libSameSet(got, []string{"old", "undated"}) {
		t.Errorf("to 19 June (undated included): %v", got)
	}
	if got := articleIDs(TextQuery{Text: "grain", From: ymd("2024-06-20"), To: ymd("2024-06-20")}); !libSameSet(got, []string{"new"}) {
		t.Errorf("one day, inclusive bounds: %v", got)
	}
	if got := articleIDs(TextQuery{Text: "grain", Limit: 2}); len(got) > 2 {
		t.Errorf("limit 2: %v", got)
	}
	// The title counts: "corridor" is in both bodies but only one title.
	hits, err := lib.SearchArticles(ctx, TextQuery{Text: "corridor", TitleWeight: 10})
	if err != nil || len(hits) != 2 || hits[0].ArticleID != "old" || hits[0].Score <= hits[1].Score || hits[1].Score <= 0 {
		t.Errorf("title-weighted ranking: %+v %v", hits, err)
	}
	// Stemming and diacritics: "reopening" finds "reopened", "grâin" finds "grain".
	if got := articleIDs(TextQuery{Text: "reopening", Scopes: []string{SharedScope}}); !libSameSet(got, []string{"old"}) {
		t.Errorf("porter stemming: %v", got)
	}
	if got := articleIDs(TextQuery{Text: "FOOTBÂLL"}); !libSameSet(got, []string{"other"}) {
		t.Errorf("case and diacritics folding: %v", got)
	}
}

func libSameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	m := map[string]int{}
	for _, x := range a {
		m[x]++
	}
	for _, x := range b {
		m[x]--
	}
	for _, v := range m {
		if v != 0 {
			return false
		}
	}
	return true
}

func TestChunksStreamsVectors(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	lib := libOpen(t, dir)
	arts := []Article{
		libArticle("a1", SharedScope, "One", "2025-01-02", libBodyTreaty),
		libArticle("a2", "guild-1", "Two", "", "Short body in a guild."),
	}
	want := map[string]StoredChunk{}
	for _, a := range arts {
		chunks := Split(a, SplitOptions{})
		vecs := libVectors(chunks, 4)
		vecs[0][1] = float32(math.Inf(-1)) // any float32 bit pattern survives
		vecs[0][2] = float32(math.Copysign(0, -1))
		if _, err := lib.Put(ctx, a, chunks, vecs); err != nil {
			t.Fatal(err)
		}
		for i, c := range chunks {
			want[c.ID] = StoredChunk{Chunk: c, Scope: a.Scope, Published: a.Published, Vector: vecs[i]}
		}
	}
	lib.Close()
	lib = libOpen(t, dir) // reopen: everything persisted
	if n, err := lib.ChunkCount(ctx); err != nil || n != len(want) {
		t.Fatalf("ChunkCount = %d %v, want %d", n, err, len(want))
	}
	got := map[string]StoredChunk{}
	if err := lib.Chunks(ctx, func(c StoredChunk) error { got[c.ID] = c; return nil }); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Chunks = %+v\nwant %+v", got, want)
	}
	for id, c := range got { // DeepEqual treats -0 and +0 as equal; the bits must survive
		for i, x := range c.Vector {
			if math.Float32bits(x) != math.Float32bits(want[id].Vector[i]) {
				t.Fatalf("%s[%d] = %v, want %v", id, i, x, want[id].Vector[i])
			}
		}
	}
	// Vectors handed out do not alias each other (they share slabs).
	k := float32(0)
	sentinel := map[string]float32{}
	for id, c := range got {
		k++
		sentinel[id] = k
		for i := range c.Vector {
			c.Vector[i] = k
		}
	}
	for id, c := range got {
		for _, x := range c.Vector {
			if x != sentinel[id] {
				t.Fatalf("vector of %s overwritten through another vector", id)
			}
		}
	}
	stop := errors.New("stop")
	calls := 0
	if err := lib.Chunks(ctx, func(StoredChunk) error { calls++; return stop }); !errors.Is(err, stop) || calls != 1 {
		t.Fatalf("callback error: %v after %d calls", err, calls)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := lib.Chunks(cctx, func(StoredChunk) error { return nil }); err == nil {
		t.Fatal("cancelled context ignored")
	}
}

func TestOpenBadFiles(t *testing.T) {
	ctx := context.Background()
	if _, err := Open(ctx, ""); err == nil {
		t.Fatal("empty dir accepted")
	}
	// A file where the directory should be.
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(ctx, file); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Fatalf("Open(file) = %v", err)
	}
	// Not a database.
	dir := t.TempDir()
	junk := []byte("these are some notes, not a database\n")
	if err := os.WriteFile(filepath.Join(dir, DBFile), junk, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Open(ctx, dir)
	if err == nil || !strings.Contains(err.Error(), "not an SQLite database") {
		t.Fatalf("Open(junk) = %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, DBFile)); string(b) != string(junk) {
		t.Fatal("Open overwrote a file that is not a database")
	}
	// A database whose pages after the header are garbage.
	dir = t.TempDir()
	lib := libOpen(t, dir)
	libPut(t, lib, libArticle("a1", "", "T", "2025-01-01", libBodyTreaty))
	lib.Close()
	path := filepath.Join(dir, DBFile)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := 100; i < len(b); i++ {
		b[i] = byte(i * 7)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	lib2, err := Open(ctx, dir)
	if err != nil && !strings.Contains(err.Error(), "damaged") {
		t.Errorf("opening a damaged database: %v, want the advice for a damaged file", err)
	}
	if err == nil {
		// SQLite may only notice when it reads the damaged pages: then the
		// first read must fail, not return wrong data.
		_, err = lib2.List(ctx)
		lib2.Close()
	}
	if err == nil {
		t.Fatal("damaged database opened and read without error")
	}
	// A data directory written by a newer schema.
	dir = t.TempDir()
	lib = libOpen(t, dir)
	if _, err := lib.w.Exec("UPDATE meta SET value = '99' WHERE key = 'schema_version'"); err != nil {
		t.Fatal(err)
	}
	lib.Close()
	if _, err := Open(ctx, dir); err == nil || !strings.Contains(err.Error(), "newer version") {
		t.Fatalf("newer schema: %v", err)
	}
}

func TestConcurrentUse(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	lib := libOpen(t, dir)
	// A second handle on the same directory, as a CLI ingest next to a
	// running bot would have.
	lib2, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer lib2.Close()
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			l := lib
			if w%2 == 1 {
				l = lib2
			}
			for i := 0; i < 10; i++ {
				a := libArticle(fmt.Sprintf("w%d-%d", w, i), SharedScope, "Concurrent grain", "2025-01-01",
					fmt.Sprintf("Writer %d wrote article %d about grain. It has two sentences.", w, i))
				chunks := Split(a, SplitOptions{})
				if _, err := l.Put(ctx, a, chunks, libVectors(chunks, 4)); err != nil {
					errs <- err
					return
				}
				if _, err := l.SearchText(ctx, TextQuery{Text: "grain"}); err != nil {
					errs <- err
					return
				}
				if err := l.Chunks(ctx, func(StoredChunk) error { return nil }); err != nil {
					errs <- err
					return
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n, err := lib.Count(ctx); err != nil || n != 40 {
		t.Fatalf("Count = %d %v, want 40", n, err)
	}
}

// TestRollbackLeavesNothing proves one transaction per article: a Put that
// fails half-way (here: a chunk id that collides inside the transaction)
// leaves neither the article row nor any chunk or full-text row.
func TestRollbackLeavesNothing(t *testing.T) {
	ctx := context.Background()
	lib := libOpen(t, t.TempDir())
	a := libArticle("a1", "", "Rollback title", "2025-01-01", libBodyTreaty)
	chunks := Split(a, SplitOptions{})
	tx, err := lib.w.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := putTx(ctx, tx, a, chunks, libVectors(chunks, 4), time.Now()); err != nil {
		t.Fatal(err)
	}
	// A second article whose chunk rows collide with the first one's ids.
	b := libArticle("a2", "", "Other", "2025-01-01", libBodyTreaty)
	bc := Split(b, SplitOptions{})
	bc[0].ID = chunks[0].ID
	if _, err := putTx(ctx, tx, b, bc, libVectors(bc, 4), time.Now()); err == nil {
		t.Fatal("duplicate chunk id accepted")
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	for _, table := range []string{"articles", "chunks", "articles_fts", "chunks_fts"} {
		var n int
		if err := lib.r.QueryRow("SELECT count(*) FROM " + table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("%s has %d rows after rollback", table, n)
		}
	}
}

// crashChildEnv names the data directory a re-executed test binary writes
// to in TestCrashConsistency.
const crashChildEnv = "ATTACHE_CORPUS_CRASH_CHILD_DIR"

// TestCrashChild is the writer half of TestCrashConsistency: run as a child
// process, it puts articles forever, printing each id once committed.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashChildEnv)
	if dir == "" {
		t.Skip("helper process for TestCrashConsistency")
	}
	ctx := context.Background()
	lib, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := lib.CheckEmbedder(ctx, libEmbedder); err != nil {
		t.Fatal(err)
	}
	for i := 0; ; i++ {
		id := fmt.Sprintf("crash-%d-%d", os.Getpid(), i)
		a := libArticle(id, SharedScope, fmt.Sprintf("Crash test %d", i), "2025-02-03",
			strings.Repeat(fmt.Sprintf("Sentence %d of a long article about harbours and treaties. ", i), 40+i%30))
		chunks := Split(a, SplitOptions{})
		if _, err := lib.Put(ctx, a, chunks, libVectors(chunks, libEmbedder.Dim)); err != nil {
			t.Fatal(err)
		}
		fmt.Printf("committed %s\n", a.ID)
	}
}

// TestCrashConsistency kills a writing process with SIGKILL at varying
// moments and checks that the library opens, passes SQLite's integrity
// check, and holds only complete articles: every committed article is
// there, and every article has all its chunks, vectors and full-text rows.
func TestCrashConsistency(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	dir := t.TempDir()
	ctx := context.Background()
	committed := map[string]bool{}
	for round, killAfter := range []int{1, 3, 7, 12} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$")
		cmd.Env = append(os.Environ(), crashChildEnv+"="+dir)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := make(chan string)
		go func() {
			defer close(lines)
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				lines <- sc.Text()
			}
		}()
		timeout := time.After(60 * time.Second)
		for seen := 0; seen < killAfter; {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("round %d: child exited early: %v", round, cmd.Wait())
				}
				if id, found := strings.CutPrefix(l, "committed "); found {
					committed[id] = true
					seen++
				}
			case <-timeout:
				cmd.Process.Kill()
				t.Fatalf("round %d: child made no progress", round)
			}
		}
		// SIGKILL, while the child is most likely inside the next transaction.
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		for l := range lines { // ids printed before the kill landed are committed too
			if id, found := strings.CutPrefix(l, "committed "); found {
				committed[id] = true
			}
		}
		cmd.Wait()

		lib, err := Open(ctx, dir)
		if err != nil {
			t.Fatalf("round %d: open after kill: %v", round, err)
		}
		var check string
		if err := lib.r.QueryRow("PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
			t.Fatalf("round %d: integrity_check = %q, %v", round, check, err)
		}
		list, err := lib.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		listed := map[string]bool{}
		for _, s := range list {
			listed[s.ID] = true
			a, err := lib.Get(ctx, s.ID)
			if err != nil {
				t.Fatal(err)
			}
			if want := len(Split(a, SplitOptions{})); s.Chunks != want {
				t.Fatalf("round %d: %s has %d of %d chunks", round, s.ID, s.Chunks, want)
			}
		}
		for id := range committed {
			if !listed[id] {
				t.Fatalf("round %d: committed article %s lost", round, id)
			}
		}
		for _, q := range []string{
			"SELECT count(*) FROM chunks c LEFT JOIN chunk_vectors v ON v.seq = c.seq WHERE v.seq IS NULL OR length(v.vector) <> 16",
			"SELECT (SELECT count(*) FROM chunks) - (SELECT count(*) FROM chunks_fts)",
			"SELECT (SELECT count(*) FROM articles) - (SELECT count(*) FROM articles_fts)",
		} {
			var n int
			if err := lib.r.QueryRow(q).Scan(&n); err != nil || n != 0 {
				t.Fatalf("round %d: %s = %d, %v", round, q, n, err)
			}
		}
		lib.Close()
	}
	if len(committed) < 1+3+7+12 {
		t.Fatalf("only %d articles committed in all rounds", len(committed))
	}
}

// damaged goes by SQLite's result code, not by the wording of the message.
func TestDamagedByResultCode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "garbage.db")
	if err := os.WriteFile(path, bytes.Repeat([]byte("not a database "), 400), 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_, err = db.Exec("SELECT count(*) FROM sqlite_schema")
	if err == nil || !damaged(fmt.Errorf("open: %w", err)) {
		t.Errorf("garbage file: %v, want SQLITE_NOTADB recognised", err)
	}
	lib := libOpen(t, t.TempDir())
	_, err = lib.w.Exec("SELECT * FROM no_such_table")
	if err == nil || damaged(err) {
		t.Errorf("missing table: %v, want an error that is not damage", err)
	}
	if damaged(errors.New("database disk image is malformed")) {
		t.Error("a plain error with SQLite's wording counted as damage")
	}
}
