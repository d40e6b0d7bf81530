package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/attache-bot/attache/corpus"
	"github.com/attache-bot/attache/corpus/gazetteer"
	"github.com/attache-bot/attache/retrieval"
	extractive "github.com/attache-bot/attache/retrieval/answer"
)

// chronologyJSON is the "timeline -json" and "whatsnew -json" object of
// interface.md; Message is the text shown when there are no entries.
type chronologyJSON struct {
	Topic        string      `json:"topic"`
	AsOf         string      `json:"asof"`
	From         string      `json:"from"`
	To           string      `json:"to"`
	Since        string      `json:"since"`
	Entries      []entryJSON `json:"entries"`
	NewestBefore string      `json:"newest_before"`
	Message      string      `json:"message,omitempty"`
}

type entryJSON struct {
	Date    string            `json:"date"`
	Text    string            `json:"text"`
	Sources []entrySourceJSON `json:"sources"`
}

type entrySourceJSON struct {
	N         int    `json:"n"`
	ArticleID string `json:"article_id"`
	Title     string `json:"title"`
	Source    string `json:"source"`
	Published string `json:"published"`
	URL       string `json:"url"`
	StoryID   string `json:"story_id"`
}

// topicFlags are the flags timeline and whatsnew share with ask: the as-of
// date, the guild and the country and organisation filters.
type topicFlags struct {
	asJSON       *bool
	asOf         *string
	guild        *string
	country, org *string
	name         string // the command, for messages
}

func addTopicFlags(fs *flag.FlagSet, name string) *topicFlags {
	return &topicFlags{
		name:    name,
		asJSON:  fs.Bool("json", false, "print the result as one JSON object"),
		asOf:    fs.String("asof", "", "as of this date (YYYY-MM-DD); later articles are invisible (default today)"),
		guild:   fs.String("guild", "", "for this guild: its articles and the shared ones (default shared only)"),
		country: fs.String("country", "", "only articles about this country (a name, short form, demonym or ISO code)"),
		org:     fs.String("org", "", "only articles about this international organisation (e.g. NATO, UN, EU)"),
	}
}

// topicRequest is what the shared flags and the positional text resolve
// to.
type topicRequest struct {
	text         string
	scope        string
	asOf         time.Time
	country, org string // gazetteer ids
}

// resolve checks the positional text ("topic" or "question") and the
// shared flags.
func (f *topicFlags) resolve(fs *flag.FlagSet, positional []string, what string) (topicRequest, error) {
	var r topicRequest
	r.text = strings.TrimSpace(strings.Join(positional, " "))
	if r.text == "" {
		fs.Usage()
		return r, usagef("%s: the %s is empty", f.name, what)
	}
	if !utf8.ValidString(r.text) {
		return r, usagef("%s: the %s is not valid UTF-8", f.name, what)
	}
	if n := utf8.RuneCountInString(r.text); n > maxQuestionChars {
		return r, usagef("%s: the %s is too long (%d characters; at most %d)", f.name, what, n, maxQuestionChars)
	}
	var err error
	if r.scope, err = validScope(*f.guild); err != nil {
		return r, err
	}
	if r.asOf, err = parseDateFlag(f.name, "asof", *f.asOf); err != nil {
		return r, err
	}
	if r.country, err = placeFlag(f.name, gazetteer.Country, *f.country); err != nil {
		return r, err
	}
	if r.org, err = placeFlag(f.name, gazetteer.Organisation, *f.org); err != nil {
		return r, err
	}
	return r, nil
}

// parseDateFlag parses a YYYY-MM-DD flag value; "" is the zero time.
func parseDateFlag(cmd, flagName, value string) (time.Time, error) {
	value = strings.TrimSpace(value)
	if value == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(corpus.DateLayout, value)
	if err != nil {
		return time.Time{}, usagef("%s: -%s must be a date as YYYY-MM-DD", cmd, flagName)
	}
	return t, nil
}

// placeFlag resolves a -country or -org value to its gazetteer id; "" is
// no filter. An unknown name is a usage error naming the closest known
// ones.
func placeFlag(cmd string, kind gazetteer.Kind, value string) (string, error) {
	if value == "" {
		return "", nil
	}
	e, err := gazetteer.Default().Lookup(kind, value)
	if err != nil {
		return "", usagef("%s: -%s: %v", cmd, kind, err)
	}
	return e.ID, nil
}

func runTimeline(ctx context.Context, env *environment, args []string) error {
	fs := newFlagSet(env, "timeline")
	f := addTopicFlags(fs, "timeline")
	fromFlag := fs.String("from", "", "only stories published on or after this date (YYYY-MM-DD)")
	toFlag := fs.String("to", "", "only stories published on or before this date (YYYY-MM-DD)")
	return f.run(ctx, env, fs, args, "Timeline", func(r topicRequest) (chronicle, error) {
		from, err := parseDateFlag("timeline", "from", *fromFlag)
		if err != nil {
			return nil, err
		}
		to, err := parseDateFlag("timeline", "to", *toFlag)
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context, e *retrieval.Engine) (retrieval.Chronology, error) {
			return e.Timeline(ctx, retrieval.TimelineRequest{Topic: r.text, Scope: r.scope, AsOf: r.asOf,
				From: from, To: to, Country: r.country, Org: r.org})
		}, nil
	})
}

func runWhatsNew(ctx context.Context, env *environment, args []string) error {
	fs := newFlagSet(env, "whatsnew")
	f := addTopicFlags(fs, "whatsnew")
	sinceFlag := fs.String("since", "", "stories published on or after this date (YYYY-MM-DD; default 7 days before the as-of date)")
	return f.run(ctx, env, fs, args, "What's new", func(r topicRequest) (chronicle, error) {
		since, err := parseDateFlag("whatsnew", "since", *sinceFlag)
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context, e *retrieval.Engine) (retrieval.Chronology, error) {
			return e.WhatsNew(ctx, retrieval.WhatsNewRequest{Topic: r.text, Scope: r.scope, AsOf: r.asOf,
				Since: since, Country: r.country, Org: r.org})
		}, nil
	})
}

// chronicle makes a timeline or a "what's new" list with an engine.
type chronicle func(ctx context.Context, e *retrieval.Engine) (retrieval.Chronology, error)

// run parses args, checks the topic and the flags (prepare checks the
// command's own and returns what to make), opens the engine and prints
// the result under heading, or as JSON.
func (f *topicFlags) run(ctx context.Context, env *environment, fs *flag.FlagSet, args []string, heading string,
	prepare func(topicRequest) (chronicle, error)) error {
	positional, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	r, err := f.resolve(fs, positional, "topic")
	if err != nil {
		return err
	}
	build, err := prepare(r)
	if err != nil {
		return err
	}
	engine, _, closeEngine, err := openEngine(ctx, env, engineOptions{seed: true})
	if err != nil {
		return err
	}
	defer closeEngine()
	c, err := build(ctx, engine)
	if err != nil {
		return chronologyError(ctx, env, f.name, err)
	}
	if *f.asJSON {
		return writeChronologyJSON(env.io.out, c)
	}
	return writeChronologyText(env.io.out, heading, c)
}

// chronologyError turns an engine error into the command's: dates it
// refused are usage errors.
func chronologyError(ctx context.Context, env *environment, cmd string, err error) error {
	switch {
	case ctx.Err() != nil:
		return errInterrupted
	case errors.Is(err, retrieval.ErrInvalidDates), errors.Is(err, retrieval.ErrEmptyQuery), errors.Is(err, retrieval.ErrBadFilter):
		return usagef("%s: %v", cmd, err)
	}
	return redactedf(env.cfg, "%s: %w", cmd, err)
}

func writeChronologyJSON(w io.Writer, c retrieval.Chronology) error {
	obj := chronologyJSON{
		Topic: c.Topic, AsOf: formatDate(c.AsOf), From: formatDate(c.From), To: formatDate(c.To),
		Since: formatDate(c.Since), NewestBefore: formatDate(c.NewestBefore), Message: c.Text,
		Entries: make([]entryJSON, 0, len(c.Entries)),
	}
	for _, en := range c.Entries {
		ej := entryJSON{Date: formatDate(en.Date), Text: en.Text, Sources: make([]entrySourceJSON, 0, len(en.Sources))}
		for _, s := range en.Sources {
			ej.Sources = append(ej.Sources, entrySourceJSON{N: s.N, ArticleID: s.ArticleID, Title: s.Title, Source: s.Source,
				Published: formatDate(s.Published), URL: s.URL, StoryID: s.StoryID})
		}
		obj.Entries = append(obj.Entries, ej)
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(obj)
}

// writeChronologyText prints the entries one a line, dated, their
// citations numbered through the list, then the sources.
func writeChronologyText(w io.Writer, heading string, c retrieval.Chronology) error {
	var b strings.Builder
	b.WriteString(heading + ": " + oneLine(c.Topic) + " (as of " + formatDate(c.AsOf))
	switch {
	case !c.From.IsZero() && !c.To.IsZero():
		b.WriteString(", " + formatDate(c.From) + " to " + formatDate(c.To))
	case !c.From.IsZero():
		b.WriteString(", from " + formatDate(c.From))
	case !c.To.IsZero():
		b.WriteString(", up to " + formatDate(c.To))
	case !c.Since.IsZero():
		b.WriteString(", since " + formatDate(c.Since))
	}
	b.WriteString(")\n\n")
	if len(c.Entries) == 0 {
		b.WriteString(c.Text + "\n")
		_, err := io.WriteString(w, printable(b.String()))
		return err
	}
	var sources []retrieval.Source
	for _, en := range c.Entries {
		b.WriteString(en.Date.UTC().Format(extractive.DateLayout) + ": " + en.CitedAs(len(sources)+1) + "\n")
		sources = append(sources, en.Sources...)
	}
	b.WriteString("\nSources:\n")
	for i, s := range sources {
		b.WriteString(fmt.Sprintf("%d. %s\n", i+1, sourceLine(s)))
	}
	_, err := io.WriteString(w, printable(b.String()))
	return err
}
