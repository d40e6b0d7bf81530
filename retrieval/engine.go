package retrieval

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/attache-bot/attache/corpus"
	"github.com/attache-bot/attache/retrieval/index"
	"github.com/attache-bot/attache/retrieval/story"
)

// Engine searches and answers over a corpus library. It owns the in-memory
// vector index and keeps it in step with the library: every Add and Remove
// writes the library first and then the index (index, remove: the only
// ways the index changes), under one lock that searches share, so a search
// sees an article either completely or not at all, and a removed or
// updated article's old passages are gone from the very next search. What
// other processes write to the library reaches the index while Follow
// runs. Safe for concurrent use.
type Engine struct {
	lib corpus.Store
	cfg Config
	emb Embedder
	// rank holds the search weights: the tuned defaults, changed only by
	// the tests that compare variants.
	rank ranking

	// mu serialises writes (library + index) and is held shared by
	// searches. Embedding happens outside it, so a slow embedder never
	// blocks searches.
	mu sync.RWMutex
	ix *index.Index
	// hashes holds the content hash of every article in ix, under mu: a
	// change read from the library's feed is applied only when the stored
	// hash differs (so this engine's own writes are not applied twice).
	hashes map[string]string
	// storyVecs caches the article vectors story assignment compares
	// with (storyVector), under mu.
	storyVecs map[string]storyVec
	// counts are the name frequencies of the articles ix holds (see
	// recount), and storyOpts the assignment options that weigh names
	// by them.
	counts    *story.Counts
	storyOpts story.Options
	// held is nil when the engine holds every scope; with
	// Config.HoldScopes, the scopes whose articles the index holds (the
	// shared one and those given to Hold), under mu. Articles of the
	// others stay in the library only.
	held map[string]bool
	// loading holds, under mu, a channel for every scope Hold is still
	// loading, closed when it is done: searches of the scope wait for it
	// rather than answer from half its articles.
	loading map[string]chan struct{}
	// feedStart and feedFilled are the change feed's head read before and
	// after ix was filled: Follow starts at feedStart, and re-applies the
	// changes up to feedFilled whatever the hashes say (see follower).
	// following guards against a second Follow.
	feedStart, feedFilled int64
	following             atomic.Bool
	// backfilled, when set (by tests), is called after BackfillStories
	// stores an article's story, so that a test can stop it mid-way.
	backfilled func(id string)
}

// New checks that cfg's embedder made the library's vectors (or records it
// for an empty library) and builds the in-memory index from the stored
// vectors, without re-embedding anything.
func New(ctx context.Context, lib corpus.Store, cfg Config) (*Engine, error) {
	if lib == nil {
		return nil, errors.New("retrieval: nil library")
	}
	cfg = cfg.withDefaults()
	emb := cfg.Embedder
	if emb.Dim() <= 0 {
		return nil, fmt.Errorf("retrieval: embedder %q reports dimension %d", emb.Name(), emb.Dim())
	}
	info := corpus.EmbedderInfo{Name: emb.Name(), Dim: emb.Dim()}
	if err := lib.CheckEmbedder(ctx, info); err != nil {
		// The library's message names both embedders and says how to
		// re-index.
		return nil, fmt.Errorf("retrieval: check embedder: %w", err)
	}
	e := &Engine{lib: lib, cfg: cfg, emb: emb, rank: defaultRanking(), ix: index.New(emb.Dim(), lib), counts: story.NewCounts()}
	e.storyOpts = newStoryOptions(e.counts)
	if cfg.HoldScopes {
		e.held = map[string]bool{corpus.SharedScope: true}
		e.loading = map[string]chan struct{}{}
	}
	start := time.Now()
	// The feed's head and the hashes are read before the index is
	// filled: whatever is written meanwhile comes after that head, and
	// Follow re-reads it.
	var err error
	if e.feedStart, err = lib.Head(ctx); err != nil {
		return nil, fmt.Errorf("retrieval: %w", err)
	}
	hashes, err := lib.ArticleHashes(ctx, e.heldScopes()...)
	if err != nil {
		return nil, fmt.Errorf("retrieval: %w", err)
	}
	e.hashes = make(map[string]string, len(hashes))
	if _, err := e.load(ctx, hashes, e.heldScopes()...); err != nil {
		return nil, err
	}
	if e.feedFilled, err = lib.Head(ctx); err != nil {
		return nil, fmt.Errorf("retrieval: %w", err)
	}
	cfg.Logger.Debug("vector index built", "articles", e.ix.Len(), "chunks", e.ix.ChunkCount(),
		"took", time.Since(start).Round(time.Millisecond))
	return e, nil
}

// load reads into the index the article summaries and stored chunk
// vectors (no text: that stays in the library) of scopes, every scope when
// none is given, in bulk: one listing and one streaming read of the
// chunks. It is how New fills the index at start-up and how Hold loads a
// guild. Each article is put under the write lock, one at a time, so that
// searches of other scopes go on meanwhile, and recorded with its hash
// from hashes: read before the listing, a hash is never of a newer version
// than the one indexed unless the article changed meanwhile, which the
// caller brings in step from the change feed. An article absent from
// hashes is left without one (compared afresh by the next change). It
// returns the ids it put.
func (e *Engine) load(ctx context.Context, hashes map[string]string, scopes ...string) (map[string]bool, error) {
	sums, err := e.lib.List(ctx, scopes...)
	if err != nil {
		return nil, fmt.Errorf("retrieval: list articles: %w", err)
	}
	byID := make(map[string]corpus.Summary, len(sums))
	for _, s := range sums {
		byID[s.ID] = s
	}
	put := make(map[string]bool, len(sums))
	// Reading and decoding the stored vectors (SQLite) and indexing them
	// (chromem-go) take about as long as each other, so they run as a
	// two-stage pipeline: this goroutine reads, another indexes, in order.
	const batchSize = 256
	batches := make(chan []corpus.StoredChunk, 4)
	indexed := make(chan error, 1)
	var failed atomic.Bool
	go func() {
		var err error
		var run []corpus.StoredChunk // the chunks of one article
		flush := func() {
			if len(run) == 0 || err != nil {
				return
			}
			s, ok := byID[run[0].ArticleID]
			if !ok {
				// Stored after the listing (another process): its own
				// scope and date, so that nothing stored is unsearchable.
				s = corpus.Summary{ID: run[0].ArticleID, Scope: run[0].Scope, Published: run[0].Published}
			}
			err = e.putLoaded(ctx, s, run, hashes, put)
			run = nil
		}
		for b := range batches {
			for _, c := range b {
				if err != nil {
					break
				}
				if len(run) > 0 && run[0].ArticleID != c.ArticleID {
					flush()
				}
				run = append(run, c)
			}
			if err != nil {
				failed.Store(true) // keep draining so the reader never blocks
			}
		}
		flush()
		indexed <- err
	}()
	batch := make([]corpus.StoredChunk, 0, batchSize)
	err = e.lib.Chunks(ctx, func(c corpus.StoredChunk) error {
		if failed.Load() {
			return errIndexStopped
		}
		batch = append(batch, c)
		if len(batch) == batchSize {
			select {
			case batches <- batch:
			case <-ctx.Done():
				return ctx.Err()
			}
			batch = make([]corpus.StoredChunk, 0, batchSize)
		}
		return nil
	}, scopes...)
	if err == nil && len(batch) > 0 {
		batches <- batch
	}
	close(batches)
	if ierr := <-indexed; ierr != nil {
		return put, fmt.Errorf("retrieval: index stored vectors: %w", ierr)
	}
	if err != nil {
		return put, fmt.Errorf("retrieval: load stored vectors: %w", err)
	}
	// Articles without chunks are listed too (they cannot be found, but
	// the index knows them as the library does).
	for _, s := range sums {
		if !put[s.ID] {
			if err := e.putLoaded(ctx, s, nil, hashes, put); err != nil {
				return put, fmt.Errorf("retrieval: index stored vectors: %w", err)
			}
		}
	}
	return put, nil
}

// putLoaded is load's put of one article, under the write lock: chunks
// are what the read delivered of it, added to those it delivered before
// (put says which articles it did), and its hash is taken from hashes. An
// article of a scope no longer held (dropped meanwhile) is left out.
func (e *Engine) putLoaded(ctx context.Context, s corpus.Summary, chunks []corpus.StoredChunk, hashes map[string]string, put map[string]bool) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.holdsLocked(s.Scope) {
		return nil
	}
	if put[s.ID] {
		// Delivered apart: keep the chunks already indexed.
		chunks = append(e.ix.Stored(s.ID), chunks...)
	}
	put[s.ID] = true
	if err := e.putIndex(ctx, s, chunks); err != nil {
		delete(e.hashes, s.ID) // as putLocked: the index may hold neither version
		return err
	}
	if h, ok := hashes[s.ID]; ok {
		e.hashes[s.ID] = h
	} else {
		delete(e.hashes, s.ID)
	}
	return nil
}

// index reads article id from the library and puts it into the in-memory
// index, replacing what the index held of it; an article the library no
// longer has is removed. With remove, it is the one way the index follows
// the library: after this process's own writes and, through a change
// feed, another process's.
func (e *Engine) index(ctx context.Context, id string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.indexLocked(ctx, id)
}

// indexLocked is index for a caller holding the write lock.
func (e *Engine) indexLocked(ctx context.Context, id string) error {
	s, err := e.lib.Stored(ctx, id)
	if errors.Is(err, corpus.ErrNotFound) {
		return e.removeLocked(ctx, id)
	}
	if err != nil {
		return fmt.Errorf("index article %s: %w", id, err)
	}
	return e.putLocked(ctx, s)
}

// remove drops article id from the in-memory index (not from the
// library); an unknown id is a no-op.
func (e *Engine) remove(ctx context.Context, id string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.removeLocked(ctx, id)
}

// putLocked puts one stored article into the index, replacing any earlier
// version, and records its hash; an article of a scope the engine does not
// hold is left to the library (and dropped from the index if it was
// there). The caller holds the write lock.
func (e *Engine) putLocked(ctx context.Context, s corpus.StoredArticle) error {
	if !e.holdsLocked(s.Scope) {
		return e.removeLocked(ctx, s.ID)
	}
	if err := e.putIndex(ctx, s.Summary, s.Chunks); err != nil {
		// Put drops the old version first: the index may hold
		// neither, and the next change or reload must not take it as in
		// step.
		delete(e.hashes, s.ID)
		return err
	}
	e.hashes[s.ID] = s.Hash
	return nil
}

// storyMoved reports whether s carries a story (the library keeps the
// stored one for an empty StoryID) other than the one the index holds for
// it: the library stores a new story without counting the article as
// changed (corpus.StoryOf), but the index must follow. The caller holds
// the lock.
func (e *Engine) storyMoved(s corpus.Summary) bool {
	a := e.ix.Article(s.ID)
	return a != nil && s.StoryID != "" && (a.StoryID != s.StoryID || a.StoryData != s.StoryData)
}

// removeLocked is remove for a caller holding the write lock.
func (e *Engine) removeLocked(ctx context.Context, id string) error {
	if err := e.removeIndex(ctx, id); err != nil {
		return err
	}
	delete(e.hashes, id)
	return nil
}

// errIndexStopped stops reading stored chunks once indexing has failed;
// the indexing error is the one reported.
var errIndexStopped = errors.New("indexing stopped")

// Embedder returns the embedder in use.
func (e *Engine) Embedder() Embedder { return e.emb }

// Config returns the engine's configuration with defaults filled in.
func (e *Engine) Config() Config { return e.cfg }

// Add normalises, validates and stores one article, and indexes it. An
// article whose id already exists with the same content is left alone
// (Unchanged, nothing embedded); with different content it is replaced
// (Updated: its old passages are gone from search at once). The returned
// article is the normalised one, with its id.
func (e *Engine) Add(ctx context.Context, a corpus.Article) (corpus.Article, corpus.PutStatus, error) {
	p := e.prepare(ctx, a)
	if p.err != nil {
		return p.article, 0, p.err
	}
	st, err := e.write(ctx, &p)
	return p.article, st, err
}

// prepared is an article made ready for writing: normalised, validated,
// split and embedded (unless unchanged), with what its story assignment
// needs (nil when Config.NoStories).
type prepared struct {
	article   corpus.Article
	unchanged bool
	chunks    []corpus.Chunk
	vectors   [][]float32
	story     *story.Article
	err       error
}

// prepare does all the per-article work that needs no lock: normalise,
// validate, derive the id, skip unchanged content (which keeps its
// stored story), split, embed and compute the names, fingerprint and
// vector story assignment compares.
func (e *Engine) prepare(ctx context.Context, a corpus.Article) prepared {
	a.Normalize()
	if err := corpus.Validate(a, e.cfg.MaxBodyBytes); err != nil {
		return prepared{article: a, err: err}
	}
	// Always: a record's own id is qualified with its guild (corpus.ScopedID).
	a.ID = corpus.ID(a)
	old, found, err := e.lib.ContentHash(ctx, a.ID)
	if err != nil {
		return prepared{article: a, err: fmt.Errorf("article %s: %w", a.ID, err)}
	}
	if found && old == corpus.Hash(a) {
		return prepared{article: a, unchanged: true}
	}
	chunks := corpus.Split(a, corpus.SplitOptions{})
	vecs, err := e.emb.Embed(ctx, passageTexts(a, chunks))
	if err != nil {
		return prepared{article: a, err: fmt.Errorf("article %s: embed: %w", a.ID, err)}
	}
	if len(vecs) != len(chunks) {
		return prepared{article: a, err: fmt.Errorf("article %s: embedder returned %d vectors for %d passages", a.ID, len(vecs), len(chunks))}
	}
	p := prepared{article: a, chunks: chunks, vectors: vecs}
	if !e.cfg.NoStories {
		p.story = newStoryArticle(a, vecs)
	}
	return p
}

// passageTexts is what gets embedded for each chunk: the article's title
// and the passage. A passage often refers to its subject only as "he" or
// "the agreement"; the title says who and what.
func passageTexts(a corpus.Article, chunks []corpus.Chunk) []string {
	texts := make([]string, len(chunks))
	for i, c := range chunks {
		texts[i] = a.Title + "\n\n" + c.Text
	}
	return texts
}

// write assigns a prepared article its story and stores it in the
// library and the index, under the write lock (so that its story's
// candidates include every article written before it). It sets
// p.article's StoryID and StoryData.
func (e *Engine) write(ctx context.Context, p *prepared) (corpus.PutStatus, error) {
	if p.unchanged {
		return corpus.Unchanged, nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.assignStory(p)
	st, err := e.lib.Put(ctx, p.article, p.chunks, p.vectors)
	if err != nil {
		return 0, fmt.Errorf("store article %s: %w", p.article.ID, err)
	}
	if st == corpus.Unchanged && !e.storyMoved(corpus.Summary{ID: p.article.ID, StoryID: p.article.StoryID, StoryData: p.article.StoryData}) {
		return st, nil
	}
	// The article is stored: index it even if the caller gives up now, or
	// the index would miss what the library holds.
	if err := e.indexLocked(context.WithoutCancel(ctx), p.article.ID); err != nil {
		// The library has the article but the index does not: searches
		// would miss it until the next start. Say so loudly.
		e.cfg.Logger.Error("article stored but not indexed; restart to rebuild the index", "id", p.article.ID, "err", err)
		return st, err
	}
	return st, nil
}

// AddMany adds articles as fast as the machine allows: normalising,
// validating, splitting and embedding run on a bounded pool of workers
// (Config.IngestWorkers) while one writer stores them in input order, one
// library transaction per article. progress, if not nil, is called from the
// calling goroutine once per article, in input order, with the normalised
// article, what happened and any error of that article (a rejected or
// failed article does not stop the others). AddMany returns an error only
// when ctx is done; articles written before that stay written.
func (e *Engine) AddMany(ctx context.Context, articles []corpus.Article, progress func(i int, a corpus.Article, st corpus.PutStatus, err error)) error {
	if len(articles) == 0 {
		return ctx.Err()
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	workers := min(e.cfg.IngestWorkers, len(articles))
	// window bounds how far preparation may run ahead of the writer, and
	// so how many embedded articles wait in memory.
	window := workers * 4
	slots := make(chan struct{}, window)
	jobs := make(chan int)
	results := make([]chan prepared, len(articles))
	for i := range results {
		results[i] = make(chan prepared, 1)
	}

	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // feeder
		defer wg.Done()
		defer close(jobs)
		for i := range articles {
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				return
			}
			select {
			case jobs <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				results[i] <- e.prepare(ctx, articles[i])
			}
		}()
	}
	// Stop the pool and wait for it on every return path, so that no
	// goroutine outlives the call.
	defer func() {
		cancel()
		wg.Wait()
	}()

	for i := range articles {
		var p prepared
		select {
		case p = <-results[i]:
		case <-ctx.Done():
			return ctx.Err()
		}
		<-slots
		st, err := corpus.PutStatus(0), p.err
		if err == nil {
			st, err = e.write(ctx, &p)
		}
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
		if progress != nil {
			progress(i, p.article, st, err)
		}
	}
	return nil
}

// Remove deletes an article of the given scope ("" = shared) from the
// library and the index. corpus.ErrNotFound if there is no such article in
// that scope.
func (e *Engine) Remove(ctx context.Context, scope, id string) error {
	scope = normalizeScope(scope)
	id = strings.TrimSpace(id)
	if id == "" {
		return fmt.Errorf("remove: empty article id: %w", corpus.ErrNotFound)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	// id may be a guild record's own id; the index knows the stored one.
	stored, err := e.lib.Lookup(ctx, scope, id)
	if err != nil {
		return err
	}
	id = stored
	if err := e.lib.Remove(ctx, scope, id); err != nil {
		return err
	}
	if err := e.removeLocked(ctx, id); err != nil {
		e.cfg.Logger.Error("article removed from the library but not from the index; restart to rebuild the index", "id", id, "err", err)
		return err
	}
	return nil
}

// normalizeScope maps "" to the shared scope.
func normalizeScope(scope string) string {
	scope = strings.TrimSpace(scope)
	if scope == "" {
		return corpus.SharedScope
	}
	return scope
}
