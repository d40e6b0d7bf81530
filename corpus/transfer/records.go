package transfer

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/attache-bot/attache/corpus"
)

// RecordSource is what CopyRecords reads besides the articles: the bot's
// answers, the messages that showed them and their votes, the feeds with
// the items they carried, and the servers' digests. *corpus.Library is
// one.
type RecordSource interface {
	Digests(ctx context.Context) ([]corpus.Digest, error)
	OutletLabels(ctx context.Context, scopes ...string) ([]corpus.OutletLabel, error)
	Answers(ctx context.Context, fn func(corpus.AnswerRecord) error) error
	AnswerMessages(ctx context.Context, fn func(messageID, answerID string) error) error
	Feedback(ctx context.Context, guildID string) ([]corpus.Feedback, error)
	Feeds(ctx context.Context, scope string) ([]corpus.Feed, error)
	FeedItems(ctx context.Context, feedID string, fn func(it corpus.FeedItem, seen time.Time) error) error
}

// RecordTarget is where CopyRecords writes them. The PostgreSQL library
// is one.
type RecordTarget interface {
	SetDigest(ctx context.Context, d corpus.Digest) error
	SetOutletLabel(ctx context.Context, scope, outlet, label string, at time.Time) error
	SetFeedRetention(ctx context.Context, feedID string, days int) error
	SaveAnswer(ctx context.Context, a corpus.AnswerRecord) error
	SaveAnswerMessage(ctx context.Context, messageID, answerID string) error
	SaveFeedback(ctx context.Context, f corpus.Feedback) (prev int, err error)
	AddFeed(ctx context.Context, f corpus.Feed, max int) (corpus.Feed, error)
	SaveFeedPoll(ctx context.Context, id string, p corpus.FeedPoll) error
	SaveFeedItem(ctx context.Context, it corpus.FeedItem, at time.Time) error
}

// Records counts what CopyRecords wrote.
type Records struct {
	Answers, Messages, Votes, Feeds, Items, Digests, Labels int
}

// CopyRecords copies the answers, answer messages, votes, feeds (with
// their poll state and retention), feed items, digests and outlet labels
// of src into dst. Every write replaces what dst holds under the same key, so running
// it again after an interruption finishes the copy without duplicates.
//
// A digest continues from the copy: its next one holds the stories stored
// in dst after it (dst numbers its articles anew, so the source's place
// cannot be carried over), at its hour, after its last sending.
func CopyRecords(ctx context.Context, src RecordSource, dst RecordTarget) (Records, error) {
	var n Records
	err := src.Answers(ctx, func(a corpus.AnswerRecord) error {
		if err := dst.SaveAnswer(ctx, a); err != nil {
			return fmt.Errorf("copying answer %s: %w", a.ID, err)
		}
		n.Answers++
		return nil
	})
	if err != nil {
		return n, err
	}
	err = src.AnswerMessages(ctx, func(msg, answer string) error {
		if err := dst.SaveAnswerMessage(ctx, msg, answer); err != nil {
			return fmt.Errorf("copying answer message %s: %w", msg, err)
		}
		n.Messages++
		return nil
	})
	if err != nil {
		return n, err
	}
	votes, err := src.Feedback(ctx, "")
	if err != nil {
		return n, fmt.Errorf("reading the votes: %w", err)
	}
	for _, v := range votes {
		if _, err := dst.SaveFeedback(ctx, v); err != nil {
			return n, fmt.Errorf("copying a vote on answer %s: %w", v.AnswerID, err)
		}
		n.Votes++
	}
	feeds, err := src.Feeds(ctx, "")
	if err != nil {
		return n, fmt.Errorf("reading the feeds: %w", err)
	}
	for _, f := range feeds {
		if err := copyFeed(ctx, src, dst, f, &n); err != nil {
			return n, err
		}
	}
	digests, err := src.Digests(ctx)
	if err != nil {
		return n, fmt.Errorf("reading the digests: %w", err)
	}
	for _, d := range digests {
		if err := dst.SetDigest(ctx, d); err != nil {
			return n, fmt.Errorf("copying the digest of %s: %w", d.GuildID, err)
		}
		n.Digests++
	}
	labels, err := src.OutletLabels(ctx)
	if err != nil {
		return n, fmt.Errorf("reading the outlet labels: %w", err)
	}
	for _, l := range labels {
		if err := dst.SetOutletLabel(ctx, l.Scope, l.Outlet, l.Label, l.SetAt); err != nil {
			return n, fmt.Errorf("copying the label of %q in %s: %w", l.Outlet, l.Scope, err)
		}
		n.Labels++
	}
	return n, nil
}

// copyFeed subscribes dst to f (unless it is already), replays f's poll
// state and copies its items.
func copyFeed(ctx context.Context, src RecordSource, dst RecordTarget, f corpus.Feed, n *Records) error {
	// The source's own limit was checked when it subscribed: no other here.
	if _, err := dst.AddFeed(ctx, f, math.MaxInt32); err != nil && !errors.Is(err, corpus.ErrFeedExists) {
		return fmt.Errorf("copying feed %s: %w", f.ID, err)
	}
	if f.RetentionDays > 0 {
		if err := dst.SetFeedRetention(ctx, f.ID, f.RetentionDays); err != nil {
			return fmt.Errorf("copying the retention of feed %s: %w", f.ID, err)
		}
	}
	// The poll state is set as the polls left it: a success at LastOK
	// (which also resets the failure count, so replaying is idempotent),
	// then the consecutive failures since.
	if !f.LastPolled.IsZero() {
		retry := f.RetryAt
		if f.Failures > 0 {
			retry = time.Time{}
		}
		ok := corpus.FeedPoll{At: f.LastOK, ETag: f.ETag, LastModified: f.LastModified, Title: f.Title, RetryAt: retry}
		if err := dst.SaveFeedPoll(ctx, f.ID, ok); err != nil {
			return fmt.Errorf("copying the polls of feed %s: %w", f.ID, err)
		}
		for range f.Failures {
			failed := corpus.FeedPoll{At: f.LastPolled, Err: f.LastError, RetryAt: f.RetryAt}
			if err := dst.SaveFeedPoll(ctx, f.ID, failed); err != nil {
				return fmt.Errorf("copying the polls of feed %s: %w", f.ID, err)
			}
		}
	}
	n.Feeds++
	return src.FeedItems(ctx, f.ID, func(it corpus.FeedItem, seen time.Time) error {
		if err := dst.SaveFeedItem(ctx, it, seen); err != nil {
			return fmt.Errorf("copying an item of feed %s: %w", f.ID, err)
		}
		n.Items++
		return nil
	})
}
