package bot

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/attache-bot/attache/corpus"
)

func TestDownloadProblem(t *testing.T) {
	wrap := func(err error, detail string) error {
		return fmt.Errorf("fetch https://cdn.example/a: %w%s", err, detail)
	}
	cases := []struct {
		err   error
		want  string
		again bool
	}{
		{wrap(corpus.ErrBlockedAddress, ""), "not allowed", false},
		{wrap(corpus.ErrTooLarge, ": the response is 9000000 bytes"), "limit of 8 MB", false},
		{wrap(corpus.ErrBadURL, ""), "not a valid web address", false},
		{wrap(corpus.ErrTooManyRedirects, ""), "redirects", false},
		{wrap(corpus.ErrHTTPStatus, ": 404 Not Found"), "HTTP 404", false},
		{wrap(corpus.ErrHTTPStatus, ": 403 Forbidden"), "HTTP 403", false},
		{wrap(corpus.ErrHTTPStatus, ": 502 Bad Gateway"), "HTTP 502", true},
		{wrap(corpus.ErrHTTPStatus, ": 429 Too Many Requests"), "HTTP 429", true},
		{wrap(corpus.ErrHTTPStatus, ": garbage"), "had a problem; please", true},
		{wrap(corpus.ErrHTTPStatus, ""), "had a problem; please", true},
		{wrap(corpus.ErrFetchTimeout, ""), "too long", true},
		{errors.New("connection reset by peer <@123> @everyone"), "connection reset", true},
	}
	for _, c := range cases {
		got := downloadProblem(c.err)
		if !strings.Contains(got, c.want) || strings.Contains(got, "try again") != c.again {
			t.Errorf("downloadProblem(%v) = %q, want %q and try again = %v", c.err, got, c.want, c.again)
		}
		if strings.Contains(got, "<@123>") || strings.Contains(got, "@everyone") {
			t.Errorf("downloadProblem(%v) = %q: live mentions", c.err, got)
		}
	}
}

func TestDescribeTypeIsDefused(t *testing.T) {
	cases := map[string]string{
		"image/png":                          "`image/png`",
		"text/html; charset=utf-8":           "`text/html`",
		"":                                   "of an unknown type",
		"  ;x":                               "of an unknown type",
		"image/`x` <@1> @everyone":           "`image/'x'",
		"video/" + strings.Repeat("a", 5000): "`video/aaaa",
	}
	for in, want := range cases {
		got := describeType(in)
		if !strings.HasPrefix(got, want) || len([]rune(got)) > 70 || strings.Contains(got, "<@1>") || strings.Contains(got, "@everyone") || strings.Count(got, "`") > 2 {
			t.Errorf("describeType(%.40q) = %q, want it to start with %q, short and defused", in, got, want)
		}
	}
	for _, ct := range []string{"image/png", "IMAGE/JPEG", " audio/ogg", "video/mp4"} {
		if !mediaType(ct) {
			t.Errorf("mediaType(%q) = false", ct)
		}
	}
	for _, ct := range []string{"", "text/plain", "application/octet-stream", "application/json", "imagex/png"} {
		if mediaType(ct) {
			t.Errorf("mediaType(%q) = true", ct)
		}
	}
}

func TestFirstRunes(t *testing.T) {
	cases := []struct {
		in   string
		n    int
		want string
	}{
		{"", 3, ""}, {"abc", 3, "abc"}, {"abcd", 3, "abc"}, {"äöüß", 2, "äö"}, {"abc", 0, ""}, {"a\xffb", 2, "a\xff"},
	}
	for _, c := range cases {
		if got := firstRunes(c.in, c.n); got != c.want {
			t.Errorf("firstRunes(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
		}
	}
}
