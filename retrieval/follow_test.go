package retrieval

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/attache-bot/attache/corpus"
	"go.uber.org/goleak"
)

// followWait bounds every wait for a change to arrive; the feed's own
// latency is a fraction of a second (BenchmarkFollowLatency).
const followWait = 20 * time.Second

// eventLog collects Follow's events for a test to wait on.
type eventLog struct {
	mu     sync.Mutex
	events []FollowEvent
	notify chan struct{}
}

func newEventLog() *eventLog { return &eventLog{notify: make(chan struct{}, 1)} }

func (l *eventLog) add(ev FollowEvent) {
	l.mu.Lock()
	l.events = append(l.events, ev)
	l.mu.Unlock()
	select {
	case l.notify <- struct{}{}:
	default:
	}
}

func (l *eventLog) snapshot() []FollowEvent {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]FollowEvent(nil), l.events...)
}

// waitFor waits until an event satisfies ok and returns it.
func (l *eventLog) waitFor(t *testing.T, what string, ok func(FollowEvent) bool) FollowEvent {
	t.Helper()
	deadline := time.After(followWait)
	for {
		for _, ev := range l.snapshot() {
			if ok(ev) {
				return ev
			}
		}
		select {
		case <-l.notify:
		case <-deadline:
			t.Fatalf("no %s within %s; events: %+v", what, followWait, l.snapshot())
		}
	}
}

func applied(id string, removed bool) func(FollowEvent) bool {
	return func(ev FollowEvent) bool { return ev.ArticleID == id && ev.Removed == removed && ev.Err == nil }
}

// startFollow runs e.Follow until the test ends and checks it returned nil.
func startFollow(t *testing.T, e *Engine) *eventLog {
	t.Helper()
	log := newEventLog()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Follow(ctx, FollowOptions{Applied: log.add}) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Follow returned %v after cancel", err)
			}
		case <-time.After(followWait):
			t.Errorf("Follow did not return within %s of cancel", followWait)
		}
	})
	return log
}

// secondWriter opens the same data directory again, with its own
// connections, as another process would, and an engine over it.
func secondWriter(t *testing.T, dir string) (*Engine, *corpus.Library) {
	t.Helper()
	ctx := context.Background()
	lib, err := corpus.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lib.Close() })
	e, err := New(ctx, lib, Config{Now: func() time.Time { return testAsOf }})
	if err != nil {
		t.Fatal(err)
	}
	return e, lib
}

// TestFollowSeesOtherWriters: what another writer adds, updates and
// removes reaches the following engine's searches; the engine's own writes
// are not applied a second time.
func TestFollowSeesOtherWriters(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
	ctx := context.Background()
	e, lib := newTestEngine(t, Config{})
	mustAdd(t, e, fixtureCorpus()...)
	other, _ := secondWriter(t, lib.Dir())
	log := startFollow(t, e)

	q := Query{Text: "Why did the Brellow lighthouse keepers protest?", K: 5}
	if has(search(t, e, q), "lighthouse") {
		t.Fatal("the article is found before it exists")
	}
	// The engine's own write first, then the other writer's: events come
	// in feed order, so an own write applied again would show up first.
	mustAdd(t, e, art("own", corpus.SharedScope, "2025-07-26", "Ferry timetable changes in Halvik",
		"The Halvik ferry timetable changes on Monday. Two morning crossings are added."))
	mustAdd(t, other, art("lighthouse", corpus.SharedScope, "2025-07-27", "Brellow lighthouse keepers protest automation",
		"Lighthouse keepers in Brellow protested on Saturday against plans to automate the last staffed lighthouses. "+
			"They said automation would leave the coast without anyone watching the sea."))
	first := log.waitFor(t, "put of lighthouse", applied("lighthouse", false))
	for _, ev := range log.snapshot() {
		if ev.ArticleID == "own" {
			t.Errorf("the engine's own write was applied again: %+v", ev)
		}
	}
	ps := search(t, e, q)
	if !has(ps, "lighthouse") {
		t.Fatalf("after another writer added it, search = %v", ids(ps))
	}

	// An update: the new passage is found, the old text is gone.
	updated := art("lighthouse", corpus.SharedScope, "2025-07-27", "Brellow lighthouse keepers protest automation",
		"Lighthouse keepers in Brellow ended their protest on Sunday after the ministry dropped the automation plan.")
	if _, st, err := other.Add(ctx, updated); err != nil || st != corpus.Updated {
		t.Fatalf("update: %v %v", st, err)
	}
	log.waitFor(t, "the update", func(ev FollowEvent) bool {
		return applied("lighthouse", false)(ev) && ev.Seq > first.Seq
	})
	ps = search(t, e, q)
	if !has(ps, "lighthouse") {
		t.Fatalf("after the update, search = %v", ids(ps))
	}
	for _, p := range ps {
		if p.ArticleID == "lighthouse" && strings.Contains(p.Text, "watching the sea") {
			t.Errorf("an old passage survived the update: %q", p.Text)
		}
	}

	// A removal: gone from every search.
	if err := other.Remove(ctx, "", "lighthouse"); err != nil {
		t.Fatal(err)
	}
	log.waitFor(t, "removal of lighthouse", applied("lighthouse", true))
	if ps := search(t, e, q); has(ps, "lighthouse") {
		t.Fatalf("after another writer removed it, search = %v", ids(ps))
	}
	// Its own remove is not applied again either.
	if err := e.Remove(ctx, "", "own"); err != nil {
		t.Fatal(err)
	}
	mustAdd(t, other, art("marker", corpus.SharedScope, "2025-07-28", "Marker story", "A marker story about the Halvik harbour."))
	log.waitFor(t, "put of marker", applied("marker", false))
	for _, ev := range log.snapshot() {
		if ev.ArticleID == "own" {
			t.Errorf("the engine's own remove was applied again: %+v", ev)
		}
	}
	if ps := search(t, e, Query{Text: "Halvik ferry timetable", K: 5}); has(ps, "own") {
		t.Errorf("removed article found: %v", ids(ps))
	}
}

// TestFollowAlreadyFollowing: one Follow per engine. Of two started
// together, one returns ErrAlreadyFollowing at once, the other follows
// until cancelled.
func TestFollowAlreadyFollowing(t *testing.T) {
	e, _ := newTestEngine(t, Config{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	results := make(chan error, 2)
	for range 2 {
		go func() { results <- e.Follow(ctx, FollowOptions{}) }()
	}
	select {
	case err := <-results:
		if !errors.Is(err, ErrAlreadyFollowing) {
			t.Fatalf("first to return: %v, want ErrAlreadyFollowing", err)
		}
	case <-time.After(followWait):
		t.Fatal("neither Follow returned")
	}
	cancel()
	if err := <-results; err != nil {
		t.Fatalf("the follower returned %v after cancel", err)
	}
	if e.following.Load() {
		t.Error("the engine still counts as following")
	}
}

// TestFollowCatchesUpOnStart: changes made between New and Follow (the
// time serve spends connecting) are applied when following starts.
func TestFollowCatchesUpOnStart(t *testing.T) {
	e, lib := newTestEngine(t, Config{})
	mustAdd(t, e, fixtureCorpus()...)
	other, _ := secondWriter(t, lib.Dir())
	mustAdd(t, other, art("late", corpus.SharedScope, "2025-07-27", "Late story on Brellow kites",
		"The Brellow kite festival drew record crowds on Saturday."))
	if err := other.Remove(context.Background(), "", "rail-strike"); err != nil {
		t.Fatal(err)
	}
	log := startFollow(t, e)
	log.waitFor(t, "put of late", applied("late", false))
	log.waitFor(t, "removal of rail-strike", applied("rail-strike", true))
	if ps := search(t, e, Query{Text: "Brellow kite festival crowds", K: 5}); !has(ps, "late") {
		t.Errorf("search = %v", ids(ps))
	}
	if ps := search(t, e, Query{Text: "Quorvia rail strike pay", K: 5}); has(ps, "rail-strike") {
		t.Errorf("removed article still found: %v", ids(ps))
	}
}

// TestFollowFellBehind: when more changes were written than the feed keeps
// while the engine was not following, it reloads: every difference is
// applied, nothing else.
func TestFollowFellBehind(t *testing.T) {
	ctx := context.Background()
	e, lib := newTestEngine(t, Config{})
	mustAdd(t, e, fixtureCorpus()...)
	if err := lib.SetChangeRetention(ctx, 2); err != nil {
		t.Fatal(err)
	}
	other, _ := secondWriter(t, lib.Dir())
	var added []string
	for i := range 5 {
		id := fmt.Sprintf("burst-%d", i)
		added = append(added, id)
		mustAdd(t, other, art(id, corpus.SharedScope, "2025-07-27", fmt.Sprintf("Burst story %d on Brellow kites", i),
			fmt.Sprintf("Kite flyers in Brellow number %d gathered on the dunes.", i)))
	}
	if err := other.Remove(ctx, "", "election"); err != nil {
		t.Fatal(err)
	}
	log := startFollow(t, e)
	log.waitFor(t, "a reload", func(ev FollowEvent) bool { return ev.Reload })
	for _, id := range added {
		log.waitFor(t, "put of "+id, applied(id, false))
	}
	log.waitFor(t, "removal of election", applied("election", true))
	for _, ev := range log.snapshot() {
		if ev.Err != nil {
			t.Errorf("error event: %+v", ev)
		}
		if !ev.Reload && ev.ArticleID != "election" && !strings.HasPrefix(ev.ArticleID, "burst-") {
			t.Errorf("an article in step was applied: %+v", ev)
		}
	}
	e.mu.RLock()
	n := e.ix.Len()
	e.mu.RUnlock()
	stored, _ := lib.Count(ctx)
	if n != stored || n != len(fixtureCorpus())+5-1 {
		t.Errorf("index holds %d articles, library %d", n, stored)
	}
}

// TestFollowBacklog: a backlog larger than one read is applied whole.
func TestFollowBacklog(t *testing.T) {
	ctx := context.Background()
	e, lib := newTestEngine(t, Config{})
	other, _ := secondWriter(t, lib.Dir())
	const n = followBatch + 150
	var arts []corpus.Article
	for i := range n {
		arts = append(arts, art(fmt.Sprintf("bulk-%04d", i), corpus.SharedScope, "2025-07-01",
			fmt.Sprintf("Bulk story %d", i), fmt.Sprintf("Bulk body %d about harbours and ferries.", i)))
	}
	if err := other.AddMany(ctx, arts, nil); err != nil {
		t.Fatal(err)
	}
	log := startFollow(t, e)
	log.waitFor(t, "the last article", applied(fmt.Sprintf("bulk-%04d", n-1), false))
	seen := map[string]bool{}
	for _, ev := range log.snapshot() {
		if ev.Err != nil || ev.Reload {
			t.Errorf("unexpected event %+v", ev)
		}
		seen[ev.ArticleID] = true
	}
	if len(seen) != n {
		t.Errorf("%d articles applied, want %d", len(seen), n)
	}
}

// rawDB opens the library file directly, as a damaged or hostile writer.
func rawDB(t *testing.T, dir string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(dir, corpus.DBFile)+"?_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestFollowBadInput: a stored article that cannot be read (a damaged
// vector) is reported and skipped, later changes still arrive; a change
// log dropped behind the library's back is reported, and once another
// process has rebuilt it (any open does) the follower reloads.
func TestFollowBadInput(t *testing.T) {
	ctx := context.Background()
	e, lib := newTestEngine(t, Config{})
	other, _ := secondWriter(t, lib.Dir())
	log := startFollow(t, e)
	db := rawDB(t, lib.Dir())

	// Written by the other writer, then damaged before the follower reads
	// it: in one transaction so that the follower cannot see it whole.
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(`INSERT INTO articles(id, scope, title, body, hash, added_at)
		VALUES ('broken', 'shared', 'Broken', 'A body.', 'h', '2025-01-01T00:00:00Z')`); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(`INSERT INTO chunks(id, article_id, idx, start, "end", text, scope) VALUES ('broken#0', 'broken', 0, 0, 7, 'A body.', 'shared')`); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(`INSERT INTO chunk_vectors(seq, vector) VALUES ((SELECT seq FROM chunks WHERE id = 'broken#0'), x'010203')`); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	log.waitFor(t, "an error for broken", func(ev FollowEvent) bool { return ev.ArticleID == "broken" && ev.Err != nil })
	mustAdd(t, other, art("after", corpus.SharedScope, "2025-07-27", "After the damage", "A story about Brellow kites after the damage."))
	log.waitFor(t, "put of after", applied("after", false))

	// Gone again, so that a new engine can load the library.
	if _, err := db.Exec("DELETE FROM articles WHERE id = 'broken'"); err != nil {
		t.Fatal(err)
	}

	// The change log dropped: reading fails (reported once), and writers
	// fail too rather than write unrecorded changes.
	if _, err := db.Exec("DROP TABLE changes"); err != nil {
		t.Fatal(err)
	}
	ev := log.waitFor(t, "a feed error", func(ev FollowEvent) bool { return ev.ArticleID == "" && ev.Err != nil })
	if !strings.Contains(ev.Err.Error(), "change log is missing") {
		t.Errorf("feed error = %v", ev.Err)
	}
	if _, _, err := other.Add(ctx, art("lost", corpus.SharedScope, "2025-07-27", "Lost", "A story that cannot be recorded.")); err == nil {
		t.Error("an article was stored without a change log")
	}
	// Another process opens the directory: the log is rebuilt, and the
	// follower, whose position is past the new log's head, reloads.
	third, err := corpus.Open(ctx, lib.Dir())
	if err != nil {
		t.Fatal(err)
	}
	defer third.Close()
	e3, err := New(ctx, third, Config{Now: func() time.Time { return testAsOf }})
	if err != nil {
		t.Fatal(err)
	}
	mustAdd(t, e3, art("rebuilt", corpus.SharedScope, "2025-07-28", "Rebuilt", "A story about the rebuilt log in Brellow."))
	log.waitFor(t, "a reload", func(ev FollowEvent) bool { return ev.Reload })
	log.waitFor(t, "put of rebuilt", applied("rebuilt", false))
	errs := 0
	for _, ev := range log.snapshot() {
		if ev.ArticleID == "" && ev.Err != nil {
			errs++
		}
	}
	if errs != 1 {
		t.Errorf("%d feed error events for one lasting failure, want 1", errs)
	}
}

// TestFollowFellBehindDuringStartUp: an article changed and changed back
// while New filled the index leaves the index holding the in-between
// version under the hash of the final one. A follower that falls behind
// before reading those changes cannot tell, so its reload indexes every
// article anew. The start-up race is set up by hand.
func TestFollowFellBehindDuringStartUp(t *testing.T) {
	ctx := context.Background()
	v1 := art("aba", corpus.SharedScope, "2025-07-27", "Brellow kite festival", "The Brellow kite festival opened on Saturday.")
	v2 := v1
	v2.Body = "The Brellow kite festival was cancelled because of the storm."
	e, lib := newTestEngine(t, Config{})
	mustAdd(t, e, v1)
	other, _ := secondWriter(t, lib.Dir())
	if err := lib.SetChangeRetention(ctx, 1); err != nil {
		t.Fatal(err)
	}
	// The fill read v2 after New had read v1's hash...
	if _, _, err := other.Add(ctx, v2); err != nil {
		t.Fatal(err)
	}
	stored, err := lib.Stored(ctx, "aba")
	if err != nil {
		t.Fatal(err)
	}
	e.mu.Lock()
	h1 := e.hashes["aba"]
	if err := e.putLocked(ctx, stored); err != nil {
		t.Fatal(err)
	}
	e.hashes["aba"] = h1
	e.mu.Unlock()
	// ...and v1 came back before the fill ended.
	if _, _, err := other.Add(ctx, v1); err != nil {
		t.Fatal(err)
	}
	head, err := lib.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	e.feedFilled = head
	mustAdd(t, other, art("later", corpus.SharedScope, "2025-07-28", "Later", "A later story about Halvik ferries."))

	log := startFollow(t, e)
	log.waitFor(t, "a reload", func(ev FollowEvent) bool { return ev.Reload })
	log.waitFor(t, "aba indexed anew", applied("aba", false))
	log.waitFor(t, "put of later", applied("later", false))
	ps := search(t, e, Query{Text: "Brellow kite festival", K: 5})
	for _, p := range ps {
		if p.ArticleID == "aba" && strings.Contains(p.Text, "cancelled") {
			t.Errorf("the in-between version survived: %q", p.Text)
		}
	}
	if !has(ps, "aba") {
		t.Errorf("search = %v", ids(ps))
	}
}

// TestFollowHostileChanges: change rows written by hand (an empty id, a
// 100 KB id, an id no article has, an unreadable time, a put of an article
// already in step) change nothing in the index, and the changes after them
// are still applied. (A kind other than put or remove is refused by the
// table itself.)
func TestFollowHostileChanges(t *testing.T) {
	e, lib := newTestEngine(t, Config{})
	mustAdd(t, e, fixtureCorpus()...)
	other, _ := secondWriter(t, lib.Dir())
	log := startFollow(t, e)
	db := rawDB(t, lib.Dir())
	if _, err := db.Exec("INSERT INTO changes(article_id, scope, kind, at) VALUES ('x', 'shared', 'rename', '')"); err == nil {
		t.Error("the change log took a kind it does not know")
	}
	for _, q := range []string{
		"INSERT INTO changes(article_id, scope, kind, at) VALUES ('', '', 'put', 'x')",
		"INSERT INTO changes(article_id, scope, kind, at) VALUES ('" + strings.Repeat("x", 100<<10) + "', 'shared', 'put', '')",
		"INSERT INTO changes(article_id, scope, kind, at) VALUES ('no-such-article', 'shared', 'remove', '2025-01-01T00:00:00Z')",
		"INSERT INTO changes(article_id, scope, kind, at) VALUES ('fish-accord', 'shared', 'put', 'not a time')",
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	mustAdd(t, other, art("after", corpus.SharedScope, "2025-07-27", "After the junk", "A story about Brellow kites after the junk."))
	log.waitFor(t, "put of after", applied("after", false))
	for _, ev := range log.snapshot() {
		if ev.ArticleID != "after" {
			t.Errorf("a hand-written change did something: %+v", ev)
		}
	}
	if ps := search(t, e, Query{Text: "Where did Norland and Vesteria sign the fishing accord?", K: 5}); !has(ps, "fish-accord") {
		t.Errorf("search = %v", ids(ps))
	}
}

// cutLibrary is a library whose next reads of the change feed fail, as
// they do on connections a PostgreSQL server has just ended.
type cutLibrary struct {
	*corpus.Library
	failing atomic.Int32 // how many of the next Changes calls fail
}

func (l *cutLibrary) Changes(ctx context.Context, after int64, limit int) ([]corpus.Change, error) {
	if l.failing.Add(-1) >= 0 {
		return nil, errors.New("FATAL: terminating connection due to administrator command")
	}
	return l.Library.Changes(ctx, after, limit)
}

// TestFollowRetriesAFailedRead: when reading the change feed fails on the
// wake-up that announced a change (the connection was cut), Follow reads
// it again soon, through a second failure too, instead of leaving the
// change to the safety net's next read (an hour away here); the lasting
// failure is reported once.
func TestFollowRetriesAFailedRead(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
	ctx, cancel := context.WithCancel(context.Background())
	base, err := corpus.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { base.Close() })
	lib := &cutLibrary{Library: base}
	e, err := New(ctx, lib, Config{Now: func() time.Time { return testAsOf }, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	other, _ := secondWriter(t, base.Dir())
	log := newEventLog()
	done := make(chan error, 1)
	go func() { done <- e.Follow(ctx, FollowOptions{Interval: time.Hour, Applied: log.add}) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Follow: %v", err)
		}
	}()
	// The first wake-up (Follow listens) reads the feed; it is past
	// once a change made before the cut is applied.
	mustAdd(t, other, art("before", corpus.SharedScope, "2025-07-26", "Ferry timetable changes in Halvik",
		"The Halvik ferry timetable changes on Monday. Two morning crossings are added."))
	log.waitFor(t, "put of before", applied("before", false))

	lib.failing.Store(2)
	mustAdd(t, other, art("after", corpus.SharedScope, "2025-07-27", "Brellow lighthouse keepers protest automation",
		"Lighthouse keepers in Brellow protested on Saturday against plans to automate the last staffed lighthouses."))
	log.waitFor(t, "put of after", applied("after", false))
	if n := lib.failing.Load(); n >= 0 {
		t.Errorf("the failing reads were not all made (%d left): the test did not cut the feed", n+1)
	}
	failures := 0
	for _, ev := range log.snapshot() {
		if ev.Err != nil {
			failures++
		}
	}
	if failures != 1 {
		t.Errorf("%d failure events, want one for the lasting failure: %+v", failures, log.snapshot())
	}
}

// TestFollowSeesStories: the story another writer assigns reaches the
// following engine with the article, and the follower's own next report
// of the event joins that story through what the other writer stored.
func TestFollowSeesStories(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
	e, lib := newTestEngine(t, Config{Logger: quietLogger()})
	other, otherLib := secondWriter(t, lib.Dir())
	log := startFollow(t, e)
	first, second, _, _ := ferryStory()
	s1 := addStory(t, other, otherLib, first)
	log.waitFor(t, "put of the first report", applied(first.ID, false))
	if info := e.ix.Article(first.ID); info == nil || info.StoryID != s1.StoryID || info.StoryData != s1.StoryData {
		t.Fatalf("the follower does not hold the story %q the other writer stored", s1.StoryID)
	}
	if s2 := addStory(t, e, lib, second); s2.StoryID != s1.StoryID {
		t.Fatalf("the follower's report got story %q, want the other writer's %q", s2.StoryID, s1.StoryID)
	}
}
