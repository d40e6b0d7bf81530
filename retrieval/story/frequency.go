package story

import (
	"math"
	"sync"
)

// Frequency tells how common a name is among articles: the share of them
// that carry it, among the articles of source when source is known and
// has enough of them (an outlet's page furniture recurs in its own
// articles), else among all. 0 means unknown: the name weighs in full.
type Frequency interface {
	Share(source, name string) float64
}

// closeShared is the part of MinShared and MinOverlap that suffices for a
// candidate at CloseCosine.
const closeShared = 0.5

// rareShare is the share of articles at or below which a name counts in
// full; a name in every article counts nothing, and weights fall off with
// the logarithm of the share in between (as an inverse document
// frequency does).
const rareShare = 0.003

// rarity returns the factor, 0 to 1, by which a name of an article from
// source counts: 1 without a Frequency.
func (o Options) rarity(source string) func(string) float64 {
	if o.Frequency == nil {
		return func(string) float64 { return 1 }
	}
	return func(n string) float64 {
		s := o.Frequency.Share(source, n)
		if s <= rareShare || math.IsNaN(s) {
			return 1 // rare, or a share that means nothing
		}
		if s >= 1 {
			return 0
		}
		return math.Log(s) / math.Log(rareShare)
	}
}

// minCountedDocs is how many articles Counts must have seen (in all, or
// of one source) before its shares mean anything: below it, Share
// returns 0 and names weigh in full.
const minCountedDocs = 50

// Counts is a Frequency counted from the names of the articles added to
// it, in all and per source. It is safe for concurrent use. A caller adds
// every article it assigns (after assigning it) and removes those it
// deletes, so that shares follow the corpus.
type Counts struct {
	mu       sync.Mutex
	all      nameCounts
	bySource map[string]*nameCounts
}

type nameCounts struct {
	docs  int
	names map[string]int
}

func (c *nameCounts) add(names []string, d int) {
	if c.names == nil {
		c.names = make(map[string]int)
	}
	c.docs = max(0, c.docs+d) // removing what was never added changes nothing
	for n := range nameSet(names) {
		if c.names[n] += d; c.names[n] <= 0 {
			delete(c.names, n)
		}
	}
}

func (c *nameCounts) share(n string) float64 {
	if c == nil || c.docs < minCountedDocs {
		return 0
	}
	return float64(c.names[n]) / float64(c.docs)
}

// NewCounts returns empty Counts.
func NewCounts() *Counts { return &Counts{bySource: make(map[string]*nameCounts)} }

// Add counts the names of an article of source (empty when unknown).
func (c *Counts) Add(source string, names []string) { c.change(source, names, 1) }

// Remove uncounts what Add counted of an article.
func (c *Counts) Remove(source string, names []string) { c.change(source, names, -1) }

func (c *Counts) change(source string, names []string, d int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.all.add(names, d)
	if source == "" {
		return
	}
	s := c.bySource[source]
	if s == nil {
		s = &nameCounts{}
		c.bySource[source] = s
	}
	s.add(names, d)
}

// Share is the larger of name's share among all articles and among
// source's, each 0 until enough articles are counted.
func (c *Counts) Share(source, name string) float64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.all.share(name)
	if source != "" {
		s = max(s, c.bySource[source].share(name))
	}
	return s
}
