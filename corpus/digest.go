package corpus

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// The daily digest: a guild may have the new stories of its feeds posted
// to one channel once a day. The library keeps which channel, at which
// hour, when the last digest went out and the last article it covered (by
// the articles' insertion order, which no clock can disturb), so that a
// restart neither repeats a story nor skips one.

// digestSchema is created with the rest of the schema at Open.
const digestSchema = `
CREATE TABLE IF NOT EXISTS digests (
	guild_id   TEXT PRIMARY KEY,
	channel_id TEXT NOT NULL,
	hour       INTEGER NOT NULL CHECK (hour BETWEEN 0 AND 23),
	last_sent  TEXT NOT NULL,
	after_seq  INTEGER NOT NULL
) WITHOUT ROWID;`

// Digest is a guild's daily digest.
type Digest struct {
	GuildID   string
	ChannelID string
	Hour      int // UTC hour of the day it is posted, 0 to 23
	// LastSent is when the last digest went out (or the digest was set
	// up): the next is due at the first Hour o'clock after it.
	LastSent time.Time
	// AfterSeq is the last article the last digest covered: the next
	// holds the stories stored after it.
	AfterSeq int64
}

// SetDigest sets (or moves) a guild's digest. A new digest starts with the
// stories stored from now on, LastSent being d.LastSent; moving an
// existing one to another channel or hour keeps its place, so that no
// story is posted twice or skipped.
func (l *Library) SetDigest(ctx context.Context, d Digest) error {
	if d.GuildID == "" || d.ChannelID == "" {
		return errors.New("corpus: set digest: empty guild or channel")
	}
	if d.Hour < 0 || d.Hour > 23 {
		return fmt.Errorf("corpus: set digest: hour %d, want 0 to 23", d.Hour)
	}
	_, err := l.w.ExecContext(ctx, `INSERT INTO digests(guild_id, channel_id, hour, last_sent, after_seq)
		VALUES (?, ?, ?, ?, (SELECT coalesce(max(seq), 0) FROM articles))
		ON CONFLICT(guild_id) DO UPDATE SET channel_id = excluded.channel_id, hour = excluded.hour`,
		d.GuildID, d.ChannelID, d.Hour, formatFeedTime(d.LastSent))
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
	rows, err := l.r.QueryContext(ctx, `SELECT guild_id, channel_id, hour, last_sent, after_seq FROM digests ORDER BY guild_id`)
	if err != nil {
		return nil, fmt.Errorf("corpus: digests: %w", err)
	}
	defer rows.Close()
	var out []Digest
	for rows.Next() {
		var d Digest
		var sent string
		if err := rows.Scan(&d.GuildID, &d.ChannelID, &d.Hour, &sent, &d.AfterSeq); err != nil {
			return nil, fmt.Errorf("corpus: digests: %w", err)
		}
		d.LastSent = parseFeedTime(sent)
		out = append(out, d)
	}
	return out, rows.Err()
}

// DigestSent records that guildID's digest went out at sent and covered
// the stories up to afterSeq. ErrNotFound when the digest was stopped
// meanwhile.
func (l *Library) DigestSent(ctx context.Context, guildID string, sent time.Time, afterSeq int64) error {
	res, err := l.w.ExecContext(ctx, `UPDATE digests SET last_sent = ?, after_seq = max(after_seq, ?) WHERE guild_id = ?`,
		formatFeedTime(sent), afterSeq, guildID)
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

// NewStories returns the articles of guildID's feeds stored after the
// article afterSeq, the newest first, at most max; how many there are in
// all; and the last of them (afterSeq when there are none), for
// DigestSent.
func (l *Library) NewStories(ctx context.Context, guildID string, afterSeq int64, max int) ([]Story, int, int64, error) {
	const where = `FROM articles a WHERE a.scope = ? AND a.seq > ?
		AND EXISTS (SELECT 1 FROM feed_items i JOIN feeds f ON f.id = i.feed_id WHERE i.article_id = a.id AND f.scope = ?)`
	var total int
	last := afterSeq
	if err := l.r.QueryRowContext(ctx, `SELECT count(*), coalesce(max(a.seq), ?) `+where, afterSeq, guildID, afterSeq, guildID).Scan(&total, &last); err != nil {
		return nil, 0, 0, fmt.Errorf("corpus: new stories: %w", err)
	}
	rows, err := l.r.QueryContext(ctx, `SELECT a.id, a.title, a.source, a.url, a.published `+where+`
		ORDER BY a.seq DESC LIMIT ?`, guildID, afterSeq, guildID, max)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("corpus: new stories: %w", err)
	}
	defer rows.Close()
	var out []Story
	for rows.Next() {
		var s Story
		var published string
		if err := rows.Scan(&s.ID, &s.Title, &s.Source, &s.URL, &published); err != nil {
			return nil, 0, 0, fmt.Errorf("corpus: new stories: %w", err)
		}
		s.Published = parseDate(published)
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, 0, fmt.Errorf("corpus: new stories: %w", err)
	}
	return out, total, last, nil
}
