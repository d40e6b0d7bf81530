// Package redact removes secrets from text bound for logs and error
// messages: credentials and query strings of URLs, Discord interaction and
// webhook tokens in URL paths, and configured secrets (API keys, the bot
// token). Whoever reads a log must not be able to act as the bot with it.
//
// It is the one place that knows what a secret looks like; the packages that
// log or report URLs call it rather than writing their own.
package redact

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"strings"

	"github.com/attache-bot/attache/clip"
)

// Mark replaces a removed secret.
const Mark = "[redacted]"

// maxURL bounds a redacted URL's length: a URL is context in a message, and
// an attacker-chosen one should not flood the log.
const maxURL = 200

// URL writes u for messages and logs without user info, query or fragment
// (a query string may carry a token; "?…" says there was one) and with the
// token segment of Discord's /webhooks/{id}/{token} and
// /interactions/{id}/{token} paths replaced by Mark.
func URL(u *url.URL) string {
	if u == nil {
		return "(no URL)"
	}
	c := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}
	s := tokenPath.ReplaceAllString(c.String(), "${1}"+Mark)
	if u.RawQuery != "" || u.ForceQuery {
		s += "?…"
	}
	return clip.Mark(s, maxURL)
}

// Text returns s with every URL in it written as URL writes it, every
// Discord token path segment replaced, and every occurrence of the given
// secrets replaced by Mark. Secrets shorter than 4 bytes are ignored:
// replacing them would mangle ordinary words and they protect nothing.
// Text is idempotent.
func Text(s string, secrets ...string) string {
	for _, secret := range secrets {
		if len(secret) >= 4 {
			s = strings.ReplaceAll(s, secret, Mark)
		}
	}
	s = urlInText.ReplaceAllStringFunc(s, func(raw string) string {
		// Punctuation that ends a sentence or closes a bracket is not part of
		// the URL.
		// So are the quotes and brackets that close a quoted URL.
		trimmed := strings.TrimRight(raw, ".,;:!)]}\"'>\x60")
		tail := raw[len(trimmed):]
		u, err := url.Parse(trimmed)
		if err != nil || u.Host == "" && u.User == nil {
			return roughURL(trimmed) + tail
		}
		return URL(u) + tail
	})
	// Paths without a scheme and host (discordgo logs some as they are).
	return tokenPath.ReplaceAllString(s, "${1}"+Mark)
}

var (
	// urlInText matches scheme://… up to white space. A quote or bracket
	// inside is kept (a password or query may hold one, and what follows
	// it must be redacted too); one that closes the URL is trimmed.
	urlInText = regexp.MustCompile(`[A-Za-z][A-Za-z0-9+.-]*://[^\s]+`)
	// tokenPath matches the part of a Discord webhook or interaction path
	// before its token; the token is everything up to the next separator.
	tokenPath = regexp.MustCompile(`(/(?:webhooks|interactions)/[^/\s"'?#]+/)[^/\s"'?#]+`)
)

// roughURL redacts a URL that does not parse: it drops everything between
// "://" and an "@" (user info) and everything from a "?" or "#" on.
func roughURL(s string) string {
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		s = s[:i] + "?…"
	}
	if i := strings.Index(s, "://"); i >= 0 {
		if at := strings.LastIndexByte(s[i:], '@'); at >= 0 {
			s = s[:i+3] + Mark + "@" + s[i+at+1:]
		}
	}
	return clip.Mark(tokenPath.ReplaceAllString(s, "${1}"+Mark), maxURL)
}

// Handler wraps next so that every record's message and attribute values
// (strings, errors, and anything else that formats as text) pass through
// Text with the given secrets before next sees them. Wrap the logger once,
// where it is built: then no log line, including those of libraries that
// log through it, can carry a token.
func Handler(next slog.Handler, secrets ...string) slog.Handler {
	if h, ok := next.(*handler); ok { // wrapping twice: one pass, all secrets
		return &handler{next: h.next, secrets: append(append([]string(nil), h.secrets...), secrets...)}
	}
	return &handler{next: next, secrets: append([]string(nil), secrets...)}
}

type handler struct {
	next    slog.Handler
	secrets []string
}

func (h *handler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

func (h *handler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, Text(r.Message, h.secrets...), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.attr(a))
		return true
	})
	return h.next.Handle(ctx, out)
}

func (h *handler) WithAttrs(as []slog.Attr) slog.Handler {
	clean := make([]slog.Attr, len(as))
	for i, a := range as {
		clean[i] = h.attr(a)
	}
	return &handler{next: h.next.WithAttrs(clean), secrets: h.secrets}
}

func (h *handler) WithGroup(name string) slog.Handler {
	return &handler{next: h.next.WithGroup(name), secrets: h.secrets}
}

// attr redacts one attribute, groups recursively.
func (h *handler) attr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, Text(v.String(), h.secrets...))
	case slog.KindGroup:
		group := v.Group()
		clean := make([]slog.Attr, len(group))
		for i, g := range group {
			clean[i] = h.attr(g)
		}
		return slog.Attr{Key: a.Key, Value: slog.GroupValue(clean...)}
	case slog.KindAny:
		var s string
		if err, ok := v.Any().(error); ok {
			s = err.Error()
		} else {
			s = fmt.Sprintf("%+v", v.Any())
		}
		if clean := Text(s, h.secrets...); clean != s {
			return slog.String(a.Key, clean)
		}
	}
	return slog.Attr{Key: a.Key, Value: v}
}
