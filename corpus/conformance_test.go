package corpus_test

import (
	"context"
	"os"
	"testing"

	"github.com/attache-bot/attache/corpus"
	"github.com/attache-bot/attache/corpus/librarytest"
)

func openSQLite(t *testing.T, dir string) *corpus.Library {
	t.Helper()
	lib, err := corpus.Open(context.Background(), dir)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { lib.Close() })
	return lib
}

// TestMain lets the test binary be a child process of the conformance
// suite's process cases.
func TestMain(m *testing.M) {
	librarytest.Child(openSQLiteAt)
	os.Exit(m.Run())
}

func openSQLiteAt(ctx context.Context, dir string) (librarytest.Library, error) {
	return corpus.Open(ctx, dir)
}

// TestProcessConformance runs the suite's cases that need other processes
// (SIGKILL mid-write, two writing processes) against the SQLite library.
func TestProcessConformance(t *testing.T) {
	librarytest.RunProcesses(t, librarytest.Processes{
		New:  func(t *testing.T) string { return t.TempDir() },
		Open: openSQLiteAt,
	})
}

// TestConformance runs the library conformance suite against the SQLite
// library; another handle is a second Open of the same data directory.
func TestConformance(t *testing.T) {
	librarytest.Run(t, func(t *testing.T) (librarytest.Library, func(*testing.T) librarytest.Library) {
		dir := t.TempDir()
		return openSQLite(t, dir), func(t *testing.T) librarytest.Library { return openSQLite(t, dir) }
	})
}

// TestAnswerConformance runs the answer-store cases against the SQLite
// library.
func TestAnswerConformance(t *testing.T) {
	librarytest.RunAnswers(t, func(t *testing.T) librarytest.AnswerStore {
		return openSQLite(t, t.TempDir())
	})
}

// TestFeedConformance runs the feed-store cases against the SQLite
// library.
func TestFeedConformance(t *testing.T) {
	librarytest.RunFeeds(t, func(t *testing.T) librarytest.FeedStore {
		return openSQLite(t, t.TempDir())
	})
}

// TestOutletConformance runs the outlet-label cases against the SQLite
// library.
func TestOutletConformance(t *testing.T) {
	librarytest.RunOutlets(t, func(t *testing.T) librarytest.OutletStore {
		return openSQLite(t, t.TempDir())
	})
}

// TestBackendConformance runs the digest, retention, autocomplete and
// report cases against the SQLite library.
func TestBackendConformance(t *testing.T) {
	librarytest.RunBackend(t, func(t *testing.T) corpus.Backend {
		return openSQLite(t, t.TempDir())
	})
}

// TestLockConformance runs the lock cases against the SQLite library;
// another handle is a second Open of the same data directory.
func TestLockConformance(t *testing.T) {
	librarytest.RunLocks(t, func(t *testing.T) (librarytest.Library, func(*testing.T) librarytest.Library) {
		dir := t.TempDir()
		return openSQLite(t, dir), func(t *testing.T) librarytest.Library { return openSQLite(t, dir) }
	})
}
