package bot

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/attache-bot/attache/corpus"
	"github.com/attache-bot/attache/corpus/feed"
)

const cmdFeed = "feed"

// Feeds manages a scope's feed subscriptions for /feed. Subscribe fetches
// and parses the feed once and stores nothing on an error; it returns the
// feed and how many items it has. A feed keeps its articles retentionDays
// days (0: kept).
type Feeds interface {
	Subscribe(ctx context.Context, scope, rawURL string, retentionDays int) (corpus.Feed, int, error)
	Feeds(ctx context.Context, scope string) ([]corpus.Feed, error)
	RemoveFeed(ctx context.Context, scope, id string) error
}

// FeedLibrary is what Feeds needs of a library: its feeds, and the
// retention window of a feed just subscribed. corpus.Backend (either
// library) is one.
type FeedLibrary interface {
	feed.Library
	SetNewFeedRetention(ctx context.Context, f corpus.Feed, days int) error
}

// LibraryFeeds is Feeds over lib, fetching feeds with client; a scope may
// follow at most max feeds (corpus.DefaultMaxFeeds when max <= 0).
func LibraryFeeds(lib FeedLibrary, client *feed.Client, max int) Feeds {
	return feedStore{lib: lib, client: client, max: max}
}

// feedStore is Feeds over the library, polling with client.
type feedStore struct {
	lib    FeedLibrary
	client *feed.Client
	max    int
}

func (s feedStore) Subscribe(ctx context.Context, scope, rawURL string, retentionDays int) (corpus.Feed, int, error) {
	if err := corpus.CheckRetentionDays(retentionDays); err != nil {
		return corpus.Feed{}, 0, err
	}
	f, res, err := feed.Subscribe(ctx, s.lib, s.client, scope, rawURL, s.max)
	if err == nil {
		err = s.lib.SetNewFeedRetention(ctx, f, retentionDays)
		f.RetentionDays = retentionDays
	}
	return f, len(res.Items) + res.Dropped, err
}

func (s feedStore) Feeds(ctx context.Context, scope string) ([]corpus.Feed, error) {
	return s.lib.Feeds(ctx, scope)
}

func (s feedStore) RemoveFeed(ctx context.Context, scope, id string) error {
	return s.lib.RemoveFeed(ctx, scope, id)
}

// feedCommand is /feed add|list|remove, for moderators in guilds.
func feedCommand() *discordgo.ApplicationCommand {
	perm := moderatorPerms
	minRetention := 1.0
	return &discordgo.ApplicationCommand{
		Name:                     cmdFeed,
		Description:              "Follow news feeds: their new articles answer this server's questions (moderators)",
		DefaultMemberPermissions: &perm,
		Contexts:                 &[]discordgo.InteractionContextType{discordgo.InteractionContextGuild},
		Options: []*discordgo.ApplicationCommandOption{
			{
				Type:        discordgo.ApplicationCommandOptionSubCommand,
				Name:        subAdd,
				Description: "Follow an RSS, Atom or JSON feed",
				Options: []*discordgo.ApplicationCommandOption{{
					Type: discordgo.ApplicationCommandOptionString, Name: optURL, Description: "The feed's address",
					Required: true, MaxLength: 2000,
				}, {
					Type: discordgo.ApplicationCommandOptionInteger, Name: optRetentionDays,
					Description: "Remove its articles once published this many days ago (default: keep them)",
					MinValue:    &minRetention, MaxValue: corpus.MaxRetentionDays,
				}},
			},
			{
				Type:        discordgo.ApplicationCommandOptionSubCommand,
				Name:        subList,
				Description: "List this server's feeds with their health",
			},
			{
				Type:        discordgo.ApplicationCommandOptionSubCommand,
				Name:        subRemove,
				Description: "Stop following a feed (its articles stay)",
				Options: []*discordgo.ApplicationCommandOption{{
					Type: discordgo.ApplicationCommandOptionString, Name: optID, Description: "The feed (start typing its title)",
					Required: true, Autocomplete: true, MaxLength: 100,
				}},
			},
			digestCommand(),
		},
	}
}

// handleFeed runs /feed add|list|remove; the moderator check comes before
// any fetch.
func (b *Bot) handleFeed(ctx context.Context, it *interaction, data discordgo.ApplicationCommandInteractionData) error {
	if refused, err := b.refuseNonModerator(ctx, it); refused {
		return err
	}
	if b.feeds == nil {
		it.outcome = "refused: no feeds"
		return it.reply(ctx, "Feeds are not available in this attache.")
	}
	if len(data.Options) == 0 {
		return it.reply(ctx, "Use `/feed add`, `/feed list`, `/feed remove` or `/feed digest`.")
	}
	sub := data.Options[0]
	switch sub.Name {
	case subAdd:
		raw := ""
		if o := findOption(sub.Options, optURL, discordgo.ApplicationCommandOptionString); o != nil {
			raw = strings.TrimSpace(o.StringValue())
		}
		days := 0
		if o := findOption(sub.Options, optRetentionDays, discordgo.ApplicationCommandOptionInteger); o != nil {
			// Discord enforces the range; a client that does not gets this.
			v := o.IntValue()
			if v < 1 || v > corpus.MaxRetentionDays {
				it.outcome = "invalid retention"
				return it.reply(ctx, fmt.Sprintf("`%s` must be 1 to %d days.", optRetentionDays, corpus.MaxRetentionDays))
			}
			days = int(v)
		}
		return b.feedAdd(ctx, it, raw, days)
	case subList:
		return b.feedList(ctx, it)
	case subRemove:
		id := ""
		if o := findOption(sub.Options, optID, discordgo.ApplicationCommandOptionString); o != nil {
			id = strings.TrimSpace(o.StringValue())
		}
		return b.feedRemove(ctx, it, id)
	case subDigest:
		return b.feedDigest(ctx, it, sub)
	}
	return it.reply(ctx, "I don't know that subcommand.")
}

func (b *Bot) feedAdd(ctx context.Context, it *interaction, raw string, retentionDays int) error {
	if msg := checkArticleURL(raw); msg != "" {
		it.outcome = "invalid url"
		return it.reply(ctx, msg)
	}
	if err := it.deferReply(ctx, true); err != nil {
		return fmt.Errorf("defer /feed add: %w", err)
	}
	f, items, err := b.feeds.Subscribe(ctx, it.i.GuildID, raw, retentionDays)
	if err != nil {
		if !feed.IsRefusal(err) {
			return fmt.Errorf("subscribe: %w", err)
		}
		it.outcome = "refused"
		b.log.Warn("feed add", "url", raw, "err", err)
		return it.edit(ctx, "I couldn't follow that feed: "+feedProblem(err), nil)
	}
	it.outcome = "feed added"
	kept := ""
	if retentionDays > 0 {
		kept = fmt.Sprintf(" Its articles are removed %d days after they were published.", retentionDays)
	}
	return it.edit(ctx, fmt.Sprintf("Following **%s** (`%s`, %d items now). Its new articles arrive with the next poll and answer only this server's questions.%s",
		feedTitle(f), f.ID, items, kept), nil)
}

// feedProblem says why a feed cannot be followed, without internals.
func feedProblem(err error) string {
	var se *feed.StatusError
	switch {
	case errors.Is(err, corpus.ErrTooManyFeeds):
		return "this server follows as many feeds as it may; remove one with `/feed remove` first."
	case errors.Is(err, corpus.ErrFeedExists):
		return "this server follows it already."
	case errors.Is(err, feed.ErrNotAFeed):
		return "that address is not an RSS, Atom or JSON feed."
	case errors.Is(err, corpus.ErrBlockedAddress):
		return "that address is not allowed (private or local network)."
	case errors.Is(err, corpus.ErrTooLarge):
		return "the feed is too large (over 10 MiB)."
	case errors.Is(err, corpus.ErrFetchTimeout):
		return "the site took too long to answer."
	case errors.Is(err, feed.ErrRetryLater):
		return "the site asks to be left alone for a while; try again later."
	case errors.As(err, &se):
		return fmt.Sprintf("the site answered HTTP %d.", se.Status)
	case errors.Is(err, corpus.ErrBadURL), errors.Is(err, corpus.ErrTooManyRedirects):
		return "that address cannot be fetched (" + oneLine(truncateRunes(reason(err), 200)) + ")."
	}
	return "the feed could not be fetched."
}

// feedTitle is a feed's title as plain text for a message.
func feedTitle(f corpus.Feed) string {
	t := f.Title
	if t == "" {
		if u, err := url.Parse(f.URL); err == nil {
			t = u.Hostname()
		}
	}
	return escapeMarkdown(neutralise(truncateRunes(oneLine(t), 80)))
}

func (b *Bot) feedList(ctx context.Context, it *interaction) error {
	feeds, err := b.feeds.Feeds(ctx, it.i.GuildID)
	if err != nil {
		return fmt.Errorf("list feeds: %w", err)
	}
	it.outcome = "listed"
	if len(feeds) == 0 {
		return it.reply(ctx, "This server follows no feeds yet. Add one with `/feed add`.")
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "**Feeds of this server** (%d)", len(feeds))
	for _, f := range feeds {
		line := fmt.Sprintf("\n• **%s** `%s`: %d articles", feedTitle(f), f.ID, f.Articles)
		switch {
		case f.LastPolled.IsZero():
			line += ", not polled yet"
		case f.LastError != "":
			line += fmt.Sprintf(", failing (%d in a row): %s", f.Failures, inertText(neutralise(truncateRunes(oneLine(f.LastError), 120))))
		default:
			line += fmt.Sprintf(", last polled <t:%d:R>", f.LastOK.Unix())
		}
		if sb.Len()+len(line) > 1900 {
			sb.WriteString("\n…")
			break
		}
		sb.WriteString(line)
	}
	return it.reply(ctx, sb.String())
}

func (b *Bot) feedRemove(ctx context.Context, it *interaction, id string) error {
	err := b.feeds.RemoveFeed(ctx, it.i.GuildID, id)
	switch {
	case errors.Is(err, corpus.ErrNotFound):
		it.outcome = "not found"
		return it.reply(ctx, "This server follows no such feed; `/feed list` shows its feeds.")
	case err != nil:
		return fmt.Errorf("remove feed: %w", err)
	}
	it.outcome = "feed removed"
	return it.reply(ctx, fmt.Sprintf("Stopped following `%s`. The articles it brought stay; remove them with `/article remove`.", id))
}

// handleFeedAutocomplete suggests the guild's feeds whose title, address
// or id contains what the moderator typed.
func (b *Bot) handleFeedAutocomplete(ctx context.Context, it *interaction, data discordgo.ApplicationCommandInteractionData) error {
	choices := []*discordgo.ApplicationCommandOptionChoice{}
	if it.i.GuildID != "" && b.feeds != nil && b.isModerator(ctx, it.s, it.i.GuildID, it.i.Member) {
		typed := ""
		if len(data.Options) > 0 {
			for _, o := range data.Options[0].Options {
				if o.Focused {
					typed, _ = o.Value.(string)
				}
			}
		}
		typed = strings.ToLower(firstRunes(typed, maxTypedRunes))
		feeds, err := b.feeds.Feeds(ctx, it.i.GuildID)
		if err != nil {
			return fmt.Errorf("suggest feeds: %w", err)
		}
		for _, f := range feeds {
			if len(choices) == maxChoices {
				break
			}
			if typed != "" && !strings.Contains(strings.ToLower(f.Title+" "+f.URL+" "+f.ID), typed) {
				continue
			}
			name := truncateRunes(oneLine(f.Title), maxChoiceRunes-20)
			if name == "" {
				name = truncateRunes(f.URL, maxChoiceRunes-20)
			}
			choices = append(choices, &discordgo.ApplicationCommandOptionChoice{Name: name + " (" + f.ID + ")", Value: f.ID})
		}
	} else {
		it.outcome = "refused: not a moderator"
	}
	it.sources = len(choices)
	return it.respond(ctx, &discordgo.InteractionResponse{
		Type: discordgo.InteractionApplicationCommandAutocompleteResult,
		Data: &discordgo.InteractionResponseData{Choices: choices},
	})
}
