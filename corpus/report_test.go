package corpus

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestReport: the "not covered" questions of a guild's window grouped by
// what they ask, its voted-down answers with their sources, and its feeds'
// health; other guilds, covered answers, upvotes and older rows stay out.
func TestReport(t *testing.T) {
	ctx := context.Background()
	lib := libOpen(t, t.TempDir())
	now := time.Now().UTC().Truncate(time.Second)
	save := func(id, guild, q, sources string, ago time.Duration) {
		t.Helper()
		if err := lib.SaveAnswer(ctx, AnswerRecord{ID: id, GuildID: guild, UserID: "u", Question: q, Answer: "text",
			Sources: sources, Time: now.Add(-ago)}); err != nil {
			t.Fatal(err)
		}
	}
	save("n1", "g1", "What did the summit agree on?", "null", time.Hour)
	save("n2", "g1", "what did the summits agree on", "[]", 2*time.Hour)
	save("n3", "g1", "What did the summit agree on?", "null", 3*time.Hour)
	save("n4", "g1", "Did the summit agree?", "null", 4*time.Hour)
	save("n5", "g1", "Who won the election in Bhutan?", "null", 5*time.Hour)
	save("n6", "g1", "???", "null", 6*time.Hour)
	save("old", "g1", "Who won the election in Bhutan?", "null", 8*24*time.Hour)
	save("other", "g2", "Who won the election in Bhutan?", "null", time.Hour)
	save("covered", "g1", "Who won the election in Bhutan?", `[{"N":1,"Title":"T"}]`, time.Hour)

	vote := func(answer, user string, v int, ago time.Duration) {
		t.Helper()
		_, err := lib.SaveFeedback(ctx, Feedback{AnswerID: answer, UserID: user, GuildID: "g1", Vote: v,
			Question: "q of " + answer, Answer: "a of " + answer,
			Sources: `[{"N":1,"Title":"Summit ends","Source":"Wire","URL":"https://news.example/s","Excerpt":"…"}]`, Time: now.Add(-ago)})
		if err != nil {
			t.Fatal(err)
		}
	}
	vote("bad", "u1", -1, time.Hour)
	vote("bad", "u2", -1, 2*time.Hour)
	vote("meh", "u1", -1, 3*time.Hour)
	vote("good", "u1", 1, time.Hour)
	vote("stale", "u1", -1, 9*24*time.Hour)

	f, err := lib.AddFeed(ctx, Feed{Scope: "g1", URL: "https://news.example/rss"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lib.AddFeed(ctx, Feed{Scope: "g2", URL: "https://news.example/rss"}, 0); err != nil {
		t.Fatal(err)
	}
	a := libArticle("", "g1", "Summit ends", "2026-06-01", "The summit ended with an agreement on trade.")
	a.ID = ID(a)
	libPut(t, lib, a)
	if err := lib.SaveFeedItem(ctx, FeedItem{FeedID: f.ID, GUID: "1", ArticleID: a.ID}, now); err != nil {
		t.Fatal(err)
	}
	if err := lib.SaveFeedPoll(ctx, f.ID, FeedPoll{At: now, Err: "HTTP 500"}); err != nil {
		t.Fatal(err)
	}

	// The report's moment is a minute on: the article entered the library
	// at the real clock's time, which may be a second past now.
	rep, err := lib.Report(ctx, ReportOptions{GuildID: "g1", Since: now.Add(-7 * 24 * time.Hour), Now: now.Add(time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	if rep.NotCoveredTotal != 6 {
		t.Errorf("NotCoveredTotal = %d, want 6", rep.NotCoveredTotal)
	}
	if len(rep.NotCovered) != 3 {
		t.Fatalf("groups: %+v, want the summit, Bhutan and the punctuation", rep.NotCovered)
	}
	g := rep.NotCovered[0]
	if g.Question != "What did the summit agree on?" || g.Count != 4 || g.Wordings != 3 || !g.Last.Equal(now.Add(-time.Hour)) {
		t.Errorf("first group = %+v, want the summit's 4 questions in 3 wordings", g)
	}
	if g := rep.NotCovered[1]; g.Question != "Who won the election in Bhutan?" || g.Count != 1 {
		t.Errorf("second group = %+v, want Bhutan once (the older one, the other guild's and the covered one left out)", g)
	}
	if g := rep.NotCovered[2]; g.Question != "???" || g.Count != 1 {
		t.Errorf("third group = %+v", g)
	}

	if len(rep.Disliked) != 2 {
		t.Fatalf("disliked = %+v, want bad and meh", rep.Disliked)
	}
	d := rep.Disliked[0]
	if d.AnswerID != "bad" || d.Down != 2 || d.Question != "q of bad" || d.Answer != "a of bad" ||
		len(d.Sources) != 1 || d.Sources[0] != (ReportSource{Title: "Summit ends", Source: "Wire", URL: "https://news.example/s"}) {
		t.Errorf("first disliked = %+v", d)
	}
	if rep.Disliked[1].AnswerID != "meh" || rep.Disliked[1].Down != 1 {
		t.Errorf("second disliked = %+v", rep.Disliked[1])
	}

	if len(rep.Feeds) != 1 {
		t.Fatalf("feeds = %+v, want g1's one", rep.Feeds)
	}
	h := rep.Feeds[0]
	if h.ID != f.ID || h.Added != 1 || h.Articles != 1 || h.Failures != 1 || h.LastError != "HTTP 500" || !h.LastOK.IsZero() {
		t.Errorf("feed health = %+v", h)
	}
	// A window that ends before the article arrived counts none.
	rep, err = lib.Report(ctx, ReportOptions{GuildID: "g1", Since: now.Add(-7 * 24 * time.Hour), Now: now.Add(-6 * 24 * time.Hour)})
	if err != nil || rep.Feeds[0].Added != 0 || rep.NotCoveredTotal != 0 {
		t.Errorf("an earlier window: %+v, %v", rep, err)
	}

	// Every guild: both guilds' questions and feeds.
	rep, err = lib.Report(ctx, ReportOptions{Since: now.Add(-7 * 24 * time.Hour), Now: now})
	if err != nil || rep.NotCoveredTotal != 7 || len(rep.Feeds) != 2 {
		t.Errorf("every guild: total %d, %d feeds, %v", rep.NotCoveredTotal, len(rep.Feeds), err)
	}
}

// TestReportWindowAndEmpty: an empty library reports nothing without
// failing; a window beyond the retention or ending before it starts is an
// error.
func TestReportWindowAndEmpty(t *testing.T) {
	ctx := context.Background()
	lib := libOpen(t, t.TempDir())
	now := time.Now()
	rep, err := lib.Report(ctx, ReportOptions{GuildID: "g1", Since: now.Add(-MaxReportDays * 24 * time.Hour), Now: now})
	if err != nil || rep.NotCoveredTotal != 0 || len(rep.NotCovered) != 0 || len(rep.Disliked) != 0 || len(rep.Feeds) != 0 {
		t.Errorf("empty report = %+v, %v", rep, err)
	}
	if _, err := lib.Report(ctx, ReportOptions{Since: now.Add(-31 * 24 * time.Hour), Now: now}); err == nil || !strings.Contains(err.Error(), "at most 30 days") {
		t.Errorf("31 days: %v", err)
	}
	if _, err := lib.Report(ctx, ReportOptions{Since: now.Add(time.Hour), Now: now}); err == nil {
		t.Error("a window ending before it starts was accepted")
	}
}

// TestReportHugeCounts: a question asked 100,000 times and 6,000 distinct
// ones make a bounded report with exact totals.
func TestReportHugeCounts(t *testing.T) {
	ctx := context.Background()
	lib := libOpen(t, t.TempDir())
	at := time.Now().UTC().Add(-time.Hour).Format(feedbackTime)
	_, err := lib.w.ExecContext(ctx, `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 106000)
		INSERT INTO answers(id, guild_id, user_id, question, answer, sources, answered_at)
		SELECT 'a' || i, 'g', 'u', CASE WHEN i <= 100000 THEN 'Where is the flood?' ELSE 'what about zork ' || i END, '', 'null', ? FROM n`, at)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := lib.Report(ctx, ReportOptions{GuildID: "g", Since: time.Now().Add(-24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if rep.NotCoveredTotal != 106000 {
		t.Errorf("total = %d", rep.NotCoveredTotal)
	}
	if len(rep.NotCovered) != maxReportQuestions {
		t.Errorf("%d groups, want the bound %d", len(rep.NotCovered), maxReportQuestions)
	}
	if g := rep.NotCovered[0]; g.Question != "Where is the flood?" || g.Count != 100000 {
		t.Errorf("first group = %+v", g)
	}
}

// TestGroupQuestions: wordings group by their terms, not their letters.
func TestGroupQuestions(t *testing.T) {
	at := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	q := func(text string, n int) AskedQuestion { return AskedQuestion{Text: text, Count: n, Last: at} }
	got := GroupQuestions([]AskedQuestion{
		q("What sanctions were announced on Iran?", 2),
		q("what sanction was announced on iran", 5),
		q("Which sanctions did they announce against Iran?", 1),
		q("What sanctions were announced on Russia?", 1),
		q("<@123> @everyone **Iran** sanctions announced", 1),
	})
	var lines []string
	for _, g := range got {
		lines = append(lines, fmt.Sprintf("%d %d %s", g.Count, g.Wordings, g.Question))
	}
	want := []string{
		"8 3 what sanction was announced on iran",
		"1 1 What sanctions were announced on Russia?",
		// Two more terms than the Iran questions: not the same question.
		"1 1 <@123> @everyone **Iran** sanctions announced",
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("groups:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
}

// BenchmarkReport: a week's report over 100,000 "not covered" answers
// (94,000 of one question, 6,000 distinct ones) against the baseline of
// merely counting them.
func BenchmarkReport(b *testing.B) {
	ctx := context.Background()
	lib, err := Open(ctx, b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer lib.Close()
	at := time.Now().UTC().Add(-time.Hour).Format(feedbackTime)
	if _, err := lib.w.ExecContext(ctx, `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000)
		INSERT INTO answers(id, guild_id, user_id, question, answer, sources, answered_at)
		SELECT 'a' || i, 'g', 'u', CASE WHEN i <= 94000 THEN 'Where is the flood?' ELSE 'what about the zork number ' || i || ' today' END, '', 'null', ? FROM n`, at); err != nil {
		b.Fatal(err)
	}
	opts := ReportOptions{GuildID: "g", Since: time.Now().Add(-7 * 24 * time.Hour), Now: time.Now()}
	b.Run("count", func(b *testing.B) {
		for b.Loop() {
			var n int
			where, args := windowWhere(opts, "answered_at")
			if err := lib.r.QueryRowContext(ctx, "SELECT count(*) FROM answers WHERE "+where+" AND "+notCoveredSources, args...).Scan(&n); err != nil || n != 100000 {
				b.Fatal(n, err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/report")
	})
	b.Run("report", func(b *testing.B) {
		for b.Loop() {
			rep, err := lib.Report(ctx, opts)
			if err != nil || rep.NotCoveredTotal != 100000 || len(rep.NotCovered) != maxReportQuestions {
				b.Fatal(rep.NotCoveredTotal, len(rep.NotCovered), err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/report")
	})
}
