package bot

import (
	"strings"
	"testing"

	"github.com/attache-bot/attache/bot/discordtest"
)

// End-to-end tests of the hardening of what members send: replies, reply
// chains, votes, and what moderators are told.

// A reply to an answer that does not ping the bot is not a question:
// without the Message Content intent it arrives with empty content, and
// the bot stays silent instead of asking for a question after a mention.
func TestE2EReplyWithoutPingIsIgnored(t *testing.T) {
	t.Parallel()
	// Handlers in order: once the next question is answered, the reply
	// before it has been handled.
	e := startE2E(t, e2eOptions{tune: func(b *Bot) { b.syncEvents = true }})
	q1 := e.f.SendMessage(discordtest.MessageSpec{Content: "which port does the Velmora harbour accord open?", MentionBot: true})
	a1 := e.replyTo(t, q1)
	for _, content := range []string{"thanks, that helps", "", strings.Repeat("and again ", 300)} {
		quiet := e.f.SendMessage(discordtest.MessageSpec{Content: content, ReplyTo: a1.ID})
		q := e.f.SendMessage(discordtest.MessageSpec{Content: "which port does the accord open?", MentionBot: true})
		e.replyTo(t, q)
		for _, m := range e.f.Messages(discordtest.DefaultChannelID) {
			if m.ReplyTo == quiet {
				t.Errorf("the bot answered a reply that did not ping it (%q): %q", truncateRunes(content, 20), m.Content)
			}
		}
	}
	// A reply that pings still asks.
	ping := e.f.SendMessage(discordtest.MessageSpec{Content: "and which ministers signed it?", MentionBot: true, ReplyTo: a1.ID})
	if got := e.replyTo(t, ping); got.Content == "" || strings.Contains(got.Content, "Ask me a question") {
		t.Errorf("a reply with a ping: %q", got.Content)
	}
	checkNobodyPinged(t, e.f)
}
