package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/attache-bot/attache/corpus"
	"github.com/attache-bot/attache/corpus/gazetteer"
	"github.com/attache-bot/attache/retrieval"
	"github.com/attache-bot/attache/retrieval/answer"
)

// Chronicler makes timelines and "what's new" lists of a topic.
// *retrieval.Engine implements it.
type Chronicler interface {
	Timeline(ctx context.Context, req retrieval.TimelineRequest) (retrieval.Chronology, error)
	WhatsNew(ctx context.Context, req retrieval.WhatsNewRequest) (retrieval.Chronology, error)
}

// Places tells which countries and organisations the articles a scope
// sees (its own and the shared ones) are about, with how many articles
// each, for the country and org options' autocomplete.
// *retrieval.Engine implements it.
type Places interface {
	Entities(scope string) []retrieval.EntityCount
}

const (
	cmdTimeline = "timeline"
	cmdWhatsNew = "whatsnew"

	optTopic   = "topic"
	optFrom    = "from"
	optTo      = "to"
	optSince   = "since"
	optCountry = "country"
	optOrg     = "org"

	// maxDateRunes is the date options' max_length: "YYYY-MM-DD" with room
	// for stray spaces.
	maxDateRunes = 20
)

const msgNoTimelines = "Timelines are not available on this bot."

// placeOptions are the optional country and org options of /ask,
// /timeline and /whatsnew.
func placeOptions() []*discordgo.ApplicationCommandOption {
	return []*discordgo.ApplicationCommandOption{
		{
			Type:         discordgo.ApplicationCommandOptionString,
			Name:         optCountry,
			Description:  "Only articles about this country (start typing its name)",
			Autocomplete: true,
			MaxLength:    gazetteer.MaxLookupBytes,
		},
		{
			Type:         discordgo.ApplicationCommandOptionString,
			Name:         optOrg,
			Description:  "Only articles about this international organisation, e.g. NATO",
			Autocomplete: true,
			MaxLength:    gazetteer.MaxLookupBytes,
		},
	}
}

func dateOption(name, description string) *discordgo.ApplicationCommandOption {
	return &discordgo.ApplicationCommandOption{
		Type: discordgo.ApplicationCommandOptionString, Name: name, Description: description, MaxLength: maxDateRunes,
	}
}

func topicOption() *discordgo.ApplicationCommandOption {
	return &discordgo.ApplicationCommandOption{
		Type: discordgo.ApplicationCommandOptionString, Name: optTopic, Required: true, MaxLength: maxQuestionRunes,
		Description: "What to follow, e.g. Iran, NATO, the grain corridor talks",
	}
}

func privateOption() *discordgo.ApplicationCommandOption {
	return &discordgo.ApplicationCommandOption{
		Type: discordgo.ApplicationCommandOptionBoolean, Name: optPrivate, Description: "Show the result only to you",
	}
}

// timelineCommands are /timeline and /whatsnew, for everyone, in guilds
// and direct messages like /ask.
func timelineCommands() []*discordgo.ApplicationCommand {
	contexts := func() *[]discordgo.InteractionContextType {
		return &[]discordgo.InteractionContextType{discordgo.InteractionContextGuild, discordgo.InteractionContextBotDM}
	}
	return []*discordgo.ApplicationCommand{
		{
			Name:        cmdTimeline,
			Description: "A dated, cited chronology of a topic: one entry per story, oldest first",
			Contexts:    contexts(),
			Options: append([]*discordgo.ApplicationCommandOption{
				topicOption(),
				dateOption(optFrom, "Only stories from this date on (YYYY-MM-DD)"),
				dateOption(optTo, "Only stories up to this date (YYYY-MM-DD)"),
				privateOption(),
			}, placeOptions()...),
		},
		{
			Name:        cmdWhatsNew,
			Description: "What's new on a topic since a date (default: the last week), newest first",
			Contexts:    contexts(),
			Options: append([]*discordgo.ApplicationCommandOption{
				topicOption(),
				dateOption(optSince, "Stories from this date on (YYYY-MM-DD; default a week ago)"),
				privateOption(),
			}, placeOptions()...),
		},
	}
}

// topicInput is what /timeline and /whatsnew were given, checked.
type topicInput struct {
	topic           string
	from, to, since time.Time
	country, org    string // gazetteer ids
	private         bool
}

// readTopicInput checks the options of /timeline or /whatsnew and returns
// them, or a message for the user saying what is wrong.
func (b *Bot) readTopicInput(opts []*discordgo.ApplicationCommandInteractionDataOption) (topicInput, string) {
	var in topicInput
	var problem string
	for _, o := range opts {
		if o == nil {
			continue
		}
		if o.Type == discordgo.ApplicationCommandOptionBoolean && o.Name == optPrivate {
			in.private = o.BoolValue()
			continue
		}
		if o.Type != discordgo.ApplicationCommandOptionString {
			continue
		}
		v := o.StringValue()
		switch o.Name {
		case optTopic:
			in.topic = v
		case optFrom:
			in.from, problem = readDate(optFrom, v, problem)
		case optTo:
			in.to, problem = readDate(optTo, v, problem)
		case optSince:
			in.since, problem = readDate(optSince, v, problem)
		}
	}
	topic, msg := checkTopic(in.topic)
	if msg != "" {
		return in, msg
	}
	in.topic = topic
	if problem != "" {
		return in, problem
	}
	var err error
	if in.country, in.org, problem = readPlaces(opts); problem != "" {
		return in, problem
	}
	today := b.now()
	if err = retrieval.CheckRange(in.from, in.to, today); err == nil {
		err = retrieval.CheckSince(in.since, today)
	}
	if err != nil {
		return in, "Those dates don't work: " + strings.TrimPrefix(err.Error(), retrieval.ErrInvalidDates.Error()+": ") +
			" (today). Dates are YYYY-MM-DD, and from must not be after to."
	}
	return in, ""
}

// readDate parses a date option; an earlier problem is kept.
func readDate(name, v, problem string) (time.Time, string) {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}, problem
	}
	t, err := time.Parse(corpus.DateLayout, v)
	if err != nil && problem == "" {
		problem = fmt.Sprintf("Please write `%s` as a date YYYY-MM-DD, for example 2025-07-01 (got “%s”).", name, escapeCode(truncateRunes(oneLine(v), maxDateRunes)))
	}
	return t, problem
}

// checkTopic validates a topic as checkQuestion does a question.
func checkTopic(topic string) (string, string) {
	return checkText(topic, "topic", "Please name a topic, for example `/timeline topic: Iran nuclear talks`.")
}

// readPlaces resolves the country and org options to gazetteer ids, or
// returns a message naming the closest known names.
func readPlaces(opts []*discordgo.ApplicationCommandInteractionDataOption) (country, org, problem string) {
	for _, o := range opts {
		if o == nil || o.Type != discordgo.ApplicationCommandOptionString || (o.Name != optCountry && o.Name != optOrg) {
			continue
		}
		v := o.StringValue()
		if strings.TrimSpace(v) == "" {
			continue
		}
		kind := gazetteer.Country
		if o.Name == optOrg {
			kind = gazetteer.Organisation
		}
		e, err := gazetteer.Default().Lookup(kind, v)
		if err != nil {
			return "", "", placeProblem(kind, v, err)
		}
		if kind == gazetteer.Country {
			country = e.ID
		} else {
			org = e.ID
		}
	}
	return country, org, ""
}

// placeProblem says why a country or organisation was not understood.
func placeProblem(kind gazetteer.Kind, typed string, err error) string {
	what, article := "country", "a"
	if kind == gazetteer.Organisation {
		what, article = "organisation", "an"
	}
	var ue *gazetteer.UnknownError
	if errors.As(err, &ue) {
		msg := fmt.Sprintf("I don't know %s %s called “%s”.", article, what, escapeCode(truncateRunes(oneLine(typed), 40)))
		if len(ue.Suggestions) > 0 {
			msg += " The closest I know: " + escapeMarkdown(neutralise(strings.Join(ue.Suggestions, ", "))) + "."
		}
		return msg + " Pick one from the list as you type."
	}
	return fmt.Sprintf("That %s name isn't one I can read; pick one from the list as you type.", what)
}

// handleTimeline answers /timeline and /whatsnew: validate, rate-limit,
// defer, wait for a free slot, then edit the deferred response into the
// list (follow-ups for the rest of a long one).
func (b *Bot) handleTimeline(ctx context.Context, it *interaction, data discordgo.ApplicationCommandInteractionData) error {
	if b.chronicler == nil {
		it.outcome = "unavailable"
		return it.reply(ctx, msgNoTimelines)
	}
	in, problem := b.readTopicInput(data.Options)
	if problem != "" {
		it.outcome = "invalid input"
		return it.reply(ctx, problem)
	}
	if ok, wait := b.limiter.allow(it.userID(), b.now()); !ok {
		it.outcome = "rate-limited"
		return it.reply(ctx, rateLimitMessage(wait))
	}
	if err := it.deferReply(ctx, in.private); err != nil {
		return fmt.Errorf("defer /%s: %w", data.Name, err)
	}
	b.debugQuestion(data.Name, it.i.ID, in.topic)

	wctx, cancel := context.WithTimeout(ctx, answerTimeout)
	defer cancel()
	err := b.slots.acquire(wctx, func(ahead int) {
		if err := it.edit(wctx, queuedMessage(ahead), nil); err != nil {
			b.log.Warn("queued notice failed", "interaction", it.i.ID, "err", err)
		}
	})
	if err != nil {
		return fmt.Errorf("wait for a free answer slot: %w", err)
	}
	var c retrieval.Chronology
	heading := "Timeline"
	scope := scopeOf(it.i.GuildID)
	if data.Name == cmdWhatsNew {
		heading = "What's new"
		c, err = b.chronicler.WhatsNew(wctx, retrieval.WhatsNewRequest{Topic: in.topic, Scope: scope, AsOf: b.now(),
			Since: in.since, Country: in.country, Org: in.org})
	} else {
		c, err = b.chronicler.Timeline(wctx, retrieval.TimelineRequest{Topic: in.topic, Scope: scope, AsOf: b.now(),
			From: in.from, To: in.to, Country: in.country, Org: in.org})
	}
	b.slots.release()
	if errors.Is(err, retrieval.ErrInvalidDates) {
		// Checked above against the same clock; the engine's day may differ
		// by a midnight.
		it.outcome = "invalid input"
		return it.edit(ctx, "Those dates don't work: "+strings.TrimPrefix(err.Error(), retrieval.ErrInvalidDates.Error()+": ")+".", nil)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", data.Name, err)
	}
	it.sources, it.outcome = len(c.Entries), fmt.Sprintf("listed %d", len(c.Entries))

	dctx, dcancel := b.deliveryCtx(ctx, b.delivery.total)
	defer dcancel()
	for n, part := range renderChronology(heading, c, b.now()) {
		if n == 0 {
			_, err = b.deliverFinal(dctx, it, part, nil)
		} else {
			_, err = b.deliverFollowup(dctx, it, part, nil)
		}
		if err != nil {
			return fmt.Errorf("deliver %s part %d: %w", data.Name, n+1, err)
		}
	}
	return nil
}

// renderChronology turns a timeline or "what's new" list into the
// contents of its messages: a heading naming the topic and the period, one
// line per entry (its date in bold, the quoted sentence, its citation
// numbered through the list), then the sources. Quoted text cannot format
// the message or ping. Pure, like renderAnswer.
func renderChronology(heading string, c retrieval.Chronology, now time.Time) []string {
	var b strings.Builder
	b.WriteString("**" + heading + ": " + escapeMarkdown(neutralise(truncateRunes(oneLine(c.Topic), 100))) + "**")
	day := func(t time.Time) string { return t.UTC().Format(answer.DateLayout) }
	switch {
	case !c.From.IsZero() && !c.To.IsZero():
		b.WriteString(" (" + day(c.From) + " to " + day(c.To) + ")")
	case !c.From.IsZero():
		b.WriteString(" (from " + day(c.From) + ")")
	case !c.To.IsZero():
		b.WriteString(" (up to " + day(c.To) + ")")
	case !c.Since.IsZero():
		b.WriteString(" (since " + day(c.Since) + ")")
	}
	if len(c.Entries) == 0 {
		text := strings.TrimSpace(c.Text)
		if text == "" {
			text = "No story here is about that."
		}
		b.WriteString("\n" + neutralise(inertText(text)))
		return splitMessage(b.String(), maxContent)
	}
	var sources []retrieval.Source
	for _, en := range c.Entries {
		b.WriteString("\n**" + day(en.Date) + "** — " + neutralise(inertText(en.CitedAs(len(sources)+1))))
		for _, s := range en.Sources {
			s.N = len(sources) + 1
			sources = append(sources, s)
		}
	}
	b.WriteString("\n\n**Sources**")
	for _, s := range sources {
		b.WriteString("\n" + sourceLine(s, now))
	}
	return splitMessage(b.String(), maxContent)
}

// handlePlaceAutocomplete suggests the countries or organisations that the
// server's articles (its own and the shared ones) are about, most covered
// first, narrowed to those whose name, alias or code starts a word with
// what the member typed. Without Places it suggests from the whole
// gazetteer.
func (b *Bot) handlePlaceAutocomplete(ctx context.Context, it *interaction, data discordgo.ApplicationCommandInteractionData) error {
	var focused *discordgo.ApplicationCommandInteractionDataOption
	for _, o := range data.Options {
		if o != nil && o.Focused {
			focused = o
		}
	}
	choices := []*discordgo.ApplicationCommandOptionChoice{}
	if focused != nil && (focused.Name == optCountry || focused.Name == optOrg) {
		kind := gazetteer.Country
		if focused.Name == optOrg {
			kind = gazetteer.Organisation
		}
		typed, _ := focused.Value.(string)
		var counts map[string]int
		if b.places != nil {
			counts = map[string]int{}
			for _, ec := range b.places.Entities(scopeOf(it.i.GuildID)) {
				if ec.Kind == kind {
					counts[ec.ID] = ec.Articles
				}
			}
		}
		choices = placeChoices(gazetteer.Default().Entities(kind), counts, b.places != nil, firstRunes(typed, gazetteer.MaxLookupBytes))
	}
	it.sources = len(choices)
	return it.respond(ctx, &discordgo.InteractionResponse{
		Type: discordgo.InteractionApplicationCommandAutocompleteResult,
		Data: &discordgo.InteractionResponseData{Choices: choices},
	})
}

// placeChoices is at most maxChoices of entities matching typed: with
// counts (present = true), only those present, most articles first, the
// count in the name; else all, by name. The value is the entity's id,
// which the option's lookup resolves.
func placeChoices(entities []gazetteer.Entity, counts map[string]int, present bool, typed string) []*discordgo.ApplicationCommandOptionChoice {
	typed = strings.ToLower(strings.Join(strings.Fields(typed), " "))
	var keep []gazetteer.Entity
	for _, e := range entities {
		if present && counts[e.ID] == 0 {
			continue
		}
		if typed == "" || matchesTyped(e, typed) {
			keep = append(keep, e)
		}
	}
	if present {
		slices.SortStableFunc(keep, func(a, b gazetteer.Entity) int { return counts[b.ID] - counts[a.ID] })
	}
	out := []*discordgo.ApplicationCommandOptionChoice{}
	for _, e := range keep[:min(len(keep), maxChoices)] {
		name := e.Name
		if present {
			name = fmt.Sprintf("%s (%d)", truncateRunes(e.Name, maxChoiceRunes-10), counts[e.ID])
		}
		out = append(out, &discordgo.ApplicationCommandOptionChoice{Name: truncateRunes(name, maxChoiceRunes), Value: e.ID})
	}
	return out
}

// matchesTyped reports whether a word of e's name, an alias or its id
// starts with typed (lower case).
func matchesTyped(e gazetteer.Entity, typed string) bool {
	for _, n := range append([]string{e.Name, e.ID, e.Alpha3}, e.Aliases...) {
		n = strings.ToLower(n)
		if strings.HasPrefix(n, typed) || strings.Contains(n, " "+typed) {
			return true
		}
	}
	return false
}
