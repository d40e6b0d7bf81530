package corpus

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/attache-bot/attache/vector"
	"modernc.org/sqlite" // registers the pure-Go "sqlite" driver
	sqlite3 "modernc.org/sqlite/lib"
)

// ErrEmbedderMismatch is returned when the library's vectors were made by a
// different embedder (name or dimension) than the one in use.
var ErrEmbedderMismatch = errors.New("embedder mismatch")

// ErrScopeConflict is returned by Put when the article id is already used by
// an article of another scope: one guild can never replace another guild's
// (or the shared) article.
var ErrScopeConflict = errors.New("article id belongs to another scope")

// EmbedderInfo identifies the embedder that made a library's vectors.
type EmbedderInfo struct {
	Name string // versioned, e.g. "local-hash-v1" or "openai:text-embedding-3-small"
	Dim  int
}

// PutStatus says what Put did with an article.
type PutStatus int

const (
	Added     PutStatus = iota + 1 // a new article
	Updated                        // an existing id whose content changed: chunks replaced
	Unchanged                      // same id, same content: nothing written but a changed story (see StoryOf)
)

// storyOnly is what putTx returns when it wrote only the article's story:
// Put commits it and reports Unchanged.
const storyOnly PutStatus = -1

// String returns "added", "updated" or "unchanged".
func (s PutStatus) String() string {
	switch s {
	case Added:
		return "added"
	case Updated:
		return "updated"
	case Unchanged:
		return "unchanged"
	}
	return "unknown"
}

// Summary is an article without its body, as listed.
type Summary struct {
	Seq       int64 // the row number keying the article's full-text row (ArticleIndex)
	ID        string
	Scope     string
	URL       string
	Title     string
	Source    string
	Published time.Time
	Chunks    int
	// StoryID names the story (the event) the article reports: articles
	// about the same event share it. Empty when none was assigned.
	StoryID string
	// StoryData is the article's Article.StoryData.
	StoryData string
	// Countries and Orgs are the gazetteer ids (package corpus/gazetteer)
	// of the countries and international organisations the article is
	// about, most prominent first.
	Countries, Orgs []string
}

// StoredChunk is a chunk with what the vector index needs about it. Its
// Text is left empty by Chunks and Stored: search reads the few texts an
// answer needs with ChunkTexts.
type StoredChunk struct {
	Chunk
	Seq       int64 // the row number keying the chunk's full-text row (PassageIndex)
	Scope     string
	Published time.Time
	Vector    []float32
}

// DBFile is the name of the database inside a data directory.
const DBFile = "attache.db"

// schemaVersion is the version of the schema below; Open refuses files
// written with a newer one.
//
// History (each step is one entry of migrations): 2 stores a guild's
// records' own ids as id@GUILD (ScopedID); 3 replaces the porter-stemmed
// full-text tables with ones holding the analysed terms of package lang;
// 4 adds each article's story (story, story_data) and the countries and
// organisations it is about (countries, orgs: gazetteer ids separated by
// spaces), recognising those of the articles already stored.
const schemaVersion = 4

// schema creates the tables. Notes:
//   - articles and chunks have an INTEGER PRIMARY KEY (seq) so that rowids
//     are stable (VACUUM may renumber implicit rowids) and can key the
//     full-text tables; the text id is UNIQUE and is what the API uses.
//   - The full-text tables (chunk_terms per passage, article_terms per
//     article, both keyed by seq) hold the analysed terms of package lang
//     joined by spaces (lang.AppendIndexText): Put writes them in the
//     article's transaction, and their tokenizer only splits on spaces, so
//     FTS5 does no analysis of its own and BM25 counts exactly the terms
//     search asks for. The article title's terms are written titleRepeat
//     times in both, so that BM25 weighs a headline match. They are
//     contentless with contentless_delete=1 (the text already lives in
//     chunks) and triggers delete their rows with the chunk and article
//     rows, including those removed by ON DELETE CASCADE, so no code path
//     can leave a stale full-text row behind.
//   - article_terms_vocab gives the document frequency of a term.
//   - chunks repeats its article's scope and date (both fixed for the life
//     of a chunk: an article never changes scope, and an update replaces
//     its chunks) so that a full-text search filters on the chunk row it
//     already reads, without a lookup into articles per match.
//   - Vectors live in their own table: a 1,536-dimension vector is 6 KiB,
//     ten times a chunk's text, and keeping it out of chunks keeps the rows
//     a search touches small and cached.
//   - An article's story and entities are columns of its row: the index
//     reads them with the listing at start-up, and no query filters on
//     them in SQL (the index does, in memory).
//   - "end" is quoted because END is an SQL keyword.
const schema = `
CREATE TABLE IF NOT EXISTS meta (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS articles (
	seq       INTEGER PRIMARY KEY,
	id        TEXT NOT NULL UNIQUE,
	scope     TEXT NOT NULL,
	url       TEXT NOT NULL DEFAULT '',
	title     TEXT NOT NULL,
	source    TEXT NOT NULL DEFAULT '',
	published TEXT NOT NULL DEFAULT '',
	language  TEXT NOT NULL DEFAULT '',
	body      TEXT NOT NULL,
	hash      TEXT NOT NULL,
	added_at  TEXT NOT NULL,
	story      TEXT NOT NULL DEFAULT '',
	story_data TEXT NOT NULL DEFAULT '',
	countries  TEXT NOT NULL DEFAULT '',
	orgs       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS articles_scope_published ON articles(scope, published);
CREATE INDEX IF NOT EXISTS articles_published ON articles(published, added_at);
CREATE TABLE IF NOT EXISTS chunks (
	seq        INTEGER PRIMARY KEY,
	id         TEXT NOT NULL UNIQUE,
	article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
	idx        INTEGER NOT NULL,
	start      INTEGER NOT NULL,
	"end"      INTEGER NOT NULL,
	text       TEXT NOT NULL,
	scope      TEXT NOT NULL,
	published  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS chunks_article ON chunks(article_id, idx);
CREATE TABLE IF NOT EXISTS chunk_vectors (
	seq    INTEGER PRIMARY KEY REFERENCES chunks(seq) ON DELETE CASCADE,
	vector BLOB NOT NULL
);
CREATE VIRTUAL TABLE IF NOT EXISTS chunk_terms USING fts5(
	terms, content='', contentless_delete=1, tokenize="ascii tokenchars '.,'");
CREATE VIRTUAL TABLE IF NOT EXISTS article_terms USING fts5(
	terms, content='', contentless_delete=1, tokenize="ascii tokenchars '.,'");
CREATE VIRTUAL TABLE IF NOT EXISTS article_terms_vocab USING fts5vocab(article_terms, 'row');
CREATE TRIGGER IF NOT EXISTS article_terms_ad AFTER DELETE ON articles BEGIN
	DELETE FROM article_terms WHERE rowid = old.seq;
END;
CREATE TRIGGER IF NOT EXISTS chunk_terms_ad AFTER DELETE ON chunks BEGIN
	DELETE FROM chunk_terms WHERE rowid = old.seq;
END;
`

// Library is the durable store: one SQLite file in WAL mode. Safe for
// concurrent use, also by several processes on the same directory (SQLite's
// locks; writers wait up to busyTimeout for each other).
//
// Writes go through a pool of one connection whose transactions begin
// IMMEDIATE (they take the write lock at BEGIN, so two writers never
// deadlock upgrading a read lock); reads use a separate pool whose
// connections read in parallel with each other and with the writer.
type Library struct {
	dir   string
	abs   string  // dir, absolute: where the locks directory is
	w     *sql.DB // the writer: MaxOpenConns(1), BEGIN IMMEDIATE
	r     *sql.DB // readers, query_only
	locks HeldLocks
}

// busyTimeout is how long a statement waits for another connection's lock
// (another process ingesting, a checkpoint) before failing with "busy".
const busyTimeout = 10 * time.Second

// sqliteHeader starts every SQLite database file.
var sqliteHeader = []byte("SQLite format 3\x00")

// Open opens (creating if needed) the library in dir.
//
// Durability: journal_mode=WAL with synchronous=NORMAL. Every transaction is
// atomic whatever happens: a killed process or a power cut leaves each
// article either fully stored (row, chunks, vectors, full-text rows) or
// absent, never half-written. What NORMAL gives up against FULL is only the
// last transactions before a power cut (not a process crash: those already
// reached the operating system), which the WAL then rolls back cleanly; an
// interrupted ingest is simply re-run (Put is idempotent). FULL would fsync
// on every article and make ingesting thousands of articles several times
// slower on ordinary disks.
func Open(ctx context.Context, dir string) (*Library, error) {
	if strings.TrimSpace(dir) == "" {
		return nil, errors.New("corpus: open: empty data directory")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("corpus: open %s: %w", dir, err)
	}
	if fi, err := os.Stat(abs); err == nil && !fi.IsDir() {
		return nil, fmt.Errorf("corpus: open %s: not a directory", dir)
	}
	if err := os.MkdirAll(abs, 0o750); err != nil {
		return nil, fmt.Errorf("corpus: open %s: %w", dir, err)
	}
	path := filepath.Join(abs, DBFile)
	isNew, err := checkHeader(path)
	if err != nil {
		return nil, fmt.Errorf("corpus: open %s: %w", dir, err)
	}

	base := "file:" + (&url.URL{Path: filepath.ToSlash(path)}).EscapedPath()
	common := fmt.Sprintf("_pragma=busy_timeout(%d)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)",
		busyTimeout.Milliseconds())
	w, err := sql.Open("sqlite", base+"?"+common+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("corpus: open %s: %w", dir, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	l := &Library{dir: dir, abs: abs, w: w}
	if err := l.init(ctx, isNew); err != nil {
		w.Close()
		return nil, fmt.Errorf("corpus: open %s: %w", dir, describeOpenError(err))
	}
	// Readers get a larger page cache (16 MiB each) so that the chunk rows
	// and full-text pages searches touch stay in memory.
	r, err := sql.Open("sqlite", base+"?"+common+"&_pragma=query_only(1)&_pragma=cache_size(-16384)")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("corpus: open %s: %w", dir, err)
	}
	r.SetMaxOpenConns(8)
	r.SetMaxIdleConns(4)
	l.r = r
	return l, nil
}

// checkHeader reports whether path is absent or empty (a new library), and
// fails with a clear message when it exists but is not an SQLite database
// (so that pointing -data at the wrong place never overwrites a file).
func checkHeader(path string) (isNew bool, err error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return false, err
	}
	if fi.IsDir() {
		return false, fmt.Errorf("%s is a directory, not a database file", path)
	}
	if fi.Size() == 0 {
		return true, nil
	}
	head := make([]byte, len(sqliteHeader))
	if _, err := io.ReadFull(f, head); err != nil || !bytes.Equal(head, sqliteHeader) {
		return false, fmt.Errorf("%s is not an attache library (not an SQLite database); move it away or choose another data directory", path)
	}
	return false, nil
}

// describeOpenError turns SQLite's terse corruption errors into advice.
func describeOpenError(err error) error {
	if damaged(err) {
		return fmt.Errorf("the database file is damaged (%v); restore it from a backup or remove the directory and ingest again", err)
	}
	return err
}

// damaged reports whether err is SQLite's verdict that the file is not a
// sound database: SQLITE_CORRUPT or SQLITE_NOTADB, extended codes included.
func damaged(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	switch se.Code() & 0xff { // the primary result code
	case sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB:
		return true
	}
	return false
}

// init applies the file-level settings and creates or checks the schema.
func (l *Library) init(ctx context.Context, isNew bool) error {
	if isNew {
		// Big pages keep a 6 KiB vector (1,536 dimensions) on its page
		// instead of a chain of overflow pages, which makes streaming all
		// vectors at start-up markedly faster. Only possible before the
		// first table exists.
		if _, err := l.w.ExecContext(ctx, "PRAGMA page_size = 16384"); err != nil {
			return err
		}
	}
	var mode string
	if err := l.w.QueryRowContext(ctx, "PRAGMA journal_mode = WAL").Scan(&mode); err != nil {
		return err
	}
	if !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("cannot switch the database to WAL mode (got %q)", mode)
	}
	version, err := l.createSchema(ctx)
	if err != nil {
		return err
	}
	for _, m := range migrations {
		if m.to <= version {
			continue
		}
		if err := l.migrate(ctx, m); err != nil {
			return fmt.Errorf("upgrading the library to schema %d (%s): %w", m.to, m.what, err)
		}
	}
	return nil
}

// migration is one step of the schema history: run brings a library of
// schema to-1 to schema to.
type migration struct {
	to   int
	what string
	run  func(ctx context.Context, tx *sql.Tx) error
}

// migrations upgrade a library written by an earlier release in place, in
// order, each step in its own transaction: a step that fails leaves the
// library at the version before it, and the next Open retries it.
var migrations = []migration{
	{2, "guild record ids", migrateScopedIDs},
	{3, "analysed full-text terms", migrateTerms},
	{4, "stories and entities", migrateEntities},
}

// createSchema creates what is missing of the current schema, in one
// transaction, and returns the library's schema version (schemaVersion
// for a new library, recorded at once).
func (l *Library) createSchema(ctx context.Context) (int, error) {
	tx, err := l.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	var have string
	version := schemaVersion // a new library
	var hasMeta bool
	err = tx.QueryRowContext(ctx, "SELECT count(*) > 0 FROM sqlite_schema WHERE type = 'table' AND name = 'meta'").Scan(&hasMeta)
	if err == nil && hasMeta {
		err = tx.QueryRowContext(ctx, "SELECT value FROM meta WHERE key = 'schema_version'").Scan(&have)
	} else if err == nil {
		err = sql.ErrNoRows // no meta table yet: a new library
	}
	switch {
	case err == nil:
		v, convErr := strconv.Atoi(have)
		if convErr != nil || v > schemaVersion {
			return 0, fmt.Errorf("the library was written by a newer version of attache (schema %q, this build knows %d)", have, schemaVersion)
		}
		version = v
	case errors.Is(err, sql.ErrNoRows):
	default:
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, schema+feedbackSchema+suggestSchema+feedSchema+retentionSchema+digestSchema+outletLabelSchema); err != nil {
		return 0, err
	}
	if err := createChanges(ctx, tx); err != nil {
		return 0, err
	}
	if err := setVersion(ctx, tx, version); err != nil {
		return 0, err
	}
	return version, tx.Commit()
}

// migrate runs one migration step and records its version, in one
// transaction.
func (l *Library) migrate(ctx context.Context, m migration) error {
	tx, err := l.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := m.run(ctx, tx); err != nil {
		return err
	}
	if err := setVersion(ctx, tx, m.to); err != nil {
		return err
	}
	return tx.Commit()
}

func setVersion(ctx context.Context, tx *sql.Tx, v int) error {
	_, err := tx.ExecContext(ctx,
		"INSERT INTO meta(key, value) VALUES ('schema_version', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
		strconv.Itoa(v))
	return err
}

// migrateTerms drops schema 2's porter-stemmed full-text tables and their
// triggers and fills the analysed-term tables from the stored chunks.
func migrateTerms(ctx context.Context, tx *sql.Tx) error {
	for _, stmt := range []string{
		"DROP TRIGGER IF EXISTS articles_ai", "DROP TRIGGER IF EXISTS articles_ad",
		"DROP TRIGGER IF EXISTS articles_au", "DROP TRIGGER IF EXISTS chunks_ai",
		"DROP TRIGGER IF EXISTS chunks_ad",
		"DROP TABLE IF EXISTS chunks_fts", "DROP TABLE IF EXISTS articles_fts",
		// A step interrupted before its commit wrote nothing; these only
		// matter should the tables hold rows of an unknown origin.
		"INSERT INTO chunk_terms(chunk_terms) VALUES ('delete-all')",
		"INSERT INTO article_terms(article_terms) VALUES ('delete-all')",
	} {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return err
		}
	}
	rows, err := tx.QueryContext(ctx, `SELECT a.seq, a.title, c.seq, c.text
		FROM articles a JOIN chunks c ON c.article_id = a.id ORDER BY a.seq, c.idx`)
	if err != nil {
		return err
	}
	type row struct {
		art, chunk  int64
		title, text string
	}
	var all []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.art, &r.title, &r.chunk, &r.text); err != nil {
			rows.Close()
			return err
		}
		all = append(all, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	w, err := newTermWriter(ctx, tx)
	if err != nil {
		return err
	}
	defer w.close()
	for i := 0; i < len(all); {
		j := i
		var texts []string
		for ; j < len(all) && all[j].art == all[i].art; j++ {
			texts = append(texts, all[j].text)
		}
		seqs := make([]int64, 0, j-i)
		for _, r := range all[i:j] {
			seqs = append(seqs, r.chunk)
		}
		if err := w.write(ctx, all[i].art, all[i].title, seqs, texts); err != nil {
			return err
		}
		i = j
	}
	// Articles without chunks still get their (title) row, as Put gives them.
	arts, err := tx.QueryContext(ctx, `SELECT seq, title FROM articles a
		WHERE NOT EXISTS (SELECT 1 FROM chunks c WHERE c.article_id = a.id)`)
	if err != nil {
		return err
	}
	type bare struct {
		seq   int64
		title string
	}
	var bares []bare
	for arts.Next() {
		var b bare
		if err := arts.Scan(&b.seq, &b.title); err != nil {
			arts.Close()
			return err
		}
		bares = append(bares, b)
	}
	arts.Close()
	if err := arts.Err(); err != nil {
		return err
	}
	for _, b := range bares {
		if err := w.write(ctx, b.seq, b.title, nil, nil); err != nil {
			return err
		}
	}
	return nil
}

// titleRepeat is how many times an article title's terms are written into
// each of its full-text rows: a question's key words in a headline are
// strong evidence.
const titleRepeat = 2

// termWriter writes the full-text rows of articles inside a transaction.
type termWriter struct {
	chunk, article *sql.Stmt
}

func newTermWriter(ctx context.Context, tx *sql.Tx) (*termWriter, error) {
	c, err := tx.PrepareContext(ctx, "INSERT INTO chunk_terms(rowid, terms) VALUES (?, ?)")
	if err != nil {
		return nil, err
	}
	a, err := tx.PrepareContext(ctx, "INSERT INTO article_terms(rowid, terms) VALUES (?, ?)")
	if err != nil {
		c.Close()
		return nil, err
	}
	return &termWriter{chunk: c, article: a}, nil
}

func (w *termWriter) close() {
	w.chunk.Close()
	w.article.Close()
}

// write stores the rows of article seq with the given title, as TermRows
// makes them: chunkSeqs[i] keys the row of texts[i].
func (w *termWriter) write(ctx context.Context, seq int64, title string, chunkSeqs []int64, texts []string) error {
	art, chunks := TermRows(title, texts)
	for i, row := range chunks {
		if _, err := w.chunk.ExecContext(ctx, chunkSeqs[i], row); err != nil {
			return err
		}
	}
	_, err := w.article.ExecContext(ctx, seq, art)
	return err
}

// migrateScopedIDs renames the guild articles that a version 1 library
// stored under their record's own id to the id ScopedID gives them now
// (id@GUILD), with their chunks and content hash, so that importing the same
// file again finds them unchanged instead of adding a second copy. An
// article whose id is the one ID derives from its URL or content is left
// alone: that id already depends on the guild. An article whose new id is
// taken is left alone too (it stays usable under its old id).
func migrateScopedIDs(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, `SELECT seq, id, scope, url, title, source, published, language, body
		FROM articles WHERE scope <> ? AND instr(id, ?) = 0`, SharedScope, ScopeSeparator)
	if err != nil {
		return err
	}
	type rename struct {
		seq           int64
		old, new, sum string
	}
	var renames []rename
	for rows.Next() {
		var a Article
		var seq int64
		var published string
		if err := rows.Scan(&seq, &a.ID, &a.Scope, &a.URL, &a.Title, &a.Source, &published, &a.Language, &a.Body); err != nil {
			rows.Close()
			return err
		}
		a.Published = parseDate(published)
		derived := a
		derived.ID = ""
		if ID(derived) == a.ID || strings.Contains(a.Scope, ScopeSeparator) {
			continue
		}
		old := a.ID
		a.ID = ScopedID(a.Scope, old)
		renames = append(renames, rename{seq: seq, old: old, new: a.ID, sum: Hash(a)})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if len(renames) == 0 {
		return nil
	}
	// chunks.article_id references articles.id without ON UPDATE CASCADE:
	// the check waits for the commit, when both sides carry the new id.
	if _, err := tx.ExecContext(ctx, "PRAGMA defer_foreign_keys = ON"); err != nil {
		return err
	}
	for _, r := range renames {
		var taken int
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM articles WHERE id = ?", r.new).Scan(&taken); err != nil {
			return err
		}
		if taken > 0 {
			continue
		}
		if _, err := tx.ExecContext(ctx, "UPDATE articles SET id = ?, hash = ? WHERE seq = ?", r.new, r.sum, r.seq); err != nil {
			return err
		}
		// Chunk ids are ARTICLE#INDEX (ChunkID). SQLite's substr counts
		// characters, not bytes, so the old id's length is counted by SQLite
		// too (an id like "café-1" must keep its "#0").
		if _, err := tx.ExecContext(ctx, `UPDATE chunks SET article_id = ?, id = ? || substr(id, length(?) + 1)
			WHERE article_id = ?`, r.new, r.new, r.old, r.old); err != nil {
			return err
		}
	}
	return nil
}

// Dir returns the data directory the library was opened in.
func (l *Library) Dir() string { return l.dir }

// Close closes the library, releasing the locks it holds first. The last
// connection to close checkpoints the WAL into the main file.
func (l *Library) Close() error {
	l.locks.Close()
	var errs []error
	if l.r != nil {
		errs = append(errs, l.r.Close())
	}
	errs = append(errs, l.w.Close())
	return errors.Join(errs...)
}

// Embedder returns the embedder recorded in the library, if any.
func (l *Library) Embedder(ctx context.Context) (EmbedderInfo, bool, error) {
	return readEmbedder(ctx, l.r)
}

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func readEmbedder(ctx context.Context, q querier) (EmbedderInfo, bool, error) {
	var name, dim string
	err := q.QueryRowContext(ctx, `SELECT
		(SELECT value FROM meta WHERE key = 'embedder_name'),
		(SELECT value FROM meta WHERE key = 'embedder_dim')`).Scan(nullable(&name), nullable(&dim))
	if err != nil {
		return EmbedderInfo{}, false, err
	}
	if name == "" {
		return EmbedderInfo{}, false, nil
	}
	d, err := strconv.Atoi(dim)
	if err != nil {
		return EmbedderInfo{}, false, fmt.Errorf("corpus: bad embedder dimension %q in the library", dim)
	}
	return EmbedderInfo{Name: name, Dim: d}, true, nil
}

// nullString scans a possibly NULL text column into a string ("" for NULL).
type nullString struct{ s *string }

func nullable(s *string) nullString { return nullString{s} }

func (n nullString) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		*n.s = ""
	case string:
		*n.s = x
	case []byte:
		*n.s = string(x)
	default:
		*n.s = fmt.Sprint(x)
	}
	return nil
}

// CheckEmbedder records info if the library has no vectors yet, and returns
// ErrEmbedderMismatch (wrapped with a how-to-re-index message) if it has
// vectors made by another embedder.
func (l *Library) CheckEmbedder(ctx context.Context, info EmbedderInfo) error {
	if info.Name == "" || info.Dim <= 0 {
		return fmt.Errorf("corpus: embedder needs a name and a positive dimension (got %q, %d)", info.Name, info.Dim)
	}
	tx, err := l.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("corpus: check embedder: %w", err)
	}
	defer tx.Rollback()
	have, ok, err := readEmbedder(ctx, tx)
	if err != nil {
		return fmt.Errorf("corpus: check embedder: %w", err)
	}
	if ok {
		if have == info {
			return nil
		}
		return l.mismatch(have, info)
	}
	// Nothing recorded: vectors stored without a recorded embedder (by a
	// caller that skipped this check) must at least have the right size.
	var n sql.NullInt64
	if err := tx.QueryRowContext(ctx,
		"SELECT length(vector) FROM chunk_vectors LIMIT 1").Scan(&n); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("corpus: check embedder: %w", err)
	}
	if n.Valid && int(n.Int64) != 4*info.Dim {
		return l.mismatch(EmbedderInfo{Name: "an unrecorded embedder", Dim: int(n.Int64) / 4}, info)
	}
	if _, err := tx.ExecContext(ctx,
		"INSERT INTO meta(key, value) VALUES ('embedder_name', ?), ('embedder_dim', ?)",
		info.Name, strconv.Itoa(info.Dim)); err != nil {
		return fmt.Errorf("corpus: check embedder: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("corpus: check embedder: %w", err)
	}
	return nil
}

func (l *Library) mismatch(have, want EmbedderInfo) error {
	return fmt.Errorf("%w: data in %s was embedded with %s (dim %d) but the configured embedder is %s (dim %d): to re-index, move %s aside and ingest the articles again (or configure the embedder that made the data)",
		ErrEmbedderMismatch, l.dir, have.Name, have.Dim, want.Name, want.Dim, l.dir)
}

// ContentHash returns the stored content hash of article id, if present.
// Callers compare it with Hash(a) to skip embedding unchanged articles.
func (l *Library) ContentHash(ctx context.Context, id string) (hash string, found bool, err error) {
	err = l.r.QueryRowContext(ctx, "SELECT hash FROM articles WHERE id = ?", id).Scan(&hash)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("corpus: content hash: %w", err)
	}
	return hash, true, nil
}

// Put stores a validated article with its chunks and one vector per chunk in
// one transaction, replacing any earlier version of the same id. It returns
// Unchanged without writing when the stored content hash equals Hash(a),
// and ErrScopeConflict when the id belongs to an article of another scope.
// The chunks must be a's (as Split returns them) and the vectors must all
// have the recorded embedder's dimension.
func (l *Library) Put(ctx context.Context, a Article, chunks []Chunk, vectors [][]float32) (PutStatus, error) {
	if a.Scope == "" {
		a.Scope = SharedScope
	}
	if err := checkPut(a, chunks, vectors); err != nil {
		return 0, fmt.Errorf("corpus: put %s: %w", a.ID, err)
	}
	tx, err := l.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("corpus: put %s: %w", a.ID, err)
	}
	defer tx.Rollback()
	st, err := putTx(ctx, tx, a, chunks, vectors, time.Now())
	if err != nil {
		return 0, fmt.Errorf("corpus: put %s: %w", a.ID, err)
	}
	if st == Unchanged {
		return Unchanged, nil
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("corpus: put %s: %w", a.ID, err)
	}
	if st == storyOnly {
		return Unchanged, nil
	}
	return st, nil
}

// checkPut verifies what Put is given before it touches the database.
func checkPut(a Article, chunks []Chunk, vectors [][]float32) error {
	if a.ID == "" {
		return invalidf("missing id")
	}
	// The size limit is the caller's policy (Validate with the configured
	// limit); here only the invariants the library relies on are checked.
	if err := Validate(a, len(a.Body)+1); err != nil {
		return err
	}
	if err := checkStory(a); err != nil {
		return err
	}
	if len(vectors) != len(chunks) {
		return fmt.Errorf("%d chunks but %d vectors", len(chunks), len(vectors))
	}
	dim := -1
	for i, c := range chunks {
		if c.ArticleID != a.ID || c.Index != i || c.ID != ChunkID(a.ID, i) {
			return fmt.Errorf("chunk %d (%q) does not belong to article %q at index %d", i, c.ID, a.ID, i)
		}
		if c.Start < 0 || c.Start > c.End || c.End > len(a.Body) || a.Body[c.Start:c.End] != c.Text {
			return fmt.Errorf("chunk %d: offsets [%d,%d) do not match its text", i, c.Start, c.End)
		}
		if len(vectors[i]) == 0 {
			return fmt.Errorf("chunk %d has no vector", i)
		}
		if dim >= 0 && len(vectors[i]) != dim {
			return fmt.Errorf("%w: vectors of %d and %d dimensions in one article", ErrEmbedderMismatch, dim, len(vectors[i]))
		}
		dim = len(vectors[i])
	}
	return nil
}

// checkStory verifies an article's story fields: bounded, valid UTF-8,
// and an id of one line.
func checkStory(a Article) error {
	switch {
	case len(a.StoryID) > MaxStoryIDBytes:
		return invalidf("story id is %d bytes, more than %d", len(a.StoryID), MaxStoryIDBytes)
	case !utf8.ValidString(a.StoryID) || strings.IndexFunc(a.StoryID, unicode.IsControl) >= 0:
		return invalidf("story id is not one line of UTF-8 text")
	case len(a.StoryData) > MaxStoryDataBytes:
		return invalidf("story data is %d bytes, more than %d", len(a.StoryData), MaxStoryDataBytes)
	case !utf8.ValidString(a.StoryData):
		return invalidf("story data is not valid UTF-8")
	case a.StoryID == "" && a.StoryData != "":
		return invalidf("story data without a story id")
	}
	return nil
}

// migrateEntities adds schema 4's story and entity columns and recognises
// the countries and organisations of every stored article, as Put does
// for new ones. Story ids are left empty: the engine assigns those of
// articles without one when it opens the library (assignment needs the
// vectors and the order of publication, which the engine has).
func migrateEntities(ctx context.Context, tx *sql.Tx) error {
	// A library of an earlier schema that CREATE TABLE IF NOT EXISTS
	// never touched lacks the columns; one made with them (an upgrade
	// from schema 1 or 2 in which createSchema made the table) has them.
	have := map[string]bool{}
	cols, err := tx.QueryContext(ctx, "SELECT name FROM pragma_table_info('articles')")
	if err != nil {
		return err
	}
	for cols.Next() {
		var name string
		if err := cols.Scan(&name); err != nil {
			cols.Close()
			return err
		}
		have[name] = true
	}
	cols.Close()
	if err := cols.Err(); err != nil {
		return err
	}
	for _, col := range []string{"story", "story_data", "countries", "orgs"} {
		if have[col] {
			continue
		}
		if _, err := tx.ExecContext(ctx, "ALTER TABLE articles ADD COLUMN "+col+" TEXT NOT NULL DEFAULT ''"); err != nil {
			return err
		}
	}
	rows, err := tx.QueryContext(ctx, "SELECT seq, title, body FROM articles")
	if err != nil {
		return err
	}
	type row struct {
		seq             int64
		countries, orgs string
	}
	var found []row
	for rows.Next() {
		var r row
		var title, body string
		if err := rows.Scan(&r.seq, &title, &body); err != nil {
			rows.Close()
			return err
		}
		c, o := Entities(title, body)
		if len(c)+len(o) > 0 {
			r.countries, r.orgs = JoinIDs(c), JoinIDs(o)
			found = append(found, r)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	stmt, err := tx.PrepareContext(ctx, "UPDATE articles SET countries = ?, orgs = ? WHERE seq = ?")
	if err != nil {
		return err
	}
	defer stmt.Close()
	for _, r := range found {
		if _, err := stmt.ExecContext(ctx, r.countries, r.orgs, r.seq); err != nil {
			return err
		}
	}
	return nil
}

// putTx writes one article inside tx. It is shared by Put (one transaction
// per article) and bulk loading in tests.
func putTx(ctx context.Context, tx *sql.Tx, a Article, chunks []Chunk, vectors [][]float32, now time.Time) (PutStatus, error) {
	hash := Hash(a)
	var oldScope, oldHash, oldStory, oldData string
	err := tx.QueryRowContext(ctx, "SELECT scope, hash, story, story_data FROM articles WHERE id = ?", a.ID).
		Scan(&oldScope, &oldHash, &oldStory, &oldData)
	exists := err == nil
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, err
	}
	if exists && oldScope != a.Scope {
		// The other scope is not named: the caller may be a guild.
		return 0, ErrScopeConflict
	}
	if len(vectors) > 0 {
		if err := checkDim(ctx, tx, len(vectors[0])); err != nil {
			return 0, err
		}
	}
	story, storyData, storyChanged := StoryOf(a, oldStory, oldData)
	if exists && oldHash == hash {
		if storyChanged {
			if _, err := tx.ExecContext(ctx, "UPDATE articles SET story = ?, story_data = ? WHERE id = ?",
				story, storyData, a.ID); err != nil {
				return 0, err
			}
			return storyOnly, nil
		}
		return Unchanged, nil
	}
	countries, orgs := Entities(a.Title, a.Body)
	published := formatDate(a.Published)
	var artSeq int64
	if exists {
		if _, err := tx.ExecContext(ctx, "DELETE FROM chunks WHERE article_id = ?", a.ID); err != nil {
			return 0, err
		}
		if err := tx.QueryRowContext(ctx, `UPDATE articles SET url = ?, title = ?, source = ?, published = ?,
			language = ?, body = ?, hash = ?, story = ?, story_data = ?, countries = ?, orgs = ? WHERE id = ? RETURNING seq`,
			a.URL, a.Title, a.Source, published, a.Language, a.Body, hash, story, storyData,
			JoinIDs(countries), JoinIDs(orgs), a.ID).Scan(&artSeq); err != nil {
			return 0, err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM article_terms WHERE rowid = ?", artSeq); err != nil {
			return 0, err
		}
	} else {
		res, err := tx.ExecContext(ctx, `INSERT INTO articles(id, scope, url, title, source, published,
			language, body, hash, added_at, story, story_data, countries, orgs)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			a.ID, a.Scope, a.URL, a.Title, a.Source, published, a.Language, a.Body, hash,
			now.UTC().Format(time.RFC3339Nano), story, storyData, JoinIDs(countries), JoinIDs(orgs))
		if err != nil {
			return 0, err
		}
		if artSeq, err = res.LastInsertId(); err != nil {
			return 0, err
		}
	}
	seqs := make([]int64, len(chunks))
	texts := make([]string, len(chunks))
	if len(chunks) > 0 {
		cstmt, err := tx.PrepareContext(ctx, `INSERT INTO chunks(id, article_id, idx, start, "end", text, scope, published)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return 0, err
		}
		defer cstmt.Close()
		vstmt, err := tx.PrepareContext(ctx, `INSERT INTO chunk_vectors(seq, vector) VALUES (?, ?)`)
		if err != nil {
			return 0, err
		}
		defer vstmt.Close()
		for i, c := range chunks {
			res, err := cstmt.ExecContext(ctx, c.ID, a.ID, c.Index, c.Start, c.End, c.Text, a.Scope, published)
			if err != nil {
				return 0, err
			}
			seq, err := res.LastInsertId()
			if err != nil {
				return 0, err
			}
			seqs[i], texts[i] = seq, c.Text
			if _, err := vstmt.ExecContext(ctx, seq, vector.Vector(vectors[i]).Encode()); err != nil {
				return 0, err
			}
		}
	}
	w, err := newTermWriter(ctx, tx)
	if err != nil {
		return 0, err
	}
	defer w.close()
	if err := w.write(ctx, artSeq, a.Title, seqs, texts); err != nil {
		return 0, err
	}
	if exists {
		return Updated, nil
	}
	return Added, nil
}

// checkDim compares a vector size with the recorded embedder, or (none
// recorded) with the vectors already stored.
func checkDim(ctx context.Context, tx *sql.Tx, dim int) error {
	info, ok, err := readEmbedder(ctx, tx)
	if err != nil {
		return err
	}
	if ok {
		if info.Dim != dim {
			return fmt.Errorf("%w: vectors have %d dimensions but the library's embedder %s has %d", ErrEmbedderMismatch, dim, info.Name, info.Dim)
		}
		return nil
	}
	var n sql.NullInt64
	err = tx.QueryRowContext(ctx, "SELECT length(vector) FROM chunk_vectors LIMIT 1").Scan(&n)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	if n.Valid && int(n.Int64) != 4*dim {
		return fmt.Errorf("%w: vectors have %d dimensions but the library holds vectors of %d", ErrEmbedderMismatch, dim, n.Int64/4)
	}
	return nil
}

// Remove deletes article id of the given scope with all its chunks, vectors
// and full-text rows; id is the stored id or, in a guild's scope, the
// record's own id (see Lookup). ErrNotFound if absent or in another scope.
func (l *Library) Remove(ctx context.Context, scope, id string) error {
	if scope == "" {
		scope = SharedScope
	}
	res, err := l.w.ExecContext(ctx, `DELETE FROM articles WHERE seq = (SELECT seq FROM articles
		WHERE scope = ? AND id IN (?, ?) ORDER BY id = ? DESC LIMIT 1)`, scope, id, ScopedID(scope, id), id)
	if err != nil {
		return fmt.Errorf("corpus: remove %s: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("corpus: remove %s: %w", id, err)
	}
	if n == 0 {
		return fmt.Errorf("corpus: remove %s in scope %s: %w", id, scope, ErrNotFound)
	}
	return nil
}

// Lookup returns the stored id of the article of scope that id names: id
// itself, or, for a guild's scope, the record id qualified with the guild
// (ScopedID), so that "remove ds-0001" works in the guild that imported
// ds-0001. ErrNotFound when scope has no such article, whatever other
// scopes hold: the answer never depends on another scope's articles.
func (l *Library) Lookup(ctx context.Context, scope, id string) (string, error) {
	if scope == "" {
		scope = SharedScope
	}
	var stored string
	err := l.r.QueryRowContext(ctx, `SELECT id FROM articles WHERE scope = ? AND id IN (?, ?)
		ORDER BY id = ? DESC LIMIT 1`, scope, id, ScopedID(scope, id), id).Scan(&stored)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("corpus: %s in scope %s: %w", id, scope, ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("corpus: lookup %s: %w", id, err)
	}
	return stored, nil
}

// Get returns one article with its body.
func (l *Library) Get(ctx context.Context, id string) (Article, error) {
	var a Article
	var published string
	err := l.r.QueryRowContext(ctx, `SELECT id, scope, url, title, source, published, language, body, story, story_data
		FROM articles WHERE id = ?`, id).Scan(&a.ID, &a.Scope, &a.URL, &a.Title, &a.Source, &published, &a.Language, &a.Body,
		&a.StoryID, &a.StoryData)
	if errors.Is(err, sql.ErrNoRows) {
		return Article{}, fmt.Errorf("corpus: get %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return Article{}, fmt.Errorf("corpus: get %s: %w", id, err)
	}
	a.Published = parseDate(published)
	return a, nil
}

// Summary returns one article without its body.
func (l *Library) Summary(ctx context.Context, id string) (Summary, error) {
	s, err := l.list(ctx, "WHERE a.id = ?", []any{id})
	if err != nil {
		return Summary{}, fmt.Errorf("corpus: summary %s: %w", id, err)
	}
	if len(s) == 0 {
		return Summary{}, fmt.Errorf("corpus: summary %s: %w", id, ErrNotFound)
	}
	return s[0], nil
}

// List returns the articles in any of scopes (all when empty), newest first;
// undated articles come last, most recently added first.
func (l *Library) List(ctx context.Context, scopes ...string) ([]Summary, error) {
	where, args := "", []any(nil)
	if len(scopes) > 0 {
		where = "WHERE a.scope IN (" + placeholders(len(scopes)) + ")"
		for _, s := range scopes {
			args = append(args, s)
		}
	}
	s, err := l.list(ctx, where, args)
	if err != nil {
		return nil, fmt.Errorf("corpus: list: %w", err)
	}
	return s, nil
}

func (l *Library) list(ctx context.Context, where string, args []any) ([]Summary, error) {
	rows, err := l.r.QueryContext(ctx, `SELECT a.seq, a.id, a.scope, a.url, a.title, a.source, a.published,
		(SELECT count(*) FROM chunks c WHERE c.article_id = a.id), a.story, a.story_data, a.countries, a.orgs
		FROM articles a `+where+` ORDER BY a.published DESC, a.added_at DESC, a.id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Summary
	for rows.Next() {
		var s Summary
		var published, countries, orgs string
		if err := rows.Scan(&s.Seq, &s.ID, &s.Scope, &s.URL, &s.Title, &s.Source, &published, &s.Chunks,
			&s.StoryID, &s.StoryData, &countries, &orgs); err != nil {
			return nil, err
		}
		s.Published = parseDate(published)
		s.Countries, s.Orgs = SplitIDs(countries), SplitIDs(orgs)
		out = append(out, s)
	}
	return out, rows.Err()
}

// Count returns the number of articles.
func (l *Library) Count(ctx context.Context) (int, error) {
	var n int
	if err := l.r.QueryRowContext(ctx, "SELECT count(*) FROM articles").Scan(&n); err != nil {
		return 0, fmt.Errorf("corpus: count: %w", err)
	}
	return n, nil
}

// ChunkCount returns the number of chunks (for sizing the vector index).
func (l *Library) ChunkCount(ctx context.Context) (int, error) {
	var n int
	if err := l.r.QueryRowContext(ctx, "SELECT count(*) FROM chunks").Scan(&n); err != nil {
		return 0, fmt.Errorf("corpus: chunk count: %w", err)
	}
	return n, nil
}

// vectorSlab is how many vectors share one allocation in Chunks: fewer,
// larger allocations load faster and give the garbage collector less to
// track, while a removed article still frees its memory eventually.
const vectorSlab = 256

// Chunks calls fn for every stored chunk with its vector but without its
// text (for building the in-memory vector index at start-up), in storage
// order, from one consistent snapshot read by a single query; with scopes,
// only for the chunks of those scopes (a gateway shard's engine reads only
// what it holds). fn may keep the StoredChunk
// and its Vector; it may use the library (writes wait for no reader). An
// error from fn stops the iteration and is returned.
func (l *Library) Chunks(ctx context.Context, fn func(StoredChunk) error, scopes ...string) error {
	where, args := "", []any(nil)
	if len(scopes) > 0 {
		where = "WHERE c.scope IN (" + placeholders(len(scopes)) + ") "
		for _, s := range scopes {
			args = append(args, s)
		}
	}
	rows, err := l.r.QueryContext(ctx, `SELECT c.seq, c.id, c.article_id, c.idx, c.start, c."end", v.vector,
		c.scope, c.published
		FROM chunks c LEFT JOIN chunk_vectors v ON v.seq = c.seq `+where+`ORDER BY c.seq`, args...)
	if err != nil {
		return fmt.Errorf("corpus: chunks: %w", err)
	}
	defer rows.Close()
	return scanStored(rows, vectorSlab, fn)
}

// scanStored decodes the rows of a stored-chunk query (Chunks, Stored)
// and calls fn for each; slab vectors share one allocation.
func scanStored(rows *sql.Rows, slabSize int, fn func(StoredChunk) error) error {
	var (
		slab      []float32
		blob      sql.RawBytes
		published sql.RawBytes
		lastPub   string
		lastTime  time.Time
		scopes    = map[string]string{} // interned: thousands of chunks share a few scopes
		scope     sql.RawBytes
		articleID sql.RawBytes
		lastArt   string
	)
	for rows.Next() {
		var sc StoredChunk
		if err := rows.Scan(&sc.Seq, &sc.ID, &articleID, &sc.Index, &sc.Start, &sc.End, &blob, &scope, &published); err != nil {
			return fmt.Errorf("corpus: chunks: %w", err)
		}
		if string(articleID) != lastArt { // consecutive chunks share one id string
			lastArt = string(articleID)
		}
		sc.ArticleID = lastArt
		s, ok := scopes[string(scope)]
		if !ok {
			s = string(scope)
			scopes[s] = s
		}
		sc.Scope = s
		if string(published) != lastPub {
			lastPub = string(published)
			lastTime = parseDate(lastPub)
		}
		sc.Published = lastTime
		if len(blob) == 0 || len(blob)%4 != 0 {
			return fmt.Errorf("corpus: chunk %s has no readable vector (%d bytes)", sc.ID, len(blob))
		}
		if n := len(blob) / 4; n > 0 {
			if len(slab) < n {
				slab = make([]float32, n*max(slabSize, 1))
			}
			v := vector.Vector(slab[:0:n])
			v.Decode(blob)
			sc.Vector = v
			slab = slab[n:]
		}
		if err := fn(sc); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("corpus: chunks: %w", err)
	}
	return nil
}

// StoredArticle is what the in-memory index holds of one stored article:
// its summary, its content hash, and its chunks with their vectors (no
// text).
type StoredArticle struct {
	Summary
	Hash   string
	Chunks []StoredChunk
}

// Stored reads one article's summary, hash and chunks with their vectors
// (no text) from one snapshot, so that a concurrent update is seen whole
// or not at all. ErrNotFound when the article is absent.
func (l *Library) Stored(ctx context.Context, id string) (StoredArticle, error) {
	tx, err := l.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return StoredArticle{}, fmt.Errorf("corpus: stored %s: %w", id, err)
	}
	defer tx.Rollback()
	var s StoredArticle
	var published, countries, orgs string
	err = tx.QueryRowContext(ctx, `SELECT seq, id, scope, url, title, source, published, hash, story, story_data, countries, orgs
		FROM articles WHERE id = ?`, id).
		Scan(&s.Seq, &s.ID, &s.Scope, &s.URL, &s.Title, &s.Source, &published, &s.Hash, &s.StoryID, &s.StoryData, &countries, &orgs)
	if errors.Is(err, sql.ErrNoRows) {
		return StoredArticle{}, fmt.Errorf("corpus: stored %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return StoredArticle{}, fmt.Errorf("corpus: stored %s: %w", id, err)
	}
	s.Published = parseDate(published)
	s.Countries, s.Orgs = SplitIDs(countries), SplitIDs(orgs)
	// The chunks' vectors share one allocation of exactly their size: a
	// slab sized for start-up would pin far more memory per article.
	if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM chunks WHERE article_id = ?", id).Scan(&s.Summary.Chunks); err != nil {
		return StoredArticle{}, fmt.Errorf("corpus: stored %s: %w", id, err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT c.seq, c.id, c.article_id, c.idx, c.start, c."end", v.vector,
		c.scope, c.published
		FROM chunks c LEFT JOIN chunk_vectors v ON v.seq = c.seq WHERE c.article_id = ? ORDER BY c.idx`, id)
	if err != nil {
		return StoredArticle{}, fmt.Errorf("corpus: stored %s: %w", id, err)
	}
	defer rows.Close()
	if err := scanStored(rows, s.Summary.Chunks, func(c StoredChunk) error { s.Chunks = append(s.Chunks, c); return nil }); err != nil {
		return StoredArticle{}, err
	}
	s.Summary.Chunks = len(s.Chunks)
	return s, nil
}

// maxTextIDs bounds the ids of one ChunkTexts query (SQLite's limit on
// bound parameters is far above it).
const maxTextIDs = 500

// ChunkTexts returns the text of each of the chunks ids that exists, by
// id: search reads from the library only the passages an answer needs.
func (l *Library) ChunkTexts(ctx context.Context, ids []string) (map[string]string, error) {
	out := make(map[string]string, len(ids))
	for len(ids) > 0 {
		batch := ids[:min(len(ids), maxTextIDs)]
		ids = ids[len(batch):]
		args := make([]any, len(batch))
		for i, id := range batch {
			args[i] = id
		}
		rows, err := l.r.QueryContext(ctx, "SELECT id, text FROM chunks WHERE id IN ("+placeholders(len(batch))+")", args...)
		if err != nil {
			return nil, fmt.Errorf("corpus: chunk texts: %w", err)
		}
		for rows.Next() {
			var id, text string
			if err := rows.Scan(&id, &text); err != nil {
				rows.Close()
				return nil, fmt.Errorf("corpus: chunk texts: %w", err)
			}
			out[id] = text
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("corpus: chunk texts: %w", err)
		}
	}
	return out, nil
}

// ArticleChunks returns the chunks of one article in order; ErrNotFound
// when the article is absent.
func (l *Library) ArticleChunks(ctx context.Context, id string) ([]Chunk, error) {
	rows, err := l.r.QueryContext(ctx, `SELECT id, article_id, idx, start, "end", text
		FROM chunks WHERE article_id = ? ORDER BY idx`, id)
	if err != nil {
		return nil, fmt.Errorf("corpus: chunks of %s: %w", id, err)
	}
	defer rows.Close()
	var out []Chunk
	for rows.Next() {
		var c Chunk
		if err := rows.Scan(&c.ID, &c.ArticleID, &c.Index, &c.Start, &c.End, &c.Text); err != nil {
			return nil, fmt.Errorf("corpus: chunks of %s: %w", id, err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("corpus: chunks of %s: %w", id, err)
	}
	if len(out) == 0 {
		if _, found, err := l.ContentHash(ctx, id); err != nil {
			return nil, err
		} else if !found {
			return nil, fmt.Errorf("corpus: chunks of %s: %w", id, ErrNotFound)
		}
	}
	return out, nil
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}
