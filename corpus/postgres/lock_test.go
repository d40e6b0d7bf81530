package postgres

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/attache-bot/attache/corpus"
	"github.com/jackc/pgx/v5"
)

// TestLockLostWithItsConnection: when the server ends the session that
// holds a lock (pg_terminate_backend, as an operator or a restart does),
// the holder's context ends with ErrLockLost, and another handle can take
// the lock.
func TestLockLostWithItsConnection(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dbURL, _ := testSchema(t)
	a, b := openTest(t, dbURL), openTest(t, dbURL)
	held, unlock, err := a.TryLock(ctx, "feed:lost")
	if err != nil {
		t.Fatalf("TryLock: %v", err)
	}
	defer unlock()
	// A connection in the schema, so that userLock's current_schema() is
	// the library's, finds the backend holding the lock's key.
	admin, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(context.Background())
	var pid int
	if err := admin.QueryRow(ctx, `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1
		AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
		AND classid = ((`+userLock+` >> 32) & x'ffffffff'::bigint)::oid AND objid = (`+userLock+` & x'ffffffff'::bigint)::oid`, "feed:lost").Scan(&pid); err != nil {
		t.Fatalf("finding the lock's backend: %v", err)
	}
	var ended bool
	if err := admin.QueryRow(ctx, "SELECT pg_terminate_backend($1)", pid).Scan(&ended); err != nil || !ended {
		t.Fatalf("pg_terminate_backend(%d) = %v, %v", pid, ended, err)
	}
	select {
	case <-held.Done():
	case <-ctx.Done():
		t.Fatal("the held context did not end when its connection was terminated")
	}
	if cause := context.Cause(held); !errors.Is(cause, corpus.ErrLockLost) {
		t.Fatalf("the held context ended with %v, want ErrLockLost", cause)
	}
	// The server frees the lock as the backend exits: poll until it has.
	for {
		_, u, err := b.TryLock(ctx, "feed:lost")
		if err == nil {
			u()
			break
		}
		if !errors.Is(err, corpus.ErrLocked) {
			t.Fatalf("TryLock after the loss: %v", err)
		}
		select {
		case <-ctx.Done():
			t.Fatal("the lock stayed held after its backend was terminated")
		case <-time.After(10 * time.Millisecond):
		}
	}
	unlock() // on a dead connection: returns, releases nothing twice
}
