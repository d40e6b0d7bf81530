package openaitest

import (
	"context"
	"errors"
	"testing"
	"time"
)

// CheckCancelStops runs call in a goroutine, waits until blocked requests
// of it hang in srv's Slow steps, cancels the call's context and checks that
// call then returns context.Canceled promptly. what names the call in
// failure messages.
func CheckCancelStops(t testing.TB, srv *Server, blocked int, what string, call func(context.Context) error) {
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
