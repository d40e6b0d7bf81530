package retrieval

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/attache-bot/attache/corpus"
)

// followedLibrary is what Follow needs from a library: its change feed,
// one stored article at a time, and every article's content hash and the
// articles of the scopes held (to reload). *corpus.Library is one; a
// PostgreSQL library (LISTEN/NOTIFY behind Watch) would be another.
type followedLibrary interface {
	corpus.ChangeFeed
	Stored(ctx context.Context, id string) (corpus.StoredArticle, error)
	ArticleHashes(ctx context.Context) (map[string]string, error)
	List(ctx context.Context, scopes ...string) ([]corpus.Summary, error)
}

// FollowOptions configures Follow.
type FollowOptions struct {
	// Interval is the longest Follow waits for a wake-up from the feed
	// before reading it anyway: a safety net, since the feed's own
	// wake-ups come within a fraction of a second. Zero means
	// DefaultFollowInterval.
	Interval time.Duration
	// Applied, if not nil, is called from Follow's goroutine after each
	// article the index took in or dropped, when a reload starts, and when
	// a change could not be applied.
	Applied func(FollowEvent)
}

// DefaultFollowInterval is FollowOptions.Interval's default.
const DefaultFollowInterval = 5 * time.Second

// followBatch is how many changes Follow reads at a time; a larger backlog
// is read in several batches.
const followBatch = 500

// FollowEvent is what Follow did.
type FollowEvent struct {
	// Seq is the change that caused it (0 for a reload's own events).
	Seq int64
	// ArticleID is the article indexed anew or dropped ("" when a reload
	// starts).
	ArticleID string
	// Removed says the article was dropped from the index (it is no
	// longer stored) rather than indexed anew.
	Removed bool
	// Reload says the follower fell behind the feed and is comparing
	// every stored article with the index.
	Reload bool
	// Err is why the article could not be brought in step; Follow goes
	// on with the next change.
	Err error
}

// ErrAlreadyFollowing is returned by a second Follow on the same engine.
var ErrAlreadyFollowing = errors.New("retrieval: the engine already follows its library")

// Follow keeps the in-memory index in step with what other processes (the
// command line's ingest and remove, another serve) write to the library,
// until ctx is done; then it returns nil, with nothing left running. It
// waits on the library's change feed, reads the changes after its
// position, and brings each changed article in step: re-read and indexed
// when its stored content differs from the index's (so the engine's own
// writes, already indexed by Add, are skipped), dropped when it is no longer
// stored. When the feed no longer holds its position (it was stopped while
// more changes than the feed keeps were written) it compares every
// article's content hash with the library and applies the differences.
// An engine follows at most once at a time.
func (e *Engine) Follow(ctx context.Context, opts FollowOptions) error {
	if !e.following.CompareAndSwap(false, true) {
		return ErrAlreadyFollowing
	}
	defer e.following.Store(false)
	interval := opts.Interval
	if interval <= 0 {
		interval = DefaultFollowInterval
	}
	f := follower{e: e, lib: e.lib, opts: opts, pos: e.feedStart, forceUntil: e.feedFilled}
	watchCtx, stopWatch := context.WithCancel(ctx)
	wake := f.lib.Watch(watchCtx)
	defer func() {
		stopWatch()
		for range wake { // the watcher has stopped once its channel closes
		}
	}()
	timer := time.NewTimer(interval)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-wake:
		case <-timer.C:
		}
		f.catchUp(ctx)
		timer.Reset(interval)
	}
}

// follower is Follow's state between wake-ups.
type follower struct {
	e    *Engine
	lib  followedLibrary
	opts FollowOptions
	pos  int64 // the last change applied
	// forceUntil: changes up to it are applied even when the hashes
	// agree. They were written while New filled the index, after it read
	// the hashes, so an article changed and changed back meanwhile could
	// otherwise keep the in-between version.
	forceUntil int64
	lastErr    string // the last failure logged, so a lasting one is logged once
}

// catchUp reads and applies every change after the position.
func (f *follower) catchUp(ctx context.Context) {
	for ctx.Err() == nil {
		cs, err := f.lib.Changes(ctx, f.pos, followBatch)
		if errors.Is(err, corpus.ErrFellBehind) {
			err = f.reload(ctx)
			f.failed(err)
			if err != nil {
				return
			}
			continue
		}
		f.failed(err)
		if err != nil || len(cs) == 0 {
			return
		}
		// A burst of writes to one article (an import run twice, edits) is
		// applied once, at its last change.
		last := make(map[string]int64, len(cs))
		for _, c := range cs {
			last[c.ArticleID] = c.Seq
		}
		for _, c := range cs {
			if last[c.ArticleID] != c.Seq || c.ArticleID == "" {
				continue
			}
			if !f.e.Holds(c.Scope) {
				// Another process's guild: not read at all. Should this
				// process hold the scope later, Hold reads it afresh.
				continue
			}
			f.sync(ctx, c.Seq, c.ArticleID)
			if ctx.Err() != nil {
				return // not applied: the position stays before it
			}
		}
		f.pos = cs[len(cs)-1].Seq
		if len(cs) < followBatch {
			return
		}
	}
}

// reload compares every stored article's hash with the index's and brings
// the differing ones in step, then continues from the feed's head read
// before the comparison (later changes are read as usual). Fallen behind
// before the changes made during start-up were read, it cannot trust the
// hashes of those it missed, and indexes every stored article anew.
func (f *follower) reload(ctx context.Context) error {
	all := f.pos < f.forceUntil
	f.e.cfg.Logger.Info("the index fell behind the library's change feed; comparing every article")
	f.event(FollowEvent{Reload: true})
	head, err := f.lib.Head(ctx)
	if err != nil {
		return err
	}
	stored, err := f.lib.ArticleHashes(ctx)
	if err != nil {
		return err
	}
	f.e.mu.RLock()
	held := f.e.heldScopes()
	f.e.mu.RUnlock()
	if held != nil {
		// Only the scopes held are compared: the others are not the
		// index's to follow.
		sums, err := f.lib.List(ctx, held...)
		if err != nil {
			return err
		}
		inHeld := make(map[string]string, len(sums))
		for _, s := range sums {
			inHeld[s.ID] = stored[s.ID]
		}
		stored = inHeld
	}
	var differ []string
	f.e.mu.RLock()
	for id, h := range stored {
		if all || f.e.hashes[id] != h {
			differ = append(differ, id)
		}
	}
	for id := range f.e.hashes {
		if _, ok := stored[id]; !ok {
			differ = append(differ, id)
		}
	}
	f.e.mu.RUnlock()
	for _, id := range differ {
		changed, removed, err := f.e.syncArticle(ctx, f.lib, id, all)
		f.report(ctx, 0, id, changed, removed, err)
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	f.pos = head
	if all {
		f.forceUntil = 0
	}
	return nil
}

// sync brings one article in step for change seq and reports what it did.
func (f *follower) sync(ctx context.Context, seq int64, id string) {
	changed, removed, err := f.e.syncArticle(ctx, f.lib, id, seq <= f.forceUntil)
	f.report(ctx, seq, id, changed, removed, err)
}

// report logs and passes on what bringing one article in step did.
func (f *follower) report(ctx context.Context, seq int64, id string, changed, removed bool, err error) {
	if ctx.Err() != nil {
		return
	}
	if err != nil {
		f.e.cfg.Logger.Error("a change by another process could not be applied; restart to rebuild the index",
			"id", id, "err", err)
		f.event(FollowEvent{Seq: seq, ArticleID: id, Err: err})
		return
	}
	if changed {
		f.e.cfg.Logger.Debug("applied a change from the library", "id", id, "removed", removed, "seq", seq)
		f.event(FollowEvent{Seq: seq, ArticleID: id, Removed: removed})
	}
}

// failed logs a failure to read the feed once while it lasts, and its end.
func (f *follower) failed(err error) {
	switch {
	case err != nil && err.Error() != f.lastErr:
		f.lastErr = err.Error()
		f.e.cfg.Logger.Warn("cannot read the library's change feed; changes by other processes are not seen until it can", "err", err)
		f.event(FollowEvent{Err: fmt.Errorf("reading the change feed: %w", err)})
	case err == nil && f.lastErr != "":
		f.lastErr = ""
		f.e.cfg.Logger.Info("reading the library's change feed again")
	}
}

func (f *follower) event(ev FollowEvent) {
	if f.opts.Applied != nil {
		f.opts.Applied(ev)
	}
}

// syncArticle brings article id of the index in step with lib:
// indexed anew when the stored content hash differs from the index's (or
// force), dropped when it is no longer stored. It holds the write lock
// while reading, so that no Add or Remove of this engine interleaves and
// the version read is the newest. changed reports whether the index
// changed.
func (e *Engine) syncArticle(ctx context.Context, lib followedLibrary, id string, force bool) (changed, removed bool, err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	s, err := lib.Stored(ctx, id)
	if errors.Is(err, corpus.ErrNotFound) {
		_, had := e.hashes[id]
		if err := e.removeLocked(ctx, id); err != nil {
			return false, false, err
		}
		return had, had, nil
	}
	if err != nil {
		return false, false, err
	}
	if h, ok := e.hashes[id]; ok && h == s.Hash && !force && !e.storyMoved(s.Summary) {
		return false, false, nil
	}
	if err := e.putLocked(ctx, s); err != nil {
		return false, false, err
	}
	return true, false, nil
}
