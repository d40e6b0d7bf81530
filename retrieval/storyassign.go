package retrieval

import (
	"cmp"
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/attache-bot/attache/corpus"
	"github.com/attache-bot/attache/corpus/gazetteer"
	"github.com/attache-bot/attache/retrieval/index"
	"github.com/attache-bot/attache/retrieval/story"
	"github.com/attache-bot/attache/vector"
)

// Story assignment at ingest: prepare (no lock) computes what story.Assign
// needs of the new article; write (under the lock) picks its candidates
// from the index, assigns it and stores the story id with what later
// articles need of it (StoryData). The vector of a stored article is not
// in StoryData: the index holds its chunk vectors.

// newStoryOptions are the options of an engine's assignments: the
// defaults, with name frequencies counted from the articles the engine's
// index holds (see recount), as the eval-corpus measurement
// (retrieval/story) assigns.
func newStoryOptions(counts *story.Counts) story.Options {
	return story.Options{Frequency: counts}.WithDefaults()
}

// storyCandidateArticles is how many of the nearest articles within the
// window an assignment compares with: enough to hold every report of the
// event and the beat's other stories that judge which names are common
// (story.Assign).
const storyCandidateArticles = 32

// Bounds of what StoryData keeps of an article's names, so that it stays
// well under corpus.MaxStoryDataBytes whatever the text: a name longer
// than maxStoryNameBytes is a run of words no other report repeats.
const (
	maxStoryNameBytes  = 200
	maxStoryNamesBytes = 32 << 10
)

// storyDataVersion starts every StoryData this engine writes, so that a
// later encoding can tell old data from new. Data of the earlier version,
// storyDataV1 (written before stories kept their start), is still read:
// its story start is unknown.
const (
	storyDataVersion = "s2"
	storyDataV1      = "s1"
)

// newStoryArticle is what prepare computes of an article for assignment: its
// names (bounded as StoryData stores them), fingerprint and vector.
func newStoryArticle(a corpus.Article, vecs [][]float32) *story.Article {
	countries, orgs := corpus.Entities(a.Title, a.Body)
	ents := make([]string, 0, len(countries)+len(orgs))
	for _, c := range countries {
		ents = append(ents, story.Entity(string(gazetteer.Country), c))
	}
	for _, o := range orgs {
		ents = append(ents, story.Entity(string(gazetteer.Organisation), o))
	}
	return &story.Article{
		ID:          a.ID,
		Published:   a.Published,
		Names:       boundNames(story.Names(a.Title, a.Body, ents...)),
		Vector:      articleVector(vecs),
		Fingerprint: story.NewFingerprint(a.Body),
		Source:      a.Source,
	}
}

// boundNames drops the names StoryData would not keep (see
// maxStoryNameBytes), so that the article is assigned with the names a
// later article will compare against.
func boundNames(names []string) []string {
	out := names[:0:0]
	total := 0
	for _, n := range names {
		if len(n) > maxStoryNameBytes || strings.ContainsRune(n, '\n') {
			continue
		}
		if total+len(n)+1 > maxStoryNamesBytes {
			break
		}
		total += len(n) + 1
		out = append(out, n)
	}
	return out
}

// articleVector is the vector of a whole article: the normalised mean of
// its chunk vectors (already computed for search: nothing is embedded
// twice). nil when there is none or they cancel out.
func articleVector(vecs [][]float32) []float32 {
	if len(vecs) == 0 {
		return nil
	}
	if len(vecs) == 1 {
		u, _ := vector.Vector(vecs[0]).Unit()
		return u
	}
	sum := make(vector.Vector, len(vecs[0]))
	for _, v := range vecs {
		if len(v) != len(sum) {
			return nil
		}
		for i, x := range v {
			sum[i] += x
		}
	}
	if !sum.Normalize() {
		return nil
	}
	return sum
}

// storyData is what StoryData holds of a member for later assignments.
type storyData struct {
	names   []string
	fp      story.Fingerprint
	roundUp bool
	start   time.Time // the story's start (story.Decision.Start); zero when unknown
}

// encodeStoryData writes d: a head line (the version, "roundup" for a
// round-up, "start=" and the story's start in RFC 3339), the fingerprint,
// then the names, one per line (no name holds a newline: Names splits on
// white space, and boundNames drops any other).
func encodeStoryData(d storyData) string {
	var b strings.Builder
	b.WriteString(storyDataVersion)
	if d.roundUp {
		b.WriteString(" roundup")
	}
	if !d.start.IsZero() {
		b.WriteString(" start=")
		b.WriteString(d.start.UTC().Format(time.RFC3339Nano))
	}
	b.WriteByte('\n')
	fp := make([]byte, 4*len(d.fp))
	for i, v := range d.fp {
		binary.BigEndian.PutUint32(fp[4*i:], v)
	}
	b.WriteString(base64.RawStdEncoding.EncodeToString(fp))
	for _, n := range d.names {
		b.WriteByte('\n')
		b.WriteString(n)
	}
	return b.String()
}

// errStoryData is returned for StoryData this engine did not write.
var errStoryData = errors.New("story data in an unknown format")

// decodeStoryData reads what encodeStoryData wrote, or its earlier
// version (no start).
func decodeStoryData(data string) (storyData, error) {
	var d storyData
	head, rest, _ := strings.Cut(data, "\n")
	if err := d.readHead(head); err != nil {
		return storyData{}, err
	}
	enc, rest, hasNames := strings.Cut(rest, "\n")
	raw, err := base64.RawStdEncoding.DecodeString(enc)
	if err != nil || len(raw)%4 != 0 {
		return storyData{}, errStoryData
	}
	if len(raw) > 0 {
		d.fp = make(story.Fingerprint, len(raw)/4)
		for i := range d.fp {
			d.fp[i] = binary.BigEndian.Uint32(raw[4*i:])
		}
	}
	if hasNames {
		d.names = strings.Split(rest, "\n")
	}
	return d, nil
}

// readHead reads the head line of StoryData into d.
func (d *storyData) readHead(head string) error {
	version, flags, _ := strings.Cut(head, " ")
	switch version {
	case storyDataV1:
		// Written before the start was kept: a round-up flag at most.
		if flags != "" && flags != "roundup" {
			return errStoryData
		}
		d.roundUp = flags == "roundup"
		return nil
	case storyDataVersion:
	default:
		return errStoryData
	}
	for _, f := range strings.Fields(flags) {
		switch v, ok := strings.CutPrefix(f, "start="); {
		case f == "roundup" && !d.roundUp:
			d.roundUp = true
		case ok && d.start.IsZero():
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil || t.IsZero() {
				return errStoryData
			}
			d.start = t
		default:
			return errStoryData
		}
	}
	return nil
}

// storyNames returns the names StoryData holds, without decoding the
// rest: what the name counts need of every article the index takes in.
// ok is false for data this engine cannot read.
func storyNames(data string) (names []string, ok bool) {
	head, rest, _ := strings.Cut(data, "\n")
	var d storyData
	if d.readHead(head) != nil {
		return nil, false
	}
	if _, rest, hasNames := strings.Cut(rest, "\n"); hasNames {
		return strings.Split(rest, "\n"), true
	}
	return nil, true
}

// storyScopes are the scopes whose articles an article of scope may join:
// its own, and for a guild's article the shared articles too, which the
// guild's answers cite beside its own (so "also reported by" can name
// them). A shared article joins only shared ones: its story must be the
// same for every guild and never depend on one guild's articles.
func storyScopes(scope string) []string {
	scope = normalizeScope(scope)
	if scope == corpus.SharedScope {
		return []string{scope}
	}
	return []string{scope, corpus.SharedScope}
}

// storyCandidates returns the stored articles a may join: the
// storyCandidateArticles nearest to it (by article vector) of storyScopes
// published within the window (for an article without a date, of any
// date: only a copy of the same wire text can join it). The caller holds
// the write lock.
func (e *Engine) storyCandidates(scope string, a *story.Article) []story.Member {
	if len(a.Vector) != e.emb.Dim() {
		return nil
	}
	r := index.AllDays
	if !a.Published.IsZero() {
		d := index.DayOf(a.Published)
		w := int32((e.storyOpts.Window + 24*time.Hour - 1) / (24 * time.Hour))
		r = r.Between(d-w, d+w)
	}
	scopes := storyScopes(scope)
	type near struct {
		id   string
		info *index.Article
		vec  []float32
		sim  float64
	}
	var all []near
	for id, info := range e.ix.Articles() {
		if id == a.ID || info.StoryID == "" || info.StoryData == "" || !index.InScopes(info, scopes, r) {
			continue // no story, or none this engine can compare with
		}
		v := e.storyVector(id, info)
		if len(v) != len(a.Vector) {
			continue
		}
		all = append(all, near{id, info, v, vector.Vector(a.Vector).Dot(v)})
	}
	slices.SortFunc(all, func(x, y near) int {
		if c := cmp.Compare(y.sim, x.sim); c != 0 {
			return c
		}
		return strings.Compare(x.id, y.id)
	})
	out := make([]story.Member, 0, min(len(all), storyCandidateArticles))
	for _, n := range all[:min(len(all), storyCandidateArticles)] {
		d, err := decodeStoryData(n.info.StoryData)
		if err != nil {
			continue
		}
		out = append(out, story.Member{
			Article: story.Article{ID: n.id, Published: n.info.Published, Names: d.names, Vector: n.vec,
				Fingerprint: d.fp, Source: n.info.Source},
			Story:   n.info.StoryID,
			RoundUp: d.roundUp,
			Start:   d.start,
		})
	}
	return out
}

// storyVector is the article vector (articleVector) of a stored article,
// computed from its chunk vectors in the index once and kept while the
// index holds that version of it (info). The cache is emptied when it
// reaches maxStoryVectors, so it holds the recent articles that new ones
// are compared with, not the whole library. The caller holds the write
// lock.
func (e *Engine) storyVector(id string, info *index.Article) []float32 {
	if c, ok := e.storyVecs[id]; ok && c.info == info {
		return c.vec
	}
	vecs := make([][]float32, 0, len(info.ChunkIDs()))
	for _, cid := range info.ChunkIDs() {
		if c, ok := e.ix.Chunk(cid); ok {
			vecs = append(vecs, c.Vector)
		}
	}
	v := articleVector(vecs)
	if e.storyVecs == nil || len(e.storyVecs) >= maxStoryVectors {
		e.storyVecs = make(map[string]storyVec)
	}
	e.storyVecs[id] = storyVec{info: info, vec: v}
	return v
}

// storyVec is a cached article vector and the index entry it was made
// from: a new version of the article is a new entry.
type storyVec struct {
	info *index.Article
	vec  []float32
}

// maxStoryVectors bounds the cached article vectors: a few days of a busy
// server's articles, 12 MB of 768-dimensional vectors.
const maxStoryVectors = 4096

// assignStory sets p's StoryID (unless the caller gave one: an article
// copied with its story keeps it) and StoryData. The caller holds the
// lock, so that the candidates include every article written before. The
// article's names are counted when the index takes it in (recount).
func (e *Engine) assignStory(p *prepared) {
	if p.story == nil {
		return
	}
	d := story.Assign(*p.story, e.storyCandidates(p.article.Scope, p.story), e.storyOpts)
	if p.article.StoryID == "" {
		p.article.StoryID = d.Story
	}
	p.article.StoryData = encodeStoryData(storyData{
		names: p.story.Names, fp: p.story.Fingerprint, roundUp: d.Reason == story.RoundUp, start: d.Start,
	})
}

// The name counts (Engine.counts) are those of the articles the index
// holds, so that they follow the library as the index does: articles
// stored by this engine, changes the follower applies from other
// processes, scopes held and dropped. Every change of the index goes
// through putIndex, removeIndex or Drop, which recount what changed.

// putIndex is e.ix.Put keeping the name counts in step.
func (e *Engine) putIndex(ctx context.Context, s corpus.Summary, chunks []corpus.StoredChunk) error {
	old := e.ix.Article(s.ID)
	err := e.ix.Put(ctx, s, chunks)
	e.recount(old, e.ix.Article(s.ID))
	return err
}

// removeIndex is e.ix.Remove keeping the name counts in step.
func (e *Engine) removeIndex(ctx context.Context, id string) error {
	old := e.ix.Article(id)
	err := e.ix.Remove(ctx, id)
	e.recount(old, e.ix.Article(id))
	return err
}

// recount moves the name counts from old to cur, the index's entries of
// one article before and after a change (nil when it held none; a new
// version of an article is a new entry). Articles without story data this
// engine can read are not counted: they would count as articles that
// carry no name.
func (e *Engine) recount(old, cur *index.Article) {
	if old == cur {
		return
	}
	if old != nil {
		if names, ok := storyNames(old.StoryData); ok {
			e.counts.Remove(old.Source, names)
		}
	}
	if cur != nil {
		if names, ok := storyNames(cur.StoryData); ok {
			e.counts.Add(cur.Source, names)
		}
	}
}
