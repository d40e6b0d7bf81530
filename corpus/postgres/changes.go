package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/attache-bot/attache/corpus"
	"github.com/jackc/pgx/v5"
)

// Channel is the LISTEN/NOTIFY channel of change notifications; the
// payload is the schema written, so that libraries in several schemas of
// one database wake only their own watchers.
const Channel = "attache_changes"

// queueChange queues the statements that record a change of article id,
// to be sent as the last step of the writing transaction and read with
// changeResults: the change takes the next sequence number from
// change_head (whose row lock, held until the commit, puts the numbers in
// commit order), what the retention no longer keeps is pruned, and the
// notification PostgreSQL sends at the commit is queued. The retention is
// a meta value ('change_retention'); unset, malformed or below 1 means the
// default.
func queueChange(b *pgx.Batch, id, scope string, kind corpus.ChangeKind) {
	b.Queue(`WITH head AS (
			UPDATE change_head SET seq = seq + 1 RETURNING seq
		), pruned AS (
			DELETE FROM changes WHERE seq <= (SELECT seq FROM head) - COALESCE((SELECT CASE
				WHEN value ~ '^[0-9]{1,18}$' AND value::bigint >= 1 THEN value::bigint END
				FROM meta WHERE key = 'change_retention'), $4)
		)
		INSERT INTO changes (seq, article_id, scope, kind) SELECT seq, $1, $2, $3 FROM head RETURNING seq`,
		id, scope, string(kind), int64(corpus.DefaultChangeRetention))
	b.Queue("SELECT pg_notify($1, current_schema())", Channel)
}

// changeResults reads the results of queueChange's statements: an error
// when the change could not be logged, which fails the whole write.
func changeResults(br pgx.BatchResults) error {
	var seq int64
	if err := br.QueryRow().Scan(&seq); errors.Is(err, pgx.ErrNoRows) {
		return errors.New("logging the change: the change log's head row is missing (the schema is damaged)")
	} else if err != nil {
		return fmt.Errorf("logging the change: %w", err)
	}
	if _, err := br.Exec(); err != nil {
		return fmt.Errorf("notifying the change: %w", err)
	}
	return nil
}

// SetChangeRetention sets how many of the newest changes the log keeps
// (n >= 1; corpus.DefaultChangeRetention when never set).
func (l *Library) SetChangeRetention(ctx context.Context, n int) error {
	if n < 1 {
		return fmt.Errorf("postgres: change retention must be at least 1 (got %d)", n)
	}
	_, err := l.pool.Exec(ctx, `INSERT INTO meta (key, value) VALUES ('change_retention', $1)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, strconv.Itoa(n))
	if err != nil {
		return fmt.Errorf("postgres: set change retention: %w", err)
	}
	return nil
}

// Head returns the sequence number of the newest change; see
// corpus.ChangeFeed.
func (l *Library) Head(ctx context.Context) (int64, error) {
	var head int64
	if err := l.pool.QueryRow(ctx, "SELECT seq FROM change_head").Scan(&head); err != nil {
		return 0, fmt.Errorf("postgres: change feed head: %w", err)
	}
	return head, nil
}

// defaultChangeBatch is Changes' limit when none is given (as in corpus).
const defaultChangeBatch = 1000

// Changes returns up to limit changes after the given position, oldest
// first, from one snapshot; see corpus.ChangeFeed. limit <= 0 means 1,000;
// it is capped at corpus.MaxChangeBatch.
func (l *Library) Changes(ctx context.Context, after int64, limit int) ([]corpus.Change, error) {
	if after < 0 {
		return nil, fmt.Errorf("postgres: changes after %d: negative position", after)
	}
	switch {
	case limit <= 0:
		limit = defaultChangeBatch
	case limit > corpus.MaxChangeBatch:
		limit = corpus.MaxChangeBatch
	}
	var out []corpus.Change
	err := pgx.BeginTxFunc(ctx, l.pool, readOnly, func(tx pgx.Tx) error {
		var head int64
		var oldest *int64
		if err := tx.QueryRow(ctx, "SELECT (SELECT seq FROM change_head), (SELECT min(seq) FROM changes)").Scan(&head, &oldest); err != nil {
			return err
		}
		switch {
		case after > head:
			return fmt.Errorf("changes after %d (head %d): %w", after, head, corpus.ErrFellBehind)
		case after == head:
			return nil
		case oldest == nil || *oldest > after+1:
			return fmt.Errorf("changes after %d (oldest kept %d): %w", after, deref64(oldest), corpus.ErrFellBehind)
		}
		rows, err := tx.Query(ctx, `SELECT seq, article_id, scope, kind, at FROM changes
			WHERE seq > $1 ORDER BY seq LIMIT $2`, after, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var c corpus.Change
			var kind string
			if err := rows.Scan(&c.Seq, &c.ArticleID, &c.Scope, &kind, &c.At); err != nil {
				return err
			}
			c.Kind = corpus.ChangeKind(kind)
			c.At = c.At.UTC()
			out = append(out, c)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return out, nil
}

func deref64(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

// Reconnect delays of Watch's listening connection: the first retry is
// quick (a restarted server is back within a second or two), later ones
// back off so that a server that stays down is not hammered.
const (
	watchRetryMin = 100 * time.Millisecond
	watchRetryMax = 5 * time.Second
)

// Watch returns a channel that receives a value soon after any writer
// commits a change to this library's schema; see corpus.ChangeFeed. It
// holds a connection of its own LISTENing on Channel. The first wake-up
// comes once it listens, so a caller that reads Changes on each wake-up
// misses nothing committed before. When the connection is lost the caller
// is woken too (it reads Changes and meets the error, or nothing), and the
// watcher connects again, waking the caller once it listens again so that
// it catches up from the change table on what was committed while no one
// listened. The channel is closed once ctx is done and the connection is
// closed.
func (l *Library) Watch(ctx context.Context) <-chan struct{} {
	ch := make(chan struct{}, 1)
	go l.watch(ctx, ch)
	return ch
}

func (l *Library) watch(ctx context.Context, ch chan<- struct{}) {
	defer close(ch)
	wake := func() {
		select {
		case ch <- struct{}{}:
		default: // a wake-up is already pending
		}
	}
	delay := watchRetryMin
	for ctx.Err() == nil {
		err := l.listen(ctx, wake, func() { delay = watchRetryMin })
		if ctx.Err() != nil {
			return
		}
		_ = err // the caller meets a lasting error in its own reads
		wake()
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		delay = min(2*delay, watchRetryMax)
	}
}

// listen connects, LISTENs and wakes the caller for every notification of
// this schema until the connection fails or ctx is done.
func (l *Library) listen(ctx context.Context, wake, listening func()) error {
	cfg := l.pool.Config().ConnConfig.Copy()
	cfg.RuntimeParams["application_name"] = "attache watch " + l.schema
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{Channel}.Sanitize()); err != nil {
		return err
	}
	listening()
	wake()
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
				return ctx.Err()
			}
			return err
		}
		if n.Payload == l.schema {
			wake()
		}
	}
}
