package retrieval

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/attache-bot/attache/retrieval/openaitest"
)

// checkCancelStops runs call in a goroutine, waits until blocked requests
// of it hang in srv's Slow steps, cancels the call's context and checks that
// call then returns context.Canceled promptly. what names the call in
// failure messages.
func checkCancelStops(t *testing.T, srv *openaitest.Server, blocked int, what string, call func(context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- call(ctx) }()
	for range blocked {
		select {
		case <-srv.Blocked():
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: the request never reached the server", what)
		}
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("%s: err = %v, want context.Canceled", what, err)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("%s did not stop after cancel", what)
	}
}
