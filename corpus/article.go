package corpus

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// SharedScope is the scope of articles visible to every guild: the bundled
// sample corpus and articles added from the command line without -guild.
const SharedScope = "shared"

// DateLayout is how publication dates are written everywhere (YYYY-MM-DD).
const DateLayout = "2006-01-02"

// DefaultMaxBodyBytes is the body size limit Validate applies when it is
// given no positive limit (1 MiB, ATTACHE_MAX_ARTICLE_BYTES).
const DefaultMaxBodyBytes = 1 << 20

// Limits on the short fields. They are generous for real articles and stop a
// hostile record from turning a title or an id into a second body.
const (
	maxTitleBytes    = 2048
	maxIDBytes       = 256
	maxScopeBytes    = 128
	maxURLBytes      = 4096
	maxSourceBytes   = 512
	maxLanguageBytes = 35 // the longest BCP 47 tag one meets in practice
)

// ErrInvalidArticle is wrapped by every validation error.
var ErrInvalidArticle = errors.New("invalid article")

// ValidationError says why an article was refused. It wraps
// ErrInvalidArticle, so errors.Is(err, ErrInvalidArticle) holds for it,
// and errors.As gives the Reason alone for messages that name the article
// (or the input line) themselves.
type ValidationError struct {
	// Reason is the first problem found, e.g. "missing title".
	Reason string
}

// invalidf returns a *ValidationError with the formatted reason.
func invalidf(format string, args ...any) error {
	return &ValidationError{Reason: fmt.Sprintf(format, args...)}
}

func (e *ValidationError) Error() string { return ErrInvalidArticle.Error() + ": " + e.Reason }

// Unwrap returns ErrInvalidArticle.
func (e *ValidationError) Unwrap() error { return ErrInvalidArticle }

// RejectReason is why err refused an article: the Reason of a
// *ValidationError in its chain, else the whole text.
func RejectReason(err error) string {
	var ve *ValidationError
	if errors.As(err, &ve) {
		return ve.Reason
	}
	return err.Error()
}

// ErrNotFound is returned when an article id is not in the library (or not
// in the caller's scope).
var ErrNotFound = errors.New("article not found")

// Article is one news story.
type Article struct {
	ID        string    // stable id: the record's own id, else derived from the canonical URL, else from the content
	Scope     string    // a guild id or SharedScope
	URL       string    // canonical URL, may be empty
	Title     string    // required
	Source    string    // the outlet, e.g. "Reuters"; may be empty
	Published time.Time // publication date (UTC midnight); zero when unknown
	Language  string    // BCP 47 tag when known, e.g. "en"
	Body      string    // required, UTF-8 text
	// StoryID is the story the engine assigned at ingest (see Summary);
	// it is stored with the article but is not its content, so it takes
	// no part in its content hash.
	StoryID string
	// StoryData is what story assignment keeps of the article (its names
	// and text fingerprint, encoded by the engine) so that later articles
	// can be compared with it without reading its text. Opaque to the
	// library and, like StoryID, not content.
	StoryData string
}

// Chunk is a passage of an article's body.
type Chunk struct {
	ID        string // ArticleID + "#" + Index
	ArticleID string
	Index     int    // 0-based position in the article
	Start     int    // byte offset of Text in the article's Body
	End       int    // byte offset just past Text
	Text      string // Body[Start:End]
}

// ChunkID returns the id of chunk index of article articleID.
func ChunkID(articleID string, index int) string {
	return articleID + "#" + strconv.Itoa(index)
}

// Normalize cleans an article in place so that the same story always looks
// the same: every field trimmed; in the body CRLF and CR become LF, trailing
// spaces are removed from lines, runs of more than one blank line collapse
// to one, control characters other than newline and tab are dropped (a
// NUL byte or an escape sequence is never text), and lines of page
// furniture (gallery counters, "Advertisement", "Read more" teasers,
// newsletter and share prompts, lone credits and bylines: see
// IsBoilerplate) are removed so that they are never split, embedded or
// quoted as reporting; in the one-line fields every run of whitespace or control characters becomes one space. Scope ""
// becomes SharedScope, Published is truncated to its UTC date, Language is
// lower-cased. Invalid UTF-8 is kept as it is so that Validate can reject it
// instead of the text being silently altered.
func (a *Article) Normalize() {
	a.ID = oneLine(a.ID)
	a.Scope = oneLine(a.Scope)
	if a.Scope == "" {
		a.Scope = SharedScope
	}
	a.URL = oneLine(a.URL)
	a.Title = oneLine(a.Title)
	a.Source = oneLine(a.Source)
	a.Language = strings.ToLower(oneLine(a.Language))
	// Dropping a control character can join two stray bytes into a valid
	// rune; repeat until nothing changes so that Normalize is idempotent.
	for i := 0; i < 8; i++ {
		c := stripBoilerplate(cleanBody(a.Body))
		if c == a.Body {
			break
		}
		a.Body = c
	}
	if !a.Published.IsZero() {
		y, m, d := a.Published.UTC().Date()
		a.Published = time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	}
}

// oneLine collapses whitespace and control characters into single spaces
// and trims the result.
func oneLine(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		invalid := r == utf8.RuneError && n == 1 // kept for Validate to reject
		if !invalid && (unicode.IsSpace(r) || unicode.IsControl(r) || isInvisibleFormat(r)) {
			space = b.Len() > 0
			i += n
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteString(s[i : i+n])
		i += n
	}
	return b.String()
}

// isInvisibleFormat reports characters that carry no text but can hide
// content or reorder it on screen (bidi overrides, BOM).
func isInvisibleFormat(r rune) bool {
	switch {
	case r == '\uFEFF', r >= '\u202A' && r <= '\u202E', r >= '\u2066' && r <= '\u2069':
		return true
	}
	return false
}

// cleanBody implements the body part of Normalize.
func cleanBody(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	var b strings.Builder
	b.Grow(len(s))
	blank := 0 // newlines pending
	line := strings.Builder{}
	flush := func() {
		l := strings.TrimRightFunc(line.String(), unicode.IsSpace)
		line.Reset()
		if strings.TrimSpace(l) == "" {
			if b.Len() > 0 {
				blank++
			}
			return
		}
		if b.Len() > 0 {
			if blank > 0 {
				b.WriteString("\n\n")
			} else {
				b.WriteByte('\n')
			}
		}
		blank = 0
		b.WriteString(l)
	}
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			line.WriteByte(s[i])
			i++
			continue
		}
		i += n
		switch {
		case r == '\n':
			flush()
		case r == '\t':
			line.WriteRune(r)
		case unicode.IsControl(r) || isInvisibleFormat(r):
			// dropped: never text
		case r == '\u2028' || r == '\u2029':
			flush()
		default:
			line.WriteRune(r)
		}
	}
	flush()
	return strings.TrimLeftFunc(b.String(), unicode.IsSpace)
}

// Validate checks a (normally already normalised) article and returns a
// *ValidationError that names the first problem: a missing
// title or body, a body larger than maxBodyBytes (DefaultMaxBodyBytes when
// maxBodyBytes <= 0), text that is not valid UTF-8, NUL bytes, an oversized
// short field, a URL that is not absolute http or https, or a date that
// cannot be written as YYYY-MM-DD.
func Validate(a Article, maxBodyBytes int) error {
	if maxBodyBytes <= 0 {
		maxBodyBytes = DefaultMaxBodyBytes
	}
	bad := invalidf
	fields := []struct {
		name, value string
		max         int
	}{
		// A guild's stored id carries @GUILD (ScopedID); the limit is on
		// the record's own part.
		{"id", strings.TrimSuffix(a.ID, ScopeSeparator+a.Scope), maxIDBytes},
		{"scope", a.Scope, maxScopeBytes},
		{"url", a.URL, maxURLBytes},
		{"title", a.Title, maxTitleBytes},
		{"source", a.Source, maxSourceBytes},
		{"language", a.Language, maxLanguageBytes},
	}
	for _, f := range fields {
		if len(f.value) > f.max {
			return bad("%s is %d bytes, more than %d", f.name, len(f.value), f.max)
		}
		if !utf8.ValidString(f.value) {
			return bad("%s is not valid UTF-8", f.name)
		}
		if strings.IndexFunc(f.value, unicode.IsControl) >= 0 {
			return bad("%s contains control characters", f.name)
		}
	}
	if strings.TrimSpace(a.Title) == "" {
		return bad("missing title")
	}
	if strings.TrimSpace(a.Body) == "" {
		return bad("missing body")
	}
	if len(a.Body) > maxBodyBytes {
		return bad("body is %d bytes, more than the limit of %d", len(a.Body), maxBodyBytes)
	}
	if !utf8.ValidString(a.Body) {
		return bad("body is not valid UTF-8")
	}
	if strings.IndexByte(a.Body, 0) >= 0 {
		return bad("body contains NUL bytes")
	}
	if own := strings.TrimSuffix(a.ID, ScopeSeparator+a.Scope); strings.Contains(own, ScopeSeparator) {
		// Guild articles are stored as id@GUILD (ScopedID): a record's own
		// "@" would let it pose as another scope's article.
		return bad("id %q contains %q", own, ScopeSeparator)
	}
	if strings.Contains(a.Scope, ScopeSeparator) {
		// ScopedID relies on it: the text after the last '@' is the scope.
		return bad("scope %q contains %q", a.Scope, ScopeSeparator)
	}
	if strings.Contains(a.ID, "#") {
		// '#' separates an article id from a chunk index in chunk ids.
		return bad("id %q contains '#'", a.ID)
	}
	if a.URL != "" {
		if _, err := CanonicalURL(a.URL); err != nil {
			return bad("url: %v", err)
		}
	}
	if !a.Published.IsZero() {
		if y := a.Published.UTC().Year(); y < 1000 || y > 9999 {
			return bad("published year %d out of range", y)
		}
	}
	return nil
}

// trackingParams are query parameters that identify a campaign or a click,
// not a page; CanonicalURL drops them (and every utm_* parameter).
var trackingParams = map[string]bool{
	"fbclid": true, "gclid": true, "dclid": true, "msclkid": true, "yclid": true,
	"mc_cid": true, "mc_eid": true, "igshid": true, "_ga": true, "_gl": true,
	"cmpid": true, "ocid": true, "ncid": true, "smid": true, "taid": true,
}

// CanonicalURL returns the form of an http(s) URL used to recognise the same
// page: scheme and host lower-cased, default port, user info and fragment
// removed, tracking parameters (utm_*, fbclid, …) removed, the remaining
// query sorted, and no trailing slash. Anything else than an absolute http
// or https URL (javascript:, data:, file:, relative paths) is an error.
func CanonicalURL(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", errors.New("empty URL")
	}
	if !utf8.ValidString(raw) || strings.IndexFunc(raw, unicode.IsControl) >= 0 {
		return "", errors.New("URL contains invalid characters")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("cannot parse URL: %w", err)
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "http" && scheme != "https" {
		if scheme == "" {
			return "", fmt.Errorf("URL %q is not absolute (want http or https)", raw)
		}
		return "", fmt.Errorf("URL scheme %q not allowed (want http or https)", scheme)
	}
	host := strings.ToLower(u.Hostname())
	if host == "" {
		return "", fmt.Errorf("URL %q has no host", raw)
	}
	port := u.Port()
	if (scheme == "http" && port == "80") || (scheme == "https" && port == "443") {
		port = ""
	}
	if strings.Contains(host, ":") { // IPv6 literal
		host = "[" + host + "]"
	}
	if port != "" {
		host += ":" + port
	}
	q := u.Query()
	for k := range q {
		lk := strings.ToLower(k)
		if strings.HasPrefix(lk, "utm_") || trackingParams[lk] {
			q.Del(k)
		}
	}
	c := url.URL{Scheme: scheme, Host: host, Path: u.Path, RawPath: u.RawPath}
	c.Path = strings.TrimRight(c.Path, "/")
	c.RawPath = strings.TrimRight(c.RawPath, "/")
	if len(q) > 0 {
		keys := make([]string, 0, len(q))
		for k := range q {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var parts []string
		for _, k := range keys {
			vs := append([]string(nil), q[k]...)
			sort.Strings(vs)
			for _, v := range vs {
				parts = append(parts, url.QueryEscape(k)+"="+url.QueryEscape(v))
			}
		}
		c.RawQuery = strings.Join(parts, "&")
	}
	return c.String(), nil
}

// ID returns the stable id of an article: the record's own id when it has
// one (ScopedID: as it is in the shared scope, ID@GUILD in a guild's);
// otherwise 16 hex characters of a SHA-256 over the canonical URL; otherwise
// (no usable URL) over the title and body. For a guild scope the scope is
// part of the hash, so two guilds adding the same page get two articles and
// neither can overwrite or remove the other's; the shared scope is left out
// so that shared ids stay the same whatever the caller. Call it on a
// normalised article.
func ID(a Article) string {
	if id := strings.TrimSpace(a.ID); id != "" {
		return ScopedID(a.Scope, id)
	}
	h := sha256.New()
	if a.Scope != "" && a.Scope != SharedScope {
		writeField(h, "scope", a.Scope)
	}
	if c, err := CanonicalURL(a.URL); err == nil {
		writeField(h, "url", c)
	} else {
		writeField(h, "title", a.Title)
		writeField(h, "body", a.Body)
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// ScopeSeparator joins a record's own id and its guild in the stored id of
// a guild's article (ScopedID). Scopes may not contain it, so the part after
// the last separator always names the scope.
const ScopeSeparator = "@"

// ScopedID returns the stored id of the article that a record with its own
// id calls id, in scope. Article ids are one key space for every scope, but
// a record's id is chosen by whoever wrote the file: two guilds importing
// the same file must get two articles, and neither may learn from a
// rejection that the other has one. So in a guild's scope the id is
// qualified with the guild, id@GUILD; in the shared scope it is kept as it
// is, so that an operator's ids (and eval's evidence ids) are the articles'
// ids. An id that already ends in @SCOPE is returned unchanged, so that a
// stored id given back (to remove, or to re-add) names the same article.
// The mapping is one-to-one within each scope and never maps two scopes'
// records to one id, since scopes contain no ScopeSeparator.
func ScopedID(scope, id string) string {
	if scope == "" || scope == SharedScope || strings.HasSuffix(id, ScopeSeparator+scope) {
		return id
	}
	return id + ScopeSeparator + scope
}

// Hash returns the content hash of everything the library stores about an
// article (id, scope, url, title, source, published date, language, body).
// Equal hashes mean the article is unchanged and need not be re-embedded.
func Hash(a Article) string {
	scope := a.Scope
	if scope == "" {
		scope = SharedScope
	}
	h := sha256.New()
	writeField(h, "id", a.ID)
	writeField(h, "scope", scope)
	writeField(h, "url", a.URL)
	writeField(h, "title", a.Title)
	writeField(h, "source", a.Source)
	writeField(h, "published", formatDate(a.Published))
	writeField(h, "language", a.Language)
	writeField(h, "body", a.Body)
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// writeField writes a length-prefixed name and value so that no two
// different articles produce the same byte stream.
func writeField(h interface{ Write([]byte) (int, error) }, name, value string) {
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(len(name)))
	h.Write(n[:])
	h.Write([]byte(name))
	binary.LittleEndian.PutUint64(n[:], uint64(len(value)))
	h.Write(n[:])
	h.Write([]byte(value))
}

// formatDate writes a publication date as YYYY-MM-DD, or "" when unknown.
func formatDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(DateLayout)
}

// parseDate reads what formatDate wrote.
func parseDate(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(DateLayout, s)
	if err != nil {
		return time.Time{}
	}
	return t
}
