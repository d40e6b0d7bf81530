package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/attache-bot/attache/bot/discordtest"
	"github.com/attache-bot/attache/corpus"
	"github.com/attache-bot/attache/retrieval"
)

func TestDigestDue(t *testing.T) {
	day := func(h, m int) time.Time { return time.Date(2026, 6, 10, h, m, 0, 0, time.UTC) }
	for _, c := range []struct {
		hour      int
		sent, now time.Time
		due       bool
	}{
		{8, day(7, 0), day(7, 59), false},                   // not yet
		{8, day(7, 0), day(8, 0), true},                     // on the hour
		{8, day(8, 0), day(8, 30), false},                   // sent this hour already
		{8, day(9, 0), day(23, 0), false},                   // set up after today's hour
		{8, day(9, 0), day(9, 0).Add(23 * time.Hour), true}, // the next morning
		{0, day(23, 59), day(23, 59).Add(2 * time.Minute), true},
		{23, day(0, 0).AddDate(0, 0, -3), day(1, 0), true}, // days missed: one digest
	} {
		if got := digestDue(corpus.Digest{Hour: c.hour, LastSent: c.sent}, c.now); got != c.due {
			t.Errorf("hour %d, sent %s, now %s: due %v, want %v", c.hour, c.sent.Format(time.RFC3339), c.now.Format(time.RFC3339), got, c.due)
		}
	}
}

// TestRenderDigest: one line per story with its link, hostile titles made
// inert, the rest counted.
func TestRenderDigest(t *testing.T) {
	stories := []corpus.Story{
		{Title: "@everyone **Big** [news](https://evil.example) <@123>", Source: "<@&9> Wire", URL: "https://news.example/a?x=(1)"},
		{Title: "No link", URL: "javascript:alert(1)"},
		{Title: strings.Repeat("long ", 500), URL: "https://news.example/" + strings.Repeat("p", 1900)},
	}
	parts := renderDigest(stories, 25)
	for i, p := range parts {
		if utf16Len(p) > maxContent {
			t.Errorf("part %d is %d units long", i, utf16Len(p))
		}
	}
	got := strings.Join(parts, "\n")
	for _, want := range []string{"**New stories** (25)\n",
		"• [@\u200beveryone \\*\\*Big\\*\\* \\[news\\](https://evil.example) <@\u200b123>](<https://news.example/a?x=%281%29>), \\<@\u200b&9> Wire\n",
		"• No link\n", "…and 22 more."} {
		if !strings.Contains(got, want) {
			t.Errorf("digest lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "javascript:") {
		t.Errorf("a javascript: link in the digest:\n%s", got)
	}
}

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }

// TestE2EDigest: /feed digest on and off through the fake Discord, the
// posts driven by a fake clock: once a day at the hour, the new stories of
// the server's feeds only, at most 10 with the rest counted, no pings,
// nothing on a day without stories, nothing after off.
func TestE2EDigest(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{t: time.Date(2026, 6, 10, 12, 0, 0, 0, time.UTC)}
	wake := make(chan time.Time)
	passes := make(chan struct{})
	e := startE2E(t, e2eOptions{tune: func(b *Bot) {
		b.digests = b.catalog.(*corpus.Library)
		b.feeds = feedStore{lib: b.catalog.(*corpus.Library)}
		b.now = clock.Now
		b.digestWake = wake
		b.onDigestPass = func() { passes <- struct{}{} }
	}})
	ctx := context.Background()
	// pass runs one look for digests due at the time given.
	pass := func(at time.Time) {
		t.Helper()
		clock.Set(at)
		select {
		case wake <- at:
		case <-time.After(waitLong):
			t.Fatal("the digest loop does not wake")
		}
		select {
		case <-passes:
		case <-time.After(waitLong):
			t.Fatal("the digest pass does not end")
		}
	}
	digests := func() []discordtest.Message {
		var out []discordtest.Message
		for _, m := range e.f.Messages(discordtest.DefaultChannelID) {
			if strings.HasPrefix(m.Content, "**New stories**") {
				out = append(out, m)
			}
		}
		return out
	}
	feedOf := func(guild string) corpus.Feed {
		f, err := e.lib.AddFeed(ctx, corpus.Feed{Scope: guild, URL: "https://news.example/" + guild + "/rss"}, 0)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	mine, theirs := feedOf(discordtest.DefaultGuildID), feedOf(e2eGuild2)
	n := 0
	story := func(f corpus.Feed, title string) {
		t.Helper()
		n++
		a, _, err := e.engine.Add(ctx, corpus.Article{Scope: f.Scope, Title: title, Source: "Bay Courier", URL: fmt.Sprintf("https://news.example/story/%d", n),
			Published: clock.Now(), Body: fmt.Sprintf("Story %d: the harbour board met on Monday and agreed on repairs to pier %d.", n, n)})
		if err != nil {
			t.Fatal(err)
		}
		if err := e.lib.SaveFeedItem(ctx, corpus.FeedItem{FeedID: f.ID, GUID: a.ID, ArticleID: a.ID}, clock.Now()); err != nil {
			t.Fatal(err)
		}
	}
	sub := func(name string, opts ...discordtest.Option) []discordtest.Option {
		return []discordtest.Option{{Name: subDigest, Type: 2, Options: []discordtest.Option{{Name: name, Type: 1, Options: opts}}}}
	}
	channel := discordtest.Option{Name: optChannel, Type: 7, Value: discordtest.DefaultChannelID}
	hour := func(h int) discordtest.Option { return discordtest.Option{Name: optHour, Type: 4, Value: h} }
	run := func(perms int64, opts []discordtest.Option) string {
		t.Helper()
		return e.final(t, e.f.Interaction(discordtest.InteractionSpec{Name: cmdFeed, Permissions: perms, Options: opts}), notEmpty)
	}

	story(mine, "Before the digest") // stored before it was set up: not in it
	if got := run(0, sub(subDigestOn, channel, hour(13))); got != msgNotModerator {
		t.Errorf("a member's /feed digest on: %q", got)
	}
	if got := run(modPerms, sub(subDigestOn, channel, hour(24))); !strings.Contains(got, "0 to 23") {
		t.Errorf("hour 24: %q", got)
	}
	if got := run(modPerms, sub(subDigestOn, hour(3))); !strings.Contains(got, "Choose the channel") {
		t.Errorf("no channel: %q", got)
	}
	if got := run(modPerms, sub(subDigestOn, channel, hour(13))); !strings.Contains(got, "13:00 UTC") || !strings.Contains(got, "<#"+discordtest.DefaultChannelID+">") {
		t.Errorf("/feed digest on: %q", got)
	}

	pass(time.Date(2026, 6, 10, 12, 30, 0, 0, time.UTC))
	if d := digests(); len(d) != 0 {
		t.Fatalf("a digest before its hour: %+v", d)
	}
	story(mine, "@everyone **Pier 1** reopens <@123>")
	for i := 2; i <= 12; i++ {
		story(mine, fmt.Sprintf("Pier %d reopens", i))
	}
	story(theirs, "Another server's story")

	pass(time.Date(2026, 6, 10, 13, 5, 0, 0, time.UTC))
	d := digests()
	if len(d) != 1 {
		t.Fatalf("%d digests at the hour, want 1", len(d))
	}
	lines := strings.Split(strings.TrimSpace(d[0].Content), "\n")
	if lines[0] != "**New stories** (12)" || len(lines) != 12 || !strings.HasPrefix(lines[1], "• [Pier 12 reopens](<https://news.example/story/") ||
		lines[11] != "…and 2 more. Ask me about them with `/ask`." {
		t.Errorf("digest:\n%s", d[0].Content)
	}
	if strings.Contains(d[0].Content, "Another server") || strings.Contains(d[0].Content, "Before the digest") || strings.Contains(d[0].Content, "Pier 1**") {
		t.Errorf("another server's story, an older one, or the 11th in the digest:\n%s", d[0].Content)
	}
	if am, _ := d[0].AllowedMentions.(map[string]any); am == nil || len(am["parse"].([]any)) != 0 {
		t.Errorf("digest allowed_mentions = %v, want parse []", d[0].AllowedMentions)
	}

	pass(time.Date(2026, 6, 10, 13, 30, 0, 0, time.UTC))
	pass(time.Date(2026, 6, 11, 13, 0, 0, 0, time.UTC)) // a day without stories
	if d := digests(); len(d) != 1 {
		t.Fatalf("%d digests after a second pass the same day and a day without stories, want 1", len(d))
	}
	story(mine, "Ferry timetable changes")
	pass(time.Date(2026, 6, 12, 13, 1, 0, 0, time.UTC))
	if d := digests(); len(d) != 2 || !strings.HasPrefix(d[1].Content, "**New stories** (1)\n• [Ferry timetable changes]") {
		t.Fatalf("the third day's digest: %+v", d)
	}

	if got := run(modPerms, sub(subDigestOff)); !strings.Contains(got, "stopped") {
		t.Errorf("/feed digest off: %q", got)
	}
	story(mine, "After the digest stopped")
	pass(time.Date(2026, 6, 13, 13, 1, 0, 0, time.UTC))
	if d := digests(); len(d) != 2 {
		t.Errorf("a digest after /feed digest off: %+v", d[len(d)-1])
	}
	if got := run(modPerms, sub(subDigestOff)); !strings.Contains(got, "no daily digest") {
		t.Errorf("/feed digest off twice: %q", got)
	}
	checkNobodyPinged(t, e.f)
}

// quayDigest gives guildA a digest at 10:00 last sent at day, and one new
// story of its feed, "Quay works begin".
func quayDigest(t *testing.T, e *env, day time.Time) {
	t.Helper()
	ctx := context.Background()
	f, err := e.lib.AddFeed(ctx, corpus.Feed{Scope: guildA, URL: "https://news.example/rss"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.lib.SetDigest(ctx, corpus.Digest{GuildID: guildA, ChannelID: chanA, Hour: 10, LastSent: day}); err != nil {
		t.Fatal(err)
	}
	a, _, err := e.engine.Add(ctx, corpus.Article{Scope: guildA, Title: "Quay works begin", Source: "Wire", URL: "https://news.example/quay",
		Published: day, Body: "Works on the quay began on Monday, the harbour board said."})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.lib.SaveFeedItem(ctx, corpus.FeedItem{FeedID: f.ID, GUID: "q", ArticleID: a.ID}, day); err != nil {
		t.Fatal(err)
	}
}

// TestDigestPostFails: a digest whose post fails is not retried every
// minute, and its stories come with the next day's digest.
func TestDigestPostFails(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.bot.digests = e.lib
	ctx := context.Background()
	day := time.Date(2026, 6, 10, 9, 0, 0, 0, time.UTC)
	quayDigest(t, e, day)
	sent := func() int {
		n := 0
		for _, c := range e.rec.all() {
			if c.Method == "send" && strings.Contains(c.content(), "Quay works begin") {
				n++
			}
		}
		return n
	}
	e.rec.setFail("send", errors.New("HTTP 403 Forbidden, Missing Permissions"))
	e.bot.now = func() time.Time { return day.Add(time.Hour + time.Minute) }
	e.bot.digestPass(ctx, e.rec)
	e.bot.now = func() time.Time { return day.Add(time.Hour + 2*time.Minute) }
	e.bot.digestPass(ctx, e.rec)
	if attempts := len(e.rec.all()); attempts != 1 {
		t.Errorf("%d calls after a failed post and a pass a minute later, want the one attempt", attempts)
	}
	if !strings.Contains(e.logs.String(), "Missing Permissions") {
		t.Errorf("the failure is not logged:\n%s", e.logs.String())
	}
	e.rec.setFail("send", nil)
	e.bot.now = func() time.Time { return day.Add(25 * time.Hour) }
	e.bot.digestPass(ctx, e.rec)
	if n := sent(); n != 2 {
		t.Errorf("%d posts of the story, want the failed one and the next day's", n)
	}
}

// postedElsewhere is a library handle whose TryLock first records the
// digest of guild as sent through another handle, as another process
// that posted it between this one's listing and its lock would.
type postedElsewhere struct {
	*corpus.Library
	other *corpus.Library
	guild string
	at    time.Time
}

func (p postedElsewhere) TryLock(ctx context.Context, name string) (context.Context, func(), error) {
	if err := p.other.DigestSent(ctx, p.guild, p.at, 0); err != nil {
		return nil, nil, err
	}
	return p.Library.TryLock(ctx, name)
}

// TestDigestPostedOnce: a digest whose lock another process holds (it is
// posting it) is not posted; one posted elsewhere between the listing and
// the lock is not posted again; once free and due it is posted once.
func TestDigestPostedOnce(t *testing.T) {
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	other, err := corpus.Open(ctx, e.lib.Dir())
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	day := time.Date(2026, 6, 10, 9, 0, 0, 0, time.UTC)
	quayDigest(t, e, day)
	e.bot.now = func() time.Time { return day.Add(time.Hour + time.Minute) }

	_, unlock, err := other.TryLock(ctx, "digest:"+guildA)
	if err != nil {
		t.Fatal(err)
	}
	e.bot.digests = e.lib
	e.bot.digestPass(ctx, e.rec)
	if calls := len(e.rec.all()); calls != 0 {
		t.Fatalf("%d calls while another process held the digest's lock, want none", calls)
	}
	unlock()

	e.bot.digests = postedElsewhere{Library: e.lib, other: other, guild: guildA, at: day.Add(time.Hour)}
	e.bot.digestPass(ctx, e.rec)
	if calls := len(e.rec.all()); calls != 0 {
		t.Fatalf("%d calls for a digest posted elsewhere after the listing, want none", calls)
	}

	e.bot.digests = e.lib
	e.bot.now = func() time.Time { return day.Add(25*time.Hour + time.Minute) }
	e.bot.digestPass(ctx, e.rec)
	e.bot.digestPass(ctx, e.rec)
	if calls := len(e.rec.all()); calls != 1 || !strings.Contains(e.rec.all()[0].content(), "Quay works begin") {
		t.Fatalf("%d calls once the lock was free, want the one post of the digest", calls)
	}
}

// TestDigestOnlyHeldGuilds: a shard posts the digests of the guilds it
// holds only; another shard's guild is that shard's to post.
func TestDigestOnlyHeldGuilds(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.bot.digests = e.lib
	ctx := context.Background()
	day := time.Date(2026, 6, 10, 9, 0, 0, 0, time.UTC)
	quayDigest(t, e, day)
	lib, err := corpus.Open(ctx, e.lib.Dir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lib.Close() })
	held, err := retrieval.New(ctx, lib, retrieval.Config{HoldScopes: true, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	e.bot.holder = held
	e.bot.now = func() time.Time { return day.Add(time.Hour + time.Minute) }
	e.bot.digestPass(ctx, e.rec)
	if calls := e.rec.all(); len(calls) != 0 {
		t.Fatalf("a guild not held got its digest: %d calls", len(calls))
	}
	if err := held.Hold(ctx, guildA); err != nil {
		t.Fatal(err)
	}
	e.bot.digestPass(ctx, e.rec)
	if calls := e.rec.all(); len(calls) != 1 || !strings.Contains(calls[0].content(), "Quay works begin") {
		t.Errorf("the held guild's digest: %d calls", len(calls))
	}
}
