package retrieval

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/attache-bot/attache/retrieval/llm"
	"github.com/attache-bot/attache/retrieval/llm/openaitest"
)

// newTestLLM makes a language model client talking to srv, with quiet logs.
func newTestLLM(t testing.TB, srv *openaitest.Server) *llm.Client {
	t.Helper()
	l, err := llm.New(llm.Config{BaseURL: srv.URL(), APIKey: "sk-test-SECRET-0123456789abcdef", Model: "gpt-4o-mini", Logger: quietLogger(), Sleep: skipWait})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(l.Close)
	return l
}

func quietLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// skipWait is a retry wait that takes no time.
func skipWait(ctx context.Context, _ time.Duration) error { return ctx.Err() }
