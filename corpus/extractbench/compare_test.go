package extractbench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/attache-bot/attache/corpus"
	"github.com/attache-bot/attache/corpus/lang"
	trafilatura "github.com/markusmobius/go-trafilatura"
)

// fixture is one page with what a reader of it would write down.
type fixture struct {
	name string
	page []byte
	want struct {
		URL, Title, Outlet, Date, Body string
	}
}

func loadFixtures(t *testing.T, set string) []fixture {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", set, "*.html"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no fixtures in %s: %v", set, err)
	}
	var out []fixture
	for _, p := range paths {
		f := fixture{name: strings.TrimSuffix(filepath.Base(p), ".html")}
		if f.page, err = os.ReadFile(p); err != nil {
			t.Fatal(err)
		}
		js, err := os.ReadFile(strings.TrimSuffix(p, ".html") + ".json")
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(js, &f.want); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		out = append(out, f)
	}
	return out
}

// extracted is what an extractor read from a page.
type extracted struct {
	title, outlet, date, body string
}

// extractor reads one page served at pageURL.
type extractor struct {
	name string
	read func(ctx context.Context, pageURL string, page []byte) (extracted, error)
}

// readability is the corpus's own path: Fetcher.Fetch, as URL ingest and
// feed items without full content use it.
func readability(f *corpus.Fetcher) extractor {
	return extractor{"readability (corpus)", func(ctx context.Context, pageURL string, _ []byte) (extracted, error) {
		a, err := f.Fetch(ctx, pageURL)
		if err != nil {
			return extracted{}, err
		}
		d := ""
		if !a.Published.IsZero() {
			d = a.Published.Format(corpus.DateLayout)
		}
		return extracted{a.Title, a.Source, d, a.Body}, nil
	}}
}

// trafila is go-trafilatura with its fallbacks on (readability and
// dom-distiller) and go-htmldate for the date.
func trafila() extractor {
	return extractor{"go-trafilatura", func(_ context.Context, pageURL string, page []byte) (extracted, error) {
		u, _ := url.Parse(pageURL)
		r, err := trafilatura.Extract(bytes.NewReader(page), trafilatura.Options{OriginalURL: u, EnableFallback: true, ExcludeComments: true})
		if err != nil {
			return extracted{}, err
		}
		d := ""
		if !r.Metadata.Date.IsZero() {
			d = r.Metadata.Date.UTC().Format(corpus.DateLayout)
		}
		return extracted{r.Metadata.Title, r.Metadata.Sitename, d, r.ContentText}, nil
	}}
}

// score is one extractor's result on a set: the share of pages with the
// right title, outlet and date, and the body's word precision, recall and
// F1 averaged over pages (a failed page scores 0 everywhere).
type score struct {
	title, outlet, date, precision, recall, f1 float64
	failed                                     int
	misses                                     []string
}

func norm(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), " ")) }

// bodyScore compares the words of got and want as multisets.
func bodyScore(got, want string) (p, r, f1 float64) {
	g, w := lang.Tokenize(got, nil), lang.Tokenize(want, nil)
	count := map[string]int{}
	for _, x := range w {
		count[x]++
	}
	common := 0
	for _, x := range g {
		if count[x] > 0 {
			count[x]--
			common++
		}
	}
	if len(g) == 0 || len(w) == 0 || common == 0 {
		return 0, 0, 0
	}
	p, r = float64(common)/float64(len(g)), float64(common)/float64(len(w))
	return p, r, 2 * p * r / (p + r)
}

// pages serves the fixtures on loopback, each at /NAME; transport dials
// every host to it.
type pages struct {
	*httptest.Server
	transport *http.Transport
}

func serve(fixtures []fixture) *pages {
	mux := http.NewServeMux()
	for _, f := range fixtures {
		page := f.page
		mux.HandleFunc("/"+f.name, func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Write(page)
		})
	}
	p := &pages{Server: httptest.NewServer(mux)}
	addr := p.Listener.Addr().String()
	p.transport = &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}, DisableKeepAlives: true}
	return p
}

// run reads every fixture with ex. Each page is asked for under its own
// site's name (http://news.example/NAME), as on the web, so that the rules
// that compare a title with the host see what they would there.
func run(ex extractor, fixtures []fixture) score {
	var s score
	n := float64(len(fixtures))
	for _, f := range fixtures {
		u, _ := url.Parse(f.want.URL)
		got, err := ex.read(context.Background(), "http://"+u.Host+"/"+f.name, f.page)
		if err != nil {
			s.failed++
			s.misses = append(s.misses, fmt.Sprintf("%s: failed: %v", f.name, err))
			continue
		}
		if norm(got.title) == norm(f.want.Title) {
			s.title += 1 / n
		} else {
			s.misses = append(s.misses, fmt.Sprintf("%s: title %q", f.name, got.title))
		}
		if norm(got.outlet) == norm(f.want.Outlet) {
			s.outlet += 1 / n
		} else {
			s.misses = append(s.misses, fmt.Sprintf("%s: outlet %q", f.name, got.outlet))
		}
		if got.date == f.want.Date {
			s.date += 1 / n
		} else {
			s.misses = append(s.misses, fmt.Sprintf("%s: date %q", f.name, got.date))
		}
		// attache stores the title beside the body; a body that repeats
		// it first is scored without it, for either extractor.
		body := strings.TrimSpace(got.body)
		if t := strings.TrimSpace(got.title); t != "" && strings.HasPrefix(norm(body), norm(t)) {
			body = strings.TrimSpace(body[min(len(body), len(t)):])
		}
		p, r, f1 := bodyScore(body, f.want.Body)
		s.precision += p / n
		s.recall += r / n
		s.f1 += f1 / n
		if f1 < 0.95 {
			s.misses = append(s.misses, fmt.Sprintf("%s: body P %.2f R %.2f: %q", f.name, p, r, got.body))
		}
	}
	sort.Strings(s.misses)
	return s
}

// TestCompareExtractors scores both extractors on the development pages
// (the ones the corpus's news-page rules were written against) and on
// held-out pages of layouts not looked at while writing them, and checks
// that the extractor attache uses is not beaten on any field. Run with -v
// for the table that BENCHMARKS.md records.
func TestCompareExtractors(t *testing.T) {
	for _, set := range []string{"dev", "heldout"} {
		fixtures := loadFixtures(t, set)
		srv := serve(fixtures)
		f := corpus.NewFetcher(corpus.FetchOptions{Timeout: 10 * time.Second, Transport: srv.transport})
		ours, theirs := readability(f), trafila()
		a, b := run(ours, fixtures), run(theirs, fixtures)
		srv.Close()
		t.Logf("%s set, %d pages", set, len(fixtures))
		t.Logf("| extractor | title | outlet | date | body P | body R | body F1 | failed |")
		for _, r := range []struct {
			name string
			s    score
		}{{ours.name, a}, {theirs.name, b}} {
			t.Logf("| %s | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f | %d |", r.name, r.s.title, r.s.outlet, r.s.date, r.s.precision, r.s.recall, r.s.f1, r.s.failed)
		}
		for _, m := range a.misses {
			t.Logf("  %s %s", ours.name, m)
		}
		for _, m := range b.misses {
			t.Logf("  %s %s", theirs.name, m)
		}
		const eps = 1e-9
		if set == "dev" && (a.title+eps < b.title || a.outlet+eps < b.outlet || a.date+eps < b.date || a.f1+0.01 < b.f1) {
			t.Errorf("%s set: the corpus's extraction is beaten by %s on a field (ours %+v, theirs %+v)", set, theirs.name, a, b)
		}
	}
}
