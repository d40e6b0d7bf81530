package bot

import (
	"strings"
	"testing"

	"github.com/bwmarrin/discordgo"
)

// askAndButtons asks a question in guild and returns the answer's button ids.
func askAndButtons(t *testing.T, e *env, guild string) (src, up, down string) {
	t.Helper()
	calls := e.run(askInteraction(guild, userU, "Which port does the Velmora harbour accord open?", false))
	ids := customIDs(calls[len(calls)-1].components())
	if len(ids) != 3 {
		t.Fatalf("buttons = %v", ids)
	}
	return ids[0], ids[1], ids[2]
}

func TestSourcesButtonShowsExcerptsPrivately(t *testing.T) {
	e := newEnv(t, envOptions{})
	src, _, _ := askAndButtons(t, e, guildA)
	calls := e.run(buttonInteraction(guildA, userM, 0, src))
	if len(calls) != 1 {
		t.Fatalf("calls = %+v", calls)
	}
	c := calls[0]
	if c.Resp.Type != discordgo.InteractionResponseChannelMessageWithSource || c.Resp.Data.Flags&discordgo.MessageFlagsEphemeral == 0 {
		t.Errorf("Sources reply is not ephemeral")
	}
	if got := c.content(); !strings.Contains(got, "Harbour accord signed in Velmora") || !strings.Contains(got, "\n> ") || !strings.Contains(got, "Kessel") {
		t.Errorf("Sources reply:\n%s", got)
	}
	checkNoPings(t, calls)
}

func TestSourcesButtonSurvivesRestart(t *testing.T) {
	e := newEnv(t, envOptions{})
	src, _, _ := askAndButtons(t, e, guildA)
	// A new bot over the same library: what a restart leaves.
	b2, err := newBot(nil, Config{Token: "t"}, e.bot.deps)
	if err != nil {
		t.Fatal(err)
	}
	e.bot = b2
	if c := e.run(buttonInteraction(guildA, userU, 0, src)); !strings.Contains(c[0].content(), "Harbour accord") {
		t.Errorf("after restart: %s", c[0].content())
	}
}

func TestAnswerButtonsRejectForeignOrBrokenIDs(t *testing.T) {
	e := newEnv(t, envOptions{})
	src, up, _ := askAndButtons(t, e, guildA)
	cases := map[string]struct{ guild, id, want string }{
		"other guild":    {guildB, src, "no longer have"},
		"other guild up": {guildB, up, "no longer have"},
		"unknown":        {guildA, btnSources + "0123456789abcdef", "no longer have"},
		"malformed":      {guildA, btnSources + "'; DROP TABLE answers; --", "broken"},
		"empty":          {guildA, btnVoteDown, "broken"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			calls := e.run(buttonInteraction(c.guild, userU, 0, c.id))
			if len(calls) != 1 || !strings.Contains(calls[0].content(), c.want) || calls[0].Resp.Data.Flags&discordgo.MessageFlagsEphemeral == 0 {
				t.Errorf("calls = %+v, want an ephemeral %q", calls, c.want)
			}
		})
	}
}

func TestOneVotePerUserPerAnswer(t *testing.T) {
	e := newEnv(t, envOptions{})
	_, up, down := askAndButtons(t, e, guildA)
	if c := e.run(buttonInteraction(guildA, userU, 0, up)); !strings.Contains(c[0].content(), "Thanks") {
		t.Errorf("first vote: %s", c[0].content())
	}
	if c := e.run(buttonInteraction(guildA, userU, 0, up)); !strings.Contains(c[0].content(), "already voted 👍") {
		t.Errorf("the same vote again: %s", c[0].content())
	}
	if c := e.run(buttonInteraction(guildA, userU, 0, down)); !strings.Contains(c[0].content(), "Changed your vote to 👎") {
		t.Errorf("changed vote: %s", c[0].content())
	}
	if c := e.run(buttonInteraction(guildA, userU, 0, up)); !strings.Contains(c[0].content(), "Changed your vote to 👍") {
		t.Errorf("changed back: %s", c[0].content())
	}
	if c := e.run(buttonInteraction(guildA, userM, 0, down)); !strings.Contains(c[0].content(), "Thanks") {
		t.Errorf("another user's vote: %s", c[0].content())
	}
	votes, err := e.lib.Feedback(e.ctx, guildA)
	if err != nil {
		t.Fatal(err)
	}
	if len(votes) != 2 {
		t.Fatalf("%d votes stored, want 2", len(votes))
	}
	for _, v := range votes {
		want := map[string]int{userU: 1, userM: -1}[v.UserID]
		if v.Vote != want || v.GuildID != guildA || !strings.Contains(v.Question, "Velmora") || v.Answer == "" || !strings.Contains(v.Sources, "coastal.example") || v.Time.IsZero() {
			t.Errorf("stored vote %+v", v)
		}
	}
}
