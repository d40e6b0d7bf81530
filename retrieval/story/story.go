// Package story decides which articles report the same event. An article
// joins the story of an earlier article when both name the same specific
// people, places and figures, were published within a few days of each
// other and are close in vector space, or when it re-publishes the same
// wire text; otherwise it starts a story of its own.
//
// The package is pure: Assign looks only at the article and the candidates
// the caller gives it (the index's nearest articles, say), so the same
// inputs always give the same story.
package story

import (
	"crypto/sha256"
	"encoding/hex"
	"math"
	"sort"
	"time"
)

// Article is what assignment knows of one article.
type Article struct {
	ID          string
	Published   time.Time // zero when unknown: such an article joins only by wire text
	Names       []string  // specific names, places and figures, without duplicates (see Names)
	Vector      []float32 // unit vector of the article's text
	Fingerprint Fingerprint
}

// Member is an article already assigned to a story.
type Member struct {
	Article
	Story string
	// RoundUp records that the article was assigned as a round-up
	// (Decision.Reason RoundUp): later reports never join it on names, or
	// every story it sums up would join one another through it.
	RoundUp bool
}

// Candidates gives the earlier articles an article might join: typically
// the nearest ones in the index within the time window. Assignment is as
// good as this set; it need not be ordered.
type Candidates interface {
	Candidates(a Article) ([]Member, error)
}

// Options tunes Assign. Zero values mean the defaults.
type Options struct {
	Window    time.Duration // how far apart in time two reports of one event may be; default DefaultWindow
	MinCosine float64       // vector similarity a join needs; default 0.35
	MinShared float64       // weight of shared names a join needs; default 6.5 (a full name, a place and a figure, say)
	WireText  float64       // fingerprint similarity that makes a re-publication; default 0.5
	// MinOverlap is the share of their names two articles must have in
	// common (shared weight over the geometric mean of their total
	// weights); default 0.25. It keeps a round-up of the day's news, which
	// shares a few names with every story, from joining them all together.
	MinOverlap float64
}

// DefaultWindow is how far apart in time two reports of one event may be
// by default: a caller picking candidates looks this far either side.
const DefaultWindow = 4 * 24 * time.Hour

// WithDefaults returns o with every zero field replaced by its default:
// what Assign uses, and what a caller choosing candidates must agree with.
func (o Options) WithDefaults() Options {
	if o.Window <= 0 {
		o.Window = DefaultWindow
	}
	if o.MinCosine <= 0 {
		o.MinCosine = 0.35
	}
	if o.MinShared <= 0 {
		o.MinShared = 6.5
	}
	if o.MinOverlap <= 0 {
		o.MinOverlap = 0.25
	}
	if o.WireText <= 0 {
		o.WireText = 0.5
	}
	return o
}

// Reason says why an article joined a story.
type Reason string

// The reasons of a Decision.
const (
	NewStory Reason = "new"     // no candidate was close enough
	SameWire Reason = "wire"    // the candidate carries the same wire text
	SameNews Reason = "news"    // shared names, close in time and in vector space
	RoundUp  Reason = "roundup" // it matches several stories: a summary of them, on its own
)

// roundUpStories is how many separate stories an article must match to be
// taken for a round-up of them. Two may be one event not yet merged.
const roundUpStories = 3

// Decision is the story an article belongs to.
type Decision struct {
	Story  string
	Reason Reason
	With   string  // the id of the candidate it joined; empty for a new story
	Shared float64 // weight of the names it shares with that candidate
	Cosine float64
}

// Assign decides the story of a among cands. It joins the story of the
// best-matching candidate (wire re-publications first, then the highest
// score) and otherwise starts a new story whose id is NewID(a). Ties are
// broken by candidate id, so the decision does not depend on their order.
func Assign(a Article, cands []Member, o Options) Decision {
	o = o.WithDefaults()
	names := nameSet(a.Names)
	// Which candidates are near in time and vectors: only they can join on
	// names, and only they judge which names are the beat's.
	near := make([]bool, len(cands))
	cosines := make([]float64, len(cands))
	for i, c := range cands {
		if c.Story == "" || c.ID == a.ID || !closeInTime(a.Published, c.Published, o.Window) {
			continue
		}
		cosines[i] = cosine(a.Vector, c.Vector)
		near[i] = cosines[i] >= o.MinCosine
	}
	spread := storiesPerName(names, cands, near)
	total := totalWeight(a.Names)
	best := Decision{Reason: NewStory}
	bestScore := math.Inf(-1)
	bestID := ""
	// The names a shares with each story it matches: two stories matched
	// on disjoint names are two events, and a sums up both.
	matched := make(map[string]map[string]bool)
	for i, c := range cands {
		if c.ID == a.ID || c.Story == "" {
			continue
		}
		var d Decision
		var score float64
		if wire := a.Fingerprint.Similarity(c.Fingerprint); wire >= o.WireText {
			d = Decision{Story: c.Story, Reason: SameWire, With: c.ID, Cosine: cosines[i]}
			score = 100 + wire
		} else {
			if !near[i] || c.RoundUp {
				continue
			}
			shared := sharedWeight(names, spread, c.Names)
			if shared < o.MinShared {
				continue
			}
			// The overlap compares like with like: undiscounted shared
			// weight against the undiscounted totals.
			if overlap := sharedWeight(names, nil, c.Names) / math.Sqrt(total*totalWeight(c.Names)); overlap < o.MinOverlap {
				continue
			}
			// A match counts towards a round-up even where the names come
			// too late in either article to join on.
			if matched[c.Story] == nil {
				matched[c.Story] = make(map[string]bool)
			}
			for _, n := range c.Names {
				if names[n] && nameWeight(n) >= 1 {
					matched[c.Story][n] = true
				}
			}
			if lateStart(a.Names, c.Names) || lateStart(c.Names, a.Names) {
				continue
			}
			d = Decision{Story: c.Story, Reason: SameNews, With: c.ID, Shared: shared, Cosine: cosines[i]}
			score = shared + 10*cosines[i]
		}
		if score > bestScore || (score == bestScore && c.ID < bestID) {
			best, bestScore, bestID = d, score, c.ID
		}
	}
	if best.Reason == SameNews && (len(matched) >= roundUpStories || twoEvents(matched, best.Story)) {
		// An article that matches several separate stories on their names,
		// or two on different names, is a round-up of them ("five things
		// to know today"), not a report of any one; joining it would tie
		// them together.
		best = Decision{Reason: RoundUp}
	}
	if best.Reason == NewStory || best.Reason == RoundUp {
		best.Story = NewID(a)
	}
	return best
}

// AssignFrom asks src for a's candidates and assigns it among them.
func AssignFrom(src Candidates, a Article, o Options) (Decision, error) {
	cands, err := src.Candidates(a)
	if err != nil {
		return Decision{}, err
	}
	return Assign(a, cands, o), nil
}

// NewID is the id of a story that a starts. It is derived from the
// founding article's id and text fingerprint and stored with every member,
// never recomputed: removing the founder leaves the other members' stored
// id (and so the story) as it was. Should the founder come back with the
// same text it joins its old story by fingerprint; with different text it
// gets a different id, so no new story can take over an old one's id.
func NewID(a Article) string {
	h := sha256.New()
	h.Write([]byte(a.ID))
	h.Write([]byte{0})
	for _, v := range a.Fingerprint {
		h.Write([]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
	}
	return "st-" + hex.EncodeToString(h.Sum(nil)[:8])
}

func closeInTime(a, b time.Time, window time.Duration) bool {
	if a.IsZero() || b.IsZero() {
		return false
	}
	d := a.Sub(b)
	return d <= window && d >= -window
}

// cosine is the cosine similarity of two vectors; 0 when either is empty
// or their lengths differ (vectors from different embedders never match).
func cosine(a, b []float32) float64 {
	if len(a) == 0 || len(a) != len(b) {
		return 0
	}
	var dot, na, nb float64
	for i := range a {
		dot += float64(a[i]) * float64(b[i])
		na += float64(a[i]) * float64(a[i])
		nb += float64(b[i]) * float64(b[i])
	}
	if na == 0 || nb == 0 {
		return 0
	}
	return dot / math.Sqrt(na*nb)
}

func nameSet(names []string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// storiesPerName counts, for each of the article's names, the distinct
// stories that carry it among the candidates near it (near[i]: close in
// time and vector space). A name carried by several such stories is the beat's ("White
// House", "Red Cross"), not the event's: the nearby candidates are the best
// judges of what is common on this beat.
func storiesPerName(names map[string]bool, cands []Member, near []bool) map[string]int {
	seen := make(map[string]map[string]bool)
	for i, c := range cands {
		if !near[i] {
			continue
		}
		for _, n := range c.Names {
			if !names[n] {
				continue
			}
			if seen[n] == nil {
				seen[n] = make(map[string]bool)
			}
			seen[n][c.Story] = true
		}
	}
	out := make(map[string]int, len(seen))
	for n, s := range seen {
		out[n] = len(s)
	}
	return out
}

// lateShare is how far into an article's names (which Names lists in
// text order) the first one it shares with another may come: reports of
// one event name it in their title or lead, while a round-up names the
// event it shares with a report only further down, after other stories.
const lateShare = 0.3

// lateStart reports whether the first name of x that y shares comes
// after lateShare of x's names.
func lateStart(x, y []string) bool {
	if len(x) == 0 {
		return false
	}
	ys := nameSet(y)
	for i, n := range x {
		if ys[n] && nameWeight(n) >= 1 {
			return float64(i) > lateShare*float64(len(x))
		}
	}
	return false
}

// totalWeight is the summed weight of names (which Names gives without
// duplicates).
func totalWeight(names []string) float64 {
	var w float64
	for _, n := range names {
		w += nameWeight(n)
	}
	return w
}

// sharedWeight sums the weights of the names of b that are also in a, each
// divided by the square root of the number of nearby stories that carry
// it: a name on two stories may still be this event's (a place with two
// events, or a story not yet merged), on ten it is the beat's.
func sharedWeight(a map[string]bool, spread map[string]int, b []string) float64 {
	var w float64
	for _, n := range b {
		if a[n] {
			w += nameWeight(n) / math.Sqrt(float64(max(1, spread[n])))
		}
	}
	return w
}

// Groups returns the members of each story, stories and members sorted by
// id: what a caller lists as "also reported by".
func Groups(ms []Member) map[string][]string {
	out := make(map[string][]string)
	for _, m := range ms {
		out[m.Story] = append(out[m.Story], m.ID)
	}
	for _, ids := range out {
		sort.Strings(ids)
	}
	return out
}

// twoEvents reports whether a story other than story was matched on names
// none of which story was matched on. Two stories of one event not yet
// merged share the event's names with a report of it; two stories an
// article matches on disjoint names are two events, and the article (a
// round-up whose other events have fewer reports yet than roundUpStories
// asks) reports neither alone.
func twoEvents(matched map[string]map[string]bool, story string) bool {
	mine := matched[story]
	if len(mine) == 0 {
		return false
	}
	for s, ns := range matched {
		if s == story || len(ns) == 0 {
			continue
		}
		disjoint := true
		for n := range ns {
			if mine[n] {
				disjoint = false
				break
			}
		}
		if disjoint {
			return true
		}
	}
	return false
}
