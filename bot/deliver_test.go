package bot

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/attache-bot/attache/bot/discordtest"
)

// checkLogClean fails when the captured log holds any of the secrets.
func checkLogClean(t *testing.T, logs string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if strings.Contains(logs, s) {
			t.Errorf("the log holds the secret %q:\n%s", s, logs)
		}
	}
}

// A moderator's URL with credentials and a query string reaches neither
// the log nor the reply in clear.
func TestE2EArticleURLCredentialsNotLogged(t *testing.T) {
	t.Parallel()
	e := startE2E(t, e2eOptions{})
	ps := newPageServer(t)
	raw := strings.Replace(ps.URL, "http://", "http://editor:hunter2@", 1) + "/gone?token=qs-secret-77"
	it := e.f.Interaction(discordtest.InteractionSpec{Name: "article", Permissions: modPerms, Options: []discordtest.Option{
		{Name: "add", Type: 1, Options: []discordtest.Option{{Name: "url", Value: raw}}}}})
	got := e.final(t, it, hasAll("couldn't add"))
	e.logs.waitFor(t, `command="article add"`, waitLong)
	logs := e.logs.String()
	if !strings.Contains(logs, "fetch article") {
		t.Fatalf("the failed fetch was not logged:\n%s", logs)
	}
	checkLogClean(t, logs, "hunter2", "editor:", "qs-secret-77")
	checkLogClean(t, got, "hunter2", "qs-secret-77")
}

const editOriginal = "/api/v9/webhooks/*/*/messages/@original"

// fastDelivery makes retries quick and records the waits instead of
// spending them, so that tests of long rate limits take no time.
func fastDelivery(waits *[]time.Duration, mu *sync.Mutex) func(b *Bot) {
	return func(b *Bot) {
		b.delivery = deliveryPolicy{attempt: 2 * time.Second, baseDelay: time.Millisecond, maxDelay: 5 * time.Millisecond, editAttempts: 3, total: time.Minute}
		b.sleep = func(ctx context.Context, d time.Duration) error {
			mu.Lock()
			*waits = append(*waits, d)
			mu.Unlock()
			return ctx.Err()
		}
	}
}

func askVelmora(e *e2e) discordtest.Interaction {
	return e.f.SendSlashCommand("ask", discordtest.Option{Name: "question", Value: "Which port does the Velmora harbour accord open?"})
}

func injected(f *discordtest.Fake, method string, status int) int {
	return f.Count(func(c discordtest.Call) bool { return c.Injected && c.Method == method && c.Status == status })
}

// A 500 and a 503 on the final edit are waited out: the answer, not an
// apology, ends up on the original response.
func TestE2EFinalEditRetriedThrough5xx(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var waits []time.Duration
	e := startE2E(t, e2eOptions{tune: fastDelivery(&waits, &mu)})
	e.f.FailNext("PATCH", editOriginal, http.StatusInternalServerError, "", 0)
	e.f.FailNext("PATCH", editOriginal, http.StatusServiceUnavailable, "", 0)
	it := askVelmora(e)
	got := e.final(t, it, hasAll("**Sources**"))
	if !strings.Contains(got, "Kessel") || strings.Contains(got, "Sorry") {
		t.Errorf("answer after a 500 and a 503:\n%s", got)
	}
	if injected(e.f, "PATCH", 500) != 1 || injected(e.f, "PATCH", 503) != 1 || len(e.f.Followups(it.Token)) != 0 {
		t.Errorf("want one 500, one 503 and no follow-up; calls:\n%v", e.f.Calls())
	}
}

// Rate limits adding up to more than discordgo's patience (and the old 10 s
// deadline) are honoured, retry_after by retry_after, without giving up.
func TestE2EFinalEditWaitsOutLongRateLimits(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var waits []time.Duration
	e := startE2E(t, e2eOptions{tune: fastDelivery(&waits, &mu)})
	e.f.FailNext("PATCH", editOriginal, http.StatusTooManyRequests, "", 6*time.Second)
	e.f.FailNext("PATCH", editOriginal, http.StatusTooManyRequests, "", 7*time.Second)
	it := askVelmora(e)
	if got := e.final(t, it, hasAll("**Sources**")); !strings.Contains(got, "Kessel") {
		t.Errorf("answer after 13 s of rate limits:\n%s", got)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(waits) != 2 || waits[0] != 6*time.Second || waits[1] != 7*time.Second {
		t.Errorf("waits = %v, want the two retry_after values", waits)
	}
}

// An original that keeps failing is replaced by a follow-up carrying the
// answer (which, after a deferred response, takes the place of "thinking…").
func TestE2EFinalEditFallsBackToFollowup(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var waits []time.Duration
	e := startE2E(t, e2eOptions{tune: fastDelivery(&waits, &mu)})
	for range 3 { // editAttempts
		e.f.FailNext("PATCH", editOriginal, http.StatusBadGateway, "", 0)
	}
	e.f.FailNext("POST", "/api/v9/webhooks/*/*", http.StatusServiceUnavailable, "", 0)
	it := askVelmora(e)
	got := e.final(t, it, hasAll("**Sources**"))
	if !strings.Contains(got, "Kessel") {
		t.Errorf("answer delivered as a follow-up:\n%s", got)
	}
	if injected(e.f, "PATCH", 502) != 3 || injected(e.f, "POST", 503) != 1 {
		t.Errorf("want three 502s on the edit and one 503 on the follow-up; calls:\n%v", e.f.Calls())
	}
	orig, _ := e.f.Original(it.Token)
	if len(buttonIDs(orig)) != 3 {
		t.Errorf("the follow-up lost the answer's buttons: %v", buttonIDs(orig))
	}
	checkNobodyPinged(t, e.f)
}

// An edit that times out is retried, and the ERROR/WARN lines it causes do
// not carry the interaction token of the webhook URL.
func TestE2EFinalEditTimeoutLogsNoToken(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var waits []time.Duration
	tune := fastDelivery(&waits, &mu)
	e := startE2E(t, e2eOptions{tune: func(b *Bot) { tune(b); b.delivery.attempt = 200 * time.Millisecond }})
	e.f.StallNext("PATCH", editOriginal)
	it := askVelmora(e)
	if got := e.final(t, it, hasAll("**Sources**")); !strings.Contains(got, "Kessel") {
		t.Errorf("answer after a timed-out edit:\n%s", got)
	}
	e.logs.waitFor(t, `outcome="answered: extractive"`, waitLong)
	logs := e.logs.String()
	if !strings.Contains(logs, "webhooks/"+discordtest.DefaultAppID+"/[redacted]/messages/@original") {
		t.Errorf("the timed-out edit was not logged with its redacted URL:\n%s", logs)
	}
	checkLogClean(t, logs, it.Token, discordtest.DefaultToken)
}

func TestRetryWait(t *testing.T) {
	p := deliveryPolicy{baseDelay: time.Millisecond, maxDelay: 4 * time.Millisecond}
	rest := func(status int) error {
		return &discordgo.RESTError{Response: &http.Response{StatusCode: status, Status: http.StatusText(status)}}
	}
	cases := []struct {
		name  string
		err   error
		retry bool
	}{
		{"429 with retry_after", &discordgo.RateLimitError{RateLimit: &discordgo.RateLimit{TooManyRequests: &discordgo.TooManyRequests{RetryAfter: 3 * time.Second}}}, true},
		{"500", rest(500), true},
		{"503", rest(503), true},
		{"429 unparsed", rest(429), true},
		{"502 after discordgo's retries", errors.New("Exceeded Max retries HTTP 502 Bad Gateway, "), true},
		{"timeout", &url.Error{Op: "Patch", URL: "https://discord.com/x", Err: context.DeadlineExceeded}, true},
		{"400 invalid form body", rest(400), false},
		{"404 unknown message", rest(404), false},
		{"401 expired token", rest(401), false},
		{"malformed response", discordgo.ErrJSONUnmarshal, false},
	}
	for _, c := range cases {
		wait, ok := retryWait(fmt.Errorf("edit: %w", c.err), 0, p)
		if ok != c.retry {
			t.Errorf("%s: retry = %v, want %v", c.name, ok, c.retry)
		}
		if c.name == "429 with retry_after" && wait != 3*time.Second {
			t.Errorf("%s: wait %v, want retry_after", c.name, wait)
		}
	}
	// A 429 without a wait (or with 0) backs off rather than retrying at
	// once, which would loop until the token's deadline.
	noWait := &discordgo.RateLimitError{RateLimit: &discordgo.RateLimit{TooManyRequests: &discordgo.TooManyRequests{}}}
	if wait, ok := retryWait(noWait, 0, p); !ok || wait <= 0 {
		t.Errorf("429 without retry_after: wait %v, retry %v; want a backoff", wait, ok)
	}
}

// Once shutdown has begun no retry waits: the last error is returned at once.
func TestRetryDiscordStopsWaitingAtShutdown(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.bot.delivery = deliveryPolicy{attempt: time.Second, baseDelay: time.Hour, maxDelay: time.Hour, total: time.Minute}
	work, cancel := context.WithCancel(context.Background())
	cancel()
	ctx, done := e.bot.deliveryCtx(work, time.Minute)
	defer done()
	calls := 0
	err := e.bot.retryDiscord(ctx, "test", 0, func(context.Context) error {
		calls++
		return &discordgo.RESTError{Response: &http.Response{StatusCode: 503}}
	})
	if err == nil || calls != 1 {
		t.Errorf("retryDiscord = %v after %d calls, want the 503 after one", err, calls)
	}
}
