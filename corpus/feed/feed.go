package feed

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/attache-bot/attache/corpus"
	"github.com/attache-bot/attache/corpus/lang"
	"github.com/attache-bot/attache/redact"
	"github.com/mmcdole/gofeed"
)

// Defaults of Options.
const (
	DefaultMaxItems        = 100
	DefaultMaxBytes        = 10 << 20 // 10 MiB
	DefaultMinContentWords = 120
	DefaultFutureSkew      = 24 * time.Hour
)

// Errors of Poll and Parse.
var (
	// ErrNotAFeed: the document is not an RSS, Atom or JSON feed, cannot
	// be parsed as one (truncated, malformed), or declares XML entities.
	ErrNotAFeed = errors.New("not an RSS, Atom or JSON feed")
	// ErrRetryLater is matched by a *RetryError: the server asked to be
	// left alone for a while (429, or 503 with Retry-After).
	ErrRetryLater = errors.New("the server asks to retry later")
)

// StatusError is a feed server's answer other than 2xx, 304 and a rate
// limit.
type StatusError struct {
	URL    string // redacted
	Status int
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("feed %s: HTTP %d %s", e.URL, e.Status, http.StatusText(e.Status))
}

// RetryError is a 429 (or a 503 that says when to come back); it matches
// ErrRetryLater.
type RetryError struct {
	URL        string // redacted
	Status     int
	RetryAfter time.Duration // 0 when the server gave no delay
}

func (e *RetryError) Error() string {
	s := fmt.Sprintf("feed %s: %v (HTTP %d)", e.URL, ErrRetryLater, e.Status)
	if e.RetryAfter > 0 {
		s += " after " + e.RetryAfter.String()
	}
	return s
}

// Is makes errors.Is(err, ErrRetryLater) true.
func (e *RetryError) Is(target error) bool { return target == ErrRetryLater }

// Options bounds what one poll accepts. Zero values mean the defaults.
type Options struct {
	// MaxItems is how many items one poll returns: the newest ones.
	MaxItems int
	// MaxBytes is the largest feed document accepted.
	MaxBytes int64
	// MinContentWords is how many words an item's own content must have
	// to stand as the article; below it the item is only a summary and
	// NeedsPage is set.
	MinContentWords int
	// FutureSkew is how far past Now a date may lie before it is taken
	// for a mistake and dropped (clocks and time zones differ a little).
	FutureSkew time.Duration
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

func (o Options) withDefaults() Options {
	if o.MaxItems <= 0 {
		o.MaxItems = DefaultMaxItems
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.MinContentWords <= 0 {
		o.MinContentWords = DefaultMinContentWords
	}
	if o.FutureSkew <= 0 {
		o.FutureSkew = DefaultFutureSkew
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// State is what a poll remembers for the next one: the validators of the
// last full answer.
type State struct {
	ETag         string
	LastModified string
}

// Result is one poll's outcome.
type Result struct {
	// URL is the feed's final URL, after redirects.
	URL string
	// NotModified: the server answered 304; Items is empty and State is
	// the one given.
	NotModified bool
	// State is what to send with the next poll.
	State State
	// Title is the feed's title, Link its site, Language its declared
	// language.
	Title, Link, Language string
	// Items are the newest items, at most Options.MaxItems, newest first.
	Items []Item
	// Dropped is how many items the feed had beyond MaxItems.
	Dropped int
}

// Item is one feed entry made ready for the corpus.
type Item struct {
	// GUID identifies the item within its feed: its guid or id, else its
	// link, else a digest of its title and text.
	GUID string
	// URL is the item's link, absolute and canonical; "" when it has none
	// usable.
	URL string
	// Title and Text are plain text; Text is the item's full content, or
	// its summary when the feed carries no more.
	Title, Text string
	// Outlet is the feed's title: the outlet, unless the page names one.
	Outlet string
	// Language is the feed's declared language.
	Language string
	// Published is the item's publication date, else its updated date;
	// zero when it has none, or one further than FutureSkew in the future.
	Published time.Time
	// Updated is the item's last-updated date (zero when none): a change
	// means a correction to fetch again.
	Updated time.Time
	// NeedsPage: the feed carries only a summary (fewer than
	// MinContentWords words); the article is the item's page.
	NeedsPage bool
}

// Article is the item as an article (Scope and ID left for the caller).
// For an item that NeedsPage the body is only its summary.
func (it Item) Article() corpus.Article {
	return corpus.Article{
		URL:       it.URL,
		Title:     it.Title,
		Source:    it.Outlet,
		Published: it.Published,
		Language:  it.Language,
		Body:      it.Text,
	}
}

// Client polls feeds through an address-checked Fetcher.
type Client struct {
	fetcher *corpus.Fetcher
	opts    Options
}

// NewClient returns a Client that fetches with f.
func NewClient(f *corpus.Fetcher, opts Options) *Client {
	return &Client{fetcher: f, opts: opts.withDefaults()}
}

// Poll fetches the feed at rawURL with a conditional GET from st and parses
// it. A 304 is a Result with NotModified; a 429 is a *RetryError, any other
// non-2xx a *StatusError; a document that is not a feed wraps ErrNotAFeed.
// Address, size and timeout errors are the Fetcher's.
func (c *Client) Poll(ctx context.Context, rawURL string, st State) (Result, error) {
	h := http.Header{"Accept": {"application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.1"}}
	if st.ETag != "" {
		h.Set("If-None-Match", st.ETag)
	}
	if st.LastModified != "" {
		h.Set("If-Modified-Since", st.LastModified)
	}
	resp, err := c.fetcher.Get(ctx, rawURL, h, c.opts.MaxBytes)
	if err != nil {
		return Result{}, err
	}
	where := rawURL
	if u, err := url.Parse(resp.URL); err == nil {
		where = redact.URL(u)
	}
	switch {
	case resp.Status == http.StatusNotModified:
		return Result{URL: resp.URL, NotModified: true, State: st}, nil
	case resp.Status == http.StatusTooManyRequests,
		resp.Status == http.StatusServiceUnavailable && resp.RetryAfter > 0:
		return Result{}, &RetryError{URL: where, Status: resp.Status, RetryAfter: resp.RetryAfter}
	case resp.Status < 200 || resp.Status > 299:
		return Result{}, &StatusError{URL: where, Status: resp.Status}
	}
	res, err := c.Parse(resp.Body, resp.URL)
	if err != nil {
		return Result{}, fmt.Errorf("feed %s: %w", where, err)
	}
	res.State = State{ETag: resp.ETag, LastModified: resp.LastModified}
	return res, nil
}

// Parse reads a feed document fetched from feedURL (the base of relative
// links). The newest Options.MaxItems items are kept, newest first; items
// without a title or any text are left out.
func (c *Client) Parse(data []byte, feedURL string) (Result, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return Result{}, fmt.Errorf("%w: the document is empty", ErrNotAFeed)
	}
	if int64(len(data)) > c.opts.MaxBytes {
		return Result{}, fmt.Errorf("%w: the document is %d bytes, over the limit of %d", corpus.ErrTooLarge, len(data), c.opts.MaxBytes)
	}
	if declaresEntities(data) {
		// encoding/xml expands no custom entity, so a "billion laughs"
		// cannot explode; a feed that needs a DTD is not one readers
		// accept either, and saying so beats storing "&lol9;".
		return Result{}, fmt.Errorf("%w: the document declares XML entities", ErrNotAFeed)
	}
	f, err := gofeed.NewParser().Parse(bytes.NewReader(data))
	if errors.Is(err, gofeed.ErrFeedTypeNotDetected) {
		return Result{}, fmt.Errorf("%w: the document is neither XML with an rss, feed or RDF root nor a JSON feed", ErrNotAFeed)
	}
	if err != nil {
		return Result{}, fmt.Errorf("%w: %s", ErrNotAFeed, clip(err.Error(), 200))
	}
	base, _ := url.Parse(feedURL)
	if f.Link != "" {
		if l, err := resolve(base, f.Link); err == nil {
			base = l
		}
	}
	now := c.opts.Now()
	res := Result{
		URL:      feedURL,
		Title:    plainLine(f.Title),
		Link:     absolute(base, f.Link),
		Language: firstTag(f.Language),
	}
	items := make([]Item, 0, min(len(f.Items), c.opts.MaxItems))
	seen := make(map[string]bool)
	for _, fi := range f.Items {
		if fi == nil {
			continue
		}
		it := c.item(fi, base, res, now)
		if it.Title == "" || strings.TrimSpace(it.Text) == "" && it.URL == "" || seen[it.GUID] {
			continue
		}
		seen[it.GUID] = true
		items = append(items, it)
	}
	// Newest first, undated items after the dated ones in feed order, so
	// that the limit keeps the news.
	sort.SliceStable(items, func(i, j int) bool { return items[i].Published.After(items[j].Published) })
	if len(items) > c.opts.MaxItems {
		res.Dropped = len(items) - c.opts.MaxItems
		items = items[:c.opts.MaxItems]
	}
	res.Items = items
	return res, nil
}

func (c *Client) item(fi *gofeed.Item, base *url.URL, feed Result, now time.Time) Item {
	it := Item{
		Title:    plainLine(fi.Title),
		Outlet:   feed.Title,
		Language: feed.Language,
	}
	if link := absolute(base, fi.Link); link != "" {
		it.URL = link
	} else if len(fi.Links) > 0 {
		it.URL = absolute(base, fi.Links[0])
	}
	content := fi.Content
	if strings.TrimSpace(content) == "" {
		content = fi.Description
	}
	it.Text = fragmentText(content)
	if it.Title == "" {
		// A title-less item (allowed in RSS) is named by its first words.
		it.Title = clip(firstLine(it.Text), 120)
	}
	it.NeedsPage = len(lang.Tokenize(it.Text, nil)) < c.opts.MinContentWords && it.URL != ""
	limit := now.Add(c.opts.FutureSkew)
	date := func(t *time.Time) time.Time {
		if t == nil || t.IsZero() || t.After(limit) || t.Year() < 1900 {
			return time.Time{}
		}
		return t.UTC()
	}
	it.Updated = date(fi.UpdatedParsed)
	it.Published = date(fi.PublishedParsed)
	if it.Published.IsZero() {
		it.Published = it.Updated
	}
	switch guid := strings.TrimSpace(fi.GUID); {
	case guid != "" && utf8.ValidString(guid):
		it.GUID = clip(oneLine(guid), 500)
	case it.URL != "":
		it.GUID = it.URL
	default:
		sum := sha256.Sum256([]byte(it.Title + "\x00" + it.Text))
		it.GUID = "sha256:" + hex.EncodeToString(sum[:16])
	}
	return it
}

// declaresEntities reports whether the XML prolog (what comes before the
// root element) declares entities.
func declaresEntities(data []byte) bool {
	prolog := data
	for i := 0; i+1 < len(data); i++ {
		if data[i] == '<' && data[i+1] != '?' && data[i+1] != '!' {
			prolog = data[:i]
			break
		}
	}
	return bytes.Contains(bytes.ToUpper(prolog), []byte("<!ENTITY"))
}

// absolute resolves a link against base and returns its canonical form, or
// "" when it is not an http(s) URL.
func absolute(base *url.URL, link string) string {
	link = strings.TrimSpace(link)
	if link == "" {
		return ""
	}
	u, err := resolve(base, link)
	if err != nil {
		return ""
	}
	c, err := corpus.CanonicalURL(u.String())
	if err != nil {
		return ""
	}
	return c
}

func resolve(base *url.URL, link string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(link))
	if err != nil {
		return nil, err
	}
	if base != nil {
		u = base.ResolveReference(u)
	}
	if s := strings.ToLower(u.Scheme); s != "http" && s != "https" || u.Host == "" {
		return nil, errors.New("not an http(s) URL")
	}
	return u, nil
}

// firstTag keeps a language tag ("en-us", "en") and drops anything that
// is not one.
func firstTag(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	if len(s) > 35 || strings.Trim(s, "abcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
		return ""
	}
	return strings.ReplaceAll(s, "_", "-")
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSpace(s)
}

// clip cuts s to at most n bytes on a rune boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
