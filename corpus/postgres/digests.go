package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/attache-bot/attache/corpus"
)

// The guilds' daily digests, as corpus.Library keeps them (see
// corpus/digest.go): the place of a digest is an article seq, which no
// clock can disturb.

// SetDigest sets (or moves) a guild's digest; see corpus.Library.SetDigest.
func (l *Library) SetDigest(ctx context.Context, d corpus.Digest) error {
	if d.GuildID == "" || d.ChannelID == "" {
		return errors.New("postgres: set digest: empty guild or channel")
	}
	if d.Hour < 0 || d.Hour > 23 {
		return fmt.Errorf("postgres: set digest: hour %d, want 0 to 23", d.Hour)
	}
	_, err := l.pool.Exec(ctx, `INSERT INTO digests (guild_id, channel_id, hour, last_sent, after_seq)
		VALUES ($1, $2, $3, $4, (SELECT coalesce(max(seq), 0) FROM articles))
		ON CONFLICT (guild_id) DO UPDATE SET channel_id = excluded.channel_id, hour = excluded.hour`,
		d.GuildID, d.ChannelID, d.Hour, d.LastSent.UTC())
	if err != nil {
		return fmt.Errorf("postgres: set digest: %w", err)
	}
	return nil
}

// RemoveDigest stops a guild's digest; corpus.ErrNotFound when it has none.
func (l *Library) RemoveDigest(ctx context.Context, guildID string) error {
	tag, err := l.pool.Exec(ctx, `DELETE FROM digests WHERE guild_id = $1`, guildID)
	if err != nil {
		return fmt.Errorf("postgres: remove digest: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgres: remove digest of %s: %w", guildID, corpus.ErrNotFound)
	}
	return nil
}

// Digests lists every guild's digest.
func (l *Library) Digests(ctx context.Context) ([]corpus.Digest, error) {
	rows, err := l.pool.Query(ctx, `SELECT guild_id, channel_id, hour, last_sent, after_seq FROM digests ORDER BY guild_id`)
	if err != nil {
		return nil, fmt.Errorf("postgres: digests: %w", err)
	}
	defer rows.Close()
	var out []corpus.Digest
	for rows.Next() {
		var d corpus.Digest
		if err := rows.Scan(&d.GuildID, &d.ChannelID, &d.Hour, &d.LastSent, &d.AfterSeq); err != nil {
			return nil, fmt.Errorf("postgres: digests: %w", err)
		}
		d.LastSent = d.LastSent.UTC()
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: digests: %w", err)
	}
	return out, nil
}

// DigestSent records that guildID's digest went out at sent and covered
// the stories up to afterSeq; corpus.ErrNotFound when the digest was
// stopped meanwhile.
func (l *Library) DigestSent(ctx context.Context, guildID string, sent time.Time, afterSeq int64) error {
	tag, err := l.pool.Exec(ctx, `UPDATE digests SET last_sent = $1, after_seq = greatest(after_seq, $2) WHERE guild_id = $3`,
		sent.UTC(), afterSeq, guildID)
	if err != nil {
		return fmt.Errorf("postgres: digest sent: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgres: digest of %s: %w", guildID, corpus.ErrNotFound)
	}
	return nil
}

// newStoriesWhere is the articles of a guild's feeds stored after a seq
// ($1 the guild, $2 the seq).
const newStoriesWhere = `FROM articles a WHERE a.scope = $1 AND a.seq > $2
	AND EXISTS (SELECT 1 FROM feed_items i JOIN feeds f ON f.id = i.feed_id WHERE i.article_id = a.id AND f.scope = $1)`

// NewStories returns the articles of guildID's feeds stored after the
// article afterSeq, the newest first, at most max; how many there are in
// all; and the last of them (afterSeq when there are none).
func (l *Library) NewStories(ctx context.Context, guildID string, afterSeq int64, max int) ([]corpus.Story, int, int64, error) {
	var total int
	var last int64
	if err := l.pool.QueryRow(ctx, `SELECT count(*), coalesce(max(a.seq), $2) `+newStoriesWhere, guildID, afterSeq).Scan(&total, &last); err != nil {
		return nil, 0, 0, fmt.Errorf("postgres: new stories: %w", err)
	}
	rows, err := l.pool.Query(ctx, `SELECT a.id, a.title, a.source, a.url, a.published `+newStoriesWhere+`
		ORDER BY a.seq DESC LIMIT $3`, guildID, afterSeq, max)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("postgres: new stories: %w", err)
	}
	defer rows.Close()
	var out []corpus.Story
	for rows.Next() {
		var s corpus.Story
		var published string
		if err := rows.Scan(&s.ID, &s.Title, &s.Source, &s.URL, &published); err != nil {
			return nil, 0, 0, fmt.Errorf("postgres: new stories: %w", err)
		}
		s.Published = corpus.ParseDate(published)
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, 0, fmt.Errorf("postgres: new stories: %w", err)
	}
	return out, total, last, nil
}
