package corpus

import (
	"encoding/json"
	"regexp"
	"strings"

	"golang.org/x/net/html"
)

// News pages say more about themselves than readability reads, and wrap
// the story in furniture it keeps: these rules cover both for the HTML
// pages that URL ingest and feed items fetch.

// newsPage is what a page declares beyond readability's reading: its
// <title> text, its JSON-LD article (headline, date, publisher), and the
// first machine-readable <time> of its article.
type newsPage struct {
	title     string
	published string
	publisher string
	timeTag   string
}

// readNewsPage reads doc's declarations; it must run before readability
// mutates the tree.
func readNewsPage(doc *html.Node) newsPage {
	var p newsPage
	var walk func(n *html.Node, inArticle bool)
	walk = func(n *html.Node, inArticle bool) {
		if n.Type == html.ElementNode {
			switch n.Data {
			case "title":
				if p.title == "" && n.FirstChild != nil {
					p.title = strings.TrimSpace(n.FirstChild.Data)
				}
			case "script":
				if strings.EqualFold(attrOf(n, "type"), "application/ld+json") && n.FirstChild != nil {
					p.jsonLD(n.FirstChild.Data)
				}
				return
			case "article", "header", "main":
				inArticle = true
			case "time":
				if p.timeTag == "" && inArticle {
					p.timeTag = attrOf(n, "datetime")
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, inArticle)
		}
	}
	walk(doc, false)
	return p
}

// maxJSONLD bounds the JSON-LD block read: a page's metadata is a few KiB.
const maxJSONLD = 256 << 10

// articleTypes are the schema.org types of a news story.
var articleTypes = map[string]bool{
	"newsarticle": true, "article": true, "reportagenewsarticle": true, "analysisnewsarticle": true,
	"blogposting": true, "opinionnewsarticle": true, "reviewnewsarticle": true, "backgroundnewsarticle": true,
	"liveblogposting": true, "webpage": false,
}

// jsonLD reads the first article object of a JSON-LD block: a single
// object, an array of them, or an @graph whose publisher may be an @id
// reference to another node.
func (p *newsPage) jsonLD(src string) {
	if len(src) > maxJSONLD || p.published != "" && p.publisher != "" {
		return
	}
	var v any
	if json.Unmarshal([]byte(src), &v) != nil {
		return
	}
	var nodes []map[string]any
	var collect func(v any)
	collect = func(v any) {
		switch x := v.(type) {
		case []any:
			for _, e := range x {
				collect(e)
			}
		case map[string]any:
			nodes = append(nodes, x)
			if g, ok := x["@graph"]; ok {
				collect(g)
			}
		}
	}
	collect(v)
	byID := map[string]map[string]any{}
	for _, n := range nodes {
		if id, ok := n["@id"].(string); ok {
			byID[id] = n
		}
	}
	for _, n := range nodes {
		if !isArticleType(n["@type"]) {
			continue
		}
		if s, ok := n["datePublished"].(string); ok && p.published == "" {
			p.published = strings.TrimSpace(s)
		}
		pub := n["publisher"]
		if arr, ok := pub.([]any); ok && len(arr) > 0 {
			pub = arr[0]
		}
		if m, ok := pub.(map[string]any); ok && p.publisher == "" {
			if ref, ok := m["@id"].(string); ok && m["name"] == nil {
				m = byID[ref]
			}
			if name, ok := m["name"].(string); ok {
				p.publisher = oneLine(name)
			}
		}
		return
	}
}

func isArticleType(t any) bool {
	switch x := t.(type) {
	case string:
		return articleTypes[strings.ToLower(x)]
	case []any:
		for _, e := range x {
			if isArticleType(e) {
				return true
			}
		}
	}
	return false
}

// furnitureClass matches the class or id of the blocks around a story that
// are not the story: consent banners, galleries, comments, related and
// most-read lists, newsletter and share boxes.
var furnitureClass = regexp.MustCompile(`(?i)(?:^|[\s_-])(?:cookie\w*|consent|gdpr|onetrust\w*|cc-window|cc-banner|` +
	`gallery|slideshow|carousel|slides?|` +
	`comments?|comment-list|commentlist|disqus\w*|` +
	`related(?:-\w+)?|more-from|most-read|most-popular|popular|trending|recommend\w*|read-more|read-next|top-stories|` +
	`newsletter(?:-\w+)?|signup|subscribe|share\w*|social|sharedaddy|` +
	`tags|article-tags|author-bio)(?:$|[\s_-])`)

// removeFurniture deletes furniture blocks from doc before readability
// scores it, and lines that are only a date ("Published On 14 Sep 2026":
// the date is metadata, not a sentence to quote). A block that holds the
// page's <h1> or most of its paragraphs is the story's container whatever
// it is called, and stays.
func removeFurniture(doc *html.Node) {
	total := countParagraphs(doc)
	var doomed []*html.Node
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			switch n.Data {
			case "html", "head", "body", "main", "article", "script", "style":
			default:
				if furnitureClass.MatchString(attrOf(n, "class")+" "+attrOf(n, "id")) || isDialog(n) {
					if !holdsStory(n, total) {
						doomed = append(doomed, n)
						return
					}
				} else if isDateBlock(n) {
					doomed = append(doomed, n)
					return
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	for _, n := range doomed {
		if n.Parent != nil {
			n.Parent.RemoveChild(n)
		}
	}
}

// isDialog: consent layers are dialogs.
func isDialog(n *html.Node) bool {
	r := strings.ToLower(attrOf(n, "role"))
	return r == "dialog" || r == "alertdialog"
}

// holdsStory reports whether n contains the page's <h1> or more than half
// of its paragraphs.
func holdsStory(n *html.Node, total int) bool {
	if total > 0 && countParagraphs(n)*2 > total {
		return true
	}
	var h1 bool
	var walk func(c *html.Node)
	walk = func(c *html.Node) {
		if h1 {
			return
		}
		if c.Type == html.ElementNode && c.Data == "h1" {
			h1 = true
			return
		}
		for d := c.FirstChild; d != nil; d = d.NextSibling {
			walk(d)
		}
	}
	walk(n)
	return h1
}

func countParagraphs(n *html.Node) int {
	count := 0
	if n.Type == html.ElementNode && n.Data == "p" {
		count++
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		count += countParagraphs(c)
	}
	return count
}

// datedPrefix is what may precede a date on a line that is only a date.
var datedPrefix = regexp.MustCompile(`^(?i)(?:(?:first\s+)?published|posted|updated|last\s+updated|date)(?:\s+on)?\s*:?\s*`)

// isDateBlock reports whether n is a short paragraph or block whose whole
// text is a date.
func isDateBlock(n *html.Node) bool {
	switch n.Data {
	case "p", "div", "span", "header":
	default:
		return false
	}
	var b strings.Builder
	var walk func(c *html.Node)
	walk = func(c *html.Node) {
		if b.Len() > 64 {
			return
		}
		if c.Type == html.TextNode {
			b.WriteString(c.Data)
		}
		for d := c.FirstChild; d != nil; d = d.NextSibling {
			walk(d)
		}
	}
	walk(n)
	text := strings.TrimSpace(b.String())
	if text == "" || len(text) > 64 {
		return false
	}
	_, err := parsePublished(datedPrefix.ReplaceAllString(text, ""))
	return err == nil
}

func attrOf(n *html.Node, k string) string {
	for _, a := range n.Attr {
		if strings.EqualFold(a.Key, k) {
			return strings.TrimSpace(a.Val)
		}
	}
	return ""
}

// outlet is the page's outlet when readability found none: its JSON-LD
// publisher, else the site name its <title> carries after the headline.
func (p newsPage) outlet(title, pageURL string) string {
	if p.publisher != "" {
		return p.publisher
	}
	if p.title != "" && p.title != title {
		if head, site := splitSiteSuffix(p.title, "", pageURL); site != "" && squash(head) == squash(title) {
			return site
		}
	}
	return ""
}

// date is the page's publication date from its JSON-LD, else from the
// first <time datetime> of its article.
func (p newsPage) date() string {
	if p.published != "" {
		return p.published
	}
	return p.timeTag
}
