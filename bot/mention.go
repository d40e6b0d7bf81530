package bot

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/attache-bot/attache/corpus"
	"github.com/attache-bot/attache/retrieval"
)

// answerMessageSafely is answerMessage with a panic turned into an error,
// as route does for interactions: discordgo runs message handlers in
// goroutines of their own, where a panic would end the whole process.
func (b *Bot) answerMessageSafely(ctx context.Context, it *messageTurn, botID string) (err error) {
	defer func() {
		if p := recover(); p != nil {
			b.log.Error("handler panic", "message", it.m.ID, "panic", p, "stack", string(debug.Stack()))
			err = errors.New("handler panicked")
		}
	}()
	return b.answerMessage(ctx, it, botID)
}

// handleMessage answers a message that mentions the bot or replies to one of
// its messages. It ignores everything else: messages not addressing it, its
// own messages, other bots' and webhooks'. The answer replies to the asking
// message, and the reply chain above it becomes the answer's history.
func (b *Bot) handleMessage(ctx context.Context, s session, mc *discordgo.MessageCreate) {
	m := mc.Message
	botID := b.id()
	if m == nil || m.Author == nil || botID == "" || m.Author.ID == botID || m.Author.Bot || m.WebhookID != "" {
		return
	}
	if !addressesBot(m, botID) {
		return
	}
	start := time.Now()
	it := &messageTurn{s: s, m: m, outcome: "ok"}
	if !b.begin() {
		it.outcome = "refused: shutting down"
		b.finalMessageReply(ctx, it, msgShuttingDown)
		b.logMessage(it, start, nil)
		return
	}
	defer b.end()
	err := b.answerMessageSafely(ctx, it, botID)
	if err != nil {
		it.outcome = "error"
		msg := msgGenericError
		if errors.Is(context.Cause(ctx), errShutdown) {
			msg, it.outcome = msgShuttingDown, "cancelled: shutting down"
		}
		b.finalMessageReply(ctx, it, msg)
	}
	b.logMessage(it, start, err)
}

// messageTurn is one message being answered, and what its log line says.
type messageTurn struct {
	s       session
	m       *discordgo.Message
	sources int
	outcome string
}

// send posts content in the message's channel; as a reply to it when reply
// is set. Nobody is pinged, not even the asker.
func (mt *messageTurn) send(ctx context.Context, content string, reply bool, comps []discordgo.MessageComponent) error {
	_, err := mt.sendMessage(ctx, content, reply, comps)
	return err
}

// sendMessage is send that also returns the id of the message sent.
func (mt *messageTurn) sendMessage(ctx context.Context, content string, reply bool, comps []discordgo.MessageComponent) (string, error) {
	ms := &discordgo.MessageSend{Content: content, Components: comps, AllowedMentions: noMentions()}
	if reply {
		fail := false // deliver the answer even if the question was deleted meanwhile
		ms.Reference = &discordgo.MessageReference{
			MessageID: mt.m.ID, ChannelID: mt.m.ChannelID, GuildID: mt.m.GuildID, FailIfNotExists: &fail,
		}
	}
	m, err := mt.s.ChannelMessageSendComplex(mt.m.ChannelID, ms, discordgo.WithContext(ctx))
	return messageID(m), err
}

func (b *Bot) answerMessage(ctx context.Context, mt *messageTurn, botID string) error {
	question, problem := checkQuestion(stripMention(mt.m.Content, botID))
	if problem != "" {
		mt.outcome = "invalid question"
		if strings.TrimSpace(stripMention(mt.m.Content, botID)) == "" {
			problem = "Ask me a question after the mention, e.g. “@attache what did the summit agree on?”. You can also use `/ask`."
		}
		return mt.send(ctx, problem, true, nil)
	}
	if ok, wait := b.limiter.allow(mt.m.Author.ID, b.now()); !ok {
		mt.outcome = "rate-limited"
		return mt.send(ctx, rateLimitMessage(wait), true, nil)
	}
	b.debugQuestion("mention", mt.m.ID, question)
	if err := mt.s.ChannelTyping(mt.m.ChannelID, discordgo.WithContext(ctx)); err != nil {
		b.log.Debug("typing indicator", "err", err)
	}
	history := b.history(ctx, mt.s, mt.m, botID)

	ans, err := b.answer(ctx, answerJob{
		req: retrieval.Request{Question: question, Scope: scopeOf(mt.m.GuildID), History: history},
	})
	if err != nil {
		return fmt.Errorf("answer: %w", err)
	}
	mt.sources, mt.outcome = len(ans.Sources), "answered: "+string(ans.Mode)

	return b.deliverAnswer(ctx, ans, mt.m.GuildID, mt.m.Author.ID,
		func(ctx context.Context, first bool, part string, comps []discordgo.MessageComponent) (string, error) {
			return mt.sendMessage(ctx, part, first, comps)
		})
}

// finalMessageReply replies with msg under a deadline of its own, so that it
// still goes out when ctx was cancelled by shutdown.
func (b *Bot) finalMessageReply(ctx context.Context, mt *messageTurn, msg string) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), replyBudget)
	defer cancel()
	if err := mt.send(rctx, msg, true, nil); err != nil {
		b.log.Warn("final reply failed", "message", mt.m.ID, "err", err)
	}
}

func (b *Bot) logMessage(mt *messageTurn, start time.Time, err error) {
	attrs := []any{
		"command", "mention", "guild", mt.m.GuildID, "user", mt.m.Author.ID,
		"latency_ms", time.Since(start).Milliseconds(), "sources", mt.sources, "outcome", mt.outcome,
	}
	if err != nil {
		b.log.Error("message", append(attrs, "message", mt.m.ID, "err", err)...)
		return
	}
	b.log.Info("message", attrs...)
}

// addressesBot reports whether m mentions the bot, replies to one of its
// messages with some text, or is a direct message to it (every message
// there is for it). A reply that does not ping the bot arrives with empty
// content (the bot has no Message Content intent): it is no question, and
// answering it would only nag. With the intent enabled such a reply carries
// its text and asks.
func addressesBot(m *discordgo.Message, botID string) bool {
	if m.GuildID == "" {
		return true
	}
	for _, u := range m.Mentions {
		if u != nil && u.ID == botID {
			return true
		}
	}
	if r := m.ReferencedMessage; r != nil && r.Author != nil && r.Author.ID == botID {
		return strings.TrimSpace(m.Content) != ""
	}
	return strings.Contains(m.Content, "<@"+botID+">") || strings.Contains(m.Content, "<@!"+botID+">")
}

// stripMention removes the bot's mentions (<@id> and <@!id>) from content.
func stripMention(content, botID string) string {
	content = strings.ReplaceAll(content, "<@"+botID+">", " ")
	content = strings.ReplaceAll(content, "<@!"+botID+">", " ")
	return strings.Join(strings.Fields(content), " ")
}

// history follows the reply chain above m (at most historyDepth messages,
// fetched from Discord when the event does not carry them) and returns the
// earlier turns, oldest first: each of the bot's answers in the chain, with
// its question, as stored when it was given (looked up by message id). The
// rendered messages are never parsed back: a message of the bot's with no
// stored answer (pruned, or not an answer) adds no turn.
//
// The chain is followed only within m's channel and guild. A message
// reference is whatever the client sent (or a forward from anywhere), and
// the bot can read channels the asker cannot: following a reference into
// another channel would put that channel's messages into this answer.
func (b *Bot) history(ctx context.Context, s session, m *discordgo.Message, botID string) []retrieval.Turn {
	var chain []*discordgo.Message // newest first
	cur := m.ReferencedMessage
	ref := m.MessageReference
	for len(chain) < historyDepth {
		if ref != nil && !sameChannel(m, ref) {
			b.log.Debug("reply chain leaves the channel", "message", m.ID, "reference", ref.MessageID)
			break
		}
		if cur == nil {
			if ref == nil || ref.MessageID == "" {
				break
			}
			msg, err := s.ChannelMessage(m.ChannelID, ref.MessageID, discordgo.WithContext(ctx))
			if err != nil {
				b.log.Debug("reply chain ends", "message", ref.MessageID, "err", err)
				break
			}
			cur = msg
		}
		if (cur.ChannelID != "" && cur.ChannelID != m.ChannelID) || (cur.GuildID != "" && cur.GuildID != m.GuildID) {
			b.log.Debug("reply chain leaves the channel", "message", m.ID, "reference", cur.ID)
			break
		}
		chain = append(chain, cur)
		ref = cur.MessageReference
		cur = cur.ReferencedMessage
	}
	var turns []retrieval.Turn
	last := "" // the answer of the previous turn: two parts of one answer are one turn
	for i := len(chain) - 1; i >= 0; i-- {
		msg := chain[i]
		if msg.Author == nil || msg.Author.ID != botID {
			continue
		}
		rec, err := b.store.AnswerByMessage(ctx, msg.ID)
		if err != nil {
			if !errors.Is(err, corpus.ErrNotFound) {
				b.log.Warn("look up a stored answer", "message", msg.ID, "err", err)
			}
			continue
		}
		if rec.GuildID != m.GuildID || rec.ID == last || strings.TrimSpace(rec.Answer) == "" {
			// Another guild's answer can only be a forged reference.
			continue
		}
		last = rec.ID
		turns = append(turns, retrieval.Turn{Question: rec.Question, Answer: rec.Answer})
	}
	return turns
}

// sameChannel reports whether ref is an ordinary reply within m's channel
// and guild. A reference without a channel is one (Discord fills it in, but
// a message built by hand may leave it out); a forward is not a reply.
func sameChannel(m *discordgo.Message, ref *discordgo.MessageReference) bool {
	return ref.Type == discordgo.MessageReferenceTypeDefault &&
		(ref.ChannelID == "" || ref.ChannelID == m.ChannelID) &&
		(ref.GuildID == "" || ref.GuildID == m.GuildID)
}
