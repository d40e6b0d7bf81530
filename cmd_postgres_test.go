package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/attache-bot/attache/corpus"
	"github.com/attache-bot/attache/corpus/postgres/pgtest"
)

// newPostgresCLI is newCLI with ATTACHE_DATABASE_URL set to a throw-away
// schema (dropped at the end of the test); the data directory is set too,
// so that a test can check it is never used.
func newPostgresCLI(t *testing.T) (*cli, string) {
	t.Helper()
	c := newCLI(t)
	dbURL, schema := pgtest.Schema(t)
	c.env["ATTACHE_DATABASE_URL"] = dbURL
	return c, schema
}

// TestPostgresIngestAskListRemove: with ATTACHE_DATABASE_URL every command
// works on the database (and never creates the data directory): ingest,
// then ask cites the article, list shows it, remove deletes it. Ingest
// first means the sample corpus is never added.
func TestPostgresIngestAskListRemove(t *testing.T) {
	t.Parallel()
	c, _ := newPostgresCLI(t)
	r := c.mustRun(0, "ingest", lighthouseFile(t, c.dir))
	if !strings.Contains(r.stdout, "1 added") {
		t.Errorf("ingest:\n%s", r)
	}
	r = c.mustRun(0, "ask", lighthouseQuestion)
	if !strings.Contains(r.stdout, "news.example/lighthouse-1") || strings.Contains(r.stderr, "sample") {
		t.Errorf("ask does not cite the ingested article, or seeded the database:\n%s", r)
	}
	if ids := listIDs(t, c); len(ids) != 1 || ids["lighthouse-1"] != 1 {
		t.Errorf("list = %v, want lighthouse-1 only", ids)
	}
	c.mustRun(0, "remove", "lighthouse-1")
	if ids := listIDs(t, c); len(ids) != 0 {
		t.Errorf("list after remove = %v", ids)
	}
	c.mustRun(1, "remove", "lighthouse-1")
	// Emptied, the database is still not seeded.
	r = c.mustRun(0, "ask", lighthouseQuestion)
	if strings.Contains(r.stderr, "sample") || len(listIDs(t, c)) != 0 {
		t.Errorf("ask after removing everything seeded the database:\n%s", r)
	}
	if _, err := os.Stat(filepath.Join(c.dir, "data")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the data directory was created with ATTACHE_DATABASE_URL set: %v", err)
	}
}

// TestPostgresSeedOnce: two processes asking at once on a new database
// add the sample corpus once (one of them says so), and removing a sample
// article is final.
func TestPostgresSeedOnce(t *testing.T) {
	t.Parallel()
	c, _ := newPostgresCLI(t)
	ctx, cancel := context.WithTimeout(context.Background(), childTimeout)
	defer cancel()
	var cmds []*exec.Cmd
	var outs []*bytes.Buffer
	for range 2 {
		cmd := c.command(ctx, "ask", sampleQuestion)
		var stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &bytes.Buffer{}, &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds, outs = append(cmds, cmd), append(outs, &stderr)
	}
	seeded := 0
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("ask %d: %v\n%s", i, err, outs[i])
		}
		if strings.Contains(outs[i].String(), "added the bundled sample corpus") {
			seeded++
		}
	}
	if seeded != 1 {
		t.Errorf("%d of the two processes added the sample corpus, want 1:\n%s\n---\n%s", seeded, outs[0], outs[1])
	}
	ids := listIDs(t, c)
	if len(ids) != len(corpus.Sample()) {
		t.Fatalf("list = %v, want the %d sample articles", ids, len(corpus.Sample()))
	}
	for id := range ids {
		c.mustRun(0, "remove", id)
		break
	}
	if r := c.mustRun(0, "ask", sampleQuestion); strings.Contains(r.stderr, "sample") {
		t.Errorf("ask seeded again:\n%s", r)
	}
	if got := listIDs(t, c); len(got) != len(ids)-1 {
		t.Errorf("list after removing one sample article and asking = %d articles, want %d", len(got), len(ids)-1)
	}
}

// TestPostgresServeFollows: a running serve on PostgreSQL answers with an
// article another process ingests into the same database, and stops
// citing it once a third removes it, without a restart.
func TestPostgresServeFollows(t *testing.T) {
	t.Parallel()
	c, _ := newPostgresCLI(t)
	testServeFollows(t, c)
}

// TestPostgresFeedAndReportCommands: feed add, list, poll and remove and
// the report work on the PostgreSQL library as on SQLite.
func TestPostgresFeedAndReportCommands(t *testing.T) {
	t.Parallel()
	c, srv := feedCLI(t)
	dbURL, _ := pgtest.Schema(t)
	c.env["ATTACHE_DATABASE_URL"] = dbURL
	testFeedCommands(t, c, srv)
	r := c.mustRun(0, "report", "-json")
	var rep struct {
		Feeds []struct {
			URL string `json:"url"`
		} `json:"feeds"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("report -json: %v\n%s", err, r)
	}
	if len(rep.Feeds) != 0 {
		t.Errorf("report lists feeds after they were removed: %+v", rep.Feeds)
	}
	if _, err := os.Stat(filepath.Join(c.dir, "data")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the data directory was created with ATTACHE_DATABASE_URL set: %v", err)
	}
}

// TestPostgresBadURL: an invalid ATTACHE_DATABASE_URL is a configuration
// error (exit 2) naming the variable; one that cannot be used (no server,
// no such schema) a runtime error (exit 1); each is one line, and the
// password is never shown. An empty one means SQLite.
func TestPostgresBadURL(t *testing.T) {
	t.Parallel()
	const password = "pw-HUNTER2-secret"
	for _, c := range []struct {
		name, url string
		code      int
		want      string
	}{
		{"malformed", "postgres://root:" + password + "@127.0.0.1:notaport/test", 2, "ATTACHE_DATABASE_URL"},
		{"other scheme", "mysql://root:" + password + "@127.0.0.1/test", 2, "ATTACHE_DATABASE_URL"},
		{"key=value", "host=127.0.0.1 password=" + password, 2, "ATTACHE_DATABASE_URL"},
		{"oversized", "postgres://root:" + password + "@127.0.0.1/" + strings.Repeat("d", 5000), 2, "ATTACHE_DATABASE_URL"},
		{"control characters", "postgres://root:" + password + "@127.0.0.1/test\x1b[2J", 2, "ATTACHE_DATABASE_URL"},
		{"unreachable", "postgres://root:" + password + "@127.0.0.1:1/test?connect_timeout=5", 1, "cannot reach PostgreSQL"},
		{"no such schema", "postgres://root:" + password + "@127.0.0.1:5432/test?sslmode=disable&search_path=no_such_schema", 1, "create it"},
		{"hostile schema", "postgres://root:" + password + "@127.0.0.1:5432/test?sslmode=disable&search_path=x%22%3B%20DROP%20SCHEMA%20public%20CASCADE%3B%20--", 1, "search_path"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cl := newCLI(t)
			cl.env["ATTACHE_DATABASE_URL"] = c.url
			r := cl.mustRun(c.code, "list")
			if strings.Count(strings.TrimRight(r.stderr, "\n"), "\n") != 0 || !strings.Contains(r.stderr, c.want) {
				t.Errorf("stderr is not one line saying %q:\n%s", c.want, r.stderr)
			}
			if strings.Contains(r.stderr, "HUNTER2") {
				t.Errorf("stderr shows the password:\n%s", r.stderr)
			}
		})
	}
	// The hostile search_path did nothing to the database.
	var n int
	if err := pgtest.Admin(t).QueryRow(context.Background(), "SELECT count(*) FROM pg_namespace WHERE nspname = 'public'").Scan(&n); err != nil || n != 1 {
		t.Errorf("schema public: %d, %v", n, err)
	}
	cl := newCLI(t)
	cl.env["ATTACHE_DATABASE_URL"] = "  "
	cl.mustRun(0, "list")
	if _, err := os.Stat(filepath.Join(cl.dir, "data", corpus.DBFile)); err != nil {
		t.Errorf("an empty ATTACHE_DATABASE_URL did not use the data directory: %v", err)
	}
}
