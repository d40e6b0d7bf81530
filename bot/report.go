package bot

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/attache-bot/attache/corpus"
)

const (
	cmdReport = "report"
	optDays   = "days"

	defaultReportDays = 7
	// reportParts is how many messages one /report sends at most; what does
	// not fit is counted and left to `attache report`.
	reportParts = 3
	// Items of each kind a /report shows at most.
	reportQuestions = 15
	reportDisliked  = 8
	reportFeeds     = 20
)

// Reports builds the moderators' report of a guild. corpus.Backend
// implements it.
type Reports interface {
	Report(ctx context.Context, opts corpus.ReportOptions) (corpus.Report, error)
}

// reportCommand is /report [days:], for moderators in guilds.
func reportCommand() *discordgo.ApplicationCommand {
	perm := moderatorPerms
	minDays, maxDays := 1.0, float64(corpus.MaxReportDays)
	return &discordgo.ApplicationCommand{
		Name:                     cmdReport,
		Description:              "What members asked that the articles don't cover, answers voted down, feed health (moderators)",
		DefaultMemberPermissions: &perm,
		Contexts:                 &[]discordgo.InteractionContextType{discordgo.InteractionContextGuild},
		Options: []*discordgo.ApplicationCommandOption{{
			Type: discordgo.ApplicationCommandOptionInteger, Name: optDays,
			Description: fmt.Sprintf("The last N days (default %d, at most %d)", defaultReportDays, corpus.MaxReportDays),
			MinValue:    &minDays, MaxValue: maxDays,
		}},
	}
}

// handleReport runs /report: privately, for moderators only.
func (b *Bot) handleReport(ctx context.Context, it *interaction, data discordgo.ApplicationCommandInteractionData) error {
	if refused, err := b.refuseNonModerator(ctx, it); refused {
		return err
	}
	if b.reports == nil {
		it.outcome = "refused: no reports"
		return it.reply(ctx, "Reports are not available in this attache.")
	}
	days := defaultReportDays
	if o := findOption(data.Options, optDays, discordgo.ApplicationCommandOptionInteger); o != nil {
		// Discord enforces the range; a client that does not gets this.
		v := o.IntValue()
		if v < 1 || v > corpus.MaxReportDays {
			it.outcome = "invalid days"
			return it.reply(ctx, fmt.Sprintf("`days` must be 1 to %d: questions are kept no longer.", corpus.MaxReportDays))
		}
		days = int(v)
	}
	if err := it.deferReply(ctx, true); err != nil {
		return fmt.Errorf("defer /report: %w", err)
	}
	now := b.now()
	rep, err := b.reports.Report(ctx, corpus.ReportOptions{GuildID: it.i.GuildID, Since: now.Add(-time.Duration(days) * 24 * time.Hour), Now: now})
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	parts := renderReport(rep, days)
	it.outcome, it.sources = "reported", len(parts)
	if _, err := b.deliverFinal(ctx, it, parts[0], nil); err != nil {
		return fmt.Errorf("deliver /report: %w", err)
	}
	for _, p := range parts[1:] {
		if _, err := b.deliverFollowup(ctx, it, p, nil); err != nil {
			return fmt.Errorf("deliver /report: %w", err)
		}
	}
	return nil
}

// reportText is member-written or fetched text made one inert line:
// no pings, no markdown, at most n runes.
func reportText(s string, n int) string {
	return inertText(neutralise(truncateRunes(oneLine(s), n)))
}

// renderReport renders the report into at most reportParts messages that
// each fit Discord's limit, cut by splitMessage.
func renderReport(rep corpus.Report, days int) []string {
	var b strings.Builder
	fmt.Fprintf(&b, "**Report of the last %d days**\n\n", days)

	fmt.Fprintf(&b, "**Not covered**: %d question(s)", rep.NotCoveredTotal)
	if len(rep.NotCovered) > 0 {
		fmt.Fprintf(&b, " asking %d thing(s)", len(rep.NotCovered))
	}
	b.WriteString("\n")
	for i, g := range rep.NotCovered {
		if i == reportQuestions {
			fmt.Fprintf(&b, "…and %d more\n", len(rep.NotCovered)-i)
			break
		}
		more := ""
		if g.Wordings > 1 {
			more = fmt.Sprintf(" (%d wordings)", g.Wordings)
		}
		fmt.Fprintf(&b, "• **%d×** %s%s, last <t:%d:R>\n", g.Count, reportText(g.Question, 150), more, g.Last.Unix())
	}

	fmt.Fprintf(&b, "\n**Voted 👎**: %d answer(s)\n", len(rep.Disliked))
	for i, d := range rep.Disliked {
		if i == reportDisliked {
			fmt.Fprintf(&b, "…and %d more\n", len(rep.Disliked)-i)
			break
		}
		fmt.Fprintf(&b, "• **%d👎** %s\n  Answer: %s\n", d.Down, reportText(d.Question, 150), reportText(d.Answer, 200))
		for j, s := range d.Sources {
			if j == 3 {
				fmt.Fprintf(&b, "  …and %d more sources\n", len(d.Sources)-j)
				break
			}
			name := reportText(s.Title, 80)
			if u := linkURL(s.URL); u != "" {
				name = fmt.Sprintf("[%s](<%s>)", escapeMarkdown(neutralise(truncateRunes(oneLine(s.Title), 80))), u)
			}
			fmt.Fprintf(&b, "  [%d] %s, %s\n", j+1, name, reportText(s.Source, 40))
		}
	}

	fmt.Fprintf(&b, "\n**Feeds**: %d\n", len(rep.Feeds))
	for i, f := range rep.Feeds {
		if i == reportFeeds {
			fmt.Fprintf(&b, "…and %d more\n", len(rep.Feeds)-i)
			break
		}
		fmt.Fprintf(&b, "• **%s** `%s`: %d added, %d in all", feedTitle(f.Feed), f.ID, f.Added, f.Articles)
		if f.LastOK.IsZero() {
			b.WriteString(", never polled successfully")
		} else {
			fmt.Fprintf(&b, ", last success <t:%d:R>", f.LastOK.Unix())
		}
		if f.LastError != "" {
			fmt.Fprintf(&b, ", failing (%d in a row): %s", f.Failures, reportText(f.LastError, 120))
		}
		b.WriteString("\n")
	}
	parts := splitMessage(b.String(), maxContent)
	if len(parts) > reportParts {
		parts = parts[:reportParts]
		parts[reportParts-1] = splitMessage(parts[reportParts-1], maxContent-80)[0] + "\n…the rest is in `attache report`."
	}
	return parts
}
