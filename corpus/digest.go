package corpus

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// The daily digest: a guild may have the new stories of its feeds posted
// to one channel once a day. The library keeps which channel, at which
// hour, and when the last digest went out, so that a restart neither
// repeats one nor skips a day's stories.

// digestSchema is created with the rest of the schema at Open.
const digestSchema = `
CREATE TABLE IF NOT EXISTS digests (
	guild_id   TEXT PRIMARY KEY,
	channel_id TEXT NOT NULL,
	hour       INTEGER NOT NULL CHECK (hour BETWEEN 0 AND 23),
	since      TEXT NOT NULL
) WITHOUT ROWID;`

// Digest is a guild's daily digest.
type Digest struct {
	GuildID   string
	ChannelID string
	Hour      int // UTC hour of the day it is posted, 0 to 23
	// Since is the end of the last digest (or when the digest was set up):
	// the next one holds the stories that arrived after it.
	Since time.Time
}

// SetDigest sets (or moves) a guild's digest. A new digest starts from
// d.Since; moving an existing one to another channel or hour keeps its
// Since, so that no story is posted twice or skipped.
func (l *Library) SetDigest(ctx context.Context, d Digest) error {
	if d.GuildID == "" || d.ChannelID == "" {
		return errors.New("corpus: set digest: empty guild or channel")
	}
	if d.Hour < 0 || d.Hour > 23 {
		return fmt.Errorf("corpus: set digest: hour %d, want 0 to 23", d.Hour)
	}
	_, err := l.w.ExecContext(ctx, `INSERT INTO digests(guild_id, channel_id, hour, since) VALUES (?, ?, ?, ?)
		ON CONFLICT(guild_id) DO UPDATE SET channel_id = excluded.channel_id, hour = excluded.hour`,
		d.GuildID, d.ChannelID, d.Hour, formatFeedTime(d.Since))
	if err != nil {
		return fmt.Errorf("corpus: set digest: %w", err)
	}
	return nil
}

// RemoveDigest stops a guild's digest; ErrNotFound when it has none.
func (l *Library) RemoveDigest(ctx context.Context, guildID string) error {
	res, err := l.w.ExecContext(ctx, `DELETE FROM digests WHERE guild_id = ?`, guildID)
	if err != nil {
		return fmt.Errorf("corpus: remove digest: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("corpus: remove digest of %s: %w", guildID, ErrNotFound)
	}
	return nil
}

// Digests lists every guild's digest.
func (l *Library) Digests(ctx context.Context) ([]Digest, error) {
	rows, err := l.r.QueryContext(ctx, `SELECT guild_id, channel_id, hour, since FROM digests ORDER BY guild_id`)
	if err != nil {
		return nil, fmt.Errorf("corpus: digests: %w", err)
	}
	defer rows.Close()
	var out []Digest
	for rows.Next() {
		var d Digest
		var since string
		if err := rows.Scan(&d.GuildID, &d.ChannelID, &d.Hour, &since); err != nil {
			return nil, fmt.Errorf("corpus: digests: %w", err)
		}
		d.Since = parseFeedTime(since)
		out = append(out, d)
	}
	return out, rows.Err()
}

// DigestSent records that guildID's digest covered the stories up to
// until. ErrNotFound when the digest was stopped meanwhile.
func (l *Library) DigestSent(ctx context.Context, guildID string, until time.Time) error {
	res, err := l.w.ExecContext(ctx, `UPDATE digests SET since = ? WHERE guild_id = ?`, formatFeedTime(until), guildID)
	if err != nil {
		return fmt.Errorf("corpus: digest sent: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("corpus: digest of %s: %w", guildID, ErrNotFound)
	}
	return nil
}

// Story is an article of a digest.
type Story struct {
	ID, Title, Source, URL string
	Published              time.Time
}

// NewStories returns the articles of guildID's feeds that entered the
// library after since and up to until, newest first, at most max, and how
// many there are in all.
func (l *Library) NewStories(ctx context.Context, guildID string, since, until time.Time, max int) ([]Story, int, error) {
	// added_at is RFC 3339 text, as Put writes it.
	from, to := since.UTC().Format(time.RFC3339Nano), until.UTC().Format(time.RFC3339Nano)
	const where = `FROM articles a WHERE a.scope = ? AND a.added_at > ? AND a.added_at <= ?
		AND EXISTS (SELECT 1 FROM feed_items i JOIN feeds f ON f.id = i.feed_id WHERE i.article_id = a.id AND f.scope = ?)`
	var total int
	if err := l.r.QueryRowContext(ctx, `SELECT count(*) `+where, guildID, from, to, guildID).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("corpus: new stories: %w", err)
	}
	rows, err := l.r.QueryContext(ctx, `SELECT a.id, a.title, a.source, a.url, a.published `+where+`
		ORDER BY a.added_at DESC, a.published DESC, a.id LIMIT ?`, guildID, from, to, guildID, max)
	if err != nil {
		return nil, 0, fmt.Errorf("corpus: new stories: %w", err)
	}
	defer rows.Close()
	var out []Story
	for rows.Next() {
		var s Story
		var published string
		if err := rows.Scan(&s.ID, &s.Title, &s.Source, &s.URL, &published); err != nil {
			return nil, 0, fmt.Errorf("corpus: new stories: %w", err)
		}
		s.Published = parseDate(published)
		out = append(out, s)
	}
	if err := rows.Err(); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, 0, fmt.Errorf("corpus: new stories: %w", err)
	}
	return out, total, nil
}
