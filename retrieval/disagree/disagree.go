// Package disagree finds where reports of one story give different figures
// for the same fact: "12 people were killed" in one outlet and "the blast
// killed 15" in another. Answers show both, each with its outlet, instead
// of blending them.
//
// A fact is a kind of figure (deaths, injuries, votes, an amount of money,
// a percentage, a count of some thing) read from the words around a number
// in its sentence. Two outlets disagree on a fact when the figures each
// gives for it have nothing in common: an outlet that gives a fact two
// figures (today's toll and last year's) agrees with another that repeats
// either of them.
package disagree

import (
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/attache-bot/attache/corpus"
)

// Passage is text from one article of the story.
type Passage struct {
	ArticleID string
	Source    string // the outlet; passages without one are compared by article id
	Text      string
}

// Claim is one figure an outlet gives for a fact.
type Claim struct {
	Figure    string  // as written, "1,200" or "$3.5 million"
	Value     float64 // its value, 1200 or 3.5e6
	Source    string
	ArticleID string
	Sentence  string
}

// Disagreement is a fact two outlets give different figures for.
type Disagreement struct {
	Fact string // "deaths", "votes", "money: settlement", "count: home"
	A, B Claim  // A's outlet sorts first
}

// Limits that keep hostile input cheap: a story's passages are a few
// kilobytes each, and an answer shows a handful of disagreements.
const (
	maxTextBytes      = 64 << 10
	maxClaims         = 2000
	MaxDisagreements  = 20
	hedgedTolerance   = 0.1 // "about 1,000" agrees with 1,050
	maxSentenceFields = 200
)

// Find returns the disagreements among passages, at most MaxDisagreements,
// sorted by fact and then by outlets. Passages of one outlet never
// disagree with each other: an outlet updating its own figure is not a
// dispute between outlets.
func Find(passages []Passage) []Disagreement {
	var claims []claim
	for _, p := range passages {
		if len(claims) >= maxClaims {
			break
		}
		claims = appendClaims(claims, p)
	}
	// Group by fact, then by outlet.
	byFact := make(map[string]map[string][]claim)
	for _, c := range claims {
		if byFact[c.fact] == nil {
			byFact[c.fact] = make(map[string][]claim)
		}
		byFact[c.fact][c.outlet] = append(byFact[c.fact][c.outlet], c)
	}
	var out []Disagreement
	for fact, byOutlet := range byFact {
		outlets := make([]string, 0, len(byOutlet))
		for o := range byOutlet {
			outlets = append(outlets, o)
		}
		sort.Strings(outlets)
		for i := 0; i < len(outlets); i++ {
			for j := i + 1; j < len(outlets); j++ {
				a, b := byOutlet[outlets[i]], byOutlet[outlets[j]]
				if anyAgree(a, b) {
					continue
				}
				x, y, ok := closest(fact, a, b)
				if !ok {
					continue
				}
				out = append(out, Disagreement{Fact: fact, A: x.Claim, B: y.Claim})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Fact != out[j].Fact {
			return out[i].Fact < out[j].Fact
		}
		if out[i].A.Source != out[j].A.Source {
			return out[i].A.Source < out[j].A.Source
		}
		return out[i].B.Source < out[j].B.Source
	})
	if len(out) > MaxDisagreements {
		out = out[:MaxDisagreements]
	}
	return out
}

// claim is a Claim with what grouping needs.
type claim struct {
	Claim
	fact    string
	outlet  string
	context map[string]bool // see contextWords; only for loose facts
	hedged  bool            // "at least", "about", "more than"...
}

// closest returns the claims of a and b whose figures are nearest (by
// ratio, the first in text order on ties): when an outlet gives a fact two
// figures (today's toll and last year's), the one nearest the other
// outlet's is the likelier rival. For a loose fact (a count of some thing,
// money or a percentage of nothing named) the two sentences must also
// share words beyond the fact's own: "20 miles east of Columbus" and "15
// miles outside Kyiv" are two distances, not one disputed.
func closest(fact string, a, b []claim) (claim, claim, bool) {
	need := contextNeeded(fact)
	var bx, by claim
	best, found := math.Inf(1), false
	for _, x := range a {
		for _, y := range b {
			if sharedContext(x, y) < need {
				continue
			}
			d := math.Abs(math.Log((math.Abs(x.Value) + 1) / (math.Abs(y.Value) + 1)))
			if d < best {
				best, bx, by, found = d, x, y, true
			}
		}
	}
	return bx, by, found
}

// contextNeeded is how many words the sentences of two claims of fact
// must share besides it.
func contextNeeded(fact string) int {
	switch {
	case (strings.HasPrefix(fact, "money") || fact == "percent") && !strings.Contains(fact, ": "):
		return 3 // money or a percentage of nothing named
	case strings.HasPrefix(fact, "count: "):
		return 1
	}
	return 0
}

func sharedContext(x, y claim) int {
	n := 0
	for w := range x.context {
		if y.context[w] {
			n++
		}
	}
	return n
}

// contextWords are the content words of a sentence (singular, lower
// case), without the words that name the fact itself.
func contextWords(toks []token, fact string) map[string]bool {
	m := make(map[string]bool)
	_, key, _ := strings.Cut(fact, ": ")
	for _, t := range toks {
		w := t.word
		if len(w) < 3 || stopWords[w] || hedges[w] || strings.ContainsFunc(w, unicode.IsDigit) {
			continue
		}
		if w = singular(w); w != key {
			m[w] = true
		}
	}
	return m
}

func anyAgree(a, b []claim) bool {
	for _, x := range a {
		for _, y := range b {
			if agree(x, y) {
				return true
			}
		}
	}
	return false
}

// agree reports whether two figures for one fact are the same: equal, or
// within hedgedTolerance when either is hedged.
func agree(x, y claim) bool {
	if x.Value == y.Value {
		return true
	}
	if x.hedged || y.hedged {
		return math.Abs(x.Value-y.Value) <= hedgedTolerance*math.Max(math.Abs(x.Value), math.Abs(y.Value))
	}
	return false
}

// appendClaims reads the figures of one passage.
func appendClaims(out []claim, p Passage) []claim {
	text := p.Text
	if len(text) > maxTextBytes {
		text = text[:maxTextBytes]
	}
	outlet := strings.TrimSpace(p.Source)
	if outlet == "" {
		outlet = "article " + p.ArticleID
	}
	for _, sp := range corpus.Sentences(text) {
		sent := text[sp.Start:sp.End]
		toks := tokens(sent)
		if len(toks) > maxSentenceFields {
			toks = toks[:maxSentenceFields]
		}
		for i := range toks {
			f, ok := figureAt(toks, i)
			if !ok {
				continue
			}
			fact := factOf(toks, i, f)
			if fact == "" {
				continue
			}
			c := claim{
				Claim:  Claim{Figure: f.text, Value: f.value, Source: p.Source, ArticleID: p.ArticleID, Sentence: sent},
				fact:   fact,
				outlet: outlet,
				hedged: hedgedAt(toks, i),
			}
			if contextNeeded(fact) > 0 {
				c.context = contextWords(toks, fact)
			}
			out = append(out, c)
			if len(out) >= maxClaims {
				return out
			}
		}
	}
	return out
}

// token is one whitespace-separated word of a sentence: as written, and
// lower-cased without surrounding punctuation (but keeping $ and %).
type token struct {
	raw, word string
}

func tokens(sent string) []token {
	var out []token
	for _, f := range strings.Fields(sent) {
		w := strings.TrimFunc(strings.ToLower(f), func(r rune) bool {
			return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '$' && r != '%' && r != '£' && r != '€'
		})
		out = append(out, token{raw: f, word: w})
	}
	return out
}

// figure is a number read at a token.
type figure struct {
	text     string
	value    float64
	money    bool
	currency string // "$", "£", "€" or the currency word; "" when not money
	percent  bool
	pair     bool // "218-212": a vote or a score
	scaleEnd int  // index of the last token the figure covers
}

var wordNumbers = map[string]float64{
	"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
	"nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
	"fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20,
	"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
	"dozens": 0, "hundreds": 0, // vague: never a figure
}

var scales = map[string]float64{"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12, "m": 1e6, "bn": 1e9}

var months = map[string]bool{
	"january": true, "february": true, "march": true, "april": true, "may": true, "june": true,
	"july": true, "august": true, "september": true, "october": true, "november": true,
	"december": true, "jan": true, "feb": true, "mar": true, "apr": true, "jun": true,
	"jul": true, "aug": true, "sep": true, "sept": true, "oct": true, "nov": true, "dec": true,
}

// figureAt reads a figure at toks[i]: digits with separators ("1,200",
// "3.5"), an optional currency sign, percent sign or scale word, a pair
// ("218-212"), or a number word up to twenty. Years, times of day, days of
// a month, ordinals and ages are not figures of a fact.
func figureAt(toks []token, i int) (figure, bool) {
	w := toks[i].word
	f := figure{scaleEnd: i}
	if v, ok := wordNumbers[w]; ok {
		if v == 0 {
			return f, false
		}
		f.text, f.value = toks[i].raw, v
		f.text = strings.TrimFunc(f.text, func(r rune) bool { return !unicode.IsLetter(r) })
		return f, true
	}
	s := w
	for _, c := range []string{"$", "£", "€"} {
		if strings.HasPrefix(s, c) {
			f.money, f.currency = true, c
			s = s[len(c):]
		}
	}
	if strings.HasSuffix(s, "%") {
		f.percent = true
		s = strings.TrimSuffix(s, "%")
	}
	if a, b, ok := strings.Cut(s, "-"); ok && isNumber(a) && isNumber(b) {
		f.pair = true
		va, _ := parseNumber(a)
		vb, _ := parseNumber(b)
		f.text, f.value = a+"-"+b, va*1e6+vb // one value per pair: equal pairs agree
		return f, true
	}
	v, ok := parseNumber(s)
	if !ok || strings.HasPrefix(toks[i].raw, "#") {
		return f, false // "#2" is a rank
	}
	text := strings.TrimFunc(toks[i].raw, func(r rune) bool {
		return !unicode.IsDigit(r) && r != '$' && r != '%' && r != '£' && r != '€'
	})
	if i+1 < len(toks) {
		next := toks[i+1].word
		if sc, ok := scales[next]; ok {
			v *= sc
			text += " " + next
			f.scaleEnd = i + 1
		} else if next == "percent" || next == "per" {
			f.percent = true
			text += " percent"
			f.scaleEnd = i + 1
		} else if next == "a.m" || next == "p.m" || next == "am" || next == "pm" || strings.HasPrefix(next, "year") && i+2 < len(toks) && toks[i+2].word == "old" {
			return f, false
		}
	}
	if i > 0 && (months[toks[i-1].word] || toks[i-1].word == "no" || toks[i-1].word == "aged") {
		return f, false // "March 5", "No. 10", "aged 67"
	}
	if i > 1 && toks[i-1].word == "of" && toks[i-2].word == "age" {
		return f, false // "at the age of 67"
	}
	if !f.money && !f.percent && v >= 1900 && v <= 2100 && !strings.Contains(text, ",") && v == math.Trunc(v) && yearAt(toks, i) {
		return f, false
	}
	f.text, f.value = text, v
	return f, true
}

// yearAt reports whether a number that reads like a year (1900 to 2100,
// no separators) is one: after "in", "since" and the like it is; right
// before a plural ("2,065 homes" written "2065 homes") it is a count.
func yearAt(toks []token, i int) bool {
	if i > 0 && yearWords[toks[i-1].word] {
		return true
	}
	if i+1 < len(toks) {
		next := toks[i+1].word
		if strings.HasSuffix(next, "s") && !strings.HasSuffix(next, "ss") && !stopWords[next] {
			return false
		}
	}
	return true
}

var yearWords = map[string]bool{"in": true, "since": true, "by": true, "until": true, "from": true,
	"of": true, "to": true, "early": true, "late": true, "mid": true, "before": true, "after": true, "the": true}

func isNumber(s string) bool {
	_, ok := parseNumber(s)
	return ok
}

// parseNumber reads "1,200", "3.5" or "12"; digits first and last.
func parseNumber(s string) (float64, bool) {
	if s == "" || s[0] < '0' || s[0] > '9' || s[len(s)-1] < '0' || s[len(s)-1] > '9' {
		return 0, false
	}
	s = strings.ReplaceAll(s, ",", "")
	v, err := strconv.ParseFloat(s, 64)
	return v, err == nil && !math.IsInf(v, 0)
}

// hedges are words before a figure that make it approximate or a bound.
var hedges = map[string]bool{
	"about": true, "around": true, "approximately": true, "nearly": true, "almost": true,
	"roughly": true, "some": true, "over": true, "more": true, "least": true, "estimated": true,
	"than": true, "up": true,
}

func hedgedAt(toks []token, i int) bool {
	for k := max(0, i-2); k < i; k++ {
		if hedges[toks[k].word] {
			return true
		}
	}
	return false
}

// factClasses map trigger words near a figure to the fact it states. The
// first class with a trigger in the window wins, so the more specific
// classes come first.
var factClasses = []struct {
	fact     string
	triggers []string
}{
	{"injuries", []string{"injured", "wounded", "hurt", "injuries", "injuring", "wounding"}},
	{"deaths", []string{"killed", "dead", "died", "deaths", "death", "fatalities", "lives", "killing", "kills", "bodies", "toll", "dying"}},
	{"missing", []string{"missing", "unaccounted"}},
	{"arrests", []string{"arrested", "arrests", "detained", "detentions"}},
	{"displaced", []string{"evacuated", "displaced", "evacuate", "homeless", "fled", "evacuation"}},
	{"votes", []string{"votes", "vote", "voted", "ballots"}},
}

// moneyNouns name what an amount of money is: "a $26 million settlement".
var moneyNouns = strings.Fields("settlement deal fine damages cost costs budget aid price bill package loan grant contract bonus salary penalty award bail bond ransom reward fund funding revenue profit loss losses donation")

// percentNouns name what a percentage measures.
var percentNouns = strings.Fields("turnout inflation unemployment support growth contained approval rate vote votes")

// factOf names the fact the figure at toks[i] states, or "" when its
// words say nothing about what it counts.
func factOf(toks []token, i int, f figure) string {
	// The words around a figure name its fact: up to eight before it
	// ("the death toll from the Tavos storm rose to 154") and five after
	// it, but never past another figure, whose words they are.
	lo, hi := max(0, i-8), min(len(toks), f.scaleEnd+6)
	for k := i - 1; k >= lo; k-- {
		if _, ok := figureAt(toks, k); ok {
			lo = k + 1
			break
		}
	}
	for k := f.scaleEnd + 1; k < hi; k++ {
		if _, ok := figureAt(toks, k); ok {
			hi = k
			break
		}
	}
	window := func(words []string) string {
		for k := lo; k < hi; k++ {
			if k >= i && k <= f.scaleEnd {
				continue
			}
			for _, w := range words {
				if toks[k].word == w {
					return w
				}
			}
		}
		return ""
	}
	if !f.money && f.scaleEnd+1 < len(toks) && isCurrencyWord(toks[f.scaleEnd+1].word) {
		f.money, f.currency = true, singular(toks[f.scaleEnd+1].word)
	}
	switch {
	case f.money:
		// Amounts in different currencies are never compared: £275,000
		// and $350,000 may well be one price.
		money := "money"
		if f.currency != "$" && f.currency != "dollar" {
			money += " (" + f.currency + ")"
		}
		if n := window(moneyNouns); n != "" {
			return money + ": " + singular(n)
		}
		return money
	case f.percent:
		if n := window(percentNouns); n != "" {
			return "percent: " + singular(n)
		}
		return "percent"
	}
	for _, c := range factClasses {
		if window(c.triggers) != "" {
			return c.fact
		}
	}
	if f.pair {
		return "" // a score or a range without a vote nearby
	}
	// A count of the thing named right after it: "1,200 homes", "300 new
	// cases", "3,860 destroyed homes", "1,200 homes destroyed". Of the next
	// two words (up to a function word) a plural names the thing.
	var words []string
	for k := f.scaleEnd + 1; k < min(len(toks), f.scaleEnd+3); k++ {
		w := toks[k].word
		if w == "" || stopWords[w] || strings.ContainsFunc(w, unicode.IsDigit) {
			break
		}
		if !adjectives[w] {
			words = append(words, w)
		}
		if strings.ContainsAny(toks[k].raw, ".,;:!?") {
			break
		}
	}
	for _, w := range words {
		if strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") {
			return "count: " + singular(w)
		}
	}
	if len(words) > 0 {
		return "count: " + singular(words[0])
	}
	return ""
}

func isCurrencyWord(w string) bool {
	switch w {
	case "dollars", "dollar", "pounds", "euros", "yuan", "yen", "rupees":
		return true
	}
	return false
}

func singular(w string) string {
	switch {
	case strings.HasSuffix(w, "ies") && len(w) > 4:
		return w[:len(w)-3] + "y"
	case strings.HasSuffix(w, "ss"):
		return w
	case strings.HasSuffix(w, "s") && len(w) > 3:
		return w[:len(w)-1]
	}
	return w
}

// adjectives may stand between a figure and the thing it counts.
var adjectives = map[string]bool{"new": true, "more": true, "additional": true, "other": true, "confirmed": true, "total": true, "square": true}

var stopWords = func() map[string]bool {
	m := make(map[string]bool)
	for _, w := range strings.Fields(`a an the of in on at to for from by with and or but as is was are were be been
has have had will would could that this these those it its he she they we his her their our than then
who which what when where after before during since until per each times percent year years old day days
week weeks month months hour hours minute minutes said says a.m p.m am pm`) {
		m[w] = true
	}
	return m
}()

// Figures returns the values of the figures written in text, read as Find
// reads them (years, ages, times of day and the like are not figures), in
// text order. An answer that states one side of a disagreement states one
// of these.
func Figures(text string) []float64 {
	if len(text) > maxTextBytes {
		text = text[:maxTextBytes]
	}
	var out []float64
	for _, sp := range corpus.Sentences(text) {
		toks := tokens(text[sp.Start:sp.End])
		if len(toks) > maxSentenceFields {
			toks = toks[:maxSentenceFields]
		}
		for i := range toks {
			if f, ok := figureAt(toks, i); ok {
				out = append(out, f.value)
			}
		}
	}
	return out
}
