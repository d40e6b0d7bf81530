package bot

import (
	"context"
	"errors"
	"log/slog"
	"runtime/debug"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"
)

// User-facing texts shared by several handlers.
const (
	msgGenericError = "Sorry, something went wrong on my side and I couldn't finish that. Please try again in a moment."
	msgShuttingDown = "attache is restarting right now; please ask again in a minute."
	msgNotModerator = "Only moderators (Manage Messages, or the moderator role) can manage articles."
	msgGuildOnly    = "This command works only in a server."
)

// noMentions is the allowed_mentions of every message the bot sends: parse
// nothing, and do not ping the author of a replied-to message. A fresh value
// each time, since discordgo's structs are not meant to be shared.
func noMentions() *discordgo.MessageAllowedMentions {
	return &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}, RepliedUser: false}
}

// interaction is one interaction being handled: the calls that answer it,
// and what the log line about it will say.
type interaction struct {
	s session
	i *discordgo.Interaction

	responded bool      // the first response (reply, defer, modal…) has been sent
	ephemeral bool      // the first response was private
	received  time.Time // when the bot received it: its token's 15 minutes run from about then

	name    string // "ask", "article add", "button src", …
	sources int
	outcome string // "answered", "refused", "rate-limited", …
}

func (it *interaction) userID() string {
	if it.i.Member != nil && it.i.Member.User != nil {
		return it.i.Member.User.ID
	}
	if it.i.User != nil {
		return it.i.User.ID
	}
	return ""
}

// respond sends the first response.
func (it *interaction) respond(ctx context.Context, r *discordgo.InteractionResponse) error {
	if r.Data != nil && r.Type != discordgo.InteractionApplicationCommandAutocompleteResult && r.Type != discordgo.InteractionResponseModal {
		r.Data.AllowedMentions = noMentions()
	}
	err := it.s.InteractionRespond(it.i, r, discordgo.WithContext(ctx))
	if err == nil {
		it.responded = true
		it.ephemeral = r.Data != nil && r.Data.Flags&discordgo.MessageFlagsEphemeral != 0
	}
	return err
}

// deferReply acknowledges with "thinking…"; the final text comes by edit.
func (it *interaction) deferReply(ctx context.Context, ephemeral bool) error {
	data := &discordgo.InteractionResponseData{}
	if ephemeral {
		data.Flags = discordgo.MessageFlagsEphemeral
	}
	return it.respond(ctx, &discordgo.InteractionResponse{
		Type: discordgo.InteractionResponseDeferredChannelMessageWithSource, Data: data,
	})
}

// edit replaces the original response's content and buttons; opts are
// added to the request's.
func (it *interaction) edit(ctx context.Context, content string, components []discordgo.MessageComponent, opts ...discordgo.RequestOption) error {
	_, err := it.editMessage(ctx, content, components, opts...)
	return err
}

// editMessage is edit that also returns the id of the edited message.
func (it *interaction) editMessage(ctx context.Context, content string, components []discordgo.MessageComponent, opts ...discordgo.RequestOption) (string, error) {
	if components == nil {
		components = []discordgo.MessageComponent{}
	}
	m, err := it.s.InteractionResponseEdit(it.i, &discordgo.WebhookEdit{
		Content: &content, Components: &components, AllowedMentions: noMentions(),
	}, append([]discordgo.RequestOption{discordgo.WithContext(ctx)}, opts...)...)
	return messageID(m), err
}

// messageID is m's id; "" for no message.
func messageID(m *discordgo.Message) string {
	if m == nil {
		return ""
	}
	return m.ID
}

// followup sends one more message, private when the original was; opts are
// added to the request's.
// It returns the new message's id.
func (it *interaction) followup(ctx context.Context, content string, components []discordgo.MessageComponent, opts ...discordgo.RequestOption) (string, error) {
	p := &discordgo.WebhookParams{Content: content, Components: components, AllowedMentions: noMentions()}
	if it.ephemeral {
		p.Flags = discordgo.MessageFlagsEphemeral
	}
	m, err := it.s.FollowupMessageCreate(it.i, true, p, append([]discordgo.RequestOption{discordgo.WithContext(ctx)}, opts...)...)
	return messageID(m), err
}

// reply sends a private final message: the first response when none was
// sent yet, else an edit of the deferred one.
func (it *interaction) reply(ctx context.Context, content string) error {
	if it.responded {
		return it.edit(ctx, content, nil)
	}
	return it.respond(ctx, &discordgo.InteractionResponse{
		Type: discordgo.InteractionResponseChannelMessageWithSource,
		Data: &discordgo.InteractionResponseData{Content: content, Flags: discordgo.MessageFlagsEphemeral},
	})
}

// handleInteraction is the one entry point of interactions. It routes,
// logs one line per interaction, and makes sure the user gets a final
// message whatever fails.
func (b *Bot) handleInteraction(ctx context.Context, s session, ic *discordgo.InteractionCreate) {
	start := time.Now()
	it := &interaction{s: s, i: ic.Interaction, outcome: "ok", received: start}
	if !b.begin() {
		it.name, it.outcome = interactionName(ic.Interaction), "refused: shutting down"
		if ic.Type == discordgo.InteractionApplicationCommandAutocomplete {
			b.noChoices(ctx, it)
		} else {
			b.finalReply(ctx, it, msgShuttingDown)
		}
		b.logInteraction(it, start, nil)
		return
	}
	defer b.end()
	it.name = interactionName(ic.Interaction)

	err := b.route(ctx, it)
	if err != nil {
		it.outcome = "error"
		msg := msgGenericError
		if errors.Is(context.Cause(ctx), errShutdown) {
			msg = msgShuttingDown
			it.outcome = "cancelled: shutting down"
		}
		switch {
		case ic.Type == discordgo.InteractionApplicationCommandAutocomplete:
			if !it.responded {
				b.noChoices(ctx, it)
			}
		default:
			b.finalReply(ctx, it, msg)
		}
	}
	b.logInteraction(it, start, err)
}

// noChoices answers an autocomplete with no suggestions (autocomplete has
// no way to show a message).
func (b *Bot) noChoices(ctx context.Context, it *interaction) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), replyBudget)
	defer cancel()
	err := it.respond(rctx, &discordgo.InteractionResponse{
		Type: discordgo.InteractionApplicationCommandAutocompleteResult,
		Data: &discordgo.InteractionResponseData{Choices: []*discordgo.ApplicationCommandOptionChoice{}},
	})
	if err != nil {
		b.log.Warn("autocomplete reply failed", "interaction", it.i.ID, "err", err)
	}
}

// finalReply sends a last private message with a deadline of its own, so
// that it still goes out when ctx was cancelled by shutdown. After a
// deferred response it is delivered like an answer (retried, or sent as a
// follow-up), so that "thinking…" never stays.
func (b *Bot) finalReply(ctx context.Context, it *interaction, msg string) {
	rctx, cancel := b.deliveryCtx(ctx, replyBudget)
	defer cancel()
	send := it.reply
	if it.responded {
		send = func(ctx context.Context, msg string) error { _, err := b.deliverFinal(ctx, it, msg, nil); return err }
	}
	if err := send(rctx, msg); err != nil {
		b.log.Warn("final reply failed", "interaction", it.i.ID, "err", err)
	}
}

func (b *Bot) logInteraction(it *interaction, start time.Time, err error) {
	attrs := []any{
		"command", it.name, "guild", it.i.GuildID, "user", it.userID(),
		"latency_ms", time.Since(start).Milliseconds(), "sources", it.sources, "outcome", it.outcome,
	}
	if err != nil {
		b.log.Error("interaction", append(attrs, "interaction", it.i.ID, "err", err)...)
		return
	}
	b.log.Info("interaction", attrs...)
}

// route calls the handler for an interaction. Handlers return errors they
// could not answer themselves; route's caller apologises for them. A
// panicking handler is turned into an error, so that it too ends with a
// message instead of a dead "thinking…".
func (b *Bot) route(ctx context.Context, it *interaction) (err error) {
	defer func() {
		if p := recover(); p != nil {
			b.log.Error("handler panic", "interaction", it.i.ID, "panic", p, "stack", string(debug.Stack()))
			err = errors.New("handler panicked")
		}
	}()
	switch it.i.Type {
	case discordgo.InteractionApplicationCommand:
		data := it.i.ApplicationCommandData()
		switch data.Name {
		case cmdAsk:
			return b.handleAsk(ctx, it, data)
		case cmdArticle:
			return b.handleArticle(ctx, it, data)
		case cmdFeed:
			return b.handleFeed(ctx, it, data)
		case cmdOutlet:
			return b.handleOutlet(ctx, it, data)
		case cmdReport:
			return b.handleReport(ctx, it, data)
		case cmdTimeline, cmdWhatsNew:
			return b.handleTimeline(ctx, it, data)
		}
	case discordgo.InteractionApplicationCommandAutocomplete:
		data := it.i.ApplicationCommandData()
		switch data.Name {
		case cmdArticle:
			return b.handleAutocomplete(ctx, it, data)
		case cmdFeed:
			return b.handleFeedAutocomplete(ctx, it, data)
		case cmdOutlet:
			return b.handleOutletAutocomplete(ctx, it, data)
		case cmdAsk, cmdTimeline, cmdWhatsNew:
			return b.handlePlaceAutocomplete(ctx, it, data)
		}
	case discordgo.InteractionMessageComponent:
		id := it.i.MessageComponentData().CustomID
		switch {
		case strings.HasPrefix(id, btnSources):
			return b.handleSourcesButton(ctx, it, strings.TrimPrefix(id, btnSources))
		case strings.HasPrefix(id, btnVoteUp):
			return b.handleVote(ctx, it, strings.TrimPrefix(id, btnVoteUp), 1)
		case strings.HasPrefix(id, btnVoteDown):
			return b.handleVote(ctx, it, strings.TrimPrefix(id, btnVoteDown), -1)
		case strings.HasPrefix(id, btnListPage):
			return b.handleListPage(ctx, it, strings.TrimPrefix(id, btnListPage))
		}
	case discordgo.InteractionModalSubmit:
		if it.i.ModalSubmitData().CustomID == modalAddArticle {
			return b.handleAddModalSubmit(ctx, it)
		}
	}
	it.outcome = "unknown interaction"
	return it.reply(ctx, "I don't know that command; it may be from an older version of attache.")
}

// interactionName names an interaction for the log. It never panics, even
// on an interaction whose data does not match its type.
func interactionName(i *discordgo.Interaction) string {
	switch data := i.Data.(type) {
	case discordgo.ApplicationCommandInteractionData:
		name := data.Name
		if len(data.Options) > 0 && data.Options[0] != nil && data.Options[0].Type == discordgo.ApplicationCommandOptionSubCommand {
			name += " " + data.Options[0].Name
		}
		if i.Type == discordgo.InteractionApplicationCommandAutocomplete {
			name += " autocomplete"
		}
		return name
	case discordgo.MessageComponentInteractionData:
		id := data.CustomID
		if k := strings.LastIndexByte(id, ':'); k >= 0 {
			id = id[:k]
		}
		return "button " + id
	case discordgo.ModalSubmitInteractionData:
		return "modal " + data.CustomID
	}
	return "unknown"
}

// debugQuestion logs a question's text, at debug level only (it is personal).
func (b *Bot) debugQuestion(where, id, q string) {
	b.log.Debug("question", slog.String("via", where), slog.String("id", id), slog.String("text", q))
}

// refuseNonModerator answers a command that only a guild's moderators may
// run when the member is not one (or it came from a direct message), and
// reports whether it did; the refusal comes before any other work.
func (b *Bot) refuseNonModerator(ctx context.Context, it *interaction) (refused bool, err error) {
	if it.i.GuildID == "" || it.i.Member == nil {
		it.outcome = "refused: not in a guild"
		return true, it.reply(ctx, msgGuildOnly)
	}
	if !b.isModerator(ctx, it.s, it.i.GuildID, it.i.Member) {
		it.outcome = "refused: not a moderator"
		return true, it.reply(ctx, msgNotModerator)
	}
	return false, nil
}
