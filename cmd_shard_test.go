package main

import (
	"context"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/attache-bot/attache/bot/discordtest"
	"github.com/attache-bot/attache/corpus"
	"github.com/attache-bot/attache/corpus/feed/feedtest"
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
	d.logs[s], d.procs[s], _ = startServeProcess(t, sc)
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

// waitForLogs waits until the latest runs of both shards have logged s n
// times between them.
func (d *shards) waitForLogs(t *testing.T, s string, n int) {
	t.Helper()
	deadline := time.After(followTimeout)
	for {
		var changed [2]<-chan struct{}
		seen := 0
		for i, l := range d.logs {
			l.mu.Lock()
			seen += strings.Count(l.b.String(), s)
			changed[i] = l.changed
			l.mu.Unlock()
		}
		if seen >= n {
			return
		}
		select {
		case <-changed[0]:
		case <-changed[1]:
		case <-deadline:
			t.Fatalf("%q logged %d times, not %d, within %s:\n%s\n---\n%s", s, seen, n, followTimeout, d.logs[0], d.logs[1])
		}
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
	// Both at once: with one shard still running, it would rightly take
	// over a poll that the other's shutdown cut short, a second fetch in
	// that period.
	var running []int
	for s := range 2 {
		select {
		case <-d.procs[s].Exited():
		default:
			if err := d.procs[s].cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			running = append(running, s)
		}
	}
	for _, s := range running {
		select {
		case <-d.procs[s].Exited():
			if err := d.procs[s].Err(); err != nil {
				t.Errorf("shard %d after SIGTERM: %v\nstderr:\n%s", s, err, d.logs[s])
			}
		case <-time.After(followTimeout):
			t.Fatalf("shard %d did not exit within %s of SIGTERM", s, followTimeout)
		}
	}
	for s := range 2 {
		log := d.logs[s].String()
		if strings.Contains(log, `msg="holding the server's articles" guild=`+d.guilds[1-s]) {
			t.Errorf("shard %d holds the other shard's guild:\n%s", s, log)
		}
		if strings.Contains(log, "cannot hold") || strings.Contains(log, "could not be applied") || strings.Contains(log, "feed poll failed") {
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

// shardFeedInterval is ATTACHE_FEED_INTERVAL in the shard feed tests: the
// shortest allowed (with private addresses), so that periods pass quickly.
const shardFeedInterval = time.Second

// feedShards is newShards on a feed CLI's library (PostgreSQL when
// postgres is set): feeds on the loopback server srv, polled every
// shardFeedInterval. An article in shard 1's guild is ingested first, so
// that the library is in use and serve adds no sample corpus.
func feedShards(t *testing.T, postgres bool) (*shards, *feedtest.Server) {
	c, srv := feedCLI(t)
	if postgres {
		dbURL, _ := pgtest.Schema(t)
		c.env["ATTACHE_DATABASE_URL"] = dbURL
	}
	c.env["ATTACHE_FEED_INTERVAL"] = shardFeedInterval.String()
	d := newShards(t, c)
	c.mustRun(0, "ingest", "-guild", d.guilds[1], writeFile(t, c.dir, "g1.jsonl", jsonlRecord("dam-1", "Marrow council rejects the valley dam",
		"Valley Post", time.Now().UTC().AddDate(0, 0, -2).Format(corpus.DateLayout),
		"The Marrow council voted against the valley dam on Friday, saying the farms of Marrow would flood.")+"\n"))
	return d, srv
}

// receive waits for a value on ch (a feedtest Gate's fetching) or fails.
func receive(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(followTimeout):
		t.Fatalf("no %s within %s", what, followTimeout)
	}
}

// TestServeShardsPollAFeedOnce: two shards running, one feed: it is
// fetched once per period for the whole deployment. While one shard polls
// it, the other finds it taken and skips it; the fetches of several
// periods are never closer than half a period (two in one period would
// be); its items are stored once.
func TestServeShardsPollAFeedOnce(t *testing.T) {
	t.Parallel()
	testServeShardsPollAFeedOnce(t, false)
}

// TestPostgresServeShardsPollAFeedOnce is TestServeShardsPollAFeedOnce on
// one PostgreSQL library.
func TestPostgresServeShardsPollAFeedOnce(t *testing.T) {
	t.Parallel()
	testServeShardsPollAFeedOnce(t, true)
}

func testServeShardsPollAFeedOnce(t *testing.T, postgres bool) {
	const periods = 3
	d, srv := feedShards(t, postgres)
	srv.Set("/rss", feedtest.Doc{ContentType: "application/rss+xml", Body: feedtest.RSS("Shared Wire", srv.URL, storyEntry(srv, 1, 200), storyEntry(srv, 2, 200))})
	d.c.mustRun(0, "feed", "add", srv.URLOf("/rss"))
	added := len(srv.Times("/rss")) // feed add's own fetch
	fetching, release := srv.Gate("/rss")

	// Shard 0 polls first and is held in its fetch until shard 1, started
	// meanwhile, has found the feed taken.
	d.start(t, 0)
	receive(t, fetching, "first fetch of the feed")
	d.start(t, 1)
	d.logs[1].waitFor(t, "held by another process", followTimeout) // its "feed poll skipped" line
	release <- struct{}{}
	for p := 1; p < periods; p++ {
		receive(t, fetching, fmt.Sprintf("fetch of period %d", p+1))
		release <- struct{}{}
	}
	// Later fetches pass at once, so that none is held when the shards
	// stop (a poll stopped midway is repeated in full, by the other shard
	// if it still runs: rightly a second fetch in that period).
	for range cap(release) - 1 {
		release <- struct{}{}
	}
	d.waitForLogs(t, `msg="feed polled"`, periods)
	d.stop(t)

	times := srv.Times("/rss")[added:]
	if len(times) < periods {
		t.Fatalf("%d fetches, want at least %d", len(times), periods)
	}
	for i := 1; i < len(times); i++ {
		if gap := times[i].Sub(times[i-1]); gap < shardFeedInterval/2 {
			t.Errorf("fetches %d and %d of the feed %s apart: twice in one period of %s", i, i+1, gap, shardFeedInterval)
		}
	}
	polled := strings.Count(d.logs[0].String(), `msg="feed polled"`) + strings.Count(d.logs[1].String(), `msg="feed polled"`)
	if polled < periods || polled > len(times) {
		t.Errorf("the shards report %d polls for %d fetches", polled, len(times))
	}
	if n := checkFeedLibrary(t, d.c); n != 3 {
		t.Errorf("%d articles, want the 2 items and shard 1's article", n)
	}
}

// TestServeShardKilledMidPoll kills (SIGKILL) the shard that is polling a
// shared feed (one any shard may poll) in the middle of its items (held
// fetching the page of one): the library holds whole articles only, those
// stored before the kill; the other shard, which had found the feed
// taken, polls it at its next due check and stores the rest, once; and
// the killed shard, restarted, answers from the item it was killed on.
func TestServeShardKilledMidPoll(t *testing.T) {
	t.Parallel()
	testServeShardKilledMidPoll(t, false)
}

// TestPostgresServeShardKilledMidPoll is TestServeShardKilledMidPoll on one
// PostgreSQL library.
func TestPostgresServeShardKilledMidPoll(t *testing.T) {
	t.Parallel()
	testServeShardKilledMidPoll(t, true)
}

func testServeShardKilledMidPoll(t *testing.T, postgres bool) {
	const items, heldAt = 12, 6 // heldAt is neither first nor last, whatever the order
	d, srv := feedShards(t, postgres)
	var es []feedtest.Entry
	for i := range items {
		es = append(es, storyEntry(srv, i, 200))
	}
	// Item heldAt carries only a summary: its page is fetched, and held.
	lede := "The Quillon bridge over the Sarn reopened on Thursday after the flood repairs, the county said."
	es[heldAt].Content, es[heldAt].Summary = "", "The Quillon bridge reopened."
	srv.Set(fmt.Sprintf("/news/%d", heldAt), feedtest.Doc{ContentType: "text/html",
		Body: feedtest.Page(es[heldAt].Title, "Sarn Courier", es[heldAt].Published, lede, feedtest.Story(99, 200))})
	srv.Set("/rss", feedtest.Doc{ContentType: "application/rss+xml", Body: feedtest.RSS("County Wire", srv.URL, es...)})
	d.c.mustRun(0, "feed", "add", srv.URLOf("/rss"))
	fetching, _ := srv.Gate(fmt.Sprintf("/news/%d", heldAt))

	d.start(t, 0)
	receive(t, fetching, "shard 0's fetch of the held page")
	d.start(t, 1)
	d.logs[1].waitFor(t, "held by another process", followTimeout) // its "feed poll skipped" line
	d.kill(t, 0)
	// Shard 1 takes the feed over and is held on the same page: the
	// library is as the killed shard left it, with the items before the
	// held one, whole.
	receive(t, fetching, "shard 1's fetch of the held page")
	stored := strings.Count(d.logs[0].String(), `msg="feed item"`) // one line after each item's commit
	if stored == 0 || stored >= items {
		t.Fatalf("shard 0 stored %d of the %d items before the kill, want those before the held one:\n%s", stored, items, d.logs[0])
	}
	if n := checkFeedLibrary(t, d.c); n != 1+stored {
		t.Errorf("%d articles after the kill, want shard 1's article and the %d items shard 0 stored", n, stored)
	}
	// Opened, not released once: the killed shard's request may still
	// be held and would take a single release.
	srv.Open(fmt.Sprintf("/news/%d", heldAt))
	d.logs[1].waitFor(t, fmt.Sprintf("status=ok added=%d", items-stored), followTimeout)
	if n := checkFeedLibrary(t, d.c); n != 1+items {
		t.Errorf("%d articles after shard 1's poll, want shard 1's article and the %d items", n, items)
	}

	d.start(t, 0)
	d.logs[0].waitFor(t, `msg="holding the server's articles" guild=`+d.guilds[0], followTimeout)
	if got := d.ask(t, 0, "When did the Quillon bridge over the Sarn reopen?"); !strings.Contains(got, fmt.Sprintf("/news/%d", heldAt)) {
		t.Errorf("the restarted shard does not answer from the item it was killed on:\n%s", got)
	}
	d.stop(t)
}
