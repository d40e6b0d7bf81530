package corpus

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// Locker takes locks by name that hold across every process sharing a
// library, so that a job the deployment must do once (poll a feed, post
// a digest) is done by one process however many run: the feed scheduler
// takes "feed:"+id before polling, the digest pass "digest:"+guild before
// posting. A lock is released by its unlock function, by the library's
// Close, and by the death of the process holding it (in PostgreSQL also
// of its connection), so that a process killed mid-job leaves the job to
// the next one. Both libraries are Lockers (the SQLite one with a file
// lock under the data directory, the PostgreSQL one with a session
// advisory lock); librarytest holds them to the same behaviour.
type Locker interface {
	// TryLock takes the lock named name unless it is held (by another
	// process, another handle, or an earlier TryLock of this one): then
	// the error wraps ErrLocked, at once, without waiting. held is a
	// context of ctx that ends when the lock is released or lost: the
	// job should run under it, so that it stops when another process may
	// take over; after a loss context.Cause(held) is ErrLockLost. unlock
	// releases the lock; it must be called once the job is done (later
	// calls do nothing).
	TryLock(ctx context.Context, name string) (held context.Context, unlock func(), err error)
}

var (
	// ErrLocked is TryLock's error when the lock is held.
	ErrLocked = errors.New("held by another process")
	// ErrLockLost is the cause of a held context that ended because the
	// lock went (its connection died, the library was closed).
	ErrLockLost = errors.New("the lock was lost")
)

// MaxLockNameBytes bounds a lock's name: names are a kind and an id
// ("feed:" and a feed id), short, but a name is never unbounded.
const MaxLockNameBytes = 256

// CheckLockName returns an error for a name no lock may have: empty,
// longer than MaxLockNameBytes, not UTF-8, or holding control characters
// (a NUL cannot reach PostgreSQL; the others have no place in a name an
// operator reads).
func CheckLockName(name string) error {
	switch {
	case strings.TrimSpace(name) == "":
		return errors.New("empty lock name")
	case len(name) > MaxLockNameBytes:
		return fmt.Errorf("lock name of %d bytes (at most %d)", len(name), MaxLockNameBytes)
	case !utf8.ValidString(name):
		return errors.New("lock name is not UTF-8")
	case strings.ContainsFunc(name, unicode.IsControl):
		return errors.New("lock name holds control characters")
	}
	return nil
}

// HeldLocks is the bookkeeping of the locks one library handle holds,
// shared by both libraries: each lock's context, its release run once,
// and the release of every lock still held when the library closes (so
// that Close neither leaves a lock behind nor waits on a connection a
// lock holds). The zero value is ready.
type HeldLocks struct {
	mu     sync.Mutex
	held   map[*heldLock]struct{}
	closed bool
}

type heldLock struct {
	cancel  context.CancelCauseFunc
	once    sync.Once
	release func()
}

// errLibraryClosed: TryLock after Close.
var errLibraryClosed = errors.New("the library is closed")

// Hold records a lock just taken, which release frees. It returns the
// lock's held context (see Locker), lost, which ends that context with
// ErrLockLost (for whoever finds the lock gone; it does not release), and
// unlock, which ends the context and calls release once. After Close it
// records nothing and returns an error: the caller frees the lock itself.
func (h *HeldLocks) Hold(ctx context.Context, release func()) (held context.Context, lost, unlock func(), err error) {
	held, cancel := context.WithCancelCause(ctx)
	k := &heldLock{cancel: cancel, release: release}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		cancel(errLibraryClosed)
		return nil, nil, nil, errLibraryClosed
	}
	if h.held == nil {
		h.held = map[*heldLock]struct{}{}
	}
	h.held[k] = struct{}{}
	unlock = func() { h.free(k, context.Canceled) }
	return held, func() { cancel(ErrLockLost) }, unlock, nil
}

// free ends k's context with cause and releases it, once.
func (h *HeldLocks) free(k *heldLock, cause error) {
	k.cancel(cause)
	k.once.Do(func() {
		h.mu.Lock()
		delete(h.held, k)
		h.mu.Unlock()
		k.release()
	})
}

// Close releases every lock still held, ending their contexts with
// ErrLockLost, and makes Hold fail from then on.
func (h *HeldLocks) Close() {
	h.mu.Lock()
	h.closed = true
	ks := make([]*heldLock, 0, len(h.held))
	for k := range h.held {
		ks = append(ks, k)
	}
	h.mu.Unlock()
	for _, k := range ks {
		h.free(k, ErrLockLost)
	}
}

// CheckTryLock checks TryLock's name and context before a library takes
// anything, with the error both libraries return.
func CheckTryLock(ctx context.Context, name string) error {
	if err := CheckLockName(name); err != nil {
		return fmt.Errorf("corpus: lock %.60q: %w", name, err)
	}
	return ctx.Err()
}
