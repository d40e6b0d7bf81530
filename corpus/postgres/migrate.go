package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strconv"

	"github.com/jackc/pgx/v5"
)

// migrationFiles are the schema's steps, compiled into the binary.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// migration is one versioned step of the schema.
type migration struct {
	version int
	name    string // the file name, recorded with the version
	sql     string
}

// migrationName is NNNN_what.sql.
var migrationName = regexp.MustCompile(`^([0-9]{4})_[a-z0-9_]+\.sql$`)

// loadMigrations reads the *.sql files of fsys's root in version order.
// Versions must run 1, 2, 3... without gaps or repeats: a build that
// skipped a step would record a schema it did not make.
func loadMigrations(fsys fs.FS, dir string) ([]migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("reading migrations: %w", err)
	}
	var out []migration
	for _, e := range entries {
		m := migrationName.FindStringSubmatch(e.Name())
		if m == nil || e.IsDir() {
			return nil, fmt.Errorf("migration %q: name must be NNNN_lower_case.sql", e.Name())
		}
		v, _ := strconv.Atoi(m[1])
		b, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("migration %s: %w", e.Name(), err)
		}
		if len(b) == 0 {
			return nil, fmt.Errorf("migration %s is empty", e.Name())
		}
		out = append(out, migration{version: v, name: e.Name(), sql: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	for i, m := range out {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %s: expected version %04d (versions run from 0001 without gaps or repeats)", m.name, i+1)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("no migrations")
	}
	return out, nil
}

// migrationsTable records the steps applied to a schema.
const migrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    integer PRIMARY KEY,
	name       text NOT NULL,
	applied_at timestamptz NOT NULL DEFAULT now()
)`

// migrate brings the schema that conn works in (the first of its
// search_path) up to the last of ms and returns how many steps it applied.
//
// It holds a session advisory lock keyed by the schema's name throughout,
// so that processes starting together migrate one after the other (the
// later ones find nothing left to do). Each step runs in its own
// transaction with its schema_migrations row: a step that fails leaves the
// schema at the step before it, and the next start retries it. A schema
// recording a step this build does not have (a newer release wrote it), or
// recording a step under another name, is refused untouched.
func migrate(ctx context.Context, conn *pgx.Conn, ms []migration) (applied int, err error) {
	var schema *string
	if err := conn.QueryRow(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
		return 0, err
	}
	if schema == nil {
		var sp string
		if err := conn.QueryRow(ctx, "SHOW search_path").Scan(&sp); err != nil {
			return 0, err
		}
		return 0, fmt.Errorf("no schema of search_path %q exists: create it (CREATE SCHEMA) or set search_path in the database URL", sp)
	}
	key := "attache migrations " + *schema
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock(hashtextextended($1, 0))", key); err != nil {
		return 0, fmt.Errorf("taking the migration lock: %w", err)
	}
	defer func() {
		// A lock left behind on a broken connection goes with it.
		_, uerr := conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(hashtextextended($1, 0))", key)
		if err == nil && uerr != nil {
			err = fmt.Errorf("releasing the migration lock: %w", uerr)
		}
	}()
	if _, err := conn.Exec(ctx, migrationsTable); err != nil {
		return 0, fmt.Errorf("creating schema_migrations: %w", err)
	}
	done := map[int]string{}
	rows, err := conn.Query(ctx, "SELECT version, name FROM schema_migrations")
	if err != nil {
		return 0, err
	}
	for rows.Next() {
		var v int
		var name string
		if err := rows.Scan(&v, &name); err != nil {
			rows.Close()
			return 0, err
		}
		done[v] = name
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	for v, name := range done {
		if v > len(ms) || v < 1 {
			return 0, fmt.Errorf("schema %s was migrated by a newer version of attache (step %d, %s; this build knows %d steps)", *schema, v, name, len(ms))
		}
		if ms[v-1].name != name {
			return 0, fmt.Errorf("schema %s records step %d as %s but this build's step %d is %s", *schema, v, name, v, ms[v-1].name)
		}
	}
	for _, m := range ms {
		if _, ok := done[m.version]; ok {
			continue
		}
		if err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, m.sql); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", m.version, m.name)
			return err
		}); err != nil {
			return applied, fmt.Errorf("migration %s: %w", m.name, err)
		}
		applied++
	}
	return applied, nil
}
