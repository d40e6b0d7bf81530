package feed_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/attache-bot/attache/corpus"
	"github.com/attache-bot/attache/corpus/feed"
	"github.com/attache-bot/attache/corpus/feed/feedtest"
)

// clock is a fake clock the test moves.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }

// waitReports collects n poll reports, sorted by feed URL.
func waitReports(t *testing.T, ch <-chan feed.Report, n int) []feed.Report {
	t.Helper()
	var out []feed.Report
	timeout := time.After(10 * time.Second)
	for len(out) < n {
		select {
		case r := <-ch:
			out = append(out, r)
		case <-timeout:
			t.Fatalf("%d of %d polls reported: %+v", len(out), n, out)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].URL < out[j].URL })
	return out
}

func statuses(rs []feed.Report) string {
	s := ""
	for _, r := range rs {
		s += fmt.Sprintf("%s=%s ", r.URL[len(r.URL)-1:], r.Status)
	}
	return s
}

// TestSchedulerSchedule: feeds are polled when due, with conditional GETs;
// a 429's Retry-After and the backoff after failures hold a feed back; Run
// stops when its context ends and leaves no poll running.
func TestSchedulerSchedule(t *testing.T) {
	fx := newFixture(t)
	t0 := now
	clk := &clock{t: t0}
	fx.srv.Set("/a", feedtest.Doc{ContentType: "application/rss+xml", Body: feedtest.RSS("A", fx.srv.URL,
		feedtest.Entry{GUID: "1", Link: "/1", Title: "One", Content: paras(feedtest.Story(1, 200))})})
	fx.srv.Set("/b", feedtest.Doc{Status: 429, RetryAfter: "3600"})
	fx.srv.Set("/c", feedtest.Doc{Status: 500})
	for _, p := range []string{"/a", "/b", "/c"} {
		fx.subscribe(t, corpus.SharedScope, p)
	}
	reports := make(chan feed.Report, 16)
	wake := make(chan time.Time)
	s := &feed.Scheduler{Syncer: fx.sync, Interval: 15 * time.Minute, Parallel: 2, Now: clk.Now, Wake: wake,
		OnPoll: func(r feed.Report) { reports <- r }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()

	if got := statuses(waitReports(t, reports, 3)); got != "a=ok b=error c=error " {
		t.Fatalf("first round: %s", got)
	}
	clk.Set(t0.Add(17 * time.Minute)) // a and c due (c's backoff is one interval), b held by Retry-After
	wake <- clk.Now()
	if got := statuses(waitReports(t, reports, 2)); got != "a=not_modified c=error " {
		t.Fatalf("after 17 minutes: %s", got)
	}
	clk.Set(t0.Add(40 * time.Minute)) // a due again; c backs off 30 minutes (until 47); b until 60
	wake <- clk.Now()
	if got := statuses(waitReports(t, reports, 1)); got != "a=not_modified " {
		t.Fatalf("after 40 minutes: %s", got)
	}
	fx.srv.Set("/b", feedtest.Doc{ContentType: "application/atom+xml", Body: feedtest.Atom("B", fx.srv.URL)})
	clk.Set(t0.Add(61 * time.Minute))
	wake <- clk.Now()
	if got := statuses(waitReports(t, reports, 3)); got != "a=not_modified b=ok c=error " {
		t.Fatalf("after 61 minutes: %s", got)
	}
	wake <- clk.Now() // nothing is due: the round ends without a poll
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
	if len(reports) != 0 {
		t.Errorf("unexpected polls: %+v", <-reports)
	}
	if n := fx.srv.Conditional.Load(); n < 3 {
		t.Errorf("%d conditional requests, want one per poll of a after the first", n)
	}
}

// TestSchedulerParallelAndShutdown: at most Parallel polls at once, and a
// shutdown during polls that hang ends them.
func TestSchedulerParallelAndShutdown(t *testing.T) {
	fx := newFixture(t)
	var active, most atomic.Int32
	entered := make(chan struct{}, 10)
	for i := range 5 {
		p := fmt.Sprintf("/hang%d", i)
		fx.srv.Handle(p, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n := active.Add(1)
			defer active.Add(-1)
			for {
				m := most.Load()
				if n <= m || most.CompareAndSwap(m, n) {
					break
				}
			}
			entered <- struct{}{}
			<-r.Context().Done() // hangs until the client gives up
		}))
		fx.subscribe(t, corpus.SharedScope, p)
	}
	var logs bytes.Buffer // read once Run has returned
	s := &feed.Scheduler{Syncer: fx.sync, Parallel: 2, Now: func() time.Time { return now }, Wake: make(chan time.Time),
		Logger: slog.New(slog.NewTextHandler(&logs, nil))}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	for range 2 {
		select {
		case <-entered:
		case <-time.After(10 * time.Second):
			t.Fatal("the polls did not start")
		}
	}
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not stop its hanging polls on shutdown")
	}
	if m := most.Load(); m > 2 {
		t.Errorf("%d polls at once, want at most 2", m)
	}
	if strings.Contains(logs.String(), "level=WARN") {
		t.Errorf("polls cut short by shutdown are reported as failures:\n%s", logs.String())
	}
	feeds, _ := fx.lib.Feeds(context.Background(), "")
	for _, f := range feeds {
		if f.Failures != 0 {
			t.Errorf("a poll cut short by shutdown counted as a failure: %+v", f)
		}
	}
}

func TestBackoff(t *testing.T) {
	i := 15 * time.Minute
	for n, want := range map[int]time.Duration{1: i, 2: 2 * i, 3: 4 * i, 5: 16 * i, 10: 6 * time.Hour} {
		if got := feed.Backoff(i, n); got != want {
			t.Errorf("Backoff(%s, %d) = %s, want %s", i, n, got, want)
		}
	}
}
