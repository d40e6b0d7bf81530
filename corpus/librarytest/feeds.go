package librarytest

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/attache-bot/attache/corpus"
)

// FeedStore is what feed polling keeps in the library (corpus.FeedStore).
type FeedStore = corpus.FeedStore

// RunFeeds runs the feed-store cases against stores made by open, each
// new and empty, closed when the test ends.
func RunFeeds(t *testing.T, open func(t *testing.T) FeedStore) {
	t.Run("Subscriptions", func(t *testing.T) { testSubscriptions(t, open(t)) })
	t.Run("Polls", func(t *testing.T) { testPolls(t, open(t)) })
	t.Run("ItemsAndBands", func(t *testing.T) { testItems(t, open(t)) })
}

func testSubscriptions(t *testing.T, s FeedStore) {
	ctx := context.Background()
	f1, err := s.AddFeed(ctx, corpus.Feed{Scope: "g1", URL: "HTTPS://Example.com/feed.xml#top", Title: "Example\nNews", AddedAt: at("2026-01-01T00:00:00Z")}, 2)
	if err != nil {
		t.Fatalf("AddFeed: %v", err)
	}
	canon, _ := corpus.CanonicalURL("HTTPS://Example.com/feed.xml#top")
	if f1.URL != canon || f1.ID != corpus.FeedID("g1", canon) || strings.Contains(f1.Title, "\n") {
		t.Errorf("AddFeed = %+v; want the canonical URL %s, its id and a one-line title", f1, canon)
	}
	if _, err := s.AddFeed(ctx, corpus.Feed{Scope: "g1", URL: "https://example.com/feed.xml"}, 2); !errors.Is(err, corpus.ErrFeedExists) {
		t.Errorf("AddFeed of the same URL = %v, want ErrFeedExists", err)
	}
	f2, err := s.AddFeed(ctx, corpus.Feed{Scope: "g1", URL: "https://example.org/rss", AddedAt: at("2026-01-02T00:00:00Z")}, 2)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddFeed(ctx, corpus.Feed{Scope: "g1", URL: "https://example.net/rss"}, 2); !errors.Is(err, corpus.ErrTooManyFeeds) {
		t.Errorf("AddFeed past the limit = %v, want ErrTooManyFeeds", err)
	}
	other, err := s.AddFeed(ctx, corpus.Feed{Scope: "g2", URL: "https://example.com/feed.xml", AddedAt: at("2026-01-03T00:00:00Z")}, 2)
	if err != nil || other.ID == f1.ID {
		t.Errorf("another scope's subscription to the same URL = %+v, %v; want its own id", other, err)
	}
	for _, bad := range []string{"", "not a url", "ftp://example.com/x", "javascript:alert(1)"} {
		if _, err := s.AddFeed(ctx, corpus.Feed{Scope: "g3", URL: bad}, 2); err == nil {
			t.Errorf("AddFeed(%q): no error", bad)
		}
	}
	ids := func(fs []corpus.Feed) []string {
		var out []string
		for _, f := range fs {
			out = append(out, f.ID)
		}
		return out
	}
	if got, err := s.Feeds(ctx, "g1"); err != nil || !slices.Equal(ids(got), []string{f1.ID, f2.ID}) {
		t.Errorf("Feeds(g1) = %v, %v", ids(got), err)
	}
	if got, err := s.Feeds(ctx, ""); err != nil || !slices.Equal(ids(got), []string{f1.ID, f2.ID, other.ID}) {
		t.Errorf("Feeds() = %v, %v", ids(got), err)
	}
	if got, err := s.Feed(ctx, "g1", f1.ID); err != nil || got.URL != f1.URL || !got.AddedAt.Equal(f1.AddedAt) || !got.LastPolled.IsZero() {
		t.Errorf("Feed = %+v, %v", got, err)
	}
	if _, err := s.Feed(ctx, "g2", f1.ID); !errors.Is(err, corpus.ErrNotFound) {
		t.Errorf("Feed from another scope = %v, want ErrNotFound", err)
	}
	if err := s.RemoveFeed(ctx, "g2", f1.ID); !errors.Is(err, corpus.ErrNotFound) {
		t.Errorf("RemoveFeed from another scope = %v, want ErrNotFound", err)
	}
	if err := s.RemoveFeed(ctx, "g1", f1.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveFeed(ctx, "g1", f1.ID); !errors.Is(err, corpus.ErrNotFound) {
		t.Errorf("second RemoveFeed = %v", err)
	}
	if _, err := s.AddFeed(ctx, corpus.Feed{Scope: "g1", URL: "https://example.net/rss"}, 2); err != nil {
		t.Errorf("AddFeed after a removal made room: %v", err)
	}
}

func testPolls(t *testing.T, s FeedStore) {
	ctx := context.Background()
	f, err := s.AddFeed(ctx, corpus.Feed{Scope: "g1", URL: "https://example.com/feed"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range []string{"timeout", "HTTP 500\nwith a second line " + strings.Repeat("x", 2000)} {
		if err := s.SaveFeedPoll(ctx, f.ID, corpus.FeedPoll{At: at("2026-01-01T00:00:0" + string(rune('1'+i)) + "Z"), Err: e, RetryAt: at("2026-01-01T01:00:00Z")}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Feed(ctx, "", f.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Failures != 2 || strings.Contains(got.LastError, "\n") || len(got.LastError) > corpus.MaxFeedErrorBytes+8 ||
		!got.LastPolled.Equal(at("2026-01-01T00:00:02Z")) || !got.LastOK.IsZero() || !got.RetryAt.Equal(at("2026-01-01T01:00:00Z")) {
		t.Errorf("after two failures: %+v", got)
	}
	ok := corpus.FeedPoll{At: at("2026-01-02T00:00:00.5Z"), ETag: `"v1"`, LastModified: "Mon, 01 Jan 2026 00:00:00 GMT", Title: "Named now"}
	if err := s.SaveFeedPoll(ctx, f.ID, ok); err != nil {
		t.Fatal(err)
	}
	got, _ = s.Feed(ctx, "", f.ID)
	if got.Failures != 0 || got.LastError != "" || got.ETag != ok.ETag || got.LastModified != ok.LastModified ||
		got.Title != "Named now" || !got.LastOK.Equal(ok.At) || !got.LastPolled.Equal(ok.At) || !got.RetryAt.IsZero() {
		t.Errorf("after a success: %+v", got)
	}
	if err := s.SaveFeedPoll(ctx, f.ID, corpus.FeedPoll{At: at("2026-01-03T00:00:00Z")}); err != nil {
		t.Fatal(err)
	}
	if got, _ = s.Feed(ctx, "", f.ID); got.Title != "Named now" {
		t.Errorf("a success without a title changed it to %q", got.Title)
	}
	if err := s.SaveFeedPoll(ctx, "f-absent", corpus.FeedPoll{At: at("2026-01-03T00:00:00Z")}); !errors.Is(err, corpus.ErrNotFound) {
		t.Errorf("SaveFeedPoll of an absent feed = %v, want ErrNotFound", err)
	}
}

func testItems(t *testing.T, s FeedStore) {
	ctx := context.Background()
	f, err := s.AddFeed(ctx, corpus.Feed{Scope: "g1", URL: "https://example.com/feed"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	g, err := s.AddFeed(ctx, corpus.Feed{Scope: "g2", URL: "https://example.com/feed"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	when := at("2026-01-01T00:00:00Z")
	items := []corpus.FeedItem{
		{FeedID: f.ID, GUID: "1", URL: "https://example.com/a", ArticleID: "art-a@g1", Signature: "s1", Bands: []string{"b1", "b2", "b3"}},
		{FeedID: f.ID, GUID: "2", URL: "https://example.com/b", ArticleID: "art-b@g1", Signature: "s2", Bands: []string{"b3", "b4"}},
		{FeedID: f.ID, GUID: "3", URL: "https://example.com/c", Signature: "rejected"},
		{FeedID: g.ID, GUID: "1", URL: "https://example.com/a", ArticleID: "art-a@g2", Signature: "s1", Bands: []string{"b1", "b2"}},
	}
	for _, it := range items {
		if err := s.SaveFeedItem(ctx, it, when); err != nil {
			t.Fatalf("SaveFeedItem: %v", err)
		}
	}
	if got, ok, err := s.FeedItem(ctx, f.ID, "1"); err != nil || !ok || got.ArticleID != "art-a@g1" || !slices.Equal(got.Bands, items[0].Bands) || got.Signature != "s1" {
		t.Errorf("FeedItem = %+v, %v, %v", got, ok, err)
	}
	if _, ok, err := s.FeedItem(ctx, f.ID, "absent"); err != nil || ok {
		t.Errorf("FeedItem(absent) = %v, %v", ok, err)
	}
	if got, ok, err := s.FeedItemByURL(ctx, "g1", "https://example.com/a"); err != nil || !ok || got.ArticleID != "art-a@g1" {
		t.Errorf("FeedItemByURL(g1) = %+v, %v, %v", got, ok, err)
	}
	if _, ok, err := s.FeedItemByURL(ctx, "g1", "https://example.com/c"); err != nil || ok {
		t.Errorf("FeedItemByURL of a rejected item = %v, %v; want none (it is no article)", ok, err)
	}
	if _, ok, err := s.FeedItemByURL(ctx, "g1", ""); err != nil || ok {
		t.Errorf("FeedItemByURL(\"\") = %v, %v", ok, err)
	}
	if got, _ := s.Feed(ctx, "g1", f.ID); got.Articles != 2 {
		t.Errorf("the feed's article count = %d, want 2", got.Articles)
	}
	if got, err := s.BandCandidates(ctx, "g1", []string{"b1", "b3", "b9"}); err != nil || !slices.Equal(got, []string{"art-a@g1", "art-b@g1"}) {
		t.Errorf("BandCandidates = %v, %v; want the article sharing two bands first", got, err)
	}
	if got, err := s.BandCandidates(ctx, "g1", nil); err != nil || len(got) != 0 {
		t.Errorf("BandCandidates(nil) = %v, %v", got, err)
	}
	// An updated article's old bands stop matching.
	upd := items[0]
	upd.Bands, upd.Signature = []string{"b7"}, "s1b"
	if err := s.SaveFeedItem(ctx, upd, when.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.BandCandidates(ctx, "g1", []string{"b1"}); len(got) != 0 {
		t.Errorf("old bands still match: %v", got)
	}
	if got, _ := s.BandCandidates(ctx, "g2", []string{"b1"}); !slices.Equal(got, []string{"art-a@g2"}) {
		t.Errorf("another scope's bands: %v", got)
	}
	if err := s.RemoveFeed(ctx, "g1", f.ID); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.FeedItem(ctx, f.ID, "2"); ok {
		t.Error("a removed feed's items remain")
	}
	if err := s.SaveFeedItem(ctx, items[1], when); !errors.Is(err, corpus.ErrNotFound) {
		t.Errorf("SaveFeedItem of a removed feed = %v, want ErrNotFound", err)
	}
}
