package feed

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/attache-bot/attache/corpus"
	"github.com/attache-bot/attache/corpus/lang"
)

// Adder stores an article the way the engine does: normalised, validated,
// split, embedded and indexed, replacing the article with the same id.
type Adder func(ctx context.Context, a corpus.Article) (corpus.Article, corpus.PutStatus, error)

// Poll statuses of a Report.
const (
	StatusOK          = "ok"
	StatusNotModified = "not_modified"
	StatusFailed      = "error"
)

// Report is what one poll of one feed did.
type Report struct {
	FeedID, URL                         string
	Status                              string
	Title                               string // the feed's title as polled
	Added, Updated, Unchanged, Rejected int
	// Err is the poll's error (Status is StatusFailed).
	Err error
	// RetryAt is when the feed may be polled again after an error (the
	// server's Retry-After, else Syncer.Backoff); zero after a success.
	RetryAt time.Time
}

// Library is what polling and subscribing read and write of a library:
// its feeds and their items, the articles those became, and the locks
// that keep two processes from polling one feed at once.
// corpus.Backend (either library) is one.
type Library interface {
	corpus.FeedStore
	corpus.Locker
	Get(ctx context.Context, id string) (corpus.Article, error)
}

// Syncer turns feed items into articles of the feed's scope: items are
// known by GUID, then by canonical URL, then by near-identical text, so that
// a story is stored once however many items carry it; an item whose
// content or updated date changed updates its article.
type Syncer struct {
	Library Library
	Client  *Client
	// Pages fetches the page of an item that carries only a summary.
	Pages *corpus.Fetcher
	Add   Adder
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Backoff is the wait after the n-th consecutive failure (none when
	// nil: the caller's schedule decides).
	Backoff func(failures int) time.Duration
	// Logger, when set, gets one debug line per item stored or skipped.
	Logger *slog.Logger
}

// minSummaryWords is the shortest summary that stands in for a page that
// cannot be fetched (a paywall, a page that is not HTML).
const minSummaryWords = 40

func (s *Syncer) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// errFeedGone: the feed was removed while it was being polled.
var errFeedGone = errors.New("the feed was removed during the poll")

// Poll polls f once and stores what changed. Items are stored one by one,
// each article whole or not at all; the feed's validators are saved only
// after every item, so a poll that is interrupted (killed, cancelled) is
// repeated in full by the next one, which finds the items already stored
// unchanged.
func (s *Syncer) Poll(ctx context.Context, f corpus.Feed) Report {
	rep := Report{FeedID: f.ID, URL: f.URL, Title: f.Title}
	now := s.now()
	fail := func(err error, retryAfter time.Duration) Report {
		rep.Status, rep.Err = StatusFailed, err
		wait := retryAfter
		if s.Backoff != nil {
			wait = max(wait, s.Backoff(f.Failures+1))
		}
		if wait > 0 {
			rep.RetryAt = now.Add(wait)
		}
		if errors.Is(err, errFeedGone) || ctx.Err() != nil {
			return rep
		}
		// A fresh context: the outcome is recorded even when ctx ended.
		if serr := s.Library.SaveFeedPoll(context.WithoutCancel(ctx), f.ID, corpus.FeedPoll{At: now, Err: err.Error(), RetryAt: rep.RetryAt}); errors.Is(serr, corpus.ErrNotFound) {
			rep.Err = errFeedGone
		}
		return rep
	}
	res, err := s.Client.Poll(ctx, f.URL, State{ETag: f.ETag, LastModified: f.LastModified})
	if err != nil {
		var re *RetryError
		if errors.As(err, &re) {
			return fail(err, re.RetryAfter)
		}
		return fail(err, 0)
	}
	if res.NotModified {
		rep.Status = StatusNotModified
		if err := s.Library.SaveFeedPoll(ctx, f.ID, corpus.FeedPoll{At: now, ETag: f.ETag, LastModified: f.LastModified}); err != nil {
			return fail(fmt.Errorf("recording the poll: %w", err), 0)
		}
		return rep
	}
	if res.Title != "" {
		rep.Title = res.Title
	}
	for _, it := range res.Items {
		if err := ctx.Err(); err != nil {
			return fail(err, 0)
		}
		st, err := s.item(ctx, f, it, now)
		if err != nil {
			return fail(err, 0)
		}
		if s.Logger != nil {
			s.Logger.Debug("feed item", "feed", f.ID, "guid", it.GUID, "status", st.String())
		}
		switch st {
		case added:
			rep.Added++
		case updated:
			rep.Updated++
		case unchanged:
			rep.Unchanged++
		case rejected:
			rep.Rejected++
		}
	}
	if err := s.Library.SaveFeedPoll(ctx, f.ID, corpus.FeedPoll{At: now, ETag: res.State.ETag, LastModified: res.State.LastModified, Title: res.Title}); err != nil {
		if errors.Is(err, corpus.ErrNotFound) {
			err = errFeedGone
		}
		return fail(fmt.Errorf("recording the poll: %w", err), 0)
	}
	rep.Status = StatusOK
	return rep
}

type outcome int

const (
	unchanged outcome = iota
	added
	updated
	rejected
)

func (o outcome) String() string {
	return [...]string{"unchanged", "added", "updated", "rejected"}[o]
}

// signature digests what an item says.
func signature(it Item) string {
	h := sha256.New()
	for _, s := range []string{it.Title, it.Text, formatTime(it.Updated), it.URL} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// item stores one item. An error stops the poll (the feed is gone, the
// library cannot be written); a rejected item does not.
func (s *Syncer) item(ctx context.Context, f corpus.Feed, it Item, now time.Time) (outcome, error) {
	lib := s.Library
	sig := signature(it)
	prev, found, err := lib.FeedItem(ctx, f.ID, it.GUID)
	if err != nil {
		return 0, err
	}
	if found && prev.Signature == sig {
		return unchanged, nil
	}
	record := func(articleID string, bands []string) error {
		err := lib.SaveFeedItem(ctx, corpus.FeedItem{FeedID: f.ID, GUID: it.GUID, URL: it.URL, ArticleID: articleID, Signature: sig, Bands: bands}, now)
		if errors.Is(err, corpus.ErrNotFound) {
			return errFeedGone
		}
		return err
	}
	if !found {
		// The same link under another GUID or in another feed of the
		// scope: one story.
		if dup, ok, err := lib.FeedItemByURL(ctx, f.Scope, it.URL); err != nil {
			return 0, err
		} else if ok {
			return unchanged, record(dup.ArticleID, nil)
		}
	}
	a, err := s.article(ctx, it, now)
	if err != nil {
		// A page that cannot be fetched now may be fetched next time: the
		// item is not recorded.
		return rejected, nil
	}
	a.Scope = f.Scope
	if found && prev.ArticleID != "" {
		a.ID = prev.ArticleID // an update replaces the article in place
	}
	bands := Fingerprint(a.Body)
	if !found || prev.ArticleID == "" {
		cands, err := lib.BandCandidates(ctx, f.Scope, bands)
		if err != nil {
			return 0, err
		}
		for _, id := range cands {
			other, err := lib.Get(ctx, id)
			if err != nil || other.Scope != f.Scope {
				continue // removed since, or another scope's
			}
			if SameStory(other.Body, a.Body) {
				return unchanged, record(id, nil)
			}
		}
	}
	stored, st, err := s.Add(ctx, a)
	switch {
	case err != nil && (errors.Is(err, corpus.ErrInvalidArticle) || errors.Is(err, corpus.ErrScopeConflict)):
		// Refused for its content: recorded, so that it is tried again
		// only when it changes.
		return rejected, record("", nil)
	case err != nil:
		return 0, err
	}
	if err := record(stored.ID, bands); err != nil {
		return 0, err
	}
	switch {
	case st == corpus.Added && found:
		return updated, nil // a rejected item that now passes
	case st == corpus.Added:
		return added, nil
	case st == corpus.Updated:
		return updated, nil
	}
	return unchanged, nil
}

// article makes the item's article: its own content, or its page when the
// feed carries only a summary. An undated item is dated the day it is
// first seen: a feed lists what is new.
func (s *Syncer) article(ctx context.Context, it Item, now time.Time) (corpus.Article, error) {
	a := it.Article()
	if it.NeedsPage && s.Pages != nil {
		page, err := s.Pages.Fetch(ctx, it.URL)
		switch {
		case err == nil:
			if a.Title == "" {
				a.Title = page.Title
			}
			a.URL, a.Body, a.Language = page.URL, page.Body, firstNonEmpty(page.Language, a.Language)
			// The page's declared outlet wins over the feed's title, its
			// host (the fallback when it declares none) does not.
			if page.Source != "" && (a.Source == "" || page.Source != hostOf(page.URL)) {
				a.Source = page.Source
			}
			if a.Published.IsZero() {
				a.Published = page.Published
			}
		case ctx.Err() != nil:
			return corpus.Article{}, ctx.Err()
		case len(lang.Tokenize(it.Text, nil)) < minSummaryWords:
			return corpus.Article{}, err
		}
	}
	if a.Source == "" {
		a.Source = hostOf(a.URL)
	}
	if a.Published.IsZero() {
		a.Published = now
	}
	return a, nil
}

func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return strings.TrimPrefix(strings.ToLower(u.Hostname()), "www.")
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}
