package llm

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Retry defaults shared by the chat and embeddings clients.
const (
	DefaultMaxRetries     = 3                      // retries after the first attempt
	DefaultRetryBaseDelay = 500 * time.Millisecond // first backoff; doubles per retry
	DefaultRetryMaxDelay  = 20 * time.Second       // cap on any single wait, Retry-After included
)

// httpDoer is what go-openai calls to send a request (openai.HTTPDoer).
type httpDoer interface {
	Do(*http.Request) (*http.Response, error)
}

// retryDoer sends requests through next and retries the ones that failed in
// a way that a later attempt can fix: 429 (honouring Retry-After), 500, 502,
// 503, 504 and connection errors. Client errors (400, 401, 403, 404, …) are
// returned at once, since repeating them only burns quota.
//
// Retries happen only before a response is handed back: once Do returns a
// 2xx response its body (a stream, perhaps) belongs to the caller, so a
// stream that started is never retried (repeating it would duplicate text
// the user has already seen).
type retryDoer struct {
	next       httpDoer
	maxRetries int
	baseDelay  time.Duration
	maxDelay   time.Duration
	logger     *slog.Logger
	// sleep waits d or until ctx is done; tests replace it to record the
	// waits without spending them.
	sleep func(ctx context.Context, d time.Duration) error
}

// newRetryDoer wraps next. maxRetries < 0 means no retries, 0 the default.
func newRetryDoer(next httpDoer, maxRetries int, logger *slog.Logger) *retryDoer {
	switch {
	case maxRetries == 0:
		maxRetries = DefaultMaxRetries
	case maxRetries < 0:
		maxRetries = 0
	}
	if logger == nil {
		logger = slog.Default()
	}
	return &retryDoer{
		next:       next,
		maxRetries: maxRetries,
		baseDelay:  DefaultRetryBaseDelay,
		maxDelay:   DefaultRetryMaxDelay,
		logger:     logger,
		sleep:      SleepContext,
	}
}

// SleepContext waits d, or returns ctx's error as soon as ctx is done.
// Other clients that retry (the Discord bot's deliveries) wait with it too.
func SleepContext(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Do sends req, retrying as described on retryDoer.
func (d *retryDoer) Do(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	// A body that cannot be replayed allows one attempt only.
	replayable := req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
	for attempt := 0; ; attempt++ {
		r := req
		if attempt > 0 {
			r = req.Clone(ctx)
			if req.GetBody != nil {
				body, err := req.GetBody()
				if err != nil {
					return nil, err
				}
				r.Body = body
			}
		}
		resp, err := d.next.Do(r)
		last := attempt >= d.maxRetries || !replayable
		if err != nil {
			if ctx.Err() != nil || last || !retryableError(err) {
				return nil, err
			}
			wait := d.backoff(attempt)
			d.logger.Warn("API unreachable; retrying",
				"host", req.URL.Host, "path", req.URL.Path, "attempt", attempt+1, "wait", wait, "error", errorClass(err))
			if err := d.sleep(ctx, wait); err != nil {
				return nil, err
			}
			continue
		}
		if !retryableStatus(resp) || last {
			return resp, nil
		}
		wait, ok := retryAfter(resp.Header, time.Now())
		if !ok {
			wait = d.backoff(attempt)
		}
		if wait > d.maxDelay {
			wait = d.maxDelay
		}
		// Waiting past the caller's deadline only to fail then is
		// pointless: hand back the error response now.
		if deadline, has := ctx.Deadline(); has && time.Until(deadline) < wait {
			return resp, nil
		}
		drain(resp)
		d.logger.Warn("API busy; retrying",
			"host", req.URL.Host, "path", req.URL.Path, "status", resp.StatusCode, "attempt", attempt+1, "wait", wait)
		if err := d.sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

// backoff is the wait before retry number attempt+1 (see Backoff).
func (d *retryDoer) backoff(attempt int) time.Duration {
	return Backoff(attempt, d.baseDelay, d.maxDelay)
}

// Backoff is the wait before retry number attempt+1 (attempt counts from
// 0): exponential from base, capped at maxDelay, with "equal jitter" (a random
// point in the upper half) so that many clients failing together do not
// retry in lockstep. The Discord bot's deliveries back off with it too.
func Backoff(attempt int, base, maxDelay time.Duration) time.Duration {
	w := base << min(attempt, 16)
	if w > maxDelay || w <= 0 {
		w = maxDelay
	}
	half := w / 2
	return half + time.Duration(rand.Int64N(int64(half)+1))
}

// retryableStatus reports whether resp is worth another attempt. A 429 that
// says the quota is used up is final: waiting does not refill it.
func retryableStatus(resp *http.Response) bool {
	switch resp.StatusCode {
	case http.StatusTooManyRequests:
		return !quotaExhausted(resp)
	case http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// quotaExhausted peeks at a 429's body for OpenAI's "insufficient_quota"
// code, then puts the body back for go-openai to decode.
func quotaExhausted(resp *http.Response) bool {
	const peek = 4 << 10
	body, err := io.ReadAll(io.LimitReader(resp.Body, peek))
	rest := resp.Body
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(body), rest), rest}
	if err != nil {
		return false
	}
	return bytes.Contains(body, []byte("insufficient_quota"))
}

// retryableError reports whether a transport error is a connection problem
// (refused, reset, closed before the response, timed out) rather than, say,
// a malformed URL or an unknown host.
func retryableError(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	// *url.Error is itself a net.Error; judge what it wraps.
	var uerr *url.Error
	if errors.As(err, &uerr) {
		err = uerr.Err
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return dnsErr.IsTemporary || dnsErr.IsTimeout
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) {
		return true
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) {
		return true
	}
	var netErr net.Error
	return errors.As(err, &netErr) && netErr.Timeout()
}

// errorClass is a short, secret-free description of a transport error for
// logs (the full error includes the URL, which is fine, but keep logs terse).
func errorClass(err error) string {
	var opErr *net.OpError
	if errors.As(err, &opErr) {
		return opErr.Op + ": " + opErr.Err.Error()
	}
	return err.Error()
}

// retryAfter reads how long the server asked us to wait: OpenAI's
// retry-after-ms (milliseconds), else Retry-After (seconds or an HTTP date).
func retryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	if v := strings.TrimSpace(h.Get("Retry-After-Ms")); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil && ms >= 0 && ms < 1e9 {
			return time.Duration(ms * float64(time.Millisecond)), true
		}
	}
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil {
		if s < 0 || s > 1e6 {
			return 0, false
		}
		return time.Duration(s * float64(time.Second)), true
	}
	if t, err := http.ParseTime(v); err == nil {
		if w := t.Sub(now); w > 0 {
			return w, true
		}
		return 0, true
	}
	return 0, false
}

// drain reads a little of a discarded response so its connection can be
// reused, then closes it.
func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
}
