package bot

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/attache-bot/attache/bot/discordtest"
	"github.com/attache-bot/attache/corpus"
	"github.com/attache-bot/attache/retrieval"
	"github.com/attache-bot/attache/retrieval/llm"
	"github.com/attache-bot/attache/retrieval/llm/openaitest"
)

// End-to-end tests: the bot's real discordgo session, over a websocket and
// REST, against the fake Discord of package discordtest, with a real engine
// and library. Each test opens its own session (closing one takes discordgo
// a second), so they run in parallel.

const waitLong = 20 * time.Second // bound on any single wait; never reached when all is well

const (
	e2eGuild2   = "1000000000000000010"
	e2eChannel2 = "1000000000000000011"
)

type e2e struct {
	f      *discordtest.Fake
	bot    *Bot
	lib    *corpus.Library
	engine *retrieval.Engine
	logs   *syncBuffer
	stop   context.CancelFunc
	done   chan error
}

type e2eOptions struct {
	cfg      Config
	fake     discordtest.Options
	answerer Answerer         // replaces the engine's answers when set
	llm      *llm.Client      // engine's language model; nil = extractive
	tune     func(b *Bot)     // adjusts the bot before it runs
	articles []corpus.Article // nil = articleShared
	places   Places           // replaces the engine's places when set
}

func startE2E(t testing.TB, o e2eOptions) *e2e {
	t.Helper()
	if o.fake.Guilds == nil {
		o.fake.Guilds = []discordtest.Guild{
			{ID: discordtest.DefaultGuildID, Name: "one", Channels: []string{discordtest.DefaultChannelID},
				Roles: []discordtest.Role{{ID: discordtest.DefaultGuildID, Name: "@everyone"}, {ID: "1000000000000000020", Name: "News Desk"}}},
			{ID: e2eGuild2, Name: "two", Channels: []string{e2eChannel2}},
		}
	}
	f := discordtest.New(t, o.fake)
	arts := o.articles
	if arts == nil {
		arts = []corpus.Article{articleShared()}
	}
	lib, eng := newTestEngine(t, o.llm, arts)
	logs := &syncBuffer{}
	cfg := o.cfg
	cfg.Token = discordtest.DefaultToken
	cfg.APIBase = f.APIBase()
	if cfg.GuildID == "" {
		cfg.GuildID = discordtest.DefaultGuildID
	}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	d := Deps{Answerer: eng, Articles: eng, Catalog: lib, Answers: lib, Chronicler: eng, Places: eng,
		Fetcher: corpus.NewFetcher(corpus.FetchOptions{AllowPrivate: true, Timeout: 5 * time.Second})}
	if o.answerer != nil {
		d.Answerer = o.answerer
	}
	if o.places != nil {
		d.Places = o.places
	}
	b, err := New(logger, cfg, d)
	if err != nil {
		t.Fatal(err)
	}
	b.now = func() time.Time { return testNow }
	if o.tune != nil {
		o.tune(b)
	}
	runCtx, stop := context.WithCancel(context.Background())
	e := &e2e{f: f, bot: b, lib: lib, engine: eng, logs: logs, stop: stop, done: make(chan error, 1)}
	go func() { e.done <- b.Run(runCtx) }()
	// Registered after the fake: runs before it closes.
	t.Cleanup(func() { e.shutdown(t) })
	// Ready once the commands are registered.
	f.WaitForCall(t, "PUT", "/api/v9/applications/*/guilds/*/commands", waitLong)
	return e
}

// shutdown stops Run and waits for it (idempotent).
func (e *e2e) shutdown(t testing.TB) error {
	e.stop()
	select {
	case err, ok := <-e.done:
		if ok {
			close(e.done)
		}
		return err
	case <-time.After(waitLong):
		t.Errorf("Run did not return after its context ended")
		return nil
	}
}

// final waits until the interaction's original response satisfies ok and
// returns its content.
func (e *e2e) final(t testing.TB, it discordtest.Interaction, ok func(string) bool) string {
	t.Helper()
	var content string
	e.f.WaitUntil(t, func() bool {
		m, found := e.f.Original(it.Token)
		content = m.Content
		return found && !m.Loading() && ok(content)
	}, waitLong)
	return content
}

// response waits for the interaction's first accepted response and returns it.
func (e *e2e) response(t testing.TB, it discordtest.Interaction) discordtest.Call {
	t.Helper()
	var c discordtest.Call
	e.f.WaitUntil(t, func() bool {
		for _, r := range e.f.InteractionResponses(it.ID) {
			if r.Status < 300 {
				c = r
				return true
			}
		}
		return false
	}, waitLong)
	return c
}

// replyTo waits for the bot's reply to message q in the default channel and
// returns it.
func (e *e2e) replyTo(t testing.TB, q string) discordtest.Message {
	t.Helper()
	var a discordtest.Message
	e.f.WaitUntil(t, func() bool {
		for _, m := range e.f.Messages(discordtest.DefaultChannelID) {
			if m.ReplyTo == q && m.AuthorID == discordtest.DefaultBotID {
				a = m
				return true
			}
		}
		return false
	}, waitLong)
	return a
}

// buttonIDs lists the custom ids of the buttons of a stored message.
func buttonIDs(m discordtest.Message) []string {
	var ids []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case []any:
			for _, x := range v {
				walk(x)
			}
		case map[string]any:
			if id, ok := v["custom_id"].(string); ok {
				ids = append(ids, id)
			}
			walk(v["components"])
		}
	}
	walk(m.Components)
	return ids
}

func notEmpty(s string) bool { return s != "" }

func hasAll(parts ...string) func(string) bool {
	return func(s string) bool {
		for _, p := range parts {
			if !strings.Contains(s, p) {
				return false
			}
		}
		return true
	}
}

func checkNobodyPinged(t testing.TB, f *discordtest.Fake) {
	t.Helper()
	for _, c := range f.MayPing() {
		t.Errorf("%s %s may ping: allowed_mentions = %v", c.Method, c.Path, c.Field("allowed_mentions"))
	}
}

func TestE2ERegistration(t *testing.T) {
	t.Parallel()
	e := startE2E(t, e2eOptions{})
	cmds := e.f.Commands(discordtest.DefaultGuildID)
	if len(e.f.Commands("")) != 0 {
		t.Errorf("global commands registered although a guild is configured")
	}
	byName := map[string]map[string]any{}
	for _, c := range cmds {
		m := c.(map[string]any)
		byName[m["name"].(string)] = m
	}
	ask, article, feed, report, outlet := byName["ask"], byName["article"], byName["feed"], byName["report"], byName["outlet"]
	if ask == nil || article == nil || feed == nil || report == nil || outlet == nil || byName["timeline"] == nil || byName["whatsnew"] == nil || len(byName) != 7 {
		t.Fatalf("registered %v, want ask, article, feed, outlet, report, timeline and whatsnew", byName)
	}
	var feedSubs []string
	for _, o := range feed["options"].([]any) {
		feedSubs = append(feedSubs, o.(map[string]any)["name"].(string))
	}
	if strings.Join(feedSubs, ",") != "add,list,remove,digest" {
		t.Errorf("feed subcommands = %v", feedSubs)
	}
	for _, c := range []map[string]any{feed, report, outlet} {
		if ctx, _ := c["contexts"].([]any); c["default_member_permissions"] != "8192" || len(ctx) != 1 || ctx[0] != 0.0 {
			t.Errorf("%s permissions %v and contexts %v, want \"8192\" and [0]", c["name"], c["default_member_permissions"], c["contexts"])
		}
	}
	q := ask["options"].([]any)[0].(map[string]any)
	if q["name"] != "question" || q["required"] != true || q["max_length"] != 1000.0 || q["type"] != 3.0 {
		t.Errorf("ask question option = %v", q)
	}
	if p := ask["options"].([]any)[1].(map[string]any); p["name"] != "private" || p["type"] != 5.0 {
		t.Errorf("ask private option = %v", p)
	}
	if ctx, _ := ask["contexts"].([]any); len(ctx) != 2 || ctx[0] != 0.0 || ctx[1] != 1.0 {
		t.Errorf("ask contexts = %v, want [0 1] (guilds and direct messages)", ask["contexts"])
	}
	if article["default_member_permissions"] != "8192" {
		t.Errorf("article default_member_permissions = %v, want \"8192\"", article["default_member_permissions"])
	}
	if ctx, _ := article["contexts"].([]any); len(ctx) != 1 || ctx[0] != 0.0 {
		t.Errorf("article contexts = %v, want [0]", article["contexts"])
	}
	var subs []string
	for _, s := range article["options"].([]any) {
		sm := s.(map[string]any)
		subs = append(subs, sm["name"].(string))
		if sm["name"] == "remove" && sm["options"].([]any)[0].(map[string]any)["autocomplete"] != true {
			t.Errorf("remove id does not autocomplete")
		}
	}
	if strings.Join(subs, ",") != "add,remove,list" {
		t.Errorf("article subcommands = %v", subs)
	}
	if e.f.Intents()&(1<<15) != 0 {
		t.Errorf("the privileged Message Content intent was requested")
	}
}

func TestE2EAskSourcesAndFeedback(t *testing.T) {
	t.Parallel()
	e := startE2E(t, e2eOptions{})
	it := e.f.SendSlashCommand("ask", discordtest.Option{Name: "question", Value: "Which port does the Velmora harbour accord open?"})
	got := e.final(t, it, notEmpty)
	if ack := e.response(t, it); ack.Field("type") != 5.0 {
		t.Errorf("first response type = %v, want 5 (deferred)", ack.Field("type"))
	}
	for _, want := range []string{"Kessel", "[1]", "[1. Harbour accord signed in Velmora](<https://coastal.example/velmora-accord>)", "Coastal Wire", "2026-06-03"} {
		if !strings.Contains(got, want) {
			t.Errorf("answer lacks %q:\n%s", want, got)
		}
	}
	orig, _ := e.f.Original(it.Token)
	ids := buttonIDs(orig)
	if len(ids) != 3 {
		t.Fatalf("buttons = %v", ids)
	}

	src := e.f.Click(orig.ID, ids[0])
	r := e.response(t, src)
	if r.Field("type") != 4.0 || r.Field("data.flags") != 64.0 || !strings.Contains(r.StringAt("data.content"), "> The foreign ministers") {
		t.Errorf("Sources response: type %v flags %v\n%s", r.Field("type"), r.Field("data.flags"), r.StringAt("data.content"))
	}
	up := e.f.Click(orig.ID, ids[1])
	if r := e.response(t, up); !strings.Contains(r.StringAt("data.content"), "Thanks") || r.Field("data.flags") != 64.0 {
		t.Errorf("vote: %v", r.Body)
	}
	again := e.f.Click(orig.ID, ids[2])
	if r := e.response(t, again); !strings.Contains(r.StringAt("data.content"), "Changed your vote") {
		t.Errorf("second vote: %v", r.Body)
	}
	if votes, err := e.lib.Feedback(context.Background(), discordtest.DefaultGuildID); err != nil || len(votes) != 1 || votes[0].Vote != -1 {
		t.Errorf("stored votes = %+v, %v", votes, err)
	}
	checkNobodyPinged(t, e.f)
}

func TestE2EPrivateAsk(t *testing.T) {
	t.Parallel()
	e := startE2E(t, e2eOptions{})
	it := e.f.SendSlashCommand("ask", discordtest.Option{Name: "question", Value: "Who signed the harbour accord?"},
		discordtest.Option{Name: "private", Value: true})
	e.final(t, it, notEmpty)
	if m, _ := e.f.Original(it.Token); !m.Ephemeral() {
		t.Errorf("private answer is visible to everyone")
	}
}

func TestE2EMentionAndReplyChain(t *testing.T) {
	t.Parallel()
	e := startE2E(t, e2eOptions{})
	q1 := e.f.SendMessage(discordtest.MessageSpec{Content: "which port does the Velmora harbour accord open?", MentionBot: true})
	answer := func(q string) discordtest.Message { return e.replyTo(t, q) }
	a1 := answer(q1)
	if !strings.Contains(a1.Content, "Kessel") || !strings.Contains(a1.Content, "[1]") {
		t.Errorf("first answer:\n%s", a1.Content)
	}
	// A reply that pings (Discord's default) continues the conversation.
	q2 := e.f.SendMessage(discordtest.MessageSpec{Content: "and who signed it?", MentionBot: true, ReplyTo: a1.ID})
	a2 := answer(q2)
	if a2.Content == "" {
		t.Errorf("no answer to the follow-up")
	}
	// The chain above the follow-up was read: the asking message of a1.
	if e.f.Count(func(c discordtest.Call) bool { return c.Match("GET", "/api/v9/channels/*/messages/"+q1) }) == 0 {
		t.Errorf("the reply chain was not followed to %s", q1)
	}
	checkNobodyPinged(t, e.f)
}

func TestE2EModeratorArticles(t *testing.T) {
	t.Parallel()
	e := startE2E(t, e2eOptions{})
	ps := newPageServer(t)
	mod := func(spec discordtest.InteractionSpec) discordtest.Interaction {
		spec.Permissions = modPerms
		return e.f.Interaction(spec)
	}
	sub := func(name string, opts ...discordtest.Option) []discordtest.Option {
		return []discordtest.Option{{Name: name, Type: 1, Options: opts}}
	}

	// By modal.
	open := mod(discordtest.InteractionSpec{Name: "article", Options: sub("add")})
	if r := e.response(t, open); r.Field("type") != 9.0 || r.StringAt("data.custom_id") != modalAddArticle {
		t.Fatalf("add without options: %v", r.Body)
	}
	submit := mod(discordtest.InteractionSpec{Type: 5, CustomID: modalAddArticle, Fields: []discordtest.TextInput{
		{CustomID: "title", Value: "Kessel port fees cut"}, {CustomID: "source", Value: "Coastal Wire"},
		{CustomID: "url", Value: "https://coastal.example/fees"}, {CustomID: "published", Value: "2026-06-09"},
		{CustomID: "body", Value: "Velmora cut the port fees of Kessel by half for ships from Ostrane."},
	}})
	e.final(t, submit, hasAll("Added **Kessel port fees cut**", "2026-06-09"))

	// By file.
	file := mod(discordtest.InteractionSpec{Name: "article", Options: sub("add", discordtest.Option{Name: "file",
		File: &discordtest.File{Name: "articles.jsonl", ContentType: "application/octet-stream", Data: []byte(articlesFile)}})})
	e.final(t, file, hasAll("2 added", "1 rejected", "line 2"))

	// By URL, served on loopback (the fetcher's private-address opt-in).
	byURL := mod(discordtest.InteractionSpec{Name: "article", Options: sub("add", discordtest.Option{Name: "url", Value: ps.URL + "/article"})})
	e.final(t, byURL, hasAll("Added **Brindle summit ends with corridor deal**", "Plains Herald", "2026-06-09"))

	// List, newest first.
	list := mod(discordtest.InteractionSpec{Name: "article", Options: sub("list")})
	listed := e.response(t, list).StringAt("data.content")
	if i, j := strings.Index(listed, "Brindle summit"), strings.Index(listed, "Ferry line"); i < 0 || j < 0 || i > j || strings.Contains(listed, "Harbour accord") {
		t.Errorf("list (newest first, guild only):\n%s", listed)
	}

	// Remove through autocomplete.
	auto := mod(discordtest.InteractionSpec{Type: 4, Name: "article", Options: sub("remove", discordtest.Option{Name: "id", Value: "port fees", Focused: true})})
	choices, _ := e.response(t, auto).Field("data.choices").([]any)
	if len(choices) != 1 {
		t.Fatalf("autocomplete choices = %v", choices)
	}
	id := choices[0].(map[string]any)["value"].(string)
	rm := mod(discordtest.InteractionSpec{Name: "article", Options: sub("remove", discordtest.Option{Name: "id", Value: id})})
	e.final(t, rm, hasAll("Removed"))
	for _, s := range mustList(t, e.lib, discordtest.DefaultGuildID) {
		if s.ID == id {
			t.Errorf("article %s still listed after removal", id)
		}
	}
	// Guild isolation: the other guild does not see guild one's articles.
	ask := e.f.Interaction(discordtest.InteractionSpec{Name: "ask", GuildID: e2eGuild2, ChannelID: e2eChannel2,
		Options: []discordtest.Option{{Name: "question", Value: "What did the Brindle summit agree about the grain corridor?"}}})
	if got := e.final(t, ask, notEmpty); strings.Contains(got, "Brindle summit ends") {
		t.Errorf("guild two sees guild one's article:\n%s", got)
	}
	own := e.f.SendSlashCommand("ask", discordtest.Option{Name: "question", Value: "What did the Brindle summit agree about the grain corridor?"})
	if got := e.final(t, own, notEmpty); !strings.Contains(got, "Brindle summit ends") {
		t.Errorf("guild one does not see its article:\n%s", got)
	}
	checkNobodyPinged(t, e.f)
}

func mustList(t testing.TB, lib *corpus.Library, scope string) []corpus.Summary {
	t.Helper()
	l, err := lib.List(context.Background(), scope)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestE2ENonModeratorRefused(t *testing.T) {
	t.Parallel()
	e := startE2E(t, e2eOptions{})
	ps := newPageServer(t)
	before := len(mustList(t, e.lib, ""))
	specs := []discordtest.InteractionSpec{
		{Name: "article", Options: []discordtest.Option{{Name: "add", Type: 1}}},
		{Name: "article", Options: []discordtest.Option{{Name: "add", Type: 1, Options: []discordtest.Option{{Name: "url", Value: ps.URL + "/article"}}}}},
		{Name: "article", Options: []discordtest.Option{{Name: "add", Type: 1, Options: []discordtest.Option{{Name: "file",
			File: &discordtest.File{Name: "a.jsonl", ContentType: "application/octet-stream", Data: []byte(articlesFile)}}}}}},
		{Name: "article", Options: []discordtest.Option{{Name: "remove", Type: 1, Options: []discordtest.Option{{Name: "id", Value: "x"}}}}},
		{Type: 5, CustomID: modalAddArticle, Fields: []discordtest.TextInput{{CustomID: "title", Value: "t"}, {CustomID: "body", Value: "b"}}},
	}
	for _, spec := range specs {
		it := e.f.Interaction(spec) // Permissions 0: an ordinary member
		r := e.response(t, it)
		if r.Field("type") != 4.0 || r.Field("data.flags") != 64.0 || r.StringAt("data.content") != msgNotModerator {
			t.Errorf("%s %v: %v, want an ephemeral refusal", spec.Name+spec.CustomID, spec.Options, r.Body)
		}
	}
	if n := ps.hits.Load(); n != 0 {
		t.Errorf("%d fetches for a non-moderator", n)
	}
	if e.f.Count(func(c discordtest.Call) bool { return c.Match("GET", "/attachments/*/*") }) != 0 {
		t.Errorf("an attachment was downloaded for a non-moderator")
	}
	if after := len(mustList(t, e.lib, "")); after != before {
		t.Errorf("articles changed: %d → %d", before, after)
	}
	// A member with the moderator role is accepted.
	e2 := startE2E(t, e2eOptions{cfg: Config{ModeratorRole: "News Desk"}})
	it := e2.f.Interaction(discordtest.InteractionSpec{Name: "article", Options: []discordtest.Option{{Name: "list", Type: 1}}, Roles: []string{"1000000000000000020"}})
	if r := e2.response(t, it); r.StringAt("data.content") == msgNotModerator {
		t.Errorf("moderator role by name refused")
	}
}

func TestE2ERateLimitAndQueue(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	started := make(chan struct{}, 2) // an answer holds the one slot
	e := startE2E(t, e2eOptions{cfg: Config{RatePerMinute: 1, MaxConcurrent: 1},
		answerer: answerFunc(func(ctx context.Context, req retrieval.Request, _ func(string)) (retrieval.Answer, error) {
			started <- struct{}{}
			select {
			case <-release:
			case <-ctx.Done():
				return retrieval.Answer{}, ctx.Err()
			}
			return retrieval.Answer{Question: req.Question, Text: "Answered.", Mode: retrieval.ModeNone}, nil
		})})
	alice := discordtest.User{ID: "1000000000000000031", Name: "alice"}
	bob := discordtest.User{ID: "1000000000000000032", Name: "bob"}
	ask := func(u discordtest.User, q string) discordtest.Interaction {
		return e.f.Interaction(discordtest.InteractionSpec{Name: "ask", User: u, Options: []discordtest.Option{{Name: "question", Value: q}}})
	}
	first := ask(alice, "first question?")
	e.response(t, first)
	// Bob's question is queued only once alice's holds the slot: the
	// acknowledgement comes before the slot is taken.
	select {
	case <-started:
	case <-time.After(waitLong):
		t.Fatal("the first answer did not start")
	}
	limited := ask(alice, "second question?")
	if r := e.response(t, limited); r.Field("type") != 4.0 || r.Field("data.flags") != 64.0 || !strings.Contains(r.StringAt("data.content"), "please wait") {
		t.Errorf("rate-limited question: %v", r.Body)
	}
	queued := ask(bob, "bob's question?")
	e.final(t, queued, hasAll("queue"))
	close(release)
	e.final(t, first, hasAll("Answered."))
	e.final(t, queued, hasAll("Answered."))
}

// startE2EWithLLM starts the bot with a language model whose API answers
// as steps say (no retries, no query rewriting).
func startE2EWithLLM(t *testing.T, steps ...openaitest.Step) (*e2e, *openaitest.Server) {
	t.Helper()
	srv := openaitest.New(t)
	srv.Script(steps...)
	model, err := llm.New(llm.Config{BaseURL: srv.URL(), APIKey: "k", Model: "m", MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	return startE2E(t, e2eOptions{llm: model}), srv
}

func TestE2ELLMFailureStillAnswers(t *testing.T) {
	t.Parallel()
	e, _ := startE2EWithLLM(t, openaitest.CutOff("The accord opens the port of"))
	it := e.f.SendSlashCommand("ask", discordtest.Option{Name: "question", Value: "Which port does the Velmora harbour accord open?"})
	got := e.final(t, it, hasAll("**Sources**"))
	if !strings.Contains(got, "Kessel") || !strings.Contains(got, retrieval.NoteLLMCutOff) {
		t.Errorf("answer after a cut-off stream:\n%s", got)
	}
}

func TestE2EGatewayDropMidAnswer(t *testing.T) {
	t.Parallel()
	started := make(chan struct{}, 4)
	release := make(chan struct{})
	e := startE2E(t, e2eOptions{answerer: answerFunc(func(ctx context.Context, req retrieval.Request, _ func(string)) (retrieval.Answer, error) {
		started <- struct{}{}
		if strings.HasPrefix(req.Question, "slow") {
			select {
			case <-release:
			case <-ctx.Done():
				return retrieval.Answer{}, ctx.Err()
			}
		}
		return retrieval.Answer{Question: req.Question, Text: "Answer to " + req.Question, Mode: retrieval.ModeNone}, nil
	})})
	it := e.f.SendSlashCommand("ask", discordtest.Option{Name: "question", Value: "slow question?"})
	<-started
	identifies := e.f.Count(func(c discordtest.Call) bool {
		return c.Method == "GATEWAY" && (c.Path == "IDENTIFY" || c.Path == "RESUME")
	})
	e.f.DropGateway()
	close(release)
	e.final(t, it, hasAll("Answer to slow question?"))
	// The bot reconnects …
	e.f.WaitUntil(t, func() bool {
		return e.f.Count(func(c discordtest.Call) bool {
			return c.Method == "GATEWAY" && (c.Path == "IDENTIFY" || c.Path == "RESUME")
		}) > identifies
	}, waitLong)
	// … and keeps answering.
	next := e.f.SendSlashCommand("ask", discordtest.Option{Name: "question", Value: "after the drop?"})
	e.final(t, next, hasAll("Answer to after the drop?"))
}

func TestE2ERateLimitedEditIsRetried(t *testing.T) {
	t.Parallel()
	e := startE2E(t, e2eOptions{})
	e.f.FailNext("PATCH", "/api/v9/webhooks/*/*/messages/@original", http.StatusTooManyRequests, "", 50*time.Millisecond)
	it := e.f.SendSlashCommand("ask", discordtest.Option{Name: "question", Value: "Which port does the Velmora harbour accord open?"})
	got := e.final(t, it, hasAll("**Sources**"))
	if !strings.Contains(got, "Kessel") {
		t.Errorf("answer after a 429:\n%s", got)
	}
	if n := e.f.Count(func(c discordtest.Call) bool { return c.Injected && c.Status == http.StatusTooManyRequests }); n != 1 {
		t.Errorf("%d injected 429s seen, want 1", n)
	}
}

func TestE2EShutdownWithAnswerInFlight(t *testing.T) {
	t.Parallel()
	started := make(chan struct{}, 1)
	e := startE2E(t, e2eOptions{
		answerer: answerFunc(func(ctx context.Context, _ retrieval.Request, _ func(string)) (retrieval.Answer, error) {
			started <- struct{}{}
			<-ctx.Done() // an answer that only ends when cancelled
			return retrieval.Answer{}, ctx.Err()
		}),
		tune: func(b *Bot) { b.answerGrace = 50 * time.Millisecond },
	})
	it := e.f.SendSlashCommand("ask", discordtest.Option{Name: "question", Value: "Who signed?"})
	<-started
	if err := e.shutdown(t); err != nil {
		t.Fatalf("Run = %v", err)
	}
	if got := e.f.FinalContent(it.Token); got != msgShuttingDown {
		t.Errorf("final message = %q, want %q", got, msgShuttingDown)
	}
	if !strings.Contains(e.logs.String(), "discord bot stopped") {
		t.Errorf("no stop log line")
	}
}

func TestE2ELLMStreamedAnswer(t *testing.T) {
	t.Parallel()
	e, srv := startE2EWithLLM(t, openaitest.Reply("The accord opens the port of Kessel to ships of both countries [1]."))
	it := e.f.SendSlashCommand("ask", discordtest.Option{Name: "question", Value: "Which port does the Velmora harbour accord open?"})
	got := e.final(t, it, hasAll("**Sources**"))
	if !strings.HasPrefix(got, "The accord opens the port of Kessel to ships of both countries [1].") ||
		!strings.Contains(got, "[1. Harbour accord signed in Velmora](<https://coastal.example/velmora-accord>)") {
		t.Errorf("generated answer:\n%s", got)
	}
	if len(srv.ChatRequests()) != 1 {
		t.Errorf("%d chat requests, want 1", len(srv.ChatRequests()))
	}
	checkNobodyPinged(t, e.f)
}

func TestE2EAskInDirectMessage(t *testing.T) {
	t.Parallel()
	e := startE2E(t, e2eOptions{})
	it := e.f.Interaction(discordtest.InteractionSpec{Name: "ask", DM: true,
		Options: []discordtest.Option{{Name: "question", Value: "Which port does the Velmora harbour accord open?"}}})
	if got := e.final(t, it, notEmpty); !strings.Contains(got, "Kessel") {
		t.Errorf("answer in a DM:\n%s", got)
	}
	// /article is for guilds only, whatever a client sends.
	art := e.f.Interaction(discordtest.InteractionSpec{Name: "article", DM: true, Options: []discordtest.Option{{Name: "list", Type: 1}}})
	if r := e.response(t, art); r.StringAt("data.content") != msgGuildOnly {
		t.Errorf("/article in a DM: %v", r.Body)
	}
}

func TestE2ERunFailsWhenRegistrationFails(t *testing.T) {
	t.Parallel()
	e := startE2E(t, e2eOptions{cfg: Config{GuildID: "1000000000000000999"}}) // a guild the bot is not in
	e.f.ExpectViolations(50001)
	var err error
	select {
	case err = <-e.done: // Run ends by itself
		close(e.done)
	case <-time.After(waitLong):
		t.Fatal("Run did not return after the registration failed")
	}
	if err == nil || !strings.Contains(err.Error(), "register slash commands") {
		t.Errorf("Run = %v, want a registration error", err)
	}
}

// A follow-up that names its own subject is searched as it is: the
// earlier answer's words do not pull its sources back into the reply.
func TestE2EFollowUpAboutAnotherSubject(t *testing.T) {
	t.Parallel()
	castillo := corpus.Article{
		Title: "Former Marvena president Castillo sentenced", Source: "Andes Courier", URL: "https://andes.example/castillo",
		Published: time.Date(2026, 6, 5, 0, 0, 0, 0, time.UTC),
		Body: "A court in Marvena sentenced the former president Aurelio Castillo to eleven years in prison on Monday. " +
			"Castillo was convicted of conspiracy after his failed attempt to dissolve parliament. " +
			"His lawyers said they would appeal the verdict.",
	}
	e := startE2E(t, e2eOptions{articles: []corpus.Article{articleShared(), castillo}})
	answer := func(q string) discordtest.Message { return e.replyTo(t, q) }
	q1 := e.f.SendMessage(discordtest.MessageSpec{Content: "which port does the Velmora harbour accord open?", MentionBot: true})
	a1 := answer(q1)
	if !strings.Contains(a1.Content, "coastal.example") {
		t.Fatalf("first answer:\n%s", a1.Content)
	}
	q2 := e.f.SendMessage(discordtest.MessageSpec{Content: "and what happened to Castillo?", MentionBot: true, ReplyTo: a1.ID})
	a2 := answer(q2)
	if !strings.Contains(a2.Content, "andes.example/castillo") || !strings.Contains(a2.Content, "eleven years") {
		t.Errorf("the follow-up about Castillo was not answered from the Castillo article:\n%s", a2.Content)
	}
	if strings.Contains(a2.Content, "coastal.example") || strings.Contains(a2.Content, "Kessel") {
		t.Errorf("the follow-up about Castillo repeats the previous answer:\n%s", a2.Content)
	}
}
