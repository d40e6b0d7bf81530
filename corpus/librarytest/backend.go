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

// RunBackend runs the cases of what the commands and the bot use beyond
// the engine's Store (digests, retention, autocomplete, the moderators'
// report) against libraries made by open, each new and empty, closed when
// the test ends.
func RunBackend(t *testing.T, open func(t *testing.T) corpus.Backend) {
	lib := func(t *testing.T) corpus.Backend {
		t.Helper()
		l := open(t)
		if err := l.CheckEmbedder(context.Background(), embedder); err != nil {
			t.Fatalf("CheckEmbedder: %v", err)
		}
		return l
	}
	t.Run("Digests", func(t *testing.T) { testDigests(t, lib(t)) })
	t.Run("NewStories", func(t *testing.T) { testNewStories(t, lib(t)) })
	t.Run("Retention", func(t *testing.T) { testRetention(t, lib(t)) })
	t.Run("RetentionBadInput", func(t *testing.T) { testRetentionBadInput(t, lib(t)) })
	t.Run("Suggest", func(t *testing.T) { testSuggest(t, lib(t)) })
	t.Run("Report", func(t *testing.T) { testReport(t, lib(t)) })
}

// feedArticle stores a as an item of feed f, as a poll does.
func feedArticle(t *testing.T, lib corpus.Backend, f corpus.Feed, a corpus.Article) {
	t.Helper()
	put(t, lib, a)
	if err := lib.SaveFeedItem(context.Background(), corpus.FeedItem{FeedID: f.ID, GUID: "guid-" + a.ID, ArticleID: a.ID, Signature: "s"},
		at("2026-03-01T00:00:00Z")); err != nil {
		t.Fatalf("SaveFeedItem %s: %v", a.ID, err)
	}
}

func addFeed(t *testing.T, lib corpus.Backend, scope, url string, retention int) corpus.Feed {
	t.Helper()
	f, err := lib.AddFeed(context.Background(), corpus.Feed{Scope: scope, URL: url, RetentionDays: retention,
		AddedAt: at("2026-01-01T00:00:00Z")}, 10)
	if err != nil {
		t.Fatalf("AddFeed %s: %v", url, err)
	}
	return f
}

func testDigests(t *testing.T, lib corpus.Backend) {
	ctx := context.Background()
	for _, bad := range []corpus.Digest{
		{ChannelID: "c1", Hour: 8},
		{GuildID: "g1", Hour: 8},
		{GuildID: "g1", ChannelID: "c1", Hour: 24},
		{GuildID: "g1", ChannelID: "c1", Hour: -1},
	} {
		if err := lib.SetDigest(ctx, bad); err == nil {
			t.Errorf("SetDigest(%+v): no error", bad)
		}
	}
	put(t, lib, article(corpus.ScopedID("g1", "before"), "g1", "Before the digest", "2026-01-01", "Stored first. Before any digest."))
	list, err := lib.List(ctx)
	if err != nil || len(list) != 1 {
		t.Fatalf("List = %v, %v", list, err)
	}
	seq := list[0].Seq
	sent := at("2026-03-01T08:00:00Z")
	if err := lib.SetDigest(ctx, corpus.Digest{GuildID: "g1", ChannelID: "c1", Hour: 8, LastSent: sent}); err != nil {
		t.Fatalf("SetDigest: %v", err)
	}
	if err := lib.SetDigest(ctx, corpus.Digest{GuildID: "g2", ChannelID: "c9", Hour: 0, LastSent: sent}); err != nil {
		t.Fatalf("SetDigest: %v", err)
	}
	got, err := lib.Digests(ctx)
	if err != nil || len(got) != 2 {
		t.Fatalf("Digests = %+v, %v", got, err)
	}
	if d := got[0]; d.GuildID != "g1" || d.ChannelID != "c1" || d.Hour != 8 || !d.LastSent.Equal(sent) || d.AfterSeq != seq {
		t.Errorf("Digests()[0] = %+v; want g1 in c1 at 8, last sent %v, after the article stored (seq %d)", d, sent, seq)
	}
	// Moving the digest keeps its place; sending it moves the place on,
	// never back.
	put(t, lib, article(corpus.ScopedID("g1", "after"), "g1", "After the digest", "2026-01-02", "Stored second. After the digest."))
	if err := lib.SetDigest(ctx, corpus.Digest{GuildID: "g1", ChannelID: "c2", Hour: 20, LastSent: sent.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	later := sent.Add(24 * time.Hour)
	if err := lib.DigestSent(ctx, "g1", later, seq+5); err != nil {
		t.Fatalf("DigestSent: %v", err)
	}
	if err := lib.DigestSent(ctx, "g1", later, seq); err != nil {
		t.Fatalf("DigestSent: %v", err)
	}
	got, _ = lib.Digests(ctx)
	if d := got[0]; d.ChannelID != "c2" || d.Hour != 20 || !d.LastSent.Equal(later) || d.AfterSeq != seq+5 {
		t.Errorf("after a move and two sends = %+v; want c2 at 20, sent %v, after seq %d", d, later, seq+5)
	}
	if err := lib.RemoveDigest(ctx, "g1"); err != nil {
		t.Fatalf("RemoveDigest: %v", err)
	}
	if err := lib.RemoveDigest(ctx, "g1"); !errors.Is(err, corpus.ErrNotFound) {
		t.Errorf("RemoveDigest twice = %v, want ErrNotFound", err)
	}
	if err := lib.DigestSent(ctx, "g1", later, seq); !errors.Is(err, corpus.ErrNotFound) {
		t.Errorf("DigestSent of a removed digest = %v, want ErrNotFound", err)
	}
	if got, _ := lib.Digests(ctx); len(got) != 1 || got[0].GuildID != "g2" {
		t.Errorf("Digests after a removal = %+v", got)
	}
}

func testNewStories(t *testing.T, lib corpus.Backend) {
	ctx := context.Background()
	f := addFeed(t, lib, "g1", "https://example.com/feed.xml", 0)
	other := addFeed(t, lib, "g2", "https://example.com/feed.xml", 0)
	feedArticle(t, lib, f, article(corpus.ScopedID("g1", "a"), "g1", "First story", "2026-02-01", "First. A story."))
	start, _, _, err := lib.NewStories(ctx, "g1", 0, 10)
	if err != nil || len(start) != 1 {
		t.Fatalf("NewStories = %v, %v", start, err)
	}
	list, _ := lib.List(ctx, "g1")
	after := list[0].Seq
	feedArticle(t, lib, f, article(corpus.ScopedID("g1", "b"), "g1", "Second story", "2026-02-02", "Second. A story."))
	put(t, lib, article(corpus.ScopedID("g1", "manual"), "g1", "Added by hand", "2026-02-03", "Not from a feed. By hand."))
	feedArticle(t, lib, f, article(corpus.ScopedID("g1", "c"), "g1", "Third story", "2026-01-01", "Third. A story."))
	feedArticle(t, lib, other, article(corpus.ScopedID("g2", "x"), "g2", "Other guild", "2026-02-04", "Elsewhere. Another guild."))
	stories, total, last, err := lib.NewStories(ctx, "g1", after, 1)
	if err != nil {
		t.Fatalf("NewStories: %v", err)
	}
	if total != 2 || len(stories) != 1 || stories[0].ID != "c@g1" || stories[0].Title != "Third story" ||
		stories[0].Published.Format(corpus.DateLayout) != "2026-01-01" {
		t.Errorf("NewStories(g1, after a, 1) = %+v, total %d; want c (the last stored) of 2 feed stories", stories, total)
	}
	list, _ = lib.List(ctx, "g1")
	var cSeq int64
	for _, s := range list {
		if s.ID == "c@g1" {
			cSeq = s.Seq
		}
	}
	if last != cSeq {
		t.Errorf("NewStories last = %d, want c's seq %d", last, cSeq)
	}
	stories, total, last, err = lib.NewStories(ctx, "g1", cSeq, 10)
	if err != nil || len(stories) != 0 || total != 0 || last != cSeq {
		t.Errorf("NewStories after the last = %v, %d, %d, %v; want none, and the same place", stories, total, last, err)
	}
}

func testRetention(t *testing.T, lib corpus.Backend) {
	ctx := context.Background()
	now := at("2026-03-31T12:00:00Z")
	short := addFeed(t, lib, "g1", "https://example.com/short.xml", 10)
	long := addFeed(t, lib, "g1", "https://example.com/long.xml", 0)
	for _, f := range []corpus.Feed{short, long} {
		if got, err := lib.Feed(ctx, "g1", f.ID); err != nil || got.RetentionDays != f.RetentionDays {
			t.Fatalf("Feed(%s) = %+v, %v; want the window given to AddFeed (%d)", f.URL, got, err, f.RetentionDays)
		}
	}
	old := article(corpus.ScopedID("g1", "old"), "g1", "Twenty days old", "2026-03-11", "Old. From the short feed.")
	edge := article(corpus.ScopedID("g1", "edge"), "g1", "Ten days old", "2026-03-21", "Edge. From the short feed.")
	both := article(corpus.ScopedID("g1", "both"), "g1", "In both feeds", "2026-03-01", "Both. Carried twice.")
	feedArticle(t, lib, short, old)
	feedArticle(t, lib, short, edge)
	feedArticle(t, lib, short, both)
	if err := lib.SaveFeedItem(ctx, corpus.FeedItem{FeedID: long.ID, GUID: "g-both", ArticleID: both.ID, Signature: "s"}, now); err != nil {
		t.Fatal(err)
	}
	put(t, lib, article("ancient", corpus.SharedScope, "A year old", "2025-03-01", "Ancient. Shared news."))
	put(t, lib, article("undated", corpus.SharedScope, "Undated", "", "Undated. Shared news."))
	ids := func(es []corpus.ExpiredArticle) []string {
		var out []string
		for _, e := range es {
			out = append(out, e.ID)
		}
		return out
	}
	// The short feed's window takes old, not edge (published on the first
	// day it keeps) nor both (the long feed keeps it).
	got, err := lib.Expired(ctx, now, 0)
	if err != nil || !slices.Equal(ids(got), []string{old.ID}) {
		t.Errorf("Expired(no global window) = %v, %v; want [%s]", ids(got), err, old.ID)
	}
	got, err = lib.Expired(ctx, now, 100)
	if err != nil || !slices.Equal(ids(got), []string{"ancient", old.ID}) || got[0].Scope != corpus.SharedScope ||
		got[0].Published.Format(corpus.DateLayout) != "2025-03-01" {
		t.Errorf("Expired(100 days) = %+v, %v; want ancient then old, oldest first", got, err)
	}
	// Shortening the long feed's window lets both go; removing the window
	// again keeps it.
	if err := lib.SetFeedRetention(ctx, long.ID, 20); err != nil {
		t.Fatalf("SetFeedRetention: %v", err)
	}
	if got, _ := lib.Expired(ctx, now, 0); !slices.Equal(ids(got), []string{both.ID, old.ID}) {
		t.Errorf("Expired with both feeds windowed = %v", ids(got))
	}
	if f, _ := lib.Feed(ctx, "g1", long.ID); f.RetentionDays != 20 {
		t.Errorf("Feed's RetentionDays = %d, want 20", f.RetentionDays)
	}
	if err := lib.SetFeedRetention(ctx, long.ID, 0); err != nil {
		t.Fatal(err)
	}
	// ApplyRetention removes through the given function, by scope.
	var removed []string
	remove := func(ctx context.Context, scope, id string) error {
		removed = append(removed, scope+" "+id)
		return lib.Remove(ctx, scope, id)
	}
	n, err := lib.ApplyRetention(ctx, "g2", now, 100, remove)
	if err != nil || n != 0 || len(removed) != 0 {
		t.Errorf("ApplyRetention(g2) = %d, %v, removed %v; want nothing of another scope", n, err, removed)
	}
	n, err = lib.ApplyRetention(ctx, "", now, 100, remove)
	if err != nil || n != 2 || !slices.Equal(removed, []string{"shared ancient", "g1 " + old.ID}) {
		t.Errorf("ApplyRetention = %d, %v, removed %v", n, err, removed)
	}
	if c, _ := lib.Count(ctx); c != 3 {
		t.Errorf("Count after retention = %d, want 3", c)
	}
	// An article gone meanwhile is no error.
	n, err = lib.ApplyRetention(ctx, "", now, 100, func(context.Context, string, string) error { return corpus.ErrNotFound })
	if err != nil || n != 0 {
		t.Errorf("ApplyRetention with nothing left = %d, %v", n, err)
	}
}

func testRetentionBadInput(t *testing.T, lib corpus.Backend) {
	ctx := context.Background()
	f := addFeed(t, lib, "g1", "https://example.com/feed.xml", 0)
	for _, days := range []int{-1, corpus.MaxRetentionDays + 1} {
		if err := lib.SetFeedRetention(ctx, f.ID, days); err == nil {
			t.Errorf("SetFeedRetention(%d): no error", days)
		}
		if _, err := lib.Expired(ctx, time.Now(), days); err == nil {
			t.Errorf("Expired(%d): no error", days)
		}
		if _, err := lib.AddFeed(ctx, corpus.Feed{Scope: "g1", URL: "https://example.org/x.xml", RetentionDays: days}, 10); err == nil {
			t.Errorf("AddFeed with retention %d: no error", days)
		}
	}
	for _, id := range []string{"no-such-feed", "", "'; DROP TABLE feeds; --"} {
		if err := lib.SetFeedRetention(ctx, id, 5); !errors.Is(err, corpus.ErrNotFound) {
			t.Errorf("SetFeedRetention(%q) = %v, want ErrNotFound", id, err)
		}
	}
	// A new feed whose window cannot be set is removed again.
	gone := corpus.Feed{ID: "feed-that-is-not-there", Scope: "g1"}
	if err := lib.SetNewFeedRetention(ctx, gone, 5); err == nil {
		t.Error("SetNewFeedRetention of a missing feed: no error")
	}
	if err := lib.SetNewFeedRetention(ctx, f, 7); err != nil {
		t.Fatalf("SetNewFeedRetention: %v", err)
	}
	if got, _ := lib.Feed(ctx, "g1", f.ID); got.RetentionDays != 7 {
		t.Errorf("RetentionDays = %d, want 7", got.RetentionDays)
	}
	if fs, _ := lib.Feeds(ctx, ""); len(fs) != 1 {
		t.Errorf("Feeds = %+v; want the one feed", fs)
	}
}

func testSuggest(t *testing.T, lib corpus.Backend) {
	ctx := context.Background()
	for _, a := range []corpus.Article{
		article("summit-oslo", corpus.SharedScope, "Summit in OSLO ends", "2026-02-03", "Oslo. A summit."),
		article("summit-lima", corpus.SharedScope, "Lima summit opens", "2026-02-05", "Lima. A summit."),
		article("rates", corpus.SharedScope, "Rates rise 100% in a year", "2026-02-01", "Rates. A rise."),
		article("underscore", corpus.SharedScope, "Rates rise 1000 in a year", "2026-01-01", "Rates. No percent."),
		article("zurich", corpus.SharedScope, "ÉLAN in Zürich", "2026-01-15", "Zurich. An accord."),
		article("undated", corpus.SharedScope, "Summit without a date", "", "Undated. A summit."),
		article(corpus.ScopedID("g1", "guild-summit"), "g1", "Guild summit", "2026-03-01", "Guild. A summit."),
	} {
		put(t, lib, a)
	}
	ids := func(ss []corpus.Summary) []string {
		var out []string
		for _, s := range ss {
			out = append(out, s.ID)
		}
		return out
	}
	for _, c := range []struct {
		scope, text string
		limit       int
		want        []string
	}{
		{"", "summit", 10, []string{"summit-lima", "summit-oslo", "undated"}},
		{corpus.SharedScope, "  SUMMIT ", 2, []string{"summit-lima", "summit-oslo"}},
		{"", "oslo", 10, []string{"summit-oslo"}},
		{"", "lima", 0, []string{"summit-lima"}},       // limit at least 1
		{"", "100%", 10, []string{"rates"}},            // % is literal
		{"", "e_in", 10, nil},                          // _ is literal
		{"", "élan in zürich", 10, []string{"zurich"}}, // letters beyond ASCII fold their case
		{"", "ÉLAN", 10, []string{"zurich"}},
		{"", "elan", 10, nil},
		{"", "underscore", 10, []string{"underscore"}}, // ids match too
		{"g1", "summit", 10, []string{"guild-summit@g1"}},
		{"g2", "summit", 10, nil},
		{"", "", 3, []string{"summit-lima", "summit-oslo", "rates"}}, // the newest
		{"", "\xff\xfe", 10, nil},
		{"", "a\x00", 10, nil},
		{"", "' OR 1=1 --", 10, nil},
	} {
		got, err := lib.Suggest(ctx, c.scope, c.text, c.limit)
		if err != nil {
			t.Errorf("Suggest(%q, %q, %d): %v", c.scope, c.text, c.limit, err)
			continue
		}
		if !slices.Equal(ids(got), c.want) {
			t.Errorf("Suggest(%q, %q, %d) = %v, want %v", c.scope, c.text, c.limit, ids(got), c.want)
		}
	}
	got, err := lib.Suggest(ctx, "", "summit in oslo", 100)
	if err != nil || len(got) != 1 || got[0].Title != "Summit in OSLO ends" || got[0].Source != "Test Wire" ||
		got[0].Published.Format(corpus.DateLayout) != "2026-02-03" || got[0].Scope != corpus.SharedScope {
		t.Errorf("Suggest's summary = %+v, %v", got, err)
	}
	for i := range corpus.MaxSuggestions + 5 {
		a := article("bulk-"+strings.Repeat("x", i+1), corpus.SharedScope, "Bulk item", "2025-01-01", "Bulk. Many articles.")
		put(t, lib, a)
	}
	many, err := lib.Suggest(ctx, "", "bulk", 1000)
	if err != nil || len(many) != corpus.MaxSuggestions {
		t.Errorf("Suggest with a limit of 1000 gave %d, %v; want at most %d", len(many), err, corpus.MaxSuggestions)
	}
}

func testReport(t *testing.T, lib corpus.Backend) {
	ctx := context.Background()
	now := at("2026-03-31T12:00:00Z")
	since := now.Add(-7 * 24 * time.Hour)
	for _, bad := range []corpus.ReportOptions{
		{Since: now.Add(time.Hour), Now: now},
		{Since: now.Add(-(corpus.MaxReportDays + 1) * 24 * time.Hour), Now: now},
	} {
		if _, err := lib.Report(ctx, bad); err == nil {
			t.Errorf("Report(%v to %v): no error", bad.Since, bad.Now)
		}
	}
	answer := func(id, guild, question, sources string, when time.Time) {
		t.Helper()
		if err := lib.SaveAnswer(ctx, corpus.AnswerRecord{ID: id, GuildID: guild, UserID: "u", Question: question,
			Answer: "an answer", Sources: sources, Time: when}); err != nil {
			t.Fatalf("SaveAnswer: %v", err)
		}
	}
	day := func(n int) time.Time { return now.Add(-time.Duration(n) * 24 * time.Hour) }
	answer("a1", "g1", "What did the summit in Oslo agree?", "", day(1))
	answer("a2", "g1", "what did the summit in oslo agree", "[]", day(2))
	answer("a3", "g1", "What did the summit in Oslo agree?", "null", day(3))
	answer("a4", "g1", "Who won the vote in Lima?", "", day(4))
	answer("a5", "g1", "Old question about tariffs", "", day(20)) // before the window
	answer("a6", "g2", "Another guild's question", "", day(1))
	answer("a7", "g1", "A covered question", `[{"Title":"T","Source":"S","URL":"https://example.com/t"}]`, day(1))
	vote := func(answerID, user string, v int, sources string, when time.Time) {
		t.Helper()
		if _, err := lib.SaveFeedback(ctx, corpus.Feedback{AnswerID: answerID, UserID: user, GuildID: "g1", Vote: v,
			Question: "A covered question", Answer: "an answer", Sources: sources, Time: when}); err != nil {
			t.Fatalf("SaveFeedback: %v", err)
		}
	}
	src := `[{"Title":"T","Source":"S","URL":"https://example.com/t"}]`
	vote("a7", "u1", -1, src, day(1))
	vote("a7", "u2", -1, src, day(2))
	vote("a8", "u1", -1, "not json", day(1))
	vote("a9", "u1", 1, src, day(1))
	f := addFeed(t, lib, "g1", "https://example.com/feed.xml", 0)
	feedArticle(t, lib, f, article(corpus.ScopedID("g1", "fa"), "g1", "Feed article", "2026-03-30", "Feed. An article."))

	rep, err := lib.Report(ctx, corpus.ReportOptions{GuildID: "g1", Since: since, Now: now})
	if err != nil {
		t.Fatalf("Report: %v", err)
	}
	if !rep.Since.Equal(since) || !rep.Until.Equal(now) {
		t.Errorf("window = %v to %v", rep.Since, rep.Until)
	}
	if rep.NotCoveredTotal != 4 || len(rep.NotCovered) != 2 {
		t.Fatalf("not covered = %d in %+v; want 4 questions in 2 groups", rep.NotCoveredTotal, rep.NotCovered)
	}
	if g := rep.NotCovered[0]; g.Question != "What did the summit in Oslo agree?" || g.Count != 3 || g.Wordings != 2 || !g.Last.Equal(day(1)) {
		t.Errorf("first group = %+v", g)
	}
	if g := rep.NotCovered[1]; g.Question != "Who won the vote in Lima?" || g.Count != 1 {
		t.Errorf("second group = %+v", g)
	}
	if len(rep.Disliked) != 2 {
		t.Fatalf("disliked = %+v; want a7 and a8", rep.Disliked)
	}
	if d := rep.Disliked[0]; d.AnswerID != "a7" || d.Down != 2 || d.GuildID != "g1" || !d.Last.Equal(day(1)) ||
		len(d.Sources) != 1 || d.Sources[0].URL != "https://example.com/t" {
		t.Errorf("most disliked = %+v", d)
	}
	if d := rep.Disliked[1]; d.AnswerID != "a8" || d.Sources != nil {
		t.Errorf("second disliked = %+v; want no sources from unreadable JSON", d)
	}
	// The feed's article was stored just now, after this window: none added.
	if len(rep.Feeds) != 1 || rep.Feeds[0].ID != f.ID || rep.Feeds[0].Added != 0 || rep.Feeds[0].Articles != 1 {
		t.Errorf("feeds = %+v", rep.Feeds)
	}
	live, err := lib.Report(ctx, corpus.ReportOptions{GuildID: "g1", Since: time.Now().Add(-time.Hour)})
	if err != nil || len(live.Feeds) != 1 || live.Feeds[0].Added != 1 {
		t.Errorf("report of the last hour = %+v, %v; want the feed's article added", live.Feeds, err)
	}
	all, err := lib.Report(ctx, corpus.ReportOptions{Since: since, Now: now})
	if err != nil || all.NotCoveredTotal != 5 {
		t.Errorf("report of every guild: %d not covered, %v; want 5", all.NotCoveredTotal, err)
	}
}
