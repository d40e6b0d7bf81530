package feed_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/attache-bot/attache/corpus"
	"github.com/attache-bot/attache/corpus/feed"
	"github.com/attache-bot/attache/corpus/feed/feedtest"
	"github.com/attache-bot/attache/corpus/postgres"
	"github.com/attache-bot/attache/corpus/postgres/pgtest"
	"github.com/attache-bot/attache/retrieval"
)

// sharedLibrary is a library store and how to open another handle on it,
// as another process would.
type sharedLibrary struct {
	name string
	open func(t *testing.T) corpus.Backend
}

// sharedLibraries are both libraries: two handles on one SQLite data
// directory, and on one PostgreSQL schema.
func sharedLibraries(t *testing.T) []sharedLibrary {
	dir := t.TempDir()
	dbURL, _ := pgtest.Schema(t)
	closing := func(t *testing.T, lib corpus.Backend, err error) corpus.Backend {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { lib.Close() })
		return lib
	}
	return []sharedLibrary{
		{"sqlite", func(t *testing.T) corpus.Backend {
			lib, err := corpus.Open(context.Background(), dir)
			return closing(t, lib, err)
		}},
		{"postgres", func(t *testing.T) corpus.Backend {
			lib, err := postgres.Open(context.Background(), dbURL)
			return closing(t, lib, err)
		}},
	}
}

// syncerOn is a Syncer storing into lib through an engine of its own.
func syncerOn(t *testing.T, lib corpus.Backend) *feed.Syncer {
	t.Helper()
	engine, err := retrieval.New(context.Background(), lib, retrieval.Config{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	fetcher := corpus.NewFetcher(corpus.FetchOptions{AllowPrivate: true, Timeout: 5 * time.Second})
	return &feed.Syncer{Library: lib, Client: feed.NewClient(fetcher, feed.Options{Now: func() time.Time { return now }}),
		Pages: fetcher, Add: engine.Add}
}

// gatedFeed serves an RSS feed of one item at path through a Gate.
func gatedFeed(srv *feedtest.Server, path string) (fetching <-chan struct{}, release chan<- struct{}) {
	srv.Set(path, feedtest.Doc{ContentType: "application/rss+xml", Body: feedtest.RSS("Gated", srv.URL,
		feedtest.Entry{GUID: "1", Link: "/1", Title: "One", Content: paras(feedtest.Story(7, 200))})})
	return srv.Gate(path)
}

// gated is a gated feed (gatedFeed) subscribed in a shared library, and
// two handles on that library.
type gated struct {
	srv        *feedtest.Server
	fetching   <-chan struct{}
	release    chan<- struct{}
	libA, libB corpus.Backend
	feed       corpus.Feed
}

func newGated(t *testing.T, sl sharedLibrary) gated {
	t.Helper()
	g := gated{srv: feedtest.New(t), libA: sl.open(t), libB: sl.open(t)}
	g.fetching, g.release = gatedFeed(g.srv, "/gated")
	var err error
	if g.feed, err = g.libA.AddFeed(context.Background(), corpus.Feed{Scope: corpus.SharedScope, URL: g.srv.URLOf("/gated")}, 0); err != nil {
		t.Fatal(err)
	}
	return g
}

func wait[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(30 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		var zero T
		return zero
	}
}

// runScheduler runs s until the test ends (or stop is called).
func runScheduler(t *testing.T, s *feed.Scheduler) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	stop = func() {
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Error("Run did not return after its context ended")
		}
	}
	t.Cleanup(stop)
	return stop
}

// TestSchedulersPollOnce: two schedulers on two handles of one library
// (as two processes of a deployment) fetch a due feed once per due
// time: the one that finds it locked skips it.
func TestSchedulersPollOnce(t *testing.T) {
	for _, sl := range sharedLibraries(t) {
		t.Run(sl.name, func(t *testing.T) {
			g := newGated(t, sl)
			srv, fetching, release, libA, libB, f := g.srv, g.fetching, g.release, g.libA, g.libB, g.feed
			clk := &clock{t: now}
			polls, skips := make(chan feed.Report, 8), make(chan error, 8)
			wakes := [2]chan time.Time{make(chan time.Time), make(chan time.Time)}
			for i, lib := range []corpus.Backend{libA, libB} {
				runScheduler(t, &feed.Scheduler{Syncer: syncerOn(t, lib), Interval: 15 * time.Minute, Now: clk.Now, Wake: wakes[i],
					OnPoll: func(r feed.Report) { polls <- r }, OnSkip: func(_ string, err error) { skips <- err }})
			}
			for round := range 3 {
				if round > 0 {
					clk.Set(now.Add(time.Duration(round) * 20 * time.Minute))
					wakes[0] <- clk.Now()
					wakes[1] <- clk.Now()
				}
				// One fetches (and is held there); the other finds the
				// feed due but locked.
				wait(t, fetching, "a fetch")
				if err := wait(t, skips, "the other scheduler's skip"); !errors.Is(err, corpus.ErrLocked) {
					t.Fatalf("round %d: skipped with %v, want ErrLocked", round, err)
				}
				release <- struct{}{}
				if r := wait(t, polls, "the poll"); r.Err != nil || r.FeedID != f.ID {
					t.Fatalf("round %d: poll %+v", round, r)
				}
				if n := srv.Hits("/gated"); n != round+1 {
					t.Fatalf("round %d: %d fetches, want %d", round, n, round+1)
				}
			}
			got, err := libB.Feed(context.Background(), "", f.ID)
			if err != nil || got.LastOK.IsZero() || got.Failures != 0 {
				t.Fatalf("feed after the polls: %+v, %v", got, err)
			}
		})
	}
}

// TestPollOnceRereads: a process that listed a feed as due before
// another polled it reads it again under the lock and does not poll it.
func TestPollOnceRereads(t *testing.T) {
	for _, sl := range sharedLibraries(t) {
		t.Run(sl.name, func(t *testing.T) {
			ctx := context.Background()
			srv := feedtest.New(t)
			srv.Set("/a", feedtest.Doc{ContentType: "application/rss+xml", Body: feedtest.RSS("A", srv.URL,
				feedtest.Entry{GUID: "1", Link: "/1", Title: "One", Content: paras(feedtest.Story(3, 200))})})
			libA, libB := sl.open(t), sl.open(t)
			if _, err := libA.AddFeed(ctx, corpus.Feed{Scope: corpus.SharedScope, URL: srv.URLOf("/a")}, 0); err != nil {
				t.Fatal(err)
			}
			listed, err := libB.Feeds(ctx, "")
			if err != nil || len(listed) != 1 {
				t.Fatalf("Feeds = %v, %v", listed, err)
			}
			s := &feed.Scheduler{Interval: 15 * time.Minute}
			due := func(f corpus.Feed) bool { return s.Due(f, now) }
			if r, polled, err := syncerOn(t, libA).PollOnce(ctx, listed[0], due); !polled || err != nil || r.Status != feed.StatusOK {
				t.Fatalf("first PollOnce = %+v, %v, %v", r, polled, err)
			}
			if _, polled, err := syncerOn(t, libB).PollOnce(ctx, listed[0], due); polled || !errors.Is(err, feed.ErrNotDue) {
				t.Fatalf("PollOnce of the stale listing = %v, %v; want ErrNotDue", polled, err)
			}
			if n := srv.Hits("/a"); n != 1 {
				t.Fatalf("%d fetches, want 1", n)
			}
			// Without a due check (feed poll), it polls.
			if r, polled, err := syncerOn(t, libB).PollOnce(ctx, listed[0], nil); !polled || err != nil || r.Status != feed.StatusNotModified {
				t.Fatalf("PollOnce without due = %+v, %v, %v", r, polled, err)
			}
			if err := libA.RemoveFeed(ctx, "", listed[0].ID); err != nil {
				t.Fatal(err)
			}
			if _, polled, err := syncerOn(t, libB).PollOnce(ctx, listed[0], nil); polled || !errors.Is(err, corpus.ErrNotFound) {
				t.Fatalf("PollOnce of a removed feed = %v, %v; want ErrNotFound", polled, err)
			}
		})
	}
}

// TestPollerStoppedMidPoll: a scheduler stopped while it polls (its
// context ended, as when its process stops) records nothing and frees
// the feed's lock, and the other scheduler polls the feed at its next
// due check.
func TestPollerStoppedMidPoll(t *testing.T) {
	for _, sl := range sharedLibraries(t) {
		t.Run(sl.name, func(t *testing.T) {
			g := newGated(t, sl)
			fetching, libA, libB := g.fetching, g.libA, g.libB
			polls, skips := make(chan feed.Report, 8), make(chan error, 8)
			stopA := runScheduler(t, &feed.Scheduler{Syncer: syncerOn(t, libA), Now: func() time.Time { return now },
				Wake: make(chan time.Time), OnPoll: func(r feed.Report) { polls <- r }})
			wait(t, fetching, "A's fetch")
			wakeB := make(chan time.Time)
			runScheduler(t, &feed.Scheduler{Syncer: syncerOn(t, libB), Now: func() time.Time { return now }, Wake: wakeB,
				OnPoll: func(r feed.Report) { polls <- r }, OnSkip: func(_ string, err error) { skips <- err }})
			if err := wait(t, skips, "B's skip"); !errors.Is(err, corpus.ErrLocked) {
				t.Fatalf("B skipped with %v, want ErrLocked", err)
			}
			stopA()
			if r := wait(t, polls, "A's cut poll"); r.Err == nil {
				t.Fatalf("A's poll cut short reported no error: %+v", r)
			}
			wakeB <- now // the feed is still due: nothing was recorded
			wait(t, fetching, "B's fetch")
			// Opened, not released once: A's cut request may still be
			// held at the server and would take a single release.
			g.srv.Open("/gated")
			if r := wait(t, polls, "B's poll"); r.Err != nil || r.Added != 1 {
				t.Fatalf("B's poll: %+v", r)
			}
		})
	}
}

// TestPollStopsWhenTheLockIsLost: a poll whose lock goes (here its
// library handle closes; in PostgreSQL also when the server ends the
// lock's session) stops, records nothing and says why.
func TestPollStopsWhenTheLockIsLost(t *testing.T) {
	for _, sl := range sharedLibraries(t) {
		t.Run(sl.name, func(t *testing.T) {
			g := newGated(t, sl)
			polls := make(chan feed.Report, 8)
			runScheduler(t, &feed.Scheduler{Syncer: syncerOn(t, g.libA), Now: func() time.Time { return now },
				Wake: make(chan time.Time), OnPoll: func(r feed.Report) { polls <- r }})
			wait(t, g.fetching, "the fetch")
			g.libA.Close()
			if r := wait(t, polls, "the poll"); !errors.Is(r.Err, corpus.ErrLockLost) {
				t.Fatalf("the poll whose lock was lost: %+v, want ErrLockLost", r)
			}
			got, err := g.libB.Feed(context.Background(), "", g.feed.ID)
			if err != nil || !got.LastPolled.IsZero() || got.Failures != 0 {
				t.Fatalf("the feed after the lost poll: %+v, %v; want nothing recorded", got, err)
			}
		})
	}
}

// TestSchedulerPollsOnlyWhatItIsGiven: a scheduler whose Polls refuses a
// feed's scope (a shard that does not hold it) never fetches that feed,
// and polls the ones it accepts.
func TestSchedulerPollsOnlyWhatItIsGiven(t *testing.T) {
	srv := feedtest.New(t)
	lib, err := corpus.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lib.Close() })
	const mine, theirs = "111111111111111111", "222222222222222222"
	for _, scope := range []string{mine, theirs} {
		path := "/" + scope
		srv.Set(path, feedtest.Doc{ContentType: "application/rss+xml", Body: feedtest.RSS("Desk "+scope, srv.URL,
			feedtest.Entry{GUID: scope, Link: "/story-" + scope, Title: "Story " + scope, Content: paras(feedtest.Story(uint64(scope[0]), 200))})})
		if _, err := lib.AddFeed(context.Background(), corpus.Feed{Scope: scope, URL: srv.URLOf(path)}, 0); err != nil {
			t.Fatal(err)
		}
	}
	polls := make(chan feed.Report, 8)
	wake := make(chan time.Time)
	stop := runScheduler(t, &feed.Scheduler{Syncer: syncerOn(t, lib), Now: func() time.Time { return now }, Wake: wake,
		Polls: func(f corpus.Feed) bool { return f.Scope == mine }, OnPoll: func(r feed.Report) { polls <- r }})
	if r := wait(t, polls, "the poll of the accepted feed"); r.Err != nil || r.Added != 1 {
		t.Fatalf("poll: %+v", r)
	}
	wake <- now // a second look at the feeds: the refused one is still due
	stop()
	if n := srv.Hits("/" + theirs); n != 0 {
		t.Errorf("the feed of a scope the scheduler does not poll was fetched %d times", n)
	}
	if n := srv.Hits("/" + mine); n != 1 {
		t.Errorf("the accepted feed was fetched %d times, want once", n)
	}
}
