package main

import (
	"strings"
	"testing"
)

// TestExplicitIDsPerScope: a record's own id names an article within its
// scope only. Two guilds and the shared scope importing the same file get
// three articles; a guild removes its own by the id in the file; and
// nothing a guild does or sees depends on another scope's articles.
func TestExplicitIDsPerScope(t *testing.T) {
	c := newCLI(t)
	path := writeFile(t, c.dir, "ds.jsonl", jsonlRecord("ds-0001", "Quorvex accord signed", "Wire", "2025-03-01",
		"Delegates signed the quorvex accord in Vienna on Saturday. It takes effect in April.")+"\n")

	for _, args := range [][]string{
		{"ingest", "-guild", "111", path},
		{"ingest", "-guild", "222", path},
		{"ingest", path}, // the operator's shared ingest
	} {
		r := c.mustRun(0, args...)
		if got := parseSummary(t, r); got != (counts{added: 1}) {
			t.Errorf("attache %s = %+v, want 1 added:\n%s", strings.Join(args, " "), got, r)
		}
	}
	scopes := map[string]string{}
	for _, e := range listJSON(t, c) {
		scopes[e.ID] = e.Scope
	}
	want := map[string]string{"ds-0001": "shared", "ds-0001@111": "111", "ds-0001@222": "222"}
	for id, scope := range want {
		if scopes[id] != scope {
			t.Errorf("list: %s in scope %q, want %q (all: %v)", id, scopes[id], scope, scopes)
		}
	}
	// Each guild sees its own copy and the shared one, never the other's.
	for _, g := range []string{"111", "222"} {
		for _, e := range listJSON(t, c, "-guild", g) {
			if e.Scope != g && e.Scope != "shared" {
				t.Errorf("guild %s lists %s of scope %s", g, e.ID, e.Scope)
			}
		}
	}
	// Importing again is idempotent in every scope.
	if got := parseSummary(t, c.mustRun(0, "ingest", "-guild", "111", path)); got != (counts{unchanged: 1}) {
		t.Errorf("second import in guild 111 = %+v, want 1 unchanged", got)
	}

	// Guild 222 guessing guild 111's stored id gets the same answer as for
	// an id nobody has.
	guess := c.mustRun(1, "remove", "-guild", "222", "ds-0001@111")
	none := c.mustRun(1, "remove", "-guild", "222", "ds-9999@111")
	if strings.ReplaceAll(guess.stderr, "ds-0001", "ds-9999") != none.stderr {
		t.Errorf("a guessed id of another guild is told apart from an unknown one:\n%s\n%s", guess.stderr, none.stderr)
	}
	// A guild removes its article by the id in its file; the others stay.
	c.mustRun(0, "remove", "-guild", "111", "ds-0001")
	got := map[string]bool{}
	for _, e := range listJSON(t, c) {
		got[e.ID] = true
	}
	if got["ds-0001@111"] || !got["ds-0001@222"] || !got["ds-0001"] {
		t.Errorf("after guild 111 removed ds-0001: %v", got)
	}
	c.mustRun(2, "ingest", "-guild", "1@2", path)
}
