package feed

import (
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// maxFragmentBytes bounds the HTML of one item's content that is rendered:
// a feed is at most a few MiB, an article far less.
const maxFragmentBytes = 2 << 20

// skipped are elements whose text is never the story: code, media and
// their captions, forms, embedded frames.
var skipped = map[string]bool{
	"script": true, "style": true, "noscript": true, "template": true, "iframe": true,
	"object": true, "embed": true, "svg": true, "math": true, "form": true, "button": true,
	"select": true, "figure": true, "figcaption": true, "picture": true, "video": true, "audio": true,
	"head": true, "nav": true, "aside": true, "footer": true,
}

// blocks are elements that end a paragraph.
var blocks = map[string]bool{
	"p": true, "div": true, "br": true, "li": true, "ul": true, "ol": true, "h1": true, "h2": true,
	"h3": true, "h4": true, "h5": true, "h6": true, "blockquote": true, "pre": true, "table": true,
	"tr": true, "section": true, "article": true, "header": true, "hr": true, "dd": true, "dt": true,
}

// fragmentText renders an item's HTML content (or plain text, which parses
// as one text node) as plain text: one paragraph per block element,
// whitespace collapsed within a paragraph, media, captions and scripts left
// out.
func fragmentText(s string) string {
	s = clip(s, maxFragmentBytes)
	if strings.TrimSpace(s) == "" {
		return ""
	}
	nodes, err := html.ParseFragment(strings.NewReader(s), &html.Node{Type: html.ElementNode, Data: "body", DataAtom: atom.Body})
	if err != nil {
		return oneLine(s)
	}
	var paras []string
	var cur strings.Builder
	flush := func() {
		if p := oneLine(cur.String()); p != "" {
			paras = append(paras, p)
		}
		cur.Reset()
	}
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		switch n.Type {
		case html.TextNode:
			cur.WriteString(n.Data)
			return
		case html.ElementNode:
			if skipped[n.Data] {
				return
			}
			if blocks[n.Data] {
				flush()
				defer flush()
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	for _, n := range nodes {
		walk(n)
	}
	flush()
	return strings.Join(paras, "\n\n")
}

// plainLine is a title or name as one line of plain text: markup removed,
// entities decoded.
func plainLine(s string) string {
	if !strings.ContainsAny(s, "<&") {
		return oneLine(s)
	}
	return oneLine(fragmentText(s))
}
