package main

import (
	"maps"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/attache-bot/attache/bot/discordtest"
	"github.com/attache-bot/attache/corpus"
)

// TestServeShards runs two "attache serve" processes, shards 0 and 1 of 2,
// on one data directory against one fake Discord with a guild on each
// shard: each answers its own guild from its articles and not from the
// other's, only shard 0 registers the commands, and a shared article
// ingested from the command line reaches both.
func TestServeShards(t *testing.T) {
	t.Parallel()
	testServeShards(t, newCLI(t))
}

// TestPostgresServeShards is TestServeShards on one PostgreSQL library, the
// deployment shards are meant for.
func TestPostgresServeShards(t *testing.T) {
	t.Parallel()
	c, _ := newPostgresCLI(t)
	testServeShards(t, c)
}

// testServeShards is TestServeShards on c's library.
func testServeShards(t *testing.T, c *cli) {
	guilds := [2]string{discordtest.GuildOnShard(0, 2, 0), discordtest.GuildOnShard(1, 2, 0)}
	channels := [2]string{"3000000000000000001", "3000000000000000002"}
	f := discordtest.New(t, discordtest.Options{Shards: 2, Guilds: []discordtest.Guild{
		{ID: guilds[0], Channels: []string{channels[0]}}, {ID: guilds[1], Channels: []string{channels[1]}},
	}})
	date := time.Now().UTC().AddDate(0, 0, -2).Format(corpus.DateLayout)
	questions := [2]string{"Why did the Brellow lighthouse keepers protest?", "How did the Marrow council vote on the valley dam?"}
	links := [2]string{"news.example/lighthouse-0", "news.example/dam-1"}
	files := [2]string{
		writeFile(t, c.dir, "g0.jsonl", jsonlRecord("lighthouse-0", "Brellow lighthouse keepers protest automation", "Coast Post", date,
			"Lighthouse keepers in Brellow protested on Saturday against plans to automate the last staffed lighthouses.")+"\n"),
		writeFile(t, c.dir, "g1.jsonl", jsonlRecord("dam-1", "Marrow council rejects the valley dam", "Valley Post", date,
			"The Marrow council voted against the valley dam on Friday, saying the farms of Marrow would flood.")+"\n"),
	}
	for s := range 2 {
		c.mustRun(0, "ingest", "-guild", guilds[s], files[s])
	}
	c.env["LOG_LEVEL"] = "debug" // the bot logs the guilds it holds, the follower each change
	c.env["DISCORD_TOKEN"] = discordtest.DefaultToken
	c.env["DISCORD_API_BASE"] = f.APIBase()

	var logs [2]*logBuffer
	var stops [2]func()
	for s := range 2 {
		sc := &cli{t: t, dir: c.dir, env: maps.Clone(c.env)}
		sc.env["ATTACHE_SHARD_ID"], sc.env["ATTACHE_SHARD_COUNT"] = strconv.Itoa(s), "2"
		logs[s], stops[s] = startServeChild(t, sc)
	}
	for s := range 2 {
		logs[s].waitFor(t, `msg="holding the server's articles" guild=`+guilds[s], followTimeout)
		// The engine holds scopes (ATTACHE_SHARD_COUNT > 1): it loaded the guild.
		logs[s].waitFor(t, `msg="holding scope" scope=`+guilds[s]+" articles=1", followTimeout)
	}
	f.WaitForCall(t, "PUT", "/api/v9/applications/*/commands", followTimeout)

	ask := func(s int, q string) string {
		t.Helper()
		it := f.Interaction(discordtest.InteractionSpec{Name: "ask", GuildID: guilds[s], ChannelID: channels[s],
			Options: []discordtest.Option{{Name: "question", Value: q}}})
		f.WaitUntil(t, func() bool {
			m, ok := f.Original(it.Token)
			return ok && !m.Loading() && m.Content != ""
		}, followTimeout)
		return f.FinalContent(it.Token)
	}
	for s := range 2 {
		if got := ask(s, questions[s]); !strings.Contains(got, links[s]) {
			t.Errorf("shard %d does not answer its guild from its article:\n%s", s, got)
		}
		if got := ask(1-s, questions[s]); strings.Contains(got, links[s]) {
			t.Errorf("the guild of shard %d is answered from shard %d's article:\n%s", 1-s, s, got)
		}
	}

	// A shared article ingested from the command line reaches both shards.
	const sharedLink = "news.example/ferry-shared"
	c.mustRun(0, "ingest", writeFile(t, c.dir, "shared.jsonl", jsonlRecord("ferry-shared", "Halvik ferry timetable changes",
		"Harbour Wire", date, "The Halvik ferry timetable changes on Monday, with two more morning crossings.")+"\n"))
	for s := range 2 {
		logs[s].waitFor(t, "id=ferry-shared removed=false", followTimeout)
		if got := ask(s, "What changes in the Halvik ferry timetable?"); !strings.Contains(got, sharedLink) {
			t.Errorf("shard %d does not answer from the shared article:\n%s", s, got)
		}
	}

	for s := range 2 {
		stops[s]()
	}
	puts := f.Count(func(c discordtest.Call) bool { return c.Method == "PUT" })
	if puts != 1 {
		t.Errorf("commands registered %d times, want once (shard 0)", puts)
	}
	for s := range 2 {
		if strings.Contains(logs[s].String(), `msg="holding the server's articles" guild=`+guilds[1-s]) {
			t.Errorf("shard %d holds the other shard's guild:\n%s", s, logs[s].String())
		}
		if strings.Contains(logs[s].String(), "cannot hold") || strings.Contains(logs[s].String(), "could not be applied") {
			t.Errorf("shard %d reported failures:\n%s", s, logs[s].String())
		}
	}
	for _, v := range f.Violations() {
		t.Errorf("Discord rule broken: %v", v)
	}
}
