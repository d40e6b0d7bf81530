package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/attache-bot/attache/corpus"
	"github.com/jackc/pgx/v5"
)

// Retention windows, as corpus.Library keeps them (see corpus/retention.go):
// a global window and the feeds' own, judged by publication date.

// SetFeedRetention sets how many days the feed keeps its articles; 0
// keeps them (within the global window). corpus.ErrNotFound when there is
// no such feed.
func (l *Library) SetFeedRetention(ctx context.Context, feedID string, days int) error {
	if err := corpus.CheckRetentionDays(days); err != nil {
		return fmt.Errorf("postgres: feed retention: %w", err)
	}
	err := pgx.BeginFunc(ctx, l.pool, func(tx pgx.Tx) error {
		// The feed's row lock keeps a RemoveFeed from passing between the
		// check and the write.
		var id string
		err := tx.QueryRow(ctx, `SELECT id FROM feeds WHERE id = $1 FOR UPDATE`, feedID).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("feed %s: %w", feedID, corpus.ErrNotFound)
		}
		if err != nil {
			return err
		}
		if days == 0 {
			_, err := tx.Exec(ctx, `DELETE FROM feed_retention WHERE feed_id = $1`, feedID)
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO feed_retention (feed_id, days) VALUES ($1, $2)
			ON CONFLICT (feed_id) DO UPDATE SET days = excluded.days`, feedID, days)
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: feed retention: %w", err)
	}
	return nil
}

// SetNewFeedRetention gives a feed just subscribed its retention window,
// removing the feed again when that fails (corpus.SetNewFeedRetention).
func (l *Library) SetNewFeedRetention(ctx context.Context, f corpus.Feed, days int) error {
	return corpus.SetNewFeedRetention(ctx, l, f, days)
}

// Expired lists the articles past their window at now, oldest first; see
// corpus.Library.Expired for the rule.
func (l *Library) Expired(ctx context.Context, now time.Time, globalDays int) ([]corpus.ExpiredArticle, error) {
	if err := corpus.CheckRetentionDays(globalDays); err != nil {
		return nil, fmt.Errorf("postgres: expired: %w", err)
	}
	today := now.UTC().Format(corpus.DateLayout)
	// An article carried by several feeds stays while any of them keeps
	// it: a feed without a window, or one whose window it is still inside.
	rows, err := l.pool.Query(ctx, `SELECT a.id, a.scope, a.published FROM articles a
		WHERE a.published <> '' AND (a.published < $1 OR (
			EXISTS (SELECT 1 FROM feed_items i JOIN feed_retention r ON r.feed_id = i.feed_id WHERE i.article_id = a.id)
			AND NOT EXISTS (SELECT 1 FROM feed_items i LEFT JOIN feed_retention r ON r.feed_id = i.feed_id
				WHERE i.article_id = a.id AND (r.days IS NULL OR a.published >= to_char($2::date - r.days, 'YYYY-MM-DD')))))
		ORDER BY a.published, a.id`, corpus.RetentionCutoff(now, globalDays), today)
	if err != nil {
		return nil, fmt.Errorf("postgres: expired: %w", err)
	}
	defer rows.Close()
	var out []corpus.ExpiredArticle
	for rows.Next() {
		var e corpus.ExpiredArticle
		var published string
		if err := rows.Scan(&e.ID, &e.Scope, &published); err != nil {
			return nil, fmt.Errorf("postgres: expired: %w", err)
		}
		e.Published = corpus.ParseDate(published)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: expired: %w", err)
	}
	return out, nil
}

// ApplyRetention removes the articles of scope (every scope's when "")
// past their window at now with remove (an engine's Remove, or the
// library's), and returns how many it removed (corpus.RemoveExpired).
func (l *Library) ApplyRetention(ctx context.Context, scope string, now time.Time, globalDays int, remove func(ctx context.Context, scope, id string) error) (int, error) {
	expired, err := l.Expired(ctx, now, globalDays)
	if err != nil {
		return 0, err
	}
	return corpus.RemoveExpired(ctx, expired, scope, remove)
}
