package retrieval

import (
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/attache-bot/attache/retrieval/answer"
)

// Defaults of the source mix (Config.PerStory, Config.PerOutlet).
const (
	// DefaultPerStory is how many outlets of one story an answer cites;
	// the story's articles from other outlets are listed with the cited
	// one (Source.Also). An outlet's own further reports of the story stay
	// citable, under the outlet cap.
	DefaultPerStory = 1
	// DefaultPerOutlet is how many cited sources one outlet may have.
	DefaultPerOutlet = 2
)

// mix is the passages an answer is made from, after the source mix.
type mix struct {
	// cited are the passages the answer may cite, in rank order.
	cited []Passage
	// also are, by index into cited, the other passages of that
	// passage's story that were not cited separately.
	also map[int][]Passage
}

// storyKey is the story a passage belongs to; a passage without one is a
// story of its own.
func storyKey(p Passage) string {
	if p.StoryID != "" {
		return "s\x00" + p.StoryID
	}
	return "a\x00" + p.ArticleID
}

// outletKey is how outlets are compared: by name, case and spacing aside;
// passages without an outlet are each their own.
func outletKey(p Passage) string {
	if k := strings.ToLower(strings.Join(strings.Fields(p.Source), " ")); k != "" {
		return k
	}
	return "\x00" + p.ArticleID
}

// mixSources chooses, from passages in rank order, the ones an answer
// may cite: the articles of at most perStory outlets of each story; the
// story's articles from other outlets go to the also list of its first
// cited passage ("also reported by"). An outlet's own further reports of
// the story (a live page and its follow-up) are no other outlet's report:
// they stay citable, under the outlet cap (capOutlets). Which outlet
// speaks for a story follows prefer (indices into passages, best first;
// those it leaves out follow in rank order): the answer's own choice of
// what answers the question best, where the search's rank says only what
// matches it best. nil prefer is rank order. The cited passages keep
// their rank order. A limit below 1 means no limit.
func mixSources(passages []Passage, perStory int, prefer []int) mix {
	order := make([]int, 0, len(passages))
	seen := make([]bool, len(passages))
	for _, i := range prefer {
		if i >= 0 && i < len(passages) && !seen[i] {
			seen[i] = true
			order = append(order, i)
		}
	}
	for i := range passages {
		if !seen[i] {
			order = append(order, i)
		}
	}
	outlets := make(map[string][]string) // story → the outlets cited for it
	chosen := make([]bool, len(passages))
	for _, i := range order {
		k, o := storyKey(passages[i]), outletKey(passages[i])
		if perStory < 1 || slices.Contains(outlets[k], o) || len(outlets[k]) < perStory {
			if !slices.Contains(outlets[k], o) {
				outlets[k] = append(outlets[k], o)
			}
			chosen[i] = true
		}
	}
	m := mix{also: make(map[int][]Passage)}
	lead := make(map[string]int) // story → index in cited of its first passage
	for i, p := range passages {
		if !chosen[i] {
			continue
		}
		if _, ok := lead[storyKey(p)]; !ok {
			lead[storyKey(p)] = len(m.cited)
		}
		m.cited = append(m.cited, p)
	}
	for _, i := range order { // the also lists in order of preference
		if p := passages[i]; !chosen[i] {
			m.also[lead[storyKey(p)]] = append(m.also[lead[storyKey(p)]], p)
		}
	}
	return m
}

// preferred orders the passages an extraction of passages quotes, as
// 0-based indices: by the passage's search score, best first, so that of
// two reports of a story that both answer, the one whose passage matches
// the question best speaks for the story (mixSources) — the exact wording
// a question asks about is most often in it, while the other outlet's
// further sentences are only more of the same story; on a tie, by how
// many of its sentences each gave, then the outlet fewer of the quoted
// passages come from first (a story speaks through the outlet that adds to
// the answer's mix), then by first use.
func preferred(ex answer.Extraction, passages []Passage) []int {
	count := make(map[int]int)
	for _, q := range ex.Quotes {
		count[q.Passage]++
	}
	outlets := make(map[string]int)
	for _, i := range ex.Cited {
		outlets[outletKey(passages[i])]++
	}
	out := slices.Clone(ex.Cited)
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if sa, sb := passages[a].Score, passages[b].Score; sa != sb {
			return sa > sb
		}
		if count[a] != count[b] {
			return count[a] > count[b]
		}
		return outlets[outletKey(passages[a])] < outlets[outletKey(passages[b])]
	})
	return out
}

// citationNumberRE matches one citation in the canonical form CheckAs
// writes.
var citationNumberRE = regexp.MustCompile(`\[(\d+)\]`)

// capOutlets makes text (citing passages 1..len(passages)) cite at most
// perOutlet sources of each outlet (below 1: no limit), and returns it
// with the passages it cites, numbered by first use. The sources an
// outlet keeps are the first it has among the conflict sides (a
// disagreement shown needs both of its sources), then in order of first
// use, which is the answer's own order of importance (the extractive
// answer quotes its best passage first). A sentence left citing nothing
// is dropped; a sentence that also cites a source kept keeps that
// citation. Capping what is cited, not what is read, lets an answer
// quote its best sentences first and only then give way to the mix.
//
// An answer whose every source is from one outlet keeps them all: the cap
// makes room for other outlets, and there is none to make room for (the
// outlets line under the answer shows that one outlet is all there is).
func capOutlets(text string, passages []Passage, perOutlet int, conflicts []conflict, policy answer.Policy) (string, []Passage) {
	text, order := answer.CheckAs(text, len(passages), policy)
	cited := make([]Passage, len(order))
	outlets := make(map[string]bool)
	for i, n := range order {
		cited[i] = passages[n-1]
		outlets[outletKey(cited[i])] = true
	}
	if perOutlet < 1 || len(cited) <= perOutlet || len(outlets) == 1 {
		return text, cited
	}
	side := make(map[int]bool) // original numbers of the conflicts' sides
	for _, c := range conflicts {
		side[c.A.N], side[c.B.N] = true, true
	}
	keep := make([]bool, len(cited))
	count := make(map[string]int)
	for pass := 0; pass < 2; pass++ { // conflict sides first, then the rest
		for i, p := range cited {
			if keep[i] || side[order[i]] != (pass == 0) {
				continue
			}
			if k := outletKey(p); count[k] < perOutlet {
				count[k]++
				keep[i] = true
			}
		}
	}
	if !slices.Contains(keep, false) {
		return text, cited
	}
	// Renumber the kept sources; the others become 0, a number CheckAs
	// removes (and with DropInvented, their sentences).
	renum := make([]int, len(cited)+1)
	var kept []Passage
	for i, p := range cited {
		if keep[i] {
			kept = append(kept, p)
			renum[i+1] = len(kept)
		}
	}
	text = citationNumberRE.ReplaceAllStringFunc(text, func(c string) string {
		n, err := strconv.Atoi(c[1 : len(c)-1])
		if err != nil || n < 1 || n >= len(renum) {
			return c
		}
		return "[" + strconv.Itoa(renum[n]) + "]"
	})
	text, order = answer.CheckAs(text, len(kept), answer.DropInvented)
	out := make([]Passage, len(order))
	for i, n := range order {
		out[i] = kept[n-1]
	}
	return text, out
}

// withAlso fills the Also list of each source of ans from m (whose cited
// passages are the passages ans was finished from), leaving out articles
// cited separately.
func withAlso(ans *Answer, m mix) {
	cited := make(map[string]bool, len(ans.Sources))
	for _, s := range ans.Sources {
		cited[s.ArticleID] = true
	}
	at := make(map[string]int, len(m.cited))
	for i, p := range m.cited {
		at[p.ArticleID] = i
	}
	for k := range ans.Sources {
		s := &ans.Sources[k]
		i, ok := at[s.ArticleID]
		if !ok {
			continue
		}
		for _, p := range m.also[i] {
			if cited[p.ArticleID] {
				continue
			}
			cited[p.ArticleID] = true // list each article once
			s.Also = append(s.Also, Also{ArticleID: p.ArticleID, Source: p.Source, URL: p.URL})
		}
	}
}

// Outlet is one outlet an answer used, with its label.
type Outlet struct {
	Name  string
	Label string // "" when the outlet has none
}

// Outlets are the outlets whose articles the answer used, cited or listed
// with a cited source, in order of first appearance, each once (names
// compared as outletKey does; articles without an outlet are not named).
func (a Answer) Outlets() []Outlet {
	var out []Outlet
	seen := make(map[string]bool)
	add := func(name, label string) {
		k := strings.ToLower(strings.Join(strings.Fields(name), " "))
		if k == "" || seen[k] {
			return
		}
		seen[k] = true
		out = append(out, Outlet{Name: name, Label: label})
	}
	for _, s := range a.Sources {
		add(s.Source, s.Label)
	}
	for _, s := range a.Sources {
		for _, al := range s.Also {
			add(al.Source, al.Label)
		}
	}
	return out
}

// AlsoOutlets are the outlets of s.Also other than s's own, each once, in
// order: what "also reported by …" names.
func (s Source) AlsoOutlets() []Outlet {
	var out []Outlet
	seen := map[string]bool{strings.ToLower(strings.Join(strings.Fields(s.Source), " ")): true}
	for _, al := range s.Also {
		k := strings.ToLower(strings.Join(strings.Fields(al.Source), " "))
		if k == "" || seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, Outlet{Name: al.Source, Label: al.Label})
	}
	return out
}

// String is the outlet as answers name it: "Reuters (wire)", or just
// the name without a label.
func (o Outlet) String() string {
	if o.Label != "" {
		return o.Name + " (" + o.Label + ")"
	}
	return o.Name
}

// OutletsLine is the line under an answer that names its outlets: "3
// outlets: CNN, USA Today (newspaper), The Week"; "" for none. show
// writes one outlet (each surface makes the names safe its own way).
func OutletsLine(outlets []Outlet, show func(Outlet) string) string {
	if len(outlets) == 0 {
		return ""
	}
	noun := "outlets"
	if len(outlets) == 1 {
		noun = "outlet"
	}
	return strconv.Itoa(len(outlets)) + " " + noun + ": " + joinOutlets(outlets, show)
}

// AlsoLine is what a source line adds for the story's other outlets:
// "also reported by CNN, The Week"; "" for none.
func AlsoLine(outlets []Outlet, show func(Outlet) string) string {
	if len(outlets) == 0 {
		return ""
	}
	return "also reported by " + joinOutlets(outlets, show)
}

func joinOutlets(outlets []Outlet, show func(Outlet) string) string {
	names := make([]string, len(outlets))
	for i, o := range outlets {
		names[i] = show(o)
	}
	return strings.Join(names, ", ")
}
