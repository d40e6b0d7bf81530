package feed

import (
	"context"
	"errors"
	"fmt"

	"github.com/attache-bot/attache/corpus"
)

// LockName is the name of the lock (corpus.Locker) that whoever polls the
// feed with id holds during the poll, so that the processes of a
// deployment poll each feed once.
func LockName(id string) string { return "feed:" + id }

// ErrNotDue is PollOnce's reason for not polling a feed that, read again
// under its lock, is no longer due: another process has just polled it.
var ErrNotDue = errors.New("no longer due (polled elsewhere meanwhile)")

// PollOnce polls f unless another process is polling it. It takes the
// feed's lock (LockName) and reads the feed again under it, so that the
// poll starts from the stored state, not from f as listed before another
// process polled it; when due is set and reports the stored feed is no
// longer due, it does not poll. The poll runs under the lock's context,
// so that it stops if the lock is lost (another process may then take
// over): an interrupted poll records nothing and is repeated in full,
// and one interrupted by the loss of the lock reports an error wrapping
// corpus.ErrLockLost.
// polled is false when it did not poll, with the reason: an error
// wrapping corpus.ErrLocked (polled elsewhere now), ErrNotDue, or
// corpus.ErrNotFound (the feed was removed); any other error is the
// lock's or the read's.
func (s *Syncer) PollOnce(ctx context.Context, f corpus.Feed, due func(corpus.Feed) bool) (rep Report, polled bool, err error) {
	held, unlock, err := s.Library.TryLock(ctx, LockName(f.ID))
	if err != nil {
		return Report{}, false, fmt.Errorf("feed %s: %w", f.ID, err)
	}
	defer unlock()
	cur, err := s.Library.Feed(held, f.Scope, f.ID)
	if err != nil {
		return Report{}, false, fmt.Errorf("feed %s: reading it again: %w", f.ID, err)
	}
	if due != nil && !due(cur) {
		return Report{}, false, fmt.Errorf("feed %s: %w", f.ID, ErrNotDue)
	}
	rep = s.Poll(held, cur)
	if rep.Err != nil && ctx.Err() == nil && errors.Is(context.Cause(held), corpus.ErrLockLost) {
		rep.Err = fmt.Errorf("stopped, another process may poll it now: %w", corpus.ErrLockLost)
	}
	return rep, true, nil
}
