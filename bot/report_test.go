package bot

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/attache-bot/attache/bot/discordtest"
	"github.com/attache-bot/attache/corpus"
)

func reportInteraction(guild string, perms int64, opts ...*discordgo.ApplicationCommandInteractionDataOption) *discordgo.Interaction {
	i := newInteraction(discordgo.InteractionApplicationCommand, guild, userM, perms)
	i.Data = discordgo.ApplicationCommandInteractionData{Name: cmdReport, Options: opts}
	return i
}

func daysOpt(n int) *discordgo.ApplicationCommandInteractionDataOption {
	return &discordgo.ApplicationCommandInteractionDataOption{Name: optDays, Type: discordgo.ApplicationCommandOptionInteger, Value: float64(n)}
}

// reportTexts are the messages a /report ended with: the final edit and
// its follow-ups.
func reportTexts(calls []call) []string {
	var out []string
	for _, c := range calls {
		if c.Method == "edit" || c.Method == "followup" {
			out = append(out, c.content())
		}
	}
	return out
}

// TestReportSlashCommand: /report refuses members and direct messages
// before reading anything, checks days, says plainly when there is
// nothing, and renders hostile question text inert.
func TestReportSlashCommand(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.bot.reports = e.lib
	ctx := context.Background()

	if got := lastText(t, e.run(reportInteraction(guildA, 0))); got != msgNotModerator {
		t.Errorf("a member's /report: %q", got)
	}
	if got := lastText(t, e.run(reportInteraction("", modPerms))); got != msgGuildOnly {
		t.Errorf("/report in a direct message: %q", got)
	}
	for _, d := range []int{0, 31, -5} {
		if got := lastText(t, e.run(reportInteraction(guildA, modPerms, daysOpt(d)))); !strings.Contains(got, "must be 1 to 30") {
			t.Errorf("days %d: %q", d, got)
		}
	}
	calls := e.run(reportInteraction(guildA, modPerms))
	if calls[0].Resp == nil || calls[0].Resp.Type != discordgo.InteractionResponseDeferredChannelMessageWithSource || calls[0].Resp.Data.Flags&discordgo.MessageFlagsEphemeral == 0 {
		t.Errorf("/report should defer privately first: %+v", calls[0])
	}
	if got := reportTexts(calls); len(got) != 1 || !strings.Contains(got[0], "**Not covered**: 0 question(s)") || !strings.Contains(got[0], "**Voted 👎**: 0 answer(s)") || !strings.Contains(got[0], "**Feeds**: 0") {
		t.Errorf("empty report: %q", got)
	}

	hostile := "@everyone <@123> **Breaking** [click](https://evil.example) # heading\n> quote `code`"
	for i, q := range []string{hostile, hostile, "Where is Zembla?"} {
		if err := e.lib.SaveAnswer(ctx, corpus.AnswerRecord{ID: fmt.Sprintf("n%d", i), GuildID: guildA, UserID: userU, Question: q,
			Answer: "The articles here don't cover that.", Sources: "null", Time: testNow.Add(-time.Duration(i+1) * time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.lib.SaveAnswer(ctx, corpus.AnswerRecord{ID: "b1", GuildID: guildB, UserID: userU, Question: "Other server's question",
		Sources: "null", Time: testNow.Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.lib.SaveFeedback(ctx, corpus.Feedback{AnswerID: "x", UserID: userU, GuildID: guildA, Vote: -1, Question: "Who won?",
		Answer: "@here Nobody [1].", Sources: `[{"N":1,"Title":"Vote [count]","Source":"Wire","URL":"https://news.example/v"}]`, Time: testNow.Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	calls = e.run(reportInteraction(guildA, modPerms, daysOpt(7)))
	checkNoPings(t, calls)
	got := strings.Join(reportTexts(calls), "\n")
	for _, want := range []string{"**Not covered**: 3 question(s) asking 2 thing(s)", "• **2×** @\u200beveryone \\<@\u200b123> \\*\\*Breaking\\*\\* \\[click\\]\\(<https://evil.example>) # heading > quote \\`code\\`, last <t:",
		"Where is Zembla?", "**1👎** Who won?", "Answer: @\u200bhere Nobody [1].", "[1] [Vote \\[count\\]](<https://news.example/v>), Wire"} {
		if !strings.Contains(got, want) {
			t.Errorf("report lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "Other server") || strings.Contains(got, "\n> quote") || strings.Contains(got, "\n# heading") {
		t.Errorf("another server's question, or live markdown, in the report:\n%s", got)
	}
}

// TestReportFitsDiscord: a report with many long questions fits in a few
// messages within Discord's limit and says where the rest is.
func TestReportFitsDiscord(t *testing.T) {
	var rep corpus.Report
	for i := range 5000 {
		rep.NotCovered = append(rep.NotCovered, corpus.QuestionGroup{Question: strings.Repeat(fmt.Sprintf("word%d ", i), 200), Count: 1 << 40, Wordings: 1e6, Last: testNow})
	}
	rep.NotCoveredTotal = 1 << 50
	for range 500 {
		rep.Disliked = append(rep.Disliked, corpus.DislikedAnswer{Question: strings.Repeat("q", 5000), Answer: strings.Repeat("a ", 5000), Down: 1 << 30,
			Sources: []corpus.ReportSource{{Title: strings.Repeat("t", 900), URL: "https://news.example/" + strings.Repeat("p", 3000), Source: "S"}, {Title: "2"}, {Title: "3"}, {Title: "4"}}})
	}
	for i := range 60 {
		rep.Feeds = append(rep.Feeds, corpus.FeedHealth{Feed: corpus.Feed{ID: fmt.Sprintf("f-%d", i), Title: strings.Repeat("T", 500), LastError: strings.Repeat("e", 2000), Failures: 1 << 20}, Added: 1 << 30})
	}
	parts := renderReport(rep, 30)
	if len(parts) == 0 || len(parts) > reportParts {
		t.Fatalf("%d parts, want 1 to %d", len(parts), reportParts)
	}
	for i, p := range parts {
		if n := utf16Len(p); n > maxContent {
			t.Errorf("part %d is %d units, over %d", i, n, maxContent)
		}
	}
	all := strings.Join(parts, "\n")
	if !strings.Contains(all, fmt.Sprintf("**Not covered**: %d question(s) asking 5000 thing(s)", 1<<50)) || !strings.Contains(all, fmt.Sprintf("**%d×**", 1<<40)) {
		t.Errorf("the huge counts are not shown exactly:\n%s", all[:min(len(all), 500)])
	}
	if !strings.HasSuffix(parts[len(parts)-1], "the rest is in `attache report`.") {
		t.Errorf("the last part does not say where the rest is: %q", parts[len(parts)-1])
	}
}

// TestE2EReport: a question the articles don't cover and a 👎 on an answer,
// both through the fake Discord, show up in a moderator's /report; a
// member is refused.
func TestE2EReport(t *testing.T) {
	t.Parallel()
	e := startE2E(t, e2eOptions{tune: func(b *Bot) { b.reports = b.catalog.(*corpus.Library) }})

	miss := e.f.SendSlashCommand(cmdAsk, discordtest.Option{Name: optQuestion, Value: "What did the Zembla parliament decide about tourism?"})
	e.final(t, miss, hasAll("don't"))
	ask := e.f.SendSlashCommand(cmdAsk, discordtest.Option{Name: optQuestion, Value: "Which port does the Velmora harbour accord open?"})
	e.final(t, ask, hasAll("Kessel"))
	orig, _ := e.f.Original(ask.Token)
	ids := buttonIDs(orig)
	if len(ids) != 3 {
		t.Fatalf("buttons = %v", ids)
	}
	e.response(t, e.f.Click(orig.ID, ids[2]))

	spec := discordtest.InteractionSpec{Name: cmdReport, Options: []discordtest.Option{{Name: optDays, Value: 7}}}
	e.final(t, e.f.Interaction(spec), hasAll(msgNotModerator))
	spec.Permissions = modPerms
	it := e.f.Interaction(spec)
	got := e.final(t, it, hasAll("**Not covered**: 1 question(s)"))
	for _, want := range []string{"What did the Zembla parliament decide about tourism?", "**1👎** Which port does the Velmora harbour accord open?",
		"Kessel", "Harbour accord signed in Velmora"} {
		if !strings.Contains(got, want) {
			t.Errorf("/report lacks %q:\n%s", want, got)
		}
	}
	if r := e.response(t, it); r.Field("data.flags") != 64.0 {
		t.Errorf("/report was not private: %v", r.Body)
	}
	checkNobodyPinged(t, e.f)
}
