// Package index is the engine's in-memory search index: one chromem-go
// collection per scope for the chunk vectors, what ranking and filtering
// need to know about every article and chunk, and BM25 read from the
// library's full-text index. It is filled from the library's stored
// vectors and kept in step with it by the caller (Put, Remove); it never
// writes to the library.
package index

import (
	"context"
	"errors"
	"fmt"
	"github.com/attache-bot/attache/corpus/lang"
	"iter"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/attache-bot/attache/corpus"
	"github.com/attache-bot/attache/vector"
	chromem "github.com/philippgille/chromem-go"
)

// UnknownDay is the day key of chunks whose article has no publication
// date. Such articles are always visible (an unknown date is not "after the
// as-of date") and get no recency boost.
const UnknownDay = math.MinInt32

// Article is what the index keeps about an article to rank and filter
// without touching the library on the search path. Its text stays in the
// library (ChunkTexts) and its terms in the library's full-text index.
type Article struct {
	Scope     string
	Title     string
	Source    string
	URL       string
	Published time.Time
	StoryID   string // the article's story (corpus.Summary.StoryID)
	// StoryData is what story assignment stored of the article
	// (corpus.Summary.StoryData).
	StoryData string
	// Countries and Orgs are the gazetteer ids of what the article is
	// about (corpus.Summary); the index's copies, not to be modified.
	Countries, Orgs []string
	day             int32    // days since 1970-01-01 of Published, or UnknownDay
	chunkIDs        []string // in chunk order
	seq             int64    // the article's row in the library (its full-text row)
	ord             int32    // its slot in the index's article rows (rowTable)
}

// Chunk is what the index keeps about a chunk. Vector shares memory
// with the chromem-go document (both are read-only after insertion); search
// uses it to score every passage of a candidate article exactly.
type Chunk struct {
	ArticleID string
	Vector    []float32
	seq       int64 // the chunk's row in the library (its full-text row)
	ord       int32 // its slot in the index's passage rows (rowTable)
}

// scopeIndex is one scope's chromem-go collection plus the per-day chunk
// counts that let a time-filtered query size its over-fetch.
type scopeIndex struct {
	col  *chromem.Collection
	days map[int32]int // chunks per publication day
}

// Index is the in-memory index: one chromem-go collection per scope
// for the vectors and what search needs to know about every article and
// chunk, filled from the library's stored vectors and kept in step with
// it (Put, Remove). BM25 is the library's full-text index, read
// through a cache of term postings that every write clears. It is not
// safe for concurrent use by itself: the caller serialises writes and lets
// reads share a lock (chromem-go's Delete races with AddDocument, see
// libraries.md §0.7).
type Index struct {
	dim      int
	db       *chromem.DB
	scopes   map[string]*scopeIndex
	articles map[string]*Article
	chunks   map[string]Chunk
	// bySeq maps the library's row numbers, which key the full-text rows,
	// back to chunks and articles.
	chunkSeq   map[int64]string
	articleSeq map[int64]string
	// passageRows and articleRows number the chunks and articles densely,
	// so that BM25 sums scores in arrays rather than maps.
	passageRows, articleRows rowTable

	lib   corpus.Store // nil in tests of the vector part alone
	text  corpus.TextReader
	cache termCache
}

// errNoEmbedding is what the collections' embedding function returns: every
// vector is computed by the Engine's Embedder and passed in, so chromem-go
// must never embed anything itself (with a nil function it would install
// its OpenAI default, which reads OPENAI_API_KEY and calls the network).
var errNoEmbedding = errors.New("vector index: documents and queries must come with precomputed vectors")

func refuseEmbedding(context.Context, string) ([]float32, error) { return nil, errNoEmbedding }

// New returns an empty index of dim-dimensional vectors reading BM25 from
// lib's full-text index (lib nil: vectors only, BM25 finds nothing).
func New(dim int, lib corpus.Store) *Index {
	ix := &Index{
		dim:        dim,
		db:         chromem.NewDB(),
		scopes:     make(map[string]*scopeIndex),
		articles:   make(map[string]*Article),
		chunks:     make(map[string]Chunk),
		chunkSeq:   make(map[int64]string),
		articleSeq: make(map[int64]string),
		lib:        lib,
	}
	if lib != nil {
		ix.text = lib.Text()
	}
	return ix
}

// MinIDFArticles is the smallest corpus size idfShare assumes. In a
// corpus of a few articles every present word has a tiny IDF and every
// absent one the largest, so one word of the question missing from the
// only relevant article (a verb: "held" against "gathered") outweighed all
// the words it does contain, and a covered question read as not covered.
// Counting the corpus as at least this large keeps present words telling;
// from this size on, the real counts are used unchanged.
const MinIDFArticles = 1000

// IDFShare is the share of the IDF mass of terms for which has holds.
// A term no article contains weighs as much as the rarest possible term.
func (ix *Index) IDFShare(terms []string, has func(string) bool) float64 {
	n := float64(max(len(ix.articles), MinIDFArticles))
	maxIDF := math.Log(1 + (n+0.5)/0.5)
	total, found := 0.0, 0.0
	for _, t := range terms {
		idf := maxIDF
		if df := float64(ix.DF(t)); df > 0 {
			idf = math.Log(1 + (n-df+0.5)/(df+0.5))
		}
		total += idf
		if has(t) {
			found += idf
		}
	}
	if total <= 0 {
		return 0
	}
	return found / total
}

// Coverage returns the share of the IDF mass of terms that article info
// contains (0 when terms is empty).
func (ix *Index) Coverage(info *Article, terms []string) float64 {
	return ix.IDFShare(terms, func(t string) bool { return ix.has(info, t) })
}

// DayOf returns the day number of t, or UnknownDay for the zero time.
func DayOf(t time.Time) int32 {
	if t.IsZero() {
		return UnknownDay
	}
	return int32(math.Floor(float64(t.UTC().Unix()) / 86400))
}

// scope returns the scope's collection, creating it on first use.
func (ix *Index) scope(name string) (*scopeIndex, error) {
	if s, ok := ix.scopes[name]; ok {
		return s, nil
	}
	col, err := ix.db.CreateCollection("scope:"+name, map[string]string{"dim": fmt.Sprint(ix.dim)}, refuseEmbedding)
	if err != nil {
		return nil, fmt.Errorf("vector index: create collection for scope %q: %w", name, err)
	}
	s := &scopeIndex{col: col, days: make(map[int32]int)}
	ix.scopes[name] = s
	return s, nil
}

// Put adds or replaces article s with its stored chunks (vectors,
// no text): the one way an article enters the index, at start-up (fill)
// and after every write (Engine.index). An earlier version of the article
// is removed first, so that no stale chunk survives an update; on failure
// the index holds neither version.
func (ix *Index) Put(ctx context.Context, s corpus.Summary, chunks []corpus.StoredChunk) error {
	for _, c := range chunks {
		if len(c.Vector) != ix.dim {
			return fmt.Errorf("vector index: chunk %s has a %d-dimensional vector, want %d", c.ID, len(c.Vector), ix.dim)
		}
	}
	if err := ix.Remove(ctx, s.ID); err != nil {
		return err
	}
	scope := s.Scope
	if scope == "" {
		scope = corpus.SharedScope
	}
	si, err := ix.scope(scope)
	if err != nil {
		return err
	}
	info := &Article{
		Scope: scope, Title: s.Title, Source: s.Source, URL: s.URL,
		Published: s.Published, day: DayOf(s.Published), seq: s.Seq,
		StoryID: s.StoryID, StoryData: s.StoryData, Countries: s.Countries, Orgs: s.Orgs,
		chunkIDs: make([]string, 0, len(chunks)),
	}
	vecs := make([][]float32, len(chunks))
	for i, c := range chunks {
		vecs[i] = unitVector(c.Vector)
		// AddDocument, not AddDocuments: the latter starts a goroutine per
		// document, pure overhead with precomputed vectors.
		// No metadata: the index's own maps hold what search filters by,
		// and a map of three strings per chunk costs about 300 bytes, a
		// tenth of a 768-dimensional vector, for nothing.
		err := si.col.AddDocument(ctx, chromem.Document{ID: c.ID, Embedding: vecs[i]})
		if err != nil {
			// Undo what was added so that the index never holds half an
			// article.
			if i > 0 {
				_ = si.col.Delete(context.WithoutCancel(ctx), nil, nil, info.chunkIDs...)
			}
			return fmt.Errorf("vector index: add article %s: %w", s.ID, err)
		}
		info.chunkIDs = append(info.chunkIDs, c.ID)
	}
	for i, c := range chunks {
		ix.chunks[c.ID] = Chunk{ArticleID: s.ID, Vector: vecs[i], seq: c.Seq, ord: ix.passageRows.add(c.ID, info)}
		ix.chunkSeq[c.Seq] = c.ID
	}
	si.days[info.day] += len(chunks)
	info.ord = ix.articleRows.add(s.ID, info)
	ix.articles[s.ID] = info
	ix.articleSeq[s.Seq] = s.ID
	ix.cache.clear()
	return nil
}

// Remove deletes an article and its chunks; an unknown id is a no-op.
func (ix *Index) Remove(ctx context.Context, id string) error {
	info, ok := ix.articles[id]
	if !ok {
		return nil
	}
	s := ix.scopes[info.Scope]
	if s != nil && len(info.chunkIDs) > 0 {
		// Delete by ids with nil filter maps: a non-nil empty where map
		// would delete the whole collection (libraries.md §0.4). The
		// removal must complete even if the caller gave up, or the index
		// would drift from the library.
		if err := s.col.Delete(context.WithoutCancel(ctx), nil, nil, info.chunkIDs...); err != nil {
			return fmt.Errorf("vector index: remove article %s: %w", id, err)
		}
		s.days[info.day] -= len(info.chunkIDs)
		if s.days[info.day] <= 0 {
			delete(s.days, info.day)
		}
	}
	ix.forget(id, info)
	ix.cache.clear()
	return nil
}

// forget deletes what the index's own maps hold of article id (info),
// leaving its vectors to the caller.
func (ix *Index) forget(id string, info *Article) {
	for _, c := range info.chunkIDs {
		if ci, ok := ix.chunks[c]; ok {
			if ix.chunkSeq[ci.seq] == c {
				delete(ix.chunkSeq, ci.seq)
			}
			ix.passageRows.remove(ci.ord)
		}
		delete(ix.chunks, c)
	}
	if ix.articleSeq[info.seq] == id {
		delete(ix.articleSeq, info.seq)
	}
	ix.articleRows.remove(info.ord)
	delete(ix.articles, id)
}

// RemoveScope deletes every article of scope ("" = the shared scope) and
// the scope's collection, and returns the ids it removed: a process that
// stops serving a guild frees that guild's vectors at once. Dropping the
// whole collection, rather than each article's chunks, lets its memory go
// in one step. An unknown scope is a no-op.
func (ix *Index) RemoveScope(scope string) ([]string, error) {
	if scope == "" {
		scope = corpus.SharedScope
	}
	var ids []string
	for id, a := range ix.articles {
		if a.Scope == scope {
			ids = append(ids, id)
		}
	}
	if _, ok := ix.scopes[scope]; ok {
		if err := ix.db.DeleteCollection("scope:" + scope); err != nil {
			return nil, fmt.Errorf("vector index: remove scope %q: %w", scope, err)
		}
		delete(ix.scopes, scope)
	}
	for _, id := range ids {
		ix.forget(id, ix.articles[id])
	}
	ix.cache.clear()
	return ids, nil
}

// Texts returns the text of the chunks ids from the library, by id; a
// chunk removed meanwhile is absent.
func (ix *Index) Texts(ctx context.Context, ids []string) (map[string]string, error) {
	if ix.lib == nil || len(ids) == 0 {
		return map[string]string{}, nil
	}
	t, err := ix.lib.ChunkTexts(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("read passages: %w", err)
	}
	return t, nil
}

// DayRange is what a search may see: an inclusive range of day numbers
// (unknown-date chunks are always inside, see Contains) and, when Country
// or Org is set (a gazetteer id), only the articles about that country or
// organisation (Admits).
type DayRange struct {
	From, To     int32
	Country, Org string
}

// Between returns r with the day range from..to and r's other limits.
func (r DayRange) Between(from, to int32) DayRange {
	r.From, r.To = from, to
	return r
}

// Filtered reports whether r limits the articles by what they are about.
func (r DayRange) Filtered() bool { return r.Country != "" || r.Org != "" }

// Admits reports whether article a is inside r: its day (Contains) and
// what it is about.
func (r DayRange) Admits(a *Article) bool {
	if a == nil || !r.Contains(a.day) {
		return false
	}
	if r.Country != "" && !slices.Contains(a.Countries, r.Country) {
		return false
	}
	return r.Org == "" || slices.Contains(a.Orgs, r.Org)
}

// AllDays is the range that hides nothing.
var AllDays = DayRange{From: math.MinInt32 + 1, To: math.MaxInt32}

// Contains reports whether a chunk published on day is inside r. An
// unknown date passes the upper bound (nothing shows the article is from
// after the as-of date) but not a lower bound (a window such as "this week"
// asks for articles known to be recent) — the same rule as the library's
// full-text filters, so both retrievers agree on what is visible.
func (r DayRange) Contains(day int32) bool {
	if day == UnknownDay {
		return r.From == AllDays.From
	}
	return day >= r.From && day <= r.To
}

// visible counts the scope's chunks inside r.
func (s *scopeIndex) visible(r DayRange) int {
	n := 0
	for d, c := range s.days {
		if r.Contains(d) {
			n += c
		}
	}
	return n
}

// Hit is one chunk found by vector similarity.
type Hit struct {
	ChunkID    string
	ArticleID  string
	Similarity float64
}

// Query returns up to want chunks of the given scopes inside r, most
// similar to q first.
//
// chromem-go filters by exact metadata match only, so a date range cannot
// be pushed into it. When the range hides little of a collection, the query
// over-fetches in proportion and filters afterwards (asking again for the
// whole collection if that still yields too few). When the range hides most
// of it — a question as of a date long past — asking chromem-go for the
// whole collection would rank every chunk, so the index scans just the
// visible chunks itself (exact cosine, as chromem-go computes it). Either
// way the result is exact, not probabilistic.
func (ix *Index) Query(ctx context.Context, q []float32, scopes []string, r DayRange, want int) ([]Hit, error) {
	if want <= 0 {
		return nil, nil
	}
	var hits []Hit
	for _, name := range scopes {
		s := ix.scopes[name]
		if s == nil {
			continue
		}
		total := s.col.Count()
		vis := s.visible(r)
		if total == 0 || vis == 0 {
			// chromem-go rejects nResults > Count, also on an empty
			// collection (libraries.md §0.3).
			continue
		}
		need := min(want, vis)
		if vis*2 < total || r.Filtered() {
			// (Few articles are about one country or organisation, and
			// the per-day counts cannot tell how many: scanning them is
			// exact and cheap.)
			hits = append(hits, ix.Scan(q, name, r, need)...)
			continue
		}
		fetch := need
		if vis < total {
			// Expected visible share of the nearest chunks is vis/total;
			// fetch half as much again for safety.
			fetch = int(math.Ceil(float64(need) * float64(total) / float64(vis) * 1.5))
		}
		fetch = min(max(fetch, need), total)
		for {
			res, err := s.col.QueryEmbedding(ctx, q, fetch, nil, nil)
			if err != nil {
				return nil, fmt.Errorf("vector index: query scope %q: %w", name, err)
			}
			// A cancelled context makes chromem-go return partial results
			// without an error (libraries.md §0.5).
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			got := make([]Hit, 0, need)
			for _, d := range res {
				c, ok := ix.chunks[d.ID]
				if !ok {
					continue
				}
				a := ix.articles[c.ArticleID]
				if !r.Admits(a) {
					continue
				}
				got = append(got, Hit{ChunkID: d.ID, ArticleID: c.ArticleID, Similarity: float64(d.Similarity)})
				if len(got) == need {
					break
				}
			}
			if len(got) >= need || fetch >= total {
				hits = append(hits, got...)
				break
			}
			fetch = total
		}
	}
	return hits, nil
}

// Scan ranks the visible chunks of one scope by exact cosine similarity.
func (ix *Index) Scan(q []float32, scope string, r DayRange, want int) []Hit {
	q = unitVector(q)
	var ids []string
	var arts []string
	var sims []float64
	for id, a := range ix.articles {
		if a.Scope != scope || !r.Admits(a) {
			continue
		}
		for _, cid := range a.chunkIDs {
			ids = append(ids, cid)
			arts = append(arts, id)
			sims = append(sims, dot(q, ix.chunks[cid].Vector))
		}
	}
	// Rank by similarity, ties by chunk id (map order must not leak into
	// results).
	order := make([]int32, len(ids))
	for i := range order {
		order[i] = int32(i)
	}
	top := topHits(order, sims, want)
	out := make([]Hit, len(top))
	for i, h := range top {
		out[i] = Hit{ChunkID: ids[h.doc], ArticleID: arts[h.doc], Similarity: h.score}
	}
	slices.SortStableFunc(out, func(a, b Hit) int {
		switch {
		case a.Similarity > b.Similarity:
			return -1
		case a.Similarity < b.Similarity:
			return 1
		}
		return strings.Compare(a.ChunkID, b.ChunkID)
	})
	return out
}

// unitVector returns v if it already has unit length, else a normalised
// copy. Embedders promise unit vectors, but a stored vector from an
// OpenAI-compatible server may be off by rounding; chromem-go normalises
// what it is given, and the index's own copy must agree with it.
func unitVector(v []float32) []float32 {
	u, _ := vector.Vector(v).Unit()
	return u
}

// dot is the dot product of two vectors of equal length.
func dot(a, b []float32) float64 { return vector.Vector(a).Dot(b) }

// maxQueryTerms caps the distinct words taken from a question, so that a
// pasted essay does not turn into thousands of posting-list reads.
const maxQueryTerms = 32

// textHit is one document (by position in a caller's list) and its score.
type textHit struct {
	doc   int32
	score float64
}

// topHits returns the limit best of the touched documents, best first
// (ties by ordinal), using a bounded min-heap.
func topHits(touched []int32, scores []float64, limit int) []textHit {
	worse := func(a, b textHit) bool { return a.score < b.score || (a.score == b.score && a.doc > b.doc) }
	h := make([]textHit, 0, min(limit, len(touched)))
	down := func(i int) {
		for {
			l, m := 2*i+1, i
			if l < len(h) && worse(h[l], h[m]) {
				m = l
			}
			if r := l + 1; r < len(h) && worse(h[r], h[m]) {
				m = r
			}
			if m == i {
				return
			}
			h[i], h[m] = h[m], h[i]
			i = m
		}
	}
	for _, d := range touched {
		x := textHit{doc: d, score: scores[d]}
		if len(h) < limit {
			h = append(h, x)
			for i := len(h) - 1; i > 0; {
				p := (i - 1) / 2
				if !worse(h[i], h[p]) {
					break
				}
				h[i], h[p] = h[p], h[i]
				i = p
			}
		} else if worse(h[0], x) {
			h[0] = x
			down(0)
		}
	}
	slices.SortFunc(h, func(a, b textHit) int {
		if worse(b, a) {
			return -1
		}
		if worse(a, b) {
			return 1
		}
		return 0
	})
	return h
}

// QueryTerms turns a question into distinct index terms, in order, at most
// maxQueryTerms.
func QueryTerms(text string) []string {
	var out []string
	seen := make(map[string]bool)
	for _, s := range lang.Terms(text, nil) {
		if seen[s] {
			continue
		}
		seen[s] = true
		out = append(out, s)
		if len(out) == maxQueryTerms {
			break
		}
	}
	return out
}

// Stored returns what the index holds of article id's chunks, in the form
// the library delivers them (ids, rows and vectors).
func (ix *Index) Stored(id string) []corpus.StoredChunk {
	a := ix.articles[id]
	if a == nil {
		return nil
	}
	out := make([]corpus.StoredChunk, 0, len(a.chunkIDs))
	for _, cid := range a.chunkIDs {
		c := ix.chunks[cid]
		out = append(out, corpus.StoredChunk{Chunk: corpus.Chunk{ID: cid, ArticleID: id}, Seq: c.seq, Scope: a.Scope, Published: a.Published, Vector: c.Vector})
	}
	return out
}

// rowRef is one slot of a rowTable: a chunk or article id and its article
// (nil for a free slot).
type rowRef struct {
	id  string
	art *Article
}

// rowTable numbers rows densely; removed slots are reused, lowest first
// being unimportant (a slot is only an array index).
type rowTable struct {
	rows []rowRef
	free []int32
}

func (t *rowTable) add(id string, a *Article) int32 {
	if n := len(t.free); n > 0 {
		o := t.free[n-1]
		t.free = t.free[:n-1]
		t.rows[o] = rowRef{id: id, art: a}
		return o
	}
	t.rows = append(t.rows, rowRef{id: id, art: a})
	return int32(len(t.rows) - 1)
}

func (t *rowTable) remove(o int32) {
	if o < 0 || int(o) >= len(t.rows) || t.rows[o].art == nil {
		return
	}
	t.rows[o] = rowRef{}
	t.free = append(t.free, o)
}

// Day returns the article's publication day (days since 1970-01-01), or
// UnknownDay.
func (a *Article) Day() int32 { return a.day }

// ChunkIDs returns the article's chunk ids in chunk order. The slice is
// the index's own: callers must not modify it.
func (a *Article) ChunkIDs() []string { return a.chunkIDs }

// Article returns what the index holds about article id, or nil.
func (ix *Index) Article(id string) *Article { return ix.articles[id] }

// Chunk returns what the index holds about chunk id.
func (ix *Index) Chunk(id string) (Chunk, bool) {
	c, ok := ix.chunks[id]
	return c, ok
}

// Articles yields every article with its id, in no particular order.
func (ix *Index) Articles() iter.Seq2[string, *Article] {
	return func(yield func(string, *Article) bool) {
		for id, a := range ix.articles {
			if !yield(id, a) {
				return
			}
		}
	}
}

// Len returns the number of articles in the index.
func (ix *Index) Len() int { return len(ix.articles) }

// ChunkCount returns the number of chunks in the index.
func (ix *Index) ChunkCount() int { return len(ix.chunks) }

// Collection returns the chromem-go collection of scope, or nil: for
// benchmarks that compare the index's queries with chromem-go's own.
func (ix *Index) Collection(scope string) *chromem.Collection {
	if s := ix.scopes[scope]; s != nil {
		return s.col
	}
	return nil
}
