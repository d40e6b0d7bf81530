package feed

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/attache-bot/attache/corpus"
	"github.com/attache-bot/attache/corpus/feed/feedtest"
)

var now = time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)

func testClient(timeout time.Duration) *Client {
	f := corpus.NewFetcher(corpus.FetchOptions{AllowPrivate: true, Timeout: timeout})
	return NewClient(f, Options{Now: func() time.Time { return now }})
}

func paras(paragraphs ...string) string {
	return "<p>" + strings.Join(paragraphs, "</p><p>") + "</p>"
}

// TestPollFormats: RSS, Atom and JSON feeds give the same items: full
// content as the article, a summary marked NeedsPage, dates, GUIDs, links.
func TestPollFormats(t *testing.T) {
	srv := feedtest.New(t)
	long := feedtest.Story(1, 200)
	entries := []feedtest.Entry{
		{GUID: "a-1", Link: "/news/one?utm_source=rss", Title: "Talks <b>resume</b> &amp; continue", Content: paras(strings.Split(long, "\n\n")...) + "<figure><img src=x><figcaption>Photo: AP</figcaption></figure><script>alert(1)</script>",
			Published: now.Add(-2 * time.Hour)},
		{GUID: "a-2", Link: srv.URLOf("/news/two"), Title: "Floods in the north", Summary: "Rescue teams reached the villages.",
			Published: now.Add(-time.Hour), Updated: now.Add(-30 * time.Minute)},
	}
	docs := map[string]feedtest.Doc{
		"/rss":  {ContentType: "application/rss+xml", Body: feedtest.RSS("The Daily Test", srv.URL+"/", entries...)},
		"/atom": {ContentType: "application/atom+xml", Body: feedtest.Atom("The Daily Test", srv.URL+"/", entries...)},
		"/json": {ContentType: "application/feed+json", Body: feedtest.JSON("The Daily Test", srv.URL+"/", entries...)},
	}
	c := testClient(2 * time.Second)
	for path, d := range docs {
		srv.Set(path, d)
		res, err := c.Poll(context.Background(), srv.URLOf(path), State{})
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if res.Title != "The Daily Test" || len(res.Items) != 2 {
			t.Fatalf("%s: title %q, %d items", path, res.Title, len(res.Items))
		}
		if path != "/json" && (res.State.ETag == "" || res.State.LastModified == "") {
			t.Errorf("%s: no validators kept: %+v", path, res.State)
		}
		two, one := res.Items[0], res.Items[1] // newest first
		if one.GUID != "a-1" || one.URL != srv.URLOf("/news/one") || one.Title != "Talks resume & continue" {
			t.Errorf("%s: first item %+v", path, one)
		}
		if one.NeedsPage || one.Text != long || strings.Contains(one.Text, "Photo") || strings.Contains(one.Text, "alert") {
			t.Errorf("%s: the full content should be the text, without caption or script; needs page %v, text %.80q", path, one.NeedsPage, one.Text)
		}
		if !one.Published.Equal(now.Add(-2*time.Hour)) || one.Outlet != "The Daily Test" {
			t.Errorf("%s: published %v outlet %q", path, one.Published, one.Outlet)
		}
		if !two.NeedsPage || two.Text != "Rescue teams reached the villages." {
			t.Errorf("%s: a summary-only item should need its page: %+v", path, two)
		}
		if !two.Updated.Equal(now.Add(-30 * time.Minute)) {
			t.Errorf("%s: updated %v", path, two.Updated)
		}
		a := one.Article()
		if a.Title != one.Title || a.Source != "The Daily Test" || a.URL != one.URL || a.Body != long {
			t.Errorf("%s: article %+v", path, a)
		}
	}
}

// TestPollConditional: the second poll sends the validators and a 304 is
// "not modified", not an error; a changed feed is read again.
func TestPollConditional(t *testing.T) {
	srv := feedtest.New(t)
	srv.Set("/f", feedtest.Doc{ContentType: "application/rss+xml", Body: feedtest.RSS("F", srv.URL, feedtest.Entry{GUID: "1", Title: "One", Summary: "x", Link: "/1"})})
	c := testClient(2 * time.Second)
	ctx := context.Background()
	first, err := c.Poll(ctx, srv.URLOf("/f"), State{})
	if err != nil {
		t.Fatal(err)
	}
	second, err := c.Poll(ctx, srv.URLOf("/f"), first.State)
	if err != nil || !second.NotModified || len(second.Items) != 0 || second.State != first.State {
		t.Fatalf("second poll: %+v, %v; want not modified with the same state", second, err)
	}
	if srv.Conditional.Load() != 1 || srv.NotModified.Load() != 1 {
		t.Errorf("conditional requests %d, 304s %d; want 1 and 1", srv.Conditional.Load(), srv.NotModified.Load())
	}
	srv.Set("/f", feedtest.Doc{ContentType: "application/rss+xml", Body: feedtest.RSS("F", srv.URL,
		feedtest.Entry{GUID: "2", Title: "Two", Summary: "y", Link: "/2"}, feedtest.Entry{GUID: "1", Title: "One", Summary: "x", Link: "/1"})})
	third, err := c.Poll(ctx, srv.URLOf("/f"), second.State)
	if err != nil || third.NotModified || len(third.Items) != 2 || third.State == first.State {
		t.Fatalf("after a change: %+v, %v", third, err)
	}
}

// TestPollErrors: every bad answer is a clear error of the right kind.
func TestPollErrors(t *testing.T) {
	srv := feedtest.New(t)
	hang := make(chan struct{})
	defer close(hang)
	srv.Handle("/hang", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-hang:
		case <-r.Context().Done():
		}
	}))
	srv.Handle("/huge", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		w.Write([]byte(`<?xml version="1.0"?><rss version="2.0"><channel><title>Huge</title>`))
		chunk := []byte(strings.Repeat("<item><title>x</title><description>padding padding</description></item>", 1000))
		for sent := 0; sent < 50<<20; sent += len(chunk) {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	srv.Set("/html", feedtest.Doc{ContentType: "text/html", Body: feedtest.Page("A page", "Outlet", now, "Not a feed.")})
	srv.Set("/text", feedtest.Doc{ContentType: "text/plain", Body: []byte("just some words")})
	srv.Set("/empty", feedtest.Doc{ContentType: "application/rss+xml", Body: nil})
	srv.Set("/binary", feedtest.Doc{ContentType: "application/octet-stream", Body: []byte{0x89, 'P', 'N', 'G', 0, 0, 1, 2}})
	full := feedtest.RSS("Cut", srv.URL, feedtest.Entry{GUID: "1", Title: "One", Summary: feedtest.Story(3, 100)})
	srv.Set("/truncated", feedtest.Doc{ContentType: "application/rss+xml", Body: full[:len(full)/2]})
	srv.Set("/badjson", feedtest.Doc{ContentType: "application/feed+json", Body: []byte(`{"version": "https://jsonfeed.org/version/1.1", "items": [{"id": `)})
	srv.Set("/laughs", feedtest.Doc{ContentType: "application/rss+xml", Body: []byte(`<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;"><!ENTITY lol9 "&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<rss version="2.0"><channel><title>&lol9;</title><item><title>&lol9;</title><description>&lol9;</description></item></channel></rss>`)})
	srv.Set("/500", feedtest.Doc{Status: 500})
	srv.Set("/404", feedtest.Doc{Status: 404})
	srv.Set("/429", feedtest.Doc{Status: 429, RetryAfter: "90"})
	srv.Set("/503", feedtest.Doc{Status: 503, RetryAfter: "30"})

	c := testClient(500 * time.Millisecond)
	ctx := context.Background()
	for path, want := range map[string]error{
		"/html": ErrNotAFeed, "/text": ErrNotAFeed, "/empty": ErrNotAFeed, "/binary": ErrNotAFeed,
		"/truncated": ErrNotAFeed, "/badjson": ErrNotAFeed, "/laughs": ErrNotAFeed,
		"/huge": corpus.ErrTooLarge, "/hang": corpus.ErrFetchTimeout, "/429": ErrRetryLater, "/503": ErrRetryLater,
	} {
		_, err := c.Poll(ctx, srv.URLOf(path), State{})
		if !errors.Is(err, want) {
			t.Errorf("%s: err = %v, want %v", path, err, want)
		}
	}
	_, err := c.Poll(ctx, srv.URLOf("/429"), State{})
	var re *RetryError
	if !errors.As(err, &re) || re.RetryAfter != 90*time.Second || re.Status != 429 {
		t.Errorf("429: %#v, want RetryAfter 90s", err)
	}
	for path, status := range map[string]int{"/500": 500, "/404": 404} {
		_, err := c.Poll(ctx, srv.URLOf(path), State{})
		var se *StatusError
		if !errors.As(err, &se) || se.Status != status || !strings.Contains(err.Error(), fmt.Sprint(status)) {
			t.Errorf("%s: err = %v, want a StatusError %d", path, err, status)
		}
	}
}

// TestPollRedirectToPrivateAddress: a public feed that redirects to a
// private address is refused like URL ingest, and the private server is
// never reached.
func TestPollRedirectToPrivateAddress(t *testing.T) {
	private := feedtest.New(t)
	private.Set("/secret", feedtest.Doc{ContentType: "application/rss+xml", Body: feedtest.RSS("Secret", private.URL)})
	public := feedtest.New(t)
	public.Handle("/feed", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, r.URL.Query().Get("to"), http.StatusFound)
	}))
	// The public server stands for a site on the internet: every name is
	// dialed to it, so only the checks on URLs (literal addresses in a
	// redirect) decide.
	addr := public.Listener.Addr().String()
	tr := &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}}
	defer tr.CloseIdleConnections()
	f := corpus.NewFetcher(corpus.FetchOptions{Timeout: 2 * time.Second, Transport: tr})
	c := NewClient(f, Options{})
	for _, to := range []string{private.URLOf("/secret"), "http://169.254.169.254/latest/meta-data/", "http://[::1]/"} {
		_, err := c.Poll(context.Background(), "http://news.example/feed?to="+url.QueryEscape(to), State{})
		if !errors.Is(err, corpus.ErrBlockedAddress) {
			t.Errorf("redirect to %s: err = %v, want ErrBlockedAddress", to, err)
		}
	}
	if n := private.Requests.Load(); n != 0 {
		t.Errorf("the private server got %d requests", n)
	}
}

// TestParseHostileAndOdd: encodings, relative links, missing GUIDs and
// dates, future dates, huge item counts.
func TestParseHostileAndOdd(t *testing.T) {
	c := NewClient(corpus.NewFetcher(corpus.FetchOptions{}), Options{Now: func() time.Time { return now }})

	t.Run("declared non-UTF-8 encoding", func(t *testing.T) {
		doc := []byte("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><rss version=\"2.0\"><channel><title>Le Caf\xe9</title>" +
			"<item><guid>1</guid><title>\xc9lections \xe0 Z\xfcrich</title><link>https://example.com/a</link><description>R\xe9sum\xe9</description></item></channel></rss>")
		res, err := c.Parse(doc, "https://example.com/feed")
		if err != nil {
			t.Fatal(err)
		}
		if res.Title != "Le Café" || len(res.Items) != 1 || res.Items[0].Title != "Élections à Zürich" || res.Items[0].Text != "Résumé" {
			t.Errorf("decoded wrongly: %q %+v", res.Title, res.Items)
		}
	})

	t.Run("relative links", func(t *testing.T) {
		doc := feedtest.RSS("Rel", "/", feedtest.Entry{GUID: "1", Title: "A", Link: "/2026/12/a.html", Summary: "s"},
			feedtest.Entry{GUID: "2", Title: "B", Link: "b.html#top", Summary: "s"},
			feedtest.Entry{GUID: "3", Title: "C", Link: "javascript:alert(1)", Summary: "s"})
		res, err := c.Parse(doc, "https://news.example/feeds/world.xml")
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, it := range res.Items {
			got[it.GUID] = it.URL
		}
		want := map[string]string{"1": "https://news.example/2026/12/a.html", "2": "https://news.example/b.html", "3": ""}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("item %s: URL %q, want %q", k, got[k], v)
			}
		}
		if res.Link != "https://news.example" {
			t.Errorf("feed link %q", res.Link)
		}
	})

	t.Run("no GUIDs or dates", func(t *testing.T) {
		doc := feedtest.RSS("Bare", "https://bare.example/",
			feedtest.Entry{Title: "Linked", Link: "https://bare.example/x", Summary: "s"},
			feedtest.Entry{Title: "Unlinked", Summary: "only text here"},
			feedtest.Entry{Title: "Unlinked", Summary: "only text here"}, // the same item twice
			feedtest.Entry{Summary: "no title but words enough to name it"})
		res, err := c.Parse(doc, "https://bare.example/feed")
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Items) != 3 {
			t.Fatalf("%d items, want 3: %+v", len(res.Items), res.Items)
		}
		guids := map[string]bool{}
		for _, it := range res.Items {
			if it.GUID == "" || guids[it.GUID] || !it.Published.IsZero() || it.Title == "" {
				t.Errorf("item %+v: want a unique GUID, no date, a title", it)
			}
			guids[it.GUID] = true
		}
		if res.Items[0].GUID != "https://bare.example/x" {
			t.Errorf("a linked item without guid is known by its link, got %q", res.Items[0].GUID)
		}
		again, _ := c.Parse(doc, "https://bare.example/feed")
		for i := range again.Items {
			if again.Items[i].GUID != res.Items[i].GUID {
				t.Errorf("GUIDs differ between two parses: %q %q", again.Items[i].GUID, res.Items[i].GUID)
			}
		}
	})

	t.Run("future dates", func(t *testing.T) {
		doc := feedtest.Atom("Future", "https://f.example/",
			feedtest.Entry{GUID: "soon", Title: "Soon", Summary: "s", Published: now.Add(2 * time.Hour)},
			feedtest.Entry{GUID: "far", Title: "Far", Summary: "s", Published: now.AddDate(1, 0, 0)})
		res, err := c.Parse(doc, "https://f.example/feed")
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range res.Items {
			switch it.GUID {
			case "soon":
				if !it.Published.Equal(now.Add(2 * time.Hour)) {
					t.Errorf("a date 2h ahead (within the skew) is kept, got %v", it.Published)
				}
			case "far":
				if !it.Published.IsZero() {
					t.Errorf("a date a year ahead is dropped, got %v", it.Published)
				}
			}
		}
	})

	t.Run("10000 items", func(t *testing.T) {
		var es []feedtest.Entry
		for i := range 10000 {
			es = append(es, feedtest.Entry{GUID: fmt.Sprint(i), Title: fmt.Sprint("Item ", i), Summary: "s",
				Published: now.Add(-time.Duration(10000-i) * time.Minute)})
		}
		res, err := c.Parse(feedtest.RSS("Many", "https://m.example/", es...), "https://m.example/feed")
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Items) != DefaultMaxItems || res.Dropped != 10000-DefaultMaxItems {
			t.Fatalf("%d items, %d dropped", len(res.Items), res.Dropped)
		}
		if res.Items[0].GUID != "9999" || res.Items[99].GUID != "9900" {
			t.Errorf("the newest items should be kept, newest first: %s..%s", res.Items[0].GUID, res.Items[99].GUID)
		}
	})

	t.Run("oversized document", func(t *testing.T) {
		small := NewClient(corpus.NewFetcher(corpus.FetchOptions{}), Options{MaxBytes: 100})
		if _, err := small.Parse(feedtest.RSS("x", "https://x.example/", feedtest.Entry{GUID: "1", Title: "t", Summary: feedtest.Story(1, 50)}), "https://x.example/"); !errors.Is(err, corpus.ErrTooLarge) {
			t.Errorf("err = %v, want ErrTooLarge", err)
		}
	})
}

// TestWakeEveryPollsOncePerInterval runs Run's looks for due feeds (one
// every wakeEvery(interval), each polling a due feed and recording the
// look's time as its poll) over ten intervals: the feed is polled about
// once an interval, never more than an interval, its jitter and one look
// after the previous poll, for the shortest intervals too (one look an
// interval polled those every two).
func TestWakeEveryPollsOncePerInterval(t *testing.T) {
	for _, interval := range []time.Duration{time.Second, time.Minute, DefaultInterval, 24 * time.Hour} {
		s := &Scheduler{Interval: interval}
		w := wakeEvery(interval)
		if w <= 0 || w > time.Minute {
			t.Errorf("interval %s: looks every %s", interval, w)
			continue
		}
		f := corpus.Feed{ID: "f-0123456789"}
		start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		var polls []time.Time
		for look := start; look.Before(start.Add(10 * interval)); look = look.Add(w) {
			if s.Due(f, look) {
				polls = append(polls, look)
				f.LastPolled = look
			}
		}
		if len(polls) < 8 { // every 1.35 intervals at the most
			t.Errorf("interval %s, a look every %s: %d polls in ten intervals", interval, w, len(polls))
		}
		for i := 1; i < len(polls); i++ {
			if gap := polls[i].Sub(polls[i-1]); gap < interval || gap > interval+interval/10+w {
				t.Errorf("interval %s: polls %s apart", interval, gap)
				break
			}
		}
	}
}
