package bot

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/attache-bot/attache/bot/discordtest"
	"github.com/attache-bot/attache/corpus"
	"github.com/attache-bot/attache/retrieval"
)

// shardProcess is one serve process of a sharded deployment: its own
// library connection, an engine holding only its guilds' scopes and
// following the library, and a bot on its own gateway shard.
type shardProcess struct {
	lib    *corpus.Library
	engine *retrieval.Engine
	bot    *Bot
	logs   *syncBuffer
	stop   context.CancelFunc
	done   chan error
}

func startShard(t *testing.T, f *discordtest.Fake, dir string, shard, count int, tune func(*Bot)) *shardProcess {
	t.Helper()
	ctx := context.Background()
	lib, err := corpus.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lib.Close() })
	eng, err := retrieval.New(ctx, lib, retrieval.Config{HoldScopes: true, NoRewrite: true,
		Now: func() time.Time { return testNow }, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	followCtx, stopFollow := context.WithCancel(ctx)
	followed := make(chan error, 1)
	go func() { followed <- eng.Follow(followCtx, retrieval.FollowOptions{}) }()
	t.Cleanup(func() {
		stopFollow()
		if err := <-followed; err != nil {
			t.Errorf("shard %d: Follow: %v", shard, err)
		}
	})
	logs := &syncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	b, err := New(logger, Config{Token: discordtest.DefaultToken, APIBase: f.APIBase(), ShardID: shard, ShardCount: count},
		Deps{Answerer: eng, Articles: eng, Catalog: lib, Answers: lib, Holder: eng,
			Fetcher: corpus.NewFetcher(corpus.FetchOptions{Timeout: 5 * time.Second})})
	if err != nil {
		t.Fatal(err)
	}
	b.now = func() time.Time { return testNow }
	if tune != nil {
		tune(b)
	}
	runCtx, stop := context.WithCancel(ctx)
	p := &shardProcess{lib: lib, engine: eng, bot: b, logs: logs, stop: stop, done: make(chan error, 1)}
	go func() { p.done <- b.Run(runCtx) }()
	t.Cleanup(func() { p.shutdown(t) })
	return p
}

// shutdown stops the bot and waits for Run (idempotent).
func (p *shardProcess) shutdown(t *testing.T) {
	p.stop()
	select {
	case err, ok := <-p.done:
		if ok {
			close(p.done)
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		}
	case <-time.After(waitLong):
		t.Errorf("Run did not return after its context ended")
	}
}

// finalOf waits for the final content of an interaction's original
// response.
func finalOf(t *testing.T, f *discordtest.Fake, token string) string {
	t.Helper()
	var content string
	f.WaitUntil(t, func() bool {
		m, found := f.Original(token)
		content = m.Content
		return found && !m.Loading() && content != ""
	}, waitLong)
	return content
}

// waitHolding waits until the process has loaded guild's articles.
func (p *shardProcess) waitHolding(t *testing.T, guild string) {
	t.Helper()
	p.logs.waitFor(t, `msg="holding the server's articles" guild=`+guild, waitLong)
}

// TestE2EShards: two shards of one deployment (two discordgo sessions, two
// engines over one library) against one fake Discord with guilds on both
// shards. Each answers only its own guilds from the articles it holds, only
// shard 0 registers the commands, an article added in a guild through its
// shard is answered there and not in the other shard's guild, and a
// GUILD_DELETE (the bot removed) drops the guild's articles while an outage
// keeps them.
func TestE2EShards(t *testing.T) {
	t.Parallel()
	g0, g0b, g1 := discordtest.GuildOnShard(0, 2, 0), discordtest.GuildOnShard(0, 2, 1), discordtest.GuildOnShard(1, 2, 0)
	const ch0, ch0b, ch1 = "3000000000000000001", "3000000000000000002", "3000000000000000003"
	f := discordtest.New(t, discordtest.Options{Shards: 2, Guilds: []discordtest.Guild{
		{ID: g0, Name: "zero", Channels: []string{ch0}},
		{ID: g0b, Name: "zero-b", Channels: []string{ch0b}},
		{ID: g1, Name: "one", Channels: []string{ch1}},
	}})

	// The library as the command line left it: a shared article and one in
	// a guild of each shard.
	lib, seed := newTestEngine(t, nil, nil)
	grain := articleGuildA()
	grain.Scope = g0
	dam := corpus.Article{Title: "Marrow council rejects the valley dam", Source: "Valley Post",
		URL: "https://valley.example/marrow-dam", Published: time.Date(2026, 6, 7, 0, 0, 0, 0, time.UTC), Scope: g1,
		Body: "The Marrow council voted against the valley dam on Friday. Councillor Edda Spree said the farms of Marrow would flood."}
	for _, a := range []corpus.Article{articleShared(), grain, dam} {
		if _, _, err := seed.Add(context.Background(), a); err != nil {
			t.Fatal(err)
		}
	}

	s0 := startShard(t, f, lib.Dir(), 0, 2, func(b *Bot) { b.syncEvents = true })
	s1 := startShard(t, f, lib.Dir(), 1, 2, nil)
	f.WaitForCall(t, "PUT", "/api/v9/applications/*/commands", waitLong)
	s0.waitHolding(t, g0)
	s0.waitHolding(t, g0b)
	s1.waitHolding(t, g1)
	if got := f.Shards(); len(got) != 2 {
		t.Fatalf("shards connected: %v, want 0 and 1", got)
	}
	for _, c := range []struct {
		p     *shardProcess
		guild string
		want  bool
	}{{s0, g0, true}, {s0, g0b, true}, {s0, g1, false}, {s1, g1, true}, {s1, g0, false}, {s1, g0b, false}} {
		if got := c.p.engine.Holds(c.guild); got != c.want {
			t.Errorf("shard %d holds %s: %v, want %v", c.p.bot.cfg.ShardID, c.guild, got, c.want)
		}
	}

	ask := func(guild, channel, q string) string {
		t.Helper()
		it := f.Interaction(discordtest.InteractionSpec{Name: "ask", GuildID: guild, ChannelID: channel,
			Options: []discordtest.Option{{Name: "question", Value: q}}})
		return finalOf(t, f, it.Token)
	}
	// Each shard answers its guilds from their articles and the shared ones.
	if got := ask(g0, ch0, "What did the Quillan envoy demand for the grain corridor?"); !strings.Contains(got, "Quillan talks on grain corridor stall") {
		t.Errorf("shard 0's guild is not answered from its article:\n%s", got)
	}
	if got := ask(g1, ch1, "How did the Marrow council vote on the valley dam?"); !strings.Contains(got, "Marrow council rejects the valley dam") {
		t.Errorf("shard 1's guild is not answered from its article:\n%s", got)
	}
	if got := ask(g1, ch1, "Which port does the Velmora harbour accord open?"); !strings.Contains(got, "Kessel") {
		t.Errorf("shard 1 does not answer from the shared articles:\n%s", got)
	}

	// An article added in shard 0's guild, through shard 0.
	add := f.Interaction(discordtest.InteractionSpec{Type: 5, CustomID: modalAddArticle, GuildID: g0, ChannelID: ch0,
		Permissions: modPerms, Fields: []discordtest.TextInput{
			{CustomID: "title", Value: "Ardel lighthouse reopens after the storm"}, {CustomID: "source", Value: "Coastal Wire"},
			{CustomID: "url", Value: "https://coastal.example/ardel-lighthouse"}, {CustomID: "published", Value: "2026-06-09"},
			{CustomID: "body", Value: "The Ardel lighthouse reopened on Monday, a month after the storm broke its lamp."},
		}})
	if got := finalOf(t, f, add.Token); !strings.Contains(got, "Added **Ardel lighthouse reopens after the storm**") {
		t.Fatalf("adding through shard 0: %s", got)
	}
	const qArdel = "When did the Ardel lighthouse reopen after the storm?"
	if got := ask(g0, ch0, qArdel); !strings.Contains(got, "Ardel lighthouse reopens") {
		t.Errorf("the added article is not answered in its guild:\n%s", got)
	}
	if got := ask(g1, ch1, qArdel); strings.Contains(got, "Ardel lighthouse reopens") {
		t.Errorf("the other shard's guild is answered from it:\n%s", got)
	}
	if s1.engine.Holds(g0) {
		t.Error("shard 1 took up shard 0's guild")
	}

	// An outage (unavailable) keeps a guild's articles; the bot removed
	// from a guild drops them. Shard 0 runs its handlers in order, so once
	// the second event is handled the first was too.
	f.Dispatch("GUILD_DELETE", `{"id":"`+g0+`","unavailable":true}`)
	f.Dispatch("GUILD_DELETE", `{"id":"`+g0b+`"}`)
	f.Dispatch("GUILD_DELETE", `{"id":"`+g1+`"}`)
	s0.logs.waitFor(t, `msg="left a server; its articles are no longer held" guild=`+g0b, waitLong)
	s1.logs.waitFor(t, `msg="left a server; its articles are no longer held" guild=`+g1, waitLong)
	if !s0.engine.Holds(g0) {
		t.Error("an outage dropped the guild's articles")
	}
	if s0.engine.Holds(g0b) || s1.engine.Holds(g1) {
		t.Error("leaving a guild kept its articles")
	}
	if sums, err := s1.lib.List(context.Background(), g1); err != nil || len(sums) != 1 {
		t.Errorf("the library lost the left guild's articles: %v, %v", sums, err)
	}

	s0.shutdown(t)
	s1.shutdown(t)
	var puts []string
	for _, c := range f.Calls() {
		if c.Method == "PUT" {
			puts = append(puts, c.Path)
		}
	}
	if len(puts) != 1 {
		t.Errorf("commands registered %d times (%v), want once, by shard 0", len(puts), puts)
	}
	checkNobodyPinged(t, f)
}
