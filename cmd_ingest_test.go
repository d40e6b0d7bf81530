package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// summaryRE reads the first line of an ingest summary.
var summaryRE = regexp.MustCompile(`(\d+) added, (\d+) updated, (\d+) unchanged, (\d+) rejected`)

type counts struct{ added, updated, unchanged, rejected int }

func parseSummary(t *testing.T, r result) counts {
	t.Helper()
	m := summaryRE.FindStringSubmatch(r.stdout)
	if m == nil {
		t.Fatalf("no ingest summary in:\n%s", r)
	}
	var c counts
	fmt.Sscan(m[1]+" "+m[2]+" "+m[3]+" "+m[4], &c.added, &c.updated, &c.unchanged, &c.rejected)
	return c
}

// jsonlRecord writes one article as a .jsonl line.
func jsonlRecord(id, title, source, published, body string) string {
	b, _ := json.Marshal(map[string]string{"id": id, "title": title, "source": source, "url": "https://news.example/" + id,
		"published": published, "body": body})
	return string(b)
}

func TestIngestJSONLWithBadLines(t *testing.T) {
	c := newCLI(t)
	lines := []string{
		jsonlRecord("alpha", "Alpha talks", "Wire", "2025-03-01", "Delegates met in Vienna to discuss the quorvex accord. They agreed on a timetable."),
		`{"id": "broken", "title": "Broken", "body": `, // line 2: malformed JSON
		jsonlRecord("beta", "Beta summit", "Wire", "2025-03-02", "Leaders gathered in Oslo. The summit ended without a statement."),
		jsonlRecord("gamma", "", "Wire", "2025-03-03", "A record without a title."), // line 4
		"",
		jsonlRecord("delta", "Delta visit", "Wire", "2025-03-04", ""), // line 6: no body
		jsonlRecord("epsilon", "Epsilon note", "Wire", "2025-03-05", "The envoy returned to Geneva on Tuesday."),
	}
	path := writeFile(t, c.dir, "news.jsonl", strings.Join(lines, "\n")+"\n")
	r := c.mustRun(0, "ingest", path)
	got := parseSummary(t, r)
	if got != (counts{added: 3, rejected: 3}) {
		t.Errorf("ingest summary = %+v, want 3 added, 3 rejected:\n%s", got, r.stdout)
	}
	for _, want := range []string{path + ":2: ", path + ":4: ", path + ":6: "} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("summary does not report %q:\n%s", want, r.stdout)
		}
	}
	if !strings.Contains(strings.ToLower(r.stdout), "title") || !strings.Contains(strings.ToLower(r.stdout), "body") {
		t.Errorf("summary does not give the reasons (missing title, missing body):\n%s", r.stdout)
	}

	// The same file again: nothing new, nothing duplicated.
	r = c.mustRun(0, "ingest", path)
	if got := parseSummary(t, r); got != (counts{unchanged: 3, rejected: 3}) {
		t.Errorf("second ingest = %+v, want 3 unchanged, 3 rejected:\n%s", got, r.stdout)
	}
	// An edited article is updated, and a rare word from it is found.
	lines[6] = jsonlRecord("epsilon", "Epsilon note", "Wire", "2025-03-05", "The envoy returned to Geneva on Tuesday with the zanthorpe memorandum.")
	writeFile(t, c.dir, "news.jsonl", strings.Join(lines, "\n")+"\n")
	r = c.mustRun(0, "ingest", path)
	if got := parseSummary(t, r); got != (counts{updated: 1, unchanged: 2, rejected: 3}) {
		t.Errorf("ingest after an edit = %+v, want 1 updated, 2 unchanged:\n%s", got, r.stdout)
	}
	ids := listIDs(t, c)
	for _, id := range []string{"alpha", "beta", "epsilon"} {
		if ids[id] != 1 {
			t.Errorf("article %s listed %d times, want once: %v", id, ids[id], ids)
		}
	}
	obj, _ := decodeAsk(t, c.mustRun(0, "ask", "-json", "-asof", "2025-03-10", "What is the zanthorpe memorandum?").stdout)
	if len(obj.Sources) == 0 || obj.Sources[0].ArticleID != "epsilon" {
		t.Errorf("the updated article is not found by its new rare word: %+v", obj)
	}
}

// TestIngestInputErrors: inputs that cannot be read at all fail the command
// (exit 1) with a reason, and do not stop the other inputs.
func TestIngestInputErrors(t *testing.T) {
	c := newCLI(t)
	good := writeFile(t, c.dir, "good.md", "---\ntitle: Harbour agreement\nsource: Coast Post\npublished: 2025-05-05\n---\n\nThe two ports signed the harbour agreement on Monday.\n")
	empty := writeFile(t, c.dir, "empty.jsonl", "")
	latin1 := writeFile(t, c.dir, "latin1.txt", "Caf\xe9 talks\n\nThe d\xe9l\xe9gation left.\n")
	dir := filepath.Join(c.dir, "folder")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(c.dir, "missing.jsonl")
	badExt := writeFile(t, c.dir, "notes.pdf", "%PDF-1.4")

	tests := []struct {
		name  string
		input string
		want  string // in the output
	}{
		{"missing path", missing, "not exist"},
		{"directory", dir, "directory"},
		{"empty file", empty, "empty"},
		{"not UTF-8", latin1, "UTF-8"},
		{"unknown format", badExt, "format"},
		{"ftp URL", "ftp://x/y", `unsupported URL scheme "ftp"`},
		{"file URL", "file:///etc/hostname", `unsupported URL scheme "file"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := c.mustRun(1, "ingest", tt.input)
			if !strings.Contains(r.stdout+r.stderr, tt.want) {
				t.Errorf("ingest %s: output lacks %q:\n%s", tt.name, tt.want, r)
			}
			if !strings.Contains(r.stdout, tt.input) {
				t.Errorf("ingest %s: the summary does not name the input:\n%s", tt.name, r.stdout)
			}
		})
	}

	// A good file among bad inputs is still imported; the exit status says
	// that something failed.
	r := c.mustRun(1, "ingest", missing, good, dir)
	if got := parseSummary(t, r); got.added != 1 || got.rejected != 2 {
		t.Errorf("mixed ingest = %+v, want 1 added, 2 rejected:\n%s", got, r)
	}
	if listIDs(t, c) == nil {
		t.Errorf("nothing listed after a partly good ingest")
	}
}

func TestIngestBodyLimit(t *testing.T) {
	c := newCLI(t)
	c.env["ATTACHE_MAX_ARTICLE_BYTES"] = "300"
	long := strings.Repeat("The delegation met again. ", 20) // 520 bytes
	path := writeFile(t, c.dir, "mixed.jsonl",
		jsonlRecord("short", "Short note", "Wire", "2025-01-01", "A short body well under the limit.")+"\n"+
			jsonlRecord("long", "Long report", "Wire", "2025-01-02", long)+"\n")
	r := c.mustRun(0, "ingest", path)
	if got := parseSummary(t, r); got != (counts{added: 1, rejected: 1}) {
		t.Errorf("ingest with a body over the limit = %+v, want 1 added, 1 rejected:\n%s", got, r.stdout)
	}
	if !strings.Contains(r.stdout, path+":2: ") {
		t.Errorf("the long body is not reported at line 2:\n%s", r.stdout)
	}

	// Nothing importable at all is a failure.
	only := writeFile(t, c.dir, "long.jsonl", jsonlRecord("long", "Long report", "Wire", "2025-01-02", long)+"\n")
	c.mustRun(1, "ingest", only)
}

func TestIngestUsage(t *testing.T) {
	c := newCLI(t)
	c.mustRun(2, "ingest")
	c.mustRun(2, "ingest", "-guild", "", "-nope", "x.jsonl")
	c.mustRun(2, "ingest", "-guild", "bad\x01guild", "x.jsonl")
}

// TestIngestFormatsAndGuilds ingests .md, .txt, .json and .html files into a
// guild and checks that only that guild (and the command line without
// -guild) sees them.
func TestIngestFormatsAndGuilds(t *testing.T) {
	c := newCLI(t)
	md := writeFile(t, c.dir, "a.md", "---\ntitle: Frellian border talks\nsource: Border Daily\npublished: 2025-06-01\n---\n\nNegotiators discussed the Frellian border in Riga.\n")
	txt := writeFile(t, c.dir, "b.txt", "Quay accord signed\n2025-06-02\n\nThe port authorities signed the quay accord after a week of talks.\n")
	js := writeFile(t, c.dir, "c.json", "["+jsonlRecord("json-one", "Glacier treaty", "Polar Times", "2025-06-03", "The glacier treaty was ratified by both parliaments.")+"]")
	html := writeFile(t, c.dir, "d.html", `<!doctype html><html><head><title>Canal dispute eases</title><meta property="og:site_name" content="Canal News"></head>
<body><article><h1>Canal dispute eases</h1><p>Officials from both countries said the canal dispute eased after the ministers met in Cairo on Sunday and agreed to share the tolls collected this year.</p>
<p>The agreement will be reviewed next spring by a joint committee of engineers and diplomats, according to a statement released after the meeting.</p></article></body></html>`)
	r := c.mustRun(0, "ingest", "-guild", "111", md, txt, js, html)
	if got := parseSummary(t, r); got != (counts{added: 4}) {
		t.Fatalf("ingest of four formats = %+v, want 4 added:\n%s", got, r)
	}

	all := listJSON(t, c)
	g111 := listJSON(t, c, "-guild", "111")
	g222 := listJSON(t, c, "-guild", "222")
	if len(all) != len(g111) || len(g222) != len(all)-4 {
		t.Errorf("list: %d in all, %d for guild 111, %d for guild 222; want n, n, n-4", len(all), len(g111), len(g222))
	}
	for _, e := range g222 {
		if e.Scope != "shared" {
			t.Errorf("guild 222 sees %s of scope %s", e.ID, e.Scope)
		}
	}
	obj, _ := decodeAsk(t, c.mustRun(0, "ask", "-json", "-guild", "111", "-asof", "2025-06-10", "Where were the Frellian border talks?").stdout)
	if obj.Mode == "none" || len(obj.Sources) == 0 || obj.Sources[0].Title != "Frellian border talks" {
		t.Errorf("guild 111 does not find its own article: %+v", obj)
	}
	obj, _ = decodeAsk(t, c.mustRun(0, "ask", "-json", "-guild", "222", "-asof", "2025-06-10", "Where were the Frellian border talks?").stdout)
	for _, s := range obj.Sources {
		if s.Title == "Frellian border talks" {
			t.Errorf("guild 222 was answered from guild 111's article: %+v", obj)
		}
	}
}

// TestIngestURL fetches an article from a loopback server: refused by
// default (the SSRF guard), fetched with ATTACHE_ALLOW_PRIVATE_URLS.
func TestIngestURL(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/story" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><html><head><title>Ferrowind pact signed</title>
<meta property="og:site_name" content="Loopback Herald"><meta property="article:published_time" content="2025-08-01T09:00:00Z"></head>
<body><article><h1>Ferrowind pact signed</h1><p>The two governments signed the Ferrowind pact in Valletta on Friday, ending a dispute over shipping lanes that had lasted for more than a decade.</p>
<p>Both foreign ministers said the agreement would be reviewed in two years by a joint commission of legal experts and harbour authorities.</p></article></body></html>`)
	}))
	defer srv.Close()
	c := newCLI(t)
	r := c.mustRun(1, "ingest", srv.URL+"/story")
	if !strings.Contains(r.stdout, srv.URL+"/story") {
		t.Errorf("a refused URL is not reported:\n%s", r)
	}
	c.env["ATTACHE_ALLOW_PRIVATE_URLS"] = "true"
	r = c.mustRun(0, "ingest", srv.URL+"/story")
	if got := parseSummary(t, r); got != (counts{added: 1}) {
		t.Errorf("URL ingest = %+v, want 1 added:\n%s", got, r)
	}
	r = c.mustRun(1, "ingest", srv.URL+"/missing")
	if got := parseSummary(t, r); got.rejected != 1 {
		t.Errorf("a 404 URL = %+v, want 1 rejected:\n%s", got, r)
	}
	// Credentials and a query in a refused URL are not echoed.
	secretURL := strings.Replace(srv.URL, "://", "://editor:hunter2@", 1) + "/missing?token=s3cret"
	r = c.mustRun(1, "ingest", secretURL)
	if strings.Contains(r.stdout+r.stderr, "hunter2") || strings.Contains(r.stdout+r.stderr, "s3cret") {
		t.Errorf("ingest echoes a URL's credentials or query:\n%s", r)
	}
	var found bool
	for _, e := range listJSON(t, c) {
		if e.Title == "Ferrowind pact signed" {
			found = true
			if e.Source != "Loopback Herald" || e.Published != "2025-08-01" {
				t.Errorf("fetched article listed as %+v", e)
			}
		}
	}
	if !found {
		t.Errorf("the fetched article is not listed")
	}
}
