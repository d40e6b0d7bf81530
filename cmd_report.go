package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/attache-bot/attache/corpus"
	"github.com/attache-bot/attache/redact"
)

// reportJSON is the report's -json object.
type reportJSON struct {
	Guild           string               `json:"guild"`
	Days            int                  `json:"days"`
	From            string               `json:"from"`
	To              string               `json:"to"`
	NotCoveredTotal int                  `json:"not_covered_total"`
	NotCovered      []reportQuestionJSON `json:"not_covered"`
	Disliked        []reportDislikedJSON `json:"disliked"`
	Feeds           []reportFeedJSON     `json:"feeds"`
}

type reportQuestionJSON struct {
	Question string `json:"question"`
	Count    int    `json:"count"`
	Wordings int    `json:"wordings"`
	Last     string `json:"last"`
}

type reportDislikedJSON struct {
	AnswerID string             `json:"answer_id"`
	Guild    string             `json:"guild"`
	Question string             `json:"question"`
	Answer   string             `json:"answer"`
	Down     int                `json:"down"`
	Last     string             `json:"last"`
	Sources  []reportSourceJSON `json:"sources"`
}

type reportSourceJSON struct {
	Title  string `json:"title"`
	Source string `json:"source"`
	URL    string `json:"url"`
}

type reportFeedJSON struct {
	ID       string `json:"id"`
	URL      string `json:"url"`
	Title    string `json:"title"`
	Scope    string `json:"scope"`
	LastOK   string `json:"last_ok"`
	Failures int    `json:"failures"`
	Error    string `json:"error"`
	Added    int    `json:"added"`
	Articles int    `json:"articles"`
}

// reportLimit is how many groups and answers the text report prints of
// each kind; -json prints all the report holds.
const reportLimit = 50

// runReport prints the moderators' report: what was answered "not
// covered", what was voted down and how the feeds are doing, over the
// last -days days.
func runReport(ctx context.Context, env *environment, args []string) error {
	fs := newFlagSet(env, "report")
	asJSON := fs.Bool("json", false, "print a JSON object")
	guild := fs.String("guild", "", "report on this guild only (default: every guild and every feed)")
	days := fs.Int("days", 7, fmt.Sprintf("the last N days, 1 to %d", corpus.MaxReportDays))
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("report: unexpected argument %q", cell(rest[0], 40))
	}
	if *days < 1 || *days > corpus.MaxReportDays {
		return usagef("report: -days must be 1 to %d (questions are kept %d days)", corpus.MaxReportDays, corpus.MaxReportDays)
	}
	scope := ""
	if *guild != "" {
		if scope, err = validScope(*guild); err != nil {
			return err
		}
	}
	lib, closeLib, err := openLibrary(ctx, env)
	if err != nil {
		return err
	}
	defer closeLib()
	now := time.Now()
	rep, err := lib.Report(ctx, corpus.ReportOptions{GuildID: scope, Since: now.Add(-time.Duration(*days) * 24 * time.Hour), Now: now})
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if *asJSON {
		return printReportJSON(env, rep, scope, *days)
	}
	return printReport(env, rep, scope, *days)
}

func printReportJSON(env *environment, rep corpus.Report, scope string, days int) error {
	out := reportJSON{Guild: scope, Days: days, From: rfc3339(rep.Since), To: rfc3339(rep.Until), NotCoveredTotal: rep.NotCoveredTotal,
		NotCovered: []reportQuestionJSON{}, Disliked: []reportDislikedJSON{}, Feeds: []reportFeedJSON{}}
	for _, g := range rep.NotCovered {
		out.NotCovered = append(out.NotCovered, reportQuestionJSON{g.Question, g.Count, g.Wordings, rfc3339(g.Last)})
	}
	for _, d := range rep.Disliked {
		j := reportDislikedJSON{AnswerID: d.AnswerID, Guild: d.GuildID, Question: d.Question, Answer: d.Answer, Down: d.Down,
			Last: rfc3339(d.Last), Sources: []reportSourceJSON{}}
		for _, s := range d.Sources {
			j.Sources = append(j.Sources, reportSourceJSON{s.Title, s.Source, redact.Text(s.URL)})
		}
		out.Disliked = append(out.Disliked, j)
	}
	for _, f := range rep.Feeds {
		out.Feeds = append(out.Feeds, reportFeedJSON{f.ID, redact.Text(f.URL), f.Title, f.Scope, rfc3339(f.LastOK), f.Failures, f.LastError, f.Added, f.Articles})
	}
	enc := json.NewEncoder(env.io.out)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// printReport prints the report as text, each value made one printable
// line (cell) so that a hostile question cannot forge lines of its own.
func printReport(env *environment, rep corpus.Report, scope string, days int) error {
	w := env.io.out
	who := "every guild"
	if scope != "" {
		who = scopeName(scope)
	}
	fmt.Fprintf(w, "Report for %s, the last %d days (%s to %s)\n", who, days, rep.Since.Format(time.RFC3339), rep.Until.Format(time.RFC3339))

	fmt.Fprintf(w, "\nNot covered: %d question(s)", rep.NotCoveredTotal)
	if len(rep.NotCovered) > 0 {
		fmt.Fprintf(w, " asking %d thing(s)", len(rep.NotCovered))
	}
	fmt.Fprintln(w)
	for i, g := range rep.NotCovered {
		if i == reportLimit {
			fmt.Fprintf(w, "  … and %d more (-json lists them all)\n", len(rep.NotCovered)-i)
			break
		}
		more := ""
		if g.Wordings > 1 {
			more = fmt.Sprintf(" (%d wordings)", g.Wordings)
		}
		fmt.Fprintf(w, "  %6d× %s%s\n", g.Count, cell(g.Question, 200), more)
	}

	fmt.Fprintf(w, "\nVoted down: %d answer(s)\n", len(rep.Disliked))
	for i, d := range rep.Disliked {
		if i == reportLimit {
			fmt.Fprintf(w, "  … and %d more (-json lists them all)\n", len(rep.Disliked)-i)
			break
		}
		fmt.Fprintf(w, "  %d👎 %s (answer %s)\n", d.Down, cell(d.Question, 200), cell(d.AnswerID, 40))
		fmt.Fprintf(w, "       answer: %s\n", cell(d.Answer, 300))
		for _, s := range d.Sources {
			fmt.Fprintf(w, "       source: %s, %s %s\n", cell(s.Title, 100), cell(s.Source, 60), cell(redact.Text(s.URL), 200))
		}
	}

	fmt.Fprintf(w, "\nFeeds: %d\n", len(rep.Feeds))
	for _, f := range rep.Feeds {
		ok := rfc3339(f.LastOK)
		if ok == "" {
			ok = "never"
		}
		fmt.Fprintf(w, "  %s %s (%s): %d added in %d days, %d in all; last success %s", f.ID, cell(f.Title, 60), cell(redact.Text(f.URL), 100),
			f.Added, days, f.Articles, ok)
		if f.LastError != "" {
			fmt.Fprintf(w, "; failing, %d in a row: %s", f.Failures, cell(f.LastError, 200))
		}
		fmt.Fprintln(w)
	}
	return nil
}
