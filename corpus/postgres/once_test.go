package postgres

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// TestOnceConcurrent: two libraries on one new schema (two processes
// starting at once) run a step once; a failed step is tried again, a
// marked one never.
func TestOnceConcurrent(t *testing.T) {
	ctx := context.Background()
	dbURL, _ := testSchema(t)
	libs := []*Library{openTest(t, dbURL), openTest(t, dbURL), openTest(t, dbURL)}
	var runs, ran atomic.Int32
	var wg sync.WaitGroup
	for _, l := range libs {
		wg.Go(func() {
			r, err := l.Once(ctx, "seed", "seeded", func(ctx context.Context) error {
				runs.Add(1)
				// The step may use the library while the lock is held.
				_, err := l.Count(ctx)
				return err
			})
			if err != nil {
				t.Errorf("Once: %v", err)
			}
			if r {
				ran.Add(1)
			}
		})
	}
	wg.Wait()
	if runs.Load() != 1 || ran.Load() != 1 {
		t.Errorf("the step ran %d times (%d reported), want once", runs.Load(), ran.Load())
	}
	boom := errors.New("boom")
	if r, err := libs[0].Once(ctx, "failing", "", func(context.Context) error { return boom }); !r || !errors.Is(err, boom) {
		t.Errorf("a failing step = %v, %v", r, err)
	}
	if r, err := libs[1].Once(ctx, "failing", "", func(context.Context) error { return nil }); !r || err != nil {
		t.Errorf("a step that failed before = %v, %v; want it run again", r, err)
	}
	if err := libs[0].MarkDone(ctx, "used", "used by ingest"); err != nil {
		t.Fatal(err)
	}
	if r, err := libs[2].Once(ctx, "used", "", func(context.Context) error { t.Error("a marked step ran"); return nil }); r || err != nil {
		t.Errorf("a marked step = %v, %v", r, err)
	}
	if done, err := libs[1].Done(ctx, "seed"); !done || err != nil {
		t.Errorf("Done(seed) = %v, %v", done, err)
	}
}

// TestCheckURL: what Open could not use is refused without connecting,
// and the reason never quotes the password.
func TestCheckURL(t *testing.T) {
	if err := CheckURL("postgres://root@127.0.0.1:5432/test?search_path=a&sslmode=disable"); err != nil {
		t.Errorf("a good URL: %v", err)
	}
	for _, bad := range []string{"", "host=db user=x", "mysql://u:hunter22@db/x", "postgres://u:hunter22@db:notaport/x",
		"postgres://u:hunter22@db/x?sslmode=bogus", "postgres:u@db", "://", "postgres://u:hunter22@[::1/x"} {
		err := CheckURL(bad)
		if err == nil {
			t.Errorf("CheckURL(%q): no error", bad)
		} else if strings.Contains(err.Error(), "hunter22") {
			t.Errorf("CheckURL(%q) = %v: shows the password", bad, err)
		}
	}
}

// TestOpenTemp: a throw-away library lives in its own schema, which the
// returned function drops.
func TestOpenTemp(t *testing.T) {
	ctx := context.Background()
	admin := adminConn(t)
	lib, discard, err := OpenTemp(ctx, testServer())
	if err != nil {
		t.Fatalf("OpenTemp: %v", err)
	}
	schema := lib.Schema()
	if !strings.HasPrefix(schema, "attache_tmp_") {
		t.Errorf("schema %q", schema)
	}
	if n, err := lib.Count(ctx); err != nil || n != 0 {
		t.Errorf("Count = %d, %v", n, err)
	}
	if err := discard(); err != nil {
		t.Fatalf("discard: %v", err)
	}
	var n int
	if err := admin.QueryRow(ctx, "SELECT count(*) FROM pg_namespace WHERE nspname = $1", schema).Scan(&n); err != nil || n != 0 {
		t.Errorf("schema %s after discard: %d, %v", schema, n, err)
	}
}
