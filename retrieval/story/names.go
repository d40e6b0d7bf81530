package story

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/attache-bot/attache/clip"
)

// Name kinds are marked by a prefix so that the figure 12 and a name that
// happens to read "12" never meet, and so nameWeight can tell them apart.
const (
	namePrefix   = "n:" // a capitalised name, lower-cased: "n:okafor"
	phrasePrefix = "p:" // two or more capitalised words in a row: "p:amara okafor"
	figurePrefix = "f:" // a number of at least two digits, separators dropped: "f:1200"
	entityPrefix = "e:" // an entity id from the gazetteer: "e:country:GB"
)

// MaxNames bounds the names kept per article: enough for a long report,
// and a hostile text of a million capitalised words costs no more.
const MaxNames = 400

// Entity returns the name under which a recognised country or organisation
// (kind and id as the gazetteer gives them) takes part in Names.
func Entity(kind, id string) string { return entityPrefix + kind + ":" + id }

// Names returns the specific names, places and figures of an article's
// title and lead (the body's first leadBytes): capitalised words, runs of
// them, and numbers of two or more digits; followed by the given entities
// (see Entity). A capitalised word counts
// where capitals mean a name: inside a body sentence, or anywhere if it is
// capitalised inside a sentence somewhere in the body (a title in Title
// Case and the first word of a sentence prove nothing by themselves).
// Common capitalised words (days, months, "The") and small numbers say
// nothing about which event an article reports and are left out. The
// result has no duplicates and at most MaxNames entries.
func Names(title, body string, entities ...string) []string {
	seen := make(map[string]bool)
	var out []string
	add := func(n string) {
		if !seen[n] && len(out) < MaxNames {
			seen[n] = true
			out = append(out, n)
		}
	}
	// The body is split into words once and read twice: all of it for
	// the words capitalised inside its sentences, its lead for the names.
	bodyWords, leadWords := words(clipText(body), leadBytes)
	inner := make(map[string]bool) // words seen capitalised inside a body sentence
	for _, t := range bodyWords {
		if !t.initial && isName(t.w) {
			inner[t.lw] = true
		}
	}
	titleWords, _ := words(clipText(title), 0)
	for i, ws := range [][]word{titleWords, leadWords} {
		isTitle := i == 0
		var run []string
		flush := func() {
			if len(run) >= 2 {
				add(phrasePrefix + strings.Join(run, " "))
			}
			run = run[:0]
		}
		for _, t := range ws {
			f := ""
			if t.w != "" {
				f = figure(t.w)
			}
			switch {
			case t.w == "":
				flush()
			case f != "":
				flush()
				add(figurePrefix + f)
			case isName(t.w) && (inner[t.lw] || (!t.initial && !isTitle)):
				add(namePrefix + t.lw)
				run = append(run, t.lw)
			default:
				flush()
			}
			if t.ends {
				flush()
			}
		}
		flush()
	}
	for _, e := range entities {
		add(e)
	}
	return out
}

// maxNameText bounds the text Names reads: the names of an article are in
// its first pages, and a hostile megabyte costs no more than this.
const maxNameText = 64 << 10

func clipText(s string) string { return clip.Bytes(s, maxNameText) }

// leadBytes is how much of the body Names takes names from: the title
// and lead of a report name its event, while the rest of a long page (a
// live blog, a results page) names everything else it covers, which
// would drown the event's names when two articles are compared.
const leadBytes = 4000

// word is one whitespace-separated word of a text (see words).
type word struct {
	w, lw   string // the word trimmed of punctuation and a possessive "'s", and its lower-case form
	initial bool   // it starts a sentence
	ends    bool   // punctuation after it ends a run of names
}

// words splits text into its words, and also gives the words of text's
// first cut bytes (cut at a character boundary, as clip.Bytes does, so a
// word across the cut is given in part), without splitting text twice. A
// word that is not UTF-8 text is given as "".
func words(text string, cut int) (all, lead []word) {
	cut = clip.Index(text, cut)
	all = make([]word, 0, len(text)/6+1)
	initial := true
	field := func(f string) word {
		w := strings.TrimFunc(f, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
		w = strings.TrimSuffix(strings.TrimSuffix(w, "'s"), "’s")
		if !utf8.ValidString(w) {
			w = ""
		}
		last := f[len(f)-1:]
		return word{w: w, lw: strings.ToLower(w), initial: initial, ends: strings.ContainsAny(last, ".,;:!?)\"”")}
	}
	nLead := -1 // words wholly in the lead, once the lead's end is passed
	var part []word
	add := func(start, end int) {
		if nLead < 0 && end > cut {
			nLead = len(all)
			if start < cut {
				part = []word{field(text[start:cut])}
			}
		}
		all = append(all, field(text[start:end]))
		initial = strings.ContainsAny(text[end-1:end], ".!?")
	}
	start := -1
	for i, r := range text {
		switch {
		case !unicode.IsSpace(r):
			if start < 0 {
				start = i
			}
		case start >= 0:
			add(start, i)
			start = -1
		}
	}
	if start >= 0 {
		add(start, len(text))
	}
	if nLead < 0 {
		return all, all
	}
	return all, append(all[:nLead:nLead], part...)
}

// figure returns w as a number without separators ("1,200" -> "1200",
// "3.5" -> "3.5", "$40m" -> "40") when it is one with at least two digits,
// else "".
func figure(w string) string {
	var b strings.Builder
	digits := 0
	for i, r := range w {
		switch {
		case r >= '0' && r <= '9':
			digits++
			b.WriteRune(r)
		case (r == ',' || r == '.') && digits > 0 && i+1 < len(w) && w[i+1] >= '0' && w[i+1] <= '9':
			if r == '.' {
				b.WriteRune(r)
			}
		case digits == 0 && (r == '$' || r == '£' || r == '€'):
		case digits > 0:
			// a unit or suffix ends the figure: "40m", "12th"
			return keepFigure(b.String(), digits)
		default:
			return ""
		}
	}
	return keepFigure(b.String(), digits)
}

func keepFigure(s string, digits int) string {
	if digits < 2 {
		return ""
	}
	if _, err := strconv.ParseFloat(s, 64); err != nil {
		return ""
	}
	return s
}

// isName reports whether w is a capitalised word worth matching.
func isName(w string) bool {
	r, _ := utf8.DecodeRuneInString(w)
	if !unicode.IsUpper(r) || utf8.RuneCountInString(w) < 2 {
		return false
	}
	return !commonCapitalised[strings.ToLower(w)]
}

// nameWeight is how much sharing n says about two articles reporting one
// event. A figure or a run of names is specific; a single name less so; a
// country or organisation is shared by much of the news about it.
func nameWeight(n string) float64 {
	switch {
	case strings.HasPrefix(n, figurePrefix):
		f := n[len(figurePrefix):]
		if y, err := strconv.Atoi(f); err == nil && y >= 1900 && y <= 2100 {
			return 0.5 // a year is shared by every story of that year
		}
		if len(f) == 2 {
			return 1.5 // two-digit figures meet by chance more often
		}
		return 2
	case strings.HasPrefix(n, phrasePrefix):
		return 2
	case strings.HasPrefix(n, entityPrefix):
		return 0.5
	default:
		return 1
	}
}

// commonCapitalised are words that are capitalised at the start of
// sentences or always (days, months, titles) and name no particular event.
var commonCapitalised = func() map[string]bool {
	m := make(map[string]bool)
	for _, w := range strings.Fields(`a an the this that these those it its he she they we i you his her their our
in on at to for from by with of and or but as after before when while if then there here
what who which where why how is was are were be has have had will would could should can may
not no yes so also said says mr mrs ms dr gen sen rep gov president minister officials official
monday tuesday wednesday thursday friday saturday sunday today yesterday tomorrow
january february march april june july august september october november december
jan feb mar apr jun jul aug sep sept oct nov dec news reuters ap afp photo video getty images
new more most many some one two three four five first last next week year years people police
however meanwhile still even just now all both each every other another such many much`) {
		m[w] = true
	}
	return m
}()
