// Package feedtest is a feed server on loopback for tests: it serves RSS,
// Atom and JSON feeds and article pages that a test changes between polls,
// answers conditional requests with 304 when the document has not changed,
// and counts what it was asked.
package feedtest

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Doc is one document the server serves.
type Doc struct {
	ContentType string
	Body        []byte
	// Status, when not 0, is answered instead of the body (with
	// RetryAfter as the Retry-After header when set).
	Status     int
	RetryAfter string
	// NoValidators: no ETag or Last-Modified, as some servers do.
	NoValidators bool
}

// Server is a loopback HTTP server of feeds and pages.
type Server struct {
	*httptest.Server
	mu       sync.Mutex
	docs     map[string]Doc
	versions map[string]int
	handlers map[string]http.Handler
	gates    map[string]gate
	hits     map[string]int
	times    map[string][]time.Time

	// Requests counts every request, Conditional those that carried
	// If-None-Match or If-Modified-Since, NotModified the 304 answers.
	Requests, Conditional, NotModified atomic.Int64
}

// New starts a server, closed when the test ends.
func New(t testing.TB) *Server {
	s := &Server{docs: map[string]Doc{}, versions: map[string]int{}, handlers: map[string]http.Handler{}, gates: map[string]gate{}, hits: map[string]int{}, times: map[string][]time.Time{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// Set serves d at path from now on; a changed document gets a new ETag.
func (s *Server) Set(path string, d Doc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.docs[path] = d
	s.versions[path]++
}

// Handle serves path with h (a hanging or redirecting answer).
func (s *Server) Handle(path string, h http.Handler) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.handlers[path] = h
}

// gate is a path's Gate; open is closed by Open.
type gate struct{ fetching, release, open chan struct{} }

// Gate holds every later request of path until the test lets it through,
// so that a test can act while a poll is in the middle of its fetch: each
// request first sends on fetching, then waits for a value on release and
// is served as usual (or, when its client gives up first, is answered
// with nothing). Both channels hold a few values, so that a test may
// release a request before it comes.
func (s *Server) Gate(path string) (fetching <-chan struct{}, release chan<- struct{}) {
	g := gate{make(chan struct{}, 8), make(chan struct{}, 8), make(chan struct{})}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gates[path] = g
	return g.fetching, g.release
}

// Open removes path's Gate: the requests it holds go on, and later ones
// are not held. A test whose gated client was killed opens the gate rather
// than releasing one request: the killed client's request may still be
// waiting (the server has not yet seen its connection close) and would
// take the release meant for the next one.
func (s *Server) Open(path string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if g, ok := s.gates[path]; ok {
		close(g.open)
		delete(s.gates, path)
	}
}

// Hits returns how many requests path has had.
func (s *Server) Hits(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[path]
}

// Times returns when each request of path came, in order: a test of a
// schedule checks the spacing of the fetches on them.
func (s *Server) Times(path string) []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Time(nil), s.times[path]...)
}

// URLOf returns the absolute URL of path.
func (s *Server) URLOf(path string) string { return s.URL + path }

// lastModified is a fixed date per version, so If-Modified-Since works.
func lastModified(v int) string {
	return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(v) * time.Hour).Format(http.TimeFormat)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.Requests.Add(1)
	inm, ims := r.Header.Get("If-None-Match"), r.Header.Get("If-Modified-Since")
	if inm != "" || ims != "" {
		s.Conditional.Add(1)
	}
	s.mu.Lock()
	s.hits[r.URL.Path]++
	s.times[r.URL.Path] = append(s.times[r.URL.Path], time.Now())
	g, gated := s.gates[r.URL.Path]
	s.mu.Unlock()
	if gated {
		g.fetching <- struct{}{}
		select {
		case <-g.release:
		case <-g.open:
		case <-r.Context().Done():
			return
		}
	}
	s.mu.Lock()
	h, custom := s.handlers[r.URL.Path]
	d, ok := s.docs[r.URL.Path]
	v := s.versions[r.URL.Path]
	s.mu.Unlock()
	if custom {
		h.ServeHTTP(w, r)
		return
	}
	if !ok {
		http.NotFound(w, r)
		return
	}
	if d.Status != 0 {
		if d.RetryAfter != "" {
			w.Header().Set("Retry-After", d.RetryAfter)
		}
		w.WriteHeader(d.Status)
		return
	}
	if !d.NoValidators {
		etag := fmt.Sprintf(`"v%d"`, v)
		lm := lastModified(v)
		if inm == etag || (inm == "" && ims == lm) {
			s.NotModified.Add(1)
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", etag)
		w.Header().Set("Last-Modified", lm)
	}
	if d.ContentType != "" {
		w.Header().Set("Content-Type", d.ContentType)
	}
	w.Write(d.Body)
}

// Entry is one item of a generated feed; zero fields are left out.
type Entry struct {
	GUID, Link, Title  string
	Summary, Content   string // HTML
	Published, Updated time.Time
}

func esc(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

// RSS returns an RSS 2.0 document.
func RSS(title, link string, entries ...Entry) []byte {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		`<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:atom="http://www.w3.org/2005/Atom"><channel>`)
	fmt.Fprintf(&b, "<title>%s</title><link>%s</link><description>test feed</description><language>en</language>\n", esc(title), esc(link))
	for _, e := range entries {
		b.WriteString("<item>")
		if e.Title != "" {
			fmt.Fprintf(&b, "<title>%s</title>", esc(e.Title))
		}
		if e.Link != "" {
			fmt.Fprintf(&b, "<link>%s</link>", esc(e.Link))
		}
		if e.GUID != "" {
			fmt.Fprintf(&b, `<guid isPermaLink="false">%s</guid>`, esc(e.GUID))
		}
		if !e.Published.IsZero() {
			fmt.Fprintf(&b, "<pubDate>%s</pubDate>", e.Published.Format(time.RFC1123Z))
		}
		if !e.Updated.IsZero() {
			fmt.Fprintf(&b, "<atom:updated>%s</atom:updated>", e.Updated.Format(time.RFC3339))
		}
		if e.Summary != "" {
			fmt.Fprintf(&b, "<description>%s</description>", esc(e.Summary))
		}
		if e.Content != "" {
			fmt.Fprintf(&b, "<content:encoded><![CDATA[%s]]></content:encoded>", e.Content)
		}
		b.WriteString("</item>\n")
	}
	b.WriteString("</channel></rss>\n")
	return []byte(b.String())
}

// Atom returns an Atom document.
func Atom(title, link string, entries ...Entry) []byte {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?>` + "\n" + `<feed xmlns="http://www.w3.org/2005/Atom">`)
	fmt.Fprintf(&b, `<title>%s</title><link href="%s"/><id>urn:test:feed</id><updated>2026-01-01T00:00:00Z</updated>`+"\n", esc(title), esc(link))
	for _, e := range entries {
		b.WriteString("<entry>")
		fmt.Fprintf(&b, "<title>%s</title>", esc(e.Title))
		if e.Link != "" {
			fmt.Fprintf(&b, `<link rel="alternate" href="%s"/>`, esc(e.Link))
		}
		if e.GUID != "" {
			fmt.Fprintf(&b, "<id>%s</id>", esc(e.GUID))
		}
		if !e.Published.IsZero() {
			fmt.Fprintf(&b, "<published>%s</published>", e.Published.Format(time.RFC3339))
		}
		if !e.Updated.IsZero() {
			fmt.Fprintf(&b, "<updated>%s</updated>", e.Updated.Format(time.RFC3339))
		}
		if e.Summary != "" {
			fmt.Fprintf(&b, `<summary type="html">%s</summary>`, esc(e.Summary))
		}
		if e.Content != "" {
			fmt.Fprintf(&b, `<content type="html">%s</content>`, esc(e.Content))
		}
		b.WriteString("</entry>\n")
	}
	b.WriteString("</feed>\n")
	return []byte(b.String())
}

// JSON returns a JSON Feed 1.1 document.
func JSON(title, link string, entries ...Entry) []byte {
	type item struct {
		ID            string `json:"id,omitempty"`
		URL           string `json:"url,omitempty"`
		Title         string `json:"title,omitempty"`
		ContentHTML   string `json:"content_html,omitempty"`
		Summary       string `json:"summary,omitempty"`
		DatePublished string `json:"date_published,omitempty"`
		DateModified  string `json:"date_modified,omitempty"`
	}
	doc := struct {
		Version string `json:"version"`
		Title   string `json:"title"`
		Home    string `json:"home_page_url"`
		Items   []item `json:"items"`
	}{Version: "https://jsonfeed.org/version/1.1", Title: title, Home: link, Items: []item{}}
	for _, e := range entries {
		it := item{ID: e.GUID, URL: e.Link, Title: e.Title, ContentHTML: e.Content, Summary: e.Summary}
		if !e.Published.IsZero() {
			it.DatePublished = e.Published.Format(time.RFC3339)
		}
		if !e.Updated.IsZero() {
			it.DateModified = e.Updated.Format(time.RFC3339)
		}
		doc.Items = append(doc.Items, it)
	}
	b, _ := json.Marshal(doc)
	return b
}

// Page returns an article page: title, outlet (og:site_name), date and
// paragraphs.
func Page(title, outlet string, published time.Time, paragraphs ...string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "<!doctype html><html lang=\"en\"><head><title>%s</title>", esc(title))
	if outlet != "" {
		fmt.Fprintf(&b, `<meta property="og:site_name" content="%s">`, esc(outlet))
	}
	if !published.IsZero() {
		fmt.Fprintf(&b, `<meta property="article:published_time" content="%s">`, published.Format(time.RFC3339))
	}
	fmt.Fprintf(&b, "</head><body><nav><a href=\"/\">Home</a></nav><article><h1>%s</h1>", esc(title))
	for _, p := range paragraphs {
		fmt.Fprintf(&b, "<p>%s</p>\n", esc(p))
	}
	b.WriteString("</article><footer>Copyright</footer></body></html>")
	return []byte(b.String())
}

// vocabulary for Story: ordinary news words.
var vocabulary = strings.Fields(`the minister said on monday that talks with the delegation would resume next week
after a long night of negotiations in the capital where protesters gathered outside parliament demanding
new elections while the central bank raised interest rates to fight inflation and the opposition leader
called the budget a disaster for families farmers workers and small businesses across the northern region
officials confirmed that rescue teams reached the flooded villages by boat and helicopter bringing food water
medicine and tents to thousands of residents who lost their homes when the river burst its banks during storms
analysts expect exports to fall sharply this year because of weaker demand tariffs shipping costs and a strong
currency although the government insists growth will recover once the new trade agreement enters into force`)

// Story returns a deterministic text of n words (paragraphs of about 60)
// drawn from ordinary news words by seed: two seeds give texts that share
// almost no run of five words.
func Story(seed uint64, n int) string {
	x := seed*0x9e3779b97f4a7c15 + 1
	var b strings.Builder
	for i := range n {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		if i > 0 {
			if i%60 == 0 {
				b.WriteString(".\n\n")
			} else {
				b.WriteByte(' ')
			}
		}
		b.WriteString(vocabulary[x%uint64(len(vocabulary))])
	}
	b.WriteString(".")
	return b.String()
}
