package postgres

import (
	"context"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/jackc/pgx/v5"
)

func TestLoadMigrations(t *testing.T) {
	ok := fstest.MapFS{
		"m/0002_second.sql": {Data: []byte("CREATE TABLE b (x int);")},
		"m/0001_first.sql":  {Data: []byte("CREATE TABLE a (x int);")},
	}
	ms, err := loadMigrations(ok, "m")
	if err != nil {
		t.Fatalf("loadMigrations: %v", err)
	}
	if len(ms) != 2 || ms[0].version != 1 || ms[0].name != "0001_first.sql" || ms[1].version != 2 || !strings.Contains(ms[1].sql, "TABLE b") {
		t.Errorf("loadMigrations = %+v", ms)
	}
	for name, fsys := range map[string]fstest.MapFS{
		"gap":        {"m/0001_a.sql": {Data: []byte("x")}, "m/0003_c.sql": {Data: []byte("x")}},
		"repeat":     {"m/0001_a.sql": {Data: []byte("x")}, "m/0001_b.sql": {Data: []byte("x")}},
		"from two":   {"m/0002_a.sql": {Data: []byte("x")}},
		"bad name":   {"m/1_a.sql": {Data: []byte("x")}},
		"upper case": {"m/0001_A.sql": {Data: []byte("x")}},
		"not sql":    {"m/0001_a.txt": {Data: []byte("x")}},
		"empty file": {"m/0001_a.sql": {Data: nil}},
		"none":       {"m/.keep": {Data: nil}},
		"no dir":     {"other/0001_a.sql": {Data: []byte("x")}},
	} {
		if ms, err := loadMigrations(fsys, "m"); err == nil {
			t.Errorf("%s: loadMigrations = %+v, want an error", name, ms)
		}
	}
	if _, err := loadMigrations(migrationFiles, "migrations"); err != nil {
		t.Errorf("the embedded migrations: %v", err)
	}
}

// schemaConn connects with a throw-away schema as the search_path.
func schemaConn(t *testing.T) (*pgx.Conn, string) {
	t.Helper()
	dbURL, schema := testSchema(t)
	conn, err := pgx.Connect(context.Background(), dbURL)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn, schema
}

func steps(sqls ...string) []migration {
	var ms []migration
	for i, s := range sqls {
		ms = append(ms, migration{version: i + 1, name: strings.Repeat("0", 3) + string(rune('1'+i)) + "_step.sql", sql: s})
	}
	return ms
}

func recorded(t *testing.T, conn *pgx.Conn) []int {
	t.Helper()
	rows, err := conn.Query(context.Background(), "SELECT version FROM schema_migrations ORDER BY version")
	if err != nil {
		t.Fatalf("reading schema_migrations: %v", err)
	}
	vs, err := pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil {
		t.Fatalf("reading schema_migrations: %v", err)
	}
	return vs
}

func tableExists(t *testing.T, conn *pgx.Conn, name string) bool {
	t.Helper()
	var ok bool
	if err := conn.QueryRow(context.Background(), "SELECT to_regclass($1) IS NOT NULL", name).Scan(&ok); err != nil {
		t.Fatal(err)
	}
	return ok
}

func TestMigrateStepsAndFailure(t *testing.T) {
	ctx := context.Background()
	conn, _ := schemaConn(t)
	good := "CREATE TABLE one (x int); INSERT INTO one VALUES (1);"
	bad := "CREATE TABLE two (x int); SELECT no_such_function();"
	if n, err := migrate(ctx, conn, steps(good, bad)); err == nil || n != 1 || !strings.Contains(err.Error(), "0002_step.sql") {
		t.Fatalf("migrate with a failing second step = %d, %v; want 1 applied and an error naming the step", n, err)
	}
	if got := recorded(t, conn); len(got) != 1 || got[0] != 1 {
		t.Errorf("recorded after the failure = %v, want [1]", got)
	}
	if !tableExists(t, conn, "one") || tableExists(t, conn, "two") {
		t.Error("the failed step left part of its work behind (or the first step's is missing)")
	}
	fixed := "CREATE TABLE two (x int);"
	if n, err := migrate(ctx, conn, steps(good, fixed)); err != nil || n != 1 {
		t.Fatalf("migrate after fixing the step = %d, %v; want 1 applied", n, err)
	}
	if n, err := migrate(ctx, conn, steps(good, fixed)); err != nil || n != 0 {
		t.Errorf("migrate when up to date = %d, %v; want nothing applied", n, err)
	}
	var rows int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM one").Scan(&rows); err != nil || rows != 1 {
		t.Errorf("step 1 ran %d times (%v)", rows, err)
	}
	// The lock is released: another session can take it at once.
	var free bool
	if err := conn.QueryRow(ctx, "SELECT pg_try_advisory_lock(hashtextextended('attache migrations ' || current_schema(), 0))").Scan(&free); err != nil || !free {
		t.Errorf("the migration lock is still held: %v %v", free, err)
	}
}

func TestMigrateRefusesNewerOrRenamed(t *testing.T) {
	ctx := context.Background()
	conn, _ := schemaConn(t)
	ms := steps("CREATE TABLE one (x int);", "CREATE TABLE two (x int);")
	if _, err := migrate(ctx, conn, ms); err != nil {
		t.Fatal(err)
	}
	if _, err := migrate(ctx, conn, ms[:1]); err == nil || !strings.Contains(err.Error(), "newer version") {
		t.Errorf("migrate of a schema ahead of the build = %v, want a newer-version error", err)
	}
	renamed := steps("CREATE TABLE one (x int);", "CREATE TABLE two (x int);", "CREATE TABLE three (x int);")
	renamed[1].name = "0002_other.sql"
	if _, err := migrate(ctx, conn, renamed); err == nil || !strings.Contains(err.Error(), "0002_other.sql") {
		t.Errorf("migrate with a step renamed = %v, want an error naming both", err)
	}
	if tableExists(t, conn, "three") {
		t.Error("a refused migrate applied a step")
	}
}

// TestMigrateConcurrent starts two migrations of one schema while a third
// session holds the lock, releases it once both wait, and checks that each
// step ran once (a second run of a step would fail: CREATE TABLE).
func TestMigrateConcurrent(t *testing.T) {
	ctx := context.Background()
	dbURL, _ := testSchema(t)
	ms := steps("CREATE TABLE one (x int);", "CREATE TABLE two (x int);", "CREATE TABLE three (x int);")
	holder, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close(ctx)
	lockKey := "hashtextextended('attache migrations ' || current_schema(), 0)"
	if _, err := holder.Exec(ctx, "SELECT pg_advisory_lock("+lockKey+")"); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	applied := make([]int, 2)
	errs := make([]error, 2)
	for i := range 2 {
		conn, err := pgx.Connect(ctx, dbURL)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		wg.Add(1)
		go func() {
			defer wg.Done()
			applied[i], errs[i] = migrate(ctx, conn, ms)
		}()
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		var waiting int
		if err := holder.QueryRow(ctx, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND objid = ("+lockKey+" & x'ffffffff'::bigint)::oid").Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the two migrations never both waited for the lock (%d waiting)", waiting)
		}
	}
	if _, err := holder.Exec(ctx, "SELECT pg_advisory_unlock("+lockKey+")"); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("migration %d: %v", i, err)
		}
	}
	if applied[0]+applied[1] != len(ms) {
		t.Errorf("steps applied %v, want %d in all", applied, len(ms))
	}
	if got := recorded(t, holder); len(got) != len(ms) {
		t.Errorf("recorded %v", got)
	}
}

// TestOpenConcurrent: libraries opening a new schema together all succeed.
func TestOpenConcurrent(t *testing.T) {
	dbURL, _ := testSchema(t)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lib, err := Open(context.Background(), dbURL)
			if err != nil {
				errs <- err
				return
			}
			lib.Close()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent Open: %v", err)
	}
}
