// Package pgtest gives tests a throw-away PostgreSQL schema: the server of
// the development machines (127.0.0.1:5432, user root, database test) or
// ATTACHE_TEST_DATABASE_URL. A test that cannot reach it fails with how to
// start the server; it is never skipped.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Server is the URL of the PostgreSQL the tests use.
func Server() string {
	if u := os.Getenv("ATTACHE_TEST_DATABASE_URL"); u != "" {
		return u
	}
	return "postgres://root@127.0.0.1:5432/test?sslmode=disable"
}

// Admin connects to the test server, closed when the test ends, failing
// the test (never skipping it) with how to start the server when it
// cannot.
func Admin(t testing.TB) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, Server())
	if err != nil {
		t.Fatalf("these tests need PostgreSQL at %s (set ATTACHE_TEST_DATABASE_URL to use another): %v\n"+
			"start the local one with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start", Server(), err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// Schema creates a throw-away schema, dropped when the test ends, and
// returns a database URL whose search_path selects it.
func Schema(t testing.TB) (dbURL, schema string) {
	t.Helper()
	admin := Admin(t)
	b := make([]byte, 8)
	rand.Read(b)
	schema = "attache_test_" + hex.EncodeToString(b)
	ctx := context.Background()
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("creating schema %s: %v", schema, err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("dropping schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(Server())
	if err != nil {
		t.Fatalf("ATTACHE_TEST_DATABASE_URL: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), schema
}
