package main

import (
	"context"
	"maps"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/attache-bot/attache/bot/discordtest"
	"github.com/attache-bot/attache/corpus"
	"github.com/attache-bot/attache/corpus/postgres/pgtest"
	"github.com/bwmarrin/discordgo"
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

// shards is a deployment of two "attache serve" processes, shards 0 and 1
// of 2, on one library, against one fake Discord with a guild (and a
// channel) on each shard.
type shards struct {
	c        *cli // the library's environment, for command-line runs
	f        *discordtest.Fake
	guilds   [2]string
	channels [2]string
	logs     [2]*logBuffer // the latest run of each shard
	procs    [2]*child
	stops    [2]func()
}

// newShards makes the fake Discord of a deployment on c's library; no
// shard runs yet.
func newShards(t *testing.T, c *cli) *shards {
	d := &shards{c: c,
		guilds:   [2]string{discordtest.GuildOnShard(0, 2, 0), discordtest.GuildOnShard(1, 2, 0)},
		channels: [2]string{"3000000000000000001", "3000000000000000002"},
	}
	d.f = discordtest.New(t, discordtest.Options{Shards: 2, Guilds: []discordtest.Guild{
		{ID: d.guilds[0], Channels: []string{d.channels[0]}}, {ID: d.guilds[1], Channels: []string{d.channels[1]}},
	}})
	return d
}

// start starts shard s (again, after a kill) with the library's
// environment and waits until it holds its guild's articles.
func (d *shards) start(t *testing.T, s int) {
	t.Helper()
	sc := &cli{t: t, dir: d.c.dir, env: maps.Clone(d.c.env)}
	sc.env["LOG_LEVEL"] = "debug" // the bot logs the guilds it holds, the follower each change
	sc.env["DISCORD_TOKEN"] = discordtest.DefaultToken
	sc.env["DISCORD_API_BASE"] = d.f.APIBase()
	sc.env["ATTACHE_SHARD_ID"], sc.env["ATTACHE_SHARD_COUNT"] = strconv.Itoa(s), "2"
	d.logs[s], d.procs[s], d.stops[s] = startServeProcess(t, sc)
	d.logs[s].waitFor(t, `msg="holding the server's articles" guild=`+d.guilds[s], followTimeout)
}

// kill kills shard s with SIGKILL and waits until it is gone.
func (d *shards) kill(t *testing.T, s int) {
	t.Helper()
	if err := d.procs[s].cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	select {
	case <-d.procs[s].Exited():
	case <-time.After(followTimeout):
		t.Fatalf("shard %d did not die within %s of SIGKILL", s, followTimeout)
	}
}

// ask sends /ask in shard s's guild and returns the final answer.
func (d *shards) ask(t *testing.T, s int, question string) string {
	t.Helper()
	it := d.f.Interaction(discordtest.InteractionSpec{Name: "ask", GuildID: d.guilds[s], ChannelID: d.channels[s],
		Options: []discordtest.Option{{Name: "question", Value: question}}})
	d.f.WaitUntil(t, func() bool {
		m, ok := d.f.Original(it.Token)
		return ok && !m.Loading() && m.Content != ""
	}, followTimeout)
	return d.f.FinalContent(it.Token)
}

// stop stops the shards still running with SIGTERM (each must exit 0)
// and checks that no shard's latest run held the other's guild or
// reported a failure, and that no Discord rule was broken.
func (d *shards) stop(t *testing.T) {
	t.Helper()
	for s := range 2 {
		select {
		case <-d.procs[s].Exited():
		default:
			d.stops[s]()
		}
	}
	for s := range 2 {
		log := d.logs[s].String()
		if strings.Contains(log, `msg="holding the server's articles" guild=`+d.guilds[1-s]) {
			t.Errorf("shard %d holds the other shard's guild:\n%s", s, log)
		}
		if strings.Contains(log, "cannot hold") || strings.Contains(log, "could not be applied") {
			t.Errorf("shard %d reported failures:\n%s", s, log)
		}
	}
	for _, v := range d.f.Violations() {
		t.Errorf("Discord rule broken: %v", v)
	}
}

// testServeShards is TestServeShards on c's library.
func testServeShards(t *testing.T, c *cli) {
	d := newShards(t, c)
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
		c.mustRun(0, "ingest", "-guild", d.guilds[s], files[s])
	}
	for s := range 2 {
		d.start(t, s)
	}
	for s := range 2 {
		// The engine holds scopes (ATTACHE_SHARD_COUNT > 1): it loaded the guild.
		d.logs[s].waitFor(t, `msg="holding scope" scope=`+d.guilds[s]+" articles=1", followTimeout)
	}
	d.f.WaitForCall(t, "PUT", "/api/v9/applications/*/commands", followTimeout)

	for s := range 2 {
		if got := d.ask(t, s, questions[s]); !strings.Contains(got, links[s]) {
			t.Errorf("shard %d does not answer its guild from its article:\n%s", s, got)
		}
		if got := d.ask(t, 1-s, questions[s]); strings.Contains(got, links[s]) {
			t.Errorf("the guild of shard %d is answered from shard %d's article:\n%s", 1-s, s, got)
		}
	}

	// A shared article ingested from the command line reaches both shards.
	ingestShared(t, d, "ferry-shared", "Halvik ferry timetable changes",
		"The Halvik ferry timetable changes on Monday, with two more morning crossings.", "What changes in the Halvik ferry timetable?")

	d.stop(t)
	puts := d.f.Count(func(c discordtest.Call) bool { return c.Method == "PUT" })
	if puts != 1 {
		t.Errorf("commands registered %d times, want once (shard 0)", puts)
	}
}

// ingestShared ingests a shared article (id, title, body) from the command
// line and checks that both shards apply it and answer question, which
// the body answers, from it.
func ingestShared(t *testing.T, d *shards, id, title, body, question string) {
	t.Helper()
	date := time.Now().UTC().AddDate(0, 0, -1).Format(corpus.DateLayout)
	d.c.mustRun(0, "ingest", writeFile(t, d.c.dir, id+".jsonl", jsonlRecord(id, title, "Harbour Wire", date, body)+"\n"))
	for s := range 2 {
		d.logs[s].waitFor(t, "id="+id+" removed=false", followTimeout)
		if got := d.ask(t, s, question); !strings.Contains(got, "news.example/"+id) {
			t.Errorf("shard %d does not answer from the shared article %s:\n%s", s, id, got)
		}
	}
}

// TestServeShardArticleAdd: an article a moderator adds in one guild
// through its shard (the "Add article" modal sent to shard 0) is answered
// there and not in the guild of shard 1, which has meanwhile seen the
// change (a later shared article reached it).
func TestServeShardArticleAdd(t *testing.T) {
	t.Parallel()
	testServeShardArticleAdd(t, newCLI(t))
}

// TestPostgresServeShardArticleAdd is TestServeShardArticleAdd on one
// PostgreSQL library.
func TestPostgresServeShardArticleAdd(t *testing.T) {
	t.Parallel()
	c, _ := newPostgresCLI(t)
	testServeShardArticleAdd(t, c)
}

func testServeShardArticleAdd(t *testing.T, c *cli) {
	d := newShards(t, c)
	for s := range 2 {
		d.start(t, s)
	}
	const question = "By how much did Velmora cut the Kessel port fees?"
	submit := d.f.Interaction(discordtest.InteractionSpec{Type: 5, CustomID: "article_add",
		GuildID: d.guilds[0], ChannelID: d.channels[0], Permissions: int64(discordgo.PermissionManageMessages),
		Fields: []discordtest.TextInput{
			{CustomID: "title", Value: "Kessel port fees cut"}, {CustomID: "source", Value: "Coastal Wire"},
			{CustomID: "url", Value: "https://coastal.example/kessel-fees"}, {CustomID: "published", Value: time.Now().UTC().AddDate(0, 0, -1).Format(corpus.DateLayout)},
			{CustomID: "body", Value: "Velmora cut the port fees of Kessel by half on Tuesday for ships from Ostrane."},
		}})
	d.f.WaitUntil(t, func() bool {
		m, ok := d.f.Original(submit.Token)
		return ok && !m.Loading() && m.Content != ""
	}, followTimeout)
	if got := d.f.FinalContent(submit.Token); !strings.Contains(got, "Added **Kessel port fees cut**") {
		t.Fatalf("the modal through shard 0 did not add the article:\n%s", got)
	}
	if got := d.ask(t, 0, question); !strings.Contains(got, "coastal.example/kessel-fees") {
		t.Errorf("shard 0 does not answer its guild from the article added there:\n%s", got)
	}
	// Changes are applied in order: once shard 1 has the later shared
	// article, it has seen the guild's too.
	ingestShared(t, d, "ferry-shared", "Halvik ferry timetable changes",
		"The Halvik ferry timetable changes on Monday, with two more morning crossings.", "What changes in the Halvik ferry timetable?")
	if got := d.ask(t, 1, question); strings.Contains(got, "coastal.example/kessel-fees") {
		t.Errorf("shard 1's guild is answered from an article added in shard 0's guild:\n%s", got)
	}
	if got := d.ask(t, 0, question); !strings.Contains(got, "coastal.example/kessel-fees") {
		t.Errorf("shard 0 lost the article added in its guild:\n%s", got)
	}
	d.stop(t)
}

// TestPostgresServeShardsConnectionCut ends the PostgreSQL backends of both
// running shards (their pools' connections and the ones listening for
// changes; only this test's, by application name, since other tests share
// the server), then ingests an article from the command line at once:
// both shards connect again, catch up from the changes table on what was
// committed while they were cut off, and answer with it and with what they
// held before.
func TestPostgresServeShardsConnectionCut(t *testing.T) {
	t.Parallel()
	c, schema := newPostgresCLI(t)
	app := "attache_e2e_" + schema
	c.env["ATTACHE_DATABASE_URL"] += "&application_name=" + app
	d := newShards(t, c)
	for s := range 2 {
		d.start(t, s)
	}
	const before = "What changes in the Halvik ferry timetable?"
	// Once both have applied it, both listen for changes.
	ingestShared(t, d, "ferry-shared", "Halvik ferry timetable changes",
		"The Halvik ferry timetable changes on Monday, with two more morning crossings.", before)

	rows, err := pgtest.Admin(t).Query(context.Background(),
		`SELECT application_name, pg_terminate_backend(pid) FROM pg_stat_activity
		 WHERE datname = current_database() AND pid <> pg_backend_pid() AND application_name IN ($1, $2)`,
		app, "attache watch "+schema)
	if err != nil {
		t.Fatal(err)
	}
	cut := map[string]int{}
	for rows.Next() {
		var name string
		var ok bool
		if err := rows.Scan(&name, &ok); err != nil {
			t.Fatal(err)
		}
		if ok {
			cut[name]++
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if cut["attache watch "+schema] != 2 || cut[app] < 2 {
		t.Fatalf("ended backends %v, want both shards' listening connection and pool connections", cut)
	}

	ingestShared(t, d, "dam-shared", "Marrow council rejects the valley dam",
		"The Marrow council voted against the valley dam on Friday, saying the farms of Marrow would flood.",
		"How did the Marrow council vote on the valley dam?")
	for s := range 2 {
		if got := d.ask(t, s, before); !strings.Contains(got, "news.example/ferry-shared") {
			t.Errorf("shard %d lost the article it held before the cut:\n%s", s, got)
		}
	}
	d.stop(t)
	if ids := listIDs(t, c); ids["ferry-shared"] != 1 || ids["dam-shared"] != 1 {
		t.Errorf("list after the cut = %v, want both articles, once each", ids)
	}
}
