package postgres

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/attache-bot/attache/corpus"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Feeds, their polls and items, as corpus.Library keeps them (see
// corpus/feeds.go for what each is for).

// feedScopeLock serialises the subscriptions of one scope, so that two at
// once cannot both pass the limit.
const feedScopeLock = "SELECT pg_advisory_xact_lock(hashtextextended('attache feeds ' || current_schema() || ' ' || $1, 0))"

// timeOrNil stores the zero time as NULL.
func timeOrNil(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC()
}

// AddFeed subscribes f.Scope to f.URL (made canonical) and returns the
// stored feed. corpus.ErrFeedExists when the scope has it already,
// corpus.ErrTooManyFeeds when the scope has max feeds
// (corpus.DefaultMaxFeeds when max <= 0).
func (l *Library) AddFeed(ctx context.Context, f corpus.Feed, max int) (corpus.Feed, error) {
	if max <= 0 {
		max = corpus.DefaultMaxFeeds
	}
	if f.Scope == "" {
		f.Scope = corpus.SharedScope
	}
	c, err := corpus.CanonicalURL(f.URL)
	if err != nil {
		return corpus.Feed{}, fmt.Errorf("postgres: add feed: %w", err)
	}
	if err := corpus.CheckRetentionDays(f.RetentionDays); err != nil {
		return corpus.Feed{}, fmt.Errorf("postgres: add feed: %w", err)
	}
	f.URL, f.ID = c, corpus.FeedID(f.Scope, c)
	f.Title = corpus.FeedTitle(f.Title)
	if f.AddedAt.IsZero() {
		f.AddedAt = time.Now()
	}
	f.AddedAt = f.AddedAt.UTC().Truncate(time.Microsecond) // what PostgreSQL keeps
	err = pgx.BeginFunc(ctx, l.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, feedScopeLock, f.Scope); err != nil {
			return err
		}
		var n int
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT count(*), coalesce(bool_or(id = $1), false) FROM feeds WHERE scope = $2`,
			f.ID, f.Scope).Scan(&n, &exists); err != nil {
			return err
		}
		if exists {
			return fmt.Errorf("%w: %s is feed %s", corpus.ErrFeedExists, f.URL, f.ID)
		}
		if n >= max {
			return fmt.Errorf("%w: this scope has %d feeds, the limit is %d; remove one first", corpus.ErrTooManyFeeds, n, max)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO feeds (id, scope, url, title, added_at) VALUES ($1, $2, $3, $4, $5)`,
			f.ID, f.Scope, f.URL, f.Title, f.AddedAt); err != nil {
			return err
		}
		if f.RetentionDays == 0 {
			return nil
		}
		_, err := tx.Exec(ctx, `INSERT INTO feed_retention (feed_id, days) VALUES ($1, $2)`, f.ID, f.RetentionDays)
		return err
	})
	if err != nil {
		return corpus.Feed{}, fmt.Errorf("postgres: add feed: %w", err)
	}
	return f, nil
}

const feedColumns = `f.id, f.scope, f.url, f.title, f.etag, f.last_modified, f.last_polled, f.last_ok, f.failures,
	f.last_error, f.retry_at, f.added_at,
	(SELECT count(DISTINCT i.article_id) FROM feed_items i WHERE i.feed_id = f.id AND i.article_id <> ''),
	coalesce((SELECT r.days FROM feed_retention r WHERE r.feed_id = f.id), 0)`

func scanFeed(row pgx.Row) (corpus.Feed, error) {
	var f corpus.Feed
	var polled, ok, retry *time.Time
	err := row.Scan(&f.ID, &f.Scope, &f.URL, &f.Title, &f.ETag, &f.LastModified, &polled, &ok, &f.Failures,
		&f.LastError, &retry, &f.AddedAt, &f.Articles, &f.RetentionDays)
	at := func(t *time.Time) time.Time {
		if t == nil {
			return time.Time{}
		}
		return t.UTC()
	}
	f.LastPolled, f.LastOK, f.RetryAt, f.AddedAt = at(polled), at(ok), at(retry), f.AddedAt.UTC()
	return f, err
}

// Feeds lists scope's feeds (every scope's when scope is ""), oldest
// subscription first.
func (l *Library) Feeds(ctx context.Context, scope string) ([]corpus.Feed, error) {
	q := `SELECT ` + feedColumns + ` FROM feeds f`
	var args []any
	if scope != "" {
		q += ` WHERE f.scope = $1`
		args = append(args, scope)
	}
	rows, err := l.pool.Query(ctx, q+` ORDER BY f.added_at, f.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: feeds: %w", err)
	}
	defer rows.Close()
	var out []corpus.Feed
	for rows.Next() {
		f, err := scanFeed(rows)
		if err != nil {
			return nil, fmt.Errorf("postgres: feeds: %w", err)
		}
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: feeds: %w", err)
	}
	return out, nil
}

// Feed returns one feed; corpus.ErrNotFound when there is none with that
// id (in scope, when scope is not "").
func (l *Library) Feed(ctx context.Context, scope, id string) (corpus.Feed, error) {
	q := `SELECT ` + feedColumns + ` FROM feeds f WHERE f.id = $1`
	args := []any{strings.TrimSpace(id)}
	if scope != "" {
		q += ` AND f.scope = $2`
		args = append(args, scope)
	}
	f, err := scanFeed(l.pool.QueryRow(ctx, q, args...))
	if errors.Is(err, pgx.ErrNoRows) {
		return corpus.Feed{}, fmt.Errorf("postgres: feed %s: %w", id, corpus.ErrNotFound)
	}
	if err != nil {
		return corpus.Feed{}, fmt.Errorf("postgres: feed %s: %w", id, err)
	}
	return f, nil
}

// RemoveFeed unsubscribes (in scope, when not ""); the articles stay.
// corpus.ErrNotFound when there is no such feed.
func (l *Library) RemoveFeed(ctx context.Context, scope, id string) error {
	q, args := `DELETE FROM feeds WHERE id = $1`, []any{strings.TrimSpace(id)}
	if scope != "" {
		q += ` AND scope = $2`
		args = append(args, scope)
	}
	tag, err := l.pool.Exec(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("postgres: remove feed %s: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgres: remove feed %s: %w", id, corpus.ErrNotFound)
	}
	return nil
}

// FeedItem returns the item guid of a feed as last seen.
func (l *Library) FeedItem(ctx context.Context, feedID, guid string) (corpus.FeedItem, bool, error) {
	return l.feedItem(ctx, `SELECT feed_id, guid, url, article_id, signature, bands FROM feed_items
		WHERE feed_id = $1 AND guid = $2`, feedID, guid)
}

// FeedItemByURL returns an item of any of scope's feeds with that
// canonical URL that became an article.
func (l *Library) FeedItemByURL(ctx context.Context, scope, canonicalURL string) (corpus.FeedItem, bool, error) {
	if canonicalURL == "" {
		return corpus.FeedItem{}, false, nil
	}
	return l.feedItem(ctx, `SELECT i.feed_id, i.guid, i.url, i.article_id, i.signature, i.bands FROM feed_items i
		JOIN feeds f ON f.id = i.feed_id WHERE i.url = $1 AND f.scope = $2 AND i.article_id <> '' LIMIT 1`, canonicalURL, scope)
}

func (l *Library) feedItem(ctx context.Context, q string, args ...any) (corpus.FeedItem, bool, error) {
	var it corpus.FeedItem
	var bands string
	err := l.pool.QueryRow(ctx, q, args...).Scan(&it.FeedID, &it.GUID, &it.URL, &it.ArticleID, &it.Signature, &bands)
	if errors.Is(err, pgx.ErrNoRows) {
		return corpus.FeedItem{}, false, nil
	}
	if err != nil {
		return corpus.FeedItem{}, false, fmt.Errorf("postgres: feed item: %w", err)
	}
	it.Bands = strings.Fields(bands)
	return it, true, nil
}

// maxBandCandidates bounds the articles one lookup returns (as in corpus).
const maxBandCandidates = 20

// BandCandidates returns the articles of scope whose text shares at least
// one near-duplicate band with bands, the most shared first.
func (l *Library) BandCandidates(ctx context.Context, scope string, bands []string) ([]string, error) {
	if len(bands) == 0 {
		return nil, nil
	}
	rows, err := l.pool.Query(ctx, `SELECT article_id, count(*) AS n FROM feed_bands
		WHERE scope = $1 AND band = ANY($2) GROUP BY article_id`, scope, bands)
	if err != nil {
		return nil, fmt.Errorf("postgres: band candidates: %w", err)
	}
	defer rows.Close()
	shared := map[string]int{}
	for rows.Next() {
		var id string
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, fmt.Errorf("postgres: band candidates: %w", err)
		}
		shared[id] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: band candidates: %w", err)
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
// GUID) and, when it is an article, the article's bands.
// corpus.ErrNotFound when the feed is gone.
func (l *Library) SaveFeedItem(ctx context.Context, it corpus.FeedItem, at time.Time) error {
	err := pgx.BeginFunc(ctx, l.pool, func(tx pgx.Tx) error {
		var scope string
		err := tx.QueryRow(ctx, `SELECT scope FROM feeds WHERE id = $1 FOR SHARE`, it.FeedID).Scan(&scope)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("feed %s: %w", it.FeedID, corpus.ErrNotFound)
		}
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO feed_items (feed_id, guid, url, article_id, signature, bands, seen_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (feed_id, guid) DO UPDATE SET url = excluded.url,
			article_id = excluded.article_id, signature = excluded.signature, bands = excluded.bands, seen_at = excluded.seen_at`,
			it.FeedID, it.GUID, it.URL, it.ArticleID, it.Signature, strings.Join(it.Bands, " "), at.UTC()); err != nil {
			return err
		}
		if it.ArticleID == "" || len(it.Bands) == 0 {
			return nil
		}
		// An updated article's old text must not match new stories.
		if _, err := tx.Exec(ctx, `DELETE FROM feed_bands WHERE scope = $1 AND article_id = $2`, scope, it.ArticleID); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO feed_bands (scope, band, article_id)
			SELECT $1, b, $3 FROM unnest($2::text[]) AS b ON CONFLICT DO NOTHING`, scope, it.Bands, it.ArticleID)
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: save feed item: %w", err)
	}
	return nil
}

// SaveFeedPoll records a poll's outcome: on success the validators, the
// time and a reset failure count; on failure the error and one more
// consecutive failure. corpus.ErrNotFound when the feed is gone.
func (l *Library) SaveFeedPoll(ctx context.Context, id string, p corpus.FeedPoll) error {
	var tag pgconn.CommandTag
	var err error
	if p.Err == "" {
		tag, err = l.pool.Exec(ctx, `UPDATE feeds SET etag = $1, last_modified = $2, last_polled = $3, last_ok = $3,
			failures = 0, last_error = '', retry_at = $4, title = CASE WHEN $5 <> '' THEN $6 ELSE title END WHERE id = $7`,
			p.ETag, p.LastModified, timeOrNil(p.At), timeOrNil(p.RetryAt), p.Title, corpus.FeedTitle(p.Title), id)
	} else {
		tag, err = l.pool.Exec(ctx, `UPDATE feeds SET last_polled = $1, failures = failures + 1, last_error = $2, retry_at = $3 WHERE id = $4`,
			timeOrNil(p.At), corpus.FeedError(p.Err), timeOrNil(p.RetryAt), id)
	}
	if err != nil {
		return fmt.Errorf("postgres: save feed poll %s: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgres: save feed poll %s: %w", id, corpus.ErrNotFound)
	}
	return nil
}
