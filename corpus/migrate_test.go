package corpus

import (
	"context"
	"database/sql"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"testing"

	"github.com/attache-bot/attache/vector"
)

// schema2 is the layout the previous release wrote (porter-stemmed
// full-text tables kept by triggers), for the upgrade test.
const schema2 = `
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE articles (
	seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, scope TEXT NOT NULL, url TEXT NOT NULL DEFAULT '',
	title TEXT NOT NULL, source TEXT NOT NULL DEFAULT '', published TEXT NOT NULL DEFAULT '',
	language TEXT NOT NULL DEFAULT '', body TEXT NOT NULL, hash TEXT NOT NULL, added_at TEXT NOT NULL);
CREATE TABLE chunks (
	seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE,
	article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
	idx INTEGER NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL, text TEXT NOT NULL,
	scope TEXT NOT NULL, published TEXT NOT NULL DEFAULT '');
CREATE TABLE chunk_vectors (seq INTEGER PRIMARY KEY REFERENCES chunks(seq) ON DELETE CASCADE, vector BLOB NOT NULL);
CREATE VIRTUAL TABLE chunks_fts USING fts5(title, text, content='', contentless_delete=1,
	tokenize='porter unicode61 remove_diacritics 2');
CREATE VIRTUAL TABLE articles_fts USING fts5(title, body, content='', contentless_delete=1,
	tokenize='porter unicode61 remove_diacritics 2');
CREATE TRIGGER articles_ai AFTER INSERT ON articles BEGIN
	INSERT INTO articles_fts(rowid, title, body) VALUES (new.seq, new.title, new.body);
END;
CREATE TRIGGER articles_ad AFTER DELETE ON articles BEGIN
	DELETE FROM articles_fts WHERE rowid = old.seq;
END;
CREATE TRIGGER articles_au AFTER UPDATE OF title, body ON articles BEGIN
	DELETE FROM articles_fts WHERE rowid = old.seq;
	INSERT INTO articles_fts(rowid, title, body) VALUES (new.seq, new.title, new.body);
END;
CREATE TRIGGER chunks_ai AFTER INSERT ON chunks BEGIN
	INSERT INTO chunks_fts(rowid, title, text)
	VALUES (new.seq, (SELECT title FROM articles WHERE id = new.article_id), new.text);
END;
CREATE TRIGGER chunks_ad AFTER DELETE ON chunks BEGIN
	DELETE FROM chunks_fts WHERE rowid = old.seq;
END;
INSERT INTO meta(key, value) VALUES ('schema_version', '2'), ('embedder_name', 'test-v1'), ('embedder_dim', '4');
`

// TestMigrateSchema2 opens a library in the previous release's layout:
// it is upgraded in place, its articles keep their chunks and vectors, the
// porter tables are gone, the analysed-term tables hold exactly the rows
// Put would have written, and the change log is there and records the
// writes that follow.
func TestMigrateSchema2(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := sql.Open("sqlite", filepath.Join(dir, DBFile))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(schema2); err != nil {
		t.Fatal(err)
	}
	arts := []Article{
		libArticle("a1", SharedScope, "Ministers meet over treaty", "2025-03-04", libBodyTreaty),
		libArticle("b1@g", "g", "Harbour strike ends", "", "Dock workers returned to work on Thursday after a pay deal."),
	}
	for _, a := range arts {
		a.Normalize()
		if _, err := db.Exec(`INSERT INTO articles(id, scope, title, published, body, hash, added_at) VALUES (?, ?, ?, ?, ?, ?, '2025-01-01T00:00:00Z')`,
			a.ID, a.Scope, a.Title, formatDate(a.Published), a.Body, Hash(a)); err != nil {
			t.Fatal(err)
		}
		for _, c := range Split(a, SplitOptions{}) {
			res, err := db.Exec(`INSERT INTO chunks(id, article_id, idx, start, "end", text, scope, published) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
				c.ID, a.ID, c.Index, c.Start, c.End, c.Text, a.Scope, formatDate(a.Published))
			if err != nil {
				t.Fatal(err)
			}
			seq, _ := res.LastInsertId()
			if _, err := db.Exec(`INSERT INTO chunk_vectors(seq, vector) VALUES (?, ?)`, seq, vector.Vector{1, 0, 0, 0}.Encode()); err != nil {
				t.Fatal(err)
			}
		}
	}
	db.Close()

	lib := libOpen(t, dir)
	var v string
	if err := lib.r.QueryRowContext(ctx, "SELECT value FROM meta WHERE key = 'schema_version'").Scan(&v); err != nil || v != strconv.Itoa(schemaVersion) {
		t.Fatalf("schema_version = %q, %v", v, err)
	}
	var old int
	if err := lib.r.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master WHERE name LIKE '%_fts%' OR name IN ('articles_ai', 'articles_au', 'chunks_ai')").Scan(&old); err != nil || old != 0 {
		t.Fatalf("%d schema 2 objects left, %v", old, err)
	}
	if got := libArticlesWith(t, lib, PassageIndex, "verification"); !reflect.DeepEqual(got, []string{"a1"}) {
		t.Errorf("passages with verification: %v", got)
	}
	if got := libArticlesWith(t, lib, ArticleIndex, "harbour"); !reflect.DeepEqual(got, []string{"b1@g"}) {
		t.Errorf("articles with harbour: %v", got)
	}
	// The migrated rows are those Put writes: a fresh library holding the
	// same articles has the same statistics.
	fresh := libOpen(t, t.TempDir())
	for _, a := range arts {
		libPut(t, fresh, a)
	}
	for _, ix := range []TextIndex{PassageIndex, ArticleIndex} {
		got, err1 := lib.FullText().Stats(ctx, ix)
		want, err2 := fresh.FullText().Stats(ctx, ix)
		if err1 != nil || err2 != nil || got != want {
			t.Errorf("index %d: migrated %+v (%v), fresh %+v (%v)", ix, got, err1, want, err2)
		}
	}
	// The upgrade made the change log, starting above any position a
	// follower could hold, with nothing in it: the upgrade changed no
	// article.
	head := mustHead(t, lib)
	if head < 1_000_000 {
		t.Errorf("the upgraded library's change log starts at %d", head)
	}
	if cs := mustChanges(t, lib, head, 0); len(cs) != 0 {
		t.Errorf("changes after the upgrade: %v", changeSummary(cs))
	}
	// Writes after the upgrade keep the new tables in step.
	if err := lib.Remove(ctx, SharedScope, "a1"); err != nil {
		t.Fatal(err)
	}
	if cs := mustChanges(t, lib, head, 0); !reflect.DeepEqual(changeSummary(cs), []string{"remove a1 " + SharedScope}) {
		t.Errorf("changes after a remove: %v", changeSummary(cs))
	}
	if cr, ar := libFTSRows(t, lib, "verification"); cr != 0 || ar != 0 {
		t.Fatalf("rows after remove = %d, %d", cr, ar)
	}
	lib.Close()
	// Opening again finds nothing to do.
	libOpen(t, dir)
}

// TestMigrateSchema3 opens a library of schema 3 (no story or entity
// columns): the upgrade adds them, recognises the entities of the stored
// articles exactly as Put does, leaves their story ids empty for the
// engine to assign, and logs a put of each article it gave entities to
// (their summaries changed).
func TestMigrateSchema3(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	about := libArticle("e1", SharedScope, "NATO allies meet in Poland", "2025-03-04",
		"Polish and German ministers met NATO officials in Warsaw on Tuesday.\n\nPoland asked for more troops.")
	none := libArticle("e2", SharedScope, "Ministers meet over treaty", "2025-03-05", libBodyTreaty)
	lib := libOpen(t, dir)
	libPut(t, lib, about)
	libPut(t, lib, none)
	head := mustHead(t, lib)
	lib.Close()
	db, err := sql.Open("sqlite", filepath.Join(dir, DBFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		"ALTER TABLE articles DROP COLUMN story", "ALTER TABLE articles DROP COLUMN story_data",
		"ALTER TABLE articles DROP COLUMN countries", "ALTER TABLE articles DROP COLUMN orgs",
		"UPDATE meta SET value = '3' WHERE key = 'schema_version'",
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()

	lib = libOpen(t, dir)
	var v string
	if err := lib.r.QueryRowContext(ctx, "SELECT value FROM meta WHERE key = 'schema_version'").Scan(&v); err != nil || v != "4" {
		t.Fatalf("schema_version = %q, %v", v, err)
	}
	wantC, wantO := Entities(about.Title, about.Body)
	if !slices.Contains(wantC, "PL") || !slices.Equal(wantO, []string{"NATO"}) {
		t.Fatalf("Entities = %v %v, want PL among the countries and NATO", wantC, wantO)
	}
	s, err := lib.Summary(ctx, "e1")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(s.Countries, wantC) || !slices.Equal(s.Orgs, wantO) || s.StoryID != "" {
		t.Errorf("migrated e1: countries %v orgs %v story %q; want %v %v and no story", s.Countries, s.Orgs, s.StoryID, wantC, wantO)
	}
	if s, err := lib.Summary(ctx, "e2"); err != nil || len(s.Countries)+len(s.Orgs) != 0 {
		t.Errorf("migrated e2: %+v, %v; want no entities", s, err)
	}
	if cs := mustChanges(t, lib, head, 0); len(cs) != 1 || cs[0].ArticleID != "e1" || cs[0].Kind != ChangePut {
		t.Errorf("changes of the upgrade: %v, want one put of e1", changeSummary(cs))
	}
	// Put on the upgraded library writes the new columns.
	about.StoryID = "s-1"
	if st := libPut(t, lib, about); st != Unchanged {
		t.Errorf("story-only put = %v, want unchanged", st)
	}
	if s, _ := lib.Summary(ctx, "e1"); s.StoryID != "s-1" {
		t.Errorf("story after the upgrade = %q", s.StoryID)
	}
}
