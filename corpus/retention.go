package corpus

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Retention: news goes stale, and a library that follows feeds grows every
// day. An operator may keep only the last N days of every scope's articles
// (a global window), and a feed may keep its own articles for fewer days.
// Age is the publication date: an article without one is kept, since there
// is nothing to judge it by. Expired articles leave through the caller's
// remove (the engine's or the library's Remove), so their chunks, vectors
// and full-text rows go with them and the change feed tells every running
// index; their feed items stay, so that the next poll does not bring them
// back.

// MaxRetentionDays bounds a retention window (about a century): longer is
// surely a mistake, and "keep everything" is 0.
const MaxRetentionDays = 36500

// retentionSchema holds the feeds' own windows; a feed without a row keeps
// its articles (as long as the global window allows).
const retentionSchema = `
CREATE TABLE IF NOT EXISTS feed_retention (
	feed_id TEXT PRIMARY KEY REFERENCES feeds(id) ON DELETE CASCADE,
	days    INTEGER NOT NULL CHECK (days > 0)
) WITHOUT ROWID;`

// CheckRetentionDays validates a retention window: 0 (keep everything) to
// MaxRetentionDays.
func CheckRetentionDays(days int) error {
	if days < 0 || days > MaxRetentionDays {
		return fmt.Errorf("retention must be 0 (keep everything) to %d days, not %d", MaxRetentionDays, days)
	}
	return nil
}

// SetFeedRetention sets how many days the feed keeps its articles; 0 keeps
// them (within the global window). ErrNotFound when there is no such feed.
func (l *Library) SetFeedRetention(ctx context.Context, feedID string, days int) error {
	if err := CheckRetentionDays(days); err != nil {
		return fmt.Errorf("corpus: feed retention: %w", err)
	}
	err := l.withFeedbackTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM feeds WHERE id = ?`, feedID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("feed %s: %w", feedID, ErrNotFound)
		}
		if days == 0 {
			_, err := tx.ExecContext(ctx, `DELETE FROM feed_retention WHERE feed_id = ?`, feedID)
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO feed_retention(feed_id, days) VALUES (?, ?)
			ON CONFLICT(feed_id) DO UPDATE SET days = excluded.days`, feedID, days)
		return err
	})
	if err != nil {
		return fmt.Errorf("corpus: feed retention: %w", err)
	}
	return nil
}

// SetNewFeedRetention gives a feed just subscribed (by package feed's
// Subscribe, which stores it after its first fetch) its retention window;
// when that fails it removes the feed again, so that a failed subscription
// stores nothing.
func (l *Library) SetNewFeedRetention(ctx context.Context, f Feed, days int) error {
	return SetNewFeedRetention(ctx, l, f, days)
}

// ExpiredArticle is an article past its retention window.
type ExpiredArticle struct {
	ID, Scope string
	Published time.Time
}

// Expired lists the articles past their window at now: published more
// than globalDays days before now's date (0: no global window), or more
// than the window of every feed that carried them when each of those
// feeds has one. Oldest first.
func (l *Library) Expired(ctx context.Context, now time.Time, globalDays int) ([]ExpiredArticle, error) {
	if err := CheckRetentionDays(globalDays); err != nil {
		return nil, fmt.Errorf("corpus: expired: %w", err)
	}
	today := now.UTC().Format(DateLayout)
	global := RetentionCutoff(now, globalDays)
	// An article carried by several feeds stays while any of them keeps it:
	// a feed without a window, or one whose window it is still inside.
	rows, err := l.r.QueryContext(ctx, `SELECT a.id, a.scope, a.published FROM articles a
		WHERE a.published <> '' AND (a.published < ? OR (
			EXISTS (SELECT 1 FROM feed_items i JOIN feed_retention r ON r.feed_id = i.feed_id WHERE i.article_id = a.id)
			AND NOT EXISTS (SELECT 1 FROM feed_items i LEFT JOIN feed_retention r ON r.feed_id = i.feed_id
				WHERE i.article_id = a.id AND (r.days IS NULL OR a.published >= date(?, '-' || r.days || ' days')))))
		ORDER BY a.published, a.id`, global, today)
	if err != nil {
		return nil, fmt.Errorf("corpus: expired: %w", err)
	}
	defer rows.Close()
	var out []ExpiredArticle
	for rows.Next() {
		var e ExpiredArticle
		var published string
		if err := rows.Scan(&e.ID, &e.Scope, &published); err != nil {
			return nil, fmt.Errorf("corpus: expired: %w", err)
		}
		e.Published = parseDate(published)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("corpus: expired: %w", err)
	}
	return out, nil
}

// ApplyRetention removes the articles of scope (every scope's when "")
// past their window at now with remove (an engine's Remove, or the
// library's), and returns how many it removed. An article already gone is
// no error; any other failure stops the pass (the next one retries what
// is left).
func (l *Library) ApplyRetention(ctx context.Context, scope string, now time.Time, globalDays int, remove func(ctx context.Context, scope, id string) error) (int, error) {
	expired, err := l.Expired(ctx, now, globalDays)
	if err != nil {
		return 0, err
	}
	return RemoveExpired(ctx, expired, scope, remove)
}
