package corpus

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestFeedStore: subscriptions are per scope, limited, unique per URL,
// and their poll state and items round-trip; removing a feed keeps the
// articles.
func TestFeedStore(t *testing.T) {
	ctx := context.Background()
	lib, err := Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer lib.Close()
	const guild = "111111111111111111"
	for i := range 3 {
		if _, err := lib.AddFeed(ctx, Feed{Scope: guild, URL: fmt.Sprintf("https://news.example/feed/%d", i)}, 3); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := lib.AddFeed(ctx, Feed{Scope: guild, URL: "https://news.example/feed/9"}, 3); !errors.Is(err, ErrTooManyFeeds) {
		t.Errorf("a fourth feed over a limit of 3: err = %v", err)
	}
	if _, err := lib.AddFeed(ctx, Feed{Scope: SharedScope, URL: "https://news.example/feed/9"}, 3); err != nil {
		t.Errorf("the limit is per scope: %v", err)
	}
	if _, err := lib.AddFeed(ctx, Feed{Scope: guild, URL: "https://news.example/feed/0?utm_source=x#top"}, 10); !errors.Is(err, ErrFeedExists) {
		t.Errorf("the same URL again (canonically): err = %v", err)
	}
	for _, bad := range []string{"", "ftp://x.example/feed", "not a url", strings.Repeat("x", 5000)} {
		if _, err := lib.AddFeed(ctx, Feed{URL: bad}, 0); err == nil {
			t.Errorf("AddFeed(%.20q) accepted", bad)
		}
	}
	feeds, err := lib.Feeds(ctx, guild)
	if err != nil || len(feeds) != 3 {
		t.Fatalf("guild feeds: %d, %v", len(feeds), err)
	}
	all, _ := lib.Feeds(ctx, "")
	if len(all) != 4 {
		t.Errorf("every scope's feeds: %d, want 4", len(all))
	}
	f := feeds[0]
	at := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	if err := lib.SaveFeedPoll(ctx, f.ID, FeedPoll{At: at, Err: "HTTP 500"}); err != nil {
		t.Fatal(err)
	}
	if err := lib.SaveFeedPoll(ctx, f.ID, FeedPoll{At: at.Add(time.Minute), Err: "HTTP 502", RetryAt: at.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	got, _ := lib.Feed(ctx, guild, f.ID)
	if got.Failures != 2 || got.LastError != "HTTP 502" || !got.LastPolled.Equal(at.Add(time.Minute)) || !got.LastOK.IsZero() || !got.RetryAt.Equal(at.Add(time.Hour)) {
		t.Errorf("after two failures: %+v", got)
	}
	if err := lib.SaveFeedPoll(ctx, f.ID, FeedPoll{At: at.Add(2 * time.Minute), ETag: `"e"`, LastModified: "lm", Title: "News"}); err != nil {
		t.Fatal(err)
	}
	got, _ = lib.Feed(ctx, guild, f.ID)
	if got.Failures != 0 || got.LastError != "" || got.ETag != `"e"` || got.Title != "News" || !got.LastOK.Equal(at.Add(2*time.Minute)) || !got.RetryAt.IsZero() {
		t.Errorf("after a success: %+v", got)
	}

	a := Article{Scope: guild, URL: "https://news.example/a", Title: "A", Body: "Some text of a story."}
	a.Normalize()
	a.ID = ID(a)
	if _, err := lib.Put(ctx, a, []Chunk{{ID: ChunkID(a.ID, 0), ArticleID: a.ID, Index: 0, Start: 0, End: len(a.Body), Text: a.Body}}, [][]float32{{1, 0}}); err != nil {
		t.Fatal(err)
	}
	it := FeedItem{FeedID: f.ID, GUID: "g", URL: a.URL, ArticleID: a.ID, Signature: "s", Bands: []string{"0:a", "1:b"}}
	if err := lib.SaveFeedItem(ctx, it, at); err != nil {
		t.Fatal(err)
	}
	if back, ok, err := lib.FeedItem(ctx, f.ID, "g"); err != nil || !ok || back.ArticleID != a.ID || len(back.Bands) != 2 {
		t.Errorf("FeedItem: %+v %v %v", back, ok, err)
	}
	if dup, ok, _ := lib.FeedItemByURL(ctx, guild, a.URL); !ok || dup.GUID != "g" {
		t.Errorf("FeedItemByURL in the scope: %+v %v", dup, ok)
	}
	if _, ok, _ := lib.FeedItemByURL(ctx, SharedScope, a.URL); ok {
		t.Error("FeedItemByURL found another scope's item")
	}
	if c, _ := lib.BandCandidates(ctx, guild, []string{"1:b", "9:z"}); len(c) != 1 || c[0] != a.ID {
		t.Errorf("BandCandidates: %v", c)
	}
	if c, _ := lib.BandCandidates(ctx, SharedScope, []string{"1:b"}); len(c) != 0 {
		t.Errorf("BandCandidates across scopes: %v", c)
	}
	if got, _ := lib.Feed(ctx, "", f.ID); got.Articles != 1 {
		t.Errorf("articles of the feed: %d", got.Articles)
	}
	if err := lib.RemoveFeed(ctx, SharedScope, f.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("removing a guild's feed from the shared scope: %v", err)
	}
	if err := lib.RemoveFeed(ctx, guild, f.ID); err != nil {
		t.Fatal(err)
	}
	if err := lib.SaveFeedItem(ctx, it, at); !errors.Is(err, ErrNotFound) {
		t.Errorf("an item of a removed feed: %v", err)
	}
	if err := lib.SaveFeedPoll(ctx, f.ID, FeedPoll{At: at}); !errors.Is(err, ErrNotFound) {
		t.Errorf("a poll of a removed feed: %v", err)
	}
	if _, err := lib.Get(ctx, a.ID); err != nil {
		t.Errorf("the feed's article went with it: %v", err)
	}
}
