package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
)

// canonicalPage is a made-up news page whose <link rel=canonical> (or
// og:url, with og) names canonical, and whose title carries the site name.
func canonicalPage(canonical string, og bool) string {
	link := `<link rel="canonical" href="` + canonical + `">`
	if og {
		link = `<meta property="og:url" content="` + canonical + `">`
	}
	return `<!doctype html><html><head><title>Valdris harbour reopens | HTML Herald</title>` + link + `</head>
<body><article><h1>Valdris harbour reopens</h1><p>The harbour of Valdris reopened to cargo ships on Thursday after a three-week closure caused by the strike of the pilots, the port authority said in a statement.</p>
<p>Shipping companies expect the backlog of containers to clear within ten days, while the pilots' union said talks on the new contract would continue next month.</p></article></body></html>`
}

// TestIngestURLCanonical: a page's canonical link on its own site is the
// article's URL (and so its id): the page ingested as a saved file and by
// a URL with a query string is one article. A canonical link to another
// site is ignored. The site name is split off the title into the outlet.
func TestIngestURLCanonical(t *testing.T) {
	var base string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		switch r.URL.Path {
		case "/news/valdris":
			fmt.Fprint(w, canonicalPage(base+"/news/valdris", r.URL.Query().Get("og") != ""))
		case "/copy":
			fmt.Fprint(w, canonicalPage("https://elsewhere.example/news/valdris", false))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	base = srv.URL
	c := newCLI(t)
	c.env["ATTACHE_ALLOW_PRIVATE_URLS"] = "true"

	file := writeFile(t, c.dir, "valdris.html", canonicalPage(base+"/news/valdris", false))
	if got := parseSummary(t, c.mustRun(0, "ingest", file)); got != (counts{added: 1}) {
		t.Fatalf("file ingest = %+v, want 1 added", got)
	}
	for _, u := range []string{base + "/news/valdris?ref=home", base + "/news/valdris?og=1"} {
		if got := parseSummary(t, c.mustRun(0, "ingest", u)); got != (counts{unchanged: 1}) {
			t.Errorf("ingest %s after the saved file = %+v, want 1 unchanged (the same article)", u, got)
		}
	}
	list := listJSON(t, c)
	if len(list) != 1 {
		t.Fatalf("list = %+v, want one article", list)
	}
	if e := list[0]; e.Title != "Valdris harbour reopens" || e.Source != "HTML Herald" || e.URL != base+"/news/valdris" {
		t.Errorf("article = %+v; want title without the site name, outlet HTML Herald, the canonical URL", e)
	}

	// A canonical link to another site does not make the page that site's
	// article.
	c.mustRun(0, "ingest", base+"/copy")
	urls := map[string]bool{}
	for _, e := range listJSON(t, c) {
		urls[e.URL] = true
	}
	if urls["https://elsewhere.example/news/valdris"] || !urls[base+"/copy"] {
		t.Errorf("a page with another site's canonical link is listed under %v", urls)
	}
}
