package llm

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// doerFunc adapts a function to httpDoer.
type doerFunc func(*http.Request) (*http.Response, error)

func (f doerFunc) Do(r *http.Request) (*http.Response, error) { return f(r) }

// scriptedDoer answers with the given responses (or errors) in order and
// records the bodies it was sent.
type scriptedDoer struct {
	mu     sync.Mutex
	steps  []func() (*http.Response, error)
	bodies []string
}

func (s *scriptedDoer) Do(r *http.Request) (*http.Response, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var body string
	if r.Body != nil {
		b, _ := io.ReadAll(r.Body)
		body = string(b)
	}
	s.bodies = append(s.bodies, body)
	i := len(s.bodies) - 1
	if i >= len(s.steps) {
		i = len(s.steps) - 1
	}
	return s.steps[i]()
}

func (s *scriptedDoer) calls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.bodies)
}

func status(code int, header ...string) func() (*http.Response, error) {
	return func() (*http.Response, error) {
		h := http.Header{}
		for i := 0; i+1 < len(header); i += 2 {
			h.Set(header[i], header[i+1])
		}
		return &http.Response{StatusCode: code, Header: h, Body: io.NopCloser(strings.NewReader(`{"error":{"message":"x"}}`))}, nil
	}
}

func fail(err error) func() (*http.Response, error) {
	return func() (*http.Response, error) { return nil, err }
}

// recordWaits makes d record its waits instead of spending them.
func recordWaits(d *retryDoer) *[]time.Duration {
	var waits []time.Duration
	d.sleep = func(ctx context.Context, w time.Duration) error {
		waits = append(waits, w)
		return ctx.Err()
	}
	return &waits
}

func postRequest(t *testing.T, ctx context.Context, body string) *http.Request {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://api.invalid/v1/chat/completions", bytes.NewBufferString(body))
	if err != nil {
		t.Fatal(err)
	}
	return req
}

func TestRetryHonoursRetryAfter(t *testing.T) {
	date := time.Now().Add(10 * time.Second).UTC().Format(http.TimeFormat)
	tests := []struct {
		name   string
		header []string
		min    time.Duration
		max    time.Duration
	}{
		{"retry-after-ms", []string{"Retry-After-Ms", "1500", "Retry-After", "9"}, 1500 * time.Millisecond, 1500 * time.Millisecond},
		{"seconds", []string{"Retry-After", "2"}, 2 * time.Second, 2 * time.Second},
		{"zero", []string{"Retry-After", "0"}, 0, 0},
		{"http date", []string{"Retry-After", date}, 8 * time.Second, 10 * time.Second},
		{"capped", []string{"Retry-After", "3600"}, DefaultRetryMaxDelay, DefaultRetryMaxDelay},
		{"garbage falls back to backoff", []string{"Retry-After", "soon"}, DefaultRetryBaseDelay / 2, DefaultRetryBaseDelay},
		{"negative falls back to backoff", []string{"Retry-After", "-5"}, DefaultRetryBaseDelay / 2, DefaultRetryBaseDelay},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sd := &scriptedDoer{steps: []func() (*http.Response, error){status(429, tt.header...), status(200)}}
			d := newRetryDoer(sd, 0, quietLogger())
			waits := recordWaits(d)
			resp, err := d.Do(postRequest(t, context.Background(), `{"a":1}`))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 200 || sd.calls() != 2 {
				t.Fatalf("status %d after %d calls, want 200 after 2", resp.StatusCode, sd.calls())
			}
			if len(*waits) != 1 || (*waits)[0] < tt.min || (*waits)[0] > tt.max {
				t.Fatalf("waits %v, want one in [%v, %v]", *waits, tt.min, tt.max)
			}
			if sd.bodies[1] != `{"a":1}` {
				t.Fatalf("retried body %q, want the original replayed", sd.bodies[1])
			}
		})
	}
}

func TestRetryStatuses(t *testing.T) {
	for _, code := range []int{500, 502, 503, 504} {
		sd := &scriptedDoer{steps: []func() (*http.Response, error){status(code)}}
		d := newRetryDoer(sd, 0, quietLogger())
		waits := recordWaits(d)
		resp, err := d.Do(postRequest(t, context.Background(), "{}"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != code || sd.calls() != 1+DefaultMaxRetries {
			t.Errorf("%d: status %d after %d calls, want %d after %d", code, resp.StatusCode, sd.calls(), code, 1+DefaultMaxRetries)
		}
		// Exponential backoff with jitter: each wait in the upper half of
		// base·2^i.
		for i, w := range *waits {
			full := DefaultRetryBaseDelay << i
			if w < full/2 || w > full {
				t.Errorf("%d: wait %d = %v, want in [%v, %v]", code, i, w, full/2, full)
			}
		}
	}
	for _, code := range []int{400, 401, 403, 404, 422} {
		sd := &scriptedDoer{steps: []func() (*http.Response, error){status(code), status(200)}}
		d := newRetryDoer(sd, 0, quietLogger())
		recordWaits(d)
		resp, err := d.Do(postRequest(t, context.Background(), "{}"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != code || sd.calls() != 1 {
			t.Errorf("%d: status %d after %d calls, want no retry", code, resp.StatusCode, sd.calls())
		}
	}
}

func TestRetryMaxRetries(t *testing.T) {
	for _, tt := range []struct{ cfg, calls int }{{0, 1 + DefaultMaxRetries}, {-1, 1}, {1, 2}, {5, 6}} {
		sd := &scriptedDoer{steps: []func() (*http.Response, error){status(503)}}
		d := newRetryDoer(sd, tt.cfg, nil)
		recordWaits(d)
		resp, err := d.Do(postRequest(t, context.Background(), "{}"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if sd.calls() != tt.calls {
			t.Errorf("MaxRetries %d: %d calls, want %d", tt.cfg, sd.calls(), tt.calls)
		}
	}
}

func TestRetryQuotaExhaustedIsFinal(t *testing.T) {
	body := `{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","code":"insufficient_quota"}}`
	sd := &scriptedDoer{steps: []func() (*http.Response, error){func() (*http.Response, error) {
		return &http.Response{StatusCode: 429, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(body))}, nil
	}}}
	d := newRetryDoer(sd, 0, quietLogger())
	recordWaits(d)
	resp, err := d.Do(postRequest(t, context.Background(), "{}"))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if sd.calls() != 1 || string(got) != body {
		t.Fatalf("%d calls, body %q: want 1 call and the body intact", sd.calls(), got)
	}
}

func TestRetryConnectionErrors(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
	sd := &scriptedDoer{steps: []func() (*http.Response, error){fail(refused), fail(io.ErrUnexpectedEOF), status(200)}}
	d := newRetryDoer(sd, 0, quietLogger())
	recordWaits(d)
	resp, err := d.Do(postRequest(t, context.Background(), "{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if sd.calls() != 3 {
		t.Fatalf("%d calls, want 3", sd.calls())
	}

	// A malformed request is not a connection problem: no retry.
	sd = &scriptedDoer{steps: []func() (*http.Response, error){fail(errors.New("unsupported protocol scheme"))}}
	d = newRetryDoer(sd, 0, quietLogger())
	recordWaits(d)
	if _, err := d.Do(postRequest(t, context.Background(), "{}")); err == nil || sd.calls() != 1 {
		t.Fatalf("err %v after %d calls, want an error after 1", err, sd.calls())
	}
}

// A real refused connection (a closed port) is retried, then reported.
func TestRetryRefusedConnectionReal(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	hc := newHTTPClient()
	defer hc.CloseIdleConnections()
	var attempts int
	counting := doerFunc(func(r *http.Request) (*http.Response, error) { attempts++; return hc.Do(r) })
	d := newRetryDoer(counting, 2, quietLogger())
	recordWaits(d)
	req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/v1/models", nil)
	if _, err := d.Do(req); err == nil {
		t.Fatal("want an error from a closed port")
	}
	if attempts != 3 {
		t.Fatalf("%d attempts, want 3", attempts)
	}
}

func TestRetryStopsWhenContextEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	sd := &scriptedDoer{steps: []func() (*http.Response, error){func() (*http.Response, error) {
		cancel() // the caller gives up while the server is busy
		return status(503)()
	}}}
	d := newRetryDoer(sd, 0, quietLogger()) // real sleep: it must return at once
	done := make(chan error, 1)
	go func() {
		_, err := d.Do(postRequest(t, ctx, "{}"))
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Do kept waiting after the context was cancelled")
	}
	if sd.calls() != 1 {
		t.Fatalf("%d calls, want 1", sd.calls())
	}
}

func TestRetryGivesUpBeforeDeadline(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	// The server asks for longer than the caller will wait (the cap is
	// raised so that the Retry-After is honoured in full).
	sd := &scriptedDoer{steps: []func() (*http.Response, error){status(429, "Retry-After", "7200"), status(200)}}
	d := newRetryDoer(sd, 0, quietLogger())
	d.maxDelay = 3 * time.Hour
	waits := recordWaits(d)
	resp, err := d.Do(postRequest(t, ctx, "{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 429 || sd.calls() != 1 || len(*waits) != 0 {
		t.Fatalf("status %d, %d calls, waits %v: want the 429 at once", resp.StatusCode, sd.calls(), *waits)
	}
}

func TestRetryNeedsReplayableBody(t *testing.T) {
	sd := &scriptedDoer{steps: []func() (*http.Response, error){status(503), status(200)}}
	d := newRetryDoer(sd, 0, quietLogger())
	recordWaits(d)
	req, _ := http.NewRequest(http.MethodPost, "http://api.invalid/", io.NopCloser(strings.NewReader("once")))
	req.GetBody = nil
	resp, err := d.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 503 || sd.calls() != 1 {
		t.Fatalf("status %d after %d calls, want 503 after 1 (body cannot be replayed)", resp.StatusCode, sd.calls())
	}
}

func TestRetryOverRealHTTP(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	var (
		mu     sync.Mutex
		bodies []string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, string(b))
		n := len(bodies)
		mu.Unlock()
		if n == 1 {
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.Write([]byte("ok"))
	}))
	defer srv.Close()
	hc := newHTTPClient()
	defer hc.CloseIdleConnections()
	d := newRetryDoer(hc, 0, quietLogger())
	req, _ := http.NewRequest(http.MethodPost, srv.URL, bytes.NewBufferString("payload"))
	resp, err := d.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(got) != "ok" || len(bodies) != 2 || bodies[0] != "payload" || bodies[1] != "payload" {
		t.Fatalf("got %q, bodies %q", got, bodies)
	}
}

// quietLogger drops logs: retries are expected in these tests.
func quietLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
