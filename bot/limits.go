package bot

import (
	"context"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/time/rate"
)

// Limits on what users may send, beyond the ones Discord enforces itself.
const (
	maxQuestionRunes  = 1000                // /ask's max_length, also applied to mentions
	maxModalBodyRunes = 4000                // Discord's limit on one modal text input
	maxFileBytes      = 8 << 20             // largest attachment /article add downloads
	answerTimeout     = 2 * time.Minute     // one answer, from defer to final edit
	historyDepth      = 10                  // messages of a reply chain fetched as history
	answerRetention   = 30 * 24 * time.Hour // stored answers older than this lose their buttons
)

// userLimiter is a per-user token bucket: perMinute questions a minute, with
// a burst of the same size. Buckets of users who have been quiet long enough
// to be full again are dropped, so the map stays as small as the set of
// recently active users.
type userLimiter struct {
	perMinute int

	mu        sync.Mutex
	users     map[string]*rate.Limiter
	lastSweep time.Time
}

func newUserLimiter(perMinute int) *userLimiter {
	return &userLimiter{perMinute: perMinute, users: make(map[string]*rate.Limiter)}
}

// allow takes one question from user's bucket at now. When the bucket is
// empty it returns false and how long until the next question is allowed.
func (l *userLimiter) allow(user string, now time.Time) (bool, time.Duration) {
	if l.perMinute <= 0 {
		return true, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	lim := l.users[user]
	if lim == nil {
		lim = rate.NewLimiter(rate.Limit(float64(l.perMinute)/60), l.perMinute)
		l.users[user] = lim
	}
	r := lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// sweep drops the buckets that are full again, at most once a minute.
func (l *userLimiter) sweep(now time.Time) {
	if now.Sub(l.lastSweep) < time.Minute {
		return
	}
	l.lastSweep = now
	for user, lim := range l.users {
		if lim.TokensAt(now) >= float64(lim.Burst()) {
			delete(l.users, user)
		}
	}
}

// size is the number of users with a bucket (for tests).
func (l *userLimiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.users)
}

// slots bounds the answers in progress. Taking a slot either succeeds at once
// or reports that the caller is queued, then waits.
type slots struct {
	ch      chan struct{}
	mu      sync.Mutex
	waiting int
}

func newSlots(n int) *slots { return &slots{ch: make(chan struct{}, max(n, 1))} }

// tryAcquire takes a slot if one is free.
func (s *slots) tryAcquire() bool {
	select {
	case s.ch <- struct{}{}:
		return true
	default:
		return false
	}
}

// acquire waits for a slot until ctx is done. ahead is called once, before
// waiting, with the number of answers already waiting, when no slot is free.
func (s *slots) acquire(ctx context.Context, queued func(ahead int)) error {
	if s.tryAcquire() {
		return nil
	}
	s.mu.Lock()
	ahead := s.waiting
	s.waiting++
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.waiting--
		s.mu.Unlock()
	}()
	if queued != nil {
		queued(ahead)
	}
	select {
	case s.ch <- struct{}{}:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// release frees a slot taken by acquire or tryAcquire.
func (s *slots) release() { <-s.ch }

// checkQuestion validates a question's text and returns it trimmed, or a
// message for the user saying what is wrong with it.
func checkQuestion(q string) (string, string) {
	return checkText(q, "question", "Please ask a question, for example `/ask question: What did the summit agree on?`")
}

// checkText validates what a member typed as what ("question", "topic"):
// empty gets the message empty, unreadable or over maxQuestionRunes one
// naming what. It returns the text trimmed, or the message.
func checkText(s, what, empty string) (string, string) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return "", empty
	case !utf8.ValidString(s):
		return "", "That " + what + " contains characters I can't read. Please retype it."
	case utf8.RuneCountInString(s) > maxQuestionRunes:
		return "", "That " + what + " is too long: please keep it under 1000 characters."
	}
	return s, ""
}
