package feed

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package when a test leaves a goroutine running (a
// poll that outlives its timeout, a connection never closed).
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
