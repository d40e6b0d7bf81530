package llm

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	openai "github.com/sashabaranov/go-openai"
	"go.uber.org/goleak"

	"github.com/attache-bot/attache/retrieval/llm/openaitest"
)

const testKey = "sk-test-SECRET-0123456789abcdef"

// waitLog records the retry waits an LLM or embedder asked for.
type waitLog struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (w *waitLog) sleep(ctx context.Context, d time.Duration) error {
	w.mu.Lock()
	w.waits = append(w.waits, d)
	w.mu.Unlock()
	return ctx.Err()
}

func (w *waitLog) all() []time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]time.Duration(nil), w.waits...)
}

// newTestLLM makes an LLM talking to srv with the test key, a quiet logger
// and recorded (not spent) retry waits.
func newTestLLM(t *testing.T, srv *openaitest.Server, edit ...func(*Config)) (*Client, *waitLog) {
	t.Helper()
	waits := &waitLog{}
	cfg := Config{BaseURL: srv.URL(), APIKey: testKey, Model: "gpt-4o-mini", Logger: quietLogger(), Sleep: waits.sleep}
	for _, e := range edit {
		e(&cfg)
	}
	l, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(l.Close)
	return l, waits
}

func userMsg(s string) []openai.ChatCompletionMessage {
	return []openai.ChatCompletionMessage{{Role: openai.ChatMessageRoleUser, Content: s}}
}

func TestLLMStream(t *testing.T) {
	srv := openaitest.New(t)
	srv.SetAPIKey(testKey)
	reply := "Iran wants guarantees from the European countries [1]. Talks resume next week [2]."
	srv.SetReply(reply)
	l, _ := newTestLLM(t, srv)
	var deltas []string
	g, err := l.stream(context.Background(), userMsg("q"), func(d string) { deltas = append(deltas, d) })
	if err != nil {
		t.Fatal(err)
	}
	if g.Text != reply || strings.Join(deltas, "") != reply || len(deltas) < 5 {
		t.Fatalf("text %q from %d deltas, want %q streamed in pieces", g.Text, len(deltas), reply)
	}
	if g.Finish != FinishStop {
		t.Errorf("finish = %q, want stop", g.Finish)
	}
	if g.Usage.PromptTokens == 0 || g.Usage.CompletionTokens == 0 {
		t.Errorf("usage = %+v, want the usage chunk's counts", g.Usage)
	}
	reqs := srv.ChatRequests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	r := reqs[0]
	if !r.Stream || !r.IncludeUsage || r.Model != "gpt-4o-mini" || r.Authorization != "Bearer "+testKey {
		t.Errorf("request %+v: want a streamed request with usage, the model and the key", r)
	}
	// A temperature of 0 would be dropped by go-openai; a small one is sent.
	if r.Temperature == nil || *r.Temperature <= 0 || *r.Temperature > 0.1 {
		t.Errorf("temperature = %v, want a small positive value sent", r.Temperature)
	}
	if r.MaxTokens != DefaultMaxTokens {
		t.Errorf("max tokens = %d, want %d", r.MaxTokens, DefaultMaxTokens)
	}
}

func TestLLMReasoningModelRequest(t *testing.T) {
	srv := openaitest.New(t)
	l, _ := newTestLLM(t, srv, func(c *Config) { c.Model = "o3-mini" })
	if _, err := l.stream(context.Background(), userMsg("q"), nil); err != nil {
		t.Fatal(err)
	}
	r := srv.ChatRequests()[0]
	if r.Temperature != nil || r.MaxTokens == 0 || !bytes.Contains(r.Body, []byte("max_completion_tokens")) {
		t.Fatalf("reasoning model request: temperature %v, body %s: want no temperature and max_completion_tokens", r.Temperature, r.Body)
	}
}

func TestLLMRetriesRateLimitThenAnswers(t *testing.T) {
	srv := openaitest.New(t)
	srv.Script(openaitest.RateLimited(1500*time.Millisecond), openaitest.Reply("Answer [1]."))
	l, waits := newTestLLM(t, srv)
	g, err := l.stream(context.Background(), userMsg("q"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if g.Text != "Answer [1]." {
		t.Fatalf("text %q", g.Text)
	}
	if n := len(srv.ChatRequests()); n != 2 {
		t.Fatalf("%d requests, want 2 (one retry)", n)
	}
	if w := waits.all(); len(w) != 1 || w[0] != 1500*time.Millisecond {
		t.Fatalf("waits %v, want the server's Retry-After (1.5s) once", w)
	}
}

func TestLLMFailures(t *testing.T) {
	tests := []struct {
		name     string
		steps    []openaitest.Step
		requests int
		is       []error
	}{
		{"server errors exhaust retries", []openaitest.Step{openaitest.ServerError(), openaitest.ServerError(),
			openaitest.ServerError(), openaitest.ServerError()}, 1 + DefaultMaxRetries, []error{ErrUnavailable}},
		{"html 502 then success is not an error", nil, 0, nil},
		{"bad request is not retried", []openaitest.Step{openaitest.Fail(400, "bad")}, 1, []error{ErrUnavailable}},
		{"quota is not retried", []openaitest.Step{openaitest.QuotaExceeded()}, 1, []error{ErrUnavailable}},
		{"401", []openaitest.Step{openaitest.Unauthorized()}, 1, []error{ErrAuth}},
		{"cut off", []openaitest.Step{openaitest.CutOff("one two three four five six")}, 1, []error{ErrUnavailable, ErrCutOff}},
		{"disconnect", []openaitest.Step{openaitest.Disconnect("one two three four five six")}, 1, []error{ErrUnavailable}},
		{"in-stream error", []openaitest.Step{openaitest.StreamError("one two three four", "overloaded")}, 1, []error{ErrUnavailable}},
		{"empty choices", []openaitest.Step{openaitest.EmptyChoices()}, 1, []error{ErrUnavailable, ErrCutOff}},
		{"malformed body", []openaitest.Step{openaitest.Malformed()}, 1, []error{ErrUnavailable}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := openaitest.New(t)
			if tt.steps == nil {
				srv.Script(openaitest.FailPlain(502, "<html>Bad Gateway</html>"))
			} else {
				srv.Script(tt.steps...)
			}
			l, _ := newTestLLM(t, srv)
			_, err := l.stream(context.Background(), userMsg("q"), nil)
			if tt.steps == nil {
				if err != nil || len(srv.ChatRequests()) != 2 {
					t.Fatalf("err %v after %d requests, want success after a retry", err, len(srv.ChatRequests()))
				}
				return
			}
			for _, want := range tt.is {
				if !errors.Is(err, want) {
					t.Errorf("err = %v, want it to wrap %v", err, want)
				}
			}
			if n := len(srv.ChatRequests()); n != tt.requests {
				t.Errorf("%d requests, want %d (a stream that started is never retried)", n, tt.requests)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q is not one line", err)
			}
		})
	}
}

func TestLLMTruncatedAnswer(t *testing.T) {
	srv := openaitest.New(t)
	srv.Script(openaitest.Truncated("A long answer [1] that"))
	l, _ := newTestLLM(t, srv)
	g, err := l.stream(context.Background(), userMsg("q"), nil)
	if err != nil || g.Finish != FinishLength || g.Text != "A long answer [1] that" {
		t.Fatalf("got %+v, %v: want the text with finish length", g, err)
	}
}

// The key never appears in errors or logs, even when the server echoes it.
func TestLLMNeverLeaksKey(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv := openaitest.New(t)
	srv.SetAPIKey("another-key") // the server rejects ours and quotes it back
	l, _ := newTestLLM(t, srv, func(c *Config) { c.Logger = logger })
	var errs []error
	_, err := l.stream(context.Background(), userMsg("q"), nil)
	errs = append(errs, err)
	errs = append(errs, l.Check(context.Background()))

	srv2 := openaitest.New(t)
	srv2.Script(openaitest.Fail(500, "internal error for key "+testKey), openaitest.Fail(500, "key "+testKey),
		openaitest.Fail(500, "key "+testKey), openaitest.Fail(500, "key "+testKey),
		openaitest.Fail(400, "bad request from "+testKey))
	l2, _ := newTestLLM(t, srv2, func(c *Config) { c.Logger = logger })
	_, err = l2.stream(context.Background(), userMsg("q"), nil)
	errs = append(errs, err)
	_, err = l2.stream(context.Background(), userMsg("q"), nil)
	errs = append(errs, err)

	for i, err := range errs {
		if err == nil {
			t.Fatalf("error %d: want a failure", i)
		}
		if strings.Contains(err.Error(), testKey) || strings.Contains(err.Error(), "SECRET") {
			t.Errorf("error %d leaks the key: %v", i, err)
		}
	}
	if !errors.Is(errs[0], ErrAuth) || !errors.Is(errs[1], ErrAuth) {
		t.Errorf("errors %v, %v: want ErrAuth", errs[0], errs[1])
	}
	if strings.Contains(logs.String(), "SECRET") {
		t.Errorf("logs leak the key:\n%s", logs.String())
	}
}

func TestLLMCheck(t *testing.T) {
	t.Run("ok", func(t *testing.T) {
		srv := openaitest.New(t)
		l, _ := newTestLLM(t, srv)
		if err := l.Check(context.Background()); err != nil {
			t.Fatal(err)
		}
		if n := len(srv.ChatRequests()); n != 0 {
			t.Errorf("%d chat requests, want none: the model list settles it", n)
		}
	})
	t.Run("ollama latest alias", func(t *testing.T) {
		srv := openaitest.New(t)
		srv.SetModels("llama3.2:latest")
		l, _ := newTestLLM(t, srv, func(c *Config) { c.Model = "llama3.2" })
		if err := l.Check(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("unlisted but served", func(t *testing.T) {
		srv := openaitest.New(t) // lists two models but accepts any name
		l, _ := newTestLLM(t, srv, func(c *Config) { c.Model = "my-deployment" })
		if err := l.Check(context.Background()); err != nil {
			t.Fatal(err)
		}
		if n := len(srv.ChatRequests()); n != 1 {
			t.Errorf("%d chat requests, want 1 probe", n)
		}
	})
	t.Run("unknown model", func(t *testing.T) {
		srv := openaitest.New(t)
		srv.SetModels("gpt-4o-mini")
		l, _ := newTestLLM(t, srv, func(c *Config) { c.Model = "gpt-9-imaginary" })
		err := l.Check(context.Background())
		if !errors.Is(err, ErrModel) || !strings.Contains(err.Error(), "gpt-9-imaginary") {
			t.Fatalf("err = %v, want ErrModel naming the model", err)
		}
	})
	t.Run("bad key", func(t *testing.T) {
		srv := openaitest.New(t)
		srv.SetAPIKey("the-right-key")
		l, _ := newTestLLM(t, srv)
		err := l.Check(context.Background())
		if !errors.Is(err, ErrAuth) || strings.Contains(err.Error(), testKey) || strings.Contains(err.Error(), "\n") {
			t.Fatalf("err = %v, want one line wrapping ErrAuth without the key", err)
		}
	})
	t.Run("wrong base path", func(t *testing.T) {
		srv := openaitest.New(t)
		l, _ := newTestLLM(t, srv, func(c *Config) { c.BaseURL = strings.TrimSuffix(srv.URL(), "/v1") })
		err := l.Check(context.Background())
		if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "/v1") {
			t.Fatalf("err = %v, want a hint about /v1", err)
		}
	})
	t.Run("unreachable", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		l, err := New(Config{BaseURL: "http://" + addr + "/v1", APIKey: testKey, MaxRetries: -1, Logger: quietLogger()})
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		err = l.Check(context.Background())
		if !errors.Is(err, ErrUnavailable) || strings.Contains(err.Error(), testKey) {
			t.Fatalf("err = %v, want ErrUnavailable", err)
		}
	})
}

func TestNewLLMConfig(t *testing.T) {
	for _, base := range []string{"", "   ", "ftp://example.com/v1", "example.com/v1", "http://"} {
		if _, err := New(Config{BaseURL: base}); err == nil {
			t.Errorf("New(%q): want an error", base)
		}
	}
	_, err := New(Config{BaseURL: "ftp://user:hunter2@example.com/v1"})
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("err = %v: want an error without the URL's password", err)
	}
	l, err := New(Config{BaseURL: "http://localhost:11434/v1/"})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if l.Model() != DefaultModel || l.cfg.Timeout != DefaultTimeout || l.cfg.Temperature != DefaultTemperature {
		t.Errorf("defaults not applied: %+v", l.cfg)
	}
}

// A cancelled context stops a call that is waiting for the first token at
// once, and leaves no goroutine behind.
func TestLLMCancelStopsAtOnce(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	srv := openaitest.NewServer()
	defer srv.Close()
	srv.Script(openaitest.Slow())
	l, err := New(Config{BaseURL: srv.URL(), Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	openaitest.CheckCancelStops(t, srv, 1, "stream", func(ctx context.Context) error {
		_, err := l.stream(ctx, userMsg("q"), nil)
		return err
	})
	l.Close()
	srv.Close()
}

// A slow model is bounded by the configured timeout.
func TestLLMTimeout(t *testing.T) {
	srv := openaitest.New(t)
	srv.Script(openaitest.Slow())
	l, _ := newTestLLM(t, srv, func(c *Config) { c.Timeout = 50 * time.Millisecond })
	_, err := l.stream(context.Background(), userMsg("q"), nil)
	if !errors.Is(err, ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want a timeout wrapping ErrUnavailable", err)
	}
}

func TestLLMCompleteGuardsEmptyChoices(t *testing.T) {
	srv := openaitest.New(t)
	srv.Script(openaitest.EmptyChoices())
	l, _ := newTestLLM(t, srv)
	if _, err := l.complete(context.Background(), userMsg("q"), 10, time.Minute); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}
	srv.SetReply("standalone query")
	got, err := l.complete(context.Background(), userMsg("q"), 10, time.Minute)
	if err != nil || got != "standalone query" {
		t.Fatalf("got %q, %v", got, err)
	}
	if r := srv.ChatRequests()[1]; r.Stream || r.MaxTokens != 10 {
		t.Errorf("request %+v: want non-streamed with max tokens 10", r)
	}
}

// The fake serves plain HTTP; make sure go-openai decodes its errors as
// API errors (so status codes reach our classification).
func TestOpenAITestErrorShape(t *testing.T) {
	srv := openaitest.New(t)
	srv.Script(openaitest.Fail(http.StatusTeapot, "short and stout"))
	c := openai.NewClientWithConfig(func() openai.ClientConfig {
		cfg := openai.DefaultConfig("")
		cfg.BaseURL = srv.URL()
		return cfg
	}())
	_, err := c.CreateChatCompletion(context.Background(), openai.ChatCompletionRequest{Model: "m", Messages: userMsg("q")})
	var apiErr *openai.APIError
	if !errors.As(err, &apiErr) || apiErr.HTTPStatusCode != http.StatusTeapot || apiErr.Message != "short and stout" {
		t.Fatalf("err = %#v, want an APIError 418", err)
	}
}

func TestWrapAPIError(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"openai model", &openai.APIError{HTTPStatusCode: 404, Code: "model_not_found", Message: "The model `llama-x` does not exist"}, ErrModel},
		{"code without status", &openai.APIError{HTTPStatusCode: 400, Code: "model_not_found", Message: "no"}, ErrModel},
		{"ollama model", &openai.APIError{HTTPStatusCode: 404, Message: `model "llama-x" not found, try pulling it first`}, ErrModel},
		{"vllm model", &openai.RequestError{HTTPStatusCode: 404,
			Body: []byte(`{"object":"error","message":"The model ` + "`llama-x`" + ` does not exist.","type":"NotFoundError","code":404}`)}, ErrModel},
		{"wrong path", &openai.RequestError{HTTPStatusCode: 404, Body: []byte("404 page not found")}, ErrUnavailable},
		{"unknown url", &openai.APIError{HTTPStatusCode: 404, Message: "Unknown request URL: GET /models"}, ErrUnavailable},
		{"forbidden", &openai.APIError{HTTPStatusCode: 403, Message: "key " + testKey + " blocked"}, ErrAuth},
		{"html 502", &openai.RequestError{HTTPStatusCode: 502, Body: []byte("<html>" + testKey + "</html>")}, ErrUnavailable},
		{"transport", errors.New("dial tcp: lookup " + testKey + ".invalid: no such host"), ErrUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := wrapAPIError("op", "API at example.test", "llama-x", testKey, tt.err)
			if !errors.Is(err, tt.want) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
			if strings.Contains(err.Error(), testKey) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q leaks the key or spans lines", err)
			}
		})
	}
}
