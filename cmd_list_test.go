package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// listEntry decodes "list -json" strictly.
type listEntry struct {
	ID        string `json:"id"`
	Title     string `json:"title"`
	Source    string `json:"source"`
	Published string `json:"published"`
	URL       string `json:"url"`
	Chunks    int    `json:"chunks"`
	Scope     string `json:"scope"`
}

func listJSON(t *testing.T, c *cli, args ...string) []listEntry {
	t.Helper()
	r := c.mustRun(0, append([]string{"list", "-json"}, args...)...)
	var out []listEntry
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&out); err != nil {
		t.Fatalf("list -json output does not decode: %v\n%s", err, r.stdout)
	}
	if out == nil {
		t.Fatalf("list -json printed null, want an array:\n%s", r.stdout)
	}
	return out
}

// listIDs counts how often each id is listed.
func listIDs(t *testing.T, c *cli) map[string]int {
	t.Helper()
	ids := map[string]int{}
	for _, e := range listJSON(t, c) {
		ids[e.ID]++
	}
	return ids
}

func TestListJSON(t *testing.T) {
	c := newCLI(t)
	path := writeFile(t, c.dir, "l.jsonl", strings.Join([]string{
		jsonlRecord("old", "Older story", "Wire", "2024-01-01", "An older story about the treaty."),
		jsonlRecord("new", "Newer story", "Wire", "2026-01-01", "A newer story about the treaty."),
		`{"id": "undated", "title": "Undated story", "body": "A story without a date."}`,
	}, "\n"))
	c.mustRun(0, "ingest", path)
	list := listJSON(t, c)
	if len(list) != 3 {
		t.Fatalf("list -json has %d entries, want the 3 ingested (ingest never seeds): %+v", len(list), list)
	}
	if list[0].ID != "new" {
		t.Errorf("list is not newest first: %+v", list)
	}
	seen := map[string]listEntry{}
	for _, e := range list {
		seen[e.ID] = e
		if e.Chunks < 1 || e.Scope == "" || e.Title == "" {
			t.Errorf("list entry incomplete: %+v", e)
		}
	}
	if e := seen["old"]; e.Published != "2024-01-01" || e.Source != "Wire" || e.URL != "https://news.example/old" || e.Scope != "shared" {
		t.Errorf("list entry for old = %+v", e)
	}
	if e, ok := seen["undated"]; !ok || e.Published != "" {
		t.Errorf("undated article: %+v (listed %v), want published \"\"", e, ok)
	}

	text := c.mustRun(0, "list").stdout
	for _, want := range []string{"ID", "Newer story", "Older story", "article(s)"} {
		if !strings.Contains(text, want) {
			t.Errorf("list output lacks %q:\n%s", want, text)
		}
	}
	c.mustRun(2, "list", "extra")
}

// TestSampleSeededOnce: the sample corpus is added to an empty data
// directory by the first ask (list does not seed), with one line saying
// so; after it is removed, it stays removed.
func TestSampleSeededOnce(t *testing.T) {
	c := newCLI(t)
	if list := listJSON(t, c); len(list) != 0 {
		t.Fatalf("list seeded the data directory: %+v", list)
	}
	r := c.mustRun(0, "ask", sampleQuestion)
	if n := strings.Count(r.stderr, "sample corpus"); n != 1 {
		t.Errorf("seeding is not said in one line:\n%s", r)
	}
	if r := c.mustRun(0, "ask", sampleQuestion); strings.Contains(r.stderr, "sample") {
		t.Errorf("the second ask says it seeded again:\n%s", r)
	}
	list := listJSON(t, c)
	if len(list) == 0 {
		t.Fatal("ask on a fresh data directory did not add the sample")
	}
	var ids []string
	for _, e := range list {
		ids = append(ids, e.ID)
	}
	r = c.mustRun(0, append([]string{"remove"}, ids...)...)
	if strings.Count(r.stdout, "removed ") != len(ids) {
		t.Errorf("remove output:\n%s", r)
	}
	if got := listJSON(t, c); len(got) != 0 {
		t.Errorf("after removing the sample, list = %+v; want it to stay empty", got)
	}
	obj, _ := decodeAsk(t, c.mustRun(0, "ask", "-json", sampleQuestion).stdout)
	if obj.Mode != "none" {
		t.Errorf("after removing the sample, ask still answers from it: %+v", obj)
	}
}

// TestIngestNeverSeeds: a data directory whose first command is ingest
// holds only what was ingested, also for the questions asked later and
// after its articles are removed.
func TestIngestNeverSeeds(t *testing.T) {
	c := newCLI(t)
	path := writeFile(t, c.dir, "real.jsonl", jsonlRecord("real-1", "Harbour talks resume", "Wire", "2025-07-20",
		"Negotiators resumed the harbour talks in Valdris on Monday.")+"\n")
	c.mustRun(0, "ingest", path)
	r := c.mustRun(0, "ask", "-json", sampleQuestion)
	if strings.Contains(r.stderr, "sample") {
		t.Errorf("ask seeded a data directory that ingest had filled:\n%s", r)
	}
	if obj, _ := decodeAsk(t, r.stdout); obj.Mode != "none" {
		t.Errorf("a question about the sample is answered in a real corpus: %+v", obj)
	}
	if ids := listIDs(t, c); len(ids) != 1 || ids["real-1"] != 1 {
		t.Errorf("list = %v, want only real-1", ids)
	}
	c.mustRun(0, "remove", "real-1")
	c.mustRun(0, "ask", sampleQuestion)
	if ids := listIDs(t, c); len(ids) != 0 {
		t.Errorf("after removing every article, ask seeded: %v", ids)
	}
}

// TestEmptyDatabaseFileWarns: a zero-byte attache.db opens as a new
// library, with a one-line warning.
func TestEmptyDatabaseFileWarns(t *testing.T) {
	c := newCLI(t)
	dir := c.env["ATTACHE_DATA_DIR"]
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "attache.db", "")
	r := c.mustRun(0, "list")
	if n := strings.Count(r.stderr, "\n"); n != 1 || !strings.Contains(r.stderr, "attache.db is empty") {
		t.Errorf("a zero-byte attache.db: want one warning line:\n%s", r)
	}
	if r := c.mustRun(0, "list"); r.stderr != "" {
		t.Errorf("the warning comes back once the library exists:\n%s", r)
	}
}

func TestRemove(t *testing.T) {
	c := newCLI(t)
	path := writeFile(t, c.dir, "r.jsonl", strings.Join([]string{
		jsonlRecord("keep", "Kept story", "Wire", "2025-02-01", "The quillbrook accord stays."),
		jsonlRecord("drop", "Dropped story", "Wire", "2025-02-02", "The vexmoor protocol goes."),
	}, "\n"))
	c.mustRun(0, "ingest", path)
	c.mustRun(0, "ingest", "-guild", "555", writeFile(t, c.dir, "g.jsonl",
		jsonlRecord("guildonly", "Guild story", "Wire", "2025-02-03", "Only guild 555 has this.")))

	r := c.mustRun(1, "remove", "no-such-id")
	if !strings.Contains(r.stderr, "no-such-id") {
		t.Errorf("remove of an unknown id does not name it:\n%s", r)
	}
	// One miss, one message.
	for _, args := range [][]string{{"remove", "no-such-id"}, {"remove", "-guild", "999", "no-such-id"}} {
		r := c.mustRun(1, args...)
		if n := strings.Count(strings.TrimSpace(r.stderr), "\n") + 1; n != 1 {
			t.Errorf("%v: %d lines on stderr, want one:\n%s", args, n, r.stderr)
		}
	}
	// An unknown id does not stop the others.
	r = c.mustRun(1, "remove", "drop", "no-such-id")
	if !strings.Contains(r.stdout, "removed drop") {
		t.Errorf("remove did not remove the known id:\n%s", r)
	}
	if !strings.Contains(r.stderr, "no-such-id: no such article") || !strings.Contains(r.stderr, "1 of 2 ids not found") {
		t.Errorf("remove of several ids names each miss and counts them:\n%s", r.stderr)
	}
	ids := listIDs(t, c)
	if ids["drop"] != 0 || ids["keep"] != 1 {
		t.Errorf("after remove: %v", ids)
	}
	obj, _ := decodeAsk(t, c.mustRun(0, "ask", "-json", "-asof", "2025-03-01", "What happened to the vexmoor protocol?").stdout)
	for _, s := range obj.Sources {
		if s.ArticleID == "drop" {
			t.Errorf("a removed article is still cited: %+v", obj)
		}
	}
	// -guild restricts removal to that guild's articles.
	c.mustRun(1, "remove", "-guild", "555", "keep")
	c.mustRun(0, "remove", "-guild", "555", "guildonly")
	c.mustRun(2, "remove")
}

func TestListRemoveInputErrors(t *testing.T) {
	c := newCLI(t)
	c.mustRun(2, "list", "extra")
	c.mustRun(2, "list", "-guild", "two words")
	c.mustRun(2, "list", "-guild", strings.Repeat("9", 65))
	c.mustRun(2, "list", "-nope")
	c.mustRun(2, "remove", "-guild", "bad\x01guild", "x")
	c.mustRun(2, "remove", "--")

	// A hostile id is reported without its control characters, cut short,
	// and does not stop the valid one after it.
	hostile := "\x1b[31mred\x1b[0m" + strings.Repeat("x", 5000)
	r := c.mustRun(1, "remove", hostile, "")
	if strings.ContainsRune(r.stderr, '\x1b') || len(r.stderr) > 1000 {
		t.Errorf("remove echoes a hostile id unfiltered or in full:\n%q", r.stderr)
	}
	if !strings.Contains(r.stderr, "2 of 2 ids not found") {
		t.Errorf("remove of two unknown ids:\n%s", r)
	}
}

func TestValidScope(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"", "shared", true},
		{"  ", "shared", true},
		{" 123 ", "123", true},
		{"shared", "shared", true},
		{"team-a", "team-a", true},
		{strings.Repeat("1", 64), strings.Repeat("1", 64), true},
		{strings.Repeat("1", 65), "", false},
		{"two words", "", false},
		{"a\tb", "", false},
		{"a\x00b", "", false},
		{"\u202egnp", "", false},
	} {
		got, err := validScope(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("validScope(%q) = %q, %v; want %q, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestCell(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "-"},
		{"plain", "plain"},
		{"a\tb\nc", "a b c"},
		{"\x1b[2Jab", "[2Jab"},
		{"abcdefgh", "abcd…"},
		{"日本語テキスト", "日本語テ…"},
	} {
		if got := cell(tc.in, 5); got != tc.want {
			t.Errorf("cell(%q, 5) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
