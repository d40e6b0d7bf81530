package retrieval

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/attache-bot/attache/corpus"
	"github.com/attache-bot/attache/retrieval/index"
)

// ErrSharedScope is returned by Drop for the shared scope, which every
// process holds: each guild's answers draw on it.
var ErrSharedScope = errors.New("retrieval: the shared scope is always held")

// Hold loads the articles of scope from the library into the in-memory
// index, so that searches of it find them, and keeps them in step from then
// on (Follow applies the scope's changes). It is for an engine made with
// Config.HoldScopes, when the process starts serving a guild; holding a
// scope already held, or any scope of an engine that holds every scope,
// does nothing. A scope held later is loaded fresh from the library, so a
// change made while it was not held is never missed. Searches of the scope
// wait until it is loaded, and so does a second Hold of it meanwhile. On
// failure the scope is not held (a later Hold tries again).
func (e *Engine) Hold(ctx context.Context, scope string) error {
	scope = normalizeScope(scope)
	e.mu.Lock()
	for e.loading[scope] != nil {
		// Another Hold of it is loading: wait for that one, then look
		// again. Held then, it is done; not held (that load failed, or
		// a Drop came while it ran: the bot left the guild and has
		// joined it again), this Hold loads it itself.
		e.mu.Unlock()
		if err := e.awaitScope(ctx, scope); err != nil {
			return err
		}
		e.mu.Lock()
	}
	if e.held == nil || e.held[scope] {
		e.mu.Unlock()
		return nil
	}
	// Held before the load reads anything: a change written from now on
	// is applied by Follow (and, when written during the load, re-read by
	// loadScope), and one written before is in what the load reads.
	e.held[scope] = true
	done := make(chan struct{})
	e.loading[scope] = done
	e.mu.Unlock()
	defer func() {
		e.mu.Lock()
		delete(e.loading, scope)
		e.mu.Unlock()
		close(done)
	}()
	n, err := e.loadScope(ctx, scope)
	if err != nil {
		// Drop fails only on the index, which is then beyond repair.
		_ = e.Drop(scope)
		return fmt.Errorf("retrieval: hold scope %s: %w", scope, err)
	}
	e.cfg.Logger.Debug("holding scope", "scope", scope, "articles", n)
	return nil
}

// loadScope reads the articles of scope, held from now on, into the index
// in bulk (load, as New does at start-up), then brings in step every
// article of it the change feed says was written during the load, and
// returns how many articles it loaded. Such an article may be indexed in a
// version other than its recorded hash's (updated between the hashes'
// read, the listing and the chunk read, or indexed by Follow and then
// overwritten by the load's older read), and a later change back to the
// hash's version would then be taken as applied; re-read whatever the
// hashes say, its hash and its index entry agree again. Changes after the
// feed's head read once the load is done are Follow's, as usual.
func (e *Engine) loadScope(ctx context.Context, scope string) (int, error) {
	before, err := e.lib.Head(ctx)
	if err != nil {
		return 0, err
	}
	hashes, err := e.lib.ArticleHashes(ctx, scope)
	if err != nil {
		return 0, err
	}
	loaded, err := e.load(ctx, hashes, scope)
	if err != nil {
		return 0, err
	}
	changed, err := e.changedDuring(ctx, scope, before, loaded)
	if err != nil {
		return 0, err
	}
	for id := range changed {
		if _, _, err := e.syncArticle(ctx, e.lib, id, true); err != nil {
			return 0, err
		}
	}
	return len(loaded), nil
}

// changedDuring returns the articles of scope written after change
// `after` up to the feed's head now. Should the feed no longer keep
// those changes (more were written meanwhile than it keeps), it returns
// every article loaded and every one stored in scope now: all are re-read.
func (e *Engine) changedDuring(ctx context.Context, scope string, after int64, loaded map[string]bool) (map[string]bool, error) {
	head, err := e.lib.Head(ctx)
	if err != nil {
		return nil, err
	}
	changed := map[string]bool{}
	for pos := after; pos < head; {
		cs, err := e.lib.Changes(ctx, pos, followBatch)
		if errors.Is(err, corpus.ErrFellBehind) {
			sums, err := e.lib.List(ctx, scope)
			if err != nil {
				return nil, err
			}
			changed = maps.Clone(loaded)
			for _, s := range sums {
				changed[s.ID] = true
			}
			return changed, nil
		}
		if err != nil {
			return nil, err
		}
		if len(cs) == 0 {
			break
		}
		for _, c := range cs {
			if c.Seq <= head && c.ArticleID != "" && normalizeScope(c.Scope) == scope {
				changed[c.ArticleID] = true
			}
		}
		pos = cs[len(cs)-1].Seq
	}
	return changed, nil
}

// awaitScope waits until no Hold is loading scope, or ctx is done: a
// search of a guild that has just become available waits for its articles
// instead of answering without them.
func (e *Engine) awaitScope(ctx context.Context, scope string) error {
	e.mu.RLock()
	wait := e.loading[normalizeScope(scope)]
	e.mu.RUnlock()
	if wait == nil {
		return nil
	}
	e.cfg.Logger.Debug("waiting for the scope's articles to load", "scope", scope)
	select {
	case <-wait:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Drop removes the articles of scope from the in-memory index (not from
// the library) and stops following its changes: for an engine made with
// Config.HoldScopes, when the process no longer serves a guild. Dropping a
// scope not held, or any scope of an engine that holds every scope, does
// nothing; the shared scope cannot be dropped (ErrSharedScope).
func (e *Engine) Drop(scope string) error {
	scope = normalizeScope(scope)
	if scope == corpus.SharedScope {
		return ErrSharedScope
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.held == nil {
		return nil
	}
	delete(e.held, scope)
	before := make(map[string]*index.Article)
	for id, a := range e.ix.Articles() {
		if a.Scope == scope {
			before[id] = a
		}
	}
	ids, err := e.ix.RemoveScope(scope)
	for _, id := range ids {
		delete(e.hashes, id)
	}
	for id, a := range before {
		e.recount(a, e.ix.Article(id))
	}
	if err != nil {
		return fmt.Errorf("retrieval: drop scope %s: %w", scope, err)
	}
	return nil
}

// Holds reports whether the in-memory index holds the articles of scope:
// always for an engine that holds every scope.
func (e *Engine) Holds(scope string) bool {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.holdsLocked(scope)
}

// holdsLocked is Holds for a caller holding mu (either way).
func (e *Engine) holdsLocked(scope string) bool {
	return e.held == nil || e.held[normalizeScope(scope)]
}

// heldScopes returns the scopes held, sorted, or nil when every scope is
// (for corpus.Store.List, where no scope means all of them).
func (e *Engine) heldScopes() []string {
	if e.held == nil {
		return nil
	}
	scopes := make([]string, 0, len(e.held))
	for s := range e.held {
		scopes = append(scopes, s)
	}
	slices.Sort(scopes)
	return scopes
}
