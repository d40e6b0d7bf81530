package discordtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// Identities the fake uses when Options leave them empty.
const (
	DefaultToken     = "test-token"
	DefaultBotID     = "1000000000000000001"
	DefaultAppID     = "1000000000000000002"
	DefaultGuildID   = "1000000000000000003"
	DefaultChannelID = "1000000000000000004"
	DefaultUserID    = "1000000000000000005"
)

// Options configure a Fake. The zero value is a usable fake with one guild and one channel.
type Options struct {
	// Token is the bot token without the "Bot " prefix (default DefaultToken). REST calls must
	// carry "Authorization: Bot <Token>" and IDENTIFY/RESUME the same token.
	Token string
	// BotID, BotName and AppID identify the bot user and its application (defaults DefaultBotID,
	// "attache", DefaultAppID).
	BotID, BotName, AppID string
	// Guilds the bot is in, sent as GUILD_CREATE after READY. Nil means one guild DefaultGuildID
	// with one text channel DefaultChannelID.
	Guilds []Guild
	// HeartbeatInterval sent in HELLO (default 41.25 s, Discord's). Keep it long except in a
	// heartbeat test: below ~1 s discordgo can reconnect after Close.
	HeartbeatInterval time.Duration
	// CompressPayloads sends zlib-compressed binary frames after an IDENTIFY with compress:true.
	CompressPayloads bool
	// AckDeadline is the time an interaction may wait for its response (default 3 s).
	AckDeadline time.Duration
	// Now is the clock for acknowledgement deadlines and timestamps (default time.Now).
	Now func() time.Time
	// DisallowedIntents are intents whose IDENTIFY is refused with close code 4014, as Discord
	// does for privileged intents not enabled in the Developer Portal.
	DisallowedIntents int64
	// Shards is the shard count GET /gateway/bot recommends (default 1). Routing follows each
	// IDENTIFY's own [shard_id, num_shards]: a session receives the events of the guilds whose
	// ShardOf is its shard.
	Shards int
}

// User is a Discord user in events the fake sends.
type User struct {
	ID, Name string
	Bot      bool
}

// Role is a guild role; Permissions is Discord's permission bit set.
type Role struct {
	ID, Name    string
	Permissions int64
}

// Member is a guild member listed in GUILD_CREATE.
type Member struct {
	User  User
	Roles []string
}

// Guild is a guild the bot is in. Channels are text channel ids. An @everyone role (id = guild
// id) is added when Roles lacks it.
type Guild struct {
	ID, Name string
	Channels []string
	Roles    []Role
	Members  []Member
}

// DefaultUser is the author of interactions and messages whose spec names no user.
var DefaultUser = User{ID: DefaultUserID, Name: "reader"}

// Fake is a fake Discord. Create it with New; all methods are safe for concurrent use, but the
// ones taking a testing.TB (and the dispatch helpers, which fail the test on a bad spec) must
// be called from the test's goroutine.
type Fake struct {
	t         testing.TB
	opts      Options
	srv       *httptest.Server
	mux       *http.ServeMux
	transport *http.Transport
	upgrader  websocket.Upgrader
	wg        sync.WaitGroup // websocket reader and writer goroutines
	grace     time.Duration  // how long Close waits for clients to close their connections

	mu           sync.Mutex
	changed      chan struct{} // closed and replaced on every change (broadcast)
	closed       bool
	stopping     chan struct{} // closed by Close: stalled requests give up
	nextID       uint64
	calls        []Call
	violations   []Violation
	expected     map[int]bool
	faults       []fault
	conns        map[*gwConn]bool
	sessions     map[int]*gwSession // gateway sessions by shard id
	last         *gwSession         // the latest IDENTIFY's
	pending      []event            // dispatched before their shard's IDENTIFY
	commands     map[string][]any   // by guild id, "" = global
	interactions map[string]*interaction
	byToken      map[string]*interaction
	messages     map[string]*message
	order        []string          // message ids in creation order
	channels     map[string]string // channel id → guild id ("" for DMs)
	files        map[string]File   // attachment id → file
}

// New starts a fake Discord on a loopback port and registers its Close with t.Cleanup, so
// cleanups registered afterwards (the session, the bot) run before it.
func New(t testing.TB, opts Options) *Fake {
	t.Helper()
	if opts.Token == "" {
		opts.Token = DefaultToken
	}
	if opts.BotID == "" {
		opts.BotID = DefaultBotID
	}
	if opts.BotName == "" {
		opts.BotName = "attache"
	}
	if opts.AppID == "" {
		opts.AppID = DefaultAppID
	}
	if opts.Guilds == nil {
		opts.Guilds = []Guild{{ID: DefaultGuildID, Name: "Test guild", Channels: []string{DefaultChannelID}}}
	}
	if opts.HeartbeatInterval <= 0 {
		opts.HeartbeatInterval = 41250 * time.Millisecond
	}
	if opts.AckDeadline <= 0 {
		opts.AckDeadline = 3 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Shards <= 0 {
		opts.Shards = 1
	}
	f := &Fake{
		t: t, opts: opts, mux: http.NewServeMux(), transport: &http.Transport{}, grace: 5 * time.Second,
		upgrader:     websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }},
		changed:      make(chan struct{}),
		stopping:     make(chan struct{}),
		expected:     map[int]bool{},
		conns:        map[*gwConn]bool{},
		sessions:     map[int]*gwSession{},
		commands:     map[string][]any{},
		interactions: map[string]*interaction{},
		byToken:      map[string]*interaction{},
		messages:     map[string]*message{},
		channels:     map[string]string{},
		files:        map[string]File{},
	}
	for _, g := range opts.Guilds {
		for _, c := range g.Channels {
			f.channels[c] = g.ID
		}
	}
	f.routes()
	f.srv = httptest.NewUnstartedServer(http.HandlerFunc(f.serveHTTP))
	t.Cleanup(f.Close)
	f.srv.Start()
	return f
}

// APIBase returns "http://127.0.0.1:PORT", the value for DISCORD_API_BASE.
func (f *Fake) APIBase() string { return f.srv.URL }

// BotMention returns "<@BOTID>", the text of a mention of the bot.
func (f *Fake) BotMention() string { return "<@" + f.opts.BotID + ">" }

// BotUser returns the bot's user.
func (f *Fake) BotUser() User { return User{ID: f.opts.BotID, Name: f.opts.BotName, Bot: true} }

// HTTPClient returns a client that sends https://discord.com requests to the fake and refuses
// every other host except the fake itself. Its idle connections are closed by Close.
func (f *Fake) HTTPClient() *http.Client {
	base, _ := url.Parse(f.srv.URL)
	return &http.Client{Timeout: 20 * time.Second, Transport: rewriteTransport{base: base, next: f.transport}}
}

type rewriteTransport struct {
	base *url.URL
	next http.RoundTripper
}

func (rt rewriteTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	switch {
	case r.URL.Scheme == "https" && r.URL.Host == "discord.com":
		r = r.Clone(r.Context())
		r.URL.Scheme, r.URL.Host, r.Host = rt.base.Scheme, rt.base.Host, rt.base.Host
	case r.URL.Host == rt.base.Host:
	default:
		if r.Body != nil {
			r.Body.Close()
		}
		return nil, fmt.Errorf("discordtest: refusing a request to %s: only discord.com and the fake are reachable", r.URL.Redacted())
	}
	return rt.next.RoundTrip(r)
}

// Close stops the fake: it closes the websockets, waits for every handler and goroutine, and
// reports unexpected violations, unknown routes and gateway connections the client left open
// through t.Errorf. It is idempotent and registered with t.Cleanup by New.
func (f *Fake) Close() {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return
	}
	f.closed = true
	close(f.stopping)
	var open []*gwConn
	for c := range f.conns {
		open = append(open, c)
	}
	f.notifyLocked()
	f.mu.Unlock()
	for _, c := range open {
		// A client that closed may not have been read yet on a loaded machine: give its
		// close frame or end of stream time to arrive.
		grace := time.NewTimer(f.grace)
		select {
		case <-c.readerDone:
		case <-grace.C:
			f.t.Errorf("discordtest: gateway connection still open at Close: close the discordgo session before the fake")
		}
		grace.Stop()
		c.close()
	}
	f.srv.Close()
	f.wg.Wait()
	f.transport.CloseIdleConnections()
	f.mu.Lock()
	f.violations = append(f.violations, f.unfinishedLocked()...)
	f.mu.Unlock()
	for _, v := range f.Violations() {
		if !f.isExpected(v.Code) {
			f.t.Errorf("discordtest: %s", v)
		}
	}
}

// request is one REST request as handlers see it: the decoded JSON body and any uploads.
type request struct {
	r     *http.Request
	body  any
	files []string
	reply *reply
}

// reply is a handler's answer; body is encoded as JSON unless raw is set.
type reply struct {
	status      int
	body        any
	raw         []byte
	contentType string
	code        int  // Discord error code, for the record
	stall       bool // StallNext: hold the request, answer nothing
}

type requestKey struct{}

// route registers a handler; handlers run with f.mu held, so they see and change state atomically.
func (f *Fake) route(pattern string, h func(*request) reply) {
	f.mux.HandleFunc(pattern, func(_ http.ResponseWriter, r *http.Request) {
		req := r.Context().Value(requestKey{}).(*request)
		req.r = r
		f.mu.Lock()
		var rep reply
		if f.needsAuth(r.URL.Path) && r.Header.Get("Authorization") != "Bot "+f.opts.Token {
			rep = f.rejectLocked(req, http.StatusUnauthorized, 0, "401: Unauthorized", "", "REST call without \"Authorization: Bot <token>\"")
		} else {
			rep = h(req)
		}
		f.mu.Unlock()
		req.reply = &rep
	})
}

// discardWriter absorbs what ServeMux writes itself (404/405) so the fake can answer instead.
type discardWriter struct{ h http.Header }

func (d discardWriter) Header() http.Header         { return d.h }
func (d discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d discardWriter) WriteHeader(int)             {}

func (f *Fake) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/gateway" || strings.HasPrefix(r.URL.Path, "/gateway/") {
		f.serveGateway(w, r)
		return
	}
	req := &request{r: r}
	raw, _ := io.ReadAll(io.LimitReader(r.Body, 64<<20))
	req.body, req.files = decodeBody(r.Header.Get("Content-Type"), raw)
	call := Call{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Body: req.body, Files: req.files, Time: f.opts.Now()}

	rep, injected := f.takeFault(r.Method, r.URL.Path)
	if rep.stall {
		select {
		case <-r.Context().Done():
		case <-f.stopping:
		}
		call.Status, call.Injected = rep.status, true
		f.record(call)
		// Drop the connection without a response: returning would send an empty 200.
		panic(http.ErrAbortHandler)
	}
	if !injected {
		f.mux.ServeHTTP(discardWriter{h: http.Header{}}, r.WithContext(context.WithValue(r.Context(), requestKey{}, req)))
		if req.reply != nil {
			rep = *req.reply
		} else {
			f.mu.Lock()
			rep = f.rejectLocked(req, http.StatusNotFound, 0, "404: Not Found", "", "unknown route "+r.Method+" "+r.URL.Path)
			f.mu.Unlock()
		}
	}
	out := rep.raw
	if out == nil && rep.body != nil {
		out, _ = json.Marshal(rep.body)
		rep.contentType = "application/json"
	}
	if rep.contentType == "application/json" {
		call.Response = decodeJSON(out)
	}
	call.Status, call.Code, call.Injected = rep.status, rep.code, injected
	f.record(call)
	if rep.contentType != "" {
		w.Header().Set("Content-Type", rep.contentType)
	}
	w.WriteHeader(rep.status)
	w.Write(out)
}

// needsAuth reports whether a path requires the bot token: interaction and webhook routes
// authenticate with the interaction token instead, and attachments live on the CDN.
func (f *Fake) needsAuth(path string) bool {
	return strings.HasPrefix(path, "/api/v9/") && !strings.HasPrefix(path, "/api/v9/interactions/") &&
		!strings.HasPrefix(path, "/api/v9/webhooks/")
}

// decodeBody decodes a JSON body, or the payload_json part of a multipart body with the names
// of its files.
func decodeBody(contentType string, raw []byte) (any, []string) {
	mt, params, _ := mime.ParseMediaType(contentType)
	if mt != "multipart/form-data" {
		return decodeJSON(raw), nil
	}
	var body any
	var files []string
	mr := multipart.NewReader(bytes.NewReader(raw), params["boundary"])
	for {
		p, err := mr.NextPart()
		if err != nil {
			return body, files
		}
		data, _ := io.ReadAll(p)
		if p.FormName() == "payload_json" {
			body = decodeJSON(data)
		} else if p.FileName() != "" {
			files = append(files, p.FileName())
		}
	}
}

func decodeJSON(raw []byte) any {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil
	}
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return string(raw)
	}
	return v
}

// newIDLocked returns a fresh snowflake-shaped id.
func (f *Fake) newIDLocked() string {
	f.nextID++
	return strconv.FormatUint(1100000000000000000+f.nextID, 10)
}

// timestamp formats t as Discord does (RFC 3339 with microseconds).
func timestamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000+00:00") }

func itoa(i int) string     { return strconv.Itoa(i) }
func itoa64(i int64) string { return strconv.FormatInt(i, 10) }
