package discordtest

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// restSession returns a session that talks to f over REST only (no gateway, so no 1 s Close).
func restSession(t *testing.T, f *Fake) *discordgo.Session {
	t.Helper()
	s, err := discordgo.New("Bot " + DefaultToken)
	if err != nil {
		t.Fatal(err)
	}
	s.Client = f.HTTPClient()
	return s
}

// openSession opens a gateway session on f; setup runs before Open. The session closes in a
// cleanup registered after the fake's, so it closes first.
func openSession(t *testing.T, f *Fake, setup func(*discordgo.Session)) *discordgo.Session {
	t.Helper()
	s := restSession(t, f)
	s.ShouldReconnectOnError = false
	s.Identify.Intents = discordgo.IntentsGuilds | discordgo.IntentsGuildMessages
	if setup != nil {
		setup(s)
	}
	if err := s.Open(); err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	// Closing before discordgo's first heartbeat makes it fail on the closed socket (and log).
	f.WaitHeartbeat(t, 5*time.Second)
	return s
}

// restCode returns the Discord error code of a discordgo REST error, or -1.
func restCode(err error) int {
	var re *discordgo.RESTError
	if errors.As(err, &re) && re.Message != nil {
		return re.Message.Code
	}
	return -1
}

// clock is a manual clock for acknowledgement deadlines.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// recorderTB captures what the fake reports at Close, and runs its cleanups on demand.
type recorderTB struct {
	testing.TB
	mu       sync.Mutex
	errs     []string
	cleanups []func()
}

func (r *recorderTB) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func (r *recorderTB) Cleanup(fn func()) { r.cleanups = append(r.cleanups, fn) }

// close runs the cleanups (last first) and returns everything reported.
func (r *recorderTB) close() string {
	for i := len(r.cleanups) - 1; i >= 0; i-- {
		r.cleanups[i]()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.errs, "\n")
}

// result collects a value from an event handler goroutine.
func result[T any]() (chan T, func(T)) {
	ch := make(chan T, 16)
	return ch, func(v T) { ch <- v }
}

func receive[T any](t *testing.T, ch chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(5 * time.Second):
		t.Fatal("timed out waiting for a handler")
		var zero T
		return zero
	}
}
