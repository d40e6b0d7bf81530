package postgres

import (
	"context"
	"testing"

	"github.com/attache-bot/attache/corpus/postgres/pgtest"
	"github.com/jackc/pgx/v5"
)

// testServer is the PostgreSQL the tests use (pgtest.Server).
func testServer() string { return pgtest.Server() }

// adminConn connects to the test server (pgtest.Admin).
func adminConn(t testing.TB) *pgx.Conn { return pgtest.Admin(t) }

// testSchema creates a throw-away schema (pgtest.Schema).
func testSchema(t testing.TB) (dbURL, schema string) { return pgtest.Schema(t) }

// openTest opens the library at dbURL, closed when the test ends.
func openTest(t *testing.T, dbURL string) *Library {
	t.Helper()
	lib, err := Open(context.Background(), dbURL)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { lib.Close() })
	return lib
}
