package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/attache-bot/attache/corpus"
)

// /outlet label|unlabel|list: moderators label the outlets of their
// server's answers ("wire", "state media", "official", "opinion"); the
// label shows next to the outlet on every source line and in the line
// naming an answer's outlets.

const (
	cmdOutlet  = "outlet"
	subLabel   = "label"
	subUnlabel = "unlabel"
	optName    = "name"
	optLabel   = "label"
)

// Outlets keeps outlet labels per scope (corpus.Library and the
// PostgreSQL library are two). SetOutletLabel clears the label when label
// is "" (corpus.ErrNotFound when there was none) and checks names and
// labels (corpus.ErrInvalidLabel); OutletLabels and Outlets list the
// scopes' labels and their articles' outlets.
type Outlets interface {
	SetOutletLabel(ctx context.Context, scope, outlet, label string, at time.Time) error
	OutletLabels(ctx context.Context, scopes ...string) ([]corpus.OutletLabel, error)
	Outlets(ctx context.Context, scopes ...string) ([]corpus.OutletCount, error)
}

var _ Outlets = (*corpus.Library)(nil)

// outletCommand is /outlet, for moderators in guilds.
func outletCommand() *discordgo.ApplicationCommand {
	perm := moderatorPerms
	name := func(desc string) *discordgo.ApplicationCommandOption {
		return &discordgo.ApplicationCommandOption{
			Type: discordgo.ApplicationCommandOptionString, Name: optName, Description: desc,
			Required: true, Autocomplete: true, MaxLength: corpus.MaxOutletRunes,
		}
	}
	return &discordgo.ApplicationCommand{
		Name:                     cmdOutlet,
		Description:              "Label the outlets of this server's answers: wire, state media, official, opinion (moderators)",
		DefaultMemberPermissions: &perm,
		Contexts:                 &[]discordgo.InteractionContextType{discordgo.InteractionContextGuild},
		Options: []*discordgo.ApplicationCommandOption{
			{
				Type: discordgo.ApplicationCommandOptionSubCommand, Name: subLabel,
				Description: "Label an outlet; the label shows next to it in answers",
				Options: []*discordgo.ApplicationCommandOption{name("The outlet (start typing its name)"), {
					Type: discordgo.ApplicationCommandOptionString, Name: optLabel, Required: true, MaxLength: corpus.MaxLabelRunes,
					Description: "e.g. wire, state media, official, opinion (letters, digits, spaces, - ' . & /)",
				}},
			},
			{
				Type: discordgo.ApplicationCommandOptionSubCommand, Name: subUnlabel,
				Description: "Clear an outlet's label",
				Options:     []*discordgo.ApplicationCommandOption{name("The outlet (start typing its name)")},
			},
			{
				Type: discordgo.ApplicationCommandOptionSubCommand, Name: subList,
				Description: "List the outlets of this server's articles with their labels",
			},
		},
	}
}

// handleOutlet runs /outlet label|unlabel|list after the moderator check.
func (b *Bot) handleOutlet(ctx context.Context, it *interaction, data discordgo.ApplicationCommandInteractionData) error {
	if refused, err := b.refuseNonModerator(ctx, it); refused {
		return err
	}
	if b.outlets == nil {
		it.outcome = "refused: no outlet labels"
		return it.reply(ctx, "Outlet labels are not available in this attache.")
	}
	if len(data.Options) == 0 {
		return it.reply(ctx, "Use `/outlet label`, `/outlet unlabel` or `/outlet list`.")
	}
	sub := data.Options[0]
	str := func(name string) string {
		if o := findOption(sub.Options, name, discordgo.ApplicationCommandOptionString); o != nil {
			return o.StringValue()
		}
		return ""
	}
	switch sub.Name {
	case subLabel:
		return b.outletLabel(ctx, it, str(optName), str(optLabel))
	case subUnlabel:
		return b.outletUnlabel(ctx, it, str(optName))
	case subList:
		return b.outletList(ctx, it)
	}
	return it.reply(ctx, "I don't know that subcommand.")
}

// shownOutlet is an outlet's name as plain bold-free text for a message.
func shownOutlet(name string) string {
	return escapeMarkdown(neutralise(truncateRunes(oneLine(name), 80)))
}

// labelRefusal is the reply to a name or label that corpus refused.
func labelRefusal(err error) string {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, corpus.ErrInvalidLabel.Error()+": ")
	return "I can't use that: " + escapeMarkdown(neutralise(oneLine(msg))) + "."
}

func (b *Bot) outletLabel(ctx context.Context, it *interaction, name, label string) error {
	outlet, err := corpus.CleanOutlet(name)
	if err == nil {
		label, err = corpus.CleanLabel(label)
	}
	if err != nil {
		it.outcome = "invalid label"
		return it.reply(ctx, labelRefusal(err))
	}
	err = b.outlets.SetOutletLabel(ctx, it.i.GuildID, outlet, label, b.now())
	switch {
	case errors.Is(err, corpus.ErrTooManyLabels):
		it.outcome = "too many labels"
		return it.reply(ctx, fmt.Sprintf("This server has labelled %d outlets, the most it may; clear one with `/outlet unlabel` first.", corpus.MaxOutletLabels))
	case errors.Is(err, corpus.ErrInvalidLabel):
		it.outcome = "invalid label"
		return it.reply(ctx, labelRefusal(err))
	case err != nil:
		return fmt.Errorf("set outlet label: %w", err)
	}
	it.outcome = "labelled"
	msg := fmt.Sprintf("**%s** is labelled **%s** in this server's answers.", shownOutlet(outlet), escapeMarkdown(label))
	if known, err := b.outlets.Outlets(ctx, corpus.SharedScope, it.i.GuildID); err == nil && !corpus.HasOutlet(known, outlet) {
		msg += " No article here comes from it yet; the label shows once one does."
	}
	return it.reply(ctx, msg)
}

func (b *Bot) outletUnlabel(ctx context.Context, it *interaction, name string) error {
	outlet, err := corpus.CleanOutlet(name)
	if err != nil {
		it.outcome = "invalid label"
		return it.reply(ctx, labelRefusal(err))
	}
	err = b.outlets.SetOutletLabel(ctx, it.i.GuildID, outlet, "", b.now())
	switch {
	case errors.Is(err, corpus.ErrNotFound):
		it.outcome = "not found"
		return it.reply(ctx, fmt.Sprintf("**%s** has no label in this server; `/outlet list` shows the labels.", shownOutlet(outlet)))
	case err != nil:
		return fmt.Errorf("clear outlet label: %w", err)
	}
	it.outcome = "unlabelled"
	return it.reply(ctx, fmt.Sprintf("Cleared the label of **%s** in this server.", shownOutlet(outlet)))
}

// outletList lists the outlets of the server's answers (its articles and
// the shared ones), most articles first, with their labels; labelled
// outlets without articles follow.
func (b *Bot) outletList(ctx context.Context, it *interaction) error {
	scopes := []string{corpus.SharedScope, it.i.GuildID}
	outlets, err := b.outlets.Outlets(ctx, scopes...)
	if err != nil {
		return fmt.Errorf("list outlets: %w", err)
	}
	labels, err := b.outlets.OutletLabels(ctx, scopes...)
	if err != nil {
		return fmt.Errorf("list outlet labels: %w", err)
	}
	it.outcome = "listed"
	rows := corpus.WithLabels(outlets, labels)
	if len(rows) == 0 {
		return it.reply(ctx, "This server's answers have no outlets yet.")
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "**Outlets of this server's answers** (%d)", len(outlets))
	var lines []string
	for _, o := range rows {
		s := fmt.Sprintf("\n• %s: %d articles", shownOutlet(o.Outlet), o.Articles)
		if l := o.Label; l.Label != "" {
			where := "this server"
			if l.Scope == corpus.SharedScope {
				where = "all servers"
			}
			s += fmt.Sprintf(", labelled **%s** (%s)", escapeMarkdown(l.Label), where)
		}
		lines = append(lines, s)
	}
	for _, l := range lines {
		if sb.Len()+len(l) > 1900 {
			sb.WriteString("\n…")
			break
		}
		sb.WriteString(l)
	}
	return it.reply(ctx, sb.String())
}

// handleOutletAutocomplete suggests the outlets of the server's articles
// whose name contains what the moderator typed, most articles first.
func (b *Bot) handleOutletAutocomplete(ctx context.Context, it *interaction, data discordgo.ApplicationCommandInteractionData) error {
	choices := []*discordgo.ApplicationCommandOptionChoice{}
	if it.i.GuildID != "" && b.outlets != nil && b.isModerator(ctx, it.s, it.i.GuildID, it.i.Member) {
		typed := ""
		if len(data.Options) > 0 {
			for _, o := range data.Options[0].Options {
				if o.Focused {
					typed, _ = o.Value.(string)
				}
			}
		}
		typed = corpus.OutletKey(firstRunes(typed, maxTypedRunes))
		outlets, err := b.outlets.Outlets(ctx, corpus.SharedScope, it.i.GuildID)
		if err != nil {
			return fmt.Errorf("suggest outlets: %w", err)
		}
		for _, o := range outlets {
			if len(choices) == maxChoices {
				break
			}
			name := oneLine(o.Outlet)
			if typed != "" && !strings.Contains(corpus.OutletKey(name), typed) || name == "" || len([]rune(name)) > maxChoiceRunes {
				continue
			}
			choices = append(choices, &discordgo.ApplicationCommandOptionChoice{Name: name, Value: name})
		}
	} else {
		it.outcome = "refused: not a moderator"
	}
	it.sources = len(choices)
	return it.respond(ctx, &discordgo.InteractionResponse{
		Type: discordgo.InteractionApplicationCommandAutocompleteResult,
		Data: &discordgo.InteractionResponseData{Choices: choices},
	})
}
