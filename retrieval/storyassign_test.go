package retrieval

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/attache-bot/attache/corpus"
	"github.com/attache-bot/attache/retrieval/story"
)

// ferryStory is one invented event reported by two outlets in their own
// words, a wire copy of the first report, and an unrelated article of the
// same days. No story ids are set: the engine assigns them.
func ferryStory() (first, second, wire, other corpus.Article) {
	first = corpus.Article{ID: "ferry-cw", Title: "Ferry Marisol sinks off Port Calder, 38 missing", Source: "Coastal Wire",
		URL: "https://coastal.example/ferry", Published: day("2025-07-21"),
		Body: "The passenger ferry Marisol sank off Port Calder in Veloria early on Monday with 214 people aboard, and 38 remain missing, the coast guard said. " +
			"Captain Tomas Ferreira radioed for help at 3:40 a.m. as the vessel took on water in heavy seas. " +
			"Rescuers from Port Calder and the island of Brenna pulled 176 survivors from the water. " +
			"The transport minister of Veloria, Ines Aldana, ordered an inquiry into the ferry operator, Calder Sea Lines."}
	second = corpus.Article{ID: "ferry-nl", Title: "Search goes on for 38 missing after Marisol ferry disaster", Source: "Northern Ledger",
		URL: "https://ledger.example/ferry", Published: day("2025-07-22"),
		Body: "Divers searched the wreck of the Marisol off Port Calder on Tuesday for the 38 people still missing after the ferry went down with 214 aboard. " +
			"Survivors said water flooded the lower deck within minutes. " +
			"Transport minister Ines Aldana said Calder Sea Lines had been warned about the ship's pumps last year. " +
			"Captain Tomas Ferreira is among the 176 rescued, officials in Veloria said."}
	wire = corpus.Article{ID: "ferry-ph", Title: first.Title, Source: "Plains Herald", URL: "https://herald.example/ferry",
		Body: "(Plains Herald) Our correspondent reports from the coast. " + first.Body}
	other = corpus.Article{ID: "rates", Title: "Tessaly central bank raises rates to 6.5 percent", Source: "Coastal Wire",
		URL: "https://coastal.example/rates", Published: day("2025-07-22"),
		Body: "The central bank of Tessaly raised its main interest rate to 6.5 percent on Tuesday, its third rise this year. " +
			"Governor Oren Malik said inflation of 9.2 percent left the bank no choice. " +
			"Exporters in Tessaly warned that the stronger currency would cost them orders."}
	return first, second, wire, other
}

// addStory adds a and returns its stored summary, checking that Add
// returned the story the library stored.
func addStory(t *testing.T, e *Engine, lib corpus.Store, a corpus.Article) corpus.Summary {
	t.Helper()
	got, _, err := e.Add(context.Background(), a)
	if err != nil {
		t.Fatalf("add %s: %v", a.ID, err)
	}
	s, err := lib.Stored(context.Background(), got.ID)
	if err != nil {
		t.Fatal(err)
	}
	if s.StoryID == "" || s.StoryID != got.StoryID || s.StoryData != got.StoryData {
		t.Fatalf("%s: Add returned story %q, the library holds %q", a.ID, got.StoryID, s.StoryID)
	}
	if info := e.ix.Article(got.ID); info == nil || info.StoryID != s.StoryID {
		t.Fatalf("%s: the index does not hold the stored story %q", a.ID, s.StoryID)
	}
	return s.Summary
}

func TestEngineAssignsStories(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	e, lib := openEngine(t, dir)
	defer func() { lib.Close() }()
	first, second, wire, other := ferryStory()
	s1 := addStory(t, e, lib, first)
	s2 := addStory(t, e, lib, second)
	so := addStory(t, e, lib, other)
	if s1.StoryID != s2.StoryID {
		t.Fatalf("two reports of the ferry sinking got stories %q and %q", s1.StoryID, s2.StoryID)
	}
	if so.StoryID == s1.StoryID {
		t.Fatalf("the rate rise joined the ferry story %q", so.StoryID)
	}

	// Reopened, the engine reads the stored stories and compares new
	// articles with the stored data: the wire copy (no date, so it can
	// join only by its text) joins the ferry story.
	if err := lib.Close(); err != nil {
		t.Fatal(err)
	}
	e, lib = openEngine(t, dir)
	for id, want := range map[string]string{first.ID: s1.StoryID, second.ID: s2.StoryID, other.ID: so.StoryID} {
		if info := e.ix.Article(id); info == nil || info.StoryID != want {
			t.Fatalf("after reopening, %s is not in story %q", id, want)
		}
	}
	if sw := addStory(t, e, lib, wire); sw.StoryID != s1.StoryID {
		t.Fatalf("the undated wire copy got story %q, want the ferry story %q", sw.StoryID, s1.StoryID)
	}

	// Removing the story's first article leaves the others in it, and a
	// later report still joins it through them.
	if err := e.Remove(ctx, "", first.ID); err != nil {
		t.Fatal(err)
	}
	if s, err := lib.Stored(ctx, second.ID); err != nil || s.StoryID != s1.StoryID {
		t.Fatalf("after removing the first report the second is in story %q (%v), want %q", s.StoryID, err, s1.StoryID)
	}
	third := corpus.Article{ID: "ferry-fr", Title: "Marisol ferry operator Calder Sea Lines suspended", Source: "Field Report",
		URL: "https://field.example/ferry", Published: day("2025-07-23"),
		Body: "Veloria suspended the licence of Calder Sea Lines on Wednesday, two days after its ferry Marisol sank off Port Calder with 214 aboard. " +
			"Transport minister Ines Aldana said 38 people were still missing and 176 had survived. " +
			"Captain Tomas Ferreira has been questioned by investigators."}
	if s3 := addStory(t, e, lib, third); s3.StoryID != s1.StoryID {
		t.Fatalf("a third report after the removal got story %q, want %q", s3.StoryID, s1.StoryID)
	}

	// An unchanged article keeps its story; an updated one is assigned
	// again, here to a story of its own.
	if _, st, err := e.Add(ctx, other); err != nil || st != corpus.Unchanged {
		t.Fatalf("re-adding the same article: %v %v", st, err)
	}
	if s, _ := lib.Stored(ctx, other.ID); s.StoryID != so.StoryID {
		t.Fatalf("an unchanged article moved from story %q to %q", so.StoryID, s.StoryID)
	}
	moved := second
	moved.Title, moved.Body = other.Title, other.Body+" Banks in Tessaly followed within the hour."
	s2b := addStory(t, e, lib, moved)
	if s2b.StoryID == s1.StoryID {
		t.Fatalf("an article rewritten about the rate rise stayed in the ferry story")
	}
	if s2b.StoryID != so.StoryID {
		t.Fatalf("the rewritten article (the rate rise with a sentence more) got story %q, want the rate story %q", s2b.StoryID, so.StoryID)
	}
}

// TestEngineStoriesScopes: a guild's article may join a shared story (its
// answers cite both), a shared article never joins a guild's.
func TestEngineStoriesScopes(t *testing.T) {
	e, lib := newTestEngine(t, Config{Logger: quietLogger()})
	first, second, _, _ := ferryStory()
	second.Scope = "guild-1"
	s1 := addStory(t, e, lib, first)
	if s2 := addStory(t, e, lib, second); s2.StoryID != s1.StoryID {
		t.Fatalf("a guild's report of a shared story got story %q, want %q", s2.StoryID, s1.StoryID)
	}

	e2, lib2 := newTestEngine(t, Config{Logger: quietLogger()})
	first.Scope = "guild-1"
	second.Scope = ""
	g := addStory(t, e2, lib2, first)
	if s := addStory(t, e2, lib2, second); s.StoryID == g.StoryID {
		t.Fatalf("a shared article joined the guild's story %q", g.StoryID)
	}
}

// TestEngineNoStories: with assignment off nothing is assigned, and a
// story given by the caller is kept as given.
func TestEngineNoStories(t *testing.T) {
	e, lib := newTestEngine(t, Config{Logger: quietLogger(), NoStories: true})
	first, second, _, _ := ferryStory()
	mustAdd(t, e, first, second)
	for _, id := range []string{first.ID, second.ID} {
		if s, err := lib.Stored(context.Background(), id); err != nil || s.StoryID != "" || s.StoryData != "" {
			t.Fatalf("with NoStories %s has story %q data %q (%v)", id, s.StoryID, s.StoryData, err)
		}
	}

	e2, lib2 := newTestEngine(t, Config{Logger: quietLogger()})
	first.StoryID = "given"
	second.StoryID = ""
	mustAdd(t, e2, first, second)
	for _, id := range []string{first.ID, second.ID} {
		if s, err := lib2.Stored(context.Background(), id); err != nil || s.StoryID != "given" {
			t.Fatalf("%s has story %q (%v), want the given story", id, s.StoryID, err)
		}
	}
}

// TestEngineStoriesBadInput: articles that give assignment nothing to go
// on, or far too much, are stored with a story of their own and bounded
// story data.
func TestEngineStoriesBadInput(t *testing.T) {
	e, lib := newTestEngine(t, Config{Logger: quietLogger()})
	first, second, _, _ := ferryStory()
	addStory(t, e, lib, first)

	numbers := corpus.Article{ID: "numbers", Title: "2025", Published: day("2025-07-21"),
		Body: "12. 15. 214. 38. 176. 3.40. 2025. 1,200. 99%. 0.5."}
	sn := addStory(t, e, lib, numbers)
	if sn.StoryID == e.ix.Article(first.ID).StoryID {
		t.Fatal("an article of numbers joined the ferry story")
	}
	numbers2 := numbers
	numbers2.ID, numbers2.Body = "numbers-2", "71. 45. 902. 83. 671. 7. 2025. 1,300. 98%. 0.7."
	if s := addStory(t, e, lib, numbers2); s.StoryID == sn.StoryID {
		t.Fatal("two articles of different numbers were taken for one story")
	}

	// A huge article of distinct capitalised names and figures, with one
	// capitalised word of 40 KB across the end of the lead names are
	// read from.
	var b strings.Builder
	b.WriteString("Reports came in. ")
	for i := 0; b.Len() < 900<<10; i++ {
		if i == 30 {
			b.WriteString("Then " + strings.Repeat("Q", 40<<10) + " spoke. ")
		}
		fmt.Fprintf(&b, "Officials met Name%dx Person%dy in Place%dz on %d%d. ", i, i, i, i, 10+i%90)
	}
	huge := corpus.Article{ID: "huge", Title: "A very long report", Published: day("2025-07-21"), Body: b.String()}
	sh := addStory(t, e, lib, huge)
	if len(sh.StoryData) > corpus.MaxStoryDataBytes || len(sh.StoryData) == 0 {
		t.Fatalf("story data of the huge article is %d bytes, want 1..%d", len(sh.StoryData), corpus.MaxStoryDataBytes)
	}
	d, err := decodeStoryData(sh.StoryData)
	if err != nil || len(d.names) == 0 || len(d.names) > story.MaxNames {
		t.Fatalf("story data of the huge article: %d names, %v", len(d.names), err)
	}
	for _, n := range d.names {
		if len(n) > maxStoryNameBytes {
			t.Fatalf("a %d-byte name was kept", len(n))
		}
	}
	// The ferry story still gathers its second report.
	if s := addStory(t, e, lib, second); s.StoryID != e.ix.Article(first.ID).StoryID {
		t.Fatal("after the bad input the second ferry report did not join the story")
	}
}

func TestStoryData(t *testing.T) {
	names := []string{"n:okafor", "p:port calder", "f:214", "e:country:GB"}
	fp := story.NewFingerprint("one two three four five six seven")
	start := time.Date(2025, 7, 21, 6, 30, 0, 0, time.FixedZone("", 3600))
	for _, roundUp := range []bool{false, true} {
		for _, st := range []time.Time{{}, start} {
			data := encodeStoryData(storyData{names: names, fp: fp, roundUp: roundUp, start: st})
			d, err := decodeStoryData(data)
			if err != nil || strings.Join(d.names, "|") != strings.Join(names, "|") || d.roundUp != roundUp ||
				d.fp.Similarity(fp) != 1 || !d.start.Equal(st) {
				t.Fatalf("round trip of %q: %+v %v", data, d, err)
			}
			if got, ok := storyNames(data); !ok || strings.Join(got, "|") != strings.Join(names, "|") {
				t.Fatalf("storyNames(%q) = %v, %v", data, got, ok)
			}
		}
	}
	empty := encodeStoryData(storyData{})
	if d, err := decodeStoryData(empty); err != nil || d.names != nil || d.fp != nil || !d.start.IsZero() {
		t.Fatalf("empty data %q: %+v %v", empty, d, err)
	}
	// Data written before the story's start was kept still reads, with
	// no start.
	enc := strings.SplitN(encodeStoryData(storyData{fp: fp}), "\n", 2)[1]
	for head, roundUp := range map[string]bool{"s1": false, "s1 roundup": true} {
		d, err := decodeStoryData(head + "\n" + enc + "\nn:okafor")
		if err != nil || d.roundUp != roundUp || !d.start.IsZero() || d.fp.Similarity(fp) != 1 || len(d.names) != 1 {
			t.Fatalf("version 1 data %q: %+v %v", head, d, err)
		}
	}
	for _, bad := range []string{"", "x", "s3\n", "s1\n!!!", "s1\nAAA", "s1 other\n", "s1 start=2025-07-21T00:00:00Z\n",
		"s2 start=\n", "s2 start=yesterday\n", "s2 start=0001-01-01T00:00:00Z\n", "s2 roundup roundup\n",
		"s2 start=2025-07-21T00:00:00Z start=2025-07-22T00:00:00Z\n", "s2 other\n", "s2\n!!!"} {
		if _, err := decodeStoryData(bad); !errors.Is(err, errStoryData) {
			t.Errorf("decode %q: %v, want errStoryData", bad, err)
		}
	}
	for _, bad := range []string{"", "x", "s2 other\nAAAA\nn:okafor"} {
		if names, ok := storyNames(bad); ok {
			t.Errorf("storyNames(%q) = %v, want not ok", bad, names)
		}
	}
}

// TestAnswerAssignedStory: with stories the engine assigned itself (none
// set by hand), an answer cites one report of the ferry sinking and lists
// the other outlet's with it.
func TestAnswerAssignedStory(t *testing.T) {
	e, _ := newTestEngine(t, Config{Logger: quietLogger()})
	first, second, _, other := ferryStory()
	mustAdd(t, e, first, second, other)
	a, err := e.Answer(context.Background(), Request{Question: "How many people are missing after the ferry Marisol sank off Port Calder?", AsOf: testAsOf}, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkAnswerInvariants(t, a)
	story := e.ix.Article(first.ID).StoryID
	var cited []string
	var also []Also
	for _, s := range a.Sources {
		if s.ArticleID == first.ID || s.ArticleID == second.ID {
			cited = append(cited, s.ArticleID)
			if s.StoryID != story {
				t.Errorf("source %s has story %q, want %q", s.ArticleID, s.StoryID, story)
			}
			also = append(also, s.Also...)
		}
	}
	if len(cited) != 1 {
		t.Fatalf("the ferry story is cited %d times (%v), want once:\n%s", len(cited), cited, a.Text)
	}
	if len(also) != 1 || (also[0].ArticleID != first.ID && also[0].ArticleID != second.ID) || also[0].ArticleID == cited[0] {
		t.Fatalf("also = %+v, want the other report of the story", also)
	}
}

// TestEngineStoriesFollowUpdates: an updated article is compared with
// later ones as it now reads, not as it read when its vector was first
// used.
func TestEngineStoriesFollowUpdates(t *testing.T) {
	e, lib := newTestEngine(t, Config{Logger: quietLogger()})
	first, second, _, other := ferryStory()
	addStory(t, e, lib, first)
	addStory(t, e, lib, second) // compares with first: its vector is now known
	moved := first
	moved.Title, moved.Body, moved.Published = other.Title, other.Body, other.Published
	sm := addStory(t, e, lib, moved)
	report := corpus.Article{ID: "rates-2", Title: "Tessaly lifts its main rate to 6.5 percent", Source: "Northern Ledger",
		URL: "https://ledger.example/rates", Published: day("2025-07-23"),
		Body: "Tessaly's central bank lifted its main interest rate to 6.5 percent, Governor Oren Malik said on Tuesday, " +
			"pointing to inflation of 9.2 percent. Exporters in Tessaly fear a stronger currency."}
	if s := addStory(t, e, lib, report); s.StoryID != sm.StoryID {
		t.Fatalf("a report of the rate rise got story %q, want that of the article rewritten about it, %q", s.StoryID, sm.StoryID)
	}
}
