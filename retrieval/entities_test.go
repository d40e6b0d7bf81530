package retrieval

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/attache-bot/attache/corpus"
	"github.com/attache-bot/attache/corpus/gazetteer"
	"go.uber.org/goleak"
)

// entityCorpus is three invented reports of one kind of event in three
// places, so that only a country or organisation filter tells them apart.
func entityCorpus() []corpus.Article {
	return []corpus.Article{
		art("flood-pl", corpus.SharedScope, "2025-07-20", "Floods hit southern Poland",
			"Floods hit southern Poland on Sunday after days of rain. Polish rescuers evacuated villages along the river."),
		art("flood-cz", corpus.SharedScope, "2025-07-21", "Floods hit the Czech Republic",
			"Floods hit the Czech Republic on Monday after days of rain. Czech rescuers evacuated villages along the river."),
		art("flood-un", corpus.SharedScope, "2025-07-22", "UN appeals for flood aid in Pakistan",
			"The United Nations appealed for flood aid for Pakistan on Tuesday after days of rain. Rescuers evacuated villages along the river."),
		art("flood-g1", "g1", "2025-07-22", "Floods reach Poland's north",
			"Floods reached northern Poland on Tuesday. Polish rescuers evacuated villages along the river."),
	}
}

func TestSearchCountryAndOrgFilter(t *testing.T) {
	e, _ := newTestEngine(t, Config{})
	mustAdd(t, e, entityCorpus()...)
	q := Query{Text: "Where were villages evacuated after floods?", K: 10}
	if ps := search(t, e, q); len(ps) < 3 {
		t.Fatalf("unfiltered search = %v, want all three shared reports", ids(ps))
	}
	for _, c := range []struct {
		country, org, scope string
		want                []string
	}{
		{"Poland", "", "", []string{"flood-pl"}},
		{"PL", "", "", []string{"flood-pl"}},
		{"polish", "", "g1", []string{"flood-g1@g1", "flood-pl"}},
		{"Czechia", "", "", []string{"flood-cz"}},
		{"", "UN", "", []string{"flood-un"}},
		{"Pakistan", "United Nations", "", []string{"flood-un"}},
		{"Poland", "UN", "", nil},
		{"Japan", "", "", nil},
	} {
		q := q
		q.Country, q.Org, q.Scope = c.country, c.org, c.scope
		got := ids(search(t, e, q))
		if strings.Join(sorted(got), ",") != strings.Join(c.want, ",") {
			t.Errorf("country %q org %q scope %q: %v, want %v", c.country, c.org, c.scope, got, c.want)
		}
	}
	// The digest path (a period, no topic) honours the filter too.
	q = Query{Text: "What happened this week?", K: 10, Country: "Poland"}
	if got := ids(search(t, e, q)); strings.Join(got, ",") != "flood-pl" {
		t.Errorf("this week in Poland: %v, want flood-pl", got)
	}
	// Passages carry their article's story.
	for _, p := range search(t, e, Query{Text: "floods Poland", K: 10}) {
		if want := e.ix.Article(p.ArticleID).StoryID; p.StoryID != want {
			t.Errorf("%s: passage story %q, index story %q", p.ArticleID, p.StoryID, want)
		}
	}
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

// TestSearchBadFilter: an unknown or malformed country or organisation is
// an error naming the closest known names, never an empty result.
func TestSearchBadFilter(t *testing.T) {
	e, _ := newTestEngine(t, Config{})
	mustAdd(t, e, entityCorpus()...)
	for _, c := range []struct {
		country, org string
		unknown      bool   // an *UnknownError, not malformed input
		say          string // in the message
	}{
		{"Polnad", "", true, "Poland"},
		{"", "NATOO", true, "NATO"},
		{"Atlantis", "", true, `unknown country "Atlantis"`},
		{strings.Repeat("x", 1000), "", false, "longer than"},
		{"Pol\x00and", "", false, "control characters"},
		{"", "'; DROP TABLE articles; --", true, "unknown organisation"},
		{"!!!", "", false, "no letters"},
	} {
		_, err := e.Search(context.Background(), Query{Text: "floods", Country: c.country, Org: c.org, AsOf: testAsOf})
		if !errors.Is(err, ErrBadFilter) {
			t.Errorf("country %.20q org %.20q: error %v, want ErrBadFilter", c.country, c.org, err)
			continue
		}
		var u *gazetteer.UnknownError
		if errors.As(err, &u) != c.unknown || (!c.unknown && !errors.Is(err, gazetteer.ErrInvalidName)) {
			t.Errorf("country %.20q org %.20q: %v: unknown-name error %v, want %v", c.country, c.org, err, !c.unknown, c.unknown)
		}
		if !strings.Contains(err.Error(), c.say) {
			t.Errorf("country %.20q org %.20q: %q does not say %q", c.country, c.org, err, c.say)
		}
	}
	// The answer path reports it the same way.
	if _, err := e.Answer(context.Background(), Request{Question: "Where were the floods?", Country: "Polnad", AsOf: testAsOf}, nil); !errors.Is(err, ErrBadFilter) {
		t.Errorf("Answer with an unknown country: %v, want ErrBadFilter", err)
	}
}

// TestEngineEntities: the countries and organisations a scope's articles
// are about, with counts, most covered first; another guild's articles
// are not counted; removal and updates are followed.
func TestEngineEntities(t *testing.T) {
	ctx := context.Background()
	e, _ := newTestEngine(t, Config{})
	if got := e.Entities(""); len(got) != 0 {
		t.Fatalf("empty library: %v", got)
	}
	mustAdd(t, e, entityCorpus()...)
	count := func(scope, id string) int {
		for _, c := range e.Entities(scope) {
			if c.ID == id {
				return c.Articles
			}
		}
		return 0
	}
	if n := count("", "PL"); n != 1 {
		t.Errorf("shared PL = %d, want 1", n)
	}
	if n := count("g1", "PL"); n != 2 {
		t.Errorf("g1 PL = %d, want 2", n)
	}
	if n := count("g2", "PL"); n != 1 {
		t.Errorf("g2 PL = %d (g1's article counted?), want 1", n)
	}
	got := e.Entities("g1")
	if len(got) == 0 || got[0].ID != "PL" || got[0].Name != "Poland" || got[0].Kind != gazetteer.Country {
		t.Errorf("g1's most covered = %+v, want Poland first", got)
	}
	var un EntityCount
	for _, c := range got {
		if c.ID == "UN" {
			un = c
		}
	}
	if un.Kind != gazetteer.Organisation || un.Articles != 1 {
		t.Errorf("UN = %+v, want an organisation with 1 article", un)
	}
	if err := e.Remove(ctx, "", "flood-pl"); err != nil {
		t.Fatal(err)
	}
	if n := count("", "PL"); n != 0 {
		t.Errorf("after removal, shared PL = %d", n)
	}
}

// TestFollowSeesStoryChange: a story-only change by another writer
// (unchanged content, new story id) reaches the following engine's index.
func TestFollowSeesStoryChange(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
	ctx := context.Background()
	e, lib := newTestEngine(t, Config{})
	mustAdd(t, e, entityCorpus()...)
	_, other := secondWriter(t, lib.Dir())
	log := startFollow(t, e)
	// Another process (re)assigning a story writes it with unchanged
	// content: Put reports Unchanged and logs a put.
	a := entityCorpus()[0]
	a.Normalize()
	a.ID = corpus.ID(a)
	a.StoryID = "story-from-elsewhere"
	chunks := corpus.Split(a, corpus.SplitOptions{})
	vecs, err := e.Embedder().Embed(ctx, passageTexts(a, chunks))
	if err != nil {
		t.Fatal(err)
	}
	if st, err := other.Put(ctx, a, chunks, vecs); err != nil || st != corpus.Unchanged {
		t.Fatalf("story-only change: %v %v, want unchanged", st, err)
	}
	log.waitFor(t, "the story change", applied(a.ID, false))
	e.mu.RLock()
	got := e.ix.Article(a.ID).StoryID
	e.mu.RUnlock()
	if got != a.StoryID {
		t.Errorf("the follower's index has story %q, want %q", got, a.StoryID)
	}
	ps := search(t, e, Query{Text: "floods southern Poland", K: 3})
	if len(ps) == 0 || ps[0].ArticleID != a.ID || ps[0].StoryID != a.StoryID {
		t.Errorf("search after the story change: %+v", ps)
	}
}
