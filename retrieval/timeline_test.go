package retrieval

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/attache-bot/attache/corpus"
)

// kelvoriaCorpus is a topic followed over months (Kelvoria, an invented
// country), an article that names it only in passing far down, and the
// fixture corpus around them.
func kelvoriaCorpus() []corpus.Article {
	arts := []corpus.Article{
		art("kel-1", corpus.SharedScope, "2025-02-03", "Kelvoria opens border talks with Norland",
			"Kelvoria opened border talks with Norland in the capital Mirsk on Monday. The talks cover two disputed river crossings."),
		art("kel-2", corpus.SharedScope, "2025-04-14", "Floods hit northern Kelvoria",
			"Floods swept through northern Kelvoria after a week of rain, forcing thousands from their homes. Relief convoys reached Mirsk on Sunday."),
		art("kel-3", corpus.SharedScope, "2025-06-20", "Kelvoria and Norland sign border treaty",
			"Kelvoria and Norland signed a border treaty settling both river crossings. Parliament must ratify it within ninety days."),
		art("kel-4", corpus.SharedScope, "2025-07-24", "Kelvoria parliament ratifies treaty",
			"The parliament of Kelvoria ratified the border treaty with Norland by a wide margin. Opposition members walked out before the vote."),
		art("passing", corpus.SharedScope, "2025-05-02", "Grain prices climb across the region",
			"Grain prices rose for a third month as dry weather hurt harvests across the region. Traders in Halvik expect further rises.\n\n"+
				"Millers said stocks would last until autumn. Importers named several suppliers, among them Kelvoria, as possible sources."),
	}
	return append(arts, fixtureCorpus()...)
}

func timeline(t *testing.T, e *Engine, req TimelineRequest) Chronology {
	t.Helper()
	if req.AsOf.IsZero() {
		req.AsOf = testAsOf
	}
	c, err := e.Timeline(context.Background(), req)
	if err != nil {
		t.Fatalf("Timeline(%q): %v", req.Topic, err)
	}
	return c
}

func entryIDs(c Chronology) []string {
	var out []string
	for _, en := range c.Entries {
		out = append(out, en.Sources[0].ArticleID)
	}
	return out
}

func TestTimelineOldestFirstAboutTopic(t *testing.T) {
	e, _ := newTestEngine(t, Config{})
	mustAdd(t, e, kelvoriaCorpus()...)
	c := timeline(t, e, TimelineRequest{Topic: "Kelvoria"})
	if got, want := strings.Join(entryIDs(c), ","), "kel-1,kel-2,kel-3,kel-4"; got != want {
		t.Fatalf("entries %s, want %s (oldest first, the passing mention left out)\n%+v", got, want, c)
	}
	if c.Text != "" {
		t.Errorf("Text %q with entries", c.Text)
	}
	for _, en := range c.Entries {
		if !strings.HasSuffix(en.Text, " [1]") || strings.Count(en.Text, "[") != 1 {
			t.Errorf("entry text %q: want one sentence cited [1]", en.Text)
		}
		if len(en.Sources) != 1 || en.Sources[0].N != 1 || !en.Date.Equal(en.Sources[0].Published) {
			t.Errorf("entry %+v: want one source numbered 1, dated as the entry", en)
		}
		if !strings.Contains(en.Text, "Kelvoria") {
			t.Errorf("entry %q does not quote the sentence that names the topic", en.Text)
		}
	}
}

func TestTimelineRange(t *testing.T) {
	e, _ := newTestEngine(t, Config{})
	mustAdd(t, e, kelvoriaCorpus()...)
	c := timeline(t, e, TimelineRequest{Topic: "Kelvoria", From: day("2025-04-01"), To: day("2025-06-30")})
	if got, want := strings.Join(entryIDs(c), ","), "kel-2,kel-3"; got != want {
		t.Fatalf("entries %s, want %s", got, want)
	}
	if !c.From.Equal(day("2025-04-01")) || !c.To.Equal(day("2025-06-30")) {
		t.Errorf("range %v..%v", c.From, c.To)
	}
	// A range that holds nothing about the topic says so, naming it.
	c = timeline(t, e, TimelineRequest{Topic: "Kelvoria", From: day("2024-01-01"), To: day("2024-12-31")})
	if len(c.Entries) != 0 || !strings.Contains(c.Text, "Kelvoria") || !strings.Contains(c.Text, "1 Jan 2024 to 31 Dec 2024") {
		t.Fatalf("empty range: %+v", c)
	}
	// From alone, and the as-of date hiding what comes after it.
	c = timeline(t, e, TimelineRequest{Topic: "Kelvoria", From: day("2025-06-01"), AsOf: day("2025-07-01")})
	if got, want := strings.Join(entryIDs(c), ","), "kel-3"; got != want {
		t.Fatalf("from + as-of: entries %s, want %s", got, want)
	}
}

func TestTimelineBadInput(t *testing.T) {
	e, _ := newTestEngine(t, Config{})
	mustAdd(t, e, kelvoriaCorpus()...)
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		req  TimelineRequest
		want string
	}{
		{"from after to", TimelineRequest{Topic: "Kelvoria", From: day("2025-06-01"), To: day("2025-05-01")}, "from 2025-06-01 is after to 2025-05-01"},
		{"future from", TimelineRequest{Topic: "Kelvoria", From: day("2030-01-01")}, "from 2030-01-01 is after the as-of date 2025-07-28"},
		{"future to", TimelineRequest{Topic: "Kelvoria", To: day("2025-07-29")}, "to 2025-07-29 is after the as-of date"},
	} {
		tc.req.AsOf = testAsOf
		_, err := e.Timeline(ctx, tc.req)
		if !errors.Is(err, ErrInvalidDates) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want ErrInvalidDates naming %q", tc.name, err, tc.want)
		}
	}
	for _, topic := range []string{"", "  \n\t "} {
		if _, err := e.Timeline(ctx, TimelineRequest{Topic: topic}); !errors.Is(err, ErrEmptyQuery) {
			t.Errorf("topic %q: error %v, want ErrEmptyQuery", topic, err)
		}
	}
	// Nothing covers it: said, with the name, and no entries.
	c := timeline(t, e, TimelineRequest{Topic: "Zorblaxia"})
	if len(c.Entries) != 0 || c.Text != "No story here is about “Zorblaxia” (as of 28 Jul 2025)." {
		t.Errorf("unknown topic: %+v", c)
	}
	// A name the gate knows is absent is named as the answers name it.
	c = timeline(t, e, TimelineRequest{Topic: "talks in Zorblaxia"})
	if len(c.Entries) != 0 || c.Text != "The articles here don't mention Zorblaxia (as of 28 Jul 2025)." {
		t.Errorf("unknown topic: %+v", c)
	}
	c = timeline(t, e, TimelineRequest{Topic: "?!…"})
	if len(c.Entries) != 0 || c.Text == "" {
		t.Errorf("punctuation topic: %+v", c)
	}
	// A 1,000-character topic is searched by its start.
	long := "Kelvoria " + strings.Repeat("border treaty river crossings ", 40)
	long = long[:1000]
	c = timeline(t, e, TimelineRequest{Topic: long})
	if len(c.Entries) == 0 {
		t.Errorf("long topic: no entries: %+v", c.Text)
	}
	// Hostile text is not repeated raw in the message.
	c = timeline(t, e, TimelineRequest{Topic: "Zorblaxia\x1b[31m\nsecond line"})
	if strings.ContainsAny(c.Text, "\x1b\n") {
		t.Errorf("message repeats control characters: %q", c.Text)
	}
}

func TestTimelineKeepsMostCoveredStories(t *testing.T) {
	e, _ := newTestEngine(t, Config{})
	var arts []corpus.Article
	start := day("2025-01-01")
	for i := range MaxTimelineEntries + 5 {
		d := start.AddDate(0, 0, 7*i).Format(corpus.DateLayout)
		arts = append(arts, art(fmt.Sprintf("ost-%02d", i), corpus.SharedScope, d, fmt.Sprintf("Ostravia cabinet meeting number %d", i+1),
			fmt.Sprintf("The Ostravia cabinet met for the %d. time this year and discussed item %d of the budget. Ministers agreed on a statement.", i+1, 100+i)))
	}
	mustAdd(t, e, append(arts, fixtureCorpus()...)...)
	c := timeline(t, e, TimelineRequest{Topic: "Ostravia"})
	if len(c.Entries) != MaxTimelineEntries {
		t.Fatalf("%d entries, want %d", len(c.Entries), MaxTimelineEntries)
	}
	for i := 1; i < len(c.Entries); i++ {
		if c.Entries[i].Date.Before(c.Entries[i-1].Date) {
			t.Fatalf("entries out of order at %d: %v", i, entryIDs(c))
		}
	}
}

func TestWhatsNew(t *testing.T) {
	e, _ := newTestEngine(t, Config{})
	mustAdd(t, e, kelvoriaCorpus()...)
	ctx := context.Background()
	// Default: the week before the as-of date.
	c, err := e.WhatsNew(ctx, WhatsNewRequest{Topic: "Kelvoria", AsOf: testAsOf})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(entryIDs(c), ","); got != "kel-4" || !c.Since.Equal(day("2025-07-21")) {
		t.Fatalf("default week: entries %s since %v", got, c.Since)
	}
	// Since a date: newest first.
	c, err = e.WhatsNew(ctx, WhatsNewRequest{Topic: "Kelvoria", AsOf: testAsOf, Since: day("2025-04-14")})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(entryIDs(c), ","), "kel-4,kel-3,kel-2"; got != want {
		t.Fatalf("since 14 Apr: %s, want %s (newest first, since inclusive)", got, want)
	}
	// Nothing new: said, with the newest coverage before.
	c, err = e.WhatsNew(ctx, WhatsNewRequest{Topic: "Kelvoria", AsOf: day("2025-07-10")})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Entries) != 0 || !c.NewestBefore.Equal(day("2025-06-20")) ||
		c.Text != "Nothing new about “Kelvoria” since 3 Jul 2025; the newest coverage is from 20 Jun 2025 (3 weeks ago)." {
		t.Fatalf("nothing new: %+v", c)
	}
	// Never covered: no date to give.
	c, err = e.WhatsNew(ctx, WhatsNewRequest{Topic: "Zorblaxia", AsOf: testAsOf})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Entries) != 0 || !c.NewestBefore.IsZero() || !strings.Contains(c.Text, "Zorblaxia") {
		t.Fatalf("unknown topic: %+v", c)
	}
	if _, err := e.WhatsNew(ctx, WhatsNewRequest{Topic: "Kelvoria", AsOf: testAsOf, Since: testAsOf.Add(24 * time.Hour)}); !errors.Is(err, ErrInvalidDates) {
		t.Errorf("future since: %v", err)
	}
	if _, err := e.WhatsNew(ctx, WhatsNewRequest{Topic: " "}); !errors.Is(err, ErrEmptyQuery) {
		t.Errorf("empty topic: %v", err)
	}
}

// An article whose every sentence is a number has nothing to quote: it
// gives no entry rather than a bare figure.
func TestTimelineNumbersOnlyArticle(t *testing.T) {
	e, _ := newTestEngine(t, Config{})
	mustAdd(t, e, append(kelvoriaCorpus(),
		art("kel-nums", corpus.SharedScope, "2025-03-01", "Kelvoria figures", "12.\n\n15.\n\n300,000.\n\n4.5%."))...)
	c := timeline(t, e, TimelineRequest{Topic: "Kelvoria"})
	for _, en := range c.Entries {
		if en.Sources[0].ArticleID == "kel-nums" {
			t.Errorf("entry from the article of numbers: %q", en.Text)
		}
	}
	if len(c.Entries) != 4 {
		t.Errorf("entries %v, want the four stories with prose", entryIDs(c))
	}
}

func TestOpeningParagraph(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{"AP\n\nSeizures rose sharply\n\nST. LOUIS (AP) — Drug cartels are quietly filling the void in the market left by the long crackdown. More follows.\n\nSecond paragraph.",
			"ST. LOUIS (AP) — Drug cartels are quietly filling the void in the market left by the long crackdown. More follows."},
		{"One. Two is here. Three is here. Four is here and it is long enough to count for twelve words or more.",
			"One. Two is here. Three is here."},
		{"Short text only.", "Short text only."},
		{"", ""},
	} {
		if got := openingParagraph(tc.text); got != tc.want {
			t.Errorf("openingParagraph(%q) = %q, want %q", tc.text, got, tc.want)
		}
	}
}

// A name of several words is named whole: "North Kelvoria" is not about
// "South Kelvoria".
func TestTimelineNamesWhole(t *testing.T) {
	e, _ := newTestEngine(t, Config{})
	mustAdd(t, e, append(kelvoriaCorpus(),
		art("north-1", corpus.SharedScope, "2025-05-05", "North Kelvoria holds regional vote",
			"North Kelvoria held a regional vote on Sunday. Turnout was the highest in a decade."),
		art("south-1", corpus.SharedScope, "2025-05-06", "South Kelvoria floods recede",
			"Floods in South Kelvoria receded on Monday. Farmers began counting their losses."))...)
	c := timeline(t, e, TimelineRequest{Topic: "North Kelvoria"})
	if got := strings.Join(entryIDs(c), ","); got != "north-1" {
		t.Errorf("North Kelvoria: entries %s, want north-1 only", got)
	}
}

// withStory is a with its story id set, as story assignment at ingest
// sets it.
func withStory(a corpus.Article, story string) corpus.Article {
	a.StoryID = story
	return a
}

// One event reported by several outlets is one entry, dated by its first
// report; when more stories are about the topic than fit, the most covered
// are kept.
func TestTimelineOneEntryPerStory(t *testing.T) {
	e, _ := newTestEngine(t, Config{})
	arts := kelvoriaCorpus()
	for i := range arts {
		if arts[i].ID == "kel-3" {
			arts[i] = withStory(arts[i], "treaty")
		}
	}
	// Two more outlets carry the treaty story: wire copies of the same
	// report a day before and a day after (story assignment at ingest
	// joins them; the ids are set as it would set them).
	treaty := "Kelvoria and Norland signed a border treaty settling both river crossings. Parliament must ratify it within ninety days."
	b, c3 := art("kel-3b", corpus.SharedScope, "2025-06-21", "Kelvoria and Norland sign border treaty", treaty+" Officials in Mirsk welcomed it."),
		art("kel-3c", corpus.SharedScope, "2025-06-19", "Kelvoria and Norland sign border treaty", treaty)
	b.Source, c3.Source = "Second Outlet", "Third Outlet"
	arts = append(arts, withStory(b, "treaty"), withStory(c3, "treaty"))
	mustAdd(t, e, arts...)
	c := timeline(t, e, TimelineRequest{Topic: "Kelvoria"})
	if got, want := strings.Join(entryIDs(c), ","), "kel-1,kel-2,kel-3c,kel-4"; got != want {
		t.Fatalf("entries %s, want %s (the treaty story once, dated by its first report)", got, want)
	}
	if en := c.Entries[2]; en.StoryID == "" || en.Articles != 3 || en.Sources[0].StoryID != en.StoryID {
		t.Errorf("treaty entry: story %q, %d articles, source story %q", en.StoryID, en.Articles, en.Sources[0].StoryID)
	}
	// What's new cites the story's newest article in the window.
	w, err := e.WhatsNew(context.Background(), WhatsNewRequest{Topic: "Kelvoria", AsOf: day("2025-06-25")})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(entryIDs(w), ","); got != "kel-3b" {
		t.Errorf("whatsnew: %s, want the treaty story once, by its newest article", got)
	}

	// The most covered stories win when they do not all fit.
	if got := mostCovered([]*topicStory{{id: "a", articles: make([]storyArticle, 1)}, {id: "b", articles: make([]storyArticle, 3)},
		{id: "c", articles: make([]storyArticle, 1)}, {id: "d", articles: make([]storyArticle, 2)}}, 2); len(got) != 2 || got[0].id != "b" || got[1].id != "d" {
		t.Errorf("mostCovered kept %v", got)
	}
}

// Country and Org limit the stories to articles about them.
func TestTimelineCountryFilter(t *testing.T) {
	e, _ := newTestEngine(t, Config{})
	mustAdd(t, e, append(kelvoriaCorpus(),
		art("rail-fr", corpus.SharedScope, "2025-05-01", "France opens high-speed rail line",
			"France opened a high-speed rail line between Lyon and Turin on Thursday. French officials called it a milestone."),
		art("rail-de", corpus.SharedScope, "2025-05-08", "Germany orders high-speed rail trains",
			"Germany ordered sixty high-speed rail trains for its northern lines. German officials expect delivery in 2027."))...)
	all := timeline(t, e, TimelineRequest{Topic: "high-speed rail"})
	if got := strings.Join(entryIDs(all), ","); got != "rail-fr,rail-de" {
		t.Fatalf("unfiltered: %s", got)
	}
	fr := timeline(t, e, TimelineRequest{Topic: "high-speed rail", Country: "FR"})
	if got := strings.Join(entryIDs(fr), ","); got != "rail-fr" {
		t.Errorf("country FR: %s, want rail-fr only", got)
	}
	none := timeline(t, e, TimelineRequest{Topic: "high-speed rail", Org: "NATO"})
	if len(none.Entries) != 0 || none.Text == "" {
		t.Errorf("org NATO: %+v", none)
	}
	if _, err := e.Timeline(context.Background(), TimelineRequest{Topic: "rail", Country: "Narnia"}); !errors.Is(err, ErrBadFilter) {
		t.Errorf("unknown country: %v, want ErrBadFilter", err)
	}
}
