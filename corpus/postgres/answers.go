package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/attache-bot/attache/corpus"
	"github.com/jackc/pgx/v5"
)

// SaveAnswer stores an answer (replacing one with the same id).
func (l *Library) SaveAnswer(ctx context.Context, a corpus.AnswerRecord) error {
	if a.ID == "" {
		return errors.New("postgres: save answer: empty id")
	}
	_, err := l.pool.Exec(ctx, `INSERT INTO answers (id, guild_id, user_id, question, answer, sources, answered_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (id) DO UPDATE SET guild_id = excluded.guild_id, user_id = excluded.user_id,
			question = excluded.question, answer = excluded.answer, sources = excluded.sources,
			answered_at = excluded.answered_at`,
		a.ID, a.GuildID, a.UserID, a.Question, a.Answer, a.Sources, a.Time.UTC())
	if err != nil {
		return fmt.Errorf("postgres: save answer %s: %w", a.ID, err)
	}
	return nil
}

// Answer returns a stored answer; corpus.ErrNotFound when there is none.
func (l *Library) Answer(ctx context.Context, id string) (corpus.AnswerRecord, error) {
	var a corpus.AnswerRecord
	err := l.pool.QueryRow(ctx, `SELECT id, guild_id, user_id, question, answer, sources, answered_at
		FROM answers WHERE id = $1`, id).Scan(&a.ID, &a.GuildID, &a.UserID, &a.Question, &a.Answer, &a.Sources, &a.Time)
	if errors.Is(err, pgx.ErrNoRows) {
		return corpus.AnswerRecord{}, fmt.Errorf("postgres: answer %s: %w", id, corpus.ErrNotFound)
	}
	if err != nil {
		return corpus.AnswerRecord{}, fmt.Errorf("postgres: answer %s: %w", id, err)
	}
	a.Time = a.Time.UTC()
	return a, nil
}

// SaveAnswerMessage records that message messageID shows (a part of) the
// stored answer answerID; recording a message again moves it to answerID.
func (l *Library) SaveAnswerMessage(ctx context.Context, messageID, answerID string) error {
	if messageID == "" || answerID == "" {
		return errors.New("postgres: save answer message: empty message or answer id")
	}
	_, err := l.pool.Exec(ctx, `INSERT INTO answer_messages (message_id, answer_id) VALUES ($1, $2)
		ON CONFLICT (message_id) DO UPDATE SET answer_id = excluded.answer_id`, messageID, answerID)
	if err != nil {
		return fmt.Errorf("postgres: save answer message %s: %w", messageID, err)
	}
	return nil
}

// AnswerByMessage returns the stored answer that message messageID shows;
// corpus.ErrNotFound when none was recorded for it (or it was pruned).
func (l *Library) AnswerByMessage(ctx context.Context, messageID string) (corpus.AnswerRecord, error) {
	var id string
	err := l.pool.QueryRow(ctx, "SELECT answer_id FROM answer_messages WHERE message_id = $1", messageID).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return corpus.AnswerRecord{}, fmt.Errorf("postgres: answer of message %s: %w", messageID, corpus.ErrNotFound)
	}
	if err != nil {
		return corpus.AnswerRecord{}, fmt.Errorf("postgres: answer of message %s: %w", messageID, err)
	}
	return l.Answer(ctx, id)
}

// PruneAnswers deletes the answers given before t and the messages that
// showed them; votes are kept. It returns how many answers were deleted.
func (l *Library) PruneAnswers(ctx context.Context, before time.Time) (int, error) {
	var n int64
	err := pgx.BeginFunc(ctx, l.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, "DELETE FROM answers WHERE answered_at < $1", before.UTC())
		if err != nil {
			return err
		}
		n = tag.RowsAffected()
		_, err = tx.Exec(ctx, `DELETE FROM answer_messages m
			WHERE NOT EXISTS (SELECT 1 FROM answers a WHERE a.id = m.answer_id)`)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("postgres: prune answers: %w", err)
	}
	return int(n), nil
}

// voteLock serialises the votes of one user on one answer: two clicks at
// once cannot both see no earlier vote.
const voteLock = "SELECT pg_advisory_xact_lock(hashtextextended('attache vote ' || current_schema() || ' ' || $1 || ' ' || $2, 0))"

// SaveFeedback stores a user's vote on an answer and returns the vote it
// replaces (0 for the first); see corpus.Library.SaveFeedback.
func (l *Library) SaveFeedback(ctx context.Context, f corpus.Feedback) (prev int, err error) {
	if f.AnswerID == "" || f.UserID == "" {
		return 0, errors.New("postgres: save feedback: empty answer or user id")
	}
	if f.Vote != 1 && f.Vote != -1 {
		return 0, fmt.Errorf("postgres: save feedback: vote %d, want 1 or -1", f.Vote)
	}
	err = pgx.BeginFunc(ctx, l.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, voteLock, f.AnswerID, f.UserID); err != nil {
			return err
		}
		err := tx.QueryRow(ctx, "SELECT vote FROM feedback WHERE answer_id = $1 AND user_id = $2",
			f.AnswerID, f.UserID).Scan(&prev)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		if prev == f.Vote {
			return nil
		}
		_, err = tx.Exec(ctx, `INSERT INTO feedback (answer_id, user_id, guild_id, vote, question, answer, sources, voted_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
			ON CONFLICT (answer_id, user_id) DO UPDATE SET vote = excluded.vote, voted_at = excluded.voted_at`,
			f.AnswerID, f.UserID, f.GuildID, f.Vote, f.Question, f.Answer, f.Sources, f.Time.UTC())
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("postgres: save feedback on %s: %w", f.AnswerID, err)
	}
	return prev, nil
}

// Feedback returns the stored votes, newest first; all guilds when guildID
// is "", else that guild's.
func (l *Library) Feedback(ctx context.Context, guildID string) ([]corpus.Feedback, error) {
	q := `SELECT answer_id, user_id, guild_id, vote, question, answer, sources, voted_at FROM feedback`
	var args []any
	if guildID != "" {
		q += " WHERE guild_id = $1"
		args = append(args, guildID)
	}
	rows, err := l.pool.Query(ctx, q+" ORDER BY voted_at DESC, answer_id, user_id", args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: feedback: %w", err)
	}
	defer rows.Close()
	var out []corpus.Feedback
	for rows.Next() {
		var f corpus.Feedback
		if err := rows.Scan(&f.AnswerID, &f.UserID, &f.GuildID, &f.Vote, &f.Question, &f.Answer, &f.Sources, &f.Time); err != nil {
			return nil, fmt.Errorf("postgres: feedback: %w", err)
		}
		f.Time = f.Time.UTC()
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: feedback: %w", err)
	}
	return out, nil
}
