package retrieval

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/attache-bot/attache/corpus"
	"github.com/attache-bot/attache/retrieval/question"
)

// recencyFixtures: coverage of Veloria over a month; the day-old
// explainer repeats the words of a "latest" question best, and a market
// report mentions Veloria only in passing (the stories are invented).
var recencyFixtures = []corpus.Article{
	art("v-old", "", "2025-07-24", "Veloria news: the latest on Veloria's border talks, explained",
		"The latest news from Veloria: border talks between Veloria and Marsten resumed, and the latest round is expected to run for weeks. Veloria news outlets called the talks the most important in years. What is happening in Veloria now matters: Veloria is changing."),
	art("v-mid", "", "2025-07-01", "Veloria signs fisheries pact with Ostland",
		"Veloria signed a fisheries pact with Ostland on Tuesday, ending a dispute over the northern banks that had lasted a decade."),
	art("v-new", "", "2025-07-25", "Veloria recalls its envoy from Marsten",
		"Veloria recalled its envoy from Marsten on Friday after the talks on customs duties collapsed without agreement."),
	art("market", "", "2025-07-27", "Grain market report",
		"Wheat futures rose on Sunday. Traders cited weather, shipping costs and, briefly, a comment from a Veloria official about harvest estimates."),
}

func TestSearchLatest(t *testing.T) {
	e, _ := newTestEngine(t, Config{Logger: quietLogger()})
	mustAdd(t, e, recencyFixtures...)
	for _, c := range []struct {
		q    string
		asOf time.Time
		want string
		n    int // results: the newest, then the other visible candidates
	}{
		{"What's the latest on Veloria?", testAsOf, "v-new", 4},
		{"Any news about Veloria?", testAsOf, "v-new", 4},
		{"What is happening in Veloria right now?", testAsOf, "v-new", 4},
		{"What's the latest on Veloria?", day("2025-07-24"), "v-old", 2},
		{"latest Veloria news", day("2025-07-10"), "v-mid", 1},
	} {
		ps := search(t, e, Query{Text: c.q, AsOf: c.asOf})
		if len(ps) == 0 || ps[0].ArticleID != c.want {
			t.Errorf("%q as of %s: got %v, want %s first", c.q, c.asOf.Format(corpus.DateLayout), ids(ps), c.want)
		}
		if len(ps) != c.n {
			t.Errorf("%q as of %s: %d results %v, want %d", c.q, c.asOf.Format(corpus.DateLayout), len(ps), ids(ps), c.n)
		}
	}
	// Without a recency word the best match wins, as before.
	if ps := search(t, e, Query{Text: "Which outlets called the Veloria border talks the most important in years?"}); len(ps) == 0 || ps[0].ArticleID != "v-old" {
		t.Errorf("a question without recency words: got %v, want v-old first", ids(ps))
	}
}

// TestAnswerEmptyPeriod: a period that holds nothing about the question is
// named, and the newest coverage before it answers.
func TestAnswerEmptyPeriod(t *testing.T) {
	e, _ := newTestEngine(t, Config{Logger: quietLogger()})
	mustAdd(t, e, recencyFixtures...)
	a, err := e.Answer(context.Background(), Request{Question: "What happened in Veloria this week?", AsOf: day("2025-07-16")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if a.Mode != ModeExtractive || a.Sources[0].ArticleID != "v-mid" {
		t.Fatalf("got %s %+v: want an answer from v-mid, the newest before the week", a.Mode, a.Sources)
	}
	want := "Nothing from 10 to 16 Jul 2025 is about this; the newest coverage is from 1 Jul 2025 (2 weeks ago)."
	if !strings.Contains(a.Note, want) {
		t.Errorf("note %q: want %q", a.Note, want)
	}
	// A period that holds the news: no such note.
	a, err = e.Answer(context.Background(), Request{Question: "What happened in Veloria this week?", AsOf: testAsOf}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if p := a.Sources[0].Published; p.Before(day("2025-07-22")) || strings.Contains(a.Note, "Nothing from") {
		t.Errorf("got %+v, note %q: want an article of the week and no empty-period note", a.Sources, a.Note)
	}
}

func TestEmptyPeriodNote(t *testing.T) {
	ans := Answer{AsOf: day("2023-06-10"), Sources: []Source{{Published: day("2023-03-03")}, {Published: day("2022-12-01")}}}
	for _, c := range []struct {
		from, to string
		want     string
	}{
		{"2023-06-04", "2023-06-10", "Nothing from 4 to 10 Jun 2023 is about this; the newest coverage is from 3 Mar 2023 (about 3 months ago)."},
		{"2023-05-28", "2023-06-03", "Nothing from 28 May to 3 Jun 2023 is about this; the newest coverage is from 3 Mar 2023 (about 3 months ago)."},
		{"2022-12-28", "2023-01-03", "Nothing from 28 Dec 2022 to 3 Jan 2023 is about this; the newest coverage is from 3 Mar 2023 (about 3 months ago)."},
		{"2023-06-10", "2023-06-10", "Nothing on 10 Jun 2023 is about this; the newest coverage is from 3 Mar 2023 (about 3 months ago)."},
	} {
		w := question.TimeWindow{From: day(c.from), To: day(c.to)}
		if got := emptyPeriodNote(w, ans); got != c.want {
			t.Errorf("emptyPeriodNote(%s..%s) = %q, want %q", c.from, c.to, got, c.want)
		}
	}
	if got := emptyPeriodNote(question.TimeWindow{From: day("2023-06-10"), To: day("2023-06-10")}, Answer{AsOf: day("2023-06-10")}); got != "Nothing on 10 Jun 2023 is about this." {
		t.Errorf("without sources: %q", got)
	}
}

// TestAnswerDigest: a question that names a period or asks for the latest
// without a topic gets the newest articles, newest first, one sentence
// each; a period with none says so and gives the newest before it.
func TestAnswerDigest(t *testing.T) {
	e, _ := newTestEngine(t, Config{Logger: quietLogger()})
	mustAdd(t, e, recencyFixtures...)
	for _, q := range []string{"What happened this week?", "Any news?", "What's new?", "What happened yesterday?"} {
		a, err := e.Answer(context.Background(), Request{Question: q, AsOf: testAsOf}, nil)
		if err != nil {
			t.Fatal(err)
		}
		checkAnswerInvariants(t, a)
		if a.Mode != ModeExtractive || len(a.Sources) == 0 || a.Sources[0].ArticleID != "market" {
			t.Errorf("%q: got %s %q %v, want the newest article (market) first", q, a.Mode, a.Text, a.Sources)
			continue
		}
		for i := 1; i < len(a.Sources); i++ {
			if a.Sources[i].Published.After(a.Sources[i-1].Published) {
				t.Errorf("%q: sources not newest first: %v", q, a.Sources)
			}
		}
	}
	a, err := e.Answer(context.Background(), Request{Question: "What happened this week?", AsOf: day("2025-07-16")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Sources) == 0 || a.Sources[0].ArticleID != "v-mid" || !strings.Contains(a.Note, "Nothing from 10 to 16 Jul 2025") {
		t.Errorf("an empty week: got %q %v, note %q; want v-mid and the empty-period note", a.Text, a.Sources, a.Note)
	}
	// A named period is not a term the sources must hold.
	a, err = e.Answer(context.Background(), Request{Question: "What has Veloria done since June?", AsOf: testAsOf}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if a.Mode == ModeNone {
		t.Errorf("a question with a period: %q, want an answer", a.Text)
	}
}

// TestDatedNote: the empty-period note is left out when a cited source is
// from the period after all; otherwise it replaces the newest-source line.
func TestDatedNote(t *testing.T) {
	week := question.TimeWindow{From: day("2023-06-04"), To: day("2023-06-10")}
	old := Answer{AsOf: day("2023-06-10"), Sources: []Source{{Published: day("2023-06-01")}}}
	if got := datedNote(old, week); !strings.HasPrefix(got, "Nothing from 4 to 10 Jun 2023") {
		t.Errorf("sources before the period: %q, want the empty-period note", got)
	}
	inside := Answer{AsOf: day("2023-06-10"), Sources: []Source{{Published: day("2023-06-01")}, {Published: day("2023-06-08")}}}
	if got := datedNote(inside, week); got != "Newest source: 8 Jun 2023 (2 days ago)." {
		t.Errorf("a source from the period: %q, want the newest-source line", got)
	}
	if got := datedNote(inside, question.TimeWindow{}); got != "Newest source: 8 Jun 2023 (2 days ago)." {
		t.Errorf("no period: %q", got)
	}
}
