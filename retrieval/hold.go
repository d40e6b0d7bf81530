package retrieval

import (
	"context"
	"errors"
	"fmt"
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
	if e.held == nil || (e.held[scope] && e.loading[scope] == nil) {
		e.mu.Unlock()
		return nil
	}
	if wait := e.loading[scope]; wait != nil {
		// Another Hold of it is loading: done when that one is.
		e.mu.Unlock()
		if err := e.awaitScope(ctx, scope); err != nil {
			return err
		}
		if !e.Holds(scope) {
			return fmt.Errorf("retrieval: hold scope %s: loading it failed", scope)
		}
		return nil
	}
	// Held before listing: a change written from now on is applied by
	// Follow, and one written before is in the listing.
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
	sums, err := e.lib.List(ctx, scope)
	if err == nil {
		for _, s := range sums {
			// One article at a time under the write lock, as Follow
			// applies a change: other scopes' searches go on meanwhile.
			if _, _, err = e.syncArticle(ctx, e.lib, s.ID, false); err != nil {
				break
			}
		}
	}
	if err != nil {
		// Drop fails only on the index, which is then beyond repair.
		_ = e.Drop(scope)
		return fmt.Errorf("retrieval: hold scope %s: %w", scope, err)
	}
	e.cfg.Logger.Debug("holding scope", "scope", scope, "articles", len(sums))
	return nil
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
