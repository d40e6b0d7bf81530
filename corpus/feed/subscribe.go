package feed

import (
	"context"
	"errors"
	"fmt"

	"github.com/attache-bot/attache/corpus"
)

// Subscribe subscribes scope to the feed at rawURL after one successful
// fetch and parse, and returns the stored feed and what the fetch read.
// Nothing is stored on any error. A scope that has max feeds already
// (corpus.DefaultMaxFeeds when max <= 0), or that has this one, is refused
// before anything is fetched (errors wrapping corpus.ErrTooManyFeeds and
// corpus.ErrFeedExists); the fetch's errors are Poll's.
func Subscribe(ctx context.Context, lib Library, c *Client, scope, rawURL string, max int) (corpus.Feed, Result, error) {
	if max <= 0 {
		max = corpus.DefaultMaxFeeds
	}
	if scope == "" {
		scope = corpus.SharedScope
	}
	canonical, err := corpus.CanonicalURL(rawURL)
	if err != nil {
		return corpus.Feed{}, Result{}, err
	}
	have, err := lib.Feeds(ctx, scope)
	if err != nil {
		return corpus.Feed{}, Result{}, err
	}
	id := corpus.FeedID(scope, canonical)
	for _, f := range have {
		if f.ID == id {
			return corpus.Feed{}, Result{}, fmt.Errorf("%w: %s", corpus.ErrFeedExists, f.ID)
		}
	}
	if len(have) >= max {
		return corpus.Feed{}, Result{}, fmt.Errorf("%w: %d of %d", corpus.ErrTooManyFeeds, len(have), max)
	}
	res, err := c.Poll(ctx, canonical, State{})
	if err != nil {
		return corpus.Feed{}, Result{}, err
	}
	f, err := lib.AddFeed(ctx, corpus.Feed{Scope: scope, URL: canonical, Title: res.Title}, max)
	if err != nil {
		return corpus.Feed{}, Result{}, err
	}
	return f, res, nil
}

// IsRefusal reports whether err is about the feed or the request (not a
// feed, refused address, HTTP error, limit, duplicate) rather than a
// failure of attache itself.
func IsRefusal(err error) bool {
	var se *StatusError
	return errors.Is(err, ErrNotAFeed) || errors.Is(err, ErrRetryLater) || errors.As(err, &se) ||
		errors.Is(err, corpus.ErrTooManyFeeds) || errors.Is(err, corpus.ErrFeedExists) ||
		errors.Is(err, corpus.ErrBadURL) || errors.Is(err, corpus.ErrBlockedAddress) ||
		errors.Is(err, corpus.ErrTooLarge) || errors.Is(err, corpus.ErrFetchTimeout) ||
		errors.Is(err, corpus.ErrTooManyRedirects)
}
