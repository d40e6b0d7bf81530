package bot

import (
	"context"

	"github.com/bwmarrin/discordgo"
)

// handleGuildCreate holds the articles of a guild that became available to
// this shard (at start-up, after an outage, or when the bot joins it), so
// that its questions are answered from them.
func (b *Bot) handleGuildCreate(ctx context.Context, g *discordgo.GuildCreate) {
	if b.holder == nil || g.Guild == nil || g.ID == "" || g.Unavailable {
		return
	}
	if !b.begin() {
		return
	}
	defer b.end()
	if err := b.holder.Hold(ctx, scopeOf(g.ID)); err != nil {
		b.log.Error("cannot hold the server's articles; its questions miss them until it is available again",
			"guild", g.ID, "err", err)
		return
	}
	b.log.Debug("holding the server's articles", "guild", g.ID)
}

// handleGuildDelete drops the articles of a guild the bot left (was removed
// from, or the guild was deleted): they stay in the library, for the day it
// comes back. A guild that is only unavailable (an outage) stays held.
func (b *Bot) handleGuildDelete(g *discordgo.GuildDelete) {
	if b.holder == nil || g.Guild == nil || g.ID == "" || g.Unavailable {
		return
	}
	if err := b.holder.Drop(scopeOf(g.ID)); err != nil {
		b.log.Warn("cannot drop the server's articles", "guild", g.ID, "err", err)
		return
	}
	b.log.Info("left a server; its articles are no longer held", "guild", g.ID)
}

// holds reports whether this process holds guild's articles (always,
// without a Holder).
func (b *Bot) holds(guildID string) bool {
	return b.holder == nil || b.holder.Holds(scopeOf(guildID))
}
