package corpus_test

import (
	"context"
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

// TestBackendConformance runs the digest, retention, autocomplete and
// report cases against the SQLite library.
func TestBackendConformance(t *testing.T) {
	librarytest.RunBackend(t, func(t *testing.T) corpus.Backend {
		return openSQLite(t, t.TempDir())
	})
}
