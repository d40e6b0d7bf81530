package corpus

import (
	"context"
	"errors"
	"sort"
	"strings"
	"testing"
	"time"
)

// TestRetention: the global window removes every scope's old articles;
// a feed's window removes the articles only feeds with windows carried;
// undated articles stay; removal takes chunks, vectors and full-text rows,
// is logged in the change feed, and keeps the feed items.
func TestRetention(t *testing.T) {
	ctx := context.Background()
	lib := libOpen(t, t.TempDir())
	now := time.Date(2026, 6, 30, 15, 0, 0, 0, time.UTC)
	put := func(id, scope, published, word string) Article {
		a := libArticle(id, scope, "Story "+id, published, "A report about "+word+" and the harbour. The talks went on for hours.")
		libPut(t, lib, a)
		return a
	}
	put("ancient", SharedScope, "2026-01-01", "zanzibarite")
	put("undated", SharedScope, "", "quokkamoot")
	short := put("short", "g1", "2026-06-20", "velociraptorine") // 10 days old: past the 7-day feed
	both := put("both", "g1", "2026-06-20", "pangolinade")       // also carried by a feed without a window
	put("fresh", "g1", "2026-06-28", "okapiform")

	f7, err := lib.AddFeed(ctx, Feed{Scope: "g1", URL: "https://news.example/short", RetentionDays: 7}, 0)
	if err != nil || f7.RetentionDays != 7 {
		t.Fatalf("AddFeed with retention: %+v, %v", f7, err)
	}
	if back, _ := lib.Feed(ctx, "g1", f7.ID); back.RetentionDays != 7 {
		t.Errorf("stored retention = %d", back.RetentionDays)
	}
	fAll, err := lib.AddFeed(ctx, Feed{Scope: "g1", URL: "https://news.example/all"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range []FeedItem{{FeedID: f7.ID, GUID: "s", ArticleID: short.ID}, {FeedID: f7.ID, GUID: "b", ArticleID: both.ID},
		{FeedID: fAll.ID, GUID: "b", ArticleID: both.ID}, {FeedID: f7.ID, GUID: "f", ArticleID: "fresh"}} {
		if err := lib.SaveFeedItem(ctx, it, now); err != nil {
			t.Fatal(err)
		}
	}
	ids := func(es []ExpiredArticle) string {
		var out []string
		for _, e := range es {
			out = append(out, e.ID)
		}
		sort.Strings(out)
		return strings.Join(out, ",")
	}
	if got, err := lib.Expired(ctx, now, 0); err != nil || ids(got) != "short" {
		t.Errorf("no global window: expired %q, %v; want short (past its only feed's 7 days)", ids(got), err)
	}
	if got, err := lib.Expired(ctx, now, 30); err != nil || ids(got) != "ancient,short" {
		t.Errorf("30 days: expired %q, %v", ids(got), err)
	}
	if got, err := lib.Expired(ctx, now, 5); err != nil || ids(got) != "ancient,both,short" {
		t.Errorf("5 days: expired %q, %v", ids(got), err)
	}
	// Exactly 7 days old is inside a 7-day window.
	if got, _ := lib.Expired(ctx, time.Date(2026, 6, 27, 23, 0, 0, 0, time.UTC), 0); ids(got) != "" {
		t.Errorf("on the window's last day: expired %q", ids(got))
	}
	for _, bad := range []int{-1, MaxRetentionDays + 1} {
		if _, err := lib.Expired(ctx, now, bad); err == nil {
			t.Errorf("global window %d accepted", bad)
		}
		if _, err := lib.AddFeed(ctx, Feed{Scope: "g1", URL: "https://news.example/bad", RetentionDays: bad}, 0); err == nil {
			t.Errorf("feed window %d accepted", bad)
		}
	}

	// Limited to a scope, only that scope's expired articles go.
	if n, err := lib.ApplyRetention(ctx, "g2", now, 30, lib.Remove); err != nil || n != 0 {
		t.Errorf("retention of an empty scope removed %d (%v)", n, err)
	}
	changes, _ := lib.Changes(ctx, 0, 1000)
	before := len(changes)
	n, err := lib.ApplyRetention(ctx, "", now, 30, lib.Remove)
	if err != nil || n != 2 {
		t.Fatalf("ApplyRetention = %d, %v; want 2", n, err)
	}
	for _, gone := range []struct{ id, word string }{{"ancient", "zanzibarite"}, {short.ID, "velociraptorine"}} {
		if _, err := lib.Get(ctx, gone.id); !errors.Is(err, ErrNotFound) {
			t.Errorf("%s still stored: %v", gone.id, err)
		}
		if c, a := libFTSRows(t, lib, gone.word); c != 0 || a != 0 {
			t.Errorf("%s left %d chunk and %d article full-text rows", gone.id, c, a)
		}
	}
	var chunks, vectors int
	lib.r.QueryRowContext(ctx, "SELECT count(*) FROM chunks WHERE article_id IN ('ancient', ?)", short.ID).Scan(&chunks)
	lib.r.QueryRowContext(ctx, "SELECT count(*) FROM chunk_vectors v JOIN chunks c ON c.seq = v.seq").Scan(&vectors)
	if chunks != 0 {
		t.Errorf("%d chunks of removed articles left", chunks)
	}
	if list, _ := lib.List(ctx); len(list) != 3 || vectors == 0 {
		t.Errorf("after retention: %d articles (want undated, both, fresh), %d vectors", len(list), vectors)
	}
	changes, _ = lib.Changes(ctx, 0, 1000)
	removed := 0
	for _, c := range changes[before:] {
		if c.Kind == ChangeRemove {
			removed++
		}
	}
	if removed != 2 {
		t.Errorf("%d removals in the change feed, want 2", removed)
	}
	if it, ok, _ := lib.FeedItem(ctx, f7.ID, "s"); !ok || it.ArticleID != short.ID {
		t.Errorf("the removed article's feed item is gone (the next poll would bring it back): %+v %v", it, ok)
	}
	// A second pass finds nothing; a failing remove stops with its error.
	if n, err := lib.ApplyRetention(ctx, "", now, 30, lib.Remove); err != nil || n != 0 {
		t.Errorf("second pass: %d, %v", n, err)
	}
	boom := errors.New("boom")
	if _, err := lib.ApplyRetention(ctx, "", now, 1, func(context.Context, string, string) error { return boom }); !errors.Is(err, boom) {
		t.Errorf("a failing remove: %v", err)
	}
	// A removal that finds the article gone already is not a failure.
	if n, err := lib.ApplyRetention(ctx, "", now, 1, func(context.Context, string, string) error { return ErrNotFound }); err != nil || n != 0 {
		t.Errorf("articles gone meanwhile: %d, %v", n, err)
	}

	// The feed's window can change, and goes with the feed.
	if err := lib.SetFeedRetention(ctx, f7.ID, 0); err != nil {
		t.Fatal(err)
	}
	if back, _ := lib.Feed(ctx, "g1", f7.ID); back.RetentionDays != 0 {
		t.Errorf("retention after clearing = %d", back.RetentionDays)
	}
	if err := lib.SetFeedRetention(ctx, "f-missing", 3); !errors.Is(err, ErrNotFound) {
		t.Errorf("retention of a missing feed: %v", err)
	}
	if err := lib.SetFeedRetention(ctx, f7.ID, 3); err != nil {
		t.Fatal(err)
	}
	if err := lib.RemoveFeed(ctx, "g1", f7.ID); err != nil {
		t.Fatal(err)
	}
	var left int
	lib.r.QueryRowContext(ctx, "SELECT count(*) FROM feed_retention").Scan(&left)
	if left != 0 {
		t.Errorf("%d retention rows left after the feed was removed", left)
	}
}
