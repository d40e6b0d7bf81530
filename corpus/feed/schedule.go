package feed

import (
	"context"
	"errors"
	"hash/fnv"
	"log/slog"
	"sync"
	"time"

	"github.com/attache-bot/attache/corpus"
)

// Defaults of Scheduler.
const (
	DefaultInterval = 15 * time.Minute
	// DefaultParallel is how many feeds are polled at once: a few, so
	// that a hundred feeds due together neither hammer the machine nor
	// wait for each other's slow servers one by one.
	DefaultParallel = 3
	// maxBackoff caps the wait after consecutive failures.
	maxBackoff = 6 * time.Hour
)

// Scheduler polls every feed of the library on a schedule: each feed
// Interval after its last poll, plus a jitter of up to a tenth of the
// interval that is fixed per feed (so feeds added together spread out and
// stay spread), later after failures (the interval doubled per consecutive
// failure, at most 6 hours) and never before a server's Retry-After. At
// most Parallel polls run at once. Every poll goes through
// Syncer.PollOnce, so that schedulers in several processes sharing a
// library poll each feed once per due time: a feed another process is
// polling is skipped, and one it has just polled is no longer due; a
// process that dies mid-poll frees the feed's lock, and the next due
// check of another polls it. Run returns when its context ends, after
// the polls in flight have stopped.
type Scheduler struct {
	Syncer   *Syncer
	Interval time.Duration
	Parallel int
	// Now is the clock and Wake the moments to look for due feeds (a
	// ticker of wakeEvery(Interval) when nil): tests drive both.
	Now  func() time.Time
	Wake <-chan time.Time
	// OnPoll, when set, is called after each poll (from its goroutine).
	OnPoll func(Report)
	// OnSkip, when set, is called (from the poll's goroutine) for a due
	// feed that was not polled, with PollOnce's reason.
	OnSkip func(feedID string, reason error)
	// Polls, when set, says which feeds this scheduler polls; the others
	// are left to another process. A gateway shard polls the feeds of the
	// scopes it holds (and the shared ones): the articles a feed adds join
	// stories among the articles of their scope, which only a process
	// holding that scope has in memory.
	Polls  func(corpus.Feed) bool
	Logger *slog.Logger
}

// Backoff is the wait after the n-th consecutive failure of a feed polled
// every interval: the interval doubled n-1 times, at most 6 hours.
func Backoff(interval time.Duration, n int) time.Duration {
	d := interval
	for i := 1; i < n && d < maxBackoff; i++ {
		d *= 2
	}
	return min(d, max(maxBackoff, interval))
}

// jitter is feed id's fixed share of a tenth of the interval.
func jitter(id string, interval time.Duration) time.Duration {
	h := fnv.New64a()
	h.Write([]byte(id))
	span := int64(interval / 10)
	if span <= 0 {
		return 0
	}
	return time.Duration(h.Sum64() % uint64(span))
}

// Due reports whether f should be polled at now.
func (s *Scheduler) Due(f corpus.Feed, now time.Time) bool {
	if now.Before(f.RetryAt) {
		return false
	}
	if f.LastPolled.IsZero() {
		return true
	}
	return !now.Before(f.LastPolled.Add(s.interval() + jitter(f.ID, s.interval())))
}

// wakeEvery is how often Run looks for due feeds when no Wake is given: a
// quarter of the interval, at most a minute, so that a feed is polled at
// most that long after it is due. Looking once an interval instead finds
// each feed polled at the previous look a moment short of due (by its
// jitter) and polls it one look later: every two intervals.
func wakeEvery(interval time.Duration) time.Duration {
	return max(min(time.Minute, interval/4), time.Millisecond)
}

// skipped logs and reports a due feed PollOnce did not poll.
func (s *Scheduler) skipped(ctx context.Context, id string, reason error) {
	if s.Logger != nil && ctx.Err() == nil {
		if errors.Is(reason, corpus.ErrLocked) || errors.Is(reason, ErrNotDue) || errors.Is(reason, corpus.ErrNotFound) {
			s.Logger.Debug("feed poll skipped", "feed", id, "reason", reason)
		} else {
			s.Logger.Warn("feed poll skipped", "feed", id, "err", reason)
		}
	}
	if s.OnSkip != nil {
		s.OnSkip(id, reason)
	}
}

func (s *Scheduler) interval() time.Duration {
	if s.Interval > 0 {
		return s.Interval
	}
	return DefaultInterval
}

func (s *Scheduler) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Run polls due feeds until ctx ends.
func (s *Scheduler) Run(ctx context.Context) {
	parallel := s.Parallel
	if parallel <= 0 {
		parallel = DefaultParallel
	}
	wake := s.Wake
	if wake == nil {
		t := time.NewTicker(wakeEvery(s.interval()))
		defer t.Stop()
		wake = t.C
	}
	syncer := *s.Syncer
	syncer.Now = s.now
	syncer.Backoff = func(n int) time.Duration { return Backoff(s.interval(), n) }

	var wg sync.WaitGroup
	defer wg.Wait()
	slots := make(chan struct{}, parallel)
	var mu sync.Mutex
	inFlight := map[string]bool{}
	for {
		feeds, err := syncer.Library.Feeds(ctx, "")
		if err != nil && ctx.Err() == nil && s.Logger != nil {
			s.Logger.Warn("listing feeds to poll", "err", err)
		}
		now := s.now()
		for _, f := range feeds {
			mu.Lock()
			busy := inFlight[f.ID]
			mu.Unlock()
			if busy || !s.Due(f, now) || (s.Polls != nil && !s.Polls(f)) {
				continue
			}
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				return
			}
			mu.Lock()
			inFlight[f.ID] = true
			mu.Unlock()
			wg.Add(1)
			go func(f corpus.Feed) {
				defer wg.Done()
				defer func() { <-slots }()
				rep, polled, err := syncer.PollOnce(ctx, f, func(f corpus.Feed) bool { return s.Due(f, s.now()) })
				mu.Lock()
				delete(inFlight, f.ID)
				mu.Unlock()
				if !polled {
					s.skipped(ctx, f.ID, err)
					return
				}
				if s.Logger != nil {
					switch {
					case rep.Err != nil && ctx.Err() != nil:
						// Cut short by shutdown: nothing was recorded (no
						// failure, no retry time) and the next poll, here or
						// in another process, repeats it in full.
						s.Logger.Debug("feed poll stopped by shutdown", "feed", f.ID)
					case rep.Err != nil:
						s.Logger.Warn("feed poll failed", "feed", f.ID, "err", rep.Err, "retry_at", rep.RetryAt)
					default:
						s.Logger.Info("feed polled", "feed", f.ID, "status", rep.Status, "added", rep.Added, "updated", rep.Updated)
					}
				}
				if s.OnPoll != nil {
					s.OnPoll(rep)
				}
			}(f)
		}
		select {
		case <-ctx.Done():
			return
		case <-wake:
		}
	}
}
