package corpus

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

// TestDigestStore: a digest starts with the stories stored after it was
// set up, only its guild's feeds' articles count, moving it keeps its
// place, and DigestSent moves the place on.
func TestDigestStore(t *testing.T) {
	ctx := context.Background()
	lib := libOpen(t, t.TempDir())
	at := time.Date(2026, 6, 10, 9, 30, 0, 0, time.UTC)
	f, err := lib.AddFeed(ctx, Feed{Scope: "g1", URL: "https://news.example/rss"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	fOther, err := lib.AddFeed(ctx, Feed{Scope: "g2", URL: "https://news.example/rss"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	story := func(scope string, feed *Feed) Article {
		t.Helper()
		n++
		a := libArticle(fmt.Sprintf("s%d", n), scope, fmt.Sprintf("Story %d", n), "2026-06-09", fmt.Sprintf("Text of story %d about the harbour.", n))
		a.URL = fmt.Sprintf("https://news.example/%d", n)
		libPut(t, lib, a)
		if feed != nil {
			if err := lib.SaveFeedItem(ctx, FeedItem{FeedID: feed.ID, GUID: a.ID, ArticleID: a.ID}, at); err != nil {
				t.Fatal(err)
			}
		}
		return a
	}
	story("g1", &f) // before the digest: never in it

	for _, bad := range []Digest{{ChannelID: "c"}, {GuildID: "g1"}, {GuildID: "g1", ChannelID: "c", Hour: 24}, {GuildID: "g1", ChannelID: "c", Hour: -1}} {
		if err := lib.SetDigest(ctx, bad); err == nil {
			t.Errorf("SetDigest(%+v) accepted", bad)
		}
	}
	if err := lib.SetDigest(ctx, Digest{GuildID: "g1", ChannelID: "c1", Hour: 8, LastSent: at}); err != nil {
		t.Fatal(err)
	}
	ds, err := lib.Digests(ctx)
	if err != nil || len(ds) != 1 || ds[0].ChannelID != "c1" || ds[0].Hour != 8 || !ds[0].LastSent.Equal(at) || ds[0].AfterSeq == 0 {
		t.Fatalf("Digests = %+v, %v", ds, err)
	}
	d := ds[0]
	if got, total, last, err := lib.NewStories(ctx, "g1", d.AfterSeq, 10); err != nil || total != 0 || len(got) != 0 || last != d.AfterSeq {
		t.Errorf("no stories yet: %+v %d %d %v", got, total, last, err)
	}
	a1 := story("g1", &f)
	story("g1", nil)     // the guild's, but not from a feed
	story("g2", &fOther) // another guild's feed
	a2 := story("g1", &f)
	got, total, last, err := lib.NewStories(ctx, "g1", d.AfterSeq, 1)
	if err != nil || total != 2 || len(got) != 1 || got[0].ID != a2.ID || got[0].URL != a2.URL || got[0].Title != a2.Title {
		t.Fatalf("NewStories (max 1) = %+v, %d, %v; want the newest of 2", got, total, err)
	}
	got, _, _, _ = lib.NewStories(ctx, "g1", d.AfterSeq, 10)
	if len(got) != 2 || got[1].ID != a1.ID {
		t.Errorf("NewStories = %+v, want %s then %s", got, a2.ID, a1.ID)
	}

	// Moving the digest keeps its place.
	if err := lib.SetDigest(ctx, Digest{GuildID: "g1", ChannelID: "c2", Hour: 20, LastSent: at.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	ds, _ = lib.Digests(ctx)
	if ds[0].ChannelID != "c2" || ds[0].Hour != 20 || ds[0].AfterSeq != d.AfterSeq || !ds[0].LastSent.Equal(at) {
		t.Errorf("moved digest = %+v, want channel and hour changed, place kept", ds[0])
	}
	if err := lib.DigestSent(ctx, "g1", at.Add(24*time.Hour), last); err != nil {
		t.Fatal(err)
	}
	ds, _ = lib.Digests(ctx)
	if ds[0].AfterSeq != last || !ds[0].LastSent.Equal(at.Add(24*time.Hour)) {
		t.Errorf("after DigestSent: %+v", ds[0])
	}
	if _, total, _, _ := lib.NewStories(ctx, "g1", ds[0].AfterSeq, 10); total != 0 {
		t.Errorf("%d stories after the digest covered them", total)
	}
	if err := lib.RemoveDigest(ctx, "g1"); err != nil {
		t.Fatal(err)
	}
	if err := lib.RemoveDigest(ctx, "g1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("removing it twice: %v", err)
	}
	if err := lib.DigestSent(ctx, "g1", at, 1); !errors.Is(err, ErrNotFound) {
		t.Errorf("DigestSent of a stopped digest: %v", err)
	}
}
