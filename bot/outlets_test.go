package bot

import (
	"strings"
	"testing"

	"github.com/bwmarrin/discordgo"

	"github.com/attache-bot/attache/corpus"
)

func outletInteraction(guild string, perms int64, sub string, opts ...*discordgo.ApplicationCommandInteractionDataOption) *discordgo.Interaction {
	i := newInteraction(discordgo.InteractionApplicationCommand, guild, userM, perms)
	i.Data = discordgo.ApplicationCommandInteractionData{Name: cmdOutlet, Options: []*discordgo.ApplicationCommandInteractionDataOption{
		{Name: sub, Type: discordgo.ApplicationCommandOptionSubCommand, Options: opts},
	}}
	return i
}

// TestOutletSlashCommands: /outlet label, unlabel and list for
// moderators; the label shows in the server's answers and nowhere else.
func TestOutletSlashCommands(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.bot.outlets = e.lib
	label := func(guild string, perms int64, name, label string) string {
		return lastText(t, e.run(outletInteraction(guild, perms, subLabel, strOpt(optName, name), strOpt(optLabel, label))))
	}
	if got := label(guildA, 0, "Coastal Wire", "wire"); got != msgNotModerator {
		t.Errorf("a member's /outlet label: %q", got)
	}
	if got := label("", modPerms, "Coastal Wire", "wire"); got != msgGuildOnly {
		t.Errorf("/outlet in a direct message: %q", got)
	}
	if ls, _ := e.lib.OutletLabels(e.ctx, guildA); len(ls) != 0 {
		t.Fatalf("a refused label was stored: %+v", ls)
	}
	for name, c := range map[string]struct{ name, label, want string }{
		"empty name":      {"  ", "wire", "name is empty"},
		"empty label":     {"Coastal Wire", " ", "label is empty"},
		"long label":      {"Coastal Wire", strings.Repeat("w", corpus.MaxLabelRunes+1), "too long"},
		"long name":       {strings.Repeat("n", corpus.MaxOutletRunes+1), "wire", "too long"},
		"markdown label":  {"Coastal Wire", "**wire**", "only letters"},
		"mention label":   {"Coastal Wire", "@everyone", "only letters"},
		"link label":      {"Coastal Wire", "[x](https://e.x)", "only letters"},
		"control label":   {"Coastal Wire", "wi\x1b[2Jre", "only letters"},
		"control name":    {"Coastal\x00Wire", "wire", "control character"},
		"invisible name":  {"Coastal\u200bWire", "wire", "control character"},
		"hostile mention": {"<@123>", "@here", "only letters"},
	} {
		got := label(guildA, modPerms, c.name, c.label)
		if !strings.Contains(got, c.want) || strings.Contains(got, "@everyone") || strings.Contains(got, "@here") {
			t.Errorf("%s: %q, want a refusal saying %q that pings no one", name, got, c.want)
		}
	}
	if ls, _ := e.lib.OutletLabels(e.ctx, guildA); len(ls) != 0 {
		t.Fatalf("bad input was stored: %+v", ls)
	}

	if got := label(guildA, modPerms, "coastal   wire", "state media"); !strings.Contains(got, "**coastal wire** is labelled **state media**") || strings.Contains(got, "No article") {
		t.Errorf("/outlet label: %q", got)
	}
	if got := label(guildA, modPerms, "Nowhere News", "opinion"); !strings.Contains(got, "No article here comes from it yet") {
		t.Errorf("labelling an unknown outlet: %q", got)
	}
	if err := e.lib.SetOutletLabel(e.ctx, corpus.SharedScope, "Plains Herald", "official", testNow); err != nil {
		t.Fatal(err)
	}

	// An outlet name may hold markdown and mentions (it must match what
	// articles carry); every message shows it inert.
	if got := label(guildA, modPerms, "**Evil** @everyone <@1> [x](https://e.x)", "opinion"); strings.Contains(got, "@everyone") || strings.Contains(got, "**Evil**") || strings.Contains(got, "<@1>") {
		t.Errorf("a hostile outlet name formats or pings: %q", got)
	}
	list := lastText(t, e.run(outletInteraction(guildA, modPerms, subList)))
	if strings.Contains(list, "@everyone") || strings.Contains(list, "**Evil**") || strings.Contains(list, "<@1>") || strings.Contains(list, "[x](https") {
		t.Errorf("/outlet list shows a hostile name raw:\n%s", list)
	}
	for _, want := range []string{"Coastal Wire: 1 articles, labelled **state media** (this server)", "Plains Herald: 1 articles, labelled **official** (all servers)", "Nowhere News: 0 articles, labelled **opinion**"} {
		if !strings.Contains(list, want) {
			t.Errorf("/outlet list lacks %q:\n%s", want, list)
		}
	}

	// The label shows in this server's answers, on the source line and in
	// the outlets line; another server sees only the shared label.
	answer := func(guild string) string {
		calls := e.run(askInteraction(guild, userU, "What did the harbour accord in Velmora open?", false))
		return lastText(t, calls)
	}
	if got := answer(guildA); !strings.Contains(got, "Coastal Wire (state media), 2026-06-03") || !strings.Contains(got, "outlet: Coastal Wire (state media)") {
		t.Errorf("guild A's answer does not show the label:\n%s", got)
	}
	if got := answer(guildB); strings.Contains(got, "state media") || !strings.Contains(got, "Coastal Wire, 2026-06-03") {
		t.Errorf("guild B's answer shows guild A's label:\n%s", got)
	}

	auto := newInteraction(discordgo.InteractionApplicationCommandAutocomplete, guildA, userM, modPerms)
	auto.Data = discordgo.ApplicationCommandInteractionData{Name: cmdOutlet, Options: []*discordgo.ApplicationCommandInteractionDataOption{
		{Name: subLabel, Type: discordgo.ApplicationCommandOptionSubCommand, Options: []*discordgo.ApplicationCommandInteractionDataOption{
			{Name: optName, Type: discordgo.ApplicationCommandOptionString, Value: "PLAINS", Focused: true},
		}},
	}}
	if ch := e.run(auto)[0].Resp.Data.Choices; len(ch) != 1 || ch[0].Value != "Plains Herald" {
		t.Errorf("autocomplete: %+v", ch)
	}
	auto.Member.Permissions = 0
	if ch := e.run(auto)[0].Resp.Data.Choices; len(ch) != 0 {
		t.Errorf("a member's autocomplete: %+v", ch)
	}

	unlabel := func(name string) string {
		return lastText(t, e.run(outletInteraction(guildA, modPerms, subUnlabel, strOpt(optName, name))))
	}
	if got := unlabel("COASTAL WIRE"); !strings.Contains(got, "Cleared the label of **COASTAL WIRE**") {
		t.Errorf("/outlet unlabel: %q", got)
	}
	if got := unlabel("Coastal Wire"); !strings.Contains(got, "has no label") {
		t.Errorf("unlabelling twice: %q", got)
	}
	if got := answer(guildA); strings.Contains(got, "state media") {
		t.Errorf("a cleared label still shows:\n%s", got)
	}
}
