package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/attache-bot/attache/corpus"
	"github.com/jackc/pgx/v5"
)

// userLock is the advisory lock key of TryLock's lock named $1: its own
// prefix keeps it apart from the keys of Once, the migrations and the
// transaction locks, and the schema's name apart from another library's.
const userLock = "hashtextextended('attache lock ' || current_schema() || ' ' || $1, 0)"

// unlockTimeout bounds the release of a lock on a connection that may be
// failing: the server frees the lock with the connection anyway.
const unlockTimeout = 5 * time.Second

// TryLock takes the lock named name (see corpus.Locker) for every process
// using this schema: a session advisory lock (pg_try_advisory_lock) on a
// connection of its own, opened with the pool's settings but outside it,
// so that locks held during long jobs never take the connections those
// jobs need (a pool of four with three feed polls and a digest holding
// locks would have none left), and so that Close is never left waiting
// for one. When the connection dies (the server restarts, an operator
// ends the backend) the server frees the lock, and the held context ends
// with corpus.ErrLockLost: a goroutine waits on the otherwise idle
// connection and sees it fail at once.
func (l *Library) TryLock(ctx context.Context, name string) (context.Context, func(), error) {
	if err := corpus.CheckTryLock(ctx, name); err != nil {
		return nil, nil, err
	}
	cfg := l.pool.Config().ConnConfig.Copy()
	cfg.RuntimeParams["application_name"] = "attache lock"
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("postgres: lock %s: %w", name, err)
	}
	var ok bool
	if err := conn.QueryRow(ctx, "SELECT pg_try_advisory_lock("+userLock+")", name).Scan(&ok); err != nil || !ok {
		conn.Close(context.WithoutCancel(ctx))
		if err == nil {
			err = corpus.ErrLocked
		}
		return nil, nil, fmt.Errorf("postgres: lock %s: %w", name, err)
	}
	watch, stopWatch := context.WithCancel(context.Background())
	watched := make(chan struct{})
	held, lost, unlock, err := l.locks.Hold(ctx, func() {
		stopWatch()
		<-watched
		uctx, cancel := context.WithTimeout(context.Background(), unlockTimeout)
		defer cancel()
		// Explicitly, so that the lock is free when unlock returns; closing
		// alone frees it once the server has seen the connection go.
		conn.Exec(uctx, "SELECT pg_advisory_unlock("+userLock+")", name)
		conn.Close(uctx)
	})
	if err != nil {
		stopWatch()
		conn.Close(context.WithoutCancel(ctx))
		return nil, nil, fmt.Errorf("postgres: lock %s: %w", name, err)
	}
	go func() {
		defer close(watched)
		// No LISTEN: nothing arrives on the connection but the server's
		// error when it ends the session, or the end of the connection.
		for {
			err := conn.PgConn().WaitForNotification(watch)
			if watch.Err() != nil {
				return
			}
			if err != nil {
				lost()
				return
			}
		}
	}()
	return held, unlock, nil
}
