package librarytest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/attache-bot/attache/corpus"
)

// RunLocks runs the cases of corpus.Locker against libraries made by
// open: a held lock excludes every other TryLock of its name (the same
// handle's, another handle's) and no other name; unlock and Close free
// it; bad names are refused.
func RunLocks(t *testing.T, open Open) {
	t.Run("Exclusive", func(t *testing.T) { testLockExclusive(t, open) })
	t.Run("BadNames", func(t *testing.T) { testLockBadNames(t, open) })
	t.Run("CloseReleases", func(t *testing.T) { testLockCloseReleases(t, open) })
}

func locker(t *testing.T, lib Library) corpus.Locker {
	t.Helper()
	l, ok := lib.(corpus.Locker)
	if !ok {
		t.Fatalf("%T is not a corpus.Locker", lib)
	}
	return l
}

// mustLock takes name from l or fails the test; the lock is released
// when the test ends if it is still held.
func mustLock(t *testing.T, l corpus.Locker, name string) (context.Context, func()) {
	t.Helper()
	held, unlock, err := l.TryLock(context.Background(), name)
	if err != nil {
		t.Fatalf("TryLock(%q): %v", name, err)
	}
	t.Cleanup(unlock)
	return held, unlock
}

// wantLocked checks that name is held: TryLock fails with ErrLocked.
func wantLocked(t *testing.T, l corpus.Locker, name, who string) {
	t.Helper()
	held, unlock, err := l.TryLock(context.Background(), name)
	if err == nil {
		unlock()
		t.Fatalf("%s: TryLock(%q) succeeded while the lock is held", who, name)
	}
	if !errors.Is(err, corpus.ErrLocked) || held != nil || unlock != nil {
		t.Fatalf("%s: TryLock(%q) = %v, want ErrLocked and nothing else", who, name, err)
	}
}

// wantEnded checks that a held context has ended with cause.
func wantEnded(t *testing.T, held context.Context, cause error, what string) {
	t.Helper()
	select {
	case <-held.Done():
	case <-time.After(childTimeout):
		t.Fatalf("%s: the held context did not end", what)
	}
	if got := context.Cause(held); !errors.Is(got, cause) {
		t.Fatalf("%s: the held context ended with %v, want %v", what, got, cause)
	}
}

func testLockExclusive(t *testing.T, open Open) {
	lib, another := newLib(t, open)
	a, b := locker(t, lib), locker(t, another(t))
	held, unlock := mustLock(t, a, "feed:f1")
	if held.Err() != nil {
		t.Fatalf("the held context ended at once: %v", held.Err())
	}
	wantLocked(t, a, "feed:f1", "the same handle")
	wantLocked(t, b, "feed:f1", "another handle")
	// Other names are independent, even those whose file name (or
	// hash input) differs only in what a path cannot hold.
	for _, name := range []string{"feed:f2", "digest:f1", "feed:F1", "feed/f1", "feed_f1", "feed:f1 ", "feed:../f1"} {
		_, u := mustLock(t, b, name)
		u()
	}
	unlock()
	wantEnded(t, held, context.Canceled, "after unlock")
	unlock() // a second call does nothing
	held2, unlock2 := mustLock(t, b, "feed:f1")
	wantLocked(t, a, "feed:f1", "the first handle, after the second took it")
	unlock2()
	wantEnded(t, held2, context.Canceled, "after the second unlock")
	_, unlock3 := mustLock(t, a, "feed:f1")
	unlock3()

	// The held context is the caller's context's too.
	ctx, cancel := context.WithCancel(context.Background())
	h, u, err := a.TryLock(ctx, "feed:ctx")
	if err != nil {
		t.Fatalf("TryLock: %v", err)
	}
	defer u()
	cancel()
	wantEnded(t, h, context.Canceled, "after its parent ended")
	if _, _, err := a.TryLock(ctx, "feed:ctx2"); !errors.Is(err, context.Canceled) {
		t.Fatalf("TryLock with an ended context = %v, want context.Canceled", err)
	}
}

func testLockBadNames(t *testing.T, open Open) {
	lib, _ := newLib(t, open)
	l := locker(t, lib)
	for _, name := range []string{"", "   ", strings.Repeat("x", corpus.MaxLockNameBytes+1), "feed:\x00", "feed:\xff\xfe", "feed:a\nb", "feed:\x1b[2J"} {
		held, unlock, err := l.TryLock(context.Background(), name)
		if err == nil {
			unlock()
			t.Errorf("TryLock(%.40q): no error", name)
			continue
		}
		if errors.Is(err, corpus.ErrLocked) || held != nil || unlock != nil {
			t.Errorf("TryLock(%.40q) = %v: want a bad-name error and nothing else", name, err)
		}
	}
	// The longest name, hostile paths and names beyond ASCII are names
	// like any other.
	for _, name := range []string{strings.Repeat("é", corpus.MaxLockNameBytes/2), "../../../../etc/passwd", "/abs", "..", "feed:東京", "feed:'; SELECT 1; --"} {
		_, u := mustLock(t, l, name)
		wantLocked(t, l, name, "the same handle")
		u()
	}
}

func testLockCloseReleases(t *testing.T, open Open) {
	lib, another := newLib(t, open)
	first := another(t)
	held, _ := mustLock(t, locker(t, first), "digest:g1")
	wantLocked(t, locker(t, lib), "digest:g1", "another handle")
	c, ok := first.(io.Closer)
	if !ok {
		t.Fatalf("%T has no Close", first)
	}
	closed := make(chan error, 1)
	go func() { closed <- c.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Fatalf("Close: %v", err)
		}
	case <-time.After(childTimeout):
		t.Fatalf("Close did not return while a lock was held")
	}
	wantEnded(t, held, corpus.ErrLockLost, "after Close")
	_, u := mustLock(t, locker(t, lib), "digest:g1")
	u()
	if _, _, err := locker(t, first).TryLock(context.Background(), "digest:g2"); err == nil {
		t.Fatalf("TryLock after Close: no error")
	}
}

// holdLock is the child's "lock NAME" job.
func holdLock(ctx context.Context, lib Library, name string) error {
	l, ok := lib.(corpus.Locker)
	if !ok {
		return fmt.Errorf("%T is not a corpus.Locker", lib)
	}
	_, unlock, err := l.TryLock(ctx, name)
	if err != nil {
		return err
	}
	defer unlock()
	fmt.Println("locked")
	bufio.NewReader(os.Stdin).ReadString('\n') // until killed
	return nil
}

// testLockOfKilledProcess: a lock held by a process killed with SIGKILL
// (no unlock, no Close) is free once the process is gone.
func testLockOfKilledProcess(t *testing.T, p Processes) {
	addr, lib, _ := newProcessStore(t, p)
	l := locker(t, lib)
	c := startChild(t, addr, "lock feed:killed")
	if line, ok := c.next(t); !ok || line != "locked" {
		<-c.done
		t.Fatalf("child: %q instead of locked: %v", line, c.err)
	}
	wantLocked(t, l, "feed:killed", "while the child holds it")
	if err := c.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	for range c.lines {
	}
	<-c.done
	// The operating system frees a file lock as the process exits; a
	// database server frees its lock when it sees the connection end,
	// which no event tells this process: try again until it has.
	deadline := time.Now().Add(childTimeout)
	for {
		_, unlock, err := l.TryLock(context.Background(), "feed:killed")
		if err == nil {
			unlock()
			return
		}
		if !errors.Is(err, corpus.ErrLocked) || time.Now().After(deadline) {
			t.Fatalf("TryLock after the holder was killed: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
