package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/attache-bot/attache/corpus"
	"github.com/attache-bot/attache/corpus/postgres"
	"github.com/attache-bot/attache/corpus/postgres/pgtest"
	"github.com/attache-bot/attache/retrieval"
)

// migrateGuild is the guild whose articles the migrate tests ingest
// besides the shared ones.
const migrateGuild = "112233445566778899"

// migrateCorpus ingests a small library (shared and guild articles) into
// c's data directory with the command line, and adds an answer, a vote
// and a polled feed with an item directly.
func migrateCorpus(t *testing.T, c *cli) {
	t.Helper()
	shared := writeFile(t, c.dir, "shared.jsonl", strings.Join([]string{
		jsonlRecord("flood", "Floods in the north", "Wire", "2026-03-02", "Floods hit the northern province on Monday. Rescue teams reached three villages. The river rose two metres overnight."),
		jsonlRecord("vote", "Election count", "Wire", "2026-03-03", "The election count finished in Tarvia. Turnout reached 61 per cent. Officials were surprised by the quorvex result."),
		jsonlRecord("talks", "Harbour talks", "Wire", "", "Envoys met in the harbour city to discuss the fishing accord. They agreed on a timetable for the next round."),
	}, "\n"))
	guild := writeFile(t, c.dir, "guild.jsonl", strings.Join([]string{
		jsonlRecord("club", "Club newsletter", "Club", "2026-02-01", "The chess club meets on Thursdays. New members bring their own boards."),
		jsonlRecord("flood", "Local flood notes", "Club", "2026-03-04", "Our members helped the rescue teams after the floods. The river is falling again."),
	}, "\n"))
	c.mustRun(0, "ingest", shared)
	c.mustRun(0, "ingest", "-guild", migrateGuild, guild)

	ctx := context.Background()
	lib, err := corpus.Open(ctx, c.env["ATTACHE_DATA_DIR"])
	if err != nil {
		t.Fatal(err)
	}
	defer lib.Close()
	at := time.Date(2026, 3, 5, 10, 0, 0, 123456000, time.UTC)
	if err := lib.SaveAnswer(ctx, corpus.AnswerRecord{ID: "ans-1", GuildID: migrateGuild, UserID: "u1", Question: "What flooded?",
		Answer: "The north [1].", Sources: `[{"n":1,"id":"flood"}]`, Time: at}); err != nil {
		t.Fatal(err)
	}
	if err := lib.SaveAnswerMessage(ctx, "msg-1", "ans-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := lib.SaveFeedback(ctx, corpus.Feedback{AnswerID: "ans-1", UserID: "u2", GuildID: migrateGuild, Vote: -1,
		Question: "What flooded?", Answer: "The north [1].", Sources: "[]", Time: at.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	f, err := lib.AddFeed(ctx, corpus.Feed{Scope: migrateGuild, URL: "https://club.example/feed.xml", Title: "Club feed", AddedAt: at}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := lib.SaveFeedPoll(ctx, f.ID, corpus.FeedPoll{At: at.Add(time.Hour), ETag: `"v1"`, LastModified: "Thu, 05 Mar 2026 11:00:00 GMT"}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := lib.SaveFeedPoll(ctx, f.ID, corpus.FeedPoll{At: at.Add(2 * time.Hour), Err: "HTTP 503", RetryAt: at.Add(3 * time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := lib.SetFeedRetention(ctx, f.ID, 30); err != nil {
		t.Fatal(err)
	}
	if err := lib.SetDigest(ctx, corpus.Digest{GuildID: migrateGuild, ChannelID: "chan-1", Hour: 7, LastSent: at}); err != nil {
		t.Fatal(err)
	}
	for _, l := range []corpus.OutletLabel{{Scope: corpus.SharedScope, Outlet: "Coastal Wire", Label: "wire"}, {Scope: migrateGuild, Outlet: "Club News", Label: "official"}} {
		if err := lib.SetOutletLabel(ctx, l.Scope, l.Outlet, l.Label, at); err != nil {
			t.Fatal(err)
		}
	}
	if err := lib.SaveFeedItem(ctx, corpus.FeedItem{FeedID: f.ID, GUID: "g-1", URL: "https://club.example/1", ArticleID: corpus.ScopedID(migrateGuild, "club"),
		Signature: "sig", Bands: []string{"b1", "b2"}}, at); err != nil {
		t.Fatal(err)
	}
}

// openPostgres opens the PostgreSQL library at dbURL, closed when the test
// ends.
func openPostgres(t testing.TB, dbURL string) *postgres.Library {
	t.Helper()
	lib, err := postgres.Open(context.Background(), dbURL)
	if err != nil {
		t.Fatalf("postgres.Open: %v", err)
	}
	t.Cleanup(func() { lib.Close() })
	return lib
}

// openData opens c's data directory, closed when the test ends.
func openData(t testing.TB, c *cli) *corpus.Library {
	t.Helper()
	lib, err := corpus.Open(context.Background(), c.env["ATTACHE_DATA_DIR"])
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lib.Close() })
	return lib
}

// sameLibrary checks that dst holds every article of src exactly: fields,
// chunks with their texts and vectors.
func sameLibrary(t testing.TB, src, dst corpus.Store) {
	t.Helper()
	ctx := context.Background()
	list, err := src.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range list {
		a, _ := src.Get(ctx, s.ID)
		b, err := dst.Get(ctx, s.ID)
		if err != nil || b != a {
			t.Errorf("article %s in PostgreSQL = %+v, %v\nwant %+v", s.ID, b, err, a)
			continue
		}
		ac, _ := src.ArticleChunks(ctx, s.ID)
		bc, err := dst.ArticleChunks(ctx, s.ID)
		if err != nil || !slices.Equal(ac, bc) {
			t.Errorf("chunks of %s differ: %v", s.ID, err)
		}
		as, _ := src.Stored(ctx, s.ID)
		bs, err := dst.Stored(ctx, s.ID)
		if err != nil || len(as.Chunks) != len(bs.Chunks) || as.Hash != bs.Hash {
			t.Errorf("stored %s differs: %v", s.ID, err)
			continue
		}
		for i := range as.Chunks {
			if !slices.Equal(as.Chunks[i].Vector, bs.Chunks[i].Vector) {
				t.Errorf("vector of chunk %s differs", as.Chunks[i].ID)
			}
		}
	}
}

func TestMigrate(t *testing.T) {
	c := newCLI(t)
	migrateCorpus(t, c)
	dbURL, schema := pgtest.Schema(t)

	r := c.mustRun(0, "migrate", "-to", dbURL)
	for _, want := range []string{
		"migrated 5 articles", "to PostgreSQL schema " + schema, "5 copied", "0 already there",
		"1 answers, 1 answer messages, 1 votes, 1 feeds, 1 feed items, 1 digests, 2 outlet labels",
		"scope shared: 3 articles", "scope " + migrateGuild + ": 2 articles",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("migrate output lacks %q:\n%s", want, r.stdout)
		}
	}
	if n := strings.Count(r.stdout, ": verified"); n != 2 {
		t.Errorf("%d scopes verified, want 2:\n%s", n, r.stdout)
	}

	ctx := context.Background()
	src := openData(t, c)
	dst := openPostgres(t, dbURL)
	sameLibrary(t, src, dst)
	if a, b := mustEmbedder(t, src), mustEmbedder(t, dst); a != b {
		t.Errorf("embedder in PostgreSQL = %+v, want %+v", b, a)
	}
	if n, _ := dst.Count(ctx); n != 5 {
		t.Errorf("PostgreSQL holds %d articles, want 5", n)
	}
	// Marked as in use: never seeded with the sample corpus, not even once
	// its articles are all removed.
	if done, err := dst.Done(ctx, seededMarker); err != nil || !done {
		t.Errorf("the migrated library is not marked as in use: %v, %v", done, err)
	}
	wantAns, _ := src.Answer(ctx, "ans-1")
	if got, err := dst.AnswerByMessage(ctx, "msg-1"); err != nil || got != wantAns {
		t.Errorf("answer of msg-1 in PostgreSQL = %+v, %v; want %+v", got, err, wantAns)
	}
	wantVotes, _ := src.Feedback(ctx, "")
	if got, err := dst.Feedback(ctx, ""); err != nil || !reflect.DeepEqual(got, wantVotes) {
		t.Errorf("votes in PostgreSQL = %+v, %v; want %+v", got, err, wantVotes)
	}
	wantFeeds, _ := src.Feeds(ctx, "")
	gotFeeds, err := dst.Feeds(ctx, "")
	if err != nil || len(gotFeeds) != 1 {
		t.Fatalf("feeds in PostgreSQL = %+v, %v", gotFeeds, err)
	}
	if g, w := gotFeeds[0], wantFeeds[0]; g.RetentionDays != 30 || g.ID != w.ID || g.URL != w.URL || g.Title != w.Title || g.ETag != w.ETag ||
		g.LastModified != w.LastModified || !g.LastPolled.Equal(w.LastPolled) || !g.LastOK.Equal(w.LastOK) ||
		g.Failures != w.Failures || g.LastError != w.LastError || !g.RetryAt.Equal(w.RetryAt) || !g.AddedAt.Equal(w.AddedAt) {
		t.Errorf("feed in PostgreSQL = %+v\nwant %+v", g, w)
	}
	if got, err := dst.Digests(ctx); err != nil || len(got) != 1 || got[0].GuildID != migrateGuild ||
		got[0].ChannelID != "chan-1" || got[0].Hour != 7 || !got[0].LastSent.Equal(time.Date(2026, 3, 5, 10, 0, 0, 123456000, time.UTC)) {
		t.Errorf("digests in PostgreSQL = %+v, %v", got, err)
	}
	if got, err := dst.OutletLabels(ctx); err != nil || len(got) != 2 || got[0].Outlet != "Club News" || got[0].Label != "official" ||
		got[0].Scope != migrateGuild || got[1].Label != "wire" || !got[1].SetAt.Equal(time.Date(2026, 3, 5, 10, 0, 0, 123456000, time.UTC)) {
		t.Errorf("outlet labels in PostgreSQL = %+v, %v", got, err)
	}
	wantItem, _, _ := src.FeedItem(ctx, wantFeeds[0].ID, "g-1")
	if got, ok, err := dst.FeedItem(ctx, wantFeeds[0].ID, "g-1"); err != nil || !ok || !reflect.DeepEqual(got, wantItem) {
		t.Errorf("feed item in PostgreSQL = %+v, %v, %v; want %+v", got, ok, err, wantItem)
	}

	// The same answers from either library.
	for _, req := range []retrieval.Request{
		{Question: "What happened to the river in the north?"},
		{Question: "What was the turnout of the election?"},
		{Question: "When does the chess club meet?", Scope: migrateGuild},
		{Question: "Who helped the rescue teams after the floods?", Scope: migrateGuild},
	} {
		a, b := answer(t, src, req), answer(t, dst, req)
		if a.Text != b.Text || !reflect.DeepEqual(a.Sources, b.Sources) || len(a.Sources) == 0 {
			t.Errorf("%q: SQLite answers %q %+v\nPostgreSQL answers %q %+v", req.Question, a.Text, a.Sources, b.Text, b.Sources)
		}
	}

	// And from the command line: ask gives the same answer with
	// ATTACHE_DATABASE_URL set as from the data directory (and does not
	// seed the migrated library with the sample corpus).
	for _, q := range []struct{ guild, question string }{
		{"", "What happened to the river in the north?"},
		{"", "What was the turnout of the election?"},
		{migrateGuild, "When does the chess club meet?"},
	} {
		args := []string{"ask", "-json", "-asof", "2026-03-10", q.question}
		if q.guild != "" {
			args = append(args, "-guild", q.guild)
		}
		fromDir := parseAsk(t, c.mustRun(0, args...))
		c.env["ATTACHE_DATABASE_URL"] = dbURL
		r := c.mustRun(0, args...)
		delete(c.env, "ATTACHE_DATABASE_URL")
		fromDB := parseAsk(t, r)
		if strings.Contains(r.stderr, "sample corpus") {
			t.Errorf("ask against the migrated library seeded it: %s", r.stderr)
		}
		if !sameAsk(fromDir, fromDB) || len(fromDir.Sources) == 0 {
			t.Errorf("%q: from the data directory %+v\nfrom PostgreSQL %+v", q.question, fromDir, fromDB)
		}
	}
	if n, _ := dst.Count(ctx); n != 5 {
		t.Errorf("after ask PostgreSQL holds %d articles, want 5", n)
	}

	// Again: nothing to copy, nothing duplicated.
	r = c.mustRun(0, "migrate", "-to", dbURL)
	if !strings.Contains(r.stdout, "0 copied (0 chunks), 5 already there") || strings.Count(r.stdout, ": verified") != 2 {
		t.Errorf("second migrate:\n%s", r.stdout)
	}
	if n, _ := dst.Count(ctx); n != 5 {
		t.Errorf("after a second migrate PostgreSQL holds %d articles, want 5", n)
	}
	if got, _ := dst.Feedback(ctx, ""); len(got) != 1 {
		t.Errorf("after a second migrate PostgreSQL holds %d votes, want 1", len(got))
	}
	if got, _ := dst.Feeds(ctx, ""); len(got) != 1 || got[0].Failures != wantFeeds[0].Failures {
		t.Errorf("after a second migrate the feeds are %+v", got)
	}
}

func parseAsk(t *testing.T, r result) askJSON {
	t.Helper()
	var out askJSON
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("ask -json: %v\n%s", err, r)
	}
	return out
}

// sameAsk compares two answers; scores may differ in the last bits (the
// two libraries sum BM25 in different orders).
func sameAsk(a, b askJSON) bool {
	if a.Answer != b.Answer || a.Mode != b.Mode || len(a.Sources) != len(b.Sources) {
		return false
	}
	for i := range a.Sources {
		x, y := a.Sources[i], b.Sources[i]
		if x.N != y.N || x.ArticleID != y.ArticleID || x.ChunkID != y.ChunkID || x.Title != y.Title ||
			x.Source != y.Source || x.Published != y.Published || x.URL != y.URL || math.Abs(x.Score-y.Score) > 1e-9 {
			return false
		}
	}
	return true
}

func mustEmbedder(t *testing.T, lib corpus.Store) corpus.EmbedderInfo {
	t.Helper()
	info, ok, err := lib.Embedder(context.Background())
	if err != nil || !ok {
		t.Fatalf("Embedder = %+v, %v, %v", info, ok, err)
	}
	return info
}

// answer asks lib through an engine of the default configuration, as ask
// does without a language model.
func answer(t *testing.T, lib corpus.Store, req retrieval.Request) retrieval.Answer {
	t.Helper()
	ctx := context.Background()
	e, err := retrieval.New(ctx, lib, retrieval.Config{Now: func() time.Time { return time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatalf("retrieval.New: %v", err)
	}
	a, err := e.Answer(ctx, req, nil)
	if err != nil {
		t.Fatalf("Answer(%q): %v", req.Question, err)
	}
	return a
}

func TestMigrateBadInput(t *testing.T) {
	c := newCLI(t)
	migrateCorpus(t, c)
	dbURL, _ := pgtest.Schema(t)
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no -to", []string{"migrate"}, 2, "-to is required"},
		{"empty -to", []string{"migrate", "-to", "  "}, 2, "-to is required"},
		{"not postgres", []string{"migrate", "-to", "mysql://root@127.0.0.1/test"}, 2, "must be a PostgreSQL URL"},
		{"a path", []string{"migrate", "-to", "/var/lib/attache"}, 2, "must be a PostgreSQL URL"},
		{"malformed", []string{"migrate", "-to", "postgres://root@[::1/test"}, 2, "must be a PostgreSQL URL"},
		{"bad option", []string{"migrate", "-to", "postgres://root:s3cret@127.0.0.1/test?sslmode=bogus"}, 2, "must be a PostgreSQL URL"},
		{"control characters", []string{"migrate", "-to", "postgres://root@127.0.0.1/test\x1b[2J"}, 2, "control characters"},
		{"oversized", []string{"migrate", "-to", "postgres://root@127.0.0.1/" + strings.Repeat("d", 5000)}, 2, "over 4096"},
		{"an argument", []string{"migrate", "-to", dbURL, "./data"}, 2, "unexpected argument"},
		{"unreachable", []string{"migrate", "-to", "postgres://root:s3cret@127.0.0.1:1/test?connect_timeout=2"}, 1, "cannot reach PostgreSQL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := c.mustRun(tc.code, tc.args...)
			if !strings.Contains(r.stderr, tc.want) {
				t.Errorf("stderr = %q, want it to say %q", r.stderr, tc.want)
			}
			if strings.Contains(r.stderr, "s3cret") {
				t.Errorf("the password is shown: %q", r.stderr)
			}
		})
	}
	dst := openPostgres(t, dbURL)
	if n, err := dst.Count(context.Background()); err != nil || n != 0 {
		t.Errorf("after refused migrates the target holds %d articles, %v", n, err)
	}

	dirs := func(t *testing.T, name, want string, setup func(dir string)) {
		t.Run(name, func(t *testing.T) {
			d := newCLI(t)
			setup(d.env["ATTACHE_DATA_DIR"])
			db := filepath.Join(d.env["ATTACHE_DATA_DIR"], corpus.DBFile)
			_, err := os.Stat(db)
			existed := err == nil
			r := d.mustRun(1, "migrate", "-to", dbURL)
			if !strings.Contains(r.stderr, want) {
				t.Errorf("stderr = %q, want it to say %q", r.stderr, want)
			}
			if _, err := os.Stat(db); err == nil && !existed {
				t.Errorf("the refused migrate created %s", db)
			}
		})
	}
	dirs(t, "missing data directory", "no data directory at", func(string) {})
	dirs(t, "empty data directory", "holds no library", func(dir string) { os.Mkdir(dir, 0o750) })
	dirs(t, "a file", "is not a directory", func(dir string) { os.WriteFile(dir, []byte("x"), 0o600) })
	dirs(t, "empty database file", "is empty (0 bytes)", func(dir string) {
		os.Mkdir(dir, 0o750)
		os.WriteFile(filepath.Join(dir, corpus.DBFile), nil, 0o600)
	})
	dirs(t, "not a database", "data directory", func(dir string) {
		os.Mkdir(dir, 0o750)
		os.WriteFile(filepath.Join(dir, corpus.DBFile), []byte(strings.Repeat("not sqlite ", 100)), 0o600)
	})
	dirs(t, "no articles", "holds no articles", func(dir string) {
		lib, err := corpus.Open(context.Background(), dir)
		if err != nil {
			t.Fatal(err)
		}
		lib.Close()
	})
	dirs(t, "newer schema", "newer version of attache", func(dir string) {
		lib, err := corpus.Open(context.Background(), dir)
		if err != nil {
			t.Fatal(err)
		}
		lib.Close()
		db, err := sql.Open("sqlite", filepath.Join(dir, corpus.DBFile))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := db.Exec("UPDATE meta SET value = '99' WHERE key = 'schema_version'"); err != nil {
			t.Fatal(err)
		}
	})
	if n, err := dst.Count(context.Background()); err != nil || n != 0 {
		t.Errorf("after refused migrates the target holds %d articles, %v", n, err)
	}
}

// TestMigrateRefusesConflicts: a target made by another embedder, or
// holding another article under one of the source's ids, is refused before
// anything is written.
func TestMigrateRefusesConflicts(t *testing.T) {
	ctx := context.Background()
	c := newCLI(t)
	migrateCorpus(t, c)

	t.Run("embedder", func(t *testing.T) {
		dbURL, _ := pgtest.Schema(t)
		dst := openPostgres(t, dbURL)
		if err := dst.CheckEmbedder(ctx, corpus.EmbedderInfo{Name: "other-embedder", Dim: 3}); err != nil {
			t.Fatal(err)
		}
		r := c.mustRun(1, "migrate", "-to", dbURL)
		if !strings.Contains(r.stderr, "other-embedder") || !strings.Contains(r.stderr, "empty library") {
			t.Errorf("stderr = %q, want the other embedder named and what to do", r.stderr)
		}
		if n, _ := dst.Count(ctx); n != 0 {
			t.Errorf("the refused migrate wrote %d articles", n)
		}
	})
	t.Run("same id", func(t *testing.T) {
		dbURL, _ := pgtest.Schema(t)
		dst := openPostgres(t, dbURL)
		src := openData(t, c)
		if err := dst.CheckEmbedder(ctx, mustEmbedder(t, src)); err != nil {
			t.Fatal(err)
		}
		a, err := src.Get(ctx, "talks")
		if err != nil {
			t.Fatal(err)
		}
		a.Body = "Another story under the same id. It must not be replaced."
		a.Normalize()
		chunks := corpus.Split(a, corpus.SplitOptions{})
		st, _ := src.Stored(ctx, "flood")
		vecs := make([][]float32, len(chunks))
		for i := range vecs {
			vecs[i] = st.Chunks[0].Vector
		}
		if _, err := dst.Put(ctx, a, chunks, vecs); err != nil {
			t.Fatal(err)
		}
		r := c.mustRun(1, "migrate", "-to", dbURL)
		if !strings.Contains(r.stderr, "other articles under 1 of the source's ids (talks)") {
			t.Errorf("stderr = %q, want the conflicting id named", r.stderr)
		}
		if n, _ := dst.Count(ctx); n != 1 {
			t.Errorf("the refused migrate left %d articles, want the 1 there before", n)
		}
		if got, _ := dst.Get(ctx, "talks"); got.Body != a.Body {
			t.Errorf("the refused migrate replaced the target's article")
		}
	})
}

// TestMigrateKilled kills migrate with SIGKILL twice at random points: the
// target then holds whole articles only, and a re-run completes the copy
// with verified counts and no duplicates.
func TestMigrateKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("kills child processes; skipped with -short")
	}
	const total = 400
	c := newCLI(t)
	rng := rand.New(rand.NewPCG(12, 34))
	var lines []string
	for i := range total {
		a := syntheticArticle(i, rng)
		lines = append(lines, jsonlRecord(a.ID, a.Title, a.Source, a.Published.Format(corpus.DateLayout), a.Body))
	}
	c.mustRun(0, "ingest", writeFile(t, c.dir, "many.jsonl", strings.Join(lines, "\n")))
	dbURL, _ := pgtest.Schema(t)
	c.env["LOG_LEVEL"] = "debug" // one progress line per article: the kill points

	src := openData(t, c)
	ctx := context.Background()
	stored := 0
	for kill := range 2 {
		after := 1 + rng.IntN(total/3)
		killMigrateAfter(t, c, dbURL, after)
		dst := openPostgres(t, dbURL)
		list, err := dst.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range list {
			want, err := src.Summary(ctx, s.ID)
			if err != nil || s.Chunks != want.Chunks {
				t.Fatalf("kill %d: %s has %d chunks, want %d (%v)", kill, s.ID, s.Chunks, want.Chunks, err)
			}
		}
		vectors := 0
		dst.Chunks(ctx, func(sc corpus.StoredChunk) error {
			if len(sc.Vector) > 0 {
				vectors++
			}
			return nil
		})
		if n, _ := dst.ChunkCount(ctx); n != vectors {
			t.Fatalf("kill %d: %d chunks, %d vectors", kill, n, vectors)
		}
		t.Logf("kill %d after %d progress lines: %d articles copied", kill, after, len(list))
		if len(list) < stored || len(list) >= total {
			t.Errorf("kill %d: %d articles in the target (%d before, %d in all)", kill, len(list), stored, total)
		}
		stored = len(list)
		dst.Close()
	}
	// Ctrl-C: one line saying how far it got and what to do, exit 1.
	seen, rest, err := signalAfter(t, c, os.Interrupt, func(line string) bool { return strings.Contains(line, "migrate progress") }, 5, "migrate", "-to", dbURL)
	var ee *exec.ExitError
	if seen < 5 || !errors.As(err, &ee) || ee.ExitCode() != 1 ||
		!regexp.MustCompile(`attache: migrate interrupted after \d+ of 400 articles; run the same command again to finish\n$`).MatchString(rest) {
		t.Errorf("interrupted migrate: %d lines, %v, stderr ends %q", seen, err, lastLine(rest))
	}
	r := c.mustRun(0, "migrate", "-to", dbURL)
	m := regexp.MustCompile(`migrated (\d+) articles .*: (\d+) copied \(\d+ chunks\), (\d+) already there`).FindStringSubmatch(r.stdout)
	if m == nil || m[1] != fmt.Sprint(total) || atoi(m[2])+atoi(m[3]) != total || atoi(m[3]) <= stored ||
		!strings.Contains(r.stdout, fmt.Sprintf("scope shared: %d articles", total)) || !strings.Contains(r.stdout, ": verified") {
		t.Errorf("re-run after the kills and the interrupt (%d copied before the interrupt):\n%s", stored, r.stdout)
	}
	dst := openPostgres(t, dbURL)
	if n, _ := dst.Count(ctx); n != total {
		t.Errorf("%d articles after the re-run, want %d", n, total)
	}
	sameLibrary(t, src, dst)
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// killMigrateAfter starts a migrate, kills it with SIGKILL once it has
// logged after progress lines and waits for it to die.
func killMigrateAfter(t testing.TB, c *cli, dbURL string, after int) {
	t.Helper()
	seen := killAfter(t, c, func(line string) bool { return strings.Contains(line, "migrate progress") }, after, "migrate", "-to", dbURL)
	if seen < after {
		t.Fatalf("migrate finished after %d progress lines, before the kill at %d", seen, after)
	}
}
