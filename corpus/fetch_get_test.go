package corpus

import (
	"context"
	"errors"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestGetConditional: Get sends the caller's validators, hands back the
// server's, and returns a 304 as a status with no body, not as an error.
func TestGetConditional(t *testing.T) {
	const etag = `"v1"`
	const modified = "Wed, 02 Dec 2026 10:00:00 GMT"
	srv := newFetchServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("If-None-Match") == etag && r.Header.Get("If-Modified-Since") == modified {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", etag)
		w.Header().Set("Last-Modified", modified)
		w.Header().Set("Content-Type", "application/rss+xml")
		w.Write([]byte("<rss/>"))
	}))
	f := NewFetcher(FetchOptions{AllowPrivate: true, Timeout: 2 * time.Second})
	ctx := context.Background()
	first, err := f.Get(ctx, srv.URL+"/feed", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	if first.Status != 200 || string(first.Body) != "<rss/>" || first.ETag != etag || first.LastModified != modified ||
		first.ContentType != "application/rss+xml" || first.URL != srv.URL+"/feed" {
		t.Fatalf("first response = %+v", first)
	}
	h := http.Header{"If-None-Match": {first.ETag}, "If-Modified-Since": {first.LastModified}}
	second, err := f.Get(ctx, srv.URL+"/feed", h, 0)
	if err != nil {
		t.Fatal(err)
	}
	if second.Status != http.StatusNotModified || second.Body != nil {
		t.Fatalf("conditional response = %+v, want 304 without a body", second)
	}
}

// TestGetStatuses: errors and rate limits come back as statuses with the
// delay the server asked for; their bodies are not read.
func TestGetStatuses(t *testing.T) {
	srv := newFetchServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/slow-down":
			w.Header().Set("Retry-After", "120")
			w.WriteHeader(http.StatusTooManyRequests)
		case "/date":
			w.Header().Set("Retry-After", time.Now().Add(time.Hour).UTC().Format(http.TimeFormat))
			w.WriteHeader(http.StatusServiceUnavailable)
		case "/forever":
			w.Header().Set("Retry-After", "99999999")
			w.WriteHeader(http.StatusTooManyRequests)
		case "/junk":
			w.Header().Set("Retry-After", "soon")
			w.WriteHeader(http.StatusTooManyRequests)
		default:
			w.WriteHeader(http.StatusInternalServerError)
			w.Write([]byte(strings.Repeat("x", 10000)))
		}
	}))
	f := NewFetcher(FetchOptions{AllowPrivate: true, Timeout: 2 * time.Second})
	ctx := context.Background()
	tests := []struct {
		path     string
		status   int
		min, max time.Duration
	}{
		{"/slow-down", 429, 120 * time.Second, 120 * time.Second},
		{"/date", 503, 58 * time.Minute, time.Hour},
		{"/forever", 429, maxRetryAfter, maxRetryAfter},
		{"/junk", 429, 0, 0},
		{"/broken", 500, 0, 0},
	}
	for _, tc := range tests {
		r, err := f.Get(ctx, srv.URL+tc.path, nil, 100)
		if err != nil {
			t.Errorf("%s: %v (a status is not an error, nor is an unread large body)", tc.path, err)
			continue
		}
		if r.Status != tc.status || r.RetryAfter < tc.min || r.RetryAfter > tc.max || r.Body != nil {
			t.Errorf("%s: status %d, retry after %s, %d body bytes; want %d, %s..%s, no body",
				tc.path, r.Status, r.RetryAfter, len(r.Body), tc.status, tc.min, tc.max)
		}
	}
}

// TestGetLimits: the size limit, the timeout and the address checks of
// Fetch apply to Get.
func TestGetLimits(t *testing.T) {
	block := make(chan struct{})
	defer close(block)
	srv := newFetchServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/big":
			w.Write([]byte(strings.Repeat("x", 2000)))
		case "/hang":
			select {
			case <-block:
			case <-r.Context().Done():
			}
		case "/private":
			http.Redirect(w, r, "http://169.254.169.254/latest/", http.StatusFound)
		}
	}))
	ctx := context.Background()
	f := NewFetcher(FetchOptions{AllowPrivate: true, Timeout: 300 * time.Millisecond})
	if _, err := f.Get(ctx, srv.URL+"/big", nil, 1000); !errors.Is(err, ErrTooLarge) {
		t.Errorf("a 2000-byte body over a 1000-byte limit: err = %v, want ErrTooLarge", err)
	}
	if r, err := f.Get(ctx, srv.URL+"/big", nil, 2000); err != nil || len(r.Body) != 2000 {
		t.Errorf("a body at the limit: %d bytes, err = %v", len(r.Body), err)
	}
	if _, err := f.Get(ctx, srv.URL+"/hang", nil, 0); !errors.Is(err, ErrFetchTimeout) {
		t.Errorf("a server that never answers: err = %v, want ErrFetchTimeout", err)
	}
	for _, bad := range []string{"", "ftp://example.com/feed", "not a url", "http://user:pw@example.com/"} {
		if _, err := f.Get(ctx, bad, nil, 0); !errors.Is(err, ErrBadURL) {
			t.Errorf("Get(%q): err = %v, want ErrBadURL", bad, err)
		}
	}
	strict := NewFetcher(FetchOptions{Timeout: 2 * time.Second})
	if _, err := strict.Get(ctx, srv.URL+"/big", nil, 0); !errors.Is(err, ErrBlockedAddress) {
		t.Errorf("a loopback URL without AllowPrivate: err = %v, want ErrBlockedAddress", err)
	}
	public := srv.addrPort()
	policy := strict.dialPolicy
	strict.dialPolicy = func(ap netip.AddrPort) error {
		if ap == public {
			return nil
		}
		return policy(ap)
	}
	_, err := strict.Get(ctx, srv.URL+"/private?x="+url.QueryEscape("y"), nil, 0)
	if !errors.Is(err, ErrBlockedAddress) {
		t.Errorf("a redirect to the metadata address: err = %v, want ErrBlockedAddress", err)
	}
}
