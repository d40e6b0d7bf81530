package retrieval

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/attache-bot/attache/corpus"
	"github.com/attache-bot/attache/retrieval/answer"
	"github.com/attache-bot/attache/retrieval/disagree"
)

// maxConflicts bounds how many disagreements one answer shows.
const maxConflicts = 3

// conflict is a disagreement between two passages of m.cited, with the
// values an answer stating either side would write.
type conflict struct {
	answer.Conflict
	a, b float64
}

// findConflicts looks, story by story, for facts that the story's
// passages (the cited ones and those listed with them) state with
// different figures (package disagree), reading each passage's text as
// textOf gives it. A side from a passage not yet cited separately is
// added to m.cited, since an answer that shows a disagreement cites both
// sides (the outlet cap keeps both, see capOutlets). Of each story and
// fact, the first disagreement counts; at most maxConflicts in all.
// Conflicts number sources as m.cited does (1-based); outlet names the
// outlets as answers show them.
func findConflicts(m *mix, textOf func(Passage) string, outlet func(string) string) []conflict {
	groups := make(map[string][]Passage)
	var order []string
	add := func(p Passage) {
		k := storyKey(p)
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], p)
	}
	for i, p := range m.cited {
		add(p)
		for _, q := range m.also[i] {
			add(q)
		}
	}
	at := make(map[string]int, len(m.cited)) // article id → 1-based number
	for i, p := range m.cited {
		at[p.ArticleID] = i + 1
	}
	var out []conflict
	for _, k := range order {
		group := groups[k]
		if len(group) < 2 {
			continue
		}
		byID := make(map[string]Passage, len(group))
		ds := make([]disagree.Passage, 0, len(group))
		for _, p := range group {
			byID[p.ArticleID] = p
			ds = append(ds, disagree.Passage{ArticleID: p.ArticleID, Source: p.Source, Text: textOf(p)})
		}
		facts := make(map[string]bool)
		for _, d := range disagree.Find(ds) {
			if len(out) == maxConflicts {
				return out
			}
			if facts[d.Fact] {
				continue
			}
			na, oka := number(m, at, byID[d.A.ArticleID])
			nb, okb := number(m, at, byID[d.B.ArticleID])
			if !oka || !okb {
				continue
			}
			facts[d.Fact] = true
			out = append(out, conflict{
				Conflict: answer.Conflict{Fact: d.Fact,
					A: answer.Side{N: na, Outlet: outlet(d.A.Source), Figure: d.A.Figure},
					B: answer.Side{N: nb, Outlet: outlet(d.B.Source), Figure: d.B.Figure}},
				a: d.A.Value, b: d.B.Value,
			})
		}
	}
	return out
}

// conflictsOf is cs as the answer prompt takes them.
func conflictsOf(cs []conflict) []answer.Conflict {
	out := make([]answer.Conflict, len(cs))
	for i, c := range cs {
		out[i] = c.Conflict
	}
	return out
}

// number is p's 1-based number in m.cited, adding p to it when it is not
// there yet.
func number(m *mix, at map[string]int, p Passage) (int, bool) {
	if p.ArticleID == "" {
		return 0, false
	}
	if n, ok := at[p.ArticleID]; ok {
		return n, true
	}
	m.cited = append(m.cited, p)
	at[p.ArticleID] = len(m.cited)
	return len(m.cited), true
}

// showConflicts returns text (citing sources as the conflicts number
// them) with the line of each conflict it touches but does not show in
// full: a conflict is touched when a sentence of text states one of its
// figures, and shown when both sides' figures are stated in sentences
// that cite that side. A conflict text never touches is about something
// else and is left out; so is a touched one shown in full already.
func showConflicts(text string, cs []conflict) string {
	if len(cs) == 0 {
		return text
	}
	sents := citedFigures(text)
	var add []string
	for _, c := range cs {
		shownA, shownB, touched := false, false, false
		for _, s := range sents {
			if s.states(c.a) || s.states(c.b) {
				touched = true
			}
			if s.states(c.a) && s.cites[c.A.N] {
				shownA = true
			}
			if s.states(c.b) && s.cites[c.B.N] {
				shownB = true
			}
		}
		if touched && !(shownA && shownB) {
			add = append(add, c.Sentence())
		}
	}
	if len(add) == 0 {
		return text
	}
	return strings.TrimSpace(text) + "\n\n" + strings.Join(add, " ")
}

// figureSentence is one sentence of an answer: the figures it states and
// the sources it cites.
type figureSentence struct {
	values []float64
	cites  map[int]bool
}

func (s figureSentence) states(v float64) bool {
	for _, x := range s.values {
		if x == v {
			return true
		}
	}
	return false
}

// citationGroupRE matches the numbers of a citation group, "[1]" or "[2, 3]".
var citationGroupRE = regexp.MustCompile(`\[(\d+(?:\s*[,;]\s*\d+)*)\]`)

// citedFigures reads the sentences of text: the figures each states
// (citations aside) and the numbers it cites, the citations that follow
// its final stop included.
func citedFigures(text string) []figureSentence {
	var out []figureSentence
	spans := corpus.Sentences(text)
	for k, sp := range spans {
		end := sp.End
		if k+1 < len(spans) {
			// Citation groups right after the stop belong to this sentence.
			rest := text[end:spans[k+1].Start]
			end += len(rest)
			if next := text[spans[k+1].Start:spans[k+1].End]; strings.HasPrefix(next, "[") {
				if loc := citationGroupRE.FindStringIndex(next); loc != nil && loc[0] == 0 {
					end = spans[k+1].Start + loc[1]
				}
			}
		} else {
			end = len(text)
		}
		sent := text[sp.Start:end]
		s := figureSentence{cites: make(map[int]bool)}
		for _, g := range citationGroupRE.FindAllStringSubmatch(sent, -1) {
			for _, f := range strings.FieldsFunc(g[1], func(r rune) bool { return r == ',' || r == ';' || r == ' ' }) {
				if n, err := strconv.Atoi(f); err == nil {
					s.cites[n] = true
				}
			}
		}
		s.values = disagree.Figures(citationGroupRE.ReplaceAllString(sent, " "))
		out = append(out, s)
	}
	return out
}
