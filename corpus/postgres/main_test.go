package postgres

import (
	"context"
	"testing"

	"github.com/attache-bot/attache/corpus/librarytest"
	"go.uber.org/goleak"
)

// TestMain fails the run if a test leaves a goroutine behind (a watcher
// not stopped, a pool not closed). Run by the conformance suite as a
// child process, the binary does the child's job instead.
func TestMain(m *testing.M) {
	librarytest.Child(openAt)
	goleak.VerifyTestMain(m)
}

func openAt(ctx context.Context, url string) (librarytest.Library, error) {
	return Open(ctx, url)
}
