package corpus

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// AnswerRecord is an answer the Discord bot gave, kept so that its Sources
// and feedback buttons keep working after a restart.
type AnswerRecord struct {
	ID       string    // random, chosen by the caller
	GuildID  string    // "" for direct messages
	UserID   string    // who asked
	Question string    // the question as asked
	Answer   string    // the answer text with [n] citations
	Sources  string    // the cited sources, serialised by the caller (JSON)
	Time     time.Time // when it was answered
}

// Feedback is one user's vote on an answer, with what was voted on.
type Feedback struct {
	AnswerID string
	UserID   string
	GuildID  string
	Vote     int // +1 (👍) or -1 (👎)
	Question string
	Answer   string
	Sources  string
	Time     time.Time
}

// feedbackSchema holds answers and votes; Open creates it with the rest of
// the schema. One vote per user per answer is the primary key.
const feedbackSchema = `
CREATE TABLE IF NOT EXISTS answers (
	id TEXT PRIMARY KEY,
	guild_id TEXT NOT NULL,
	user_id TEXT NOT NULL,
	question TEXT NOT NULL,
	answer TEXT NOT NULL,
	sources TEXT NOT NULL,
	answered_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS answers_time ON answers(answered_at);
CREATE TABLE IF NOT EXISTS answer_messages (
	message_id TEXT PRIMARY KEY,
	answer_id TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS answer_messages_answer ON answer_messages(answer_id);
CREATE TABLE IF NOT EXISTS feedback (
	answer_id TEXT NOT NULL,
	user_id TEXT NOT NULL,
	guild_id TEXT NOT NULL,
	vote INTEGER NOT NULL CHECK (vote IN (-1, 1)),
	question TEXT NOT NULL,
	answer TEXT NOT NULL,
	sources TEXT NOT NULL,
	voted_at TEXT NOT NULL,
	PRIMARY KEY (answer_id, user_id)
);`

// feedbackTime is how times are stored: sortable text, UTC.
const feedbackTime = time.RFC3339Nano

// SaveAnswer stores an answer (replacing one with the same id).
func (l *Library) SaveAnswer(ctx context.Context, a AnswerRecord) error {
	if a.ID == "" {
		return errors.New("corpus: save answer: empty id")
	}
	err := l.withFeedbackTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO answers(id, guild_id, user_id, question, answer, sources, answered_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT(id) DO UPDATE SET guild_id = excluded.guild_id, user_id = excluded.user_id,
				question = excluded.question, answer = excluded.answer, sources = excluded.sources,
				answered_at = excluded.answered_at`,
			a.ID, a.GuildID, a.UserID, a.Question, a.Answer, a.Sources, a.Time.UTC().Format(feedbackTime))
		return err
	})
	if err != nil {
		return fmt.Errorf("corpus: save answer %s: %w", a.ID, err)
	}
	return nil
}

// Answer returns a stored answer; ErrNotFound when there is none.
func (l *Library) Answer(ctx context.Context, id string) (AnswerRecord, error) {
	var a AnswerRecord
	var at string
	err := l.r.QueryRowContext(ctx, `SELECT id, guild_id, user_id, question, answer, sources, answered_at
		FROM answers WHERE id = ?`, id).Scan(&a.ID, &a.GuildID, &a.UserID, &a.Question, &a.Answer, &a.Sources, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return AnswerRecord{}, fmt.Errorf("corpus: answer %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return AnswerRecord{}, fmt.Errorf("corpus: answer %s: %w", id, err)
	}
	a.Time, _ = time.Parse(feedbackTime, at)
	return a, nil
}

// SaveAnswerMessage records that the message messageID shows (a part of)
// the stored answer answerID, so that a reply to that message can find the
// answer it follows up on. Recording a message again moves it to answerID.
func (l *Library) SaveAnswerMessage(ctx context.Context, messageID, answerID string) error {
	if messageID == "" || answerID == "" {
		return errors.New("corpus: save answer message: empty message or answer id")
	}
	err := l.withFeedbackTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO answer_messages(message_id, answer_id) VALUES (?, ?)
			ON CONFLICT(message_id) DO UPDATE SET answer_id = excluded.answer_id`, messageID, answerID)
		return err
	})
	if err != nil {
		return fmt.Errorf("corpus: save answer message %s: %w", messageID, err)
	}
	return nil
}

// AnswerByMessage returns the stored answer that message messageID shows;
// ErrNotFound when no answer was recorded for it (or it was pruned).
func (l *Library) AnswerByMessage(ctx context.Context, messageID string) (AnswerRecord, error) {
	var id string
	err := l.r.QueryRowContext(ctx, "SELECT answer_id FROM answer_messages WHERE message_id = ?", messageID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return AnswerRecord{}, fmt.Errorf("corpus: answer of message %s: %w", messageID, ErrNotFound)
	}
	if err != nil {
		return AnswerRecord{}, fmt.Errorf("corpus: answer of message %s: %w", messageID, err)
	}
	return l.Answer(ctx, id)
}

// PruneAnswers deletes the answers given before t (their buttons then say
// the answer is gone, and replies to them carry no history); votes are
// kept, but the question, answer and sources of votes cast before t are
// cleared, so that no question text outlives its answer. It returns how
// many answers were deleted.
func (l *Library) PruneAnswers(ctx context.Context, before time.Time) (int, error) {
	var n int64
	err := l.withFeedbackTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "DELETE FROM answers WHERE answered_at < ?", before.UTC().Format(feedbackTime))
		if err != nil {
			return err
		}
		if n, err = res.RowsAffected(); err != nil {
			return err
		}
		if _, err = tx.ExecContext(ctx, "DELETE FROM answer_messages WHERE answer_id NOT IN (SELECT id FROM answers)"); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE feedback SET question = '', answer = '', sources = ''
			WHERE voted_at < ? AND (question <> '' OR answer <> '' OR sources <> '')`, before.UTC().Format(feedbackTime))
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("corpus: prune answers: %w", err)
	}
	return int(n), nil
}

// SaveFeedback stores a user's vote on an answer and returns the vote it
// replaces: 0 for the user's first vote on the answer, else the earlier
// vote. There is one vote per user per answer: a different vote replaces
// the earlier one (with its time), the same vote again changes nothing.
func (l *Library) SaveFeedback(ctx context.Context, f Feedback) (prev int, err error) {
	if f.AnswerID == "" || f.UserID == "" {
		return 0, errors.New("corpus: save feedback: empty answer or user id")
	}
	if f.Vote != 1 && f.Vote != -1 {
		return 0, fmt.Errorf("corpus: save feedback: vote %d, want 1 or -1", f.Vote)
	}
	// The write transaction (BEGIN IMMEDIATE) holds the lock from the
	// read to the write: two clicks at once cannot both see no vote.
	err = l.withFeedbackTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, "SELECT vote FROM feedback WHERE answer_id = ? AND user_id = ?",
			f.AnswerID, f.UserID).Scan(&prev)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if prev == f.Vote {
			return nil
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO feedback(answer_id, user_id, guild_id, vote, question, answer, sources, voted_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT(answer_id, user_id) DO UPDATE SET vote = excluded.vote, voted_at = excluded.voted_at`,
			f.AnswerID, f.UserID, f.GuildID, f.Vote, f.Question, f.Answer, f.Sources, f.Time.UTC().Format(feedbackTime))
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("corpus: save feedback on %s: %w", f.AnswerID, err)
	}
	return prev, nil
}

// Feedback returns the stored votes, newest first; all guilds when guildID
// is "", else that guild's.
func (l *Library) Feedback(ctx context.Context, guildID string) ([]Feedback, error) {
	q := `SELECT answer_id, user_id, guild_id, vote, question, answer, sources, voted_at FROM feedback`
	var args []any
	if guildID != "" {
		q += " WHERE guild_id = ?"
		args = append(args, guildID)
	}
	rows, err := l.r.QueryContext(ctx, q+" ORDER BY voted_at DESC, answer_id, user_id", args...)
	if err != nil {
		return nil, fmt.Errorf("corpus: feedback: %w", err)
	}
	defer rows.Close()
	var out []Feedback
	for rows.Next() {
		var f Feedback
		var at string
		if err := rows.Scan(&f.AnswerID, &f.UserID, &f.GuildID, &f.Vote, &f.Question, &f.Answer, &f.Sources, &at); err != nil {
			return nil, fmt.Errorf("corpus: feedback: %w", err)
		}
		f.Time, _ = time.Parse(feedbackTime, at)
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("corpus: feedback: %w", err)
	}
	return out, nil
}

// withFeedbackTx runs fn in one write transaction.
func (l *Library) withFeedbackTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := l.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}
