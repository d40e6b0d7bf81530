package corpus

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// changeSummary is what a test compares about a change: kind and id.
func changeSummary(cs []Change) []string {
	var out []string
	for _, c := range cs {
		out = append(out, string(c.Kind)+" "+c.ArticleID+" "+c.Scope)
	}
	return out
}

func mustChanges(t *testing.T, lib *Library, after int64, limit int) []Change {
	t.Helper()
	cs, err := lib.Changes(context.Background(), after, limit)
	if err != nil {
		t.Fatalf("Changes(%d, %d): %v", after, limit, err)
	}
	return cs
}

func mustHead(t *testing.T, lib *Library) int64 {
	t.Helper()
	h, err := lib.Head(context.Background())
	if err != nil {
		t.Fatalf("Head: %v", err)
	}
	return h
}

// TestChangesRecordEveryWrite: adding, updating and removing an article
// each leave one change, in order, with the article's scope; an unchanged
// put and a refused put leave none.
func TestChangesRecordEveryWrite(t *testing.T) {
	ctx := context.Background()
	lib := libOpen(t, t.TempDir())
	start := mustHead(t, lib)
	if start != 0 {
		t.Fatalf("new library: head %d, want 0", start)
	}
	if cs := mustChanges(t, lib, 0, 0); len(cs) != 0 {
		t.Fatalf("new library has changes: %v", changeSummary(cs))
	}

	a := libArticle("a1", SharedScope, "Ministers meet over treaty", "2025-03-04", libBodyTreaty)
	g := libArticle("g1", "guild-1", "Harbour strike ends", "2025-03-06", "Dock workers returned to work on Thursday after a pay deal.")
	libPut(t, lib, a)
	libPut(t, lib, g)
	libPut(t, lib, a) // unchanged: nothing written
	a2 := a
	a2.Body += "\n\nA third round was announced late on Tuesday."
	if st := libPut(t, lib, a2); st != Updated {
		t.Fatalf("put = %v, want updated", st)
	}
	// Another guild may not replace g1: refused, nothing recorded.
	intruder := g
	intruder.Scope = "guild-2"
	chunks := Split(intruder, SplitOptions{})
	if _, err := lib.Put(ctx, intruder, chunks, libVectors(chunks, libEmbedder.Dim)); !errors.Is(err, ErrScopeConflict) {
		t.Fatalf("put into another scope: %v", err)
	}
	if err := lib.Remove(ctx, "guild-1", "g1"); err != nil {
		t.Fatal(err)
	}
	if err := lib.Remove(ctx, "guild-1", "g1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second remove: %v", err)
	}

	cs := mustChanges(t, lib, 0, 0)
	want := []string{"put a1 shared", "put g1 guild-1", "put a1 shared", "remove g1 guild-1"}
	if got := changeSummary(cs); !reflect.DeepEqual(got, want) {
		t.Fatalf("changes = %q, want %q", got, want)
	}
	for i, c := range cs {
		if c.Seq != int64(i+1) {
			t.Errorf("change %d has seq %d", i, c.Seq)
		}
		if time.Since(c.At) > time.Minute || c.At.After(time.Now().Add(time.Second)) {
			t.Errorf("change %d recorded at %v", i, c.At)
		}
	}
	if h := mustHead(t, lib); h != cs[len(cs)-1].Seq {
		t.Errorf("head %d, want %d", h, cs[len(cs)-1].Seq)
	}
	// Paging: after a position, at most limit, oldest first.
	if got := changeSummary(mustChanges(t, lib, 1, 2)); !reflect.DeepEqual(got, want[1:3]) {
		t.Errorf("Changes(1, 2) = %q, want %q", got, want[1:3])
	}
	if cs := mustChanges(t, lib, mustHead(t, lib), 10); len(cs) != 0 {
		t.Errorf("Changes(head) = %v, want none", changeSummary(cs))
	}
}

// TestChangesRolledBack: a write that is rolled back leaves no change, and
// sequence numbers stay gapless.
func TestChangesRolledBack(t *testing.T) {
	ctx := context.Background()
	lib := libOpen(t, t.TempDir())
	a := libArticle("a1", SharedScope, "Ministers meet over treaty", "2025-03-04", libBodyTreaty)
	tx, err := lib.w.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	chunks := Split(a, SplitOptions{})
	if _, err := putTx(ctx, tx, a, chunks, libVectors(chunks, libEmbedder.Dim), time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if h := mustHead(t, lib); h != 0 {
		t.Fatalf("head after a rolled-back put: %d", h)
	}
	libPut(t, lib, a)
	if cs := mustChanges(t, lib, 0, 0); len(cs) != 1 || cs[0].Seq != 1 {
		t.Fatalf("changes = %+v, want one with seq 1", cs)
	}
}

// TestChangesRename: the schema 2 migration renames articles with UPDATE;
// a follower sees the old id removed and the new one put.
func TestChangesRename(t *testing.T) {
	ctx := context.Background()
	lib := libOpen(t, t.TempDir())
	putRaw(t, lib, "old", 1)
	before := mustHead(t, lib)
	if _, err := lib.w.ExecContext(ctx, "UPDATE articles SET id = 'new' WHERE id = 'old-0'"); err != nil {
		t.Fatal(err)
	}
	want := []string{"remove old-0 shared", "put new shared"}
	if got := changeSummary(mustChanges(t, lib, before, 0)); !reflect.DeepEqual(got, want) {
		t.Fatalf("changes after a rename = %q, want %q", got, want)
	}
}

// putRaw inserts n minimal articles in one transaction straight into the
// articles table (the triggers fire as for Put), for tests that need many
// changes fast.
func putRaw(t *testing.T, lib *Library, prefix string, n int) {
	t.Helper()
	ctx := context.Background()
	tx, err := lib.w.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	for i := range n {
		if _, err := tx.ExecContext(ctx, `INSERT INTO articles(id, scope, title, body, hash, added_at)
			VALUES (?, 'shared', 't', 'b', 'h', '2025-01-01T00:00:00Z')`, fmt.Sprintf("%s-%d", prefix, i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

func changeCount(t *testing.T, lib *Library) int {
	t.Helper()
	var n int
	if err := lib.r.QueryRow("SELECT count(*) FROM changes").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestChangesPrune: the log keeps the newest N changes; a follower whose
// next change was pruned gets ErrFellBehind, one still inside reads on.
func TestChangesPrune(t *testing.T) {
	ctx := context.Background()
	lib := libOpen(t, t.TempDir())
	for _, n := range []int{0, -3} {
		if err := lib.SetChangeRetention(ctx, n); err == nil {
			t.Errorf("SetChangeRetention(%d) accepted", n)
		}
	}
	if err := lib.SetChangeRetention(ctx, 3); err != nil {
		t.Fatal(err)
	}
	putRaw(t, lib, "a", 5)
	if n := changeCount(t, lib); n != 3 {
		t.Fatalf("%d changes kept, want 3", n)
	}
	head := mustHead(t, lib)
	if head != 5 {
		t.Fatalf("head %d, want 5", head)
	}
	for _, after := range []int64{0, 1} {
		if _, err := lib.Changes(ctx, after, 0); !errors.Is(err, ErrFellBehind) {
			t.Errorf("Changes(%d) after pruning = %v, want ErrFellBehind", after, err)
		}
	}
	// After 2 the next is 3, the oldest kept.
	if cs := mustChanges(t, lib, 2, 0); len(cs) != 3 || cs[0].Seq != 3 {
		t.Errorf("Changes(2) = %+v", cs)
	}
	// Pruning never empties the log, so a follower at the head is fine.
	if cs := mustChanges(t, lib, head, 0); len(cs) != 0 {
		t.Errorf("Changes(head) = %+v", cs)
	}

	// A malformed retention (hand-edited meta) means the default, not
	// "keep nothing".
	for _, bad := range []string{"abc", "0", "-5", ""} {
		if _, err := lib.w.ExecContext(ctx, "UPDATE meta SET value = ? WHERE key = 'change_retention'", bad); err != nil {
			t.Fatal(err)
		}
		before := changeCount(t, lib)
		putRaw(t, lib, "bad"+bad, 4)
		if n := changeCount(t, lib); n != before+4 {
			t.Errorf("retention %q: %d changes kept, want %d", bad, n, before+4)
		}
	}
}

// TestChangesDefaultRetention: without a setting the log keeps
// DefaultChangeRetention changes (the trigger's literal must match).
func TestChangesDefaultRetention(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 10,000 changes")
	}
	lib := libOpen(t, t.TempDir())
	putRaw(t, lib, "a", DefaultChangeRetention+5)
	if n := changeCount(t, lib); n != DefaultChangeRetention {
		t.Fatalf("%d changes kept, want %d", n, DefaultChangeRetention)
	}
}

// TestChangesBadPositions: a negative position is an error, and one past
// the head (a log rebuilt since, another library) means reload.
func TestChangesBadPositions(t *testing.T) {
	ctx := context.Background()
	lib := libOpen(t, t.TempDir())
	putRaw(t, lib, "a", 2)
	if _, err := lib.Changes(ctx, -1, 0); err == nil || errors.Is(err, ErrFellBehind) {
		t.Errorf("Changes(-1) = %v, want a plain error", err)
	}
	if _, err := lib.Changes(ctx, 3, 0); !errors.Is(err, ErrFellBehind) {
		t.Errorf("Changes(head+1) = %v, want ErrFellBehind", err)
	}
}

// TestChangesBacklog: a large backlog is read in pages, each change once,
// in order, and a limit above MaxChangeBatch is capped.
func TestChangesBacklog(t *testing.T) {
	lib := libOpen(t, t.TempDir())
	const n = 2500
	putRaw(t, lib, "a", n)
	var pos int64
	pages := 0
	for {
		cs := mustChanges(t, lib, pos, 1000)
		if len(cs) == 0 {
			break
		}
		pages++
		for _, c := range cs {
			if c.Seq != pos+1 {
				t.Fatalf("after %d came %d", pos, c.Seq)
			}
			pos = c.Seq
		}
	}
	if pos != n || pages != 3 {
		t.Fatalf("read up to %d in %d pages, want %d in 3", pos, pages, n)
	}
	putRaw(t, lib, "b", MaxChangeBatch+10-n)
	// 10,010 changes written, the newest 10,000 kept: read from the oldest.
	if cs := mustChanges(t, lib, 10, MaxChangeBatch*3); len(cs) != MaxChangeBatch {
		t.Fatalf("an oversized limit returned %d changes, want %d", len(cs), MaxChangeBatch)
	}
}

// TestChangesMissingTable: a change log dropped behind the library's back
// is a clear error (for reads and for writes, which must not silently go
// unrecorded), and reopening the library rebuilds it; a follower's old
// position then means reload.
func TestChangesMissingTable(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	lib := libOpen(t, dir)
	putRaw(t, lib, "a", 3)
	if _, err := lib.w.ExecContext(ctx, "DROP TABLE changes"); err != nil {
		t.Fatal(err)
	}
	if _, err := lib.Changes(ctx, 3, 0); err == nil || !strings.Contains(err.Error(), "restart attache") {
		t.Errorf("Changes without the table = %v, want advice to restart", err)
	}
	a := libArticle("a1", SharedScope, "Ministers meet over treaty", "2025-03-04", libBodyTreaty)
	chunks := Split(a, SplitOptions{})
	if _, err := lib.Put(ctx, a, chunks, libVectors(chunks, libEmbedder.Dim)); err == nil {
		t.Errorf("Put without the change log succeeded: the change would be lost to followers")
	}
	lib.Close()

	lib = libOpen(t, dir)
	// However many changes the rebuilt log records, a position from the
	// old one is never taken for one of its own.
	head := mustHead(t, lib)
	if head <= 3 {
		t.Errorf("rebuilt log starts at %d, not above the old log's positions", head)
	}
	putRaw(t, lib, "more", 5)
	for _, old := range []int64{2, 3} {
		if _, err := lib.Changes(ctx, old, 0); !errors.Is(err, ErrFellBehind) {
			t.Errorf("old position %d in the rebuilt log = %v, want ErrFellBehind", old, err)
		}
	}
	head = mustHead(t, lib)
	libPut(t, lib, a)
	if got := changeSummary(mustChanges(t, lib, head, 0)); !reflect.DeepEqual(got, []string{"put a1 shared"}) {
		t.Errorf("changes in the rebuilt log = %q", got)
	}
	if n, err := lib.Count(ctx); err != nil || n != 9 {
		t.Errorf("articles after the rebuild: %d, %v; want 9 (nothing lost)", n, err)
	}
}

// TestChangesDamagedTable: a "changes" table that is not the log (other
// columns) is replaced at open, losing no article.
func TestChangesDamagedTable(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	lib := libOpen(t, dir)
	putRaw(t, lib, "a", 2)
	for _, q := range []string{"DROP TABLE changes", "CREATE TABLE changes (x TEXT)", "INSERT INTO changes VALUES ('junk')"} {
		if _, err := lib.w.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	lib.Close()
	lib = libOpen(t, dir)
	head := mustHead(t, lib)
	if head <= 2 {
		t.Errorf("rebuilt log head %d, not above the old log's positions", head)
	}
	putRaw(t, lib, "b", 1)
	if got := changeSummary(mustChanges(t, lib, head, 0)); !reflect.DeepEqual(got, []string{"put b-0 shared"}) {
		t.Errorf("changes = %q", got)
	}
	if n, err := lib.Count(ctx); err != nil || n != 3 {
		t.Errorf("articles: %d, %v; want 3", n, err)
	}
}

// TestChangesUpgrade: a library written before the change log existed
// gets one at open, starting above any position, and records from then on.
func TestChangesUpgrade(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	lib := libOpen(t, dir)
	putRaw(t, lib, "a", 2)
	for _, obj := range changeObjects {
		if _, err := lib.w.ExecContext(ctx, "DROP "+obj); err != nil {
			t.Fatal(err)
		}
	}
	lib.Close()
	lib = libOpen(t, dir)
	head := mustHead(t, lib)
	if head < time.Now().Add(-time.Hour).UnixMicro() {
		t.Errorf("upgraded log head %d", head)
	}
	putRaw(t, lib, "b", 1)
	if cs := mustChanges(t, lib, head, 0); len(cs) != 1 || cs[0].Seq != head+1 {
		t.Errorf("changes = %+v", cs)
	}
	// Reopening keeps the log.
	lib.Close()
	lib = libOpen(t, dir)
	if h := mustHead(t, lib); h != head+1 {
		t.Errorf("head after reopen %d, want %d", h, head+1)
	}
}

// TestWatchWakesOnOtherConnection: Watch wakes once when ready, then when
// another library handle on the same directory (its own connections, as
// another process has) commits, and not while nothing is written; its
// goroutine and connection are gone once ctx is done.
func TestWatchWakesOnOtherConnection(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	dir := t.TempDir()
	lib := libOpen(t, dir)
	other := libOpen(t, dir)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	wake := lib.Watch(ctx)
	waitWake := func(what string) {
		t.Helper()
		select {
		case _, ok := <-wake:
			if !ok {
				t.Fatalf("%s: watch channel closed", what)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: no wake-up within 10 s", what)
		}
	}
	waitWake("ready")
	libPut(t, other, libArticle("a1", SharedScope, "Ministers meet over treaty", "2025-03-04", libBodyTreaty))
	waitWake("after another connection's put")
	if cs := mustChanges(t, lib, 0, 0); len(cs) != 1 {
		t.Fatalf("changes seen by the watcher's library: %v", changeSummary(cs))
	}
	if err := other.Remove(context.Background(), SharedScope, "a1"); err != nil {
		t.Fatal(err)
	}
	waitWake("after another connection's remove")

	cancel()
	deadline := time.After(10 * time.Second)
	for open := true; open; {
		select {
		case _, open = <-wake:
		case <-deadline:
			t.Fatal("watch channel not closed within 10 s of cancel")
		}
	}
	lib.Close()
	other.Close()
	goleak.VerifyNone(t, ignore)
}

// TestWatchQuietWhenIdle: with no writes, the watcher does not keep waking
// its follower (a few checks' worth of time pass without a wake-up). The
// wait is the assertion, not synchronisation.
func TestWatchQuietWhenIdle(t *testing.T) {
	lib := libOpen(t, t.TempDir())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	wake := lib.Watch(ctx)
	<-wake // ready
	select {
	case <-wake:
		t.Fatal("woken with nothing written")
	case <-time.After(4 * WatchInterval):
	}
}

// TestWatchClosedLibrary: a watcher that cannot check (here: its library
// is closed) keeps waking its follower, which then meets the error reading
// changes, instead of going quiet; it still stops with ctx.
func TestWatchClosedLibrary(t *testing.T) {
	lib := libOpen(t, t.TempDir())
	lib.Close()
	ctx, cancel := context.WithCancel(context.Background())
	wake := lib.Watch(ctx)
	for i := range 2 {
		select {
		case <-wake:
		case <-time.After(10 * time.Second):
			t.Fatalf("no wake-up %d from a watcher that cannot check", i)
		}
	}
	if _, err := lib.Changes(context.Background(), 0, 0); err == nil {
		t.Error("Changes on a closed library succeeded")
	}
	cancel()
	for range wake {
	}
}

// TestStoredAndHashes: Stored returns the article, hash, chunks and
// vectors Put wrote; ArticleHashes lists every article's hash.
func TestStoredAndHashes(t *testing.T) {
	ctx := context.Background()
	lib := libOpen(t, t.TempDir())
	a := libArticle("a1", SharedScope, "Ministers meet over treaty", "2025-03-04", libBodyTreaty)
	g := libArticle("g1", "guild-1", "Harbour strike ends", "", "Dock workers returned to work on Thursday after a pay deal.")
	chunks := Split(a, SplitOptions{})
	vecs := libVectors(chunks, libEmbedder.Dim)
	if _, err := lib.Put(ctx, a, chunks, vecs); err != nil {
		t.Fatal(err)
	}
	libPut(t, lib, g)
	s, err := lib.Stored(ctx, "a1")
	if err != nil {
		t.Fatal(err)
	}
	if s.ID != a.ID || s.Title != a.Title || s.Scope != a.Scope || s.Hash != Hash(a) {
		t.Errorf("Stored article = %+v hash %q\nwant %+v hash %q", s.Summary, s.Hash, a, Hash(a))
	}
	if len(s.Chunks) != len(chunks) {
		t.Fatalf("Stored has %d chunks, want %d", len(s.Chunks), len(chunks))
	}
	for i, c := range s.Chunks {
		if c.ID != chunks[i].ID || c.Start != chunks[i].Start || c.End != chunks[i].End || !reflect.DeepEqual([]float32(c.Vector), vecs[i]) {
			t.Errorf("Stored chunk %d = %+v, want %+v with vector %v", i, c, chunks[i], vecs[i])
		}
	}
	if _, err := lib.Stored(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Stored(unknown) = %v, want ErrNotFound", err)
	}
	hashes, err := lib.ArticleHashes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{"a1": Hash(a), "g1": Hash(g)}; !reflect.DeepEqual(hashes, want) {
		t.Errorf("ArticleHashes = %v, want %v", hashes, want)
	}
	// A vector blob damaged on disk is an error, not a short vector.
	if _, err := lib.w.ExecContext(ctx, "UPDATE chunk_vectors SET vector = x'0102' WHERE seq = (SELECT min(seq) FROM chunk_vectors)"); err != nil {
		t.Fatal(err)
	}
	if _, err := lib.Stored(ctx, "a1"); err == nil || !strings.Contains(err.Error(), "vector") {
		t.Errorf("Stored with a damaged vector = %v", err)
	}
}

// BenchmarkWatchIdleCheck measures what Watch costs while nothing is
// written: one PRAGMA data_version on its connection per WatchInterval.
// For comparison, in the same run: polling the change log's head instead,
// and the empty Changes read a follower makes after a wake-up.
// idle-core-% is the share of one core spent checking at WatchInterval.
func BenchmarkWatchIdleCheck(b *testing.B) {
	ctx := context.Background()
	lib, err := Open(ctx, b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer lib.Close()
	if err := lib.CheckEmbedder(ctx, libEmbedder); err != nil {
		b.Fatal(err)
	}
	perSecond := float64(time.Second / WatchInterval)
	report := func(b *testing.B) {
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)*perSecond/1e9*100, "idle-core-%")
	}
	b.Run("data_version", func(b *testing.B) {
		var w dataVersionWatcher
		defer w.close()
		for b.Loop() {
			if _, err := w.check(ctx, lib.r); err != nil {
				b.Fatal(err)
			}
		}
		report(b)
	})
	b.Run("head_query", func(b *testing.B) {
		for b.Loop() {
			if _, err := lib.Head(ctx); err != nil {
				b.Fatal(err)
			}
		}
		report(b)
	})
	b.Run("empty_changes_read", func(b *testing.B) {
		for b.Loop() {
			if _, err := lib.Changes(ctx, 0, 0); err != nil {
				b.Fatal(err)
			}
		}
		report(b)
	})
}

// BenchmarkPutChangeLog measures what recording changes costs a writer:
// one Put (its own transaction, synchronous=NORMAL) of a three-chunk
// article, with the change log's triggers and, for comparison in the same
// run, on a library whose change triggers were dropped.
func BenchmarkPutChangeLog(b *testing.B) {
	for _, mode := range []string{"with-log", "without-log"} {
		b.Run(mode, func(b *testing.B) {
			ctx := context.Background()
			lib, err := Open(ctx, b.TempDir())
			if err != nil {
				b.Fatal(err)
			}
			defer lib.Close()
			if err := lib.CheckEmbedder(ctx, libEmbedder); err != nil {
				b.Fatal(err)
			}
			if mode == "without-log" {
				for _, obj := range changeObjects[:3] {
					if _, err := lib.w.ExecContext(ctx, "DROP "+obj); err != nil {
						b.Fatal(err)
					}
				}
			}
			i := 0
			for b.Loop() {
				i++
				a := libArticle(fmt.Sprintf("a%d", i), SharedScope, "Ministers meet over treaty", "2025-03-04", libBodyTreaty)
				chunks := Split(a, SplitOptions{})
				if _, err := lib.Put(ctx, a, chunks, libVectors(chunks, libEmbedder.Dim)); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "articles/s")
		})
	}
}
