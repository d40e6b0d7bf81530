package bot

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/attache-bot/attache/bot/discordtest"

	"github.com/attache-bot/attache/corpus"
	"github.com/attache-bot/attache/corpus/feed"
	"github.com/attache-bot/attache/corpus/feed/feedtest"
)

// feedEnv is a bot env whose /feed follows feeds of a loopback server.
func feedEnv(t *testing.T, max int) (*env, *feedtest.Server) {
	e := newEnv(t, envOptions{})
	e.bot.feeds = feedStore{lib: e.lib, client: feed.NewClient(e.fetcher, feed.Options{}), max: max}
	return e, feedtest.New(t)
}

func feedInteraction(guild string, perms int64, sub string, opts ...*discordgo.ApplicationCommandInteractionDataOption) *discordgo.Interaction {
	i := newInteraction(discordgo.InteractionApplicationCommand, guild, userM, perms)
	i.Data = discordgo.ApplicationCommandInteractionData{Name: cmdFeed, Options: []*discordgo.ApplicationCommandInteractionDataOption{
		{Name: sub, Type: discordgo.ApplicationCommandOptionSubCommand, Options: opts},
	}}
	return i
}

// lastText is what the moderator finally sees.
func lastText(t *testing.T, calls []call) string {
	t.Helper()
	if len(calls) == 0 {
		t.Fatal("no calls")
	}
	return calls[len(calls)-1].content()
}

// TestFeedSlashCommands: /feed add, list and remove for moderators, with
// clear refusals for everyone and everything else.
func TestFeedSlashCommands(t *testing.T) {
	e, srv := feedEnv(t, 2)
	entry := feedtest.Entry{GUID: "1", Link: "/1", Title: "One", Summary: "s", Published: testNow}
	srv.Set("/rss", feedtest.Doc{ContentType: "application/rss+xml", Body: feedtest.RSS("Loopback News", srv.URL, entry, entry)})
	srv.Set("/hostile", feedtest.Doc{ContentType: "application/atom+xml", Body: feedtest.Atom("@everyone **Breaking** [click](https://evil.example) <@123>", srv.URL, entry)})
	srv.Set("/third", feedtest.Doc{ContentType: "application/feed+json", Body: feedtest.JSON("Third", srv.URL, entry)})
	srv.Set("/page", feedtest.Doc{ContentType: "text/html", Body: feedtest.Page("A page", "Site", time.Time{}, "Not a feed.")})
	add := func(perms int64, url string) []call {
		return e.run(feedInteraction(guildA, perms, subAdd, strOpt(optURL, url)))
	}

	calls := add(0, srv.URLOf("/rss"))
	if got := lastText(t, calls); got != msgNotModerator || srv.Requests.Load() != 0 {
		t.Fatalf("a member's /feed add: %q after %d requests, want a refusal before any fetch", got, srv.Requests.Load())
	}
	if got := lastText(t, e.run(feedInteraction("", modPerms, subList))); got != msgGuildOnly {
		t.Errorf("/feed in a direct message: %q", got)
	}
	if got := lastText(t, add(modPerms, "ftp://example.com/feed")); !strings.Contains(got, "web address") || srv.Requests.Load() != 0 {
		t.Errorf("an ftp URL: %q", got)
	}
	if got := lastText(t, add(modPerms, srv.URLOf("/page"))); !strings.Contains(got, "not an RSS, Atom or JSON feed") {
		t.Errorf("a web page: %q", got)
	}
	if got := lastText(t, add(modPerms, srv.URLOf("/missing"))); !strings.Contains(got, "HTTP 404") {
		t.Errorf("a missing feed: %q", got)
	}
	calls = add(modPerms, srv.URLOf("/rss"))
	if calls[0].Resp == nil || calls[0].Resp.Type != discordgo.InteractionResponseDeferredChannelMessageWithSource || calls[0].Resp.Data.Flags&discordgo.MessageFlagsEphemeral == 0 {
		t.Errorf("/feed add should defer privately first: %+v", calls[0])
	}
	if got := lastText(t, calls); !strings.Contains(got, "Following **Loopback News** (`f-") || !strings.Contains(got, "1 items now") {
		t.Errorf("/feed add: %q", got)
	}
	if got := lastText(t, add(modPerms, srv.URLOf("/rss"))); !strings.Contains(got, "follows it already") {
		t.Errorf("the same feed twice: %q", got)
	}
	add(modPerms, srv.URLOf("/hostile"))
	before := srv.Requests.Load()
	if got := lastText(t, add(modPerms, srv.URLOf("/third"))); !strings.Contains(got, "as many feeds as it may") || srv.Requests.Load() != before {
		t.Errorf("a third feed over a limit of 2: %q (fetched: %v)", got, srv.Requests.Load() != before)
	}
	feeds, _ := e.lib.Feeds(e.ctx, guildA)
	if len(feeds) != 2 || feeds[0].Scope != guildA {
		t.Fatalf("stored feeds: %+v", feeds)
	}
	if shared, _ := e.lib.Feeds(e.ctx, corpus.SharedScope); len(shared) != 0 {
		t.Errorf("a server's feed landed in the shared scope: %+v", shared)
	}

	calls = e.run(feedInteraction(guildA, modPerms, subList))
	list := lastText(t, calls)
	if !strings.Contains(list, "Loopback News") || !strings.Contains(list, feeds[0].ID) || !strings.Contains(list, "not polled yet") {
		t.Errorf("/feed list:\n%s", list)
	}
	if strings.Contains(list, "@everyone") || strings.Contains(list, "<@123>") || strings.Contains(list, "**Breaking**") || strings.Contains(list, "[click](") {
		t.Errorf("a feed's title can ping or format:\n%s", list)
	}
	if calls[0].Resp.Data.Flags&discordgo.MessageFlagsEphemeral == 0 {
		t.Error("/feed list is not private")
	}

	auto := newInteraction(discordgo.InteractionApplicationCommandAutocomplete, guildA, userM, modPerms)
	auto.Data = discordgo.ApplicationCommandInteractionData{Name: cmdFeed, Options: []*discordgo.ApplicationCommandInteractionDataOption{
		{Name: subRemove, Type: discordgo.ApplicationCommandOptionSubCommand, Options: []*discordgo.ApplicationCommandInteractionDataOption{
			{Name: optID, Type: discordgo.ApplicationCommandOptionString, Value: "LOOPBACK", Focused: true},
		}},
	}}
	calls = e.run(auto)
	if ch := calls[0].Resp.Data.Choices; len(ch) != 1 || ch[0].Value != feeds[0].ID {
		t.Errorf("autocomplete: %+v", ch)
	}

	if got := lastText(t, e.run(feedInteraction(guildA, modPerms, subRemove, strOpt(optID, "f-nope")))); !strings.Contains(got, "no such feed") {
		t.Errorf("removing an unknown feed: %q", got)
	}
	if got := lastText(t, e.run(feedInteraction("999999999999999999", modPerms, subRemove, strOpt(optID, feeds[0].ID)))); !strings.Contains(got, "no such feed") {
		t.Errorf("another server removing this server's feed: %q", got)
	}
	if got := lastText(t, e.run(feedInteraction(guildA, modPerms, subRemove, strOpt(optID, feeds[0].ID)))); !strings.Contains(got, "Stopped following") {
		t.Errorf("/feed remove: %q", got)
	}
	if left, _ := e.lib.Feeds(e.ctx, guildA); len(left) != 1 {
		t.Errorf("after remove: %+v", left)
	}
	checkNoPings(t, e.rec.all())
}

// TestE2EFeeds: /feed through the fake Discord, and a followed feed's
// articles answering that server's questions after a poll.
func TestE2EFeeds(t *testing.T) {
	t.Parallel()
	srv := feedtest.New(t)
	e := startE2E(t, e2eOptions{tune: func(b *Bot) {
		b.feeds = feedStore{lib: b.catalog.(*corpus.Library), client: feed.NewClient(corpus.NewFetcher(corpus.FetchOptions{AllowPrivate: true, Timeout: 5 * time.Second}), feed.Options{}), max: 5}
	}})
	lede := "<p>The Marrow Bay lighthouse was relit on Sunday after forty years of darkness, the harbour board said.</p>"
	srv.Set("/rss", feedtest.Doc{ContentType: "application/rss+xml", Body: feedtest.RSS("Bay Courier", srv.URL,
		feedtest.Entry{GUID: "l1", Link: "/lighthouse", Title: "Marrow Bay lighthouse relit", Content: lede + "<p>" + strings.ReplaceAll(feedtest.Story(77, 200), "\n\n", "</p><p>") + "</p>",
			Published: testNow.Add(-24 * time.Hour)})})
	as := func(perms int64, spec discordtest.InteractionSpec) discordtest.Interaction {
		spec.Permissions = perms
		return e.f.Interaction(spec)
	}
	sub := func(name string, opts ...discordtest.Option) []discordtest.Option {
		return []discordtest.Option{{Name: name, Type: 1, Options: opts}}
	}
	addSpec := discordtest.InteractionSpec{Name: cmdFeed, Options: sub(subAdd, discordtest.Option{Name: optURL, Value: srv.URLOf("/rss")})}

	e.final(t, as(0, addSpec), hasAll(msgNotModerator))
	if n := srv.Requests.Load(); n != 0 {
		t.Errorf("a member's /feed add fetched the feed (%d requests)", n)
	}
	e.final(t, as(modPerms, addSpec), hasAll("Following **Bay Courier**", "1 items now"))
	e.final(t, as(modPerms, discordtest.InteractionSpec{Name: cmdFeed, Options: sub(subList)}), hasAll("Bay Courier", "not polled yet"))

	feeds, _ := e.lib.Feeds(context.Background(), discordtest.DefaultGuildID)
	if len(feeds) != 1 {
		t.Fatalf("feeds of the guild: %+v", feeds)
	}
	syncer := &feed.Syncer{Library: e.lib, Client: feed.NewClient(corpus.NewFetcher(corpus.FetchOptions{AllowPrivate: true}), feed.Options{}), Add: e.engine.Add}
	if r := syncer.Poll(context.Background(), feeds[0]); r.Added != 1 {
		t.Fatalf("poll: %+v", r)
	}
	ask := e.f.SendSlashCommand(cmdAsk, discordtest.Option{Name: optQuestion, Value: "When was the Marrow Bay lighthouse relit?"})
	e.final(t, ask, hasAll("Sunday", "[1]"))
	other := e.f.Interaction(discordtest.InteractionSpec{Name: cmdAsk, GuildID: e2eGuild2, ChannelID: e2eChannel2,
		Options: []discordtest.Option{{Name: optQuestion, Value: "When was the Marrow Bay lighthouse relit?"}}})
	if got := e.final(t, other, func(s string) bool { return s != "" }); strings.Contains(got, "Sunday") {
		t.Errorf("another server was answered from this server's feed:\n%s", got)
	}

	auto := as(modPerms, discordtest.InteractionSpec{Type: 4, Name: cmdFeed, Options: sub(subRemove, discordtest.Option{Name: optID, Value: "bay", Focused: true})})
	choices, _ := e.response(t, auto).Field("data.choices").([]any)
	if len(choices) != 1 || choices[0].(map[string]any)["value"] != feeds[0].ID {
		t.Fatalf("autocomplete choices = %v", choices)
	}
	e.final(t, as(modPerms, discordtest.InteractionSpec{Name: cmdFeed, Options: sub(subRemove, discordtest.Option{Name: optID, Value: feeds[0].ID})}), hasAll("Stopped following"))
	if left, _ := e.lib.Feeds(context.Background(), discordtest.DefaultGuildID); len(left) != 0 {
		t.Errorf("feeds after /feed remove: %+v", left)
	}
	checkNobodyPinged(t, e.f)
}

// TestFeedAddRetention: /feed add retention_days: stores the feed's
// window; a window out of range is refused before any fetch.
func TestFeedAddRetention(t *testing.T) {
	e, srv := feedEnv(t, 5)
	entry := feedtest.Entry{GUID: "1", Link: "/1", Title: "One", Summary: "s", Published: testNow}
	srv.Set("/rss", feedtest.Doc{ContentType: "application/rss+xml", Body: feedtest.RSS("Short Memory", srv.URL, entry)})
	days := func(n int) *discordgo.ApplicationCommandInteractionDataOption {
		return &discordgo.ApplicationCommandInteractionDataOption{Name: optRetentionDays, Type: discordgo.ApplicationCommandOptionInteger, Value: float64(n)}
	}
	for _, bad := range []int{0, -1, corpus.MaxRetentionDays + 1} {
		got := lastText(t, e.run(feedInteraction(guildA, modPerms, subAdd, strOpt(optURL, srv.URLOf("/rss")), days(bad))))
		if !strings.Contains(got, "must be 1 to") || srv.Requests.Load() != 0 {
			t.Errorf("retention_days %d: %q after %d requests", bad, got, srv.Requests.Load())
		}
	}
	got := lastText(t, e.run(feedInteraction(guildA, modPerms, subAdd, strOpt(optURL, srv.URLOf("/rss")), days(14))))
	if !strings.Contains(got, "Following **Short Memory**") || !strings.Contains(got, "removed 14 days after") {
		t.Errorf("/feed add with retention: %q", got)
	}
	feeds, _ := e.lib.Feeds(context.Background(), guildA)
	if len(feeds) != 1 || feeds[0].RetentionDays != 14 {
		t.Errorf("stored feeds: %+v", feeds)
	}
}
