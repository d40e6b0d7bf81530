package corpus

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Answers calls fn for every stored answer, oldest first, from one
// snapshot: what a copy of the library into another (attache migrate)
// reads. An error from fn stops the iteration and is returned.
func (l *Library) Answers(ctx context.Context, fn func(AnswerRecord) error) error {
	rows, err := l.r.QueryContext(ctx, `SELECT id, guild_id, user_id, question, answer, sources, answered_at
		FROM answers ORDER BY answered_at, id`)
	if err != nil {
		return fmt.Errorf("corpus: answers: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var a AnswerRecord
		var at string
		if err := rows.Scan(&a.ID, &a.GuildID, &a.UserID, &a.Question, &a.Answer, &a.Sources, &at); err != nil {
			return fmt.Errorf("corpus: answers: %w", err)
		}
		a.Time, _ = time.Parse(feedbackTime, at)
		if err := fn(a); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("corpus: answers: %w", err)
	}
	return nil
}

// AnswerMessages calls fn for every recorded message of an answer (see
// SaveAnswerMessage), from one snapshot. An error from fn stops the
// iteration and is returned.
func (l *Library) AnswerMessages(ctx context.Context, fn func(messageID, answerID string) error) error {
	rows, err := l.r.QueryContext(ctx, `SELECT message_id, answer_id FROM answer_messages ORDER BY message_id`)
	if err != nil {
		return fmt.Errorf("corpus: answer messages: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var msg, answer string
		if err := rows.Scan(&msg, &answer); err != nil {
			return fmt.Errorf("corpus: answer messages: %w", err)
		}
		if err := fn(msg, answer); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("corpus: answer messages: %w", err)
	}
	return nil
}

// FeedItems calls fn for every item recorded for feed feedID with the time
// it was last seen, from one snapshot. An error from fn stops the
// iteration and is returned.
func (l *Library) FeedItems(ctx context.Context, feedID string, fn func(it FeedItem, seen time.Time) error) error {
	rows, err := l.r.QueryContext(ctx, `SELECT feed_id, guid, url, article_id, signature, bands, seen_at
		FROM feed_items WHERE feed_id = ? ORDER BY seen_at, guid`, feedID)
	if err != nil {
		return fmt.Errorf("corpus: feed items: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var it FeedItem
		var bands, seen string
		if err := rows.Scan(&it.FeedID, &it.GUID, &it.URL, &it.ArticleID, &it.Signature, &bands, &seen); err != nil {
			return fmt.Errorf("corpus: feed items: %w", err)
		}
		it.Bands = strings.Fields(bands)
		if err := fn(it, parseFeedTime(seen)); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("corpus: feed items: %w", err)
	}
	return nil
}
