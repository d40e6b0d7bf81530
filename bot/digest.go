package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/attache-bot/attache/corpus"
)

// The daily digest: /feed digest on channel: [hour:] has the new stories of
// the server's feeds posted to a channel once a day, /feed digest off stops
// it. The library keeps the state (channel, hour, the end of the last
// digest), so that a restart neither repeats a digest nor loses stories.

const (
	subDigest    = "digest"
	subDigestOn  = "on"
	subDigestOff = "off"
	optChannel   = "channel"
	optHour      = "hour"

	// defaultDigestHour is the UTC hour of a digest whose hour was not
	// given: the morning in Europe and Africa, the night before in the
	// Americas.
	defaultDigestHour = 8
	// digestStories is how many stories one digest lists at most.
	digestStories = 10
	// digestEvery is how often the bot looks for digests due.
	digestEvery = time.Minute
)

// Digests keeps the guilds' daily digests and finds their stories, and
// locks a digest while it is posted so that the processes of a deployment
// post it once. corpus.Backend (either library) implements it.
type Digests interface {
	corpus.Locker
	SetDigest(ctx context.Context, d corpus.Digest) error
	RemoveDigest(ctx context.Context, guildID string) error
	Digests(ctx context.Context) ([]corpus.Digest, error)
	DigestSent(ctx context.Context, guildID string, sent time.Time, afterSeq int64) error
	NewStories(ctx context.Context, guildID string, afterSeq int64, max int) ([]corpus.Story, int, int64, error)
}

// digestCommand is /feed's digest group.
func digestCommand() *discordgo.ApplicationCommandOption {
	minHour, maxHour := 0.0, 23.0
	return &discordgo.ApplicationCommandOption{
		Type:        discordgo.ApplicationCommandOptionSubCommandGroup,
		Name:        subDigest,
		Description: "A daily post of the new stories of this server's feeds",
		Options: []*discordgo.ApplicationCommandOption{
			{
				Type:        discordgo.ApplicationCommandOptionSubCommand,
				Name:        subDigestOn,
				Description: "Post the new stories once a day to a channel",
				Options: []*discordgo.ApplicationCommandOption{
					{
						Type: discordgo.ApplicationCommandOptionChannel, Name: optChannel, Description: "The channel to post to",
						Required: true, ChannelTypes: []discordgo.ChannelType{discordgo.ChannelTypeGuildText, discordgo.ChannelTypeGuildNews},
					},
					{
						Type: discordgo.ApplicationCommandOptionInteger, Name: optHour,
						Description: fmt.Sprintf("The hour to post at, UTC (default %d)", defaultDigestHour),
						MinValue:    &minHour, MaxValue: maxHour,
					},
				},
			},
			{
				Type:        discordgo.ApplicationCommandOptionSubCommand,
				Name:        subDigestOff,
				Description: "Stop the daily digest",
			},
		},
	}
}

// feedDigest runs /feed digest on|off; the caller checked the moderator.
func (b *Bot) feedDigest(ctx context.Context, it *interaction, group *discordgo.ApplicationCommandInteractionDataOption) error {
	if b.digests == nil {
		it.outcome = "refused: no digests"
		return it.reply(ctx, "Digests are not available in this attache.")
	}
	if len(group.Options) == 0 {
		return it.reply(ctx, "Use `/feed digest on` or `/feed digest off`.")
	}
	sub := group.Options[0]
	switch sub.Name {
	case subDigestOff:
		err := b.digests.RemoveDigest(ctx, it.i.GuildID)
		switch {
		case errors.Is(err, corpus.ErrNotFound):
			it.outcome = "no digest"
			return it.reply(ctx, "This server has no daily digest.")
		case err != nil:
			return fmt.Errorf("stop digest: %w", err)
		}
		it.outcome = "digest off"
		return it.reply(ctx, "The daily digest is stopped.")
	case subDigestOn:
		channel := ""
		if o := findOption(sub.Options, optChannel, discordgo.ApplicationCommandOptionChannel); o != nil {
			channel, _ = o.Value.(string)
		}
		if !isSnowflake(channel) {
			it.outcome = "invalid channel"
			return it.reply(ctx, "Choose the channel to post the digest to.")
		}
		hour := defaultDigestHour
		if o := findOption(sub.Options, optHour, discordgo.ApplicationCommandOptionInteger); o != nil {
			v := o.IntValue()
			if v < 0 || v > 23 {
				it.outcome = "invalid hour"
				return it.reply(ctx, "`hour` must be 0 to 23 (UTC).")
			}
			hour = int(v)
		}
		if err := b.digests.SetDigest(ctx, corpus.Digest{GuildID: it.i.GuildID, ChannelID: channel, Hour: hour, LastSent: b.now()}); err != nil {
			return fmt.Errorf("set digest: %w", err)
		}
		it.outcome = "digest on"
		return it.reply(ctx, fmt.Sprintf("Every day at %02d:00 UTC I'll post the new stories of this server's feeds (at most %d) in <#%s>.",
			hour, digestStories, channel))
	}
	return it.reply(ctx, "I don't know that subcommand.")
}

// isSnowflake reports whether s looks like a Discord id.
func isSnowflake(s string) bool {
	if len(s) < 5 || len(s) > 25 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// digestDue reports whether d's digest is due at now: an o'clock of its
// hour (UTC) has passed since the last digest went out.
func digestDue(d corpus.Digest, now time.Time) bool {
	now = now.UTC()
	slot := time.Date(now.Year(), now.Month(), now.Day(), d.Hour, 0, 0, 0, time.UTC)
	if slot.After(now) {
		slot = slot.AddDate(0, 0, -1)
	}
	return slot.After(d.LastSent)
}

// runDigests posts the digests due at every tick of wake until ctx ends.
func (b *Bot) runDigests(ctx context.Context, s session, wake <-chan time.Time) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-wake:
		}
		b.digestPass(ctx, s)
		if b.onDigestPass != nil {
			b.onDigestPass()
		}
	}
}

// digestPass posts every digest due now.
func (b *Bot) digestPass(ctx context.Context, s session) {
	if b.digests == nil {
		return
	}
	ds, err := b.digests.Digests(ctx)
	if err != nil {
		b.log.Warn("digests", "err", err)
		return
	}
	now := b.now()
	for _, d := range ds {
		if ctx.Err() != nil {
			return
		}
		if !digestDue(d, now) || !b.holds(d.GuildID) {
			// Another shard's guild is that shard's to post.
			continue
		}
		if err := b.postDigestOnce(ctx, s, d, now); err != nil {
			b.log.Warn("digest", "guild", d.GuildID, "channel", d.ChannelID, "err", err)
		}
	}
}

// postDigestOnce posts d unless another process is posting it or has
// just done so: it takes the digest's lock ("digest:" and the guild),
// reads the digest again under it and posts it only if it is still due,
// under the lock's context (a lost lock stops the post; the digest is then
// still due for whoever takes the lock next).
func (b *Bot) postDigestOnce(ctx context.Context, s session, d corpus.Digest, now time.Time) error {
	held, unlock, err := b.digests.TryLock(ctx, "digest:"+d.GuildID)
	if errors.Is(err, corpus.ErrLocked) {
		b.log.Debug("digest being posted by another process", "guild", d.GuildID)
		return nil
	}
	if err != nil {
		return err
	}
	defer unlock()
	ds, err := b.digests.Digests(held)
	if err != nil {
		return err
	}
	for _, cur := range ds {
		if cur.GuildID == d.GuildID {
			if !digestDue(cur, now) {
				return nil // posted elsewhere meanwhile
			}
			return b.postDigest(held, s, cur, now)
		}
	}
	return nil // stopped meanwhile
}

// digestRecordTimeout bounds the write that records a digest as posted.
const digestRecordTimeout = 10 * time.Second

// postDigest posts d's new stories and records that it did. A day without
// new stories posts nothing. A digest whose post failed (the bot may not
// write to the channel, say) is tried again the next day with the same
// stories and the new ones, rather than every minute.
func (b *Bot) postDigest(ctx context.Context, s session, d corpus.Digest, now time.Time) error {
	stories, total, last, err := b.digests.NewStories(ctx, d.GuildID, d.AfterSeq, digestStories)
	if err != nil {
		return err
	}
	if total > 0 {
		for _, part := range renderDigest(stories, total) {
			_, err := s.ChannelMessageSendComplex(d.ChannelID, &discordgo.MessageSend{Content: part, AllowedMentions: noMentions()},
				discordgo.WithContext(ctx))
			if err != nil {
				if ctx.Err() == nil {
					err = errors.Join(err, b.digests.DigestSent(ctx, d.GuildID, now, d.AfterSeq))
				}
				return fmt.Errorf("post: %w", err)
			}
		}
	}
	b.log.Info("digest", "guild", d.GuildID, "channel", d.ChannelID, "stories", total)
	// Posted: recorded even if ctx (the digest lock's) has just ended, or
	// the digest would stay due and be posted again.
	record, cancel := context.WithTimeout(context.WithoutCancel(ctx), digestRecordTimeout)
	defer cancel()
	err = b.digests.DigestSent(record, d.GuildID, now, last)
	if errors.Is(err, corpus.ErrNotFound) {
		return nil // stopped meanwhile
	}
	return err
}

// renderDigest is the digest's message: one line per story with its link
// (masked, without a preview card), then how many more there are.
func renderDigest(stories []corpus.Story, total int) []string {
	var b strings.Builder
	fmt.Fprintf(&b, "**New stories** (%d)\n", total)
	for _, st := range stories {
		title := escapeMarkdown(neutralise(truncateRunes(oneLine(st.Title), 150)))
		line := "• " + title
		if u := linkURL(st.URL); u != "" {
			line = fmt.Sprintf("• [%s](<%s>)", title, u)
		}
		if src := oneLine(st.Source); src != "" {
			line += ", " + inertText(neutralise(truncateRunes(src, 60)))
		}
		b.WriteString(line + "\n")
	}
	if more := total - len(stories); more > 0 {
		fmt.Fprintf(&b, "…and %d more. Ask me about them with `/ask`.", more)
	}
	return splitMessage(b.String(), maxContent)
}
