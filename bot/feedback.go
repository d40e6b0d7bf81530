package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/bwmarrin/discordgo"

	"github.com/attache-bot/attache/corpus"
	"github.com/attache-bot/attache/retrieval"
)

// validAnswerID reports whether id could be one of newAnswerID's: custom ids
// come back from Discord's clients and are not trusted.
func validAnswerID(id string) bool {
	if len(id) != 16 {
		return false
	}
	for _, c := range id {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// loadAnswer finds a stored answer; ok is false (and the user told) when it
// does not exist or belongs to another guild.
func (b *Bot) loadAnswer(ctx context.Context, it *interaction, id string) (corpus.AnswerRecord, bool, error) {
	if !validAnswerID(id) {
		it.outcome = "invalid answer id"
		return corpus.AnswerRecord{}, false, it.reply(ctx, "That button is broken; please ask again.")
	}
	rec, err := b.store.Answer(ctx, id)
	if errors.Is(err, corpus.ErrNotFound) || (err == nil && rec.GuildID != it.i.GuildID) {
		it.outcome = "answer not found"
		return corpus.AnswerRecord{}, false, it.reply(ctx, "I no longer have that answer; please ask again.")
	}
	if err != nil {
		return corpus.AnswerRecord{}, false, fmt.Errorf("load answer %s: %w", id, err)
	}
	return rec, true, nil
}

// handleSourcesButton shows the cited passages of an answer, privately.
func (b *Bot) handleSourcesButton(ctx context.Context, it *interaction, id string) error {
	rec, ok, err := b.loadAnswer(ctx, it, id)
	if !ok {
		return err
	}
	var sources []retrieval.Source
	if err := json.Unmarshal([]byte(rec.Sources), &sources); err != nil {
		return fmt.Errorf("decode sources of answer %s: %w", id, err)
	}
	it.sources, it.outcome = len(sources), "sources shown"
	return it.respond(ctx, &discordgo.InteractionResponse{
		Type: discordgo.InteractionResponseChannelMessageWithSource,
		Data: &discordgo.InteractionResponseData{Content: renderSources(sources, b.now()), Flags: discordgo.MessageFlagsEphemeral},
	})
}

// handleVote records a 👍 (vote 1) or 👎 (vote -1). One vote per user per
// answer: a click on the other button changes it, a second click on the
// same one is told so.
func (b *Bot) handleVote(ctx context.Context, it *interaction, id string, vote int) error {
	rec, ok, err := b.loadAnswer(ctx, it, id)
	if !ok {
		return err
	}
	prev, err := b.store.SaveFeedback(ctx, corpus.Feedback{
		AnswerID: rec.ID, UserID: it.userID(), GuildID: it.i.GuildID, Vote: vote,
		Question: rec.Question, Answer: rec.Answer, Sources: rec.Sources, Time: b.now().UTC(),
	})
	if err != nil {
		return fmt.Errorf("save feedback: %w", err)
	}
	thumb := map[int]string{1: "👍", -1: "👎"}[vote]
	switch prev {
	case vote:
		it.outcome = "vote repeated"
		return it.reply(ctx, "You already voted "+thumb+" on this answer; thanks!")
	case 0:
		it.outcome = fmt.Sprintf("vote %+d", vote)
		if vote < 0 {
			return it.reply(ctx, "Thanks for telling me; the moderators will look at what went wrong.")
		}
		return it.reply(ctx, "Thanks for the feedback!")
	}
	it.outcome = fmt.Sprintf("vote changed to %+d", vote)
	if vote < 0 {
		return it.reply(ctx, "Changed your vote to "+thumb+"; the moderators will look at what went wrong.")
	}
	return it.reply(ctx, "Changed your vote to "+thumb+"; thanks!")
}
