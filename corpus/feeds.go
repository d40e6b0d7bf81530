package corpus

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Feeds a scope subscribes to, what their polls saw, and which article
// each item became. A feed's articles are ordinary articles of its scope:
// unsubscribing keeps them, and removing one with Remove keeps its item
// row, so that the next poll does not bring it back.

// DefaultMaxFeeds is how many feeds one scope may have.
const DefaultMaxFeeds = 50

// Errors of the feed store.
var (
	// ErrTooManyFeeds: the scope already has its maximum of feeds.
	ErrTooManyFeeds = errors.New("too many feeds")
	// ErrFeedExists: the scope already subscribes to that URL.
	ErrFeedExists = errors.New("feed already subscribed")
)

// Feed is a subscription and its health.
type Feed struct {
	ID    string // "f-" and 10 hex characters, derived from scope and URL
	Scope string
	URL   string // canonical
	Title string
	// ETag and LastModified are the validators of the last full answer.
	ETag, LastModified string
	LastPolled         time.Time // zero: never polled
	LastOK             time.Time // the last poll that succeeded (304 included)
	Failures           int       // consecutive failed polls
	LastError          string    // the last poll's error, "" after a success
	RetryAt            time.Time // no poll before this (Retry-After, backoff)
	AddedAt            time.Time
	// Articles is how many articles the feed's items became (read only).
	Articles int
	// RetentionDays is how many days the feed's articles are kept, by
	// publication date; 0 keeps them (within the global window).
	RetentionDays int
}

// FeedItem is one item a feed carried, as last seen.
type FeedItem struct {
	FeedID string
	GUID   string
	URL    string // canonical, "" when the item has none
	// ArticleID is the article the item is (its own, or the one it
	// duplicates); "" when the item was rejected.
	ArticleID string
	// Signature digests what the item said (title, text, updated date):
	// a change means an update to apply.
	Signature string
	// Bands are the article text's near-duplicate lookup keys.
	Bands []string
}

// FeedPoll is the outcome of one poll, for SaveFeedPoll.
type FeedPoll struct {
	At time.Time
	// Err is "" for a success (a 304 included).
	Err string
	// ETag and LastModified replace the stored validators on a success.
	ETag, LastModified string
	// Title replaces the feed's title when not "".
	Title string
	// RetryAt is when the next poll may happen (zero: at the schedule).
	RetryAt time.Time
}

// feedSchema is created with the rest of the schema at Open.
const feedSchema = `
CREATE TABLE IF NOT EXISTS feeds (
	id            TEXT PRIMARY KEY,
	scope         TEXT NOT NULL,
	url           TEXT NOT NULL,
	title         TEXT NOT NULL DEFAULT '',
	etag          TEXT NOT NULL DEFAULT '',
	last_modified TEXT NOT NULL DEFAULT '',
	last_polled   TEXT NOT NULL DEFAULT '',
	last_ok       TEXT NOT NULL DEFAULT '',
	failures      INTEGER NOT NULL DEFAULT 0,
	last_error    TEXT NOT NULL DEFAULT '',
	retry_at      TEXT NOT NULL DEFAULT '',
	added_at      TEXT NOT NULL,
	UNIQUE (scope, url)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS feed_items (
	feed_id    TEXT NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
	guid       TEXT NOT NULL,
	url        TEXT NOT NULL DEFAULT '',
	article_id TEXT NOT NULL DEFAULT '',
	signature  TEXT NOT NULL DEFAULT '',
	bands      TEXT NOT NULL DEFAULT '',
	seen_at    TEXT NOT NULL,
	PRIMARY KEY (feed_id, guid)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS feed_items_url ON feed_items(url) WHERE url <> '';
CREATE TABLE IF NOT EXISTS feed_bands (
	scope      TEXT NOT NULL,
	band       TEXT NOT NULL,
	article_id TEXT NOT NULL,
	PRIMARY KEY (scope, band, article_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS feed_bands_article ON feed_bands(scope, article_id);`

// feedTime is how feed times are stored: fixed-width UTC text, so that
// text order is time order.
const feedTime = "2006-01-02T15:04:05.000000000Z"

func formatFeedTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(feedTime)
}

func parseFeedTime(s string) time.Time {
	t, err := time.Parse(feedTime, s)
	if err != nil {
		return time.Time{}
	}
	return t
}

// FeedID is the id of scope's subscription to the canonical URL.
func FeedID(scope, canonicalURL string) string {
	sum := sha256.Sum256([]byte(scope + "\x00" + canonicalURL))
	return "f-" + hex.EncodeToString(sum[:5])
}

// AddFeed subscribes f.Scope to f.URL (made canonical), keeping its
// articles f.RetentionDays days (0: kept), and returns the stored feed.
// ErrFeedExists when the scope has it already, ErrTooManyFeeds when the
// scope has max feeds (DefaultMaxFeeds when max <= 0).
func (l *Library) AddFeed(ctx context.Context, f Feed, max int) (Feed, error) {
	if max <= 0 {
		max = DefaultMaxFeeds
	}
	if f.Scope == "" {
		f.Scope = SharedScope
	}
	c, err := CanonicalURL(f.URL)
	if err != nil {
		return Feed{}, fmt.Errorf("corpus: add feed: %w", err)
	}
	if err := CheckRetentionDays(f.RetentionDays); err != nil {
		return Feed{}, fmt.Errorf("corpus: add feed: %w", err)
	}
	f.URL, f.ID = c, FeedID(f.Scope, c)
	f.Title = FeedTitle(f.Title)
	if f.AddedAt.IsZero() {
		f.AddedAt = time.Now()
	}
	err = l.withFeedbackTx(ctx, func(tx *sql.Tx) error {
		var n int
		var exists bool
		if err := tx.QueryRowContext(ctx, `SELECT count(*), coalesce(max(id = ?), 0) FROM feeds WHERE scope = ?`, f.ID, f.Scope).Scan(&n, &exists); err != nil {
			return err
		}
		if exists {
			return fmt.Errorf("%w: %s is feed %s", ErrFeedExists, f.URL, f.ID)
		}
		if n >= max {
			return fmt.Errorf("%w: this scope has %d feeds, the limit is %d; remove one first", ErrTooManyFeeds, n, max)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO feeds(id, scope, url, title, added_at) VALUES (?, ?, ?, ?, ?)`,
			f.ID, f.Scope, f.URL, f.Title, formatFeedTime(f.AddedAt)); err != nil {
			return err
		}
		if f.RetentionDays == 0 {
			return nil
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO feed_retention(feed_id, days) VALUES (?, ?)`, f.ID, f.RetentionDays)
		return err
	})
	if err != nil {
		return Feed{}, fmt.Errorf("corpus: add feed: %w", err)
	}
	return f, nil
}

const feedColumns = `f.id, f.scope, f.url, f.title, f.etag, f.last_modified, f.last_polled, f.last_ok, f.failures,
	f.last_error, f.retry_at, f.added_at,
	(SELECT count(DISTINCT i.article_id) FROM feed_items i WHERE i.feed_id = f.id AND i.article_id <> ''),
	coalesce((SELECT r.days FROM feed_retention r WHERE r.feed_id = f.id), 0)`

func scanFeed(row interface{ Scan(...any) error }) (Feed, error) {
	var f Feed
	var polled, ok, retry, added string
	err := row.Scan(&f.ID, &f.Scope, &f.URL, &f.Title, &f.ETag, &f.LastModified, &polled, &ok, &f.Failures,
		&f.LastError, &retry, &added, &f.Articles, &f.RetentionDays)
	f.LastPolled, f.LastOK, f.RetryAt, f.AddedAt = parseFeedTime(polled), parseFeedTime(ok), parseFeedTime(retry), parseFeedTime(added)
	return f, err
}

// Feeds lists scope's feeds (every scope's when scope is ""), oldest
// subscription first.
func (l *Library) Feeds(ctx context.Context, scope string) ([]Feed, error) {
	q := `SELECT ` + feedColumns + ` FROM feeds f`
	var args []any
	if scope != "" {
		q += ` WHERE f.scope = ?`
		args = append(args, scope)
	}
	rows, err := l.r.QueryContext(ctx, q+` ORDER BY f.added_at, f.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("corpus: feeds: %w", err)
	}
	defer rows.Close()
	var out []Feed
	for rows.Next() {
		f, err := scanFeed(rows)
		if err != nil {
			return nil, fmt.Errorf("corpus: feeds: %w", err)
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// Feed returns one feed; ErrNotFound when there is none with that id (in
// scope, when scope is not "").
func (l *Library) Feed(ctx context.Context, scope, id string) (Feed, error) {
	q := `SELECT ` + feedColumns + ` FROM feeds f WHERE f.id = ?`
	args := []any{strings.TrimSpace(id)}
	if scope != "" {
		q += ` AND f.scope = ?`
		args = append(args, scope)
	}
	f, err := scanFeed(l.r.QueryRowContext(ctx, q, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return Feed{}, fmt.Errorf("corpus: feed %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return Feed{}, fmt.Errorf("corpus: feed %s: %w", id, err)
	}
	return f, nil
}

// RemoveFeed unsubscribes (in scope, when not ""); the articles stay.
// ErrNotFound when there is no such feed.
func (l *Library) RemoveFeed(ctx context.Context, scope, id string) error {
	q, args := `DELETE FROM feeds WHERE id = ?`, []any{strings.TrimSpace(id)}
	if scope != "" {
		q += ` AND scope = ?`
		args = append(args, scope)
	}
	res, err := l.w.ExecContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("corpus: remove feed %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("corpus: remove feed %s: %w", id, ErrNotFound)
	}
	return nil
}

// FeedItem returns the item guid of a feed as last seen.
func (l *Library) FeedItem(ctx context.Context, feedID, guid string) (FeedItem, bool, error) {
	return l.feedItem(ctx, `SELECT feed_id, guid, url, article_id, signature, bands FROM feed_items WHERE feed_id = ? AND guid = ?`, feedID, guid)
}

// FeedItemByURL returns an item of any of scope's feeds with that
// canonical URL that became an article: the same story carried by two
// feeds, or under a new GUID.
func (l *Library) FeedItemByURL(ctx context.Context, scope, canonicalURL string) (FeedItem, bool, error) {
	if canonicalURL == "" {
		return FeedItem{}, false, nil
	}
	return l.feedItem(ctx, `SELECT i.feed_id, i.guid, i.url, i.article_id, i.signature, i.bands FROM feed_items i
		JOIN feeds f ON f.id = i.feed_id WHERE i.url = ? AND f.scope = ? AND i.article_id <> '' LIMIT 1`, canonicalURL, scope)
}

func (l *Library) feedItem(ctx context.Context, q string, args ...any) (FeedItem, bool, error) {
	var it FeedItem
	var bands string
	err := l.r.QueryRowContext(ctx, q, args...).Scan(&it.FeedID, &it.GUID, &it.URL, &it.ArticleID, &it.Signature, &bands)
	if errors.Is(err, sql.ErrNoRows) {
		return FeedItem{}, false, nil
	}
	if err != nil {
		return FeedItem{}, false, fmt.Errorf("corpus: feed item: %w", err)
	}
	it.Bands = strings.Fields(bands)
	return it, true, nil
}

// maxBandCandidates bounds the articles one lookup returns: a text that
// shares a band with hundreds of articles is boilerplate, not a story.
const maxBandCandidates = 20

// BandCandidates returns the articles of scope whose text shares at least
// one near-duplicate band with bands, the most shared first.
func (l *Library) BandCandidates(ctx context.Context, scope string, bands []string) ([]string, error) {
	if len(bands) == 0 {
		return nil, nil
	}
	args := []any{scope}
	for _, b := range bands {
		args = append(args, b)
	}
	// Counted here rather than with GROUP BY: grouping by article_id lets
	// SQLite prefer scanning the scope's whole article index in order over
	// the exact band lookups.
	rows, err := l.r.QueryContext(ctx, `SELECT article_id FROM feed_bands WHERE scope = ? AND band IN (`+placeholders(len(bands))+`)
		LIMIT 5000`, args...)
	if err != nil {
		return nil, fmt.Errorf("corpus: band candidates: %w", err)
	}
	defer rows.Close()
	shared := map[string]int{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		shared[id]++
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]string, 0, len(shared))
	for id := range shared {
		out = append(out, id)
	}
	sort.Slice(out, func(i, j int) bool {
		if shared[out[i]] != shared[out[j]] {
			return shared[out[i]] > shared[out[j]]
		}
		return out[i] < out[j]
	})
	return out[:min(len(out), maxBandCandidates)], nil
}

// SaveFeedItem records an item (replacing what was recorded under its
// GUID) and, when it is an article, the article's bands. ErrNotFound when
// the feed is gone (removed during the poll).
func (l *Library) SaveFeedItem(ctx context.Context, it FeedItem, at time.Time) error {
	err := l.withFeedbackTx(ctx, func(tx *sql.Tx) error {
		var scope string
		err := tx.QueryRowContext(ctx, `SELECT scope FROM feeds WHERE id = ?`, it.FeedID).Scan(&scope)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("feed %s: %w", it.FeedID, ErrNotFound)
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO feed_items(feed_id, guid, url, article_id, signature, bands, seen_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(feed_id, guid) DO UPDATE SET url = excluded.url,
			article_id = excluded.article_id, signature = excluded.signature, bands = excluded.bands, seen_at = excluded.seen_at`,
			it.FeedID, it.GUID, it.URL, it.ArticleID, it.Signature, strings.Join(it.Bands, " "), formatFeedTime(at)); err != nil {
			return err
		}
		if it.ArticleID == "" || len(it.Bands) == 0 {
			return nil
		}
		// An updated article's old text must not match new stories.
		if _, err := tx.ExecContext(ctx, `DELETE FROM feed_bands WHERE scope = ? AND article_id = ?`, scope, it.ArticleID); err != nil {
			return err
		}
		for _, b := range it.Bands {
			if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO feed_bands(scope, band, article_id) VALUES (?, ?, ?)`, scope, b, it.ArticleID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("corpus: save feed item: %w", err)
	}
	return nil
}

// SaveFeedPoll records a poll's outcome: on success the validators, the
// time and a reset failure count; on failure the error and one more
// consecutive failure. ErrNotFound when the feed is gone.
func (l *Library) SaveFeedPoll(ctx context.Context, id string, p FeedPoll) error {
	var res sql.Result
	var err error
	at, retry := formatFeedTime(p.At), formatFeedTime(p.RetryAt)
	if p.Err == "" {
		res, err = l.w.ExecContext(ctx, `UPDATE feeds SET etag = ?, last_modified = ?, last_polled = ?, last_ok = ?,
			failures = 0, last_error = '', retry_at = ?, title = CASE WHEN ? <> '' THEN ? ELSE title END WHERE id = ?`,
			p.ETag, p.LastModified, at, at, retry, p.Title, FeedTitle(p.Title), id)
	} else {
		res, err = l.w.ExecContext(ctx, `UPDATE feeds SET last_polled = ?, failures = failures + 1, last_error = ?, retry_at = ? WHERE id = ?`,
			at, FeedError(p.Err), retry, id)
	}
	if err != nil {
		return fmt.Errorf("corpus: save feed poll %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("corpus: save feed poll %s: %w", id, ErrNotFound)
	}
	return nil
}
