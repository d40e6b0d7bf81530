package corpus

import (
	"net/url"
	"strings"
	"testing"
)

const storyParas = `<p>The delegations met on Monday and agreed to continue the talks next week in the same city, officials said.</p>
<p>Both sides described the meeting as useful and said that technical teams would prepare the next round of negotiations.</p>
<p>The talks, the first in two years, focus on trade, fishing rights and the reopening of two border crossings.</p>`

func newsArticle(t *testing.T, page, pageURL string) Article {
	t.Helper()
	u, _ := url.Parse(pageURL)
	a, err := htmlArticle([]byte(page), "text/html; charset=utf-8", u, false)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestNewsPageMetadata: the outlet and date come from JSON-LD (including
// an @graph whose publisher is a reference), from the title's suffix, and
// from the article's <time>, when readability finds none.
func TestNewsPageMetadata(t *testing.T) {
	graph := `<script type="application/ld+json">{"@graph":[{"@type":"Organization","@id":"#o","name":"Graph Gazette"},
		{"@type":["NewsArticle"],"headline":"Talks resume","datePublished":"2026-03-04T08:00:00Z","publisher":{"@id":"#o"}}]}</script>`
	tests := []struct {
		name, page, url, outlet, date string
	}{
		{"json-ld graph", `<html><head><title>Talks resume</title>` + graph + `</head><body><article><h1>Talks resume</h1>` + storyParas + `</article></body></html>`,
			"https://gg.example/a", "Graph Gazette", "2026-03-04"},
		{"title suffix and time tag", `<html><head><title>Talks resume - Valley Post</title></head><body><article><h1>Talks resume</h1>
			<div class="entry-meta"><time class="entry-date" datetime="2026-05-07T08:30:00-05:00">May 7</time></div>` + storyParas + `</article></body></html>`,
			"https://valleypost.example/a", "Valley Post", "2026-05-07"},
		{"malformed json-ld is ignored", `<html><head><title>Talks resume</title><script type="application/ld+json">{"@type": "NewsArticle", "datePub</script></head><body><article>` + storyParas + `</article></body></html>`,
			"https://plain.example/a", "plain.example", ""},
		{"a time outside the article is not its date", `<html><head><title>Talks resume</title></head><body><div class="clock"><time datetime="2020-01-01">now</time></div><article>` + storyParas + `</article></body></html>`,
			"https://clock.example/a", "clock.example", ""},
	}
	for _, tc := range tests {
		a := newsArticle(t, tc.page, tc.url)
		d := ""
		if !a.Published.IsZero() {
			d = a.Published.Format(DateLayout)
		}
		if a.Source != tc.outlet || d != tc.date {
			t.Errorf("%s: outlet %q date %q, want %q %q", tc.name, a.Source, d, tc.outlet, tc.date)
		}
	}
}

// TestNewsPageFurniture: consent banners, galleries, comments, related
// lists and date-only lines leave the body; a container named like
// furniture that holds the story stays.
func TestNewsPageFurniture(t *testing.T) {
	page := `<html><head><title>Talks resume</title></head><body>
<div id="cookie-banner"><p>We use cookies to improve your experience and to show you personalised advertising.</p></div>
<div role="dialog"><p>Accept all partners and their purposes for processing your data.</p></div>
<article><h1>Talks resume</h1><p class="date">Published on 4 March 2026</p>` + storyParas + `
<div class="gallery"><p>1 of 8 Delegates arrive at the venue on Monday morning.</p></div>
<section id="comments"><p>Nobody believes these talks will lead anywhere, as always happens.</p></section>
<ul class="related-stories"><li>Border crossings reopen after two years of closure</li></ul>
</article></body></html>`
	a := newsArticle(t, page, "https://n.example/a")
	for _, leak := range []string{"cookies", "partners", "1 of 8", "Nobody believes", "Border crossings reopen", "4 March"} {
		if strings.Contains(a.Body, leak) {
			t.Errorf("%q leaked into the body:\n%s", leak, a.Body)
		}
	}
	if !strings.Contains(a.Body, "reopening of two border crossings") {
		t.Errorf("the story is missing:\n%s", a.Body)
	}
	wrapped := `<html><head><title>Talks resume</title></head><body><div class="slide"><h1>Talks resume</h1>` + storyParas + `</div></body></html>`
	if a := newsArticle(t, wrapped, "https://n.example/b"); !strings.Contains(a.Body, "technical teams") {
		t.Errorf("a story inside a furniture-named container was removed:\n%s", a.Body)
	}
}
