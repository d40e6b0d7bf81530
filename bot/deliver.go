package bot

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/attache-bot/attache/retrieval/llm"
	"github.com/bwmarrin/discordgo"
)

// Discord's interaction token lives 15 minutes from the interaction; a final
// message is attempted until tokenMargin before that.
const (
	tokenLife   = 15 * time.Minute
	tokenMargin = 30 * time.Second
)

// deliveryPolicy says how hard the bot tries to put a final message on an
// interaction. A computed answer is worth far more than the seconds it
// takes to wait out a 503 or a rate limit, so transient failures (429, 5xx,
// timeouts, dropped connections) are retried within the token's lifetime.
type deliveryPolicy struct {
	attempt      time.Duration // deadline of one call
	baseDelay    time.Duration // first backoff; doubles per retry (Retry-After overrides it)
	maxDelay     time.Duration // cap on one backoff
	editAttempts int           // attempts on the original response before a follow-up replaces it
	total        time.Duration // the whole delivery of one answer; the token's end bounds it too
}

var defaultDelivery = deliveryPolicy{
	attempt:      10 * time.Second,
	baseDelay:    500 * time.Millisecond,
	maxDelay:     30 * time.Second,
	editAttempts: 6,
	total:        10 * time.Minute,
}

// deliveryCtx is the context a ready answer is delivered under: it outlives
// work's cancellation (the answer is computed; shutdown must not throw it
// away), ends after the policy's total, and remembers work so that retries
// stop waiting once shutdown has begun.
func (b *Bot) deliveryCtx(work context.Context, budget time.Duration) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(work), budget)
	return context.WithValue(ctx, stopKey{}, work), cancel
}

type stopKey struct{}

// stopOf is the context whose end means "no more waiting": the work
// context deliveryCtx remembered, or ctx itself.
func stopOf(ctx context.Context) context.Context {
	if s, ok := ctx.Value(stopKey{}).(context.Context); ok {
		return s
	}
	return ctx
}

// oneShot are the request options of a call that retryDiscord repeats:
// discordgo's own retries are off, since it sleeps through a 429 holding the
// rate-limit bucket that every interaction's edits share, deaf to contexts.
var oneShot = []discordgo.RequestOption{discordgo.WithRetryOnRatelimit(false), discordgo.WithRestRetries(0)}

// retryDiscord calls op until it succeeds, fails in a way that repeating
// cannot fix, has been tried maxAttempts times (0 = no limit), or the next
// wait would end past ctx's deadline; then it returns op's last error. Each
// attempt gets the policy's attempt deadline. Once shutdown has begun (see
// deliveryCtx) no more waits are made.
func (b *Bot) retryDiscord(ctx context.Context, what string, maxAttempts int, op func(ctx context.Context) error) error {
	p := b.delivery
	for attempt := 0; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, p.attempt)
		err := op(actx)
		cancel()
		if err == nil || ctx.Err() != nil {
			return err
		}
		wait, ok := retryWait(err, attempt, p)
		if !ok || attempt+1 == maxAttempts || stopOf(ctx).Err() != nil {
			return err
		}
		// Waiting past the deadline only to fail then is pointless.
		if deadline, has := ctx.Deadline(); has && time.Until(deadline) <= wait {
			return err
		}
		b.log.Warn("discord call failed; retrying", "call", what, "attempt", attempt+1, "wait", wait, "err", err)
		if b.pause(ctx, wait) != nil {
			return err
		}
	}
}

// pause waits d, or less when ctx ends or shutdown begins.
func (b *Bot) pause(ctx context.Context, d time.Duration) error {
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	unhook := context.AfterFunc(stopOf(ctx), cancel)
	defer unhook()
	return b.sleep(sctx, d)
}

// retryWait says whether err is worth another attempt, and after how long:
// a 429's retry_after, or the backoff for attempt. Other client errors
// (invalid body, unknown message, expired token) are final.
func retryWait(err error, attempt int, p deliveryPolicy) (time.Duration, bool) {
	backoff := llm.Backoff(attempt, p.baseDelay, p.maxDelay)
	var rl *discordgo.RateLimitError
	if errors.As(err, &rl) && rl.TooManyRequests != nil {
		if rl.RetryAfter > 0 {
			return rl.RetryAfter, true
		}
		return backoff, true // no wait given: never retry at once in a loop
	}
	var rest *discordgo.RESTError
	if errors.As(err, &rest) {
		if rest.Response == nil {
			return backoff, true
		}
		s := rest.Response.StatusCode
		return backoff, s == http.StatusTooManyRequests || s >= 500
	}
	// With retries off discordgo reports a 502 as a plain error.
	if strings.Contains(err.Error(), "Exceeded Max retries HTTP 502") {
		return backoff, true
	}
	// Transport failures: a timed-out attempt, a refused or dropped
	// connection. The call may have reached Discord; repeating an edit is
	// harmless, and a repeated follow-up beats a lost answer.
	var uerr *url.Error
	var nerr net.Error
	if errors.As(err, &uerr) || errors.As(err, &nerr) || errors.Is(err, context.DeadlineExceeded) {
		return backoff, true
	}
	return 0, false
}

// deliverFinal makes content (with components) the interaction's final
// message: it edits the original response, retrying transient failures,
// and when the original cannot be edited it sends the message as a
// follow-up instead (after a deferred response Discord shows the first
// follow-up in place of "thinking…"), retried until the token is about to
// expire. So an interaction whose answer is ready ends with that answer.
func (b *Bot) deliverFinal(ctx context.Context, it *interaction, content string, comps []discordgo.MessageComponent) (string, error) {
	ctx, cancel := context.WithDeadline(ctx, it.tokenDeadline())
	defer cancel()
	var id string
	err := b.retryDiscord(ctx, "edit original", b.delivery.editAttempts, func(ctx context.Context) error {
		var err error
		id, err = it.editMessage(ctx, content, comps, oneShot...)
		return err
	})
	if err == nil || ctx.Err() != nil {
		return id, err
	}
	b.log.Warn("editing the original response failed; sending a follow-up", "interaction", it.i.ID, "err", err)
	id, ferr := b.deliverFollowup(ctx, it, content, comps)
	if ferr != nil {
		return "", errors.Join(err, ferr)
	}
	return id, nil
}

// deliverFollowup sends one more message of a final answer, retrying
// transient failures until the token is about to expire.
func (b *Bot) deliverFollowup(ctx context.Context, it *interaction, content string, comps []discordgo.MessageComponent) (string, error) {
	ctx, cancel := context.WithDeadline(ctx, it.tokenDeadline())
	defer cancel()
	var id string
	err := b.retryDiscord(ctx, "follow-up", 0, func(ctx context.Context) error {
		var err error
		id, err = it.followup(ctx, content, comps, oneShot...)
		return err
	})
	return id, err
}

// tokenDeadline is when calls on the interaction's token stop being worth
// trying: its 15 minutes counted from when the bot received it (never
// earlier than Discord created it), less a margin.
func (it *interaction) tokenDeadline() time.Time {
	return it.received.Add(tokenLife - tokenMargin)
}
