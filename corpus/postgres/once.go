package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// CheckURL reports whether url is a database URL Open can use, without
// connecting: postgres:// or postgresql://, parsed as pgx parses it. Its
// error says why and never quotes the URL (it may hold a password).
func CheckURL(dbURL string) error {
	u, err := url.Parse(dbURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Opaque != "" {
		return errors.New("not a postgres:// URL")
	}
	if _, err := pgconn.ParseConfig(dbURL); err != nil {
		return errors.New(redact(err))
	}
	return nil
}

// onceKey is the meta key that records that the step named name was done.
func onceKey(name string) string { return "done " + name }

// onceLock is the session lock of a step: a process that dies holding it
// releases it with its connection.
const onceLock = "hashtextextended('attache once ' || current_schema() || ' ' || $1, 0)"

// Once runs fn unless the step named name was done in this schema
// already, then records it as done (with note, for whoever reads the meta
// table), and reports whether fn ran. Two processes that start at once run
// it once: the second waits for the first and finds the record. A
// failing fn records nothing, so that the next start tries again. fn may
// use the library (it runs on other connections than the lock's).
func (l *Library) Once(ctx context.Context, name, note string, fn func(ctx context.Context) error) (ran bool, err error) {
	conn, err := l.pool.Acquire(ctx)
	if err != nil {
		return false, fmt.Errorf("postgres: once %s: %w", name, err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock("+onceLock+")", name); err != nil {
		return false, fmt.Errorf("postgres: once %s: taking the lock: %w", name, err)
	}
	defer func() {
		if _, uerr := conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock("+onceLock+")", name); uerr != nil {
			// The lock goes with the connection: do not reuse it.
			conn.Conn().Close(context.WithoutCancel(ctx))
			if err == nil {
				err = fmt.Errorf("postgres: once %s: releasing the lock: %w", name, uerr)
			}
		}
	}()
	done, err := l.Done(ctx, name)
	if err != nil || done {
		return false, err
	}
	if err := fn(ctx); err != nil {
		return true, err
	}
	return true, l.MarkDone(ctx, name, note)
}

// Done reports whether the step named name was recorded as done.
func (l *Library) Done(ctx context.Context, name string) (bool, error) {
	var n int
	if err := l.pool.QueryRow(ctx, "SELECT count(*) FROM meta WHERE key = $1", onceKey(name)).Scan(&n); err != nil {
		return false, fmt.Errorf("postgres: done %s: %w", name, err)
	}
	return n > 0, nil
}

// MarkDone records the step named name as done (keeping the first note),
// so that Once never runs it.
func (l *Library) MarkDone(ctx context.Context, name, note string) error {
	if _, err := l.pool.Exec(ctx, "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
		onceKey(name), note); err != nil {
		return fmt.Errorf("postgres: mark %s done: %w", name, err)
	}
	return nil
}

// OpenTemp creates a new schema in the database at dbURL, opens a library
// in it, and returns the library with a function that closes it and drops
// the schema with everything in it (for throw-away libraries: eval's).
func OpenTemp(ctx context.Context, dbURL string) (*Library, func() error, error) {
	if err := CheckURL(dbURL); err != nil {
		return nil, nil, fmt.Errorf("postgres: the database URL is not valid: %w", err)
	}
	admin, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return nil, nil, fmt.Errorf("postgres: cannot reach PostgreSQL: %w", err)
	}
	defer admin.Close(context.WithoutCancel(ctx))
	b := make([]byte, 8)
	rand.Read(b)
	schema := "attache_tmp_" + hex.EncodeToString(b)
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		return nil, nil, fmt.Errorf("postgres: creating a throw-away schema: %w", err)
	}
	drop := func() error {
		c, err := pgx.Connect(context.Background(), dbURL)
		if err != nil {
			return fmt.Errorf("postgres: dropping schema %s: %w", schema, err)
		}
		defer c.Close(context.Background())
		if _, err := c.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			return fmt.Errorf("postgres: dropping schema %s: %w", schema, err)
		}
		return nil
	}
	u, _ := url.Parse(dbURL)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	lib, err := Open(ctx, u.String())
	if err != nil {
		return nil, nil, errors.Join(err, drop())
	}
	return lib, func() error { return errors.Join(lib.Close(), drop()) }, nil
}
