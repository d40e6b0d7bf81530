package librarytest

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/attache-bot/attache/corpus"
)

// storyCases are the suite's cases for stories and entities; Run runs
// them with the others.
var storyCases = []struct {
	name string
	fn   func(t *testing.T, open Open)
}{
	{"StoryAndEntities", testStoryAndEntities},
	{"StoryOnlyChange", testStoryOnlyChange},
	{"StoryBadInput", testStoryBadInput},
}

// summaryOf returns the listed summary of id.
func summaryOf(t *testing.T, lib Library, id string) corpus.Summary {
	t.Helper()
	all, err := lib.List(context.Background())
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	for _, s := range all {
		if s.ID == id {
			return s
		}
	}
	t.Fatalf("List has no %s", id)
	return corpus.Summary{}
}

// testStoryAndEntities: the story id and data given to Put, and the
// countries and organisations recognised from the text, come back from
// Get, Summary, List and Stored, also through another handle; an update
// recognises them again.
func testStoryAndEntities(t *testing.T, open Open) {
	ctx := context.Background()
	lib, another := newLib(t, open)
	a := article("s1", "", "NATO ministers meet in Britain",
		"2025-03-01", "British and French ministers met NATO officials in London on Monday.\n\nFrance asked for more.")
	a.StoryID, a.StoryData = "story-1", "names and fingerprint"
	if st := put(t, lib, a); st != corpus.Added {
		t.Fatalf("Put = %v, want added", st)
	}
	wantC, wantO := corpus.Entities(a.Title, a.Body)
	if !slices.Contains(wantC, "GB") || !slices.Contains(wantC, "FR") || !slices.Equal(wantO, []string{"NATO"}) {
		t.Fatalf("Entities = %v %v, want GB and FR, and NATO", wantC, wantO)
	}
	check := func(lib Library, who string) {
		t.Helper()
		got, err := lib.Get(ctx, a.ID)
		if err != nil {
			t.Fatalf("%s Get: %v", who, err)
		}
		if got.StoryID != a.StoryID || got.StoryData != a.StoryData {
			t.Errorf("%s Get story = %q %q, want %q %q", who, got.StoryID, got.StoryData, a.StoryID, a.StoryData)
		}
		s, err := lib.Summary(ctx, a.ID)
		if err != nil {
			t.Fatalf("%s Summary: %v", who, err)
		}
		listed := summaryOf(t, lib, a.ID)
		stored, err := lib.Stored(ctx, a.ID)
		if err != nil {
			t.Fatalf("%s Stored: %v", who, err)
		}
		for name, s := range map[string]corpus.Summary{"Summary": s, "List": listed, "Stored": stored.Summary} {
			if s.StoryID != a.StoryID || s.StoryData != a.StoryData ||
				!slices.Equal(s.Countries, wantC) || !slices.Equal(s.Orgs, wantO) {
				t.Errorf("%s %s = story %q %q, countries %v, orgs %v; want %q %q %v %v", who, name,
					s.StoryID, s.StoryData, s.Countries, s.Orgs, a.StoryID, a.StoryData, wantC, wantO)
			}
		}
	}
	check(lib, "first handle")
	check(another(t), "second handle")

	// Updated content: entities follow the new text; an empty StoryID
	// keeps the stored story.
	b := article("s1", "", "Chad and the African Union", "2025-03-02",
		"Chad hosted an African Union summit in N'Djamena on Tuesday.\n\nChadian officials welcomed the AU delegates.")
	if st := put(t, lib, b); st != corpus.Updated {
		t.Fatalf("update = %v, want updated", st)
	}
	s := summaryOf(t, lib, "s1")
	c, o := corpus.Entities(b.Title, b.Body)
	if s.StoryID != a.StoryID || s.StoryData != a.StoryData || !slices.Equal(s.Countries, c) || !slices.Equal(s.Orgs, o) {
		t.Errorf("after update: story %q %q, countries %v, orgs %v; want %q %q %v %v", s.StoryID, s.StoryData, s.Countries, s.Orgs, a.StoryID, a.StoryData, c, o)
	}
	if slices.Contains(s.Countries, "GB") {
		t.Errorf("after update the old text's countries remain: %v", s.Countries)
	}

	// An article about nothing the gazetteer knows has none.
	n := article("s2", "", "Local bakery wins prize", "2025-03-03", "The bakery on the corner won a prize for its bread on Monday.")
	put(t, lib, n)
	if s := summaryOf(t, lib, "s2"); len(s.Countries)+len(s.Orgs) != 0 || s.StoryID != "" {
		t.Errorf("bakery article: story %q countries %v orgs %v, want none", s.StoryID, s.Countries, s.Orgs)
	}
}

// testStoryOnlyChange: re-putting unchanged content with another story id
// updates the story, reports Unchanged, and logs a put so that followers
// read the article again; the same story again writes nothing.
func testStoryOnlyChange(t *testing.T, open Open) {
	ctx := context.Background()
	lib, _ := newLib(t, open)
	a := article("u1", "g1", "Talks in Geneva", "2025-04-01", "Diplomats met in Geneva on Monday to discuss a ceasefire in Sudan.")
	a.StoryID = "first"
	put(t, lib, a)
	head, err := lib.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	hashBefore, _, _ := lib.ContentHash(ctx, a.ID)
	a.StoryID, a.StoryData = "second", "data"
	if st := put(t, lib, a); st != corpus.Unchanged {
		t.Fatalf("story-only change = %v, want unchanged", st)
	}
	if s := summaryOf(t, lib, a.ID); s.StoryID != "second" || s.StoryData != "data" {
		t.Errorf("story after story-only change = %q %q, want second data", s.StoryID, s.StoryData)
	}
	if h, _, _ := lib.ContentHash(ctx, a.ID); h != hashBefore {
		t.Errorf("content hash changed with the story: %s -> %s", hashBefore, h)
	}
	ch := changes(t, lib, head)
	if len(ch) != 1 || ch[0].Kind != corpus.ChangePut || ch[0].ArticleID != a.ID {
		t.Errorf("changes after a story-only change = %+v, want one put of %s", ch, a.ID)
	}
	head, _ = lib.Head(ctx)
	if st := put(t, lib, a); st != corpus.Unchanged {
		t.Fatalf("same story again = %v, want unchanged", st)
	}
	a.StoryID, a.StoryData = "", ""
	if st := put(t, lib, a); st != corpus.Unchanged {
		t.Fatalf("empty story = %v, want unchanged", st)
	}
	if ch := changes(t, lib, head); len(ch) != 0 {
		t.Errorf("an unchanged put logged %+v", ch)
	}
	if s := summaryOf(t, lib, a.ID); s.StoryID != "second" {
		t.Errorf("an empty story id erased the stored one: %q", s.StoryID)
	}
}

// testStoryBadInput: oversized or malformed story fields are refused as
// invalid, and leave nothing behind; hostile text in a story id (quotes,
// SQL) is stored as it is.
func testStoryBadInput(t *testing.T, open Open) {
	ctx := context.Background()
	lib, _ := newLib(t, open)
	base := article("b1", "", "Budget vote", "2025-05-01", "Parliament voted on the budget on Monday.")
	for name, mut := range map[string]func(a *corpus.Article){
		"huge id":         func(a *corpus.Article) { a.StoryID = strings.Repeat("x", corpus.MaxStoryIDBytes+1) },
		"huge data":       func(a *corpus.Article) { a.StoryID, a.StoryData = "s", strings.Repeat("x", corpus.MaxStoryDataBytes+1) },
		"newline in id":   func(a *corpus.Article) { a.StoryID = "a\nb" },
		"bad UTF-8 id":    func(a *corpus.Article) { a.StoryID = "a\xffb" },
		"bad UTF-8 data":  func(a *corpus.Article) { a.StoryID, a.StoryData = "s", "\xff" },
		"data without id": func(a *corpus.Article) { a.StoryData = "orphan" },
	} {
		a := base
		mut(&a)
		chunks, vecs := split(a, Dim)
		if _, err := lib.Put(ctx, a, chunks, vecs); !errors.Is(err, corpus.ErrInvalidArticle) {
			t.Errorf("%s: Put error = %v, want ErrInvalidArticle", name, err)
		}
	}
	if n, _ := counts(t, lib); n != 0 {
		t.Errorf("refused articles left %d articles", n)
	}
	hostile := base
	hostile.StoryID = `x'); DROP TABLE articles; -- "`
	put(t, lib, hostile)
	if s := summaryOf(t, lib, base.ID); s.StoryID != hostile.StoryID {
		t.Errorf("hostile story id came back as %q", s.StoryID)
	}
}
