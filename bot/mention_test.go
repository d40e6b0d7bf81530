package bot

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/bwmarrin/discordgo"

	"github.com/attache-bot/attache/corpus"
	"github.com/attache-bot/attache/retrieval"
)

func userMsg(id, content string, mentionsBot bool) *discordgo.Message {
	m := &discordgo.Message{ID: id, ChannelID: chanA, GuildID: guildA, Content: content, Author: &discordgo.User{ID: userU}}
	if mentionsBot {
		m.Mentions = []*discordgo.User{{ID: botID, Bot: true}}
	}
	return m
}

func TestMentionIsAnsweredAsReply(t *testing.T) {
	e := newEnv(t, envOptions{})
	m := userMsg("5001", "<@"+botID+"> which port does the Velmora harbour accord open?", true)
	calls := e.message(m)
	var sends []call
	for _, c := range calls {
		if c.Method == "send" {
			sends = append(sends, c)
		}
	}
	if len(sends) != 1 {
		t.Fatalf("%d messages sent, want 1: %+v", len(sends), calls)
	}
	s := sends[0].Send
	if s.Reference == nil || s.Reference.MessageID != "5001" || s.Reference.FailIfNotExists == nil || *s.Reference.FailIfNotExists {
		t.Errorf("reference = %+v, want a soft reply to 5001", s.Reference)
	}
	if !strings.Contains(s.Content, "coastal.example") || !strings.Contains(s.Content, "[1]") {
		t.Errorf("answer:\n%s", s.Content)
	}
	if ids := customIDs(s.Components); len(ids) != 3 {
		t.Errorf("buttons = %v", ids)
	}
	checkNoPings(t, calls)
}

func TestMessagesNotAddressingTheBotAreIgnored(t *testing.T) {
	e := newEnv(t, envOptions{})
	own := userMsg("1", "<@"+botID+"> hello", true)
	own.Author = &discordgo.User{ID: botID, Bot: true}
	otherBot := userMsg("2", "<@"+botID+"> which port?", true)
	otherBot.Author = &discordgo.User{ID: "12345", Bot: true}
	webhook := userMsg("3", "<@"+botID+"> which port?", true)
	webhook.WebhookID = "777"
	replyToOther := userMsg("4", "which port?", false)
	replyToOther.ReferencedMessage = &discordgo.Message{ID: "0", Author: &discordgo.User{ID: "31337"}}
	replyToBot := userMsg("6", "", false) // a reply without a ping: no content without the intent
	replyToBot.ReferencedMessage = &discordgo.Message{ID: "a", ChannelID: chanA, Author: &discordgo.User{ID: botID, Bot: true}}
	replyToBot.MessageReference = &discordgo.MessageReference{MessageID: "a", ChannelID: chanA, GuildID: guildA}
	cases := map[string]*discordgo.Message{
		"reply to bot":   replyToBot,
		"plain":          userMsg("0", "which port does the accord open?", false),
		"own message":    own,
		"another bot":    otherBot,
		"webhook":        webhook,
		"reply to other": replyToOther,
		"no author":      {ID: "5", Content: "<@" + botID + ">"},
	}
	for name, m := range cases {
		t.Run(name, func(t *testing.T) {
			if calls := e.message(m); len(calls) != 0 {
				t.Errorf("calls = %+v, want none", calls)
			}
		})
	}
}

func TestEmptyMentionGetsHint(t *testing.T) {
	e := newEnv(t, envOptions{})
	calls := e.message(userMsg("6", "<@"+botID+">   ", true))
	if len(calls) != 1 || !strings.Contains(calls[0].content(), "Ask me a question") {
		t.Fatalf("calls = %+v, want one hint", calls)
	}
	checkNoPings(t, calls)
}

func TestReplyChainBecomesHistory(t *testing.T) {
	var mu sync.Mutex
	var got retrieval.Request
	e := newEnv(t, envOptions{answerer: answerFunc(func(_ context.Context, req retrieval.Request, _ func(string)) (retrieval.Answer, error) {
		mu.Lock()
		got = req
		mu.Unlock()
		return retrieval.Answer{Question: req.Question, Text: "In return they asked for inspections [1].", Mode: retrieval.ModeExtractive,
			Sources: []retrieval.Source{{N: 1, Title: "T", URL: "https://x.example/"}}}, nil
	})})
	bot := &discordgo.User{ID: botID, Bot: true}
	// q1 ← a1 ← q2 ← a2 ← (new question). The event carries a2; the rest
	// is fetched through the message references.
	e.rec.messages["q1"] = &discordgo.Message{ID: "q1", ChannelID: chanA, Author: &discordgo.User{ID: userU}, Content: "<@" + botID + "> who met in Brindle?"}
	e.rec.messages["a1"] = &discordgo.Message{ID: "a1", ChannelID: chanA, Author: bot, Content: "The envoys of Quillan and Dorvast met [1].\n\n**Sources**\n[1. T](<https://x.example/>)",
		MessageReference: &discordgo.MessageReference{MessageID: "q1", ChannelID: chanA}}
	e.rec.messages["q2"] = &discordgo.Message{ID: "q2", ChannelID: chanA, Author: &discordgo.User{ID: userU}, Content: "<@" + botID + "> what did they agree?",
		MessageReference: &discordgo.MessageReference{MessageID: "a1", ChannelID: chanA}}
	a2 := &discordgo.Message{ID: "a2", ChannelID: chanA, Author: bot, Content: "A grain corridor [1].\n\n-# Newest source: today.",
		MessageReference: &discordgo.MessageReference{MessageID: "q2", ChannelID: chanA}}
	m := userMsg("q3", "and what did they ask for in return?", true) // a reply with a ping
	m.ReferencedMessage = a2
	m.MessageReference = &discordgo.MessageReference{MessageID: "a2", ChannelID: chanA}
	// The turns come from the stored answers, not from the messages' text
	// (which the stored text deliberately differs from here).
	e.storeAnswer("ans1", guildA, "who met in Brindle?", "Quillan and Dorvast met [1].", "a1")
	e.storeAnswer("ans2", guildA, "what did they agree?", "They agreed on a grain corridor [1].", "a2", "a2-part2")

	calls := e.message(m)
	want := []retrieval.Turn{
		{Question: "who met in Brindle?", Answer: "Quillan and Dorvast met [1]."},
		{Question: "what did they agree?", Answer: "They agreed on a grain corridor [1]."},
	}
	mu.Lock()
	defer mu.Unlock()
	if got.Question != "and what did they ask for in return?" || len(got.History) != len(want) {
		t.Fatalf("request = %+v, want history %+v", got, want)
	}
	for n := range want {
		if got.History[n] != want[n] {
			t.Errorf("turn %d = %+v, want %+v", n, got.History[n], want[n])
		}
	}
	if last := calls[len(calls)-1]; last.Method != "send" || last.Send.Reference.MessageID != "q3" {
		t.Errorf("the answer does not reply to q3: %+v", last)
	}
}

func TestReplyChainIsBounded(t *testing.T) {
	var history int
	e := newEnv(t, envOptions{answerer: answerFunc(func(_ context.Context, req retrieval.Request, _ func(string)) (retrieval.Answer, error) {
		history = len(req.History)
		return retrieval.Answer{Text: "ok", Mode: retrieval.ModeNone}, nil
	})})
	bot := &discordgo.User{ID: botID, Bot: true}
	// A chain of 40 messages that loops back on itself.
	for k := range 40 {
		id := "m" + string(rune('A'+k))
		author := &discordgo.User{ID: userU}
		if k%2 == 0 {
			author = bot
		}
		next := "m" + string(rune('A'+(k+1)%40))
		e.rec.messages[id] = &discordgo.Message{ID: id, ChannelID: chanA, Author: author, Content: "text " + id,
			MessageReference: &discordgo.MessageReference{MessageID: next}}
		if author == bot {
			e.storeAnswer("ans-"+id, guildA, "question "+id, "answer "+id, id)
		}
	}
	m := userMsg("new", "and then?", true)
	m.MessageReference = &discordgo.MessageReference{MessageID: "mA"}
	calls := e.message(m)
	fetches := 0
	for _, c := range calls {
		if c.Method == "fetch" {
			fetches++
		}
	}
	if fetches > historyDepth || history > historyDepth/2 || history == 0 {
		t.Errorf("%d fetches and %d turns, want at most %d and %d", fetches, history, historyDepth, historyDepth/2)
	}
}

func TestMentionRateLimitedPolitely(t *testing.T) {
	e := newEnv(t, envOptions{cfg: Config{RatePerMinute: 1}})
	e.message(userMsg("1", "<@"+botID+"> which port?", true))
	calls := e.message(userMsg("2", "<@"+botID+"> which port again?", true))
	if len(calls) != 1 || !strings.Contains(calls[0].content(), "please wait") || calls[0].Send.Reference.MessageID != "2" {
		t.Fatalf("calls = %+v, want one reply asking to wait", calls)
	}
}

func TestMentionEngineFailureStillReplies(t *testing.T) {
	e := newEnv(t, envOptions{answerer: answerFunc(func(context.Context, retrieval.Request, func(string)) (retrieval.Answer, error) {
		return retrieval.Answer{}, context.DeadlineExceeded
	})})
	calls := e.message(userMsg("1", "<@"+botID+"> which port?", true))
	if last := calls[len(calls)-1]; last.Method != "send" || last.content() != msgGenericError {
		t.Fatalf("last call = %+v, want the generic apology", last)
	}
}

func TestStripMention(t *testing.T) {
	if got := stripMention("<@1>  hi <@!1> there <@2>", "1"); got != "hi there <@2>" {
		t.Errorf("stripMention = %q", got)
	}
}

// storeAnswer stores an answer as the bot does when it sends one, shown by
// the messages msgIDs.
func (e *env) storeAnswer(id, guildID, question, answer string, msgIDs ...string) {
	e.t.Helper()
	ctx := context.Background()
	if err := e.lib.SaveAnswer(ctx, corpus.AnswerRecord{ID: id, GuildID: guildID, UserID: userU, Question: question, Answer: answer, Sources: "[]", Time: testNow}); err != nil {
		e.t.Fatal(err)
	}
	for _, m := range msgIDs {
		if err := e.lib.SaveAnswerMessage(ctx, m, id); err != nil {
			e.t.Fatal(err)
		}
	}
}

func TestDirectMessageNeedsNoMention(t *testing.T) {
	e := newEnv(t, envOptions{})
	m := userMsg("7", "which port does the Velmora harbour accord open?", false)
	m.GuildID = ""
	calls := e.message(m)
	last := calls[len(calls)-1]
	if last.Method != "send" || !strings.Contains(last.content(), "coastal.example") {
		t.Fatalf("direct message not answered from the shared articles: %+v", last)
	}
	// Guild articles stay out of direct messages.
	m2 := userMsg("8", "what did Tamsin Rook demand in Brindle?", false)
	m2.GuildID = ""
	calls = e.message(m2)
	if got := calls[len(calls)-1].content(); strings.Contains(got, "plains.example") {
		t.Errorf("a direct message sees a guild's article:\n%s", got)
	}
}

func TestMentionOversizedQuestion(t *testing.T) {
	e := newEnv(t, envOptions{})
	calls := e.message(userMsg("9", "<@"+botID+"> "+strings.Repeat("why ", 400), true))
	if len(calls) != 1 || !strings.Contains(calls[0].content(), "too long") {
		t.Fatalf("calls = %+v, want one 'too long' reply", calls)
	}
}

func TestReplyChainIgnoresOtherChannels(t *testing.T) {
	hs := &historyRecorder{}
	e := newEnv(t, envOptions{answerer: hs})
	bot := &discordgo.User{ID: botID, Bot: true}
	e.rec.messages["far"] = &discordgo.Message{ID: "far", ChannelID: "999", Author: bot, Content: "Secret answer [1]."}
	// An event carrying a referenced message from another channel …
	inline := userMsg("n1", "<@"+botID+"> and then?", true)
	inline.ReferencedMessage = &discordgo.Message{ID: "far", ChannelID: "999", GuildID: guildB, Author: bot, Content: "Secret answer [1]."}
	inline.MessageReference = &discordgo.MessageReference{MessageID: "far", ChannelID: "999", GuildID: guildB}
	// … a chain in this channel whose older end points elsewhere …
	e.rec.messages["near"] = &discordgo.Message{ID: "near", ChannelID: chanA, Author: bot, Content: "Near answer [1].",
		MessageReference: &discordgo.MessageReference{MessageID: "far", ChannelID: "999"}}
	e.storeAnswer("ans-near", guildA, "and before?", "Near answer [1].", "near")
	e.storeAnswer("ans-far", guildB, "secret?", "Secret answer [1].", "far", "moved")
	chained := userMsg("n2", "<@"+botID+"> and then?", true)
	chained.MessageReference = &discordgo.MessageReference{MessageID: "near", ChannelID: chanA}
	// … and a fetched message that turns out to live elsewhere.
	e.rec.messages["moved"] = &discordgo.Message{ID: "moved", ChannelID: "999", Author: bot, Content: "Secret answer [1]."}
	fetched := userMsg("n3", "<@"+botID+"> and then?", true)
	fetched.MessageReference = &discordgo.MessageReference{MessageID: "moved"}
	for _, m := range []*discordgo.Message{inline, chained, fetched} {
		for _, c := range e.message(m) {
			if c.Method == "fetch" && c.ChannelID != chanA {
				t.Errorf("%s: fetched from channel %s", m.ID, c.ChannelID)
			}
		}
	}
	got := hs.all()
	if len(got) != 3 || len(got[0]) != 0 || len(got[1]) != 1 || got[1][0].Answer != "Near answer [1]." || len(got[2]) != 0 {
		t.Errorf("histories = %+v, want none, only the near answer, none", got)
	}
}

// With the Message Content intent enabled, a reply without a ping carries
// its text, and it asks.
func TestReplyWithTextAsksWithoutPing(t *testing.T) {
	e := newEnv(t, envOptions{})
	m := userMsg("r1", "which port does the Velmora harbour accord open?", false)
	m.ReferencedMessage = &discordgo.Message{ID: "a", ChannelID: chanA, Author: &discordgo.User{ID: botID, Bot: true}, Content: "Earlier answer."}
	calls := e.message(m)
	if last := calls[len(calls)-1]; last.Method != "send" || !strings.Contains(last.content(), "coastal.example") {
		t.Fatalf("reply with text not answered: %+v", last)
	}
}

// A reply to one of the bot's messages that has no stored answer (pruned,
// or a notice rather than an answer) carries no history: the rendered text
// is never read back. Nor does a stored answer of another guild.
func TestReplyHistoryOnlyFromStoredAnswers(t *testing.T) {
	hs := &historyRecorder{}
	e := newEnv(t, envOptions{answerer: hs})
	bot := &discordgo.User{ID: botID, Bot: true}
	unstored := userMsg("r1", "<@"+botID+"> and then?", true)
	unstored.ReferencedMessage = &discordgo.Message{ID: "plain", ChannelID: chanA, GuildID: guildA, Author: bot,
		Content: "Looks like an answer [1].\n\n**Sources**\n[1. T](<https://x.example/>)"}
	unstored.MessageReference = &discordgo.MessageReference{MessageID: "plain", ChannelID: chanA}
	e.storeAnswer("ans-b", guildB, "other guild?", "Other guild's answer [1].", "forged")
	forged := userMsg("r2", "<@"+botID+"> and then?", true)
	forged.ReferencedMessage = &discordgo.Message{ID: "forged", ChannelID: chanA, GuildID: guildA, Author: bot, Content: "x"}
	forged.MessageReference = &discordgo.MessageReference{MessageID: "forged", ChannelID: chanA}
	e.message(unstored)
	e.message(forged)
	if got := hs.all(); len(got) != 2 || len(got[0]) != 0 || len(got[1]) != 0 {
		t.Errorf("histories = %+v, want none and none", got)
	}
}

// An answer the bot sends is recorded under the id of every message that
// shows it, so that a reply to it finds it again.
func TestSentAnswerIsFoundByMessageID(t *testing.T) {
	e := newEnv(t, envOptions{})
	calls := e.message(userMsg("ask1", "<@"+botID+"> what did the ministers agree?", true))
	var sent int
	for _, c := range calls {
		if c.Method == "send" {
			sent++
		}
	}
	if sent == 0 {
		t.Fatal("no answer sent")
	}
	// The recorder numbers its messages; every one sent here shows the answer.
	found := 0
	for _, id := range e.rec.sentIDs() {
		rec, err := e.lib.AnswerByMessage(context.Background(), id)
		if err != nil {
			t.Fatalf("message %s: %v", id, err)
		}
		if rec.Question != "what did the ministers agree?" || rec.GuildID != guildA {
			t.Errorf("message %s shows %+v", id, rec)
		}
		found++
	}
	if found != sent {
		t.Errorf("%d of %d sent messages lead to the answer", found, sent)
	}
}
