package retrieval

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/attache-bot/attache/corpus"
	"github.com/attache-bot/attache/corpus/postgres"
	"github.com/attache-bot/attache/corpus/postgres/pgtest"
	"go.uber.org/goleak"
)

// backfillArticles are the articles of the backfill tests: the ferry
// story's reports (one story of three articles, one undated) beside the
// bundled sample, normalised with their ids, in the order an ingest in
// date order (undated last, then by id) stores them.
func backfillArticles() []corpus.Article {
	first, second, wire, other := ferryStory()
	return inDateOrder(append([]corpus.Article{wire, other, second, first}, corpus.Sample()...))
}

// inDateOrder normalises arts with their ids and sorts them as
// BackfillStories assigns them: by published date, undated last, then by
// id.
func inDateOrder(arts []corpus.Article) []corpus.Article {
	arts = slices.Clone(arts)
	for i := range arts {
		arts[i].Normalize()
		arts[i].ID = corpus.ID(arts[i])
	}
	slices.SortFunc(arts, func(x, y corpus.Article) int {
		if xz, yz := x.Published.IsZero(), y.Published.IsZero(); xz != yz {
			if xz {
				return 1
			}
			return -1
		}
		if c := x.Published.Compare(y.Published); c != 0 {
			return c
		}
		return cmp.Compare(x.ID, y.ID)
	})
	return arts
}

// storiesOf is the story id and data lib stores of every article.
func storiesOf(t *testing.T, lib corpus.Store) map[string][2]string {
	t.Helper()
	out := make(map[string][2]string)
	for _, s := range listed(t, lib) {
		out[s.ID] = [2]string{s.StoryID, s.StoryData}
	}
	return out
}

// ingestedStories stores arts, in order, with stories on into a fresh
// library and returns the stories it stored: what BackfillStories must
// reproduce.
func ingestedStories(t *testing.T, arts []corpus.Article) map[string][2]string {
	t.Helper()
	e, lib := openEngine(t, t.TempDir())
	defer lib.Close()
	addAll(t, e, arts)
	want := storiesOf(t, lib)
	if first := want["ferry-cw"][0]; first == "" || want["ferry-nl"][0] != first || want["ferry-ph"][0] != first {
		t.Fatalf("ingest did not group the ferry reports: %v %v %v", want["ferry-cw"][0], want["ferry-nl"][0], want["ferry-ph"][0])
	}
	return want
}

// addAll stores arts through AddMany, failing the test on any error.
func addAll(t *testing.T, e *Engine, arts []corpus.Article) {
	t.Helper()
	err := e.AddMany(context.Background(), arts, func(_ int, a corpus.Article, _ corpus.PutStatus, err error) {
		if err != nil {
			t.Fatalf("add %s: %v", a.ID, err)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
}

// oldLibrary stores arts (in reverse order: the backfill must not depend
// on the order they were stored in) as a release without stories did,
// in dir, and returns an engine with stories on over it, reopened.
func oldLibrary(t *testing.T, dir string, arts []corpus.Article) (*Engine, *corpus.Library) {
	t.Helper()
	ctx := context.Background()
	lib, err := corpus.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	old, err := New(ctx, lib, Config{Logger: quietLogger(), NoStories: true})
	if err != nil {
		t.Fatal(err)
	}
	rev := slices.Clone(arts)
	slices.Reverse(rev)
	addAll(t, old, rev)
	lib.Close()
	e, lib := openEngine(t, dir)
	t.Cleanup(func() { lib.Close() })
	for id, st := range storiesOf(t, lib) {
		if st[0] != "" || st[1] != "" {
			t.Fatalf("%s stored with a story (%q) with stories off", id, st[0])
		}
	}
	return e, lib
}

// checkStories fails unless lib stores exactly the stories of want, and
// the engine's index holds them.
func checkStories(t *testing.T, e *Engine, lib corpus.Store, want map[string][2]string) {
	t.Helper()
	got := storiesOf(t, lib)
	if len(got) != len(want) {
		t.Fatalf("library holds %d articles, want %d", len(got), len(want))
	}
	for id, w := range want {
		if got[id] != w {
			t.Errorf("%s: story %q, want %q as ingest assigns (data equal: %v)", id, got[id][0], w[0], got[id][1] == w[1])
		}
		if info := e.ix.Article(id); info == nil || info.StoryID != w[0] || info.StoryData != w[1] {
			t.Errorf("%s: the index does not hold the stored story %q", id, w[0])
		}
	}
}

func TestBackfillStoriesMatchesIngest(t *testing.T) {
	ctx := context.Background()
	arts := backfillArticles()
	want := ingestedStories(t, arts)
	e, lib := oldLibrary(t, t.TempDir(), arts)
	head, err := lib.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	n, err := e.BackfillStories(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n != len(arts) {
		t.Errorf("BackfillStories assigned %d articles, want %d", n, len(arts))
	}
	checkStories(t, e, lib, want)
	// Followers read each story from the change feed: one put an article.
	ch, err := lib.Changes(ctx, head, 10*len(arts))
	if err != nil {
		t.Fatal(err)
	}
	puts := make(map[string]bool)
	for _, c := range ch {
		if c.Kind != corpus.ChangePut {
			t.Errorf("change %+v after the backfill, want puts only", c)
		}
		puts[c.ArticleID] = true
	}
	if len(ch) != len(arts) || len(puts) != len(arts) {
		t.Errorf("the backfill logged %d changes of %d articles, want one put of each of %d", len(ch), len(puts), len(arts))
	}
	// The content is untouched: every article is still found unchanged.
	for _, a := range arts[:3] {
		if _, st, err := e.Add(ctx, a); err != nil || st != corpus.Unchanged {
			t.Errorf("%s added again after the backfill: %v %v, want unchanged", a.ID, st, err)
		}
	}

	// A second run finds nothing to do and writes nothing.
	head, _ = lib.Head(ctx)
	if n, err := e.BackfillStories(ctx); err != nil || n != 0 {
		t.Errorf("second BackfillStories = %d, %v; want 0, nil", n, err)
	}
	if h, _ := lib.Head(ctx); h != head {
		t.Errorf("the second run moved the change feed from %d to %d", head, h)
	}
	checkStories(t, e, lib, want)
}

func TestBackfillStoriesCancelled(t *testing.T) {
	arts := backfillArticles()
	want := ingestedStories(t, arts)
	e, lib := oldLibrary(t, t.TempDir(), arts)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	const stopAfter = 4
	var done []string
	e.backfilled = func(id string) {
		done = append(done, id)
		if len(done) == stopAfter {
			cancel()
		}
	}
	n, err := e.BackfillStories(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled BackfillStories = %d, %v; want context.Canceled", n, err)
	}
	if n != stopAfter || len(done) != stopAfter {
		t.Fatalf("cancelled after %d articles, BackfillStories reports %d (hook saw %d)", stopAfter, n, len(done))
	}
	// The oldest articles are assigned as ingest assigns them, the rest
	// are left without a story.
	got := storiesOf(t, lib)
	for i, a := range arts {
		switch {
		case i < stopAfter && (a.ID != done[i] || got[a.ID] != want[a.ID]):
			t.Errorf("article %d (%s, assigned %s): story %q, want %q", i, a.ID, done[i], got[a.ID][0], want[a.ID][0])
		case i >= stopAfter && got[a.ID][0] != "":
			t.Errorf("article %d (%s) assigned %q after the cancellation", i, a.ID, got[a.ID][0])
		}
	}

	// The next run assigns the rest, to the same stories.
	e.backfilled = nil
	n, err = e.BackfillStories(context.Background())
	if err != nil || n != len(arts)-stopAfter {
		t.Fatalf("next BackfillStories = %d, %v; want %d, nil", n, err, len(arts)-stopAfter)
	}
	checkStories(t, e, lib, want)
}

func TestBackfillStoriesSkipsWhenLocked(t *testing.T) {
	ctx := context.Background()
	arts := backfillArticles()
	dir := t.TempDir()
	e, lib := oldLibrary(t, dir, arts)
	// Another process on the library (here another handle) runs it.
	other, err := corpus.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	_, unlock, err := other.TryLock(ctx, StoriesBackfillLock)
	if err != nil {
		t.Fatal(err)
	}
	head, _ := lib.Head(ctx)
	n, err := e.BackfillStories(ctx)
	if !errors.Is(err, corpus.ErrLocked) || n != 0 {
		t.Fatalf("BackfillStories with the lock held elsewhere = %d, %v; want 0 and ErrLocked", n, err)
	}
	if h, _ := lib.Head(ctx); h != head {
		t.Errorf("the skipped run wrote to the library (feed %d -> %d)", head, h)
	}
	for id, st := range storiesOf(t, lib) {
		if st[0] != "" {
			t.Errorf("%s assigned %q while the lock was held elsewhere", id, st[0])
		}
	}
	// Released, the next run does the work.
	unlock()
	if n, err := e.BackfillStories(ctx); err != nil || n != len(arts) {
		t.Errorf("BackfillStories after the release = %d, %v; want %d, nil", n, err, len(arts))
	}
}

func TestBackfillStoriesOff(t *testing.T) {
	ctx := context.Background()
	e, lib := newTestEngine(t, Config{Logger: quietLogger(), NoStories: true})
	mustAdd(t, e, art("a1", "", "2025-07-01", "Storm hits coast", "A storm hit the coast of Veloria on Monday."))
	if n, err := e.BackfillStories(ctx); err != nil || n != 0 {
		t.Errorf("BackfillStories with stories off = %d, %v; want 0, nil", n, err)
	}
	if s, _ := lib.Summary(ctx, "a1"); s.StoryID != "" {
		t.Errorf("story %q assigned with stories off", s.StoryID)
	}
}

// TestBackfillStoriesReachesFollowers: a process following the library
// holds the stories another process's backfill stored, read from the
// change feed.
func TestBackfillStoriesReachesFollowers(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
	arts := backfillArticles()
	want := ingestedStories(t, arts)
	dir := t.TempDir()
	follower, lib := oldLibrary(t, dir, arts)
	other, otherLib := secondWriter(t, dir)
	log := startFollow(t, follower)
	n, err := other.BackfillStories(context.Background())
	if err != nil || n != len(arts) {
		t.Fatalf("BackfillStories = %d, %v; want %d, nil", n, err, len(arts))
	}
	for _, a := range arts {
		log.waitFor(t, "the story of "+a.ID, applied(a.ID, false))
	}
	checkStories(t, other, otherLib, want)
	checkStories(t, follower, lib, want)
}

// TestBackfillStoriesPostgres: on the PostgreSQL library too the backfill
// stores the stories an ingest assigns (through its story-only put), and
// skips while another process holds its lock.
func TestBackfillStoriesPostgres(t *testing.T) {
	ctx := context.Background()
	arts := backfillArticles()
	want := ingestedStories(t, arts)
	dbURL, _ := pgtest.Schema(t)
	open := func() *postgres.Library {
		lib, err := postgres.Open(ctx, dbURL)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { lib.Close() })
		return lib
	}
	lib := open()
	old, err := New(ctx, lib, Config{Logger: quietLogger(), NoStories: true})
	if err != nil {
		t.Fatal(err)
	}
	addAll(t, old, arts)
	e, err := New(ctx, lib, Config{Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	_, unlock, err := open().TryLock(ctx, StoriesBackfillLock)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := e.BackfillStories(ctx); !errors.Is(err, corpus.ErrLocked) || n != 0 {
		t.Fatalf("BackfillStories with the lock held elsewhere = %d, %v; want 0 and ErrLocked", n, err)
	}
	unlock()
	if n, err := e.BackfillStories(ctx); err != nil || n != len(arts) {
		t.Fatalf("BackfillStories = %d, %v; want %d, nil", n, err, len(arts))
	}
	checkStories(t, e, lib, want)
	if n, err := e.BackfillStories(ctx); err != nil || n != 0 {
		t.Errorf("second BackfillStories = %d, %v; want 0, nil", n, err)
	}
}
