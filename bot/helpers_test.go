package bot

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/attache-bot/attache/corpus"
	"github.com/attache-bot/attache/retrieval"
	"github.com/attache-bot/attache/retrieval/llm"
)

// testNow is the clock of every unit test: answers are as of this day.
var testNow = time.Date(2026, 6, 10, 12, 0, 0, 0, time.UTC)

const (
	guildA = "111111111111111111"
	guildB = "222222222222222222"
	chanA  = "333333333333333333"
	userM  = "444444444444444444" // a moderator
	userU  = "555555555555555555" // an ordinary member
	botID  = "666666666666666666"
)

// Articles written for these tests (fictional places and people).
func articleShared() corpus.Article {
	return corpus.Article{
		Title: "Harbour accord signed in Velmora", Source: "Coastal Wire", URL: "https://coastal.example/velmora-accord",
		Published: time.Date(2026, 6, 3, 0, 0, 0, 0, time.UTC),
		Body: "The foreign ministers of Velmora and Ostrane signed a harbour accord on Tuesday. " +
			"The accord opens the port of Kessel to ships of both countries. " +
			"Minister Ilsa Varn said the agreement would cut shipping costs by a third.",
	}
}

func articleGuildA() corpus.Article {
	return corpus.Article{
		Title: "Quillan talks on grain corridor stall", Source: "Plains Herald", URL: "https://plains.example/quillan-grain",
		Published: time.Date(2026, 6, 8, 0, 0, 0, 0, time.UTC), Scope: guildA,
		Body: "Negotiators from Quillan and Dorvast failed to agree on the grain corridor in Brindle. " +
			"The Quillan envoy Tamsin Rook demanded inspections of every convoy. " +
			"Talks resume next month in the city of Brindle.",
	}
}

// env is a bot over a real engine and library in a temporary directory.
type env struct {
	t       *testing.T
	bot     *Bot
	lib     *corpus.Library
	engine  *retrieval.Engine
	rec     *recorder
	ctx     context.Context
	logs    *syncBuffer
	fetcher *corpus.Fetcher
}

type envOptions struct {
	cfg      Config
	answerer Answerer // replaces the engine's answers when set
	articles []corpus.Article
	places   Places // replaces the engine's places when set
	// chronicler replaces the engine's timelines when set.
	chronicler Chronicler
}

// newTestEngine returns a library in a temporary directory and an engine
// over it, answering with model (nil = extractive; follow-ups rewritten
// without it) as of testNow, holding arts.
func newTestEngine(t testing.TB, model *llm.Client, arts []corpus.Article) (*corpus.Library, *retrieval.Engine) {
	t.Helper()
	ctx := context.Background()
	lib, err := corpus.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lib.Close() })
	eng, err := retrieval.New(ctx, lib, retrieval.Config{LLM: model, NoRewrite: true, Now: func() time.Time { return testNow }, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range arts {
		if _, _, err := eng.Add(ctx, a); err != nil {
			t.Fatalf("add %q: %v", a.Title, err)
		}
	}
	return lib, eng
}

func newEnv(t *testing.T, o envOptions) *env {
	t.Helper()
	ctx := context.Background()
	arts := o.articles
	if arts == nil {
		arts = []corpus.Article{articleShared(), articleGuildA()}
	}
	lib, eng := newTestEngine(t, nil, arts)
	cfg := o.cfg
	if cfg.Token == "" {
		cfg.Token = "test-token"
	}
	logs := &syncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	fetcher := corpus.NewFetcher(corpus.FetchOptions{AllowPrivate: true, Timeout: 5 * time.Second})
	d := deps{answerer: eng, articles: eng, catalog: lib, store: lib, fetcher: fetcher, chronicler: eng, places: eng}
	if o.places != nil {
		d.places = o.places
	}
	if o.answerer != nil {
		d.answerer = o.answerer
	}
	if o.chronicler != nil {
		d.chronicler = o.chronicler
	}
	b, err := newBot(logger, cfg, d)
	if err != nil {
		t.Fatal(err)
	}
	b.now = func() time.Time { return testNow }
	b.botID.Store(botID)
	return &env{t: t, bot: b, lib: lib, engine: eng, rec: newRecorder(), ctx: ctx, logs: logs, fetcher: fetcher}
}

// run dispatches an interaction synchronously and returns the calls it made.
func (e *env) run(i *discordgo.Interaction) []call {
	e.t.Helper()
	n := len(e.rec.all())
	e.bot.handleInteraction(e.ctx, e.rec, &discordgo.InteractionCreate{Interaction: i})
	return e.rec.all()[n:]
}

// message dispatches a MESSAGE_CREATE synchronously and returns the calls.
func (e *env) message(m *discordgo.Message) []call {
	e.t.Helper()
	n := len(e.rec.all())
	e.bot.handleMessage(e.ctx, e.rec, &discordgo.MessageCreate{Message: m})
	return e.rec.all()[n:]
}

// syncBuffer is a log destination safe for concurrent writers.
type syncBuffer struct {
	mu      sync.Mutex
	sb      strings.Builder
	changed chan struct{} // closed and replaced on every write; nil until waited on
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.changed != nil {
		close(s.changed)
		s.changed = nil
	}
	return s.sb.Write(p)
}

// waitFor waits until the log holds want, waking on every write, and fails
// the test after timeout.
func (s *syncBuffer) waitFor(t testing.TB, want string, timeout time.Duration) {
	t.Helper()
	deadline := time.After(timeout)
	for {
		s.mu.Lock()
		if strings.Contains(s.sb.String(), want) {
			s.mu.Unlock()
			return
		}
		if s.changed == nil {
			s.changed = make(chan struct{})
		}
		changed := s.changed
		s.mu.Unlock()
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("the log did not show %q within %v:\n%s", want, timeout, s.String())
		}
	}
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sb.String()
}

var _ io.Writer = (*syncBuffer)(nil)

// call is one recorded session call.
type call struct {
	Method    string // "respond", "edit", "followup", "send", "fetch", "typing", "roles"
	I         *discordgo.Interaction
	Resp      *discordgo.InteractionResponse
	Edit      *discordgo.WebhookEdit
	Params    *discordgo.WebhookParams
	Send      *discordgo.MessageSend
	ChannelID string
}

// content is the text a call posts, whatever its kind.
func (c call) content() string {
	switch {
	case c.Resp != nil && c.Resp.Data != nil:
		return c.Resp.Data.Content
	case c.Edit != nil && c.Edit.Content != nil:
		return *c.Edit.Content
	case c.Params != nil:
		return c.Params.Content
	case c.Send != nil:
		return c.Send.Content
	}
	return ""
}

// allowedMentions is the allowed_mentions a message-bearing call carries.
func (c call) allowedMentions() (*discordgo.MessageAllowedMentions, bool) {
	switch {
	case c.Resp != nil:
		if c.Resp.Data == nil || c.Resp.Type == discordgo.InteractionApplicationCommandAutocompleteResult || c.Resp.Type == discordgo.InteractionResponseModal {
			return nil, false
		}
		return c.Resp.Data.AllowedMentions, true
	case c.Edit != nil:
		return c.Edit.AllowedMentions, true
	case c.Params != nil:
		return c.Params.AllowedMentions, true
	case c.Send != nil:
		return c.Send.AllowedMentions, true
	}
	return nil, false
}

// components are the buttons a call posts.
func (c call) components() []discordgo.MessageComponent {
	switch {
	case c.Resp != nil && c.Resp.Data != nil:
		return c.Resp.Data.Components
	case c.Edit != nil && c.Edit.Components != nil:
		return *c.Edit.Components
	case c.Params != nil:
		return c.Params.Components
	case c.Send != nil:
		return c.Send.Components
	}
	return nil
}

func customIDs(cs []discordgo.MessageComponent) []string {
	var ids []string
	for _, c := range cs {
		switch c := c.(type) {
		case discordgo.ActionsRow:
			ids = append(ids, customIDs(c.Components)...)
		case *discordgo.ActionsRow:
			ids = append(ids, customIDs(c.Components)...)
		case discordgo.Button:
			ids = append(ids, c.CustomID)
		case discordgo.TextInput:
			ids = append(ids, c.CustomID)
		}
	}
	return ids
}

// recorder is a session that records every call and answers like Discord.
type recorder struct {
	mu       sync.Mutex
	calls    []call
	messages map[string]*discordgo.Message // for ChannelMessage
	roles    []*discordgo.Role
	fail     map[string]error // method → error to return
	next     int
	sent     []string      // ids of the messages ChannelMessageSendComplex made
	changed  chan struct{} // closed and replaced on every call
}

func newRecorder() *recorder {
	return &recorder{messages: map[string]*discordgo.Message{}, fail: map[string]error{}, changed: make(chan struct{})}
}

var _ session = (*recorder)(nil)

func (r *recorder) add(c call) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, c)
	close(r.changed)
	r.changed = make(chan struct{})
	return r.fail[c.Method]
}

// waitFor waits until cond holds for the calls so far, waking on every
// new call; it fails the test after a generous bound.
func (r *recorder) waitFor(t *testing.T, cond func([]call) bool) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		r.mu.Lock()
		calls := append([]call(nil), r.calls...)
		changed := r.changed
		r.mu.Unlock()
		if cond(calls) {
			return
		}
		select {
		case <-changed:
		case <-timeout:
			t.Fatal("condition on the recorded calls not reached within 10 s")
		}
	}
}

func (r *recorder) all() []call {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]call(nil), r.calls...)
}

func (r *recorder) setFail(method string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fail[method] = err
}

func (r *recorder) msgID() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.next++
	return fmt.Sprintf("9000000%011d", r.next)
}

func (r *recorder) InteractionRespond(i *discordgo.Interaction, resp *discordgo.InteractionResponse, _ ...discordgo.RequestOption) error {
	return r.add(call{Method: "respond", I: i, Resp: resp})
}

func (r *recorder) InteractionResponseEdit(i *discordgo.Interaction, e *discordgo.WebhookEdit, _ ...discordgo.RequestOption) (*discordgo.Message, error) {
	return &discordgo.Message{ID: r.msgID()}, r.add(call{Method: "edit", I: i, Edit: e})
}

func (r *recorder) FollowupMessageCreate(i *discordgo.Interaction, _ bool, p *discordgo.WebhookParams, _ ...discordgo.RequestOption) (*discordgo.Message, error) {
	return &discordgo.Message{ID: r.msgID()}, r.add(call{Method: "followup", I: i, Params: p})
}

func (r *recorder) ChannelMessageSendComplex(ch string, m *discordgo.MessageSend, _ ...discordgo.RequestOption) (*discordgo.Message, error) {
	id := r.msgID()
	err := r.add(call{Method: "send", ChannelID: ch, Send: m})
	if err == nil {
		r.mu.Lock()
		r.sent = append(r.sent, id)
		r.mu.Unlock()
	}
	return &discordgo.Message{ID: id, ChannelID: ch}, err
}

// sentIDs are the ids of the messages sent so far.
func (r *recorder) sentIDs() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.sent...)
}

func (r *recorder) ChannelMessage(ch, id string, _ ...discordgo.RequestOption) (*discordgo.Message, error) {
	if err := r.add(call{Method: "fetch", ChannelID: ch}); err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	m, ok := r.messages[id]
	if !ok {
		return nil, &discordgo.RESTError{Message: &discordgo.APIErrorMessage{Code: discordgo.ErrCodeUnknownMessage, Message: "Unknown Message"}}
	}
	return m, nil
}

func (r *recorder) ChannelTyping(ch string, _ ...discordgo.RequestOption) error {
	return r.add(call{Method: "typing", ChannelID: ch})
}

func (r *recorder) GuildRoles(string, ...discordgo.RequestOption) ([]*discordgo.Role, error) {
	if err := r.add(call{Method: "roles"}); err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.roles, nil
}

// Interaction builders.

var interactionSeq atomic.Int64

func newInteraction(typ discordgo.InteractionType, guild, user string, perms int64) *discordgo.Interaction {
	i := &discordgo.Interaction{
		ID: fmt.Sprintf("7770000%011d", interactionSeq.Add(1)), AppID: "888", Type: typ,
		Token: "tok", ChannelID: chanA, GuildID: guild,
	}
	if guild != "" {
		i.Member = &discordgo.Member{User: &discordgo.User{ID: user}, Permissions: perms}
	} else {
		i.User = &discordgo.User{ID: user}
	}
	return i
}

func askInteraction(guild, user, question string, private bool) *discordgo.Interaction {
	i := newInteraction(discordgo.InteractionApplicationCommand, guild, user, 0)
	opts := []*discordgo.ApplicationCommandInteractionDataOption{
		{Name: optQuestion, Type: discordgo.ApplicationCommandOptionString, Value: question},
	}
	if private {
		opts = append(opts, &discordgo.ApplicationCommandInteractionDataOption{Name: optPrivate, Type: discordgo.ApplicationCommandOptionBoolean, Value: true})
	}
	i.Data = discordgo.ApplicationCommandInteractionData{Name: cmdAsk, Options: opts}
	return i
}

func articleInteraction(guild, user string, perms int64, sub string, opts ...*discordgo.ApplicationCommandInteractionDataOption) *discordgo.Interaction {
	i := newInteraction(discordgo.InteractionApplicationCommand, guild, user, perms)
	i.Data = discordgo.ApplicationCommandInteractionData{Name: cmdArticle, Options: []*discordgo.ApplicationCommandInteractionDataOption{
		{Name: sub, Type: discordgo.ApplicationCommandOptionSubCommand, Options: opts},
	}}
	return i
}

func buttonInteraction(guild, user string, perms int64, customID string) *discordgo.Interaction {
	i := newInteraction(discordgo.InteractionMessageComponent, guild, user, perms)
	i.Data = discordgo.MessageComponentInteractionData{CustomID: customID, ComponentType: discordgo.ButtonComponent}
	return i
}

func modalInteraction(guild, user string, perms int64, fields map[string]string) *discordgo.Interaction {
	i := newInteraction(discordgo.InteractionModalSubmit, guild, user, perms)
	var rows []discordgo.MessageComponent
	for _, id := range []string{fieldTitle, fieldSource, fieldURL, fieldPublished, fieldBody} {
		if v, ok := fields[id]; ok {
			rows = append(rows, &discordgo.ActionsRow{Components: []discordgo.MessageComponent{&discordgo.TextInput{CustomID: id, Value: v}}})
		}
	}
	i.Data = discordgo.ModalSubmitInteractionData{CustomID: modalAddArticle, Components: rows}
	return i
}

func strOpt(name, v string) *discordgo.ApplicationCommandInteractionDataOption {
	return &discordgo.ApplicationCommandInteractionDataOption{Name: name, Type: discordgo.ApplicationCommandOptionString, Value: v}
}

// checkNoPings fails when a message-bearing call could ping anyone.
func checkNoPings(t *testing.T, calls []call) {
	t.Helper()
	for n, c := range calls {
		am, ok := c.allowedMentions()
		if !ok {
			continue
		}
		if am == nil || am.Parse == nil || len(am.Parse) != 0 || am.RepliedUser || len(am.Users) > 0 || len(am.Roles) > 0 {
			t.Errorf("call %d (%s) allowed_mentions = %+v, want parse [] and no replied user", n, c.Method, am)
		}
	}
}

// answerFunc adapts a function to Answerer.
type answerFunc func(ctx context.Context, req retrieval.Request, onDelta func(string)) (retrieval.Answer, error)

func (f answerFunc) Answer(ctx context.Context, req retrieval.Request, onDelta func(string)) (retrieval.Answer, error) {
	return f(ctx, req, onDelta)
}
