package corpus

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Page furniture: the lines a news page wraps around the story (gallery
// counters, "Advertisement", "Read more" teasers, newsletter and follow
// prompts, share bars, copyright lines, photo credits, lone bylines and
// datelines). Scraped bodies keep them, and then they are split, embedded,
// matched and quoted as if they were reporting. They are recognised by the
// shape of the whole line, never by a word inside prose: a line is furniture
// only when all of it is.

// maxFurnitureLabelBytes bounds the lines that the label and prompt rules
// apply to. Furniture of those kinds is a short line; a long paragraph that
// happens to begin "More:" or mention a newsletter is left alone.
const maxFurnitureLabelBytes = 300

// stripBoilerplate removes the lines of body that are page furniture (see
// IsBoilerplate), then collapses the blank lines their removal leaves so
// that paragraphs stay separated by exactly one blank line. Every other
// line is kept byte for byte. It expects LF line ends (Normalize's
// cleanBody runs first) but is safe on any string.
func stripBoilerplate(body string) string {
	if body == "" {
		return ""
	}
	lines := strings.Split(body, "\n")
	out := make([]string, 0, len(lines))
	removed := false
	for _, l := range lines {
		if IsBoilerplate(l) {
			removed = true
			continue
		}
		out = append(out, l)
	}
	if !removed {
		return body
	}
	// Drop blank lines at the edges and runs of them in between.
	var b strings.Builder
	b.Grow(len(body))
	blank := false
	for _, l := range out {
		if strings.TrimSpace(l) == "" {
			blank = b.Len() > 0
			continue
		}
		if b.Len() > 0 {
			if blank {
				b.WriteString("\n\n")
			} else {
				b.WriteByte('\n')
			}
		}
		blank = false
		b.WriteString(l)
	}
	return b.String()
}

// IsBoilerplate reports whether line, taken as a whole, is page furniture
// rather than reporting: a gallery or caption counter ("Hide Caption 3 of
// 12"), a labelled teaser or gallery header ("Read more: …", "Photos: …",
// "Related: …", "Watch: …"), a bare navigation or ad word ("Advertisement",
// "Prev", "Next", "Skip to content"), a newsletter, subscription or follow
// prompt, a share bar, a copyright line, a photo credit, a byline or a
// dateline standing alone, or a credit line ("Contributing: …"). Retrieval
// uses it too, on sentences, so that what ingest could not strip is still
// never quoted.
func IsBoilerplate(line string) bool {
	s := strings.TrimSpace(line)
	if s == "" {
		return false
	}
	if mayBeCaptionCounter(s) && captionCounterRe.MatchString(s) {
		return true
	}
	if !strings.ContainsFunc(s, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) {
		return true // rules and ornaments ("___", "♦", "* * *"): no words at all
	}
	if furnitureWords[furnitureKey(s)] {
		return true
	}
	if len(s) > maxFurnitureLabelBytes {
		return false
	}
	probe := newFurnitureProbe(s)
	for _, f := range furnitureLines {
		if f.may(probe) && f.re.MatchString(s) {
			return true
		}
	}
	return false
}

// furnitureKey is a short line reduced to its words, lower-cased, without
// the arrows, bullets and punctuation that decorate navigation ("‹ Prev",
// "Next »", "ADVERTISEMENT:"); "" for a long line.
func furnitureKey(s string) string {
	if len(s) > 60 {
		return ""
	}
	f := strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '\''
	})
	return strings.Join(f, " ")
}

// captionCounterRe matches the counters of photo galleries and slideshows
// ("Hide Caption 46 of 49", "Photo 3 of 12", "Image 2/9"), wherever they
// sit in the line: a gallery is scraped as one long line of captions, and
// none of it is the story.
var captionCounterRe = regexp.MustCompile(`(?i)\b(?:hide|show|toggle) caption\b|` +
	`^(?:photo|image|picture|slide)s?\s+\d+\s*(?:of|/)\s*\d+\b|^\d+\s*(?:of|/)\s*\d+$`)

// mayBeCaptionCounter is the cheap test before captionCounterRe: the line
// says "caption", or starts with a digit or a picture word.
func mayBeCaptionCounter(s string) bool {
	l := strings.ToLower(s)
	if strings.Contains(l, "caption") {
		return true
	}
	r, _ := utf8.DecodeRuneInString(l)
	return unicode.IsDigit(r) || strings.HasPrefix(l, "photo") || strings.HasPrefix(l, "image") ||
		strings.HasPrefix(l, "picture") || strings.HasPrefix(l, "slide")
}

// furnitureWords are whole lines of navigation, ads and widgets, as
// furnitureKey writes them.
var furnitureWords = func() map[string]bool {
	m := make(map[string]bool)
	for _, w := range []string{
		"advertisement", "advertisements", "ad", "sponsored", "sponsored content", "paid content",
		"paid post", "story continues below advertisement", "continue reading",
		"read more", "read next", "read the full story", "read full article", "more", "see more",
		"show more", "load more", "related", "related stories", "related articles", "related content",
		"related coverage", "more stories", "more from", "recommended", "recommended stories",
		"trending", "trending now", "most read", "most popular", "top stories", "you may also like",
		"prev", "next", "previous", "prev next", "previous next", "next story", "previous story",
		"next article", "previous article", "back to top", "skip to content", "skip to main content",
		"skip navigation", "menu", "close", "search", "print", "email", "comments", "comment",
		"share", "share this", "share this article", "share this story", "share on facebook",
		"share on twitter", "share on x", "tweet", "copy link", "link copied",
		"sign up", "sign in", "log in", "login", "register", "subscribe", "subscribe now",
		"subscribe today", "newsletter", "newsletters", "follow us", "click here",
		"caption", "hide caption", "show caption", "toggle caption", "expand", "collapse",
		"enlarge this image", "image", "photo", "photos", "gallery", "video", "watch", "listen",
		"play", "pause", "replay", "play video", "watch video", "listen to this article",
		"all rights reserved", "getty images", "associated press", "the associated press", "ap", "reuters",
		"afp", "usa today",
	} {
		m[w] = true
	}
	return m
}()

// creditAgencies are the picture agencies and wires named in photo credits.
const creditAgencies = `(?:AP|AFP|Reuters|Getty(?: Images)?|EPA(?:-EFE)?|Shutterstock|Bloomberg|` +
	`Sipa(?: USA)?|Zuma(?: Press)?|NurPhoto|Anadolu(?: Agency)?|Xinhua|Alamy|Imagn|USA TODAY(?: Sports)?|` +
	`CNN|BBC|PA(?: Wire)?|AAP|Kyodo|Yonhap|Pool|Handout)`

// personName is one to four capitalised words, with initials and hyphens.
const personName = `\p{Lu}[\p{L}.'’-]*(?:\s+(?:\p{Lu}[\p{L}.'’-]*|de|van|von|da|al|bin|el|la|le|du|dos)){0,4}`

// bylineName is a name of two to four capitalised words.
const bylineName = `\p{Lu}[\p{L}.'’-]*(?:\s+\p{Lu}[\p{L}.'’-]*){1,3}`

// furnitureLine is one kind of furniture line: a regular expression and a
// cheap test that must hold before it is tried. Every line of every article
// and every candidate sentence of an answer is checked, and most are prose
// that no pattern matches, so the test (a leading word, a character the
// pattern needs, a short line) lets most lines skip the expression.
type furnitureLine struct {
	may func(l furnitureProbe) bool
	re  *regexp.Regexp
}

// furnitureProbe is what the cheap tests look at.
type furnitureProbe struct {
	lower string // the line in lower case
	first string // its first word, lower case, letters and apostrophes only
	words int    // how many words it has
}

func newFurnitureProbe(s string) furnitureProbe {
	lower := strings.ToLower(s)
	f := strings.FieldsFunc(lower, func(r rune) bool { return !unicode.IsLetter(r) && r != '\'' && r != '’' })
	p := furnitureProbe{lower: lower, words: len(strings.Fields(s))}
	if len(f) > 0 {
		p.first = f[0]
	}
	return p
}

// firstWordIn returns a test that the line's first word is one of words.
func firstWordIn(words string) func(furnitureProbe) bool {
	set := make(map[string]bool)
	for _, w := range strings.Fields(words) {
		set[w] = true
	}
	return func(p furnitureProbe) bool { return set[p.first] }
}

// agencyEnds are the last words of creditAgencies, in lower case.
var agencyEnds = map[string]bool{"ap": true, "afp": true, "reuters": true, "getty": true, "images": true,
	"epa": true, "efe": true, "shutterstock": true, "bloomberg": true, "sipa": true, "usa": true, "zuma": true,
	"press": true, "nurphoto": true, "anadolu": true, "agency": true, "xinhua": true, "alamy": true,
	"imagn": true, "today": true, "sports": true, "cnn": true, "bbc": true, "pa": true, "wire": true,
	"aap": true, "kyodo": true, "yonhap": true, "pool": true, "handout": true}

// endsWithAgency reports whether a lower-case line's last word ends a
// picture agency's name, as a photo credit does.
func endsWithAgency(lower string) bool {
	f := strings.FieldsFunc(lower, func(r rune) bool { return !unicode.IsLetter(r) })
	return len(f) > 0 && agencyEnds[f[len(f)-1]]
}

// maxNameLineWords bounds the lines that can be a credit, byline,
// signature or dateline standing alone (a name and an outlet at most).
const maxNameLineWords = 14

// furnitureLines recognise the other kinds of furniture line. They are
// applied only to lines of at most maxFurnitureLabelBytes.
var furnitureLines = []furnitureLine{
	// A label and a colon, then a link's headline or a gallery's title.
	{firstWordIn(`read more see also related watch video listen photo photos gallery slideshow in recommended trending don't dont must editor's editors top latest`),
		regexp.MustCompile(`(?i)^(?:read more|read next|read also|also read|more|see also|also see|related(?: stories| articles| coverage| content)?|` +
			`watch|video|listen|photos?|gallery|slideshow|in pictures|recommended|trending|don'?t miss|must read|` +
			`editor'?s picks?|top stories|more coverage|more news|latest)\s*(?::|>>|»|\|)`)},
	// Newsletter, subscription and sign-up prompts: an imperative at the
	// start of the line ("Sign up for …", "Subscribe to …"), or an offer of
	// a newsletter inside it.
	{firstWordIn(`sign signup subscribe enter`), regexp.MustCompile(`(?i)^(?:sign(?:-| )?up|subscribe|enter your email)\b`)},
	{func(p furnitureProbe) bool {
		return strings.Contains(p.lower, "sign") || strings.Contains(p.lower, "subscrib")
	}, regexp.MustCompile(`(?i)\bsign(?:-| )?up (?:for|to get|to receive) (?:our|the|a free|free|my)\b.{0,60}\b(?:newsletters?|briefing|digest)\b|` +
		`\bsubscrib(?:e|ing) (?:to|for) (?:our|the digital|a digital)\b|\bsubscrib(?:e|ing) today\b|\bjournalism by subscribing\b`)},
	// Follow and share prompts.
	{firstWordIn(`follow`), regexp.MustCompile(`(?i)^follow (?:us|me|him|her|them|@\S+|` + personName + `)\b.{0,80}\b(?:on|at) (?:twitter|x|facebook|instagram|threads|bluesky|tiktok|linkedin|youtube)\b`)},
	{firstWordIn(`share tweet email print facebook twitter linkedin whatsapp reddit pinterest copy comment comments`),
		regexp.MustCompile(`(?i)^(?:share|tweet|email|print|facebook|twitter|linkedin|whatsapp|reddit|pinterest|copy link|comments?)` +
			`(?:\s*[|•·/,]?\s*(?:share|tweet|email|print|facebook|twitter|linkedin|whatsapp|reddit|pinterest|copy link|comments?|x))+\s*$`)},
	{firstWordIn(`share`), regexp.MustCompile(`(?i)^share (?:this|on|via)\b.{0,60}$`)},
	// Copyright lines.
	{func(p furnitureProbe) bool {
		return strings.HasPrefix(p.lower, "©") || p.first == "copyright" || strings.Contains(p.lower, "rights reserved")
	}, regexp.MustCompile(`(?i)^(?:©|copyright\s*(?:©|\(c\)|\d{4}))|\ball rights reserved\b`)},
	// A photo credit standing alone: "Jane Doe/AP", "(Image credit: Jane
	// Doe/AFP via Getty Images)", "Photograph: Jane Doe/Reuters".
	{func(p furnitureProbe) bool { return p.words <= maxNameLineWords && endsWithAgency(p.lower) },
		regexp.MustCompile(`^\(?(?i:(?:photo|image|picture|video)?\s*(?:credit|courtesy|source|by|photograph)s?\s*:?\s*)?(?:` + personName + `\s*/\s*)?` +
			creditAgencies + `(?:\s+via\s+` + creditAgencies + `)?\s*\)?\.?$`)},
	{firstWordIn(`photo image picture video`), regexp.MustCompile(`(?i)^\(?(?:photo|image|picture|video) (?:credit|courtesy)\s*:.*\)?$`)},
	{firstWordIn(`image media`), regexp.MustCompile(`(?i)^(?:image|media) (?:caption|source|copyright)\b`)},
	// A byline standing alone: "By Jane Doe, CNN", "By Jane Doe and Sam Roe".
	// Two to four capitalised words make the name, so "By Tuesday, …" is
	// not one; what follows a comma is capitalised words (the outlet).
	{func(p furnitureProbe) bool { return p.first == "by" && p.words <= maxNameLineWords },
		regexp.MustCompile(`^(?i:by)\s+` + bylineName + `(?:\s*(?:,|and|&)\s*` + bylineName + `)*` +
			`(?:\s*[,|–—-]\s*\p{Lu}[\p{L}&.]*(?:\s+\p{Lu}[\p{L}&.]*){0,3})?$`)},
	// A dash and a name: the signature of a live blog's entry.
	{func(p furnitureProbe) bool {
		return p.words <= maxNameLineWords && strings.ContainsAny(p.lower[:min(len(p.lower), 4)], "–—−-")
	},
		regexp.MustCompile(`^[–—−-]+\s*` + personName + `$`)},
	// A dateline standing alone: "WASHINGTON —", "London CNN —", "(AP) —".
	{func(p furnitureProbe) bool {
		return p.words <= maxNameLineWords && strings.ContainsAny(p.lower[max(0, len(p.lower)-4):], "–—-")
	},
		regexp.MustCompile(`^(?:\p{Lu}[\p{L}.,' ]{0,40}?\s*)?(?:\((?:AP|Reuters|AFP|CNN)\)|CNN(?: Business)?)?\s*[–—-]+$`)},
	// Credit and update lines.
	{func(p furnitureProbe) bool {
		return strings.Contains(p.lower, "contribut") || strings.Contains(p.lower, "here") ||
			p.first == "this"
	}, regexp.MustCompile(`(?i)^contributing:|\bcontributed (?:reporting )?to this (?:report|story|article)\.?$|` +
		`^this (?:story|article) (?:has been|was|originally) (?:updated|corrected|appeared|published)\b|` +
		`^(?:click here|tap here)\b|^[^.!?]{0,120}\bclick here\.?$`)},
}
