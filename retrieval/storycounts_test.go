package retrieval

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/attache-bot/attache/corpus"
	"github.com/attache-bot/attache/retrieval/story"
	"go.uber.org/goleak"
)

// courierFurniture is what every page of the Carlow Courier carries above
// its report: the masthead's names, places and numbers, enough on their own
// to join two reports when every name weighs in full.
const courierFurniture = "Carlow Courier Morning Briefing with editor Maura Quinlan, sports editor Declan Furey " +
	"and Orla Brennan's weather for Kilkenny, Tullow and Bagenalstown. Call 0800 555 123 or text COURIER to 50555. " +
	"This weekend the Courier Sports Extra with Declan Furey live from Dr Cullen Park, and letters to Maura Quinlan " +
	"at 14 Tullow Street, Carlow, by Thursday's 5pm deadline."

// courierPages returns n short Courier articles on unrelated items, the
// first on from and one a day after it, each under the furniture.
func courierPages(n int, scope string, from time.Time) []corpus.Article {
	out := make([]corpus.Article, n)
	for i := range out {
		out[i] = corpus.Article{
			ID: fmt.Sprintf("courier-%03d", i), Scope: scope, Source: "Carlow Courier",
			Title: fmt.Sprintf("Notice %d", i), URL: fmt.Sprintf("https://courier.example/%d", i),
			Published: from.AddDate(0, 0, i),
			Body: courierFurniture + fmt.Sprintf(" Councillor Aoife%d Lennon%d opened the Ballyhale%d hall on its %d anniversary.",
				i, i, i, 20+i),
		}
	}
	return out
}

// countedPair is an outlet ("" for all) and a name whose share
// checkCounts compares.
type countedPair struct{ source, name string }

// checkCounts checks that e's name counts are those of the articles sums
// (the library's listing of what e holds): every name of sums and of
// extra (names no longer stored, say) has the same share, per outlet and in
// all, as Counts filled from sums gives. It fails unless some share is
// above zero, so that a test with too few articles to count proves
// nothing.
func checkCounts(t *testing.T, what string, e *Engine, sums []corpus.Summary, extra ...countedPair) {
	t.Helper()
	want := story.NewCounts()
	pairs := map[countedPair]bool{}
	for _, p := range extra {
		pairs[p] = true
		pairs[countedPair{"", p.name}] = true
	}
	for _, s := range sums {
		names, ok := storyNames(s.StoryData)
		if !ok {
			t.Fatalf("%s: %s has no story data", what, s.ID)
		}
		want.Add(s.Source, names)
		for _, n := range names {
			pairs[countedPair{s.Source, n}] = true
			pairs[countedPair{"", n}] = true
		}
	}
	nonzero := false
	for p := range pairs {
		got, w := e.counts.Share(p.source, p.name), want.Share(p.source, p.name)
		if got != w {
			t.Errorf("%s: share of %q for %q is %.4f, want %.4f", what, p.name, p.source, got, w)
		}
		nonzero = nonzero || w > 0
	}
	if !nonzero {
		t.Fatalf("%s: every share is zero: too few articles to count", what)
	}
}

// openEngine opens the library in dir, as a process starting would, and
// an engine over it; the caller closes the library.
func openEngine(t *testing.T, dir string) (*Engine, *corpus.Library) {
	t.Helper()
	lib, err := corpus.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	e, err := New(context.Background(), lib, Config{Logger: quietLogger()})
	if err != nil {
		lib.Close()
		t.Fatal(err)
	}
	return e, lib
}

// listed is what lib lists of scopes, failing the test on error.
func listed(t *testing.T, lib corpus.Store, scopes ...string) []corpus.Summary {
	t.Helper()
	sums, err := lib.List(context.Background(), scopes...)
	if err != nil {
		t.Fatal(err)
	}
	return sums
}

// TestEngineStoriesWeighFurniture: the engine assigns with the name
// frequencies of what it holds, so an outlet's masthead does not join two
// of its reports of unrelated events; with every name weighed in full the
// same candidates would join them. The counts are rebuilt when the
// library is opened again.
func TestEngineStoriesWeighFurniture(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	e, lib := openEngine(t, dir)
	defer func() { lib.Close() }()
	// A month before the reports: counted, but never their candidates.
	mustAdd(t, e, courierPages(60, "", day("2025-05-01"))...)

	first, second, _, other := ferryStory()
	first.Source, other.Source = "Carlow Courier", "Carlow Courier"
	first.Body = courierFurniture + " " + first.Body
	other.Body = courierFurniture + " " + other.Body
	other.Published = first.Published
	sf := addStory(t, e, lib, first)

	// The same candidates with every name in full join the rate rise to
	// the ferry sinking on the masthead alone.
	p := e.prepare(ctx, other)
	if p.err != nil || p.story == nil {
		t.Fatalf("prepare: %v", p.err)
	}
	e.mu.Lock()
	cands := e.storyCandidates(p.article.Scope, p.story)
	e.mu.Unlock()
	if d := story.Assign(*p.story, cands, story.Options{}.WithDefaults()); d.Story != sf.StoryID {
		t.Fatalf("without frequencies the masthead does not join the reports (%+v): the test proves nothing", d)
	}
	if so := addStory(t, e, lib, other); so.StoryID == sf.StoryID {
		t.Fatalf("the Courier's rate report joined its ferry report %q on the masthead", sf.StoryID)
	}
	// Another outlet's report of the ferry sinking still joins it.
	if s := addStory(t, e, lib, second); s.StoryID != sf.StoryID {
		t.Fatalf("the second ferry report got story %q, want %q", s.StoryID, sf.StoryID)
	}
	checkCounts(t, "after adding", e, listed(t, lib))

	// Opened again, the engine counts what the library holds, and a
	// second Courier report of another event stays apart too.
	if err := lib.Close(); err != nil {
		t.Fatal(err)
	}
	e, lib = openEngine(t, dir)
	checkCounts(t, "after reopening", e, listed(t, lib))
	strike := corpus.Article{ID: "strike", Title: "Dock workers strike at Veloria port", Source: "Carlow Courier",
		URL: "https://courier.example/strike", Published: first.Published,
		Body: courierFurniture + " Dock workers at the port of Sarn walked out on Monday over pay, union leader Pavel Drozd said. " +
			"About 1,400 workers joined the strike, which halted 12 cargo ships."}
	if s := addStory(t, e, lib, strike); s.StoryID == sf.StoryID {
		t.Fatalf("after reopening, the Courier's strike report joined its ferry report %q", sf.StoryID)
	}
}

// TestEngineStoriesStartSurvivesReopen: a report that joins a story
// stores the story's start, not its own date, and candidates read back
// after the library is opened again carry it.
func TestEngineStoriesStartSurvivesReopen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	e, lib := openEngine(t, dir)
	defer func() { lib.Close() }()
	first, second, _, _ := ferryStory()
	sf := addStory(t, e, lib, first)
	s2 := addStory(t, e, lib, second)
	if s2.StoryID != sf.StoryID {
		t.Fatalf("the second report got story %q, want %q", s2.StoryID, sf.StoryID)
	}
	for _, s := range []corpus.Summary{sf, s2} {
		d, err := decodeStoryData(s.StoryData)
		if err != nil || !d.start.Equal(first.Published) {
			t.Fatalf("%s stores start %v (%v), want the story's first report's date %v", s.ID, d.start, err, first.Published)
		}
	}

	if err := lib.Close(); err != nil {
		t.Fatal(err)
	}
	e, lib = openEngine(t, dir)
	third := corpus.Article{ID: "ferry-fr", Title: "Marisol ferry operator Calder Sea Lines suspended", Source: "Field Report",
		URL: "https://field.example/ferry", Published: day("2025-07-23"),
		Body: "Veloria suspended the licence of Calder Sea Lines on Wednesday, two days after its ferry Marisol sank off Port Calder with 214 aboard."}
	p := e.prepare(ctx, third)
	if p.err != nil || p.story == nil {
		t.Fatalf("prepare: %v", p.err)
	}
	e.mu.Lock()
	cands := e.storyCandidates(p.article.Scope, p.story)
	e.mu.Unlock()
	found := false
	for _, m := range cands {
		if m.ID == second.ID {
			found = true
			if !m.Start.Equal(first.Published) || m.Story != sf.StoryID || m.Source != second.Source {
				t.Errorf("after reopening the second report is the candidate %+v, want story %s started %v, from %s",
					m, sf.StoryID, first.Published, second.Source)
			}
		}
	}
	if !found {
		t.Fatalf("the second report is not a candidate of the third: %d candidates", len(cands))
	}
}

// TestFollowKeepsStoryCounts: what another process adds, updates and
// removes moves the following engine's name counts as its own writes
// would.
func TestFollowKeepsStoryCounts(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
	ctx := context.Background()
	e, lib := newTestEngine(t, Config{Logger: quietLogger()})
	other, _ := secondWriter(t, lib.Dir())
	log := startFollow(t, e)

	pages := courierPages(60, "", day("2025-05-01"))
	mustAdd(t, other, pages...)
	last := log.waitFor(t, "put of the last page", applied(pages[len(pages)-1].ID, false))
	checkCounts(t, "after the other writer's adds", e, listed(t, lib))

	// An update moves the article to another outlet with other names; a
	// removal takes its names out.
	old, err := lib.Stored(ctx, pages[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	oldNames, _ := storyNames(old.StoryData)
	var gone []countedPair
	for _, n := range oldNames {
		gone = append(gone, countedPair{old.Source, n})
	}
	moved := pages[0]
	moved.Source, moved.Body = "Northern Ledger", "Harbour master Ilse Varga reopened the Brennan quay on Friday after 14 weeks."
	if _, st, err := other.Add(ctx, moved); err != nil || st != corpus.Updated {
		t.Fatalf("update: %v %v", st, err)
	}
	log.waitFor(t, "the update", func(ev FollowEvent) bool { return applied(moved.ID, false)(ev) && ev.Seq > last.Seq })
	if err := other.Remove(ctx, "", pages[1].ID); err != nil {
		t.Fatal(err)
	}
	log.waitFor(t, "the removal", applied(pages[1].ID, true))
	checkCounts(t, "after the other writer's update and removal", e, listed(t, lib), gone...)
	if s := e.counts.Share("Carlow Courier", "p:maura quinlan"); s != 1 {
		t.Errorf("the masthead's share among the Courier's articles is %.3f, want 1", s)
	}
}

// TestHoldKeepsStoryCounts: a scope held is counted, and a scope dropped
// is no longer.
func TestHoldKeepsStoryCounts(t *testing.T) {
	ctx := context.Background()
	other, lib := newTestEngine(t, Config{Logger: quietLogger()})
	mustAdd(t, other, courierPages(10, "", day("2025-05-01"))...)
	mustAdd(t, other, courierPages(60, guildA, day("2025-05-01"))...)
	e := heldEngine(t, lib.Dir())
	// Ten shared articles are too few for a share: the masthead weighs
	// in full until the guild's are held.
	if s := e.counts.Share("Carlow Courier", "p:maura quinlan"); s != 0 {
		t.Fatalf("holding the shared scope only, the masthead's share is %.3f, want 0 (too few articles)", s)
	}
	// Held a second time, the guild is counted once, not twice.
	for _, round := range []string{"first", "second"} {
		if err := e.Hold(ctx, guildA); err != nil {
			t.Fatal(err)
		}
		checkCounts(t, "holding the guild, "+round+" time", e, listed(t, lib, corpus.SharedScope, guildA))
		if err := e.Drop(guildA); err != nil {
			t.Fatal(err)
		}
		if s := e.counts.Share("Carlow Courier", "p:maura quinlan"); s != 0 {
			t.Errorf("after dropping the guild the %s time the masthead's share is %.3f, want 0", round, s)
		}
	}
}
