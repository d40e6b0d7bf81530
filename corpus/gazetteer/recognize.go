package gazetteer

import (
	"sort"
	"strings"
)

// Mention is an entity an article is about.
type Mention struct {
	Kind  Kind
	ID    string
	Name  string
	Count int     // how many times it is named (after ambiguity is resolved)
	Score float64 // weighted mentions: a title mention counts 3, the lead 2, the rest 1
}

// Weights and cut-offs of Recognize. An article is about what its title or
// lead names, or what it names repeatedly; a country named once in passing
// in the tenth paragraph is not what it is about.
const (
	titleWeight = 3
	leadWeight  = 2
	bodyWeight  = 1
	minScore    = 2    // one lead mention, or two in the body
	relScore    = 0.25 // and at least this share of the top entity's score
	maxMentions = 8
	leadBytes   = 600 // the lead is the first paragraph, at most this long
)

// okNeighbours are capitalised words that may stand next to an ambiguous
// name without making it part of another name: "In Georgia", "Jordan's
// Foreign Minister", "King Abdullah of Jordan".
var okNeighbours = map[string]bool{
	"In": true, "The": true, "From": true, "To": true, "And": true, "Of": true, "On": true,
	"At": true, "For": true, "With": true, "By": true, "But": true, "As": true, "After": true,
	"Before": true, "Neighbouring": true, "Neighboring": true, "Both": true, "Across": true,
	"President": true, "Prime": true, "Minister": true, "Foreign": true, "Defence": true,
	"Defense": true, "Interior": true, "Government": true, "Army": true, "Military": true,
	"Embassy": true, "Parliament": true, "Ambassador": true, "Authorities": true, "Police": true,
	"Officials": true, "King": true, "Queen": true, "Troops": true, "Forces": true,
}

type hit struct {
	entity int
	weak   bool
	weight float64
}

// Recognize returns the countries and organisations an article is about,
// highest score first (ties by name). Ambiguous names (Chad, Jordan,
// Georgia, Turkey, AU, ICC) count only where the rest of the text supports
// the entity's sense and they are not glued to another capitalised name;
// names that spell a word in capitals (US, WHO) are ignored in all-capitals
// text; phrases such as "New Mexico" or "South China Sea" name no country.
func (g *Gazetteer) Recognize(title, body string) []Mention {
	lead, rest := splitLead(body)
	var hits []hit
	var all []token
	for _, seg := range []struct {
		text   string
		weight float64
	}{{title, titleWeight}, {lead, leadWeight}, {rest, bodyWeight}} {
		toks := scan(seg.text, nil)
		hits = g.match(seg.text, toks, seg.weight, hits)
		all = append(all, toks...)
	}
	if len(hits) == 0 {
		return nil
	}
	strong := make(map[int]bool)
	for _, h := range hits {
		if !h.weak {
			strong[h.entity] = true
		}
	}
	words := make(map[string]bool, len(all))
	for _, t := range all {
		words[t.text] = true
	}
	confirmed := make(map[int]bool)
	byEntity := make(map[int]*Mention)
	for _, h := range hits {
		if h.weak {
			ok, seen := confirmed[h.entity]
			if !seen {
				ok = g.supported(h.entity, strong[h.entity], words, all)
				confirmed[h.entity] = ok
			}
			if !ok {
				continue
			}
		}
		m := byEntity[h.entity]
		if m == nil {
			e := g.entities[h.entity]
			m = &Mention{Kind: e.Kind, ID: e.ID, Name: e.Name}
			byEntity[h.entity] = m
		}
		m.Count++
		m.Score += h.weight
	}
	var top float64
	for _, m := range byEntity {
		top = max(top, m.Score)
	}
	var out []Mention
	for _, m := range byEntity {
		if m.Score >= minScore && m.Score >= relScore*top {
			out = append(out, *m)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Score != out[j].Score {
			return out[i].Score > out[j].Score
		}
		return out[i].Name < out[j].Name
	})
	if len(out) > maxMentions {
		out = out[:maxMentions]
	}
	return out
}

// match appends the names found in one segment of text.
func (g *Gazetteer) match(text string, toks []token, weight float64, hits []hit) []hit {
	caps := allCaps(text)
	for i := 0; i < len(toks); {
		a, ok := g.longest(text, toks, i)
		if !ok {
			i++
			continue
		}
		j := i + len(a.words)
		switch {
		case a.entity < 0: // a "not" phrase: about something else
		case a.word && caps:
		case a.weak && (g.glued(text, toks, i-1, i, true) || g.glued(text, toks, j-1, j, false)):
		default:
			hits = append(hits, hit{entity: a.entity, weak: a.weak, weight: weight})
		}
		i = j
	}
	return hits
}

// longest returns the longest name starting at toks[i] whose words are
// consecutive in text (only spaces between them, or the dots and hyphens
// the name itself has).
func (g *Gazetteer) longest(text string, toks []token, i int) (alias, bool) {
	for _, a := range g.byFirst[toks[i].text] {
		if i+len(a.words) > len(toks) {
			continue
		}
		ok := true
		for k := 1; k < len(a.words) && ok; k++ {
			t := toks[i+k]
			ok = t.text == a.words[k] && joined(text[toks[i+k-1].end:t.start])
		}
		if ok {
			return a, true
		}
	}
	return alias{}, false
}

// joined reports whether gap, the text between two words, keeps them in
// one name: a space, a dot, a hyphen or an apostrophe, not a comma.
func joined(gap string) bool {
	return len(gap) <= 3 && strings.Trim(gap, " .-'’") == ""
}

// glued reports whether the word at toks[n] (the neighbour of the name's
// word at toks[at]) makes the name part of a longer one: it is capitalised,
// right next to it, and neither a known name nor an ok neighbour. before
// says the neighbour comes first.
func (g *Gazetteer) glued(text string, toks []token, a, b int, before bool) bool {
	if a < 0 || b >= len(toks) {
		return false
	}
	gap := text[toks[a].end:toks[b].start]
	if gap != " " {
		return false
	}
	n := toks[b]
	if before {
		n = toks[a]
	}
	if !capitalised(n.text) || okNeighbours[n.text] {
		return false
	}
	_, known := g.byFirst[n.text]
	return !known
}

// supported decides whether an ambiguous entity is meant: its support
// phrases (plus one if an unambiguous name of it occurs) outnumber the
// phrases that speak for another sense.
func (g *Gazetteer) supported(e int, strong bool, words map[string]bool, toks []token) bool {
	count := func(ps [][]string) int {
		n := 0
		for _, p := range ps {
			if contains(p, words, toks) {
				n++
			}
		}
		return n
	}
	pro := count(g.support[e])
	if strong {
		pro++
	}
	return pro > count(g.against[e])
}

// contains reports whether the phrase p occurs in toks.
func contains(p []string, words map[string]bool, toks []token) bool {
	if !words[p[0]] {
		return false
	}
	if len(p) == 1 {
		return true
	}
	for i := 0; i+len(p) <= len(toks); i++ {
		k := 0
		for k < len(p) && toks[i+k].text == p[k] {
			k++
		}
		if k == len(p) {
			return true
		}
	}
	return false
}

// splitLead cuts body after its first paragraph (at most leadBytes, cut at
// a space). Short first paragraphs (a byline, a dateline, "AP") do not
// count as the lead on their own: paragraphs are taken until minLeadBytes.
func splitLead(body string) (lead, rest string) {
	const minLeadBytes = 100
	body = strings.TrimLeft(body, " \t\r\n")
	end := 0
	for end < minLeadBytes {
		i := strings.Index(body[end:], "\n\n")
		if i < 0 {
			end = len(body)
			break
		}
		end += i + 2
	}
	if end > leadBytes {
		end = leadBytes
		if i := strings.LastIndexByte(body[:end], ' '); i > 0 {
			end = i
		}
	}
	return body[:end], body[end:]
}
