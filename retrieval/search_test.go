package retrieval

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/attache-bot/attache/corpus"
	"github.com/attache-bot/attache/retrieval/index"
)

// day parses a YYYY-MM-DD date for fixtures.
func day(s string) time.Time {
	t, err := time.Parse(corpus.DateLayout, s)
	if err != nil {
		panic(err)
	}
	return t
}

// testAsOf is the fixed "today" of the search tests (a Monday).
var testAsOf = day("2025-07-28")

// newTestEngine opens a library in a fresh temporary directory and an
// engine over it with the local embedder.
func newTestEngine(t testing.TB, cfg Config) (*Engine, *corpus.Library) {
	t.Helper()
	ctx := context.Background()
	lib, err := corpus.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lib.Close() })
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return testAsOf }
	}
	e, err := New(ctx, lib, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return e, lib
}

// art makes a fixture article; the stories are invented.
func art(id, scope, published, title, body string) corpus.Article {
	a := corpus.Article{ID: id, Scope: scope, Title: title, Source: "Test Wire", Body: body,
		URL: "https://news.example.test/" + id}
	if published != "" {
		a.Published = day(published)
	}
	return a
}

func mustAdd(t testing.TB, e *Engine, arts ...corpus.Article) {
	t.Helper()
	for _, a := range arts {
		if _, _, err := e.Add(context.Background(), a); err != nil {
			t.Fatalf("add %s: %v", a.ID, err)
		}
	}
}

func search(t testing.TB, e *Engine, q Query) []Passage {
	t.Helper()
	if q.AsOf.IsZero() {
		q.AsOf = testAsOf
	}
	ps, err := e.Search(context.Background(), q)
	if err != nil {
		t.Fatalf("search %q: %v", q.Text, err)
	}
	return ps
}

func ids(ps []Passage) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.ArticleID
	}
	return out
}

func has(ps []Passage, id string) bool {
	for _, p := range ps {
		if p.ArticleID == id {
			return true
		}
	}
	return false
}

// fishing is a small background corpus about invented countries.
func fixtureCorpus() []corpus.Article {
	return []corpus.Article{
		art("fish-accord", corpus.SharedScope, "2025-07-25", "Norland and Vesteria sign Grey Sea fishing accord",
			"Norland and Vesteria signed a fishing accord in Halvik on Friday. The accord ends a decade of disputes over cod quotas in the Grey Sea. "+
				"Foreign minister Ada Lindqvist said the deal protects coastal villages."),
		art("rail-strike", corpus.SharedScope, "2025-07-21", "Rail workers in Quorvia strike over pay",
			"Rail workers across Quorvia walked out on Monday, halting freight and passenger trains. The union demands a nine percent raise. "+
				"The transport ministry called the strike irresponsible."),
		art("summit-old", corpus.SharedScope, "2023-03-14", "Quorvian president hosts Zanthor summit on water rights",
			"The Quorvian president hosted the Zanthor summit on water rights along the Meru river. Delegates from five states agreed to share "+
				"river flow data every month."),
		art("election", corpus.SharedScope, "2025-06-10", "Vesteria holds snap parliamentary election",
			"Vesteria held a snap parliamentary election after the coalition collapsed. The Green Harbour party won the most seats."),
		art("march-talks", corpus.SharedScope, "2024-03-12", "Norland trade talks stall in March",
			"Trade talks between Norland and Quorvia stalled over steel tariffs. Negotiators will meet again in the autumn."),
		art("may-speech", corpus.SharedScope, "2025-05-12", "Lindqvist speech on Arctic shipping",
			"Foreign minister Ada Lindqvist gave a speech on Arctic shipping lanes, calling for a joint coast guard."),
		art("future-story", corpus.SharedScope, "2025-08-05", "Norland and Vesteria fishing accord collapses",
			"The Grey Sea fishing accord between Norland and Vesteria collapsed after a boarding incident."),
	}
}

func TestSearchFindsAndRanks(t *testing.T) {
	e, _ := newTestEngine(t, Config{})
	mustAdd(t, e, fixtureCorpus()...)
	ps := search(t, e, Query{Text: "Where did Norland and Vesteria sign the fishing accord?"})
	if len(ps) == 0 || ps[0].ArticleID != "fish-accord" {
		t.Fatalf("got %v", ids(ps))
	}
	p := ps[0]
	if p.Title == "" || p.Source != "Test Wire" || !p.Published.Equal(day("2025-07-25")) || p.URL == "" ||
		!strings.Contains(p.Text, "Halvik") || !strings.HasPrefix(p.ChunkID, "fish-accord#") || p.Score <= 0 {
		t.Fatalf("passage %+v", p)
	}
	// One entry per article; scores are absolute relevance in [0, 1].
	seen := map[string]bool{}
	for _, p := range ps {
		if seen[p.ArticleID] {
			t.Fatalf("article %s twice", p.ArticleID)
		}
		seen[p.ArticleID] = true
		if p.Score < 0 || p.Score > 1 {
			t.Fatalf("score out of range: %+v", p)
		}
	}
	if len(search(t, e, Query{Text: "Norland", K: 2})) > 2 {
		t.Fatal("K not respected")
	}
}

func TestSearchAsOfHidesFuture(t *testing.T) {
	e, _ := newTestEngine(t, Config{})
	mustAdd(t, e, fixtureCorpus()...)
	q := "Norland Vesteria Grey Sea fishing accord collapses boarding incident"
	if ps := search(t, e, Query{Text: q, K: 10}); has(ps, "future-story") {
		t.Fatalf("article from after the as-of date visible: %v", ids(ps))
	}
	// Published on the as-of day itself: visible.
	if ps := search(t, e, Query{Text: q, K: 10, AsOf: day("2025-08-05")}); len(ps) == 0 || ps[0].ArticleID != "future-story" {
		t.Fatalf("as of its own date: %v", ids(ps))
	}
	// The day before the fishing accord: it is invisible too.
	if ps := search(t, e, Query{Text: "fishing accord Halvik", K: 10, AsOf: day("2025-07-24")}); has(ps, "fish-accord") {
		t.Fatalf("as of the day before: %v", ids(ps))
	}
	// A zero AsOf means Config.Now.
	ps, err := e.Search(context.Background(), Query{Text: q, K: 10})
	if err != nil || has(ps, "future-story") {
		t.Fatalf("zero AsOf: %v %v", ids(ps), err)
	}
}

func TestSearchScopeIsolation(t *testing.T) {
	e, _ := newTestEngine(t, Config{})
	mustAdd(t, e,
		art("guild-a-note", "111", "2025-07-20", "Harbour authority memo on Plovdin ferries", "The Plovdin ferry timetable changes in August, the memo says."),
		art("guild-b-note", "222", "2025-07-20", "Plovdin ferry captains protest", "Plovdin ferry captains protested the new timetable."),
		art("shared-note", corpus.SharedScope, "2025-07-19", "Plovdin port expands", "The port of Plovdin is adding a ferry berth."),
	)
	for _, c := range []struct {
		scope      string
		want, deny []string
	}{
		// A guild's record ids are stored as id@GUILD (corpus.ScopedID).
		{"111", []string{"guild-a-note@111", "shared-note"}, []string{"guild-b-note@222"}},
		{"222", []string{"guild-b-note@222", "shared-note"}, []string{"guild-a-note@111"}},
		{"", []string{"shared-note"}, []string{"guild-a-note@111", "guild-b-note@222"}},
		{corpus.SharedScope, []string{"shared-note"}, []string{"guild-a-note@111", "guild-b-note@222"}},
		{"333", []string{"shared-note"}, []string{"guild-a-note@111", "guild-b-note@222"}},
	} {
		ps := search(t, e, Query{Text: "Plovdin ferry timetable", Scope: c.scope, K: 10})
		for _, id := range c.want {
			if !has(ps, id) {
				t.Errorf("scope %q: %s missing from %v", c.scope, id, ids(ps))
			}
		}
		for _, id := range c.deny {
			if has(ps, id) {
				t.Errorf("scope %q: %s leaked into %v", c.scope, id, ids(ps))
			}
		}
	}
}

func TestSearchTimeWindows(t *testing.T) {
	e, _ := newTestEngine(t, Config{})
	// The same story on many dates; only the date tells them apart.
	dates := []string{"2025-07-27", "2025-07-22", "2025-07-16", "2025-06-20", "2025-06-03", "2025-05-12", "2025-03-15", "2024-03-10", "2024-11-20"}
	for _, d := range dates {
		mustAdd(t, e, art("kelp-"+d, corpus.SharedScope, d, "Kelp farm cooperative report",
			"The kelp farm cooperative of Brennik published its harvest report."))
	}
	// Slack (reporting lag) is a tuning knob; the windows themselves are
	// checked exactly with it off, and with calendar windows as filters
	// (TestSearchCalendarWindowPreference covers the default preference).
	e.rank.WindowSlackDays = 0
	e.rank.CalendarWindowBoost = 0
	for _, c := range []struct {
		q    string
		want []string // exactly these dates, in any order
	}{
		{"What did the kelp farm cooperative report this week?", []string{"2025-07-27", "2025-07-22"}},
		{"What did the kelp farm cooperative report yesterday?", []string{"2025-07-27"}},
		{"What did the kelp farm cooperative report last month?", []string{"2025-06-20", "2025-06-03"}},
		{"What has the kelp farm cooperative reported since June?", []string{"2025-07-27", "2025-07-22", "2025-07-16", "2025-06-20", "2025-06-03"}},
		{"kelp farm cooperative report in March 2024", []string{"2024-03-10"}},
		{"kelp farm cooperative report on 12 May", []string{"2025-05-12"}},
		{"kelp farm cooperative report on 2024-11-20", []string{"2024-11-20"}},
		{"kelp farm cooperative report in March", []string{"2025-03-15"}},
	} {
		ps := search(t, e, Query{Text: c.q, K: 20})
		got := map[string]bool{}
		for _, p := range ps {
			got[p.Published.Format(corpus.DateLayout)] = true
		}
		want := map[string]bool{}
		for _, d := range c.want {
			want[d] = true
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%q: got dates %v, want %v", c.q, got, want)
		}
	}
	// A window that holds nothing falls back to everything visible.
	if ps := search(t, e, Query{Text: "kelp farm cooperative report in March 2019", K: 20}); len(ps) != len(dates) {
		t.Errorf("empty window: %d results, want all %d", len(ps), len(dates))
	}
	// So does a window in which nothing relevant was published.
	mustAdd(t, e, art("unrelated-recent", corpus.SharedScope, "2025-07-08", "Velodrome reopens", "The Brennik velodrome reopened after renovation."))
	if ps := search(t, e, Query{Text: "kelp farm cooperative harvest report in the past 3 days", K: 20, AsOf: day("2025-07-10")}); len(ps) == 0 || ps[0].ArticleID == "unrelated-recent" || !strings.HasPrefix(ps[0].ArticleID, "kelp-") {
		t.Errorf("window with nothing relevant: got %v", ids(ps))
	}
	// Recency prior: without a window the newest comes first.
	if ps := search(t, e, Query{Text: "kelp farm cooperative harvest report", K: 3}); len(ps) == 0 || ps[0].ArticleID != "kelp-2025-07-27" {
		t.Errorf("recency: got %v", ids(ps))
	}
}

// TestSearchCalendarWindowPreference checks the default handling of a
// calendar date in a question: articles published then come first, but
// later reports stay findable (the date may be when the event happened),
// while a relative period ("this week") still filters.
func TestSearchCalendarWindowPreference(t *testing.T) {
	e, _ := newTestEngine(t, Config{})
	e.rank.WindowSlackDays = 0
	mustAdd(t, e,
		art("dam-june", corpus.SharedScope, "2025-06-12", "Ostrava dam inspection",
			"Engineers inspected the Ostrava dam spillway and found cracks."),
		art("dam-june-2", corpus.SharedScope, "2025-06-10", "Ostrava dam spillway",
			"The Ostrava dam spillway will be inspected by engineers."),
		art("dam-july", corpus.SharedScope, "2025-07-25", "Ostrava dam repairs begin",
			"Repairs began on the Ostrava dam spillway whose cracks engineers found in June."),
	)
	asOf := day("2025-07-28")
	// Without a date the newest report leads.
	ps := search(t, e, Query{Text: "What did engineers find at the Ostrava dam spillway?", AsOf: asOf, K: 10})
	if len(ps) != 3 || ps[0].ArticleID != "dam-july" {
		t.Fatalf("no date: got %v", ids(ps))
	}
	// A calendar month prefers reports from it, and still lists the later
	// one (a filter would hide it).
	ps = search(t, e, Query{Text: "What did engineers find at the Ostrava dam spillway in June?", AsOf: asOf, K: 10})
	if len(ps) != 3 || ps[0].ArticleID == "dam-july" || !has(ps, "dam-july") {
		t.Fatalf("in June: got %v", ids(ps))
	}
	// The same month as a filter hides the later report.
	e.rank.CalendarWindowBoost = 0
	ps = search(t, e, Query{Text: "What did engineers find at the Ostrava dam spillway in June?", AsOf: asOf, K: 10})
	if has(ps, "dam-july") || len(ps) != 2 {
		t.Fatalf("in June as a filter: got %v", ids(ps))
	}
	e.rank.CalendarWindowBoost = defaultRanking().CalendarWindowBoost
	// A relative period filters by default.
	ps = search(t, e, Query{Text: "Which repairs began on the Ostrava dam spillway this week?", AsOf: asOf, K: 10})
	if len(ps) != 1 || ps[0].ArticleID != "dam-july" {
		t.Fatalf("this week: got %v", ids(ps))
	}
}

// TestSearchRerankPrefersAnswer checks the second stage: of two articles on
// the same subject, the one whose passage holds what the question asks for
// (here a number) moves ahead of one that only restates the subject.
func TestSearchRerankPrefersAnswer(t *testing.T) {
	e, _ := newTestEngine(t, Config{})
	mustAdd(t, e,
		art("vote-topic", corpus.SharedScope, "2025-07-27", "Teslin council vote on the tram line",
			"The Teslin council voted on the tram line. The Teslin council tram line vote was long awaited by the council."),
		art("vote-count", corpus.SharedScope, "2025-07-27", "Teslin tram line approved",
			"The Teslin council approved the tram line by 31 votes to 12 on Friday."),
	)
	q := Query{Text: "How many council members voted for the Teslin tram line?", AsOf: day("2025-07-28"), K: 2}
	e.rank.RerankWeight = 0
	before := search(t, e, q)
	e.rank.RerankWeight = 5
	after := search(t, e, q)
	if len(after) != 2 || after[0].ArticleID != "vote-count" {
		t.Fatalf("with rerank: got %v (without: %v)", ids(after), ids(before))
	}
	// Without the second stage the restatement leads: the fixture
	// exercises the rerank rather than the first stage.
	if len(before) != 2 || before[0].ArticleID != "vote-topic" {
		t.Fatalf("without rerank: got %v, want vote-topic first", ids(before))
	}
}

func TestRerankEdgeCases(t *testing.T) {
	ix := index.New(4, nil)
	// Nothing to reorder, no question words, unknown chunks: scores kept.
	for _, c := range []struct {
		q    string
		arts []articleScore
	}{
		{"who won?", nil},
		{"who won?", []articleScore{{ArticleID: "a", ChunkID: "a#0", Score: 1}}},
		{"?!", []articleScore{{ArticleID: "a", ChunkID: "a#0", Score: 1}, {ArticleID: "b", ChunkID: "b#0", Score: 2}}},
		{"who won the Teslin vote?", []articleScore{{ArticleID: "a", ChunkID: "gone#0", Score: 1}, {ArticleID: "b", ChunkID: "gone#1", Score: 2}}},
	} {
		want := slices.Clone(c.arts)
		if err := rerank(context.Background(), ix, c.q, c.arts, 1); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(c.arts, want) {
			t.Errorf("%q: scores changed: %v", c.q, c.arts)
		}
	}
}

func TestSearchRecencyAndBackground(t *testing.T) {
	e, _ := newTestEngine(t, Config{})
	mustAdd(t, e, fixtureCorpus()...)
	body := "Quorvia's central bank raised its main interest rate by half a point to fight inflation."
	mustAdd(t, e,
		art("rates-old", corpus.SharedScope, "2024-01-10", "Quorvia central bank raises rates", body),
		art("rates-new", corpus.SharedScope, "2025-07-24", "Quorvia central bank raises rates", body),
	)
	ps := search(t, e, Query{Text: "Did Quorvia's central bank raise interest rates?", K: 5})
	if len(ps) < 2 || ps[0].ArticleID != "rates-new" || !has(ps, "rates-old") {
		t.Fatalf("equal matches: want the newer first, got %v", ids(ps))
	}
	// A background question still finds the old article.
	ps = search(t, e, Query{Text: "Which river was discussed at the Zanthor summit on water rights?"})
	if len(ps) == 0 || ps[0].ArticleID != "summit-old" {
		t.Fatalf("background question: got %v", ids(ps))
	}
}

func TestSearchRareTermAndParaphrase(t *testing.T) {
	e, _ := newTestEngine(t, Config{})
	mustAdd(t, e, fixtureCorpus()...)
	mustAdd(t, e, art("rare", corpus.SharedScope, "2024-02-02", "Customs officers seize shipment",
		"Customs officers seized a shipment of glorbnax, a banned solvent, at the Halvik docks."))
	ps := search(t, e, Query{Text: "glorbnax"})
	if len(ps) == 0 || ps[0].ArticleID != "rare" {
		t.Fatalf("rare term: got %v", ids(ps))
	}
	// A misspelt name shares no word with the article, so full-text search
	// cannot find it; character n-grams in the vectors do.
	ps = search(t, e, Query{Text: "Lindkvist"})
	if len(ps) == 0 || (ps[0].ArticleID != "fish-accord" && ps[0].ArticleID != "may-speech") {
		t.Fatalf("misspelling: got %v", ids(ps))
	}
	if hits, err := e.ix.SearchPassages(context.Background(), index.QueryTerms("Lindkvist"), []string{corpus.SharedScope}, index.AllDays, 10); err != nil || len(hits) != 0 {
		t.Fatal("fixture broken: the misspelling matches as a word")
	}
}

func TestSearchUpdateAndRemoveVisibleAtOnce(t *testing.T) {
	e, lib := newTestEngine(t, Config{})
	ctx := context.Background()
	mustAdd(t, e, fixtureCorpus()...)
	a := art("bridge", corpus.SharedScope, "2025-07-26", "Bridge closure in Halvik",
		"The Halvik bridge closed for repairs after inspectors found cracks in the zebulon girders.")
	_, st, err := e.Add(ctx, a)
	if err != nil || st != corpus.Added {
		t.Fatalf("add: %v %v", st, err)
	}
	if _, st, err := e.Add(ctx, a); err != nil || st != corpus.Unchanged {
		t.Fatalf("re-add: %v %v", st, err)
	}
	if ps := search(t, e, Query{Text: "zebulon girders"}); len(ps) == 0 || ps[0].ArticleID != "bridge" {
		t.Fatalf("before update: %v", ids(ps))
	}
	a.Body = "The Halvik bridge reopened after repairs to the quillon cables."
	if _, st, err := e.Add(ctx, a); err != nil || st != corpus.Updated {
		t.Fatalf("update: %v %v", st, err)
	}
	for _, p := range search(t, e, Query{Text: "zebulon girders", K: 10}) {
		if strings.Contains(p.Text, "zebulon") {
			t.Fatalf("old passage still found: %+v", p)
		}
	}
	if ps := search(t, e, Query{Text: "quillon cables"}); len(ps) == 0 || ps[0].ArticleID != "bridge" || !strings.Contains(ps[0].Text, "quillon") {
		t.Fatalf("after update: %v", ids(ps))
	}
	if err := e.Remove(ctx, "", "bridge"); err != nil {
		t.Fatal(err)
	}
	if ps := search(t, e, Query{Text: "Halvik bridge quillon cables", K: 10}); has(ps, "bridge") {
		t.Fatalf("removed article found: %v", ids(ps))
	}
	if err := e.Remove(ctx, "", "bridge"); !errors.Is(err, corpus.ErrNotFound) {
		t.Fatalf("remove again: %v", err)
	}
	if err := e.Remove(ctx, "999", "fish-accord"); !errors.Is(err, corpus.ErrNotFound) {
		t.Fatalf("remove from another scope: %v", err)
	}
	if err := e.Remove(ctx, "", "  "); !errors.Is(err, corpus.ErrNotFound) {
		t.Fatalf("remove empty id: %v", err)
	}
	// The library agrees.
	if _, err := lib.Get(ctx, "bridge"); !errors.Is(err, corpus.ErrNotFound) {
		t.Fatalf("library still has it: %v", err)
	}
	if !has(search(t, e, Query{Text: "fishing accord Halvik"}), "fish-accord") {
		t.Fatal("other articles disturbed")
	}
}

func TestSearchHostileQuestions(t *testing.T) {
	e, _ := newTestEngine(t, Config{})
	mustAdd(t, e, fixtureCorpus()...)
	ctx := context.Background()
	for _, q := range []string{"", "   \n\t "} {
		if _, err := e.Search(ctx, Query{Text: q}); !errors.Is(err, ErrEmptyQuery) {
			t.Errorf("%q: err %v, want ErrEmptyQuery", q, err)
		}
	}
	for _, q := range []string{
		"?!?!... ---- ;;; ”“ …",
		strings.Repeat("fishing accord ", 700),                        // ~10,000 characters
		strings.Repeat("x", 10000),                                    // one huge word
		`"fishing" NEAR(accord) OR title:* AND -"Grey" ^ Sea (`,       // FTS syntax
		"Norland\x00Vesteria \xff\xfe",                                // NUL and invalid UTF-8
		strings.Repeat("the of and which what ", 400),                 // stop words only
		"since 31 February 2025 on 99 Mayo in 0000 last 9999999 days", // broken dates
	} {
		ps, err := e.Search(ctx, Query{Text: q, K: 5})
		if err != nil {
			t.Errorf("%.40q: %v", q, err)
		}
		if len(ps) > 5 {
			t.Errorf("%.40q: %d results", q, len(ps))
		}
	}
	if ps, _ := e.Search(ctx, Query{Text: "?!?!... ---- ;;;"}); len(ps) != 0 {
		t.Errorf("punctuation only: %v", ids(ps))
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := e.Search(cctx, Query{Text: "fishing"}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

func TestSearchEmptyLibrary(t *testing.T) {
	e, _ := newTestEngine(t, Config{})
	ps, err := e.Search(context.Background(), Query{Text: "anything at all", Scope: "42"})
	if err != nil || len(ps) != 0 {
		t.Fatalf("empty library: %v %v", ps, err)
	}
}

func TestRelevant(t *testing.T) {
	e, _ := newTestEngine(t, Config{})
	mustAdd(t, e, fixtureCorpus()...)
	good := search(t, e, Query{Text: "Where did Norland and Vesteria sign the fishing accord?"})
	if len(good) == 0 || !e.Relevant(good[0]) {
		t.Fatalf("answerable question not relevant: %+v", good)
	}
	for _, q := range []string{
		"What is the boiling point of liquid nitrogen in kelvin?",
		"Recommend a good chocolate cake recipe",
	} {
		for _, p := range search(t, e, Query{Text: q}) {
			if e.Relevant(p) {
				t.Errorf("%q: %s (score %.3f) counted relevant", q, p.ArticleID, p.Score)
			}
		}
	}
	all, _ := newTestEngine(t, Config{MinScore: -1})
	if !all.Relevant(Passage{}) {
		t.Error("MinScore < 0 should accept everything")
	}
}

func TestRecencyFactor(t *testing.T) {
	rk := defaultRanking()
	today := index.DayOf(testAsOf)
	if f := recencyFactor(today, today, rk); f != 1+rk.RecencyBoost {
		t.Errorf("today: %v", f)
	}
	if f := recencyFactor(index.UnknownDay, today, rk); f != 1 {
		t.Errorf("unknown date: %v", f)
	}
	if a, b := recencyFactor(today-1, today, rk), recencyFactor(today-30, today, rk); !(a > b && b > 1) {
		t.Errorf("not decreasing: %v %v", a, b)
	}
	if f := recencyFactor(today+3, today, rk); f != 1+rk.RecencyBoost {
		t.Errorf("future (grace) counts as age 0: %v", f)
	}
	rk.RecencyBoost = 0
	if f := recencyFactor(today, today, rk); f != 1 {
		t.Errorf("no boost: %v", f)
	}
}

func TestSearchUnknownDate(t *testing.T) {
	e, _ := newTestEngine(t, Config{})
	mustAdd(t, e, art("undated", corpus.SharedScope, "", "Undated note on the Tervian lighthouse", "The Tervian lighthouse keeper retired."))
	if ps := search(t, e, Query{Text: "Tervian lighthouse", AsOf: day("2001-01-01")}); !has(ps, "undated") {
		t.Fatalf("undated article hidden by as-of: %v", ids(ps))
	}
	// A window asks for articles known to be recent; the undated one is not
	// among them (and the fallback then finds it).
	e.rank.WindowSlackDays = 0
	if ps := search(t, e, Query{Text: "Tervian lighthouse this week"}); !has(ps, "undated") {
		t.Fatalf("fallback: %v", ids(ps))
	}
}
