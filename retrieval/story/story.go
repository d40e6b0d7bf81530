// Package story decides which articles report the same event. An article
// joins the story of an earlier article when both name the same specific
// people, places and figures in their titles and leads, were published
// within a few days of each other and of the story's first report, and are
// close in vector space, or when it re-publishes the same wire text;
// otherwise it starts a story of its own. Given how common each name is
// (Options.Frequency, see Counts), names most articles or an outlet's
// pages carry weigh little.
//
// The package is pure: Assign looks only at the article, the candidates
// the caller gives it (the index's nearest articles, say) and the
// frequencies it is given, so the same inputs always give the same story.
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
	// Source is the outlet that published the article; empty when
	// unknown. With Options.Frequency it tells an outlet's page furniture
	// (names recurring across its articles) from the event's names.
	Source string
}

// Member is an article already assigned to a story.
type Member struct {
	Article
	Story string
	// RoundUp records that the article was assigned as a round-up
	// (Decision.Reason RoundUp): later reports never join it on names, or
	// every story it sums up would join one another through it.
	RoundUp bool
	// Start is when the member's story began: the Decision.Start of its
	// assignment, stored with it. Reports join a story only within
	// Options.Window of its start, so that a story cannot drift from one
	// event to the next through a chain of reports a few days apart. Zero
	// means unknown: the member's own Published date stands in.
	Start time.Time
}

// start is when m's story began, as far as m knows.
func (m Member) start() time.Time {
	if m.Start.IsZero() || (!m.Published.IsZero() && m.Published.Before(m.Start)) {
		return m.Published
	}
	return m.Start
}

// Candidates gives the earlier articles an article might join: typically
// the nearest ones in the index within the time window. Assignment is as
// good as this set; it need not be ordered.
type Candidates interface {
	Candidates(a Article) ([]Member, error)
}

// Options tunes Assign. Zero values mean the defaults.
type Options struct {
	Window    time.Duration // how far apart in time two reports of one event, or a report and its story's start, may be; default DefaultWindow
	MinCosine float64       // vector similarity a join needs; default 0.35
	MinShared float64       // weight of shared names a join needs; default 6.5 (a full name, a place and a figure, say)
	WireText  float64       // fingerprint similarity that makes a re-publication; default 0.5
	// MinOverlap is the share of their names two articles must have in
	// common (shared weight over the geometric mean of their total
	// weights); default 0.25. It keeps a round-up of the day's news, which
	// shares a few names with every story, from joining them all together.
	MinOverlap float64
	// CloseCosine is the vector similarity at which half of MinShared and
	// of MinOverlap suffice: two short reports of one event, close in
	// wording, share few names. Default 0.6.
	CloseCosine float64
	// Frequency, when set, tells how common each name is, so that names
	// most articles carry (a beat's people, an outlet's furniture) weigh
	// little; nil weighs every name by its kind alone. See Counts.
	Frequency Frequency
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
	if o.CloseCosine <= 0 {
		o.CloseCosine = 0.6
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
	// Start is when the story began: the joined member's story start, or
	// a's Published date when a starts the story or is earlier. The caller
	// stores it as the Member's Start.
	Start time.Time
}

// Assign decides the story of a among cands. It joins the story of the
// best-matching candidate (wire re-publications first, then the highest
// score) and otherwise starts a new story whose id is NewID(a). Ties are
// broken by candidate id, so the decision does not depend on their order.
func Assign(a Article, cands []Member, o Options) Decision {
	o = o.WithDefaults()
	names := nameSet(a.Names)
	// Which candidates are near in time and vectors: only they can join on
	// names, and only they judge which names are the beat's. Near in time
	// means near the candidate and near its story's start.
	near := make([]bool, len(cands))
	cosines := make([]float64, len(cands))
	for i, c := range cands {
		if c.Story == "" || c.ID == a.ID || !closeInTime(a.Published, c.Published, o.Window) || !closeInTime(a.Published, c.start(), o.Window) {
			continue
		}
		cosines[i] = cosine(a.Vector, c.Vector)
		near[i] = cosines[i] >= o.MinCosine
	}
	spread := storiesPerName(names, cands, near)
	rareA := o.rarity(a.Source)
	total := totalWeight(a.Names, rareA)
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
			d = Decision{Story: c.Story, Reason: SameWire, With: c.ID, Cosine: cosines[i], Start: c.start()}
			score = 100 + wire
		} else {
			if !near[i] || c.RoundUp {
				continue
			}
			// A name shared with an outlet's furniture is as common as
			// the more common of the two outlets makes it.
			rareC := o.rarity(c.Source)
			rare := func(n string) float64 { return min(rareA(n), rareC(n)) }
			shared := sharedWeight(names, spread, c.Names, rare)
			// The overlap compares like with like: undiscounted shared
			// weight against the undiscounted totals.
			overlap := sharedWeight(names, nil, c.Names, rare) / math.Sqrt(total*totalWeight(c.Names, rareC))
			if !o.joins(shared, overlap, cosines[i], lateness(a.Published, c)) {
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
			if lateStart(a.Names, c.Names, rareA) || lateStart(c.Names, a.Names, rareC) {
				continue
			}
			d = Decision{Story: c.Story, Reason: SameNews, With: c.ID, Shared: shared, Cosine: cosines[i], Start: c.start()}
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
		best.Start = a.Published
	} else if best.Start.IsZero() || (!a.Published.IsZero() && a.Published.Before(best.Start)) {
		best.Start = a.Published
	}
	return best
}

// joins reports whether names shared with a candidate near in time and
// vectors make one event: enough shared weight that is a large enough
// share of both articles' names (a share that grows with late, the days
// past the first between the report and the story), or, for a candidate
// very close in vectors, a smaller weight and share.
func (o Options) joins(shared, overlap, cos, late float64) bool {
	minOverlap := o.MinOverlap * (1 + lateOverlap*late)
	if shared >= o.MinShared && overlap >= minOverlap {
		return true
	}
	// Without a Frequency the shared names may be a beat's or an
	// outlet's, not strong evidence: only the full rule joins.
	return o.Frequency != nil && cos >= o.CloseCosine && shared >= closeShared*o.MinShared && overlap >= closeShared*minOverlap
}

// lateOverlap is how much MinOverlap grows per day a report comes after
// the first day of the story (or of the candidate): reports of one event
// mostly come within a day of it, while the same people and places in
// the news two or three days on are as often the next event on the beat
// (the next round of a tournament, the next day of a war).
const lateOverlap = 0.5

// lateness is how many days past the first a report at t comes after
// the start of c's story or c itself, whichever is further.
func lateness(t time.Time, c Member) float64 {
	d := max(t.Sub(c.start()), c.Published.Sub(t), t.Sub(c.Published)).Hours() / 24
	return max(0, d-1)
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
// Names lists the names of the title and lead only, so this is a share of
// the lead, by weight: its first sentence or two.
const lateShare = 0.2

// lateStart reports whether the first name of x that y shares comes
// after lateShare of x's names, counted by weight (see rarity): an
// outlet's furniture at the top of every page does not push a report's
// first names down.
func lateStart(x, y []string, rare func(string) float64) bool {
	ys := nameSet(y)
	var before, total float64
	first := -1
	for i, n := range x {
		w := nameWeight(n) * rare(n)
		if first < 0 && ys[n] && nameWeight(n) >= 1 {
			first = i
		}
		if first < 0 {
			before += w
		}
		total += w
	}
	return first >= 0 && before > lateShare*total
}

// totalWeight is the summed weight of names (which Names gives without
// duplicates).
func totalWeight(names []string, rare func(string) float64) float64 {
	var w float64
	for _, n := range names {
		w += nameWeight(n) * rare(n)
	}
	return w
}

// sharedWeight sums the weights of the names of b that are also in a, each
// divided by the square root of the number of nearby stories that carry
// it: a name on two stories may still be this event's (a place with two
// events, or a story not yet merged), on ten it is the beat's.
func sharedWeight(a map[string]bool, spread map[string]int, b []string, rare func(string) float64) float64 {
	var w float64
	for _, n := range b {
		if a[n] {
			w += nameWeight(n) * rare(n) / math.Sqrt(float64(max(1, spread[n])))
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
