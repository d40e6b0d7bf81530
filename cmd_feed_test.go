package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/attache-bot/attache/bot/discordtest"
	"github.com/attache-bot/attache/corpus"
	"github.com/attache-bot/attache/corpus/feed"
	"github.com/attache-bot/attache/corpus/feed/feedtest"
)

// feedCLI is a cli allowed to reach the loopback feed server (tests opt
// in to private addresses explicitly).
func feedCLI(t *testing.T) (*cli, *feedtest.Server) {
	c := newCLI(t)
	c.env["ATTACHE_ALLOW_PRIVATE_URLS"] = "true"
	return c, feedtest.New(t)
}

func storyEntry(srv *feedtest.Server, i int, words int) feedtest.Entry {
	return feedtest.Entry{
		GUID: fmt.Sprintf("item-%d", i), Link: srv.URLOf(fmt.Sprintf("/news/%d", i)), Title: fmt.Sprintf("Dispatch number %d", i),
		Content:   "<p>" + strings.ReplaceAll(feedtest.Story(uint64(i+1), words), "\n\n", "</p><p>") + "</p>",
		Published: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Hour),
	}
}

type pollJSON struct {
	Feeds []feedPollItem `json:"feeds"`
}

func parsePoll(t *testing.T, r result) pollJSON {
	t.Helper()
	var p pollJSON
	if err := json.Unmarshal([]byte(r.stdout), &p); err != nil {
		t.Fatalf("feed poll -json output: %v\n%s", err, r)
	}
	return p
}

func feedList(t *testing.T, c *cli, args ...string) []feedListItem {
	t.Helper()
	r := c.mustRun(0, append([]string{"feed", "list", "-json"}, args...)...)
	var out []feedListItem
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("feed list -json: %v\n%s", err, r)
	}
	return out
}

func articleCount(t *testing.T, c *cli) int {
	t.Helper()
	var list []listItem
	if err := json.Unmarshal([]byte(c.mustRun(0, "list", "-json").stdout), &list); err != nil {
		t.Fatal(err)
	}
	return len(list)
}

// TestFeedCommands: add, list, poll, remove end to end against a loopback
// feed server whose feed changes between polls.
func TestFeedCommands(t *testing.T) {
	c, srv := feedCLI(t)
	testFeedCommands(t, c, srv)
}

// testFeedCommands is TestFeedCommands on c's library.
func testFeedCommands(t *testing.T, c *cli, srv *feedtest.Server) {
	var es []feedtest.Entry
	for i := range 3 {
		es = append(es, storyEntry(srv, i, 200))
	}
	srv.Set("/rss", feedtest.Doc{ContentType: "application/rss+xml", Body: feedtest.RSS("Loopback News", srv.URL, es...)})
	srv.Set("/notfeed", feedtest.Doc{ContentType: "text/html", Body: feedtest.Page("A page", "Site", time.Time{}, "Not a feed at all.")})

	r := c.mustRun(0, "feed", "add", srv.URLOf("/rss"))
	if !strings.Contains(r.stdout, `"Loopback News"`) || !strings.Contains(r.stdout, "3 items") || !strings.Contains(r.stdout, "shared scope") {
		t.Errorf("feed add output: %s", r.stdout)
	}
	if r := c.mustRun(1, "feed", "add", srv.URLOf("/rss")); !strings.Contains(r.stderr, "already subscribes") {
		t.Errorf("adding it twice: %s", r.stderr)
	}
	for path, want := range map[string]string{"/notfeed": "not an RSS, Atom or JSON feed", "/missing": "HTTP 404"} {
		if r := c.mustRun(1, "feed", "add", srv.URLOf(path)); !strings.Contains(r.stderr, want) {
			t.Errorf("feed add %s: %s, want %q", path, r.stderr, want)
		}
	}
	c.mustRun(2, "feed", "add")
	c.mustRun(2, "feed", "frobnicate")
	c.mustRun(2, "feed", "add", "-guild", "not a guild", srv.URLOf("/rss"))
	list := feedList(t, c)
	if len(list) != 1 || list[0].Title != "Loopback News" || list[0].Scope != corpus.SharedScope || list[0].LastPolled != "" || list[0].Articles != 0 {
		t.Fatalf("after one good and three bad adds: %+v", list)
	}
	id := list[0].ID

	p := parsePoll(t, c.mustRun(0, "feed", "poll", "-json"))
	if len(p.Feeds) != 1 || p.Feeds[0] != (feedPollItem{ID: id, URL: srv.URLOf("/rss"), Status: "ok", Added: 3}) {
		t.Fatalf("first poll: %+v", p)
	}
	if n := articleCount(t, c); n != 3 {
		t.Errorf("%d articles after the first poll, want 3", n)
	}
	p = parsePoll(t, c.mustRun(0, "feed", "poll", "-json"))
	if p.Feeds[0].Status != "not_modified" || srv.Conditional.Load() < 1 {
		t.Errorf("second poll: %+v (conditional requests %d)", p, srv.Conditional.Load())
	}
	es[1].Content += "<p>Update: the talks will resume on Thursday instead.</p>"
	es[1].Updated = time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	es = append(es, storyEntry(srv, 3, 200))
	srv.Set("/rss", feedtest.Doc{ContentType: "application/rss+xml", Body: feedtest.RSS("Loopback News", srv.URL, es...)})
	r = c.mustRun(0, "feed", "poll")
	if !strings.Contains(r.stdout, "1 added, 1 updated, 2 unchanged, 0 rejected") {
		t.Errorf("third poll: %s", r.stdout)
	}
	list = feedList(t, c)
	if list[0].Articles != 4 || list[0].LastOK == "" || list[0].Error != "" {
		t.Errorf("feed health: %+v", list[0])
	}
	if ans := c.mustRun(0, "ask", "when will the talks resume"); !strings.Contains(ans.stdout, "Thursday") {
		t.Errorf("the update is not answerable:\n%s", ans.stdout)
	}

	srv.Set("/rss", feedtest.Doc{Status: 500})
	r = c.mustRun(1, "feed", "poll", "-json")
	if p := parsePoll(t, r); p.Feeds[0].Status != "error" || !strings.Contains(p.Feeds[0].Error, "500") {
		t.Errorf("a failing feed: %+v", p)
	}
	if l := feedList(t, c); !strings.Contains(l[0].Error, "500") {
		t.Errorf("the error is not listed: %+v", l)
	}

	c.mustRun(0, "feed", "remove", id)
	if l := feedList(t, c); len(l) != 0 {
		t.Errorf("after remove: %+v", l)
	}
	if n := articleCount(t, c); n != 4 {
		t.Errorf("%d articles after unsubscribing, want the 4 kept", n)
	}
	c.mustRun(1, "feed", "remove", id)
}

// TestFeedLimitsAndScopes: ATTACHE_MAX_FEEDS per scope with a clear
// refusal; a guild's feed is listed and removed in its guild only; a
// private address is refused without the opt-in.
func TestFeedLimitsAndScopes(t *testing.T) {
	c, srv := feedCLI(t)
	c.env["ATTACHE_MAX_FEEDS"] = "2"
	const guild = "222222222222222222"
	for i := range 3 {
		srv.Set(fmt.Sprintf("/f%d", i), feedtest.Doc{ContentType: "application/atom+xml", Body: feedtest.Atom(fmt.Sprintf("Feed %d", i), srv.URL, storyEntry(srv, i, 50))})
	}
	c.mustRun(0, "feed", "add", "-guild", guild, srv.URLOf("/f0"))
	c.mustRun(0, "feed", "add", "-guild", guild, srv.URLOf("/f1"))
	r := c.mustRun(1, "feed", "add", "-guild", guild, srv.URLOf("/f2"))
	if !strings.Contains(r.stderr, "guild "+guild+" already has 2 feeds") || !strings.Contains(r.stderr, "ATTACHE_MAX_FEEDS") {
		t.Errorf("the refusal: %s", r.stderr)
	}
	c.mustRun(0, "feed", "add", srv.URLOf("/f2")) // the shared scope has its own limit
	if l := feedList(t, c, "-guild", guild); len(l) != 2 || l[0].Scope != guild {
		t.Errorf("the guild's feeds: %+v", l)
	}
	if l := feedList(t, c); len(l) != 3 {
		t.Errorf("every feed: %+v", l)
	}
	shared := feedList(t, c, "-guild", corpus.SharedScope)[0].ID
	c.mustRun(1, "feed", "remove", "-guild", guild, shared)
	p := parsePoll(t, c.mustRun(0, "feed", "poll", "-json", "-guild", guild))
	if len(p.Feeds) != 2 || p.Feeds[0].Added != 1 {
		t.Errorf("polling the guild's feeds: %+v", p)
	}
	var arts []listItem
	json.Unmarshal([]byte(c.mustRun(0, "list", "-json").stdout), &arts)
	for _, a := range arts {
		if a.Scope != guild {
			t.Errorf("a guild feed's article in scope %q", a.Scope)
		}
	}

	strict := newCLI(t)
	if r := strict.mustRun(1, "feed", "add", srv.URLOf("/f0")); !strings.Contains(r.stderr, "address not allowed") {
		t.Errorf("a loopback feed without the opt-in: %s", r.stderr)
	}
}

// TestFeedPollCrashSafety kills "attache feed poll" with SIGKILL in the
// middle of its items, several times, then lets it finish: every stored
// article is whole, the next poll continues, and in the end each item is
// exactly one article.
func TestFeedPollCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("kills child processes; skipped with -short")
	}
	c, srv := feedCLI(t)
	c.env["LOG_LEVEL"] = "debug"
	const items = 60
	var es []feedtest.Entry
	for i := range items {
		es = append(es, storyEntry(srv, i, 400))
	}
	srv.Set("/rss", feedtest.Doc{ContentType: "application/rss+xml", Body: feedtest.RSS("Crash Wire", srv.URL, es...)})
	c.mustRun(0, "feed", "add", srv.URLOf("/rss"))
	prev := 0
	for kill, after := range []int{1, 7, 13, 5} {
		killPollAfter(t, c, after)
		n := checkFeedLibrary(t, c)
		t.Logf("kill %d after %d added items: %d articles stored", kill+1, after, n)
		if n < prev+after {
			t.Errorf("kill %d: %d articles, want at least %d", kill+1, n, prev+after)
		}
		prev = n
	}
	p := parsePoll(t, c.mustRun(0, "feed", "poll", "-json"))
	if f := p.Feeds[0]; f.Status != "ok" || f.Added+f.Unchanged != items || f.Added != items-prev || f.Updated != 0 || f.Rejected != 0 {
		t.Errorf("the poll after the kills: %+v (had %d articles)", f, prev)
	}
	if n := checkFeedLibrary(t, c); n != items {
		t.Errorf("%d articles in the end, want %d", n, items)
	}
	if l := feedList(t, c); l[0].Articles != items {
		t.Errorf("the feed counts %d articles, want %d", l[0].Articles, items)
	}
}

// killPollAfter runs a poll and kills it after `after` added items.
func killPollAfter(t *testing.T, c *cli, after int) {
	t.Helper()
	seen := killAfter(t, c, func(line string) bool {
		return strings.Contains(line, "feed item") && strings.Contains(line, "status=added")
	}, after, "feed", "poll")
	if seen < after {
		t.Fatalf("the poll finished after %d added items, before the kill at %d", seen, after)
	}
}

// checkFeedLibrary opens c's library as attache does and checks that
// every article is whole (chunks, vectors, text searchable) and that no
// item became two articles; it returns the number of articles.
func checkFeedLibrary(t *testing.T, c *cli) int {
	t.Helper()
	ctx := context.Background()
	lib, closeLib := libraryOf(t, c)
	defer closeLib()
	list, err := lib.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	titles := map[string]bool{}
	for _, s := range list {
		if titles[s.Title] {
			t.Errorf("%q is stored twice", s.Title)
		}
		titles[s.Title] = true
		chunks, err := lib.ArticleChunks(ctx, s.ID)
		if err != nil || len(chunks) == 0 {
			t.Errorf("%s has no chunks: %v", s.ID, err)
		}
	}
	var vectors int
	if err := lib.Chunks(ctx, func(c corpus.StoredChunk) error {
		if len(c.Vector) > 0 {
			vectors++
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if chunks, _ := lib.ChunkCount(ctx); vectors != chunks {
		t.Errorf("%d chunks but %d vectors", chunks, vectors)
	}
	return len(list)
}

// TestServePollsFeeds: a running serve polls the feeds on its own, and
// the new articles answer questions at once; SIGTERM stops it, polls
// included, within 10 s.
func TestServePollsFeeds(t *testing.T) {
	t.Parallel()
	c, srv := feedCLI(t)
	f := discordtest.New(t, discordtest.Options{})
	c.env["DISCORD_TOKEN"] = discordtest.DefaultToken
	c.env["DISCORD_API_BASE"] = f.APIBase()
	c.env["DISCORD_GUILD_ID"] = discordtest.DefaultGuildID
	lede := "The Zorbanian ferry service to Kelp Island resumed on Tuesday after a winter of repairs, the port authority said."
	e := storyEntry(srv, 1, 200)
	e.Content = "<p>" + lede + "</p>" + e.Content
	srv.Set("/rss", feedtest.Doc{ContentType: "application/rss+xml", Body: feedtest.RSS("Island Wire", srv.URL, e, storyEntry(srv, 2, 200))})
	c.mustRun(0, "feed", "add", "-guild", discordtest.DefaultGuildID, srv.URLOf("/rss"))
	// An article past the global retention window: serve removes it when
	// it starts.
	c.mustRun(0, "ingest", writeFile(t, c.dir, "old.jsonl", jsonlRecord("archive", "An archived dispatch", "Wire",
		time.Now().AddDate(-1, 0, -30).Format(corpus.DateLayout), "Delegates met in Vienna to discuss the quorvex accord.")+"\n"))
	c.env["ATTACHE_RETENTION_DAYS"] = "365"

	ctx, cancel := context.WithTimeout(context.Background(), childTimeout)
	defer cancel()
	cmd := c.command(ctx, "serve")
	var stdout syncBuffer
	stderr := newLogBuffer()
	cmd.Stdout, cmd.Stderr = &stdout, stderr
	serve := startChild(t, cmd)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("serve's stderr:\n%s", stderr.String())
		}
	})
	stderr.waitFor(t, "feed poll", 60*time.Second)
	if log := stderr.String(); !strings.Contains(log, "added=2") {
		t.Fatalf("serve's first poll did not add the 2 items:\n%s", log)
	}
	stderr.waitFor(t, "retention removed articles past their window", 60*time.Second)
	if log := stderr.String(); !strings.Contains(log, "removed=1") {
		t.Errorf("serve's retention did not remove the one old article:\n%s", log)
	}
	it := f.SendSlashCommand("ask", discordtest.Option{Name: "question", Value: "When did the Zorbanian ferry service to Kelp Island resume?"})
	f.WaitUntil(t, func() bool {
		m, ok := f.Original(it.Token)
		return ok && !m.Loading() && m.Content != ""
	}, 30*time.Second)
	if m, _ := f.Original(it.Token); !strings.Contains(m.Content, "Tuesday") || !strings.Contains(m.Content, "[1]") {
		t.Errorf("the feed's article does not answer:\n%s", m.Content)
	}
	start := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-serve.Exited():
		if err := serve.Err(); err != nil {
			t.Errorf("serve after SIGTERM: %v\nstderr:\n%s", err, stderr.String())
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("serve took %s to exit after SIGTERM", d)
		}
		if l := c.mustRun(0, "list", "-json").stdout; strings.Contains(l, "An archived dispatch") || !strings.Contains(l, "Dispatch number 1") {
			t.Errorf("after serve's retention:\n%s", l)
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("serve did not exit within 15 s of SIGTERM\nstderr:\n%s", stderr.String())
	}
}

// TestFeedRetention: a feed's own window (-retention-days) and the global
// ATTACHE_RETENTION_DAYS remove old articles after feed poll, through the
// remove path; a removed item does not come back with the next poll; bad
// windows are usage errors that fetch and store nothing.
func TestFeedRetention(t *testing.T) {
	c, srv := feedCLI(t)
	now := time.Now().UTC()
	old, fresh := storyEntry(srv, 1, 200), storyEntry(srv, 2, 200)
	old.Published, fresh.Published = now.AddDate(0, 0, -20), now.AddDate(0, 0, -1)
	srv.Set("/rss", feedtest.Doc{ContentType: "application/rss+xml", Body: feedtest.RSS("Short Memory", srv.URL, old, fresh)})

	for _, bad := range []string{"-1", "99999999", "ten"} {
		c.mustRun(2, "feed", "add", "-retention-days", bad, srv.URLOf("/rss"))
	}
	if n := srv.Requests.Load(); n != 0 || len(feedList(t, c)) != 0 {
		t.Fatalf("bad windows fetched %d times or stored a feed", n)
	}
	c.mustRun(0, "feed", "add", "-retention-days", "10", srv.URLOf("/rss"))
	if l := feedList(t, c); len(l) != 1 || l[0].RetentionDays != 10 {
		t.Fatalf("feed list: %+v", l)
	}
	var p struct {
		Feeds   []feedPollItem `json:"feeds"`
		Expired int            `json:"expired"`
	}
	r := c.mustRun(0, "feed", "poll", "-json")
	if err := json.Unmarshal([]byte(r.stdout), &p); err != nil || len(p.Feeds) != 1 || p.Feeds[0].Added != 2 || p.Expired != 1 {
		t.Fatalf("first poll: %+v, %v\n%s", p, err, r)
	}
	var list []listItem
	json.Unmarshal([]byte(c.mustRun(0, "list", "-json").stdout), &list)
	if len(list) != 1 || list[0].Title != fresh.Title {
		t.Fatalf("after retention: %+v, want only the fresh story", list)
	}
	// The feed still carries the old item: it is known, not added again.
	srv.Set("/rss", feedtest.Doc{ContentType: "application/rss+xml", Body: feedtest.RSS("Short Memory", srv.URL, fresh, old)})
	if r := c.mustRun(0, "feed", "poll"); !strings.Contains(r.stdout, "0 added") || strings.Contains(r.stdout, "retention") {
		t.Errorf("second poll: %s", r.stdout)
	}
	if n := articleCount(t, c); n != 1 {
		t.Errorf("%d articles after the second poll, want 1", n)
	}

	// The global window takes every scope's old articles, not only feeds'.
	path := writeFile(t, c.dir, "old.jsonl", jsonlRecord("archive", "An archived dispatch", "Wire", now.AddDate(0, 0, -40).Format(corpus.DateLayout),
		"Delegates met in Vienna to discuss the quorvex accord. They agreed on a timetable.")+"\n")
	c.mustRun(0, "ingest", path)
	c.env["ATTACHE_RETENTION_DAYS"] = "30"
	if r := c.mustRun(0, "feed", "poll"); !strings.Contains(r.stdout, "removed 1 article past their retention window") {
		t.Errorf("poll with a global window: %s", r.stdout)
	}
	if n := articleCount(t, c); n != 1 {
		t.Errorf("%d articles after the global window, want the fresh story", n)
	}
	c.env["ATTACHE_RETENTION_DAYS"] = "-3"
	c.mustRun(2, "feed", "poll")
}

// TestFeedPollWaitsForAnotherPoller: "feed poll" never polls a feed at the
// same time as another process holding its lock (serve polling it): with
// -wait 0 it reports the feed as polled elsewhere without fetching it;
// by default it waits, says so, and polls once the lock is free.
func TestFeedPollWaitsForAnotherPoller(t *testing.T) {
	ctx := context.Background()
	c, srv := feedCLI(t)
	srv.Set("/rss", feedtest.Doc{ContentType: "application/rss+xml", Body: feedtest.RSS("Busy Wire", srv.URL, storyEntry(srv, 1, 300), storyEntry(srv, 2, 300))})
	c.mustRun(0, "feed", "add", srv.URLOf("/rss"))
	id := feedList(t, c)[0].ID
	lib, err := corpus.Open(ctx, c.env["ATTACHE_DATA_DIR"])
	if err != nil {
		t.Fatal(err)
	}
	defer lib.Close()
	_, unlock, err := lib.TryLock(ctx, feed.LockName(id))
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	fetched := srv.Hits("/rss")

	for _, bad := range []string{"-1s", "25h", "soon"} {
		c.mustRun(2, "feed", "poll", "-wait", bad)
	}
	r := c.mustRun(1, "feed", "poll", "-json", "-wait", "0")
	if p := parsePoll(t, r); len(p.Feeds) != 1 || p.Feeds[0].Status != "error" || !strings.Contains(p.Feeds[0].Error, "another process is polling") {
		t.Fatalf("feed poll -wait 0 while the feed is locked: %s", r)
	}
	if n := srv.Hits("/rss"); n != fetched {
		t.Fatalf("the feed was fetched while another process held its lock (%d fetches, want %d)", n, fetched)
	}

	cctx, cancel := context.WithTimeout(ctx, c.limit())
	defer cancel()
	cmd := c.command(cctx, "feed", "poll", "-json")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stdout strings.Builder
	cmd.Stdout = &stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stderr)
	for sc.Scan() && !strings.Contains(sc.Text(), "is being polled by another process") {
	}
	if n := srv.Hits("/rss"); n != fetched {
		t.Fatalf("the feed was fetched while another process held its lock (%d fetches, want %d)", n, fetched)
	}
	unlock()
	io.Copy(io.Discard, stderr)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("feed poll after the lock was freed: %v\n%s", err, stdout.String())
	}
	if p := parsePoll(t, result{stdout: stdout.String()}); len(p.Feeds) != 1 || p.Feeds[0].Status != "ok" || p.Feeds[0].Added != 2 {
		t.Fatalf("feed poll after the lock was freed: %s", stdout.String())
	}
}

// TestFeedPollKilledMidPoll: a "feed poll" killed (SIGKILL) while it
// fetches a feed leaves the feed's lock free: the next poll, not waiting
// at all, polls it.
func TestFeedPollKilledMidPoll(t *testing.T) {
	c, srv := feedCLI(t)
	srv.Set("/rss", feedtest.Doc{ContentType: "application/rss+xml", Body: feedtest.RSS("Slow Wire", srv.URL, storyEntry(srv, 1, 300))})
	c.mustRun(0, "feed", "add", srv.URLOf("/rss"))
	fetching, _ := srv.Gate("/rss")
	ctx, cancel := context.WithTimeout(context.Background(), c.limit())
	defer cancel()
	cmd := c.command(ctx, "feed", "poll")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-fetching:
	case <-ctx.Done():
		t.Fatal("the first poll did not fetch the feed")
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	srv.Open("/rss")
	r := c.mustRun(0, "feed", "poll", "-json", "-wait", "0")
	if p := parsePoll(t, r); len(p.Feeds) != 1 || p.Feeds[0].Status != "ok" || p.Feeds[0].Added != 1 {
		t.Fatalf("the poll after a poller was killed: %s", r)
	}
}

// libraryOf opens c's library as attache's commands do (openLibrary); the
// caller closes it with the function returned.
func libraryOf(t *testing.T, c *cli) (corpus.Backend, func()) {
	t.Helper()
	env, err := newEnvironment(mapEnv(c.env), "", stdio{in: strings.NewReader(""), out: io.Discard, err: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	lib, closeLib, err := openLibrary(context.Background(), env)
	if err != nil {
		t.Fatal(err)
	}
	return lib, closeLib
}
