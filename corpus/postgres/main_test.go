package postgres

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run if a test leaves a goroutine behind (a watcher
// not stopped, a pool not closed).
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
