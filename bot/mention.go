package bot

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

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
	ms := &discordgo.MessageSend{Content: content, Components: comps, AllowedMentions: noMentions()}
	if reply {
		fail := false // deliver the answer even if the question was deleted meanwhile
		ms.Reference = &discordgo.MessageReference{
			MessageID: mt.m.ID, ChannelID: mt.m.ChannelID, GuildID: mt.m.GuildID, FailIfNotExists: &fail,
		}
	}
	_, err := mt.s.ChannelMessageSendComplex(mt.m.ChannelID, ms, discordgo.WithContext(ctx))
	return err
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
		func(ctx context.Context, first bool, part string, comps []discordgo.MessageComponent) error {
			return mt.send(ctx, part, first, comps)
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
// earlier turns, oldest first: each of the bot's answers with the question
// it replied to.
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
	for i := len(chain) - 1; i >= 0; i-- {
		msg := chain[i]
		if msg.Author == nil || msg.Author.ID != botID {
			continue
		}
		t := retrieval.Turn{Answer: answerText(msg.Content)}
		if i+1 < len(chain) && chain[i+1].Author != nil && chain[i+1].Author.ID != botID {
			t.Question = stripMention(chain[i+1].Content, botID)
		}
		if t.Answer != "" {
			turns = append(turns, t)
		}
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

// answerText is the answer part of one of the bot's messages: the text
// before the note and the source list that renderAnswer appends.
func answerText(content string) string {
	for _, marker := range []string{"\n\n**Sources**", "\n\n-# "} {
		if i := strings.Index(content, marker); i >= 0 {
			content = content[:i]
		}
	}
	if strings.HasPrefix(content, "**Sources**") {
		return ""
	}
	return strings.TrimSpace(content)
}
