package corpus

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ChangeFeed is the library's change log as a process that keeps its own
// copy of the articles (an in-memory index) follows it: every article
// added, updated or removed, by any process, in commit order.
//
// A follower remembers the sequence number of the last change it applied,
// asks for the changes after it, and waits on Watch for more. The SQLite
// library implements it with a table filled by triggers and PRAGMA
// data_version; a PostgreSQL library would keep the same table and wake
// Watch with LISTEN/NOTIFY.
type ChangeFeed interface {
	// Head returns the sequence number of the newest change (0 for none).
	// A follower that starts from a full load of the library starts at
	// the Head read before that load.
	Head(ctx context.Context) (int64, error)
	// Changes returns up to limit changes with a sequence number above
	// after, oldest first. ErrFellBehind when changes after `after` are no
	// longer kept (or after is not a position of this log): the follower
	// must reload everything.
	Changes(ctx context.Context, after int64, limit int) ([]Change, error)
	// Watch returns a channel that receives a value soon after another
	// writer commits (wake-ups are coalesced and may be spurious: the
	// follower reads Changes to see what, if anything, changed). The
	// channel is closed once ctx is done and the watcher has stopped.
	Watch(ctx context.Context) <-chan struct{}
}

// ErrFellBehind is returned by Changes when the changes a follower has not
// seen yet were pruned from the log: it must reload the whole library.
var ErrFellBehind = errors.New("change feed: position no longer in the log; reload")

// ChangeKind says what happened to an article.
type ChangeKind string

// The kinds of change.
const (
	ChangePut    ChangeKind = "put"    // added or updated: read the article again
	ChangeRemove ChangeKind = "remove" // deleted (or renamed away from this id)
)

// Change is one entry of the change log.
type Change struct {
	Seq       int64
	ArticleID string
	Scope     string
	Kind      ChangeKind
	At        time.Time // when the writing transaction recorded it (UTC)
}

// Retention of the change log.
const (
	// DefaultChangeRetention is how many of the newest changes the log
	// keeps. A follower checks every fraction of a second, so it falls
	// behind only when it was stopped (or blocked) while this many changes
	// were written; then it reloads, which is always correct.
	DefaultChangeRetention = 10000
	// MaxChangeBatch caps Changes' limit.
	MaxChangeBatch = 10000
	// defaultChangeBatch is Changes' limit when none is given.
	defaultChangeBatch = 1000
	// WatchInterval is how often Watch asks SQLite whether another
	// connection committed (one PRAGMA data_version on an idle connection;
	// see BenchmarkWatchIdleCheck for its cost).
	WatchInterval = 250 * time.Millisecond
)

// changesSchema is the change log. Notes:
//   - The triggers on articles record every write in the writer's own
//     transaction, whoever the writer is (Put, Remove, a migration, a
//     future importer), so no code path can forget it and a rolled-back
//     write leaves no entry.
//   - AUTOINCREMENT keeps sequence numbers strictly increasing even after
//     the newest rows are deleted, and sqlite_sequence holds the head even
//     when pruning has emptied the table.
//   - An UPDATE that renames an article (the schema 2 migration) is a
//     remove of the old id and a put of the new one.
//   - The prune trigger keeps the newest change_retention rows (meta key;
//     10000 = DefaultChangeRetention when unset, malformed or below 1).
//   - Chunk writes need no trigger: Put always writes the article row
//     (insert or update) in the same transaction as its chunks.
const changesSchema = `
CREATE TABLE IF NOT EXISTS changes (
	seq        INTEGER PRIMARY KEY AUTOINCREMENT,
	article_id TEXT NOT NULL,
	scope      TEXT NOT NULL,
	kind       TEXT NOT NULL CHECK (kind IN ('put', 'remove')),
	at         TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS articles_changes_ai AFTER INSERT ON articles BEGIN
	INSERT INTO changes(article_id, scope, kind, at)
	VALUES (new.id, new.scope, 'put', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
END;
CREATE TRIGGER IF NOT EXISTS articles_changes_au AFTER UPDATE ON articles BEGIN
	INSERT INTO changes(article_id, scope, kind, at)
	SELECT old.id, old.scope, 'remove', strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE old.id <> new.id;
	INSERT INTO changes(article_id, scope, kind, at)
	VALUES (new.id, new.scope, 'put', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
END;
CREATE TRIGGER IF NOT EXISTS articles_changes_ad AFTER DELETE ON articles BEGIN
	INSERT INTO changes(article_id, scope, kind, at)
	VALUES (old.id, old.scope, 'remove', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
END;
CREATE TRIGGER IF NOT EXISTS changes_prune AFTER INSERT ON changes BEGIN
	DELETE FROM changes WHERE seq <= new.seq - COALESCE((SELECT CAST(value AS INTEGER) FROM meta
		WHERE key = 'change_retention' AND CAST(value AS INTEGER) >= 1), 10000);
END;
`

// changeObjects are the schema objects of the change log, dropped together
// when the table must be rebuilt.
var changeObjects = []string{
	"TRIGGER articles_changes_ai", "TRIGGER articles_changes_au", "TRIGGER articles_changes_ad",
	"TRIGGER changes_prune", "TABLE changes",
}

// createChanges creates the change log inside the opening transaction. A
// changes table that is not the log's (other columns: a damaged or
// hand-made table) is dropped and made again: the log only tells
// followers what to re-read, so losing it loses no article.
//
// A log made for a library that already existed (upgraded from a release
// without one, or rebuilt after it was dropped or damaged) starts its
// sequence at the current time in microseconds, above any position a
// follower can hold from an earlier log (a log gives out far fewer than a
// million numbers a second): such a follower finds its next change missing
// and reloads, instead of taking the new log's first changes for ones it
// has seen.
func createChanges(ctx context.Context, tx *sql.Tx) error {
	existed, err := changesExist(ctx, tx)
	if err != nil {
		return fmt.Errorf("creating the change log: %w", err)
	}
	if _, err := tx.ExecContext(ctx, changesSchema); err != nil {
		return fmt.Errorf("creating the change log: %w", err)
	}
	_, err = tx.ExecContext(ctx, "SELECT seq, article_id, scope, kind, at FROM changes LIMIT 0")
	switch {
	case err == nil:
	case strings.Contains(err.Error(), "no such column"):
		for _, obj := range changeObjects {
			if _, err := tx.ExecContext(ctx, "DROP "+strings.Replace(obj, " ", " IF EXISTS ", 1)); err != nil {
				return fmt.Errorf("rebuilding the change log: %w", err)
			}
		}
		if _, err := tx.ExecContext(ctx, changesSchema); err != nil {
			return fmt.Errorf("rebuilding the change log: %w", err)
		}
		existed = false
	default:
		return fmt.Errorf("checking the change log: %w", err)
	}
	if existed {
		return nil
	}
	var used bool
	if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM articles)
		OR EXISTS (SELECT 1 FROM meta WHERE key = 'schema_version')`).Scan(&used); err != nil {
		return fmt.Errorf("creating the change log: %w", err)
	}
	if !used {
		return nil // a new library: the log starts at 1
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM sqlite_sequence WHERE name = 'changes'"); err != nil {
		return fmt.Errorf("creating the change log: %w", err)
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO sqlite_sequence(name, seq) VALUES ('changes', ?)", time.Now().UnixMicro()); err != nil {
		return fmt.Errorf("creating the change log: %w", err)
	}
	return nil
}

// changesExist reports whether the library has a changes table.
func changesExist(ctx context.Context, tx *sql.Tx) (bool, error) {
	var n int
	err := tx.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'changes'").Scan(&n)
	return n > 0, err
}

// SetChangeRetention sets how many of the newest changes the log keeps
// (n >= 1; DefaultChangeRetention when never set). Older changes are
// pruned as new ones arrive.
func (l *Library) SetChangeRetention(ctx context.Context, n int) error {
	if n < 1 {
		return fmt.Errorf("corpus: change retention must be at least 1 (got %d)", n)
	}
	_, err := l.w.ExecContext(ctx,
		"INSERT INTO meta(key, value) VALUES ('change_retention', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
		strconv.Itoa(n))
	if err != nil {
		return fmt.Errorf("corpus: set change retention: %w", err)
	}
	return nil
}

// headSQL reads the newest sequence number ever given out, also when the
// table is empty (sqlite_sequence has no row before the first change).
const headSQL = "SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'changes'), 0)"

// Head returns the sequence number of the newest change; see ChangeFeed.
func (l *Library) Head(ctx context.Context) (int64, error) {
	var head int64
	if err := l.r.QueryRowContext(ctx, headSQL).Scan(&head); err != nil {
		return 0, fmt.Errorf("corpus: change feed head: %w", describeChangesError(err))
	}
	return head, nil
}

// Changes returns up to limit changes after the given position, oldest
// first; see ChangeFeed. limit <= 0 means 1,000; it is capped at
// MaxChangeBatch. The check for pruned changes and the read are one
// snapshot.
func (l *Library) Changes(ctx context.Context, after int64, limit int) ([]Change, error) {
	if after < 0 {
		return nil, fmt.Errorf("corpus: changes after %d: negative position", after)
	}
	switch {
	case limit <= 0:
		limit = defaultChangeBatch
	case limit > MaxChangeBatch:
		limit = MaxChangeBatch
	}
	tx, err := l.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("corpus: changes: %w", err)
	}
	defer tx.Rollback()
	var head int64
	var oldest sql.NullInt64
	if err := tx.QueryRowContext(ctx, headSQL+", (SELECT min(seq) FROM changes)").Scan(&head, &oldest); err != nil {
		return nil, fmt.Errorf("corpus: changes: %w", describeChangesError(err))
	}
	switch {
	case after > head:
		// A position this log never gave out: the log was rebuilt, or
		// the follower read another library.
		return nil, fmt.Errorf("corpus: changes after %d (head %d): %w", after, head, ErrFellBehind)
	case after == head:
		return nil, nil
	case !oldest.Valid || oldest.Int64 > after+1:
		return nil, fmt.Errorf("corpus: changes after %d (oldest kept %d): %w", after, oldest.Int64, ErrFellBehind)
	}
	rows, err := tx.QueryContext(ctx, `SELECT seq, article_id, scope, kind, at FROM changes
		WHERE seq > ? ORDER BY seq LIMIT ?`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("corpus: changes: %w", describeChangesError(err))
	}
	defer rows.Close()
	var out []Change
	for rows.Next() {
		var c Change
		var kind, at string
		if err := rows.Scan(&c.Seq, &c.ArticleID, &c.Scope, &kind, &at); err != nil {
			return nil, fmt.Errorf("corpus: changes: %w", err)
		}
		c.Kind = ChangeKind(kind)
		c.At, _ = time.Parse(time.RFC3339Nano, at) // informational: a zero time if unreadable
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("corpus: changes: %w", err)
	}
	return out, nil
}

// describeChangesError says how to repair a missing change log: opening
// the library creates it again.
func describeChangesError(err error) error {
	if strings.Contains(err.Error(), "no such table") || strings.Contains(err.Error(), "no such column") {
		return fmt.Errorf("the change log is missing or damaged (%v); restart attache to rebuild it", err)
	}
	return err
}

// Watch wakes the caller soon after another connection (another process,
// or this process's own writer) commits; see ChangeFeed. The first wake-up
// comes as soon as the watcher is ready, so a caller that reads Changes on
// every wake-up misses no commit made before then. It checks PRAGMA
// data_version every WatchInterval on one reader connection held for the
// purpose, until ctx is done (cancel it before closing the library). A
// check that fails (the library was closed, a damaged file)
// wakes the caller too, so that it reads Changes and meets the error
// itself, and the connection is taken afresh at the next tick.
func (l *Library) Watch(ctx context.Context) <-chan struct{} {
	ch := make(chan struct{}, 1)
	go l.watch(ctx, ch, WatchInterval)
	return ch
}

func (l *Library) watch(ctx context.Context, ch chan<- struct{}, every time.Duration) {
	defer close(ch)
	wake := func() {
		select {
		case ch <- struct{}{}:
		default: // a wake-up is already pending
		}
	}
	var w dataVersionWatcher
	defer w.close()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		changed, err := w.check(ctx, l.r)
		if ctx.Err() != nil {
			return
		}
		if changed || err != nil {
			wake()
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// dataVersionWatcher remembers one connection's PRAGMA data_version, which
// changes whenever another connection has committed since the last read.
type dataVersionWatcher struct {
	conn *sql.Conn
	last int64
}

// check reports whether the data version moved since the last check. The
// first check (and the first after an error) reports a change: what was
// committed before the watcher was ready (or while it could not look) must
// be read too.
func (w *dataVersionWatcher) check(ctx context.Context, db *sql.DB) (bool, error) {
	if w.conn == nil {
		c, err := db.Conn(ctx)
		if err != nil {
			return false, err
		}
		w.conn, w.last = c, -1
	}
	var v int64
	if err := w.conn.QueryRowContext(ctx, "PRAGMA data_version").Scan(&v); err != nil {
		w.close()
		return false, err
	}
	changed := w.last < 0 || v != w.last
	w.last = v
	return changed, nil
}

func (w *dataVersionWatcher) close() {
	if w.conn != nil {
		w.conn.Close()
		w.conn = nil
	}
}

// ArticleHashes returns the content hash of every stored article by id, to
// compare an in-memory copy with the library after falling behind; with
// scopes, only of the articles of those scopes (what a process holding
// some guilds keeps in memory).
func (l *Library) ArticleHashes(ctx context.Context, scopes ...string) (map[string]string, error) {
	q, args := "SELECT id, hash FROM articles", []any(nil)
	if len(scopes) > 0 {
		q += " WHERE scope IN (" + placeholders(len(scopes)) + ")"
		for _, s := range scopes {
			args = append(args, s)
		}
	}
	rows, err := l.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("corpus: article hashes: %w", err)
	}
	defer rows.Close()
	out := make(map[string]string)
	for rows.Next() {
		var id, hash string
		if err := rows.Scan(&id, &hash); err != nil {
			return nil, fmt.Errorf("corpus: article hashes: %w", err)
		}
		out[id] = hash
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("corpus: article hashes: %w", err)
	}
	return out, nil
}

// The SQLite library is the first change feed.
var _ ChangeFeed = (*Library)(nil)
