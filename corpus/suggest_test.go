package corpus

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

func suggestIDs(t *testing.T, lib *Library, scope, text string, limit int) []string {
	t.Helper()
	got, err := lib.Suggest(context.Background(), scope, text, limit)
	if err != nil {
		t.Fatalf("Suggest(%q, %.40q): %v", scope, text, err)
	}
	var ids []string
	for _, s := range got {
		if s.Scope != scope && !(scope == "" && s.Scope == SharedScope) {
			t.Errorf("Suggest(%q) returned %s of scope %q", scope, s.ID, s.Scope)
		}
		ids = append(ids, s.ID)
	}
	return ids
}

func TestSuggest(t *testing.T) {
	ctx := context.Background()
	lib := libOpen(t, t.TempDir())
	const g = "111111111111111111"
	for _, a := range []Article{
		libArticle("g-old", g, "Grain corridor talks stall", "2026-01-02", "Talks stalled in Brindle."),
		libArticle("g-new", g, "Grain CORRIDOR deal signed", "2026-03-04", "A deal was signed in Brindle."),
		libArticle("g-undated", g, "Corridor convoys wait", "", "Convoys wait at the border."),
		libArticle("g-uni", g, "Über die Zölle in Straße", "2026-02-01", "Zölle wurden erhöht."),
		libArticle("g-meta", g, "Tariffs up 100% on a_b goods", "2026-02-02", "Tariffs doubled on goods."),
		libArticle("other-guild", "222222222222222222", "Grain corridor elsewhere", "2026-03-05", "Elsewhere."),
		libArticle("shared-1", SharedScope, "Grain corridor shared", "2026-03-06", "Shared."),
	} {
		libPut(t, lib, a)
	}
	cases := []struct {
		scope, text string
		want        string
	}{
		{g, "", "g-new g-meta g-uni g-old g-undated"}, // List's order: newest first, undated last
		{g, "corridor", "g-new g-old g-undated"},      // case-insensitive, this scope only
		{g, "  CORRIDOR DEAL ", "g-new"},
		{g, "orrid", "g-new g-old g-undated"}, // inside a word
		{g, "g-ol", "g-old"},                  // by id
		{g, "über", "g-uni"},                  // case folding beyond ASCII
		{g, "ÜBER DIE", "g-uni"},
		{g, "zölle", "g-uni"},
		{g, "straße", "g-uni"},
		{g, "zolle", ""}, // no accent folding
		{g, "100%", "g-meta"},
		{g, "%", "g-meta"}, // LIKE's characters are literal
		{g, "a_b", "g-meta"},
		{g, "_", "g-meta"},
		{g, `\`, ""},
		{g, "nothing like it", ""},
		{"", "corridor", "shared-1"},
		{SharedScope, "", "shared-1"},
		{"333333333333333333", "", ""},
		{g, "corridor\xff", ""}, // not UTF-8: matches nothing, no error
		{g, "\x00", ""},         // not the end of the pattern
		{g, "corridor\x00", ""},
		{g, strings.Repeat("corridor ", 2000), ""},
		{g, "'; DROP TABLE articles; --", ""},
	}
	for _, c := range cases {
		if got := strings.Join(suggestIDs(t, lib, c.scope, c.text, 25), " "); got != c.want {
			t.Errorf("Suggest(%q, %.40q) = %q, want %q", c.scope, c.text, got, c.want)
		}
	}
	if got := suggestIDs(t, lib, g, "", 2); strings.Join(got, " ") != "g-new g-meta" {
		t.Errorf("limit 2: %v", got)
	}
	if got := suggestIDs(t, lib, g, "", 0); len(got) != 1 {
		t.Errorf("limit 0: %v, want one", got)
	}
	s, err := lib.Suggest(ctx, g, "deal", 25)
	if err != nil || len(s) != 1 || s[0].Title != "Grain CORRIDOR deal signed" || s[0].Source != "Test Wire" || s[0].Published.IsZero() {
		t.Errorf("Suggest(deal) = %+v, %v", s, err)
	}
	if err := lib.Remove(ctx, g, "g-new"); err != nil {
		t.Fatal(err)
	}
	if got := suggestIDs(t, lib, g, "corridor", 25); strings.Join(got, " ") != "g-old g-undated" {
		t.Errorf("after removing g-new: %v", got)
	}
}

// A scope with more matches than the limit gives the newest, and no more
// than MaxSuggestions whatever is asked for.
func TestSuggestLimit(t *testing.T) {
	lib := libOpen(t, t.TempDir())
	for k := range 40 {
		libPut(t, lib, libArticle(fmt.Sprintf("b-%02d", k), "g", fmt.Sprintf("Bulletin %02d", k), fmt.Sprintf("2026-01-%02d", 1+k%28), "Text."))
	}
	got := suggestIDs(t, lib, "g", "bulletin", 1000)
	if len(got) != MaxSuggestions {
		t.Fatalf("%d suggestions, want %d", len(got), MaxSuggestions)
	}
	list, _ := lib.List(context.Background(), "g")
	for i := range got {
		if got[i] != list[i].ID {
			t.Fatalf("suggestion %d is %s, List has %s: not List's order", i, got[i], list[i].ID)
		}
	}
}

// A library written before the autocomplete index existed gets it when
// opened.
func TestSuggestIndexAddedToOldLibrary(t *testing.T) {
	dir := t.TempDir()
	lib := libOpen(t, dir)
	libPut(t, lib, libArticle("x", "g", "Harbour accord", "2026-01-01", "Text."))
	if _, err := lib.w.Exec("DROP INDEX articles_scope_titles"); err != nil {
		t.Fatal(err)
	}
	lib.Close()
	lib = libOpen(t, dir)
	if got := suggestIDs(t, lib, "g", "harbour", 25); len(got) != 1 {
		t.Errorf("after reopening: %v", got)
	}
}
