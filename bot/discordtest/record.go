package discordtest

import (
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Call is one recorded REST call, or one gateway operation from the client (Method "GATEWAY",
// Path "IDENTIFY", "RESUME", "HEARTBEAT", "CLOSE" or "OP<n>", Body the decoded "d").
type Call struct {
	Method, Path string
	Query        url.Values
	Body         any      // decoded JSON: map[string]any, []any, string, float64, bool or nil
	Files        []string // names of uploaded files (multipart requests)
	Status       int      // HTTP status of the response
	Code         int      // Discord error code of the response, 0 if none
	Response     any      // decoded JSON response
	Injected     bool     // the response came from FailNext
	Time         time.Time
}

// Match reports whether the call has the method and its path matches pattern (path.Match
// syntax: "*" matches one path segment, e.g. "/api/v9/webhooks/*/*/messages/@original").
func (c Call) Match(method, pattern string) bool {
	ok, _ := path.Match(pattern, c.Path)
	return c.Method == method && ok
}

// Field returns the value at a dotted path in the body ("data.flags", "embeds.0.title"), or nil.
func (c Call) Field(dotted string) any { return lookup(c.Body, dotted) }

// StringAt returns the string at a dotted path in the body, or "".
func (c Call) StringAt(dotted string) string {
	s, _ := c.Field(dotted).(string)
	return s
}

func lookup(v any, dotted string) any {
	for _, k := range strings.Split(dotted, ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[k]
		case []any:
			i, err := strconv.Atoi(k)
			if err != nil || i < 0 || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

// Violation is a request that broke one of Discord's rules, or (CodeUnfinished) an interaction
// left without a final message.
type Violation struct {
	Code   int // Discord error code; the HTTP status when the error has none (401, 404); CodeUnfinished
	Method string
	Path   string
	Reason string
}

// String formats the violation as Close reports it.
func (v Violation) String() string {
	return fmt.Sprintf("%s %s: %s (code %d)", v.Method, v.Path, v.Reason, v.Code)
}

type fault struct {
	method, pattern string
	status          int
	body            string
	retryAfter      time.Duration
	stall           bool // hold the request until the client gives up
}

// StallStatus is the status recorded for a request that StallNext held until the client gave
// up (the client never sees it).
const StallStatus = 599

// FailNext makes the next request matching method and pattern (path.Match syntax) fail with
// status and body. An empty body becomes Discord's: for 429 {"message", "retry_after" (seconds),
// "global"}, otherwise {"message", "code": 0}. Faults queue up and each fires once; the injected
// response is recorded (Call.Injected) but is not a violation.
func (f *Fake) FailNext(method, pattern string, status int, body string, retryAfter time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = append(f.faults, fault{method, pattern, status, body, retryAfter, false})
}

// StallNext makes the next request matching method and pattern hang without an answer until
// the client gives up (its context ends or it times out) or the fake closes, as a Discord that
// accepted the connection and then went silent. The request is recorded with Injected and
// Status StallStatus. Stalls queue up with FailNext's faults.
func (f *Fake) StallNext(method, pattern string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = append(f.faults, fault{method: method, pattern: pattern, status: StallStatus, stall: true})
}

func (f *Fake) takeFault(method, p string) (reply, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, ft := range f.faults {
		if ok, _ := path.Match(ft.pattern, p); !ok || ft.method != method {
			continue
		}
		f.faults = append(f.faults[:i:i], f.faults[i+1:]...)
		f.notifyLocked() // a waiter may be waiting for the fault to fire
		rep := reply{status: ft.status, raw: []byte(ft.body), contentType: "application/json", stall: ft.stall}
		if ft.body == "" && ft.status == http.StatusTooManyRequests {
			rep.raw = fmt.Appendf(nil, `{"message":"You are being rate limited.","retry_after":%g,"global":false}`, ft.retryAfter.Seconds())
		} else if ft.body == "" {
			rep.raw = fmt.Appendf(nil, `{"message":%q,"code":0}`, http.StatusText(ft.status))
		}
		return rep, true
	}
	return reply{}, false
}

// ExpectViolations declares rule violations with these codes as part of the test, so Close
// does not report them.
func (f *Fake) ExpectViolations(codes ...int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range codes {
		f.expected[c] = true
	}
}

func (f *Fake) isExpected(code int) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.expected[code]
}

// Violations returns the rule violations so far, expected or not (CodeUnfinished ones are
// added by Close).
func (f *Fake) Violations() []Violation {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Violation(nil), f.violations...)
}

// rejectLocked records a violation and builds Discord's error response. field names the
// offending part of the body for 50035 errors.
func (f *Fake) rejectLocked(req *request, status, code int, message, field, reason string) reply {
	vc := code
	if vc == 0 {
		vc = status
	}
	f.violations = append(f.violations, Violation{Code: vc, Method: req.r.Method, Path: req.r.URL.Path, Reason: reason})
	body := map[string]any{"code": code, "message": message}
	if code == 50035 {
		if field == "" {
			field = "_body"
		}
		body["errors"] = map[string]any{field: map[string]any{"_errors": []any{map[string]any{"code": "INVALID", "message": reason}}}}
	}
	return reply{status: status, body: body, code: code}
}

func (f *Fake) record(c Call) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, c)
	f.notifyLocked()
}

// notifyLocked wakes every waiter.
func (f *Fake) notifyLocked() {
	close(f.changed)
	f.changed = make(chan struct{})
}

// Calls returns every recorded call so far, oldest first.
func (f *Fake) Calls() []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Call(nil), f.calls...)
}

// Count returns the number of recorded calls matching pred.
func (f *Fake) Count(pred func(Call) bool) int {
	n := 0
	for _, c := range f.Calls() {
		if pred(c) {
			n++
		}
	}
	return n
}

// WaitUntil waits until cond returns true, re-evaluating it after every call and state change,
// and fails the test after timeout. cond may call the Fake's methods.
func (f *Fake) WaitUntil(t testing.TB, cond func() bool, timeout time.Duration) {
	t.Helper()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		f.mu.Lock()
		ch := f.changed
		f.mu.Unlock()
		if cond() {
			return
		}
		select {
		case <-ch:
		case <-timer.C:
			t.Fatalf("discordtest: condition not met within %v; calls so far:\n%s", timeout, f.summary())
		}
	}
}

// WaitHeartbeat waits until the client has sent a heartbeat on its latest gateway connection.
// discordgo sends one right after each (re)connection; if the session closes before it is
// written, the write fails and, with ShouldReconnectOnError, discordgo reconnects after Close
// (discord-fake.md, pitfall 3). Call it before closing a session that reconnected.
func (f *Fake) WaitHeartbeat(t testing.TB, timeout time.Duration) {
	t.Helper()
	f.WaitUntil(t, func() bool {
		beat := false
		for _, c := range f.Calls() {
			switch {
			case c.Match("GATEWAY", "IDENTIFY"), c.Match("GATEWAY", "RESUME"):
				beat = false
			case c.Match("GATEWAY", "HEARTBEAT"):
				beat = true
			}
		}
		return beat
	}, timeout)
}

// WaitFor waits for the first recorded call (past or future) matching pred and returns it.
func (f *Fake) WaitFor(t testing.TB, pred func(Call) bool, timeout time.Duration) Call {
	t.Helper()
	var found Call
	f.WaitUntil(t, func() bool {
		for _, c := range f.Calls() {
			if pred(c) {
				found = c
				return true
			}
		}
		return false
	}, timeout)
	return found
}

// WaitForCall waits for the first call with method and a path matching pattern (see Call.Match).
func (f *Fake) WaitForCall(t testing.TB, method, pattern string, timeout time.Duration) Call {
	t.Helper()
	return f.WaitFor(t, func(c Call) bool { return c.Match(method, pattern) }, timeout)
}

func (f *Fake) summary() string {
	var b strings.Builder
	for _, c := range f.Calls() {
		fmt.Fprintf(&b, "  %s %s → %d %d\n", c.Method, c.Path, c.Status, c.Code)
	}
	return b.String()
}

// MayPing returns the successful message-bearing calls (channel messages, interaction responses
// of type 4 and 7, webhook posts and edits) whose allowed_mentions is missing or could ping
// someone: the project requires {"parse": [], "replied_user": false} and no users or roles.
func (f *Fake) MayPing() []Call {
	var bad []Call
	for _, c := range f.Calls() {
		if c.Status >= 300 || c.Method == "GATEWAY" || c.Method == "GET" || c.Method == "DELETE" {
			continue
		}
		body := c.Body
		switch {
		case c.Match("POST", "/api/v9/interactions/*/*/callback"):
			if t, _ := c.Field("type").(float64); t != 4 && t != 7 {
				continue
			}
			body = lookup(body, "data")
		case strings.HasPrefix(c.Path, "/api/v9/webhooks/"), c.Match("POST", "/api/v9/channels/*/messages"),
			c.Match("PATCH", "/api/v9/channels/*/messages/*"):
		default:
			continue
		}
		if !pingsNobody(lookup(body, "allowed_mentions")) {
			bad = append(bad, c)
		}
	}
	return bad
}

func pingsNobody(am any) bool {
	m, ok := am.(map[string]any)
	if !ok {
		return false
	}
	parse, ok := m["parse"].([]any)
	users, _ := m["users"].([]any)
	roles, _ := m["roles"].([]any)
	replied, _ := m["replied_user"].(bool)
	return ok && len(parse) == 0 && len(users) == 0 && len(roles) == 0 && !replied
}
