package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/attache-bot/attache/corpus"
)

// seedReport stores answers and votes in c's data directory as serve
// would have.
func seedReport(t *testing.T, c *cli, answers []corpus.AnswerRecord, votes []corpus.Feedback) {
	t.Helper()
	ctx := context.Background()
	lib, err := corpus.Open(ctx, c.env["ATTACHE_DATA_DIR"])
	if err != nil {
		t.Fatal(err)
	}
	defer lib.Close()
	for _, a := range answers {
		if err := lib.SaveAnswer(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	for _, v := range votes {
		if _, err := lib.SaveFeedback(ctx, v); err != nil {
			t.Fatal(err)
		}
	}
}

// TestReportCommand: the report as text and as JSON, for one guild and
// for all, with hostile question text kept on its own line, and the
// -days bounds.
func TestReportCommand(t *testing.T) {
	c := newCLI(t)
	now := time.Now().UTC()
	hostile := "evil\n  999× forged line\x1b[31m\tred"
	var answers []corpus.AnswerRecord
	for i, q := range []string{"What did the summit agree on?", "what did the summits agree on", "What did the summit agree on?", hostile} {
		answers = append(answers, corpus.AnswerRecord{ID: fmt.Sprintf("n%d", i), GuildID: "111", UserID: "u", Question: q,
			Answer: "The articles here don't cover that.", Sources: "null", Time: now.Add(-time.Duration(i+1) * time.Hour)})
	}
	answers = append(answers,
		corpus.AnswerRecord{ID: "o1", GuildID: "222", UserID: "u", Question: "Other guild?", Sources: "null", Time: now.Add(-time.Hour)},
		corpus.AnswerRecord{ID: "old", GuildID: "111", UserID: "u", Question: "Ten days ago?", Sources: "null", Time: now.Add(-10 * 24 * time.Hour)})
	votes := []corpus.Feedback{{AnswerID: "d1", UserID: "u1", GuildID: "111", Vote: -1, Question: "Who met?", Answer: "They met [1].",
		Sources: `[{"N":1,"Title":"Talks","Source":"Wire","URL":"https://news.example/t"}]`, Time: now.Add(-time.Hour)}}
	seedReport(t, c, answers, votes)

	r := c.mustRun(0, "report", "-guild", "111")
	for _, want := range []string{"Report for guild 111, the last 7 days", "Not covered: 4 question(s) asking 2 thing(s)",
		"     3× What did the summit agree on? (2 wordings)", "Voted down: 1 answer(s)", "1👎 Who met? (answer d1)",
		"answer: They met [1].", "source: Talks, Wire https://news.example/t", "Feeds: 0"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("report lacks %q:\n%s", want, r.stdout)
		}
	}
	for _, line := range strings.Split(r.stdout, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "999×") || strings.ContainsAny(line, "\x1b\t") {
			t.Errorf("hostile question text made its own line or kept control characters: %q", line)
		}
	}
	if strings.Contains(r.stdout, "Other guild") || strings.Contains(r.stdout, "Ten days ago") {
		t.Errorf("another guild's or an older question in the report:\n%s", r.stdout)
	}

	var rep reportJSON
	r = c.mustRun(0, "report", "-json", "-days", "30")
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("report -json: %v\n%s", err, r)
	}
	if rep.Guild != "" || rep.Days != 30 || rep.NotCoveredTotal != 6 || len(rep.NotCovered) != 4 || len(rep.Disliked) != 1 || rep.Feeds == nil {
		t.Errorf("report -json for every guild over 30 days: %+v", rep)
	}
	if g := rep.NotCovered[0]; g.Question != "What did the summit agree on?" || g.Count != 3 || g.Wordings != 2 || g.Last == "" {
		t.Errorf("first group: %+v", g)
	}
	found := false
	for _, g := range rep.NotCovered {
		found = found || g.Question == hostile // JSON keeps the text exactly, escaped by the encoder
	}
	if !found {
		t.Errorf("the hostile question is not in the JSON as asked: %+v", rep.NotCovered)
	}
	if d := rep.Disliked[0]; d.AnswerID != "d1" || d.Down != 1 || len(d.Sources) != 1 || d.Sources[0].URL != "https://news.example/t" {
		t.Errorf("disliked: %+v", d)
	}

	for _, bad := range [][]string{{"-days", "0"}, {"-days", "31"}, {"-days", "x"}, {"extra"}, {"-guild", "a b"}} {
		c.mustRun(2, append([]string{"report"}, bad...)...)
	}
}

// TestReportCommandEmpty: a fresh data directory reports nothing, in
// valid JSON with empty arrays, and is not seeded.
func TestReportCommandEmpty(t *testing.T) {
	c := newCLI(t)
	r := c.mustRun(0, "report", "-json")
	var raw map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &raw); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"not_covered", "disliked", "feeds"} {
		if a, ok := raw[k].([]any); !ok || len(a) != 0 {
			t.Errorf("%s = %v, want []", k, raw[k])
		}
	}
	if n := articleCount(t, c); n != 0 {
		t.Errorf("report seeded the library: %d articles", n)
	}
}
