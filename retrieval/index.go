package retrieval

import (
	"context"
	"errors"
	"fmt"
	"github.com/attache-bot/attache/corpus/lang"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/attache-bot/attache/corpus"
	chromem "github.com/philippgille/chromem-go"
)

// Metadata keys stored with every chromem-go document (one per chunk). The
// index keeps its own maps for everything search needs, so these mainly make
// the collections self-describing and usable with chromem-go's exact-match
// filters.
const (
	metaArticleID = "article_id"
	metaPublished = "published"
	metaScope     = "scope"
)

// unknownDay is the day key of chunks whose article has no publication
// date. Such articles are always visible (an unknown date is not "after the
// as-of date") and get no recency boost.
const unknownDay = math.MinInt32

// articleInfo is what the index keeps about an article to build passages
// without touching the library on the search path.
type articleInfo struct {
	Scope     string
	Title     string
	Source    string
	URL       string
	Published time.Time
	day       int32    // days since 1970-01-01 of Published, or unknownDay
	chunkIDs  []string // in chunk order
	textDoc   int32    // ordinal in the article text index, -1 = none
	terms     []uint64 // sorted hashes of the article's index terms (coverage)
}

// chunkInfo is what the index keeps about a chunk. Vector shares memory
// with the chromem-go document (both are read-only after insertion); search
// uses it to score every passage of a candidate article exactly.
type chunkInfo struct {
	ArticleID string
	Text      string
	Vector    []float32
	textDoc   int32 // ordinal in the passage text index
}

// scopeIndex is one scope's chromem-go collection plus the per-day chunk
// counts that let a time-filtered query size its over-fetch.
type scopeIndex struct {
	col  *chromem.Collection
	days map[int32]int // chunks per publication day
}

// vectorIndex is the in-memory index: one chromem-go collection per scope
// for the vectors, plus BM25 text indexes over passages and whole articles
// (see textIndex), filled from the library's stored chunks and vectors and
// kept in step with it. It is not safe for concurrent use by itself: the Engine serialises writes and
// lets reads share its lock (chromem-go's Delete races with AddDocument, see
// libraries.md §0.7).
type vectorIndex struct {
	dim      int
	db       *chromem.DB
	scopes   map[string]*scopeIndex
	articles map[string]*articleInfo
	chunks   map[string]chunkInfo

	// BM25 over passages (title + passage text) and over whole articles
	// (title + all passages); the slices map text-index ordinals back.
	passageText *textIndex
	articleText *textIndex
	passageOf   []string       // passage ordinal → chunk id
	articleOf   []string       // article ordinal → article id
	passageArt  []*articleInfo // passage ordinal → its article (visibility checks without map lookups)
	articleArt  []*articleInfo // article ordinal → the article
	// pending accumulates the terms of the article whose stored chunks
	// are being loaded (start-up fill delivers an article's chunks
	// together).
	pendingID    string
	pendingTerms map[string]int
	scratch      []string
}

// errNoEmbedding is what the collections' embedding function returns: every
// vector is computed by the Engine's Embedder and passed in, so chromem-go
// must never embed anything itself (with a nil function it would install
// its OpenAI default, which reads OPENAI_API_KEY and calls the network).
var errNoEmbedding = errors.New("vector index: documents and queries must come with precomputed vectors")

func refuseEmbedding(context.Context, string) ([]float32, error) { return nil, errNoEmbedding }

func newVectorIndex(dim int) *vectorIndex {
	return &vectorIndex{
		dim:      dim,
		db:       chromem.NewDB(),
		scopes:   make(map[string]*scopeIndex),
		articles: make(map[string]*articleInfo),
		chunks:   make(map[string]chunkInfo),

		passageText:  newTextIndex(),
		articleText:  newTextIndex(),
		pendingTerms: make(map[string]int),
	}
}

// indexPassage adds a passage of article info to the passage text index,
// adds its terms (without the title) to artTerms, and returns its ordinal.
func (ix *vectorIndex) indexPassage(chunkID string, info *articleInfo, text string, artTerms map[string]int) int32 {
	title := info.Title
	tf := make(map[string]int)
	ix.scratch = textTerms(title, titleRepeat, tf, ix.scratch)
	body := make(map[string]int)
	ix.scratch = textTerms(text, 1, body, ix.scratch)
	for t, n := range body {
		tf[t] += n
		artTerms[t] += n
	}
	doc := ix.passageText.add(tf)
	ix.passageOf = setAt(ix.passageOf, doc, chunkID)
	ix.passageArt = setAt(ix.passageArt, doc, info)
	return doc
}

// setAt stores v at s[i], growing s as needed, and returns s: the text
// indexes hand out document numbers that the per-document slices follow.
func setAt[T any](s []T, i int32, v T) []T {
	if n := int(i) + 1; n > len(s) {
		s = append(s, make([]T, n-len(s))...)
	}
	s[i] = v
	return s
}

// indexArticle adds an article (title + the passage terms gathered in
// terms) to the article text index.
func (ix *vectorIndex) indexArticle(id string, info *articleInfo, terms map[string]int) {
	ix.scratch = textTerms(info.Title, titleRepeat, terms, ix.scratch)
	doc := ix.articleText.add(terms)
	ix.articleOf = setAt(ix.articleOf, doc, id)
	ix.articleArt = setAt(ix.articleArt, doc, info)
	info.textDoc = doc
	info.terms = make([]uint64, 0, len(terms))
	for t := range terms {
		info.terms = append(info.terms, hashString(seedWord, t))
	}
	slices.Sort(info.terms)
}

// minIDFArticles is the smallest corpus size idfShare assumes. In a
// corpus of a few articles every present word has a tiny IDF and every
// absent one the largest, so one word of the question missing from the
// only relevant article (a verb: "held" against "gathered") outweighed all
// the words it does contain, and a covered question read as not covered.
// Counting the corpus as at least this large keeps present words telling;
// from this size on, the real counts are used unchanged.
const minIDFArticles = 1000

// idfShare is the share of the IDF mass of terms for which has holds.
// A term no article contains weighs as much as the rarest possible term.
func (ix *vectorIndex) idfShare(terms []string, has func(string) bool) float64 {
	n := float64(max(ix.articleText.live, minIDFArticles))
	maxIDF := math.Log(1 + (n+0.5)/0.5)
	total, found := 0.0, 0.0
	for _, t := range terms {
		idf := maxIDF
		if df := float64(len(ix.articleText.postings[t])); df > 0 {
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

// coverage returns the share of the IDF mass of terms that article info
// contains (0 when terms is empty).
func (ix *vectorIndex) coverage(info *articleInfo, terms []string) float64 {
	return ix.idfShare(terms, func(t string) bool {
		_, ok := slices.BinarySearch(info.terms, hashString(seedWord, t))
		return ok
	})
}

// dayOf returns the day number of t, or unknownDay for the zero time.
func dayOf(t time.Time) int32 {
	if t.IsZero() {
		return unknownDay
	}
	return int32(math.Floor(float64(t.UTC().Unix()) / 86400))
}

// scope returns the scope's collection, creating it on first use.
func (ix *vectorIndex) scope(name string) (*scopeIndex, error) {
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

// put adds or replaces an article and its chunks. vectors[i] belongs to
// chunks[i]. An earlier version of the article (also in another scope) is
// removed first, so that no stale chunk survives an update.
func (ix *vectorIndex) put(ctx context.Context, a corpus.Article, chunks []corpus.Chunk, vectors [][]float32) error {
	if len(chunks) != len(vectors) {
		return fmt.Errorf("vector index: %d chunks but %d vectors", len(chunks), len(vectors))
	}
	for i, v := range vectors {
		if len(v) != ix.dim {
			return fmt.Errorf("vector index: chunk %s has a %d-dimensional vector, want %d", chunks[i].ID, len(v), ix.dim)
		}
	}
	if err := ix.remove(ctx, a.ID); err != nil {
		return err
	}
	s, err := ix.scope(a.Scope)
	if err != nil {
		return err
	}
	info := &articleInfo{
		Scope: a.Scope, Title: a.Title, Source: a.Source, URL: a.URL,
		Published: a.Published, day: dayOf(a.Published), textDoc: -1,
	}
	published := ""
	if !a.Published.IsZero() {
		published = a.Published.UTC().Format(corpus.DateLayout)
	}
	docs := make([]chromem.Document, len(chunks))
	for i, c := range chunks {
		docs[i] = chromem.Document{
			ID:        c.ID,
			Metadata:  map[string]string{metaArticleID: a.ID, metaPublished: published, metaScope: a.Scope},
			Embedding: unitVector(vectors[i]),
		}
	}
	for i, d := range docs {
		// AddDocument, not AddDocuments: the latter starts a goroutine per
		// document, pure overhead with precomputed vectors.
		if err := s.col.AddDocument(ctx, d); err != nil {
			// Undo what was added so that the index never holds half an
			// article.
			ids := make([]string, i)
			for j := range i {
				ids[j] = docs[j].ID
			}
			if i > 0 {
				_ = s.col.Delete(context.WithoutCancel(ctx), nil, nil, ids...)
			}
			return fmt.Errorf("vector index: add article %s: %w", a.ID, err)
		}
	}
	artTerms := make(map[string]int)
	for i, c := range chunks {
		info.chunkIDs = append(info.chunkIDs, c.ID)
		ix.chunks[c.ID] = chunkInfo{ArticleID: a.ID, Text: c.Text, Vector: docs[i].Embedding,
			textDoc: ix.indexPassage(c.ID, info, c.Text, artTerms)}
	}
	ix.indexArticle(a.ID, info, artTerms)
	s.days[info.day] += len(chunks)
	ix.articles[a.ID] = info
	return nil
}

// remove deletes an article and its chunks; an unknown id is a no-op.
func (ix *vectorIndex) remove(ctx context.Context, id string) error {
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
	for _, c := range info.chunkIDs {
		if ci, ok := ix.chunks[c]; ok {
			ix.passageText.remove(ci.textDoc)
			ix.passageOf[ci.textDoc] = ""
			ix.passageArt[ci.textDoc] = nil
		}
		delete(ix.chunks, c)
	}
	if info.textDoc >= 0 {
		ix.articleText.remove(info.textDoc)
		ix.articleOf[info.textDoc] = ""
		ix.articleArt[info.textDoc] = nil
	}
	delete(ix.articles, id)
	return nil
}

// dayRange is an inclusive range of day numbers; unknown-date chunks are
// always inside.
type dayRange struct{ from, to int32 }

// allDays is the range that hides nothing.
var allDays = dayRange{from: math.MinInt32 + 1, to: math.MaxInt32}

// contains reports whether a chunk published on day is inside r. An
// unknown date passes the upper bound (nothing shows the article is from
// after the as-of date) but not a lower bound (a window such as "this week"
// asks for articles known to be recent) — the same rule as the library's
// full-text filters, so both retrievers agree on what is visible.
func (r dayRange) contains(day int32) bool {
	if day == unknownDay {
		return r.from == allDays.from
	}
	return day >= r.from && day <= r.to
}

// visible counts the scope's chunks inside r.
func (s *scopeIndex) visible(r dayRange) int {
	n := 0
	for d, c := range s.days {
		if r.contains(d) {
			n += c
		}
	}
	return n
}

// vectorHit is one chunk found by vector similarity.
type vectorHit struct {
	ChunkID    string
	ArticleID  string
	Similarity float64
}

// query returns up to want chunks of the given scopes inside r, most
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
func (ix *vectorIndex) query(ctx context.Context, q []float32, scopes []string, r dayRange, want int) ([]vectorHit, error) {
	if want <= 0 {
		return nil, nil
	}
	var hits []vectorHit
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
		if vis*2 < total {
			hits = append(hits, ix.scan(q, name, r, need)...)
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
			got := make([]vectorHit, 0, need)
			for _, d := range res {
				c, ok := ix.chunks[d.ID]
				if !ok {
					continue
				}
				a := ix.articles[c.ArticleID]
				if a == nil || !r.contains(a.day) {
					continue
				}
				got = append(got, vectorHit{ChunkID: d.ID, ArticleID: c.ArticleID, Similarity: float64(d.Similarity)})
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

// scan ranks the visible chunks of one scope by exact cosine similarity.
func (ix *vectorIndex) scan(q []float32, scope string, r dayRange, want int) []vectorHit {
	q = unitVector(q)
	var ids []string
	var arts []string
	var sims []float64
	for id, a := range ix.articles {
		if a.Scope != scope || !r.contains(a.day) {
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
	out := make([]vectorHit, len(top))
	for i, h := range top {
		out[i] = vectorHit{ChunkID: ids[h.doc], ArticleID: arts[h.doc], Similarity: h.score}
	}
	slices.SortStableFunc(out, func(a, b vectorHit) int {
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

// addArticle records an article's metadata before its stored chunks are
// loaded (start-up fill).
func (ix *vectorIndex) addArticle(id string, info *articleInfo) {
	ix.articles[id] = info
}

// addStoredChunk adds one stored chunk with its vector (start-up fill). Its
// article should have been recorded with addArticle; if the library
// returned a chunk without a listed article, the chunk's own scope and date
// are used so that nothing stored is silently unsearchable.
func (ix *vectorIndex) addStoredChunk(ctx context.Context, c corpus.StoredChunk) error {
	if len(c.Vector) != ix.dim {
		return fmt.Errorf("chunk %s has a %d-dimensional vector, want %d", c.ID, len(c.Vector), ix.dim)
	}
	info := ix.articles[c.ArticleID]
	if info == nil {
		info = &articleInfo{Scope: c.Scope, Published: c.Published, day: dayOf(c.Published), textDoc: -1}
		ix.articles[c.ArticleID] = info
	}
	if c.ArticleID != ix.pendingID {
		ix.flushPending()
		ix.pendingID = c.ArticleID
	}
	s, err := ix.scope(info.Scope)
	if err != nil {
		return err
	}
	published := ""
	if info.day != unknownDay {
		published = info.Published.UTC().Format(corpus.DateLayout)
	}
	vec := unitVector(c.Vector)
	err = s.col.AddDocument(ctx, chromem.Document{
		ID:        c.ID,
		Metadata:  map[string]string{metaArticleID: c.ArticleID, metaPublished: published, metaScope: info.Scope},
		Embedding: vec,
	})
	if err != nil {
		return fmt.Errorf("index chunk %s: %w", c.ID, err)
	}
	if old, dup := ix.chunks[c.ID]; dup {
		ix.passageText.remove(old.textDoc)
	} else {
		info.chunkIDs = append(info.chunkIDs, c.ID)
		s.days[info.day]++
	}
	ix.chunks[c.ID] = chunkInfo{ArticleID: c.ArticleID, Text: c.Text, Vector: vec,
		textDoc: ix.indexPassage(c.ID, info, c.Text, ix.pendingTerms)}
	return nil
}

// flushPending indexes the article whose stored chunks were just loaded.
// Should the library ever deliver an article's chunks apart, the article
// is re-indexed from all its passages.
func (ix *vectorIndex) flushPending() {
	id := ix.pendingID
	ix.pendingID = ""
	info := ix.articles[id]
	if id == "" || info == nil {
		clear(ix.pendingTerms)
		return
	}
	terms := ix.pendingTerms
	if info.textDoc >= 0 {
		ix.articleText.remove(info.textDoc)
		ix.articleOf[info.textDoc] = ""
		ix.articleArt[info.textDoc] = nil
		terms = make(map[string]int)
		for _, cid := range info.chunkIDs {
			ix.scratch = textTerms(ix.chunks[cid].Text, 1, terms, ix.scratch)
		}
	}
	ix.indexArticle(id, info, terms)
	ix.pendingTerms = make(map[string]int)
}

// unitVector returns v if it already has unit length, else a normalised
// copy. Embedders promise unit vectors, but a stored vector from an
// OpenAI-compatible server may be off by rounding; chromem-go normalises
// what it is given, and the index's own copy must agree with it.
func unitVector(v []float32) []float32 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	if math.Abs(s-1) < 1e-4 || s == 0 {
		return v
	}
	out := make([]float32, len(v))
	inv := 1 / math.Sqrt(s)
	for i, x := range v {
		out[i] = float32(float64(x) * inv)
	}
	return out
}

// dot is the dot product of two vectors of equal length.
func dot(a, b []float32) float64 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return float64(s0 + s1 + s2 + s3)
}

// Default BM25 parameters (the usual values; FTS5 uses the same).
const (
	defaultBM25K1 = 1.2
	defaultBM25B  = 0.75
	// titleRepeat counts title words this many times in every passage and
	// article: a question's key words in a headline are strong evidence.
	titleRepeat = 2
	// maxQueryTerms caps the distinct words taken from a question, so that
	// a pasted essay does not turn into thousands of posting-list scans.
	maxQueryTerms = 32
)

// posting is one document (passage or article, by ordinal) containing a
// term, with the term's frequency.
type posting struct {
	doc int32
	tf  uint16
}

// textIndex is an in-memory BM25 index over documents identified by small
// ordinals. Removal leaves tombstones that queries skip; postings are
// compacted once tombstones outnumber a quarter of the live documents.
//
// Why in memory and not the library's FTS5 index: FTS5 answers an OR query
// over passages by scoring every matching row and joining each with its
// article for the scope and date filters; on the 2,708-article evaluation
// corpus that took 30–130 ms per question, against a 30 ms budget for the
// whole answer. The in-memory index scores the same BM25 in about a
// millisecond, and is kept in step under the same lock as the vectors.
type textIndex struct {
	postings map[string][]posting
	length   []int32 // document length in terms; -1 = removed
	live     int     // documents not removed
	tombs    []int32 // removed ordinals whose postings are not yet compacted
	totalLen int64   // sum of live lengths
	free     []int32 // compacted ordinals, reused by add
}

func newTextIndex() *textIndex {
	return &textIndex{postings: make(map[string][]posting)}
}

// textTerms returns the index terms of text with their frequencies: the
// embedder's tokens, stop words dropped, stemmed.
func textTerms(text string, repeat int, into map[string]int, scratch []string) []string {
	scratch = lang.Tokenize(text, scratch[:0])
	for _, w := range scratch {
		if lang.Stop.Has(w) || len(w) > maxWordBytes {
			continue
		}
		into[lang.Stem(w)] += repeat
	}
	return scratch
}

// add indexes a document with the given term frequencies and returns its
// ordinal.
func (t *textIndex) add(tf map[string]int) int32 {
	var doc int32
	if n := len(t.free); n > 0 {
		doc = t.free[n-1]
		t.free = t.free[:n-1]
	} else {
		doc = int32(len(t.length))
		t.length = append(t.length, 0)
	}
	n := 0
	for term, f := range tf {
		t.postings[term] = append(t.postings[term], posting{doc: doc, tf: uint16(min(f, math.MaxUint16))})
		n += f
	}
	t.length[doc] = int32(n)
	t.live++
	t.totalLen += int64(n)
	return doc
}

// remove tombstones a document.
func (t *textIndex) remove(doc int32) {
	if doc < 0 || int(doc) >= len(t.length) || t.length[doc] < 0 {
		return
	}
	t.totalLen -= int64(t.length[doc])
	t.length[doc] = -1
	t.live--
	t.tombs = append(t.tombs, doc)
	if len(t.tombs) > 64 && len(t.tombs)*4 > t.live {
		t.compact()
	}
}

// compact drops the postings of removed documents and frees their
// ordinals for reuse.
func (t *textIndex) compact() {
	for term, ps := range t.postings {
		out := ps[:0]
		for _, p := range ps {
			if t.length[p.doc] >= 0 {
				out = append(out, p)
			}
		}
		if len(out) == 0 {
			delete(t.postings, term)
		} else {
			t.postings[term] = out
		}
	}
	// Freed ordinals stay marked removed (length −1) until add reuses
	// them, so removing one again is still a no-op.
	t.free = append(t.free, t.tombs...)
	t.tombs = t.tombs[:0]
	// Reuse low ordinals first: keeps the dense score arrays of queries
	// small after many removals.
	slices.Sort(t.free)
	slices.Reverse(t.free)
}

// textHit is one document matched by a BM25 query.
type textHit struct {
	doc   int32
	score float64
}

// search scores every live document for which visible(doc) holds and that
// contains a query term, and returns the best limit, best first.
//
// k1 and b are the BM25 parameters (term-frequency saturation and length
// normalisation).
func (t *textIndex) search(terms []string, visible func(doc int32) bool, limit int, k1, b float64) []textHit {
	if t.live == 0 || len(terms) == 0 || limit <= 0 {
		return nil
	}
	if k1 <= 0 {
		k1 = defaultBM25K1
	}
	if b <= 0 || b > 1 {
		b = defaultBM25B
	}
	n := float64(t.live)
	avg := float64(t.totalLen) / n
	if avg <= 0 {
		avg = 1
	}
	// Dense accumulators indexed by ordinal: far cheaper than a map when
	// common words match most documents.
	scores := make([]float64, len(t.length))
	var touched []int32
	for _, term := range terms {
		ps := t.postings[term]
		if len(ps) == 0 {
			continue
		}
		// df counts tombstones too until compaction: a slight,
		// bounded underestimate of rarity, not worth a second pass.
		df := float64(len(ps))
		idf := math.Log(1 + (n-df+0.5)/(df+0.5))
		if idf <= 0 {
			continue
		}
		for _, p := range ps {
			l := t.length[p.doc]
			if l < 0 {
				continue
			}
			if scores[p.doc] == 0 {
				if !visible(p.doc) {
					scores[p.doc] = -1 // seen and hidden
					continue
				}
				touched = append(touched, p.doc)
			} else if scores[p.doc] < 0 {
				continue
			}
			tf := float64(p.tf)
			scores[p.doc] += idf * tf * (k1 + 1) / (tf + k1*(1-b+b*float64(l)/avg))
		}
	}
	return topHits(touched, scores, limit)
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

// queryTerms turns a question into distinct index terms, in order, at most
// maxQueryTerms.
func queryTerms(text string) []string {
	var out []string
	seen := make(map[string]bool)
	for _, w := range lang.Tokenize(text, nil) {
		if lang.Stop.Has(w) || len(w) > maxWordBytes {
			continue
		}
		s := lang.Stem(w)
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

// passageTextHit is a passage found by BM25.
type passageTextHit struct {
	ChunkID   string
	ArticleID string
	Score     float64
}

// articleTextHit is an article found by BM25.
type articleTextHit struct {
	ArticleID string
	Score     float64
}

// inScopes reports whether an article is in one of scopes and inside r.
func inScopes(a *articleInfo, scopes []string, r dayRange) bool {
	return a != nil && slices.Contains(scopes, a.Scope) && r.contains(a.day)
}

// searchPassages runs BM25 over the passages of scopes inside r.
func (ix *vectorIndex) searchPassages(terms []string, scopes []string, r dayRange, limit int, rk Ranking) []passageTextHit {
	hits := ix.passageText.search(terms, func(doc int32) bool {
		return inScopes(ix.passageArt[doc], scopes, r)
	}, limit, rk.BM25K1, rk.BM25B)
	out := make([]passageTextHit, 0, len(hits))
	for _, h := range hits {
		id := ix.passageOf[h.doc]
		out = append(out, passageTextHit{ChunkID: id, ArticleID: ix.chunks[id].ArticleID, Score: h.score})
	}
	return out
}

// searchArticles runs BM25 over the whole articles of scopes inside r.
func (ix *vectorIndex) searchArticles(terms []string, scopes []string, r dayRange, limit int, rk Ranking) []articleTextHit {
	hits := ix.articleText.search(terms, func(doc int32) bool {
		return inScopes(ix.articleArt[doc], scopes, r)
	}, limit, rk.BM25K1, rk.BM25B)
	out := make([]articleTextHit, 0, len(hits))
	for _, h := range hits {
		out = append(out, articleTextHit{ArticleID: ix.articleOf[h.doc], Score: h.score})
	}
	return out
}
