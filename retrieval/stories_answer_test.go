package retrieval

import (
	"context"
	"strings"
	"testing"

	"github.com/attache-bot/attache/corpus"
	"github.com/attache-bot/attache/retrieval/llm/openaitest"
)

// blastStory is one invented event told by three outlets, two of which
// give different death tolls, and an unrelated article. The story ids are
// set by hand: these tests are about what answers do with stories, not
// about how articles are grouped into them.
func blastStory() []corpus.Article {
	return []corpus.Article{
		{ID: "blast-cw", StoryID: "s-blast", Title: "Blast at Kessel harbour kills 12", Source: "Coastal Wire",
			URL: "https://coastal.example/blast", Published: day("2025-07-22"),
			Body: "An explosion at the Kessel harbour in Veloria killed 12 people on Tuesday, officials said. " +
				"The blast tore through a fuel depot near the ferry terminal. Investigators from the interior ministry are examining the depot."},
		{ID: "blast-nl", StoryID: "s-blast", Title: "Kessel harbour explosion leaves 15 dead", Source: "Northern Ledger",
			URL: "https://ledger.example/blast", Published: day("2025-07-22"),
			Body: "The explosion at Kessel harbour in Veloria killed 15 people on Tuesday, police said. " +
				"The blast destroyed a fuel depot beside the ferry terminal. Interior ministry investigators are at the depot."},
		{ID: "blast-fr", StoryID: "s-blast", Title: "Fuel depot blast at Kessel harbour", Source: "Field Report",
			URL: "https://field.example/blast", Published: day("2025-07-23"),
			Body: "Investigators searched the ruined fuel depot at Kessel harbour in Veloria on Wednesday after the explosion. " +
				"The ferry terminal beside the depot stayed closed."},
		{ID: "grain", Title: "Grain prices climb after drought in Tessaly", Source: "Field Report",
			URL: "https://field.example/grain", Published: day("2025-06-01"),
			Body: "Grain prices rose sharply after a long drought in Tessaly cut the harvest by a third."},
	}
}

const blastQuestion = "How many people were killed in the Kessel harbour explosion?"

func sourceIDs(a Answer) string {
	var ids []string
	for _, s := range a.Sources {
		ids = append(ids, s.ArticleID)
	}
	return strings.Join(ids, ",")
}

func TestAnswerStoriesExtractive(t *testing.T) {
	e, lib := newTestEngine(t, Config{Logger: quietLogger()})
	mustAdd(t, e, blastStory()...)
	if err := lib.SetOutletLabel(context.Background(), corpus.SharedScope, "northern ledger", "state media", testAsOf); err != nil {
		t.Fatal(err)
	}
	a, err := e.Answer(context.Background(), Request{Question: blastQuestion, AsOf: testAsOf}, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkAnswerInvariants(t, a)
	if a.Mode != ModeExtractive {
		t.Fatalf("mode %s: %q", a.Mode, a.Text)
	}
	t.Logf("answer:\n%s\nsources %+v", a.Text, a.Sources)
	// Both tolls, each with its outlet and its own citation.
	n := map[string]int{}
	for _, s := range a.Sources {
		n[s.ArticleID] = s.N
	}
	if n["blast-cw"] == 0 || n["blast-nl"] == 0 {
		t.Fatalf("both sides are not cited: %s\n%s", sourceIDs(a), a.Text)
	}
	for _, want := range []string{"Reports differ:", "12 dead [", "Northern Ledger (state media) reports 15 dead ["} {
		if !strings.Contains(a.Text, want) {
			t.Errorf("answer lacks %q:\n%s", want, a.Text)
		}
	}
	// The third report of the story is listed with a cited one, not cited.
	var also []Also
	for _, s := range a.Sources {
		if s.StoryID != "s-blast" {
			t.Errorf("source %s has story %q", s.ArticleID, s.StoryID)
		}
		if s.ArticleID == "blast-fr" {
			t.Errorf("the story's third article is cited separately:\n%s", a.Text)
		}
		also = append(also, s.Also...)
		if s.ArticleID == "blast-nl" && s.Label != "state media" {
			t.Errorf("the label is not on the source: %+v", s)
		}
	}
	if len(also) != 1 || also[0].ArticleID != "blast-fr" || also[0].Source != "Field Report" || also[0].URL != "https://field.example/blast" {
		t.Errorf("also = %+v, want the Field Report article", also)
	}
	var names []string
	for _, o := range a.Outlets() {
		names = append(names, o.String())
	}
	if got := strings.Join(names, ", "); !strings.Contains(got, "Coastal Wire") || !strings.Contains(got, "Northern Ledger (state media)") || !strings.Contains(got, "Field Report") {
		t.Errorf("outlets %s", got)
	}

	// One per story is the default; with no limit the answer may cite all.
	e2, _ := newTestEngine(t, Config{Logger: quietLogger(), PerStory: -1})
	mustAdd(t, e2, blastStory()...)
	a2, err := e2.Answer(context.Background(), Request{Question: blastQuestion, AsOf: testAsOf}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range a2.Sources {
		if len(s.Also) != 0 {
			t.Errorf("without a limit per story nothing is listed with a source: %+v", s)
		}
	}
}

func TestAnswerStoriesAgreeingIsNotADisagreement(t *testing.T) {
	arts := blastStory()
	arts[1].Body = strings.ReplaceAll(arts[1].Body, "killed 15", "killed twelve")
	arts[1].Title = "Kessel harbour explosion leaves 12 dead"
	e, _ := newTestEngine(t, Config{Logger: quietLogger()})
	mustAdd(t, e, arts...)
	a, err := e.Answer(context.Background(), Request{Question: blastQuestion, AsOf: testAsOf}, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkAnswerInvariants(t, a)
	if strings.Contains(a.Text, "differ") || len(a.Sources) != 1 || len(a.Sources[0].Also) != 2 {
		t.Errorf("agreeing reports: %q, sources %s (also %+v)", a.Text, sourceIDs(a), a.Sources[0].Also)
	}
}

func TestAnswerStoriesLLM(t *testing.T) {
	for name, tc := range map[string]struct {
		reply   string // the model's answer (sources as the prompt numbers them)
		want    []string
		notWant string
	}{
		// The model gives one side: the other is added.
		"one side": {reply: "The explosion killed 12 people, officials said [1].",
			want: []string{"The explosion killed 12 people, officials said [1].", "Reports differ: Coastal Wire reports 12 dead [1]; Northern Ledger reports 15 dead [2]."}},
		// The model gives both, each cited: nothing added.
		"both sides": {reply: "Coastal Wire reports 12 dead [1], while Northern Ledger reports 15 [2].",
			want: []string{"Coastal Wire reports 12 dead [1], while Northern Ledger reports 15 [2]."}, notWant: "Reports differ"},
		// Both figures but one cited wrongly: the line is added.
		"miscited": {reply: "Between 12 and 15 people died [1].",
			want: []string{"Reports differ: Coastal Wire reports 12 dead [1]; Northern Ledger reports 15 dead [2]."}},
		// Not about the toll: no line.
		"other fact": {reply: "The blast destroyed a fuel depot beside the ferry terminal [2].", notWant: "Reports differ",
			want: []string{"fuel depot"}},
	} {
		t.Run(name, func(t *testing.T) {
			srv := openaitest.New(t)
			srv.SetReply(tc.reply)
			e, _ := newTestEngine(t, Config{Logger: quietLogger(), LLM: newTestLLM(t, srv), NoRewrite: true})
			mustAdd(t, e, blastStory()...)
			var streamed strings.Builder
			a, err := e.Answer(context.Background(), Request{Question: blastQuestion, AsOf: testAsOf}, func(d string) { streamed.WriteString(d) })
			if err != nil {
				t.Fatal(err)
			}
			checkAnswerInvariants(t, a)
			if a.Mode != ModeLLM {
				t.Fatalf("mode %s: %q", a.Mode, a.Text)
			}
			reqs := srv.ChatRequests()
			if len(reqs) != 1 {
				t.Fatalf("%d model calls", len(reqs))
			}
			prompt := reqs[0].Messages[len(reqs[0].Messages)-1].Content
			if !strings.Contains(prompt, "different figures for the same fact") || !strings.Contains(prompt, "gives 12 dead; source") || !strings.Contains(prompt, "gives 15 dead") {
				t.Errorf("the prompt does not state the disagreement:\n%s", prompt)
			}
			// Each cited source is the article the prompt numbered: the
			// Coastal Wire article first, the Northern Ledger one second.
			for _, w := range tc.want {
				if !strings.Contains(a.Text, w) {
					t.Errorf("answer lacks %q:\n%s", w, a.Text)
				}
			}
			if tc.notWant != "" && strings.Contains(a.Text, tc.notWant) {
				t.Errorf("answer has %q:\n%s", tc.notWant, a.Text)
			}
			if strings.Contains(a.Text, "Reports differ") {
				ids := sourceIDs(a)
				if !strings.Contains(ids, "blast-cw") || !strings.Contains(ids, "blast-nl") {
					t.Errorf("sources %s, want both sides", ids)
				}
			}
			if got := strings.TrimSpace(streamed.String()); got != a.Text {
				t.Errorf("streamed %q, answer %q", got, a.Text)
			}
		})
	}
}

// TestAnswerStoriesNumbersOnly: an article whose every sentence is a
// number, in a story with an ordinary report, neither breaks the answer
// nor makes a disagreement out of bare numbers.
func TestAnswerStoriesNumbersOnly(t *testing.T) {
	arts := blastStory()
	arts[1].Body = "15. 1,200. 3.5. 2024. 12. 15. 99. " + strings.Repeat("7 8 9. ", 300)
	arts[1].Title = "Kessel harbour explosion 12 15"
	e, _ := newTestEngine(t, Config{Logger: quietLogger()})
	mustAdd(t, e, arts...)
	for _, q := range []string{blastQuestion, "12", "15 1,200 3.5"} {
		a, err := e.Answer(context.Background(), Request{Question: q, AsOf: testAsOf}, nil)
		if err != nil {
			t.Fatalf("%q: %v", q, err)
		}
		checkAnswerInvariants(t, a)
		if strings.Contains(a.Text, "Reports differ") {
			t.Errorf("%q: bare numbers made a disagreement:\n%s", q, a.Text)
		}
	}
}
