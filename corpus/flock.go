package corpus

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// LocksDir is the directory of a data directory that holds the lock files
// of TryLock. Its files are never removed: a process that removed one
// while another held it would let a third lock a new file of the same
// name, and two would hold the lock.
const LocksDir = "locks"

// lockFile is the file of the lock named name: the name's letters, digits
// and dashes (at most 40, so that an operator sees which lock it is)
// then a hash of the whole name (so that names differing only in what was
// dropped differ).
func lockFile(name string) string {
	var b strings.Builder
	for _, r := range name {
		if b.Len() >= 40 {
			break
		}
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	sum := sha256.Sum256([]byte(name))
	return b.String() + "." + hex.EncodeToString(sum[:12]) + ".lock"
}

// TryLock takes the lock named name (see Locker) for every process using
// this data directory: an exclusive flock on a file under its locks
// directory, which the operating system releases when the process dies.
// A flock belongs to the open file, so two handles (or two TryLocks of
// one) exclude each other like two processes. The lock is lost only when
// the library closes.
func (l *Library) TryLock(ctx context.Context, name string) (context.Context, func(), error) {
	if err := CheckTryLock(ctx, name); err != nil {
		return nil, nil, err
	}
	dir := filepath.Join(l.abs, LocksDir)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, nil, fmt.Errorf("corpus: lock %s: %w", name, err)
	}
	f, err := os.OpenFile(filepath.Join(dir, lockFile(name)), os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return nil, nil, fmt.Errorf("corpus: lock %s: %w", name, err)
	}
	fd := int(f.Fd())
	if err := unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, nil, fmt.Errorf("corpus: lock %s: %w", name, ErrLocked)
		}
		return nil, nil, fmt.Errorf("corpus: lock %s: %w", name, err)
	}
	// The holder's pid and the name, for whoever looks at the file.
	if err := f.Truncate(0); err == nil {
		fmt.Fprintf(f, "%d %s\n", os.Getpid(), name)
	}
	held, _, unlock, err := l.locks.Hold(ctx, func() {
		unix.Flock(fd, unix.LOCK_UN)
		f.Close()
	})
	if err != nil {
		f.Close() // closing the file releases its flock
		return nil, nil, fmt.Errorf("corpus: lock %s: %w", name, err)
	}
	return held, unlock, nil
}

var _ Locker = (*Library)(nil)
