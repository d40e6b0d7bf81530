package redact

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"testing"
)

func TestText(t *testing.T) {
	cases := []struct{ in, want string }{
		{`Patch "https://discord.com/api/v9/webhooks/1000000000000000002/aW50ZXJhY3Rpb246MTIz/messages/@original": context deadline exceeded`,
			`Patch "https://discord.com/api/v9/webhooks/1000000000000000002/[redacted]/messages/@original": context deadline exceeded`},
		{"POST http://127.0.0.1:8080/api/v9/interactions/123/tok-en_1/callback failed",
			"POST http://127.0.0.1:8080/api/v9/interactions/123/[redacted]/callback failed"},
		{"fetch http://u:p@host.example/a?token=s3cret#frag.", "fetch http://host.example/a?…."},
		{"see (https://x.example/b?q=1)", "see (https://x.example/b?…)"},
		{"no url here", "no url here"},
		{"/api/v9/webhooks/1/abcdef/messages/@original 500", "/api/v9/webhooks/1/[redacted]/messages/@original 500"},
		{"broken http://us:pw@host/%zz?x=1", "broken http://[redacted]@host/%zz?…"}, // does not parse: rough cut
		{"ftp://user:pass@files.example/x", "ftp://files.example/x"},
		// A quote, backtick or space inside a password or query does not
		// end the redaction early.
		{"fetch https://user:pa'ss@host.example/x failed", "fetch https://host.example/x failed"},
		{"url https://h.example/p?token='SECRET1 end", "url https://h.example/p?… end"},
		{`url https://h.example/p?token="SECRET2 end`, "url https://h.example/p?… end"},
		{"url https://h.example/p?x=1`SECRET3 end", "url https://h.example/p?… end"},
		{`Get "https://u:p@h.example/x?t=1": refused`, `Get "https://h.example/x?…": refused`},
	}
	for _, c := range cases {
		if got := Text(c.in); got != c.want {
			t.Errorf("Text(%q)\n got %q\nwant %q", c.in, got, c.want)
		}
		if again := Text(Text(c.in)); again != Text(c.in) {
			t.Errorf("Text is not idempotent on %q: %q", c.in, again)
		}
	}
}

func TestTextSecrets(t *testing.T) {
	got := Text("key sk-live-123456 echoed; token abc", "sk-live-123456", "abc", "")
	if got != "key [redacted] echoed; token abc" {
		t.Errorf("got %q (secrets under 4 bytes are left alone)", got)
	}
}

func TestURL(t *testing.T) {
	u, _ := url.Parse("https://user:hunter2@news.example/page/x?sig=abc#top")
	if got := URL(u); got != "https://news.example/page/x?…" {
		t.Errorf("URL = %q", got)
	}
	if got := URL(nil); got != "(no URL)" {
		t.Errorf("URL(nil) = %q", got)
	}
	long, _ := url.Parse("https://news.example/" + strings.Repeat("é", 300))
	if got := URL(long); len(got) > maxURL+len("…") || !strings.HasSuffix(got, "…") {
		t.Errorf("long URL not clipped: %d bytes", len(got))
	}
}

type secretErr struct{}

func (secretErr) Error() string { return `Get "http://a:b@h.example/?k=v": refused` }

type wrapper struct{ URL string }

func TestHandler(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(Handler(slog.NewTextHandler(&buf, nil), "topsecret-token"))
	log = log.With("base", "http://u:p@h.example/x?y=1").WithGroup("g")
	log.Info("edit https://d.example/api/v9/webhooks/9/TOKENXYZ/messages/@original failed",
		"err", secretErr{}, "wrapped", fmt.Errorf("deliver: %w", errors.New("token topsecret-token")),
		"struct", wrapper{URL: "https://h.example/?session=zzz"},
		slog.Group("inner", "url", "http://me:pw@h.example/"), "n", 3)
	out := buf.String()
	for _, leak := range []string{"u:p", "y=1", "TOKENXYZ", "a:b", "k=v", "topsecret", "session=zzz", "me:pw"} {
		if strings.Contains(out, leak) {
			t.Errorf("log leaks %q:\n%s", leak, out)
		}
	}
	if !strings.Contains(out, "g.n=3") || !strings.Contains(out, "h.example") {
		t.Errorf("log lost its ordinary content:\n%s", out)
	}
	// Wrapping twice redacts with both sets of secrets, in one pass.
	buf.Reset()
	twice := slog.New(Handler(Handler(slog.NewTextHandler(&buf, nil), "first-secret"), "second-secret"))
	twice.Info("first-secret second-secret")
	if strings.Contains(buf.String(), "secret") {
		t.Errorf("double wrap: %s", buf.String())
	}
	if h := Handler(Handler(slog.DiscardHandler)); h.Enabled(context.Background(), slog.LevelError) {
		t.Errorf("Enabled does not follow the wrapped handler")
	}
}
