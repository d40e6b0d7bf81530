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
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/attache-bot/attache/corpus/lang"
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
	terms := lang.Terms(term, nil)
	if len(terms) != 1 {
		t.Fatalf("%q has index terms %q, want one", term, terms)
	}
	q := `"` + terms[0] + `"`
	if err := lib.r.QueryRowContext(ctx, "SELECT count(*) FROM chunk_terms WHERE chunk_terms MATCH ?", q).Scan(&chunkRows); err != nil {
		t.Fatal(err)
	}
	if err := lib.r.QueryRowContext(ctx, "SELECT count(*) FROM article_terms WHERE article_terms MATCH ?", q).Scan(&articleRows); err != nil {
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
	if got := libArticlesWith(t, lib, PassageIndex, "geneva"); len(got) != 0 {
		t.Fatalf("passages with geneva after remove: %v", got)
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
	if got := libArticlesWith(t, lib, PassageIndex, "accord"); !reflect.DeepEqual(got, []string{"a1"}) {
		t.Fatalf("passages with the new text: %v", got)
	}
	if got := libArticlesWith(t, lib, ArticleIndex, "verification"); len(got) != 0 {
		t.Fatalf("articles with the old text: %v", got)
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

// libArticlesWith returns the ids of the articles with a row of ix holding
// word's index term (a passage row names its chunk's article).
func libArticlesWith(t *testing.T, lib *Library, ix TextIndex, word string) []string {
	t.Helper()
	ctx := context.Background()
	terms := lang.Terms(word, nil)
	if len(terms) != 1 {
		t.Fatalf("%q has index terms %q, want one", word, terms)
	}
	term := terms[0]
	names := map[int64]string{}
	if ix == ArticleIndex {
		list, err := lib.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range list {
			names[s.Seq] = s.ID
		}
	} else if err := lib.Chunks(ctx, func(c StoredChunk) error { names[c.Seq] = c.ArticleID; return nil }); err != nil {
		t.Fatal(err)
	}
	var out []string
	seen := map[string]bool{}
	err := lib.FullText().Postings(ctx, ix, term, func(seq int64, score float64) error {
		id, ok := names[seq]
		if !ok {
			t.Errorf("full-text row %d of %q belongs to no stored row", seq, term)
		}
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

func TestFullTextHostileTerms(t *testing.T) {
	ctx := context.Background()
	lib := libOpen(t, t.TempDir())
	libPut(t, lib, libArticle("a1", "", "Ministers meet over treaty", "2025-03-04", libBodyTreaty))
	ft := lib.FullText()
	for _, in := range []string{
		"", " ", `"`, `treaty"`, "treaty geneva", "NEAR(treaty)", "treaty*", "-treaty", "title:treaty",
		"^treaty", "(", "\x00treaty", "treaty'; DROP TABLE articles; --", strings.Repeat("x", 5000),
	} {
		err := ft.Postings(ctx, PassageIndex, in, func(int64, float64) error { return nil })
		if !errors.Is(err, ErrBadTerm) {
			t.Errorf("Postings(%.20q) = %v, want ErrBadTerm", in, err)
		}
		if _, err := ft.DocFreq(ctx, []string{"treaty", in}); !errors.Is(err, ErrBadTerm) {
			t.Errorf("DocFreq(%.20q) = %v, want ErrBadTerm", in, err)
		}
	}
	// FTS5 keywords and other scripts are plain terms.
	for _, in := range []string{"and", "or", "not", "near", "москва", "2.9", "1,000"} {
		if err := ft.Postings(ctx, ArticleIndex, in, func(int64, float64) error { return nil }); err != nil {
			t.Errorf("Postings(%q) = %v", in, err)
		}
	}
	if n, err := lib.Count(ctx); err != nil || n != 1 {
		t.Fatalf("articles after hostile terms = %d %v", n, err)
	}
}

// TestFullTextBM25 checks the statistics, document frequencies and scores
// the full-text index reports against BM25 computed by hand over the
// analysed terms.
func TestFullTextBM25(t *testing.T) {
	ctx := context.Background()
	lib := libOpen(t, t.TempDir())
	arts := []Article{
		libArticle("old", SharedScope, "Grain corridor reopens", "2024-01-10", "The grain corridor reopened after talks. Ships left the port."),
		libArticle("new", SharedScope, "Grain exports rise", "2024-06-20", "Grain exports rose in June. The corridor stayed open."),
		libArticle("other", "guild-1", "Unrelated", "2024-06-20", "Football results from the weekend. Café owners watched."),
	}
	docs := map[string][]string{} // article id -> its article row's terms
	for _, a := range arts {
		libPut(t, lib, a)
		a.Normalize()
		var b []byte
		b = lang.AppendIndexText(b, a.Title, titleRepeat)
		for _, c := range Split(a, SplitOptions{}) {
			b = lang.AppendIndexText(b, c.Text, 1)
		}
		docs[a.ID] = strings.Fields(string(b))
	}
	total := 0
	for _, d := range docs {
		total += len(d)
	}
	ft := lib.FullText()
	st, err := ft.Stats(ctx, ArticleIndex)
	if err != nil || st.Docs != 3 || math.Abs(st.AvgLen-float64(total)/3) > 1e-9 {
		t.Fatalf("Stats = %+v, %v; want 3 docs of %v terms", st, err, float64(total)/3)
	}
	df, err := ft.DocFreq(ctx, []string{"grain", "corridor", "caf\u00e9", "absent"})
	if err != nil || df["grain"] != 2 || df["corridor"] != 2 || df["absent"] != 0 {
		t.Fatalf("DocFreq = %v, %v", df, err)
	}
	list, err := lib.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[int64]string{}
	for _, s := range list {
		ids[s.Seq] = s.ID
	}
	for _, term := range []string{"grain", "corridor", "reopen", "football"} {
		n := 0
		for _, d := range docs {
			if slices.Contains(d, term) {
				n++
			}
		}
		idf := math.Max(math.Log((3-float64(n)+0.5)/(float64(n)+0.5)), 1e-6)
		got := map[string]float64{}
		if err := ft.Postings(ctx, ArticleIndex, term, func(seq int64, score float64) error {
			got[ids[seq]] = score
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if len(got) != n {
			t.Fatalf("%q: %d rows, want %d", term, len(got), n)
		}
		for id, score := range got {
			tf := 0.0
			for _, w := range docs[id] {
				if w == term {
					tf++
				}
			}
			want := idf * tf * 2.2 / (tf + 1.2*(0.25+0.75*float64(len(docs[id]))/st.AvgLen))
			if math.Abs(score-want) > 1e-9*math.Max(1, want) {
				t.Errorf("%q in %s: score %v, want %v", term, id, score, want)
			}
		}
	}
	// Stemmed and folded by lang, not by FTS5: "reopens" and "reopened"
	// meet on "reopen"; "café" stays "café".
	if got := libArticlesWith(t, lib, ArticleIndex, "reopening"); !reflect.DeepEqual(got, []string{"old"}) {
		t.Errorf("reopening: %v", got)
	}
	if got := libArticlesWith(t, lib, PassageIndex, "CAFÉ"); !reflect.DeepEqual(got, []string{"other"}) {
		t.Errorf("CAFÉ: %v", got)
	}
	if got := libArticlesWith(t, lib, PassageIndex, "cafe"); len(got) != 0 {
		t.Errorf("cafe matched café: %v", got)
	}
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
	var ids []string
	if err := lib.Chunks(ctx, func(c StoredChunk) error {
		if c.Text != "" || c.Seq <= 0 {
			t.Errorf("chunk %s: text %q, seq %d: Chunks reads no text and every seq", c.ID, c.Text, c.Seq)
		}
		c.Text, c.Seq = want[c.ID].Text, 0
		got[c.ID] = c
		ids = append(ids, c.ID)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Chunks = %+v\nwant %+v", got, want)
	}
	// The text is read on demand, for the chunks asked for; unknown ids
	// are absent.
	texts, err := lib.ChunkTexts(ctx, append(ids, "nope#0", ""))
	if err != nil || len(texts) != len(want) {
		t.Fatalf("ChunkTexts = %v, %v", texts, err)
	}
	for id, c := range want {
		if texts[id] != c.Text {
			t.Errorf("ChunkTexts[%s] = %q, want %q", id, texts[id], c.Text)
		}
	}
	// Stored reads one article as the index holds it.
	sa, err := lib.Stored(ctx, "a1")
	if err != nil || sa.ID != "a1" || sa.Seq <= 0 || len(sa.Chunks) != sa.Summary.Chunks || sa.Chunks[0].ID != "a1#0" || !reflect.DeepEqual(sa.Chunks[0].Vector, want["a1#0"].Vector) {
		t.Fatalf("Stored = %+v %v", sa, err)
	}
	if _, err := lib.Stored(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Stored(nope) = %v", err)
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
				if err := l.FullText().Postings(ctx, PassageIndex, "grain", func(int64, float64) error { return nil }); err != nil {
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
	for _, table := range []string{"articles", "chunks", "article_terms", "chunk_terms"} {
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
			"SELECT (SELECT count(*) FROM chunks) - (SELECT count(*) FROM chunk_terms)",
			"SELECT (SELECT count(*) FROM articles) - (SELECT count(*) FROM article_terms)",
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

// TestFullTextEmptyAndChunkTextsInput: a new library has empty full-text
// statistics, and ChunkTexts takes any ids (none, many, hostile) without
// error, returning only those that exist.
func TestFullTextEmptyAndChunkTextsInput(t *testing.T) {
	ctx := context.Background()
	lib := libOpen(t, t.TempDir())
	for _, ix := range []TextIndex{PassageIndex, ArticleIndex} {
		if st, err := lib.FullText().Stats(ctx, ix); err != nil || st != (TextStats{}) {
			t.Fatalf("Stats of a new library = %+v, %v", st, err)
		}
	}
	if df, err := lib.FullText().DocFreq(ctx, nil); err != nil || len(df) != 0 {
		t.Fatalf("DocFreq(nil) = %v, %v", df, err)
	}
	libPut(t, lib, libArticle("a1", SharedScope, "Ministers meet over treaty", "2025-03-04", libBodyTreaty))
	ids := []string{"a1#0", "", "a1#0' OR 1=1 --", "\x00", strings.Repeat("x", 10000)}
	for i := range 1200 { // more than one query's worth
		ids = append(ids, fmt.Sprintf("none#%d", i))
	}
	texts, err := lib.ChunkTexts(ctx, ids)
	if err != nil || len(texts) != 1 || texts["a1#0"] == "" {
		t.Fatalf("ChunkTexts = %d texts, %v", len(texts), err)
	}
	if texts, err := lib.ChunkTexts(ctx, nil); err != nil || len(texts) != 0 {
		t.Fatalf("ChunkTexts(nil) = %v, %v", texts, err)
	}
}

// TestSlabSize: a read of unknown length uses whole slabs; one whose
// length is known sizes the last slab to what is left, and one slab a
// vector past it (more rows than counted: written meanwhile).
func TestSlabSize(t *testing.T) {
	for _, tc := range []struct{ slab, expect, decoded, want int }{
		{256, 0, 0, 256},
		{256, 0, 1000, 256},
		{0, 0, 0, 1},
		{256, 180, 0, 180},
		{256, 1000, 0, 256},
		{256, 1000, 768, 232},
		{256, 1000, 1000, 1},
		{256, 1000, 1200, 1},
	} {
		if got := SlabSize(tc.slab, tc.expect, tc.decoded); got != tc.want {
			t.Errorf("SlabSize(%d, %d, %d) = %d, want %d", tc.slab, tc.expect, tc.decoded, got, tc.want)
		}
	}
}
