package bot

import (
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/attache-bot/attache/clip"
	"github.com/attache-bot/attache/corpus"
	"github.com/attache-bot/attache/retrieval"
)

// Discord's limits on what one message may carry. Lengths are counted in
// UTF-16 code units, which is never less than Discord's own count, so a
// message that fits here fits there.
const (
	maxContent         = 2000 // characters of message content (attache sends no embeds, so their 4096/6000 limits never apply)
	maxTitleRunes      = 120  // a source title is shortened past this in the source list
	maxExcerptRunes    = 300  // an excerpt in the Sources list is shortened past this
	maxPreviewUnits    = 1800 // a streaming preview shows at most this much of the answer
	previewWritingMark = "\n\n-# ✍️ writing…"
)

// renderAnswer turns a finished answer into the contents of the Discord
// messages that show it, in order: the answer text with its [n] citations, a
// note line when there is one, and the sources as masked links with outlet,
// date and age. Each string is at most maxContent long; a long answer is
// split between paragraphs, lines or sentences, never inside a citation, a
// link, bold text or code. Mentions are neutralised. now is the time the
// ages of the sources are counted from.
//
// renderAnswer is pure: it depends only on its arguments.
func renderAnswer(a retrieval.Answer, now time.Time) []string {
	var b strings.Builder
	text := strings.TrimSpace(a.Text)
	if text == "" {
		text = "The articles here don't cover that question."
	}
	// The text quotes articles or is a model's: neither may format the
	// message (a masked link to a phishing page, a fake Sources block).
	b.WriteString(neutralise(inertText(text)))

	// Small lines under the text: the outlets used, then the note.
	var small []string
	if line := outletsLine(a); line != "" {
		small = append(small, line)
	}
	if note := answerNote(a); note != "" {
		small = append(small, neutralise(inertText(note)))
	}
	if len(small) > 0 {
		b.WriteString("\n\n-# ")
		b.WriteString(strings.Join(small, "\n-# "))
	}
	if len(a.Sources) > 0 {
		b.WriteString("\n\n**Sources**")
		for _, s := range a.Sources {
			b.WriteString("\n")
			b.WriteString(sourceLine(s, now))
		}
	}
	return splitMessage(b.String(), maxContent)
}

// answerNote is the one line shown under the answer text: the engine's note,
// or a warning of our own when generated text cites nothing and the engine
// said nothing.
func answerNote(a retrieval.Answer) string {
	note := strings.Join(strings.Fields(a.Note), " ")
	if a.Uncited && note == "" { // the engine's own note usually says it already
		return "⚠️ This answer cites none of the articles; check it against the sources."
	}
	return note
}

// sourceLine renders one source as "[n. Title](<url>) — Outlet, date (age)".
// The angle brackets keep Discord from previewing every cited page.
func sourceLine(s retrieval.Source, now time.Time) string {
	title := escapeMarkdown(neutralise(truncateRunes(oneLine(s.Title), maxTitleRunes)))
	if title == "" {
		title = "Untitled"
	}
	label := fmt.Sprintf("%d. %s", s.N, title)
	var line string
	if u := linkURL(s.URL); u != "" {
		line = fmt.Sprintf("[%s](<%s>)", label, u)
	} else {
		line = label
	}
	var meta []string
	if outlet := discordOutlet(retrieval.Outlet{Name: s.Source, Label: s.Label}); outlet != "" {
		meta = append(meta, outlet)
	}
	if !s.Published.IsZero() {
		d := s.Published.UTC().Format(corpus.DateLayout)
		// A source dated after now's day (a clock or time zone ahead of
		// ours) shows no age rather than Age's "today".
		if y, m, dd := now.UTC().Date(); s.Published.Before(time.Date(y, m, dd+1, 0, 0, 0, 0, time.UTC)) {
			d += " (" + retrieval.Age(s.Published, now) + ")"
		}
		meta = append(meta, d)
	}
	if len(meta) > 0 {
		line += " — " + strings.Join(meta, ", ")
	}
	if also, more := firstOutlets(s.AlsoOutlets(), maxAlsoOutlets); len(also) > 0 {
		line += "; " + retrieval.AlsoLine(also, discordOutlet) + more
	}
	return line
}

// How many outlets a source line's "also reported by" and the outlets
// line under an answer name before "and N more".
const (
	maxAlsoOutlets = 4
	maxLineOutlets = 8
)

// outletsLine is the line under an answer naming its outlets, "3
// outlets: CNN, USA Today, The Week", or "".
func outletsLine(a retrieval.Answer) string {
	all := a.Outlets()
	shown, more := firstOutlets(all, maxLineOutlets)
	if len(shown) == 0 {
		return ""
	}
	line := retrieval.OutletsLine(shown, discordOutlet) + more
	if more != "" {
		// The count is of all of them, not of the ones named.
		line = strings.Replace(line, fmt.Sprint(len(shown)), fmt.Sprint(len(all)), 1)
	}
	return line
}

// firstOutlets is at most n of outlets and, when some are left out, the
// words that say how many.
func firstOutlets(outlets []retrieval.Outlet, n int) ([]retrieval.Outlet, string) {
	if len(outlets) <= n {
		return outlets, ""
	}
	return outlets[:n], fmt.Sprintf(" and %d more", len(outlets)-n)
}

// discordOutlet is an outlet with its label as plain text in a message:
// one line, shortened, no markdown, no mentions.
func discordOutlet(o retrieval.Outlet) string {
	name := escapeMarkdown(neutralise(truncateRunes(oneLine(o.Name), 60)))
	if name == "" {
		return ""
	}
	if label := escapeMarkdown(neutralise(truncateRunes(oneLine(o.Label), 30))); label != "" {
		return name + " (" + label + ")"
	}
	return name
}

// renderSources is the private list shown by an answer's Sources button:
// each cited passage with a short excerpt, fitted into one message.
func renderSources(sources []retrieval.Source, now time.Time) string {
	if len(sources) == 0 {
		return "This answer has no sources."
	}
	// Share the message between the sources so that all of them are shown.
	budget := maxContent/len(sources) - 20
	var b strings.Builder
	for i, s := range sources {
		if i > 0 {
			b.WriteString("\n")
		}
		line := sourceLine(s, now)
		b.WriteString(line)
		room := min(maxExcerptRunes, budget-utf16Len(line)-4)
		if ex := truncateRunes(oneLine(s.Excerpt), room); room > 20 && ex != "" {
			b.WriteString("\n> ")
			b.WriteString(escapeMarkdown(neutralise(ex)))
		}
	}
	parts := splitMessage(b.String(), maxContent)
	return parts[0]
}

// renderPreview is the content of an intermediate edit while an answer is
// still being written: the text so far, shortened to leave room for the
// final message, with a "writing" mark.
func renderPreview(text string) string {
	text = neutralise(inertText(strings.TrimSpace(text)))
	if utf16Len(text) > maxPreviewUnits {
		text = splitMessage(text, maxPreviewUnits)[0] + " …"
	}
	if text == "" {
		return "-# ✍️ writing…"
	}
	return text + previewWritingMark
}

// neutralise defuses mention syntax so that text from articles or a language
// model can never ping anyone, even where allowed_mentions would not apply
// (a zero-width space after the @ or <@ breaks the syntax, not the reading).
func neutralise(s string) string {
	return mentionReplacer.Replace(s)
}

var mentionReplacer = strings.NewReplacer(
	"@everyone", "@\u200beveryone",
	"@here", "@\u200bhere",
	"<@", "<@\u200b", // users <@id>, <@!id> and roles <@&id>
	"</", "<\u200b/", // slash-command mentions </name:id>
)

// escapeMarkdown makes s show literally inside a masked link's text or after
// it: brackets would end the link early and emphasis marks would leak.
func escapeMarkdown(s string) string {
	return markdownEscaper.Replace(s)
}

var markdownEscaper = strings.NewReplacer(
	`\`, `\\`, `[`, `\[`, `]`, `\]`, `*`, `\*`, `_`, `\_`, "~", `\~`, "`", "\\`", "|", `\|`,
)

// inertText makes quoted or generated text show literally in a message: its
// Discord markdown is escaped (masked links, emphasis, strikethrough,
// spoilers, inline code and fences, and at the start of a line headers,
// subtext, quotes and list markers, which could fake a Sources block), and
// its bare links are wrapped in <…> so that they show as links without a
// preview card under the answer. Citation markers [n] stay as they are; the
// formatting around the text is ours and added afterwards.
func inertText(s string) string {
	var b strings.Builder
	// A lone carriage return breaks a line as a newline does.
	s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
	for n, line := range strings.Split(s, "\n") {
		if n > 0 {
			b.WriteByte('\n')
		}
		inertLine(&b, line)
	}
	return b.String()
}

// inertLine writes one line of inertText.
func inertLine(b *strings.Builder, line string) {
	body := strings.TrimLeft(line, " \t")
	b.WriteString(line[:len(line)-len(body)])
	switch {
	case strings.HasPrefix(body, "#"), strings.HasPrefix(body, ">"), strings.HasPrefix(body, "-"), strings.HasPrefix(body, "+"):
		b.WriteByte('\\') // headers, "-#" subtext, quotes, list items
	default:
		if d := len(body) - len(strings.TrimLeft(body, "0123456789")); d > 0 && strings.HasPrefix(body[d:], ".") {
			b.WriteString(body[:d]) // an ordered list item: escape its dot
			b.WriteByte('\\')
			body = body[d:]
		}
	}
	for i := 0; i < len(body); i++ {
		c := body[i]
		switch {
		case c == '[' && citationEnd(body[i:]) > 0:
			n := citationEnd(body[i:])
			b.WriteString(body[i : i+n])
			i += n - 1
		case c == '<' && bareLinkAt(body[i+1:]) > 0 && strings.HasPrefix(body[i+1+bareLinkAt(body[i+1:]):], ">"):
			n := bareLinkAt(body[i+1:])
			// Already <url>: shown without a preview, its markdown encoded.
			b.WriteString("<" + urlEscaper.Replace(body[i+1:i+1+n]) + ">")
			i += n + 1
		case bareLinkAt(body[i:]) > 0:
			n := bareLinkAt(body[i:])
			b.WriteString("<" + urlEscaper.Replace(body[i:i+n]) + ">")
			i += n - 1
		case strings.IndexByte("\\*_~`|[]<(", c) >= 0:
			// Every "(" too: a "](" anywhere after an open bracket, ours
			// ("[1") included, would make a masked link.
			b.WriteByte('\\')
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
}

// bareLinkAt returns the length of the http(s) link at the start of s, or
// 0. Punctuation that ends a sentence or closes a bracket is not part of it.
func bareLinkAt(s string) int {
	if len(s) < 8 || !(strings.EqualFold(s[:7], "http://") || strings.EqualFold(s[:8], "https://")) {
		return 0
	}
	n := strings.IndexAny(s, " \t<>\"")
	if n < 0 {
		n = len(s)
	}
	n = len(strings.TrimRight(s[:n], ".,;:!?)]}'*_~|`"))
	if n <= len("https://") {
		return 0
	}
	return n
}

// linkURL returns u fit for a masked link, or "" when u is not an absolute
// http(s) URL. Characters that would end the <…> or (…) early are escaped.
func linkURL(raw string) string {
	raw = strings.TrimSpace(raw)
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	return urlEscaper.Replace(u.String())
}

var urlEscaper = strings.NewReplacer("<", "%3C", ">", "%3E", "(", "%28", ")", "%29", " ", "%20",
	"[", "%5B", "]", "%5D", "`", "%60", "|", "%7C")

// oneLine collapses all whitespace runs, newlines included, to one space.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// truncateRunes shortens s to at most n runes, ending with "…" and cutting at
// a word boundary when one is near.
func truncateRunes(s string, n int) string {
	if n <= 0 {
		return ""
	}
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	cut := clip.Runes(s, n-1)
	if i := strings.LastIndexByte(cut, ' '); i > len(cut)*2/3 {
		cut = cut[:i]
	}
	return strings.TrimRight(cut, " ,;:") + "…"
}

// utf16Len is the length of s in UTF-16 code units.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += max(utf16.RuneLen(r), 1) // invalid bytes decode to U+FFFD, one unit
	}
	return n
}

// splitMessage splits s into parts of at most limit UTF-16 units, breaking
// at the best place available: between paragraphs, then lines, then
// sentences, then words, never inside a citation ([1], [1, 2]), a masked
// link, bold text or inline code. A code block too long for one message is
// closed at the break and reopened in the next part.
func splitMessage(s string, limit int) []string {
	s = strings.TrimSpace(s)
	var parts []string
	for utf16Len(s) > limit {
		const fence = "```"
		room := limit - len("\n"+fence) // space to close a code block if we must
		cut := bestBreak(s, room)
		if cut <= 0 { // a limit too small for even one character: one per part
			_, cut = utf8.DecodeRuneInString(s)
		}
		part := strings.TrimRightFunc(s[:cut], isSpace)
		rest := strings.TrimLeftFunc(s[cut:], isSpace)
		if strings.Count(part, fence)%2 == 1 {
			part += "\n" + fence
			rest = fence + "\n" + rest
		}
		if part == "" { // only whitespace before the cut: keep it, so the loop advances
			part, rest = s[:cut], s[cut:]
		}
		parts = append(parts, part)
		s = rest
	}
	if s != "" || len(parts) == 0 {
		parts = append(parts, s)
	}
	return parts
}

func isSpace(r rune) bool { return r == ' ' || r == '\n' || r == '\t' || r == '\r' }

// bestBreak returns the byte index at which to cut s so that s[:i] fits in
// limit UTF-16 units. See splitMessage for the preference order.
func bestBreak(s string, limit int) int {
	// maxByte: the longest prefix that fits.
	maxByte, units := 0, 0
	for i, r := range s {
		units += max(utf16.RuneLen(r), 1)
		if units > limit {
			break
		}
		maxByte = i + utf8.RuneLen(r)
	}
	if maxByte >= len(s) {
		return len(s)
	}
	// inside[i]: a cut at byte i would fall inside a protected span.
	inside := make([]bool, maxByte+1)
	for _, sp := range atomicSpans(s[:min(len(s), maxByte+maxContent)], limit/2) {
		for i := sp[0] + 1; i < sp[1] && i <= maxByte; i++ {
			inside[i] = true
		}
	}
	inSpan := func(i int) bool { return inside[i] }
	// Classes: 4 paragraph, 3 line, 2 sentence, 1 word.
	best := [5]int{}
	for i := 1; i <= maxByte; i++ {
		c := s[i-1]
		if c != ' ' && c != '\n' {
			continue
		}
		if i < len(s) && (s[i] == ' ' || s[i] == '\n') {
			continue // cut at the end of a whitespace run
		}
		if inSpan(i) || startsCitation(s[i:]) {
			continue
		}
		class := 1
		switch {
		case c == '\n' && i >= 2 && s[i-2] == '\n':
			class = 4
		case c == '\n':
			class = 3
		case endsSentence(strings.TrimRight(s[:i], " ")):
			class = 2
		}
		best[class] = i
	}
	// The highest class that still fills at least half of the message wins;
	// otherwise the highest class anywhere.
	for class := 4; class >= 1; class-- {
		if best[class] >= maxByte/2 {
			return best[class]
		}
	}
	for class := 4; class >= 1; class-- {
		if best[class] > 0 {
			return best[class]
		}
	}
	// One unbreakable run (a very long word or URL): cut at a rune boundary,
	// still outside citations when possible.
	cut := maxByte
	for cut > 0 && inSpan(cut) {
		cut--
	}
	cut = clip.Index(s, cut)
	if cut == 0 {
		cut = clip.Index(s, maxByte)
	}
	return cut
}

// startsCitation reports whether s begins with a citation like [3] or [1, 2]
// (a break just before it would separate the citation from its sentence).
func startsCitation(s string) bool {
	return len(s) >= 3 && s[0] == '[' && s[1] >= '0' && s[1] <= '9' && citationEnd(s) > 0
}

// citationEnd returns the length of the citation at the start of s, or 0.
func citationEnd(s string) int {
	if len(s) < 3 || s[0] != '[' {
		return 0
	}
	for i := 1; i < len(s) && i < 40; i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9', c == ',', c == ' ', c == '-':
		case c == ']':
			if i == 1 {
				return 0
			}
			return i + 1
		default:
			return 0
		}
	}
	return 0
}

// endsSentence reports whether s ends a sentence: with . ! ? (possibly
// followed by closing quotes or brackets) or with a citation after one.
func endsSentence(s string) bool {
	s = strings.TrimRight(s, "\"'”’)")
	if s == "" {
		return false
	}
	if strings.HasSuffix(s, "]") {
		if i := strings.LastIndexByte(s, '['); i >= 0 && citationEnd(s[i:]) == len(s)-i {
			return endsSentence(strings.TrimRight(s[:i], " "))
		}
	}
	r, _ := utf8.DecodeLastRuneInString(s)
	return strings.ContainsRune(".!?。！？", r)
}

// atomicSpans lists the byte ranges of s that a break must not fall inside:
// inline code, code blocks, masked links, citations and bold text. Spans
// longer than maxSpan bytes (other than code blocks, which are closed and
// reopened) are not protected, so that a stray "**" cannot make a whole
// answer unbreakable.
func atomicSpans(s string, maxSpan int) [][2]int {
	var spans [][2]int
	add := func(a, b int) {
		if b-a <= maxSpan {
			spans = append(spans, [2]int{a, b})
		}
	}
	for i := 0; i < len(s); i++ {
		switch {
		case strings.HasPrefix(s[i:], "```"):
			end := strings.Index(s[i+3:], "```")
			if end < 0 {
				return spans
			}
			i += 3 + end + 2 // code blocks are handled by reopening, not protected
		case s[i] == '`':
			end := strings.IndexByte(s[i+1:], '`')
			if end >= 0 {
				add(i, i+1+end+1)
				i += end + 1
			}
		case s[i] == '\\':
			i++ // an escaped character starts nothing
		case s[i] == '[':
			if n := citationEnd(s[i:]); n > 0 {
				add(i, i+n)
				i += n - 1
				continue
			}
			if end := linkEnd(s[i:]); end > 0 {
				add(i, i+end)
				i += end - 1
			}
		case strings.HasPrefix(s[i:], "**"):
			end := strings.Index(s[i+2:], "**")
			if end >= 0 && !strings.Contains(s[i:i+2+end], "\n\n") {
				add(i, i+2+end+2)
				i += 2 + end + 1
			}
		}
	}
	return spans
}

// linkEnd returns the length of the masked link [text](url) or
// [text](<url>) at the start of s, or 0.
func linkEnd(s string) int {
	depth := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '[':
			depth++
		case ']':
			depth--
			if depth == 0 {
				if !strings.HasPrefix(s[i+1:], "(") {
					return 0
				}
				end := strings.IndexByte(s[i+1:], ')')
				if end < 0 {
					return 0
				}
				return i + 1 + end + 1
			}
		case '\n':
			return 0
		}
	}
	return 0
}
