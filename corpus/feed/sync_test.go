package feed_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/attache-bot/attache/corpus"
	"github.com/attache-bot/attache/corpus/feed"
	"github.com/attache-bot/attache/corpus/feed/feedtest"
	"github.com/attache-bot/attache/corpus/lang"
	"github.com/attache-bot/attache/retrieval"
)

var now = time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)

type fixture struct {
	srv    *feedtest.Server
	lib    *corpus.Library
	engine *retrieval.Engine
	sync   *feed.Syncer
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	lib, err := corpus.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lib.Close() })
	engine, err := retrieval.New(ctx, lib, retrieval.Config{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	fetcher := corpus.NewFetcher(corpus.FetchOptions{AllowPrivate: true, Timeout: 2 * time.Second})
	return &fixture{
		srv:    feedtest.New(t),
		lib:    lib,
		engine: engine,
		sync: &feed.Syncer{Library: lib, Client: feed.NewClient(fetcher, feed.Options{Now: func() time.Time { return now }}),
			Pages: fetcher, Add: engine.Add, Now: func() time.Time { return now }},
	}
}

func (fx *fixture) subscribe(t *testing.T, scope, path string) corpus.Feed {
	t.Helper()
	f, err := fx.lib.AddFeed(context.Background(), corpus.Feed{Scope: scope, URL: fx.srv.URLOf(path)}, 0)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// poll polls the stored feed (with its saved state) once.
func (fx *fixture) poll(t *testing.T, id string) feed.Report {
	t.Helper()
	f, err := fx.lib.Feed(context.Background(), "", id)
	if err != nil {
		t.Fatal(err)
	}
	return fx.sync.Poll(context.Background(), f)
}

func (fx *fixture) count(t *testing.T) int {
	t.Helper()
	n, err := fx.lib.Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func paras(text string) string {
	return "<p>" + strings.ReplaceAll(text, "\n\n", "</p><p>") + "</p>"
}

func counts(r feed.Report) [4]int { return [4]int{r.Added, r.Updated, r.Unchanged, r.Rejected} }

// TestSyncAddsUpdatesAndDeduplicates follows one feed over several polls:
// full content and page-fetched items become articles with the right
// outlet and date; an unchanged feed is a 304; a changed item updates its
// article in place; the same story under a second URL, GUID or feed is
// stored once per scope.
func TestSyncAddsUpdatesAndDeduplicates(t *testing.T) {
	fx := newFixture(t)
	ctx := context.Background()
	story := []string{feedtest.Story(1, 300), feedtest.Story(2, 300), feedtest.Story(3, 300)}
	fx.srv.Set("/page/4", feedtest.Doc{ContentType: "text/html; charset=utf-8",
		Body: feedtest.Page("Harbour strike ends", "Harbour Herald", now.Add(-48*time.Hour), strings.Split(feedtest.Story(4, 300), "\n\n")...)})
	entries := []feedtest.Entry{
		{GUID: "g1", Link: "/a/1", Title: "Budget passes", Content: paras(story[0]), Published: now.Add(-3 * time.Hour)},
		{GUID: "g2", Link: "/a/2", Title: "Floods recede", Content: paras(story[1]), Published: now.Add(-2 * time.Hour)},
		{GUID: "g3", Link: "/a/3", Title: "Rates held", Content: paras(story[2])}, // no date
		{GUID: "g4", Link: "/page/4", Title: "Harbour strike ends", Summary: "Dock workers return on Monday."},
	}
	fx.srv.Set("/rss", feedtest.Doc{ContentType: "application/rss+xml", Body: feedtest.RSS("The Daily Test", fx.srv.URL+"/", entries...)})
	f := fx.subscribe(t, corpus.SharedScope, "/rss")

	r := fx.poll(t, f.ID)
	if r.Status != feed.StatusOK || counts(r) != [4]int{4, 0, 0, 0} {
		t.Fatalf("first poll: %+v", r)
	}
	list, _ := fx.lib.List(ctx)
	byTitle := map[string]corpus.Summary{}
	for _, s := range list {
		byTitle[s.Title] = s
	}
	if s := byTitle["Budget passes"]; s.Source != "The Daily Test" || !s.Published.Equal(time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("a full-content item: %+v", s)
	}
	if s := byTitle["Rates held"]; s.Published.IsZero() {
		t.Errorf("an undated item should be dated the day it is first seen: %+v", s)
	}
	if s := byTitle["Harbour strike ends"]; s.Source != "Harbour Herald" || !s.Published.Equal(time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("a summary item takes its page's outlet and date: %+v", s)
	}
	got, err := fx.lib.Get(ctx, byTitle["Harbour strike ends"].ID)
	if err != nil || !strings.Contains(got.Body, strings.Fields(feedtest.Story(4, 300))[5]) || strings.Contains(got.Body, "Copyright") {
		t.Errorf("the page's article text should be the body: %v %.200q", err, got.Body)
	}

	r = fx.poll(t, f.ID)
	if r.Status != feed.StatusNotModified || fx.srv.NotModified.Load() != 1 {
		t.Fatalf("an unchanged feed: %+v (304s: %d)", r, fx.srv.NotModified.Load())
	}

	// A correction to item 1, a republished copy of item 2 under a new
	// URL and GUID with a lede added, item 3 under a second GUID.
	corrected := story[0] + "\n\nCorrection: an earlier version misstated the size of the package."
	entries[0].Content, entries[0].Updated = paras(corrected), now.Add(-time.Hour)
	entries = append(entries,
		feedtest.Entry{GUID: "g5", Link: "/b/floods", Title: "Floodwaters recede (updated)", Content: paras("NORTH (Wire) - Officials said on Saturday.\n\n" + story[1])},
		feedtest.Entry{GUID: "g3-again", Link: "/a/3", Title: "Rates held", Content: paras(story[2])})
	fx.srv.Set("/rss", feedtest.Doc{ContentType: "application/rss+xml", Body: feedtest.RSS("The Daily Test", fx.srv.URL+"/", entries...)})
	before := fx.count(t)
	r = fx.poll(t, f.ID)
	if r.Status != feed.StatusOK || counts(r) != [4]int{0, 1, 5, 0} || fx.count(t) != before {
		t.Fatalf("after a correction and two duplicates: %+v, %d articles (was %d)", r, fx.count(t), before)
	}
	if n := fx.srv.Hits("/page/4"); n != 1 {
		t.Errorf("the page of an unchanged item was fetched %d times, want once", n)
	}
	got, _ = fx.lib.Get(ctx, byTitle["Budget passes"].ID)
	if !strings.Contains(got.Body, "Correction: an earlier version") {
		t.Errorf("the corrected item did not update its article: %.100q", got.Body)
	}
	term, _ := lang.Term("misstated")
	df, err := fx.lib.FullText().DocFreq(ctx, []string{term})
	if err != nil || df[term] != 1 {
		t.Errorf("the correction's text is not searchable: %v %v", df, err)
	}

	// A second feed of the shared scope carrying item 1, and a guild's
	// feed carrying it too: one more article, the guild's own.
	fx.srv.Set("/other", feedtest.Doc{ContentType: "application/atom+xml", Body: feedtest.Atom("Other", fx.srv.URL+"/", entries[0])})
	other := fx.subscribe(t, corpus.SharedScope, "/other")
	guild := fx.subscribe(t, "123456789012345678", "/other")
	if r := fx.poll(t, other.ID); counts(r) != [4]int{0, 0, 1, 0} {
		t.Errorf("the same item in another feed of the scope: %+v", r)
	}
	if r := fx.poll(t, guild.ID); counts(r) != [4]int{1, 0, 0, 0} {
		t.Errorf("the same item in a guild's feed: %+v", r)
	}
	if n := fx.count(t); n != before+1 {
		t.Errorf("%d articles, want %d", n, before+1)
	}
	feeds, _ := fx.lib.Feeds(ctx, corpus.SharedScope)
	if len(feeds) != 2 || feeds[0].Articles != 4 || feeds[0].LastOK.IsZero() || feeds[0].ETag == "" {
		t.Errorf("feed health: %+v", feeds)
	}
}

// TestSyncFailuresAndRemoval: a failing feed counts consecutive failures
// and keeps its error until a success; a 429 sets when to retry; a feed
// removed while it is being polled stops cleanly, its stored articles
// whole.
func TestSyncFailuresAndRemoval(t *testing.T) {
	fx := newFixture(t)
	ctx := context.Background()
	fx.sync.Backoff = func(n int) time.Duration { return time.Duration(n) * time.Minute }
	fx.srv.Set("/f", feedtest.Doc{Status: 500})
	f := fx.subscribe(t, corpus.SharedScope, "/f")
	for i := 1; i <= 2; i++ {
		r := fx.poll(t, f.ID)
		var se *feed.StatusError
		if r.Status != feed.StatusFailed || !errors.As(r.Err, &se) || !r.RetryAt.Equal(now.Add(time.Duration(i)*time.Minute)) {
			t.Fatalf("poll %d of a failing feed: %+v", i, r)
		}
	}
	got, _ := fx.lib.Feed(ctx, "", f.ID)
	if got.Failures != 2 || !strings.Contains(got.LastError, "500") || got.LastOK.IsZero() == false {
		t.Errorf("after two failures: %+v", got)
	}
	fx.srv.Set("/f", feedtest.Doc{Status: 429, RetryAfter: "3600"})
	if r := fx.poll(t, f.ID); !errors.Is(r.Err, feed.ErrRetryLater) || !r.RetryAt.Equal(now.Add(time.Hour)) {
		t.Errorf("a 429 with Retry-After: %+v", r)
	}

	// Items whose pages remove the feed when fetched: the poll stops at
	// the first item stored after that.
	var es []feedtest.Entry
	for i := range 5 {
		p := "/p/" + string(rune('a'+i))
		fx.srv.Handle(p, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if i == 2 {
				fx.lib.RemoveFeed(context.Background(), "", f.ID)
			}
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Write(feedtest.Page("Story "+p, "Outlet", now, strings.Split(feedtest.Story(uint64(100+i), 200), "\n\n")...))
		}))
		es = append(es, feedtest.Entry{GUID: p, Link: p, Title: "Story " + p, Summary: "short"})
	}
	fx.srv.Set("/f", feedtest.Doc{ContentType: "application/rss+xml", Body: feedtest.RSS("F", fx.srv.URL, es...)})
	r := fx.poll(t, f.ID)
	if r.Status != feed.StatusFailed || !strings.Contains(r.Err.Error(), "removed") || r.Added != 2 {
		t.Errorf("a feed removed during its poll: %+v", r)
	}
	if _, err := fx.lib.Feed(ctx, "", f.ID); !errors.Is(err, corpus.ErrNotFound) {
		t.Errorf("the feed is still there: %v", err)
	}
	if n := fx.count(t); n < 2 || n > 3 {
		t.Errorf("%d articles after the removal, want the 2 recorded (and at most the one in flight)", n)
	}
}

// TestSyncRefusesPrivatePages: an item whose link leads to a private
// address is not fetched (the feed itself is on a public address here),
// and a poll of a feed carrying hostile items still stores the good ones.
func TestSyncRefusesPrivatePages(t *testing.T) {
	fx := newFixture(t)
	private := feedtest.New(t)
	private.Set("/secret", feedtest.Doc{ContentType: "text/html", Body: feedtest.Page("Secret", "Intranet", now, feedtest.Story(9, 200))})
	// Pages through a strict fetcher: only the feed server's own address
	// stands for the public internet.
	fx.sync.Pages = corpus.NewFetcher(corpus.FetchOptions{Timeout: 2 * time.Second})
	good := feedtest.Entry{GUID: "good", Link: "/good", Title: "Good", Content: paras(feedtest.Story(5, 200))}
	fx.srv.Set("/f", feedtest.Doc{ContentType: "application/rss+xml", Body: feedtest.RSS("F", fx.srv.URL,
		good,
		feedtest.Entry{GUID: "meta", Link: "http://169.254.169.254/latest/meta-data/", Title: "Metadata", Summary: "short"},
		feedtest.Entry{GUID: "lan", Link: private.URLOf("/secret"), Title: "Intranet", Summary: "short"},
		feedtest.Entry{GUID: "js", Link: "javascript:alert(1)", Title: "Script", Summary: "<script>alert(1)</script>"},
	)})
	f := fx.subscribe(t, corpus.SharedScope, "/f")
	r := fx.poll(t, f.ID)
	if r.Status != feed.StatusOK || r.Added != 1 || r.Rejected != 2 {
		t.Errorf("poll: %+v, want the good item added and the two private pages rejected", r)
	}
	if n := private.Requests.Load(); n != 0 {
		t.Errorf("the private server got %d requests", n)
	}
	if n := fx.count(t); n != 1 {
		t.Errorf("%d articles, want 1", n)
	}
}
