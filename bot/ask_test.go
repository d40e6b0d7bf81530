package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/attache-bot/attache/retrieval"
)

func TestAskDefersThenEditsIntoCitedAnswer(t *testing.T) {
	e := newEnv(t, envOptions{})
	calls := e.run(askInteraction(guildA, userU, "What did Tamsin Rook demand for the grain corridor?", false))
	if len(calls) < 2 {
		t.Fatalf("calls = %d, want a defer and an edit", len(calls))
	}
	first := calls[0]
	if first.Method != "respond" || first.Resp.Type != discordgo.InteractionResponseDeferredChannelMessageWithSource {
		t.Fatalf("first call = %s type %v, want a deferred response", first.Method, first.Resp)
	}
	if first.Resp.Data.Flags&discordgo.MessageFlagsEphemeral != 0 {
		t.Errorf("public /ask deferred as ephemeral")
	}
	last := calls[len(calls)-1]
	if last.Method != "edit" {
		t.Fatalf("last call = %s, want edit", last.Method)
	}
	got := last.content()
	for _, want := range []string{"[1]", "**Sources**", "[1. Quillan talks on grain corridor stall](<https://plains.example/quillan-grain>)", "Plains Herald", "2026-06-08 (2 days ago)"} {
		if !strings.Contains(got, want) {
			t.Errorf("final answer lacks %q:\n%s", want, got)
		}
	}
	ids := customIDs(last.components())
	if len(ids) != 3 || !strings.HasPrefix(ids[0], btnSources) || !strings.HasPrefix(ids[1], btnVoteUp) || !strings.HasPrefix(ids[2], btnVoteDown) {
		t.Errorf("buttons = %v, want Sources, up, down", ids)
	}
	for _, id := range ids {
		if len(id) > 100 {
			t.Errorf("custom id %q longer than 100", id)
		}
	}
	checkNoPings(t, calls)
	if log := e.logs.String(); !strings.Contains(log, "command=ask") || !strings.Contains(log, "sources=") || !strings.Contains(log, "latency_ms=") {
		t.Errorf("no interaction log line: %s", log)
	}
}

func TestAskPrivateIsEphemeral(t *testing.T) {
	e := newEnv(t, envOptions{})
	calls := e.run(askInteraction(guildA, userU, "Where was the harbour accord signed?", true))
	if calls[0].Resp.Data.Flags&discordgo.MessageFlagsEphemeral == 0 {
		t.Errorf("private /ask deferred publicly")
	}
}

func TestAskGuildIsolation(t *testing.T) {
	e := newEnv(t, envOptions{})
	q := "What did the Quillan envoy Tamsin Rook demand in Brindle?"
	inA := e.run(askInteraction(guildA, userU, q, false))
	if got := inA[len(inA)-1].content(); !strings.Contains(got, "plains.example") {
		t.Errorf("guild A does not see its own article:\n%s", got)
	}
	inB := e.run(askInteraction(guildB, userU, q, false))
	// Guild B's answer may repeat the names the member asked about, but
	// nothing of guild A's article.
	if got := inB[len(inB)-1].content(); strings.Contains(got, "plains.example") || !strings.Contains(got, "don't mention") {
		t.Errorf("guild B sees guild A's article:\n%s", got)
	}
	dm := e.run(askInteraction("", userU, q, false))
	if got := dm[len(dm)-1].content(); strings.Contains(got, "plains.example") {
		t.Errorf("a direct message sees guild A's article:\n%s", got)
	}
	shared := e.run(askInteraction(guildB, userU, "Which port does the Velmora harbour accord open?", false))
	if got := shared[len(shared)-1].content(); !strings.Contains(got, "coastal.example") {
		t.Errorf("guild B does not see the shared article:\n%s", got)
	}
}

func TestAskRejectsBadQuestionsBeforeDeferring(t *testing.T) {
	cases := map[string]string{
		"empty":       "   ",
		"too long":    strings.Repeat("é", maxQuestionRunes+1),
		"invalid utf": "who \xff\xfe signed?",
	}
	for name, q := range cases {
		t.Run(name, func(t *testing.T) {
			asked := false
			e := newEnv(t, envOptions{answerer: answerFunc(func(context.Context, retrieval.Request, func(string)) (retrieval.Answer, error) {
				asked = true
				return retrieval.Answer{}, nil
			})})
			calls := e.run(askInteraction(guildA, userU, q, false))
			if len(calls) != 1 || calls[0].Resp.Type != discordgo.InteractionResponseChannelMessageWithSource ||
				calls[0].Resp.Data.Flags&discordgo.MessageFlagsEphemeral == 0 {
				t.Fatalf("calls = %+v, want one ephemeral reply", calls)
			}
			if asked {
				t.Errorf("the engine was asked %q", q)
			}
		})
	}
}

func TestAskHostileTextCannotPing(t *testing.T) {
	e := newEnv(t, envOptions{answerer: answerFunc(func(context.Context, retrieval.Request, func(string)) (retrieval.Answer, error) {
		return retrieval.Answer{Text: "@everyone look <@&123> and <@456> @here [1]", Mode: retrieval.ModeLLM,
			Sources: []retrieval.Source{{N: 1, Title: "@everyone [x](http://evil)", URL: "https://a.example/x", Source: "<@789>"}}}, nil
	})})
	calls := e.run(askInteraction(guildA, userU, "hello?", false))
	got := calls[len(calls)-1].content()
	for _, bad := range []string{"@everyone", "@here", "<@&123>", "<@456>", "<@789>", "[x](http://evil)"} {
		if strings.Contains(got, bad) {
			t.Errorf("answer contains live %q:\n%s", bad, got)
		}
	}
	checkNoPings(t, calls)
}

func TestAskEngineFailureGivesPoliteFinalMessage(t *testing.T) {
	e := newEnv(t, envOptions{answerer: answerFunc(func(context.Context, retrieval.Request, func(string)) (retrieval.Answer, error) {
		return retrieval.Answer{}, errors.New("sqlite: disk I/O error at /secret/path")
	})})
	calls := e.run(askInteraction(guildA, userU, "Who signed?", false))
	last := calls[len(calls)-1]
	if last.Method != "edit" || last.content() != msgGenericError {
		t.Fatalf("last call = %s %q, want the generic apology", last.Method, last.content())
	}
	if !strings.Contains(e.logs.String(), "/secret/path") {
		t.Errorf("the error's details are not logged")
	}
}

func TestAskPanicStillEndsWithMessage(t *testing.T) {
	e := newEnv(t, envOptions{answerer: answerFunc(func(context.Context, retrieval.Request, func(string)) (retrieval.Answer, error) {
		panic("boom")
	})})
	calls := e.run(askInteraction(guildA, userU, "Who signed?", false))
	if last := calls[len(calls)-1]; last.content() != msgGenericError {
		t.Fatalf("last call = %s %q, want the generic apology", last.Method, last.content())
	}
}

func TestAskRateLimitPerUser(t *testing.T) {
	e := newEnv(t, envOptions{cfg: Config{RatePerMinute: 2}})
	clock := testNow
	e.bot.now = func() time.Time { return clock }
	q := "Where was the harbour accord signed?"
	for n := range 2 {
		if c := e.run(askInteraction(guildA, userU, q, false)); c[0].Resp.Type != discordgo.InteractionResponseDeferredChannelMessageWithSource {
			t.Fatalf("question %d refused", n+1)
		}
	}
	c := e.run(askInteraction(guildA, userU, q, false))
	if len(c) != 1 || c[0].Resp.Type != discordgo.InteractionResponseChannelMessageWithSource ||
		c[0].Resp.Data.Flags&discordgo.MessageFlagsEphemeral == 0 || !strings.Contains(c[0].content(), "wait 30 s") {
		t.Fatalf("third question: %+v, want an ephemeral 'wait 30 s'", c[0].content())
	}
	// Another user is not limited by the first one.
	if c := e.run(askInteraction(guildA, userM, q, false)); c[0].Resp.Type != discordgo.InteractionResponseDeferredChannelMessageWithSource {
		t.Errorf("another user was refused")
	}
	clock = clock.Add(30 * time.Second)
	if c := e.run(askInteraction(guildA, userU, q, false)); c[0].Resp.Type != discordgo.InteractionResponseDeferredChannelMessageWithSource {
		t.Errorf("refused after waiting 30 s")
	}
}

func TestAskQueuesBeyondMaxConcurrent(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{}, 4)
	e := newEnv(t, envOptions{cfg: Config{MaxConcurrent: 1}, answerer: answerFunc(func(ctx context.Context, req retrieval.Request, _ func(string)) (retrieval.Answer, error) {
		started <- struct{}{}
		<-release
		return retrieval.Answer{Question: req.Question, Text: "Done.", Mode: retrieval.ModeNone}, nil
	})})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		e.run(askInteraction(guildA, userU, "first?", false))
	}()
	<-started // the first answer holds the only slot
	second := askInteraction(guildA, userM, "second?", false)
	wg.Add(1)
	go func() {
		defer wg.Done()
		e.bot.handleInteraction(e.ctx, e.rec, &discordgo.InteractionCreate{Interaction: second})
	}()
	// Wait until the second question has told its user it is queued.
	e.rec.waitFor(t, func(calls []call) bool {
		for _, c := range calls {
			if c.I == second && c.Method == "edit" && strings.Contains(c.content(), "queue") {
				return true
			}
		}
		return false
	})
	close(release)
	wg.Wait()
	var finals int
	for _, c := range e.rec.all() {
		if c.Method == "edit" && strings.HasPrefix(c.content(), "Done.") {
			finals++
		}
	}
	if finals != 2 {
		t.Errorf("%d final answers, want 2", finals)
	}
}

func TestAskStreamsThrottledPreviewsThenFinal(t *testing.T) {
	var rec *recorder
	e := newEnv(t, envOptions{answerer: answerFunc(func(_ context.Context, req retrieval.Request, onDelta func(string)) (retrieval.Answer, error) {
		onDelta("word0 ")
		// The first piece is shown at once …
		rec.waitFor(t, func(calls []call) bool {
			return len(calls) > 1 && strings.Contains(calls[len(calls)-1].content(), "word0")
		})
		// … and the rest waits for the interval.
		for n := 1; n < 200; n++ {
			onDelta(fmt.Sprintf("word%d ", n))
		}
		return retrieval.Answer{Question: req.Question, Text: "Final text [1].", Mode: retrieval.ModeLLM,
			Sources: []retrieval.Source{{N: 1, Title: "T", URL: "https://x.example/"}}}, nil
	})})
	// An interval no test run reaches: exactly one preview goes out.
	e.bot.editInterval = time.Hour
	rec = e.rec
	calls := e.run(askInteraction(guildA, userU, "q?", false))
	var previews []string
	for _, c := range calls[1 : len(calls)-1] {
		if c.Method == "edit" {
			previews = append(previews, c.content())
		}
	}
	if len(previews) != 1 || !strings.Contains(previews[0], "writing") {
		t.Errorf("previews = %q, want exactly one with a writing mark", previews)
	}
	if got := calls[len(calls)-1].content(); !strings.HasPrefix(got, "Final text [1].") {
		t.Errorf("final edit = %q", got)
	}
}

func TestAskLongAnswerSplitsIntoFollowups(t *testing.T) {
	long := strings.Repeat("The envoys met again in the capital and discussed the corridor at length [1]. ", 60)
	e := newEnv(t, envOptions{answerer: answerFunc(func(_ context.Context, req retrieval.Request, _ func(string)) (retrieval.Answer, error) {
		return retrieval.Answer{Question: req.Question, Text: long, Mode: retrieval.ModeLLM,
			Sources: []retrieval.Source{{N: 1, Title: "T", URL: "https://x.example/"}}}, nil
	})})
	calls := e.run(askInteraction(guildA, userU, "q?", true))
	parts := calls[1:]
	if len(parts) < 3 || parts[0].Method != "edit" || parts[1].Method != "followup" {
		t.Fatalf("calls = %d (%s, %s…), want an edit then follow-ups", len(parts), parts[0].Method, parts[1].Method)
	}
	for n, p := range parts {
		if utf16Len(p.content()) > maxContent {
			t.Errorf("part %d is %d long", n, utf16Len(p.content()))
		}
		if p.Method == "followup" && p.Params.Flags&discordgo.MessageFlagsEphemeral == 0 {
			t.Errorf("follow-up %d of a private answer is public", n)
		}
		if hasButtons := len(p.components()) > 0; hasButtons != (n == len(parts)-1) {
			t.Errorf("part %d has buttons = %v; only the last should", n, hasButtons)
		}
	}
}

func TestShutdownRefusesNewWork(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.bot.shutdown(func(error) {})
	calls := e.run(askInteraction(guildA, userU, "Who signed?", false))
	if len(calls) != 1 || calls[0].content() != msgShuttingDown || calls[0].Resp.Data.Flags&discordgo.MessageFlagsEphemeral == 0 {
		t.Fatalf("calls = %+v, want one ephemeral shutting-down reply", calls)
	}
}

func TestShutdownCancelsAnswersWithFinalMessage(t *testing.T) {
	started := make(chan struct{})
	e := newEnv(t, envOptions{answerer: answerFunc(func(ctx context.Context, _ retrieval.Request, _ func(string)) (retrieval.Answer, error) {
		close(started)
		<-ctx.Done()
		return retrieval.Answer{}, ctx.Err()
	})})
	ctx, cancel := context.WithCancelCause(context.Background())
	done := make(chan struct{})
	i := askInteraction(guildA, userU, "Who signed?", false)
	go func() {
		defer close(done)
		e.bot.handleInteraction(ctx, e.rec, &discordgo.InteractionCreate{Interaction: i})
	}()
	<-started
	cancel(errShutdown)
	<-done
	calls := e.rec.all()
	if last := calls[len(calls)-1]; last.Method != "edit" || last.content() != msgShuttingDown {
		t.Fatalf("last call = %s %q, want the shutting-down message", last.Method, last.content())
	}
}

func TestDiscordFailuresAreLogged(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.rec.setFail("edit", errors.New("HTTP 500 from discord"))
	q := "Which port does the Velmora harbour accord open?"
	// An original that cannot be edited: the answer goes out as a follow-up.
	calls := e.run(askInteraction(guildA, userU, q, false))
	if last := calls[len(calls)-1]; last.Method != "followup" || !strings.Contains(last.content(), "Kessel") {
		t.Errorf("last call = %s %q, want the answer as a follow-up", last.Method, last.content())
	}
	// Nothing gets through: the apology is attempted and everything logged.
	e.rec.setFail("followup", errors.New("HTTP 500 from discord"))
	calls = e.run(askInteraction(guildA, userU, q, false))
	if n := len(calls); n < 4 || calls[n-1].Method != "followup" || calls[n-1].content() != msgGenericError {
		t.Errorf("calls = %d, want the answer edit, its follow-up, then an apology attempt", n)
	}
	log := e.logs.String()
	if !strings.Contains(log, "HTTP 500 from discord") || !strings.Contains(log, "final reply failed") || !strings.Contains(log, "outcome=error") {
		t.Errorf("failures not logged:\n%s", log)
	}
}

func TestMalformedInteractionsGetAReply(t *testing.T) {
	e := newEnv(t, envOptions{})
	cases := map[string]*discordgo.Interaction{
		"command without data": newInteraction(discordgo.InteractionApplicationCommand, guildA, userU, 0),
		"unknown command": func() *discordgo.Interaction {
			i := newInteraction(discordgo.InteractionApplicationCommand, guildA, userU, 0)
			i.Data = discordgo.ApplicationCommandInteractionData{Name: "frobnicate"}
			return i
		}(),
		"unknown button": buttonInteraction(guildA, userU, 0, "nope:1"),
		"ask with wrong option types": func() *discordgo.Interaction {
			i := askInteraction(guildA, userU, "x", false)
			i.Data = discordgo.ApplicationCommandInteractionData{Name: cmdAsk, Options: []*discordgo.ApplicationCommandInteractionDataOption{
				{Name: optQuestion, Type: discordgo.ApplicationCommandOptionInteger, Value: 3.0},
			}}
			return i
		}(),
	}
	for name, i := range cases {
		t.Run(name, func(t *testing.T) {
			calls := e.run(i)
			if len(calls) != 1 || calls[0].Resp == nil || calls[0].Resp.Data.Flags&discordgo.MessageFlagsEphemeral == 0 {
				t.Fatalf("calls = %+v, want one ephemeral reply", calls)
			}
		})
	}
}
