package corpus

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"
)

func TestNormalize(t *testing.T) {
	est := time.FixedZone("EST", -5*3600)
	a := Article{
		ID:        "  id-1 ",
		URL:       " https://Example.com/a \n",
		Title:     "  Talks\tresume\x00 in\n Geneva \x1b[31m ",
		Source:    " Wire\u202e ",
		Published: time.Date(2025, 3, 4, 23, 30, 0, 0, est), // 2025-03-05 04:30 UTC
		Language:  " EN-gb ",
		Body:      "\ufeff  First line.  \r\nSecond\x00 line.\t \r\n\r\n\r\n\n\nThird\x07 para.\rFourth.  \n\n",
	}
	a.Normalize()
	want := Article{
		ID:        "id-1",
		Scope:     SharedScope,
		URL:       "https://Example.com/a",
		Title:     "Talks resume in Geneva [31m",
		Source:    "Wire",
		Published: time.Date(2025, 3, 5, 0, 0, 0, 0, time.UTC),
		Language:  "en-gb",
		Body:      "First line.\nSecond line.\n\nThird para.\nFourth.",
	}
	if a != want {
		t.Fatalf("Normalize:\n got %+q\nwant %+q", a, want)
	}
	b := a
	b.Normalize()
	if b != a {
		t.Fatalf("Normalize is not idempotent: %+q", b)
	}

	// Invalid UTF-8 survives so that Validate can refuse it.
	c := Article{Title: "bad \xff title", Body: "bad \xc3 body", Scope: "guild-9"}
	c.Normalize()
	if c.Title != "bad \xff title" || c.Body != "bad \xc3 body" || c.Scope != "guild-9" {
		t.Fatalf("invalid UTF-8 altered: %+q", c)
	}
	if err := Validate(c, 0); !errors.Is(err, ErrInvalidArticle) {
		t.Fatalf("Validate(invalid UTF-8) = %v", err)
	}

	// Zero date stays zero; empty article stays empty apart from the scope.
	var z Article
	z.Normalize()
	if z != (Article{Scope: SharedScope}) {
		t.Fatalf("empty article: %+v", z)
	}
}

func TestValidate(t *testing.T) {
	good := Article{ID: "a", Scope: SharedScope, Title: "Title", Body: "Body text.", URL: "https://example.com/x",
		Published: time.Date(2025, 1, 2, 0, 0, 0, 0, time.UTC)}
	if err := Validate(good, 0); err != nil {
		t.Fatalf("good article: %v", err)
	}
	atLimit := good
	atLimit.Body = strings.Repeat("a", DefaultMaxBodyBytes)
	if err := Validate(atLimit, 0); err != nil {
		t.Fatalf("body of exactly the default limit: %v", err)
	}
	cases := map[string]func(a *Article){
		"missing title":        func(a *Article) { a.Title = "" },
		"blank title":          func(a *Article) { a.Title = " \t " },
		"missing body":         func(a *Article) { a.Body = "" },
		"blank body":           func(a *Article) { a.Body = "\n\n " },
		"body over default":    func(a *Article) { a.Body = strings.Repeat("a", DefaultMaxBodyBytes+1) },
		"invalid UTF-8 body":   func(a *Article) { a.Body = "ok \xff\xfe" },
		"invalid UTF-8 title":  func(a *Article) { a.Title = "\xc3(" },
		"invalid UTF-8 source": func(a *Article) { a.Source = "\xed\xa0\x80" }, // a UTF-16 surrogate
		"NUL in body":          func(a *Article) { a.Body = "a\x00b" },
		"control in title":     func(a *Article) { a.Title = "a\x1bb" },
		"newline in id":        func(a *Article) { a.ID = "a\nb" },
		"hash in id":           func(a *Article) { a.ID = "a#1" },
		"javascript URL":       func(a *Article) { a.URL = "javascript:alert(1)" },
		"JavaScript URL":       func(a *Article) { a.URL = " JaVaScRiPt:alert(1)" },
		"data URL":             func(a *Article) { a.URL = "data:text/html,<script>x</script>" },
		"file URL":             func(a *Article) { a.URL = "file:///etc/passwd" },
		"ftp URL":              func(a *Article) { a.URL = "ftp://example.com/x" },
		"relative URL":         func(a *Article) { a.URL = "/news/1" },
		"no host":              func(a *Article) { a.URL = "https:///path" },
		"URL with newline":     func(a *Article) { a.URL = "https://example.com/\nx" },
		"huge title":           func(a *Article) { a.Title = strings.Repeat("t", maxTitleBytes+1) },
		"huge id":              func(a *Article) { a.ID = strings.Repeat("i", maxIDBytes+1) },
		"huge URL":             func(a *Article) { a.URL = "https://example.com/" + strings.Repeat("p", maxURLBytes) },
		"year 0":               func(a *Article) { a.Published = time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC) },
		"year 12000":           func(a *Article) { a.Published = time.Date(12000, 1, 1, 0, 0, 0, 0, time.UTC) },
	}
	for name, mutate := range cases {
		a := good
		mutate(&a)
		err := Validate(a, 0)
		if !errors.Is(err, ErrInvalidArticle) {
			t.Errorf("%s: Validate = %v, want ErrInvalidArticle", name, err)
		}
		// The reason alone, for messages that name the article themselves.
		var ve *ValidationError
		if !errors.As(fmt.Errorf("add %q: %w", a.ID, err), &ve) || ve.Reason == "" ||
			strings.Contains(ve.Reason, ErrInvalidArticle.Error()) || RejectReason(fmt.Errorf("add: %w", err)) != ve.Reason {
			t.Errorf("%s: %v is not a *ValidationError with a bare reason", name, err)
		}
	}
	if got := RejectReason(errors.New("disk full")); got != "disk full" {
		t.Errorf("RejectReason of another error = %q, want its text", got)
	}
	// A configured limit applies; a non-positive one means the default.
	small := good
	small.Body = strings.Repeat("b", 101)
	if err := Validate(small, 100); !errors.Is(err, ErrInvalidArticle) || !strings.Contains(err.Error(), "101") {
		t.Errorf("body over a limit of 100: %v", err)
	}
	if err := Validate(small, 101); err != nil {
		t.Errorf("body at a limit of 101: %v", err)
	}
	if err := Validate(small, -5); err != nil {
		t.Errorf("negative limit should mean the default: %v", err)
	}
}

func TestCanonicalURL(t *testing.T) {
	cases := map[string]string{
		"https://Example.COM/News/Story/":                               "https://example.com/News/Story",
		"HTTPS://example.com:443/a#section":                             "https://example.com/a",
		"http://example.com:80/":                                        "http://example.com",
		"http://example.com:8080/a":                                     "http://example.com:8080/a",
		"https://user:pw@example.com/a":                                 "https://example.com/a",
		"https://example.com/a?utm_source=x&utm_MEDIUM=y&id=7&fbclid=z": "https://example.com/a?id=7",
		"https://example.com/a?b=2&a=1":                                 "https://example.com/a?a=1&b=2",
		"https://[2001:DB8::1]:443/x":                                   "https://[2001:db8::1]/x",
		"https://example.com/caf%C3%A9/":                                "https://example.com/caf%C3%A9",
	}
	for in, want := range cases {
		got, err := CanonicalURL(in)
		if err != nil || got != want {
			t.Errorf("CanonicalURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "   ", "javascript:alert(1)", "mailto:a@b.c", "//example.com/a", "example.com/a",
		"https://", "http://exa mple.com/", "https://example.com/\x00", "https://example.com/\xff"} {
		if got, err := CanonicalURL(bad); err == nil {
			t.Errorf("CanonicalURL(%q) = %q, want an error", bad, got)
		}
	}
}

var idPattern = regexp.MustCompile(`^[0-9a-f]{16}$`)

func TestID(t *testing.T) {
	if got := ID(Article{ID: " rec-7 ", URL: "https://example.com/a"}); got != "rec-7" {
		t.Errorf("record id not used: %q", got)
	}
	u1 := ID(Article{URL: "https://example.com/story/?utm_source=feed#top", Title: "A", Body: "x"})
	u2 := ID(Article{URL: "https://EXAMPLE.com/story", Title: "B", Body: "y", Scope: SharedScope})
	if u1 != u2 || !idPattern.MatchString(u1) {
		t.Errorf("same canonical URL gives %q and %q (want equal, 16 hex)", u1, u2)
	}
	if u3 := ID(Article{URL: "https://example.com/other"}); u3 == u1 {
		t.Error("different URLs share an id")
	}
	// Guild scopes get their own id for the same page; shared does not depend on the caller.
	g1 := ID(Article{URL: "https://example.com/story", Scope: "guild-1"})
	g2 := ID(Article{URL: "https://example.com/story", Scope: "guild-2"})
	if g1 == g2 || g1 == u1 || !idPattern.MatchString(g1) {
		t.Errorf("guild ids %q %q shared %q", g1, g2, u1)
	}
	// No usable URL: from title and body.
	c1 := ID(Article{Title: "T", Body: "Body", URL: "javascript:void(0)"})
	c2 := ID(Article{Title: "T", Body: "Body"})
	c3 := ID(Article{Title: "T", Body: "Body!"})
	c4 := ID(Article{Title: "TB", Body: "ody"})
	if c1 != c2 || c2 == c3 || c2 == c4 || !idPattern.MatchString(c2) {
		t.Errorf("content ids %q %q %q %q", c1, c2, c3, c4)
	}
}

func TestHash(t *testing.T) {
	base := Article{ID: "a", Scope: SharedScope, URL: "https://example.com/a", Title: "T", Source: "S",
		Published: time.Date(2025, 1, 2, 0, 0, 0, 0, time.UTC), Language: "en", Body: "B"}
	h := Hash(base)
	if len(h) != 32 || Hash(base) != h {
		t.Fatalf("hash %q not stable or not 32 hex chars", h)
	}
	noScope := base
	noScope.Scope = ""
	if Hash(noScope) != h {
		t.Error("empty scope and shared scope hash differently")
	}
	changes := []func(a *Article){
		func(a *Article) { a.ID = "b" },
		func(a *Article) { a.Scope = "guild" },
		func(a *Article) { a.URL = "https://example.com/b" },
		func(a *Article) { a.Title = "T2" },
		func(a *Article) { a.Source = "S2" },
		func(a *Article) { a.Published = a.Published.AddDate(0, 0, 1) },
		func(a *Article) { a.Published = time.Time{} },
		func(a *Article) { a.Language = "fr" },
		func(a *Article) { a.Body = "B2" },
		func(a *Article) { a.Title, a.Source = "TS", "" }, // field boundaries matter
	}
	for i, change := range changes {
		a := base
		change(&a)
		if Hash(a) == h {
			t.Errorf("change %d does not change the hash", i)
		}
	}
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"", " a \r\n b ", "\x00\x1b[0m", "\xff", "\u202etxt", "a\n\n\n\nb", "\r\r\r"} {
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, title, body string) {
		a := Article{Title: title, Body: body, Source: title, Scope: title}
		a.Normalize()
		b := a
		b.Normalize()
		if a != b {
			t.Fatalf("not idempotent: %+q then %+q", a, b)
		}
		if utf8.ValidString(body) && !utf8.ValidString(a.Body) {
			t.Fatalf("valid body became invalid: %q", a.Body)
		}
		for _, r := range a.Body {
			if r != '\n' && r != '\t' && unicode.IsControl(r) {
				t.Fatalf("control character %U left in body %q", r, a.Body)
			}
		}
		if strings.ContainsAny(a.Title, "\n\t\r") || a.Title != strings.TrimSpace(a.Title) {
			t.Fatalf("title not one trimmed line: %q", a.Title)
		}
		if a.Scope == "" {
			t.Fatal("empty scope after Normalize")
		}
		if err := Validate(a, 0); err == nil && (strings.TrimSpace(a.Title) == "" || strings.TrimSpace(a.Body) == "") {
			t.Fatalf("Validate accepted an empty field: %+q", a)
		}
	})
}
