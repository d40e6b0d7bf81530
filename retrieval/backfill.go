package retrieval

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/attache-bot/attache/corpus"
)

// StoriesBackfillLock is the library lock (corpus.Locker) BackfillStories
// runs under: with several processes on one library (serve shards, a
// command beside a serve), one assigns the stories and the others skip.
const StoriesBackfillLock = "stories:backfill"

// BackfillStories assigns a story to every article the engine's index
// holds without one: articles stored by a release that assigned none
// keep an empty story when ingested again (their content is unchanged),
// so without this each would stay a story of its own. They are assigned
// oldest first (by published date, undated last), each among the
// articles already assigned, those of this pass included, exactly as an
// ingest in date order would have assigned them; the article vector is
// computed from the chunk vectors the index holds (nothing is embedded),
// the names and fingerprint from the stored title and body. Each story
// is stored through the library's story-only put (the article stays
// Unchanged, the change feed logs a put, so followers read it).
//
// It returns how many articles it assigned. When another process holds
// StoriesBackfillLock it does nothing and the error wraps
// corpus.ErrLocked. Stopped (ctx done, or the lock lost), it returns
// with the articles assigned so far kept; the next run assigns the rest.
// With Config.NoStories it does nothing.
func (e *Engine) BackfillStories(ctx context.Context) (int, error) {
	if e.cfg.NoStories {
		return 0, nil
	}
	locker, ok := e.lib.(corpus.Locker)
	if !ok {
		// Both libraries are Lockers; without the lock two processes
		// could assign one article two stories.
		return 0, errors.New("retrieval: backfill stories: the library takes no locks")
	}
	held, unlock, err := locker.TryLock(ctx, StoriesBackfillLock)
	if err != nil {
		return 0, fmt.Errorf("retrieval: backfill stories: %w", err)
	}
	defer unlock()
	n := 0
	for _, id := range e.storyless() {
		if err := held.Err(); err != nil {
			return n, fmt.Errorf("retrieval: backfill stories: %w", context.Cause(held))
		}
		ok, err := e.backfillStory(held, id)
		if err != nil {
			if held.Err() != nil {
				return n, fmt.Errorf("retrieval: backfill stories: %w", context.Cause(held))
			}
			return n, fmt.Errorf("retrieval: backfill stories: article %s: %w", id, err)
		}
		if ok {
			n++
			if e.backfilled != nil {
				e.backfilled(id)
			}
		}
	}
	return n, nil
}

// storyless returns the ids of the articles the index holds without a
// story, in the order BackfillStories assigns them: by published date,
// undated last, then by id (an ingest of the same day in another order
// could decide otherwise; one order is kept so that every run agrees).
func (e *Engine) storyless() []string {
	type entry struct {
		id        string
		published time.Time
	}
	e.mu.RLock()
	var out []entry
	for id, info := range e.ix.Articles() {
		if info.StoryID == "" {
			out = append(out, entry{id, info.Published})
		}
	}
	e.mu.RUnlock()
	slices.SortFunc(out, func(x, y entry) int {
		switch xz, yz := x.published.IsZero(), y.published.IsZero(); {
		case xz && !yz:
			return 1
		case !xz && yz:
			return -1
		}
		if c := x.published.Compare(y.published); c != 0 {
			return c
		}
		return strings.Compare(x.id, y.id)
	})
	ids := make([]string, len(out))
	for i, en := range out {
		ids[i] = en.id
	}
	return ids
}

// backfillStory assigns article id its story and stores it, unless it
// is gone, has a story by now, or changed since the index read it (its
// new version is then assigned by whoever wrote it, or by the next run).
// It reports whether it assigned one.
func (e *Engine) backfillStory(ctx context.Context, id string) (bool, error) {
	a, err := e.lib.Get(ctx, id)
	if errors.Is(err, corpus.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	// Under the write lock, as write assigns: the candidates are every
	// article assigned before, and no write of this engine comes between
	// the checks and the put.
	e.mu.Lock()
	defer e.mu.Unlock()
	info := e.ix.Article(id)
	if info == nil || info.StoryID != "" {
		return false, nil
	}
	stored, found, err := e.lib.ContentHash(ctx, id)
	if err != nil {
		return false, err
	}
	// The put must find the content it was given, or it would store
	// that content (without chunks) rather than only the story; and the
	// index's chunk vectors must be of that content.
	if h := corpus.Hash(a); !found || stored != h {
		return false, nil
	}
	if h, ok := e.hashes[id]; ok && h != stored {
		return false, nil
	}
	sa := newStoryArticle(a, nil)
	sa.Vector = e.storyVector(id, info)
	p := prepared{article: a, story: sa}
	e.assignStory(&p)
	st, err := e.lib.Put(ctx, p.article, nil, nil)
	if err != nil {
		return false, err
	}
	// Stored: index it even if the caller gives up now (as write does).
	ctx = context.WithoutCancel(ctx)
	if st != corpus.Unchanged {
		// Another process changed the article between the check and
		// the put: the library now holds its old content without
		// chunks until it is ingested again.
		e.cfg.Logger.Error("story backfill stored an article's content; ingest it again", "id", id, "status", st)
		return true, e.reindexed(e.indexLocked(ctx, id), id)
	}
	// Only the story changed: the index keeps the chunks it holds (as
	// load does with chunks delivered apart), with the stored summary,
	// rather than reading the vectors back.
	sum, err := e.lib.Summary(ctx, id)
	if err == nil {
		if err = e.putIndex(ctx, sum, e.ix.Stored(id)); err == nil {
			e.hashes[id] = stored
		} else {
			delete(e.hashes, id) // as putLocked: the index may hold neither version
		}
	}
	return true, e.reindexed(err, id)
}

// reindexed logs a failure to index an article whose story was stored,
// and returns it.
func (e *Engine) reindexed(err error, id string) error {
	if err != nil {
		e.cfg.Logger.Error("story stored but not indexed; restart to rebuild the index", "id", id, "err", err)
	}
	return err
}
