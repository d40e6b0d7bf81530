package postgres

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/attache-bot/attache/corpus"
	"github.com/attache-bot/attache/corpus/librarytest"
)

// TestConformance runs the library conformance suite against PostgreSQL;
// each case has its own schema, and another handle is a second Open of it.
func TestConformance(t *testing.T) {
	librarytest.Run(t, func(t *testing.T) (librarytest.Library, func(*testing.T) librarytest.Library) {
		dbURL, _ := testSchema(t)
		return openTest(t, dbURL), func(t *testing.T) librarytest.Library { return openTest(t, dbURL) }
	})
}

// TestProcessConformance runs the suite's cases that need other processes
// (SIGKILL mid-write, two writing processes) against PostgreSQL.
func TestProcessConformance(t *testing.T) {
	librarytest.RunProcesses(t, librarytest.Processes{
		New:  func(t *testing.T) string { u, _ := testSchema(t); return u },
		Open: openAt,
	})
}

// TestLockConformance runs the lock cases against PostgreSQL; another
// handle is a second Open of the same schema.
func TestLockConformance(t *testing.T) {
	librarytest.RunLocks(t, func(t *testing.T) (librarytest.Library, func(*testing.T) librarytest.Library) {
		dbURL, _ := testSchema(t)
		return openTest(t, dbURL), func(t *testing.T) librarytest.Library { return openTest(t, dbURL) }
	})
}

func TestOpenBadURL(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, c := range []struct{ url, want string }{
		{"", "empty database URL"},
		{"   ", "empty database URL"},
		{"postgres://root:secret@127.0.0.1:5432/test?sslmode=bogus", "not valid"},
		{"postgres://root@127.0.0.1:99999/test", "not valid"},
		{"mysql://x\x00y", "not valid"},
		{"postgres://root@127.0.0.1:1/test?connect_timeout=2", "cannot reach PostgreSQL at 127.0.0.1:1/test"},
		{"postgres://root@127.0.0.1:5432/test?search_path=no_such_schema_here", "create it"},
		{"postgres://root@127.0.0.1:5432/" + strings.Repeat("d", 10000), "cannot reach"},
	} {
		lib, err := Open(ctx, c.url)
		if err == nil {
			lib.Close()
			t.Errorf("Open(%.60q): no error", c.url)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("Open(%.60q) = %v, want it to say %q", c.url, err, c.want)
		}
		if strings.Contains(err.Error(), "secret") {
			t.Errorf("Open's error shows the password: %v", err)
		}
	}
}

// TestReopenKeepsData: a second Open migrates nothing and finds the data.
func TestReopenKeepsData(t *testing.T) {
	ctx := context.Background()
	dbURL, _ := testSchema(t)
	lib := openTest(t, dbURL)
	if err := lib.CheckEmbedder(ctx, corpus.EmbedderInfo{Name: "e", Dim: 2}); err != nil {
		t.Fatal(err)
	}
	a := corpus.Article{ID: "keep", Scope: corpus.SharedScope, Title: "Kept", Body: "It stays. After reopening."}
	a.Normalize()
	chunks := corpus.Split(a, corpus.SplitOptions{})
	vecs := make([][]float32, len(chunks))
	for i := range vecs {
		vecs[i] = []float32{1, float32(i)}
	}
	if _, err := lib.Put(ctx, a, chunks, vecs); err != nil {
		t.Fatal(err)
	}
	lib.Close()
	again := openTest(t, dbURL)
	if got, err := again.Get(ctx, "keep"); err != nil || got != a {
		t.Errorf("Get after reopening = %+v, %v", got, err)
	}
	if info, ok, err := again.Embedder(ctx); err != nil || !ok || info.Dim != 2 {
		t.Errorf("Embedder after reopening = %+v %v %v", info, ok, err)
	}
}

// TestWatchReconnects cuts the watcher's connection (as a server restart
// or a network cut would): the watcher wakes the caller, connects again,
// and a change committed while it was away is found in the change table.
func TestWatchReconnects(t *testing.T) {
	bg := context.Background()
	dbURL, schema := testSchema(t)
	lib := openTest(t, dbURL)
	writer := openTest(t, dbURL)
	admin := adminConn(t)
	ctx, cancel := context.WithCancel(bg)
	w := lib.Watch(ctx)
	defer func() {
		cancel()
		for range w {
		}
	}()
	waitWake(t, w, "ready")
	head, err := lib.Head(bg)
	if err != nil {
		t.Fatal(err)
	}
	var cut int
	if err := admin.QueryRow(bg, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE application_name = $1`, "attache watch "+schema).Scan(&cut); err != nil || cut != 1 {
		t.Fatalf("terminating the watcher's connection: %d cut, %v", cut, err)
	}
	a := corpus.Article{ID: "while-away", Scope: corpus.SharedScope, Title: "Missed?", Body: "Written while the watcher reconnects. It must be found."}
	a.Normalize()
	chunks := corpus.Split(a, corpus.SplitOptions{})
	vecs := make([][]float32, len(chunks))
	for i := range vecs {
		vecs[i] = []float32{1, 2}
	}
	if _, err := writer.Put(bg, a, chunks, vecs); err != nil {
		t.Fatal(err)
	}
	deadline := time.After(15 * time.Second)
	for {
		waitWake(t, w, "after the connection was cut")
		ch, err := lib.Changes(bg, head, 0)
		if err == nil && len(ch) == 1 && ch[0].ArticleID == "while-away" {
			break
		}
		select {
		case <-deadline:
			t.Fatalf("the change never showed: %v, %v", ch, err)
		default:
		}
	}
	// And it listens again: a later write wakes it.
	head, _ = lib.Head(bg)
	if err := writer.Remove(bg, "", "while-away"); err != nil {
		t.Fatal(err)
	}
	for {
		waitWake(t, w, "after reconnecting")
		if ch, err := lib.Changes(bg, head, 0); err == nil && len(ch) == 1 {
			break
		}
		select {
		case <-deadline:
			t.Fatal("the remove never showed")
		default:
		}
	}
}

// TestWatchOtherSchema: libraries in two schemas of one database share
// nothing: another schema's write is neither counted nor logged here.
func TestWatchOtherSchema(t *testing.T) {
	bg := context.Background()
	u1, _ := testSchema(t)
	u2, _ := testSchema(t)
	one, two := openTest(t, u1), openTest(t, u2)
	a := corpus.Article{ID: "elsewhere", Scope: corpus.SharedScope, Title: "Other schema", Body: "Written to another schema. Not here."}
	a.Normalize()
	chunks := corpus.Split(a, corpus.SplitOptions{})
	vecs := make([][]float32, len(chunks))
	for i := range vecs {
		vecs[i] = []float32{1}
	}
	if _, err := two.Put(bg, a, chunks, vecs); err != nil {
		t.Fatal(err)
	}
	if n, err := one.Count(bg); err != nil || n != 0 {
		t.Errorf("Count in the first schema = %d, %v", n, err)
	}
	if h, err := one.Head(bg); err != nil || h != 0 {
		t.Errorf("Head in the first schema = %d, %v", h, err)
	}
}

func waitWake(t *testing.T, w <-chan struct{}, what string) {
	t.Helper()
	select {
	case _, ok := <-w:
		if !ok {
			t.Fatalf("%s: Watch's channel closed", what)
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("%s: no wake-up within 15s", what)
	}
}

// TestAnswerConformance runs the answer-store cases against PostgreSQL.
func TestAnswerConformance(t *testing.T) {
	librarytest.RunAnswers(t, func(t *testing.T) librarytest.AnswerStore {
		dbURL, _ := testSchema(t)
		return openTest(t, dbURL)
	})
}

// TestFeedConformance runs the feed-store cases against PostgreSQL.
func TestFeedConformance(t *testing.T) {
	librarytest.RunFeeds(t, func(t *testing.T) librarytest.FeedStore {
		dbURL, _ := testSchema(t)
		return openTest(t, dbURL)
	})
}

// TestOutletConformance runs the outlet-label cases against PostgreSQL.
func TestOutletConformance(t *testing.T) {
	librarytest.RunOutlets(t, func(t *testing.T) librarytest.OutletStore {
		dbURL, _ := testSchema(t)
		return openTest(t, dbURL)
	})
}

// TestBackendConformance runs the digest, retention, autocomplete and
// report cases against PostgreSQL.
func TestBackendConformance(t *testing.T) {
	librarytest.RunBackend(t, func(t *testing.T) corpus.Backend {
		dbURL, _ := testSchema(t)
		return openTest(t, dbURL)
	})
}

// TestPutIsOneTransaction: a write that fails at its last step (the
// change log, here damaged on purpose) leaves nothing of the article
// behind, and an update that fails leaves the old version whole.
func TestPutIsOneTransaction(t *testing.T) {
	ctx := context.Background()
	dbURL, schema := testSchema(t)
	lib := openTest(t, dbURL)
	admin := adminConn(t)
	mk := func(body string) (corpus.Article, []corpus.Chunk, [][]float32) {
		a := corpus.Article{ID: "whole", Scope: corpus.SharedScope, Title: "Whole or nothing", Body: body}
		a.Normalize()
		c := corpus.Split(a, corpus.SplitOptions{TargetBytes: 40, MaxBytes: 80})
		v := make([][]float32, len(c))
		for i := range v {
			v[i] = []float32{1, 2, 3}
		}
		return a, c, v
	}
	a, c, v := mk("First version. With several sentences. So that it has chunks.")
	if _, err := lib.Put(ctx, a, c, v); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Exec(ctx, "DELETE FROM "+schema+".change_head"); err != nil {
		t.Fatal(err)
	}
	b, bc, bv := mk("Second version. Entirely different words. Never stored.")
	if _, err := lib.Put(ctx, b, bc, bv); err == nil || !strings.Contains(err.Error(), "head row is missing") {
		t.Fatalf("Put with the change log damaged = %v, want its error", err)
	}
	if err := lib.Remove(ctx, "", "whole"); err == nil {
		t.Fatal("Remove with the change log damaged: no error")
	}
	got, err := lib.Get(ctx, "whole")
	if err != nil || got.Body != a.Body {
		t.Errorf("after the failed update: %q, %v; want the first version", got.Body, err)
	}
	chunks, err := lib.ArticleChunks(ctx, "whole")
	if err != nil || len(chunks) != len(c) || chunks[0].Text != c[0].Text {
		t.Errorf("chunks after the failed update: %v, %v", chunks, err)
	}
	st, err := lib.FullText().Stats(ctx, corpus.PassageIndex)
	if err != nil || st.Docs != int64(len(c)) {
		t.Errorf("passage rows after the failed update: %+v, %v; want %d", st, err, len(c))
	}
	n, _ := lib.Count(ctx)
	other := corpus.Article{ID: "new-one", Scope: corpus.SharedScope, Title: "New", Body: "A new article. Also refused."}
	other.Normalize()
	oc := corpus.Split(other, corpus.SplitOptions{})
	ov := make([][]float32, len(oc))
	for i := range ov {
		ov[i] = []float32{1, 2, 3}
	}
	if _, err := lib.Put(ctx, other, oc, ov); err == nil {
		t.Fatal("Put of a new article with the change log damaged: no error")
	}
	if m, _ := lib.Count(ctx); m != n {
		t.Errorf("the refused new article was stored (%d articles, was %d)", m, n)
	}
}

// TestOpenFillsEntities: articles stored before migration 0005 (countries
// NULL) get the entities Put would have given them when the library is
// next opened; the others are left as they are.
func TestOpenFillsEntities(t *testing.T) {
	ctx := context.Background()
	dbURL, _ := testSchema(t)
	lib := openTest(t, dbURL)
	if err := lib.CheckEmbedder(ctx, corpus.EmbedderInfo{Name: "e", Dim: 2}); err != nil {
		t.Fatal(err)
	}
	var arts []corpus.Article
	for i := range 250 { // more than one batch
		a := corpus.Article{ID: "e" + strings.Repeat("x", i%3) + string(rune('a'+i%26)) + strings.Repeat("0", i/26),
			Scope: corpus.SharedScope, Title: "NATO meets in Poland", Body: "Polish ministers met NATO officials in Warsaw. Poland asked for troops."}
		if i%2 == 1 {
			a.Title, a.Body = "Bakery wins prize", "The bakery on the corner won a prize for its bread."
		}
		a.Normalize()
		chunks := corpus.Split(a, corpus.SplitOptions{})
		vecs := make([][]float32, len(chunks))
		for j := range vecs {
			vecs[j] = []float32{1, 0}
		}
		if _, err := lib.Put(ctx, a, chunks, vecs); err != nil {
			t.Fatal(err)
		}
		arts = append(arts, a)
	}
	if _, err := lib.pool.Exec(ctx, "UPDATE articles SET countries = NULL, orgs = ''"); err != nil {
		t.Fatal(err)
	}
	if s, err := lib.Summary(ctx, arts[0].ID); err != nil || len(s.Countries)+len(s.Orgs) != 0 {
		t.Fatalf("before reopening: %+v, %v", s, err)
	}
	again := openTest(t, dbURL)
	for _, a := range arts {
		c, o := corpus.Entities(a.Title, a.Body)
		s, err := again.Summary(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(s.Countries, " ") != strings.Join(c, " ") || strings.Join(s.Orgs, " ") != strings.Join(o, " ") {
			t.Fatalf("%s after reopening: countries %v orgs %v, want %v %v", a.ID, s.Countries, s.Orgs, c, o)
		}
	}
	if c, _ := corpus.Entities(arts[0].Title, arts[0].Body); len(c) == 0 {
		t.Fatal("the test article names no country")
	}
	var left int
	if err := again.pool.QueryRow(ctx, "SELECT count(*) FROM articles WHERE countries IS NULL").Scan(&left); err != nil || left != 0 {
		t.Errorf("%d articles left without entities, %v", left, err)
	}
}

// TestTextStatsStayExact: the full-text totals (rows and summed lengths
// of each index, kept by triggers in text_stats) equal
// what the tables hold after adds, an update that shortens an article,
// and a removal (its rows go by cascade).
func TestTextStatsStayExact(t *testing.T) {
	ctx := context.Background()
	dbURL, schema := testSchema(t)
	lib := openTest(t, dbURL)
	admin := adminConn(t)
	put := func(id, body string) {
		t.Helper()
		a := corpus.Article{ID: id, Scope: corpus.SharedScope, Title: "Ferry " + id, Body: body}
		a.Normalize()
		c := corpus.Split(a, corpus.SplitOptions{TargetBytes: 40, MaxBytes: 80})
		v := make([][]float32, len(c))
		for i := range v {
			v[i] = []float32{1, 2, 3}
		}
		if _, err := lib.Put(ctx, a, c, v); err != nil {
			t.Fatal(err)
		}
	}
	check := func(when string) {
		t.Helper()
		for ix, table := range []string{"passage_terms", "article_terms"} {
			var docs, total, statDocs, statTotal int64
			if err := admin.QueryRow(ctx, "SELECT count(*), coalesce(sum(len), 0) FROM "+schema+"."+table).Scan(&docs, &total); err != nil {
				t.Fatal(err)
			}
			if err := admin.QueryRow(ctx, "SELECT docs, total FROM "+schema+".text_stats WHERE ix = $1", ix).Scan(&statDocs, &statTotal); err != nil {
				t.Fatal(err)
			}
			if docs == 0 && when != "empty" {
				t.Errorf("%s: %s is empty: the test wrote nothing", when, table)
			}
			if statDocs != docs || statTotal != total {
				t.Errorf("%s: %s stats say %d rows of %d terms, the table holds %d of %d", when, table, statDocs, statTotal, docs, total)
			}
		}
	}
	check("empty")
	put("one", "The Halvik ferry timetable changes on Monday. Two morning crossings are added. The evening boat is later.")
	put("two", "Lighthouse keepers in Brellow protested on Saturday. They oppose automation of the last staffed lights.")
	check("after two adds")
	put("one", "The Halvik ferry timetable changes on Monday.")
	check("after an update")
	if err := lib.Remove(ctx, "", "two"); err != nil {
		t.Fatal(err)
	}
	check("after a removal")
}
