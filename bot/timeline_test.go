package bot

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/attache-bot/attache/bot/discordtest"
	"github.com/attache-bot/attache/corpus"
	"github.com/attache-bot/attache/corpus/gazetteer"
	"github.com/attache-bot/attache/retrieval"
)

// velmoraArticles follow Velmora (invented) over months, with the shared
// article of the other tests among them.
func velmoraArticles() []corpus.Article {
	at := func(d string) time.Time {
		t, err := time.Parse(corpus.DateLayout, d)
		if err != nil {
			panic(err)
		}
		return t
	}
	return []corpus.Article{
		{Title: "Velmora opens harbour talks with Ostrane", Source: "Coastal Wire", URL: "https://coastal.example/velmora-talks",
			Published: at("2026-03-02"), Body: "Velmora opened harbour talks with Ostrane in Kessel on Monday. Both sides want lower port fees."},
		{Title: "Storm closes Velmora ports", Source: "Sea Times", URL: "https://sea.example/velmora-storm",
			Published: at("2026-04-20"), Body: "A storm closed every port in Velmora for three days. Fishing fleets stayed in harbour."},
		articleShared(), // 2026-06-03: the accord
		{Title: "Quarry strike in Dorvast", Source: "Plains Herald", URL: "https://plains.example/quarry",
			Published: at("2026-05-11"), Body: "Quarry workers in Dorvast went on strike over safety. The union wants new inspections."},
	}
}

func timelineInteraction(name, guild string, opts ...*discordgo.ApplicationCommandInteractionDataOption) *discordgo.Interaction {
	i := newInteraction(discordgo.InteractionApplicationCommand, guild, userU, 0)
	i.Data = discordgo.ApplicationCommandInteractionData{Name: name, Options: opts}
	return i
}

func boolOpt(name string, v bool) *discordgo.ApplicationCommandInteractionDataOption {
	return &discordgo.ApplicationCommandInteractionDataOption{Name: name, Type: discordgo.ApplicationCommandOptionBoolean, Value: v}
}

func TestTimelineListsStoriesOldestFirst(t *testing.T) {
	e := newEnv(t, envOptions{articles: velmoraArticles()})
	calls := e.run(timelineInteraction(cmdTimeline, guildA, strOpt(optTopic, "Velmora")))
	if len(calls) < 2 || calls[0].Resp == nil || calls[0].Resp.Type != discordgo.InteractionResponseDeferredChannelMessageWithSource {
		t.Fatalf("calls = %+v, want a deferred response then an edit", calls)
	}
	got := calls[len(calls)-1].content()
	talks, storm, accord := strings.Index(got, "Velmora opened harbour talks"), strings.Index(got, "storm closed"), strings.Index(got, "harbour accord on Tuesday")
	if talks < 0 || storm < 0 || accord < 0 || !(talks < storm && storm < accord) {
		t.Errorf("timeline is not the three stories oldest first:\n%s", got)
	}
	for _, want := range []string{"**Timeline: Velmora**", "**2 Mar 2026** — ", "[1]", "[3]", "**Sources**",
		"[1. Velmora opens harbour talks with Ostrane](<https://coastal.example/velmora-talks>) — Coastal Wire, 2026-03-02"} {
		if !strings.Contains(got, want) {
			t.Errorf("timeline lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "Quarry") {
		t.Errorf("timeline lists a story not about the topic:\n%s", got)
	}
	checkNoPings(t, calls)

	// from/to narrow it; whatsnew lists the newest first.
	calls = e.run(timelineInteraction(cmdTimeline, guildA, strOpt(optTopic, "Velmora"), strOpt(optFrom, "2026-04-01"), strOpt(optTo, " 2026-05-31 ")))
	if got := calls[len(calls)-1].content(); !strings.Contains(got, "(1 Apr 2026 to 31 May 2026)") || !strings.Contains(got, "storm") || strings.Contains(got, "accord") {
		t.Errorf("timeline from/to:\n%s", got)
	}
	calls = e.run(timelineInteraction(cmdWhatsNew, guildA, strOpt(optTopic, "Velmora"), strOpt(optSince, "2026-04-01"), boolOpt(optPrivate, true)))
	if calls[0].Resp.Data.Flags&discordgo.MessageFlagsEphemeral == 0 {
		t.Errorf("private whatsnew was not deferred ephemerally")
	}
	got = calls[len(calls)-1].content()
	if accord, storm := strings.Index(got, "accord"), strings.Index(got, "storm"); accord < 0 || storm < 0 || accord > storm || !strings.Contains(got, "**What's new: Velmora** (since 1 Apr 2026)") {
		t.Errorf("whatsnew since April, newest first:\n%s", got)
	}
	// Nothing new in the default week: said, with the newest before.
	calls = e.run(timelineInteraction(cmdWhatsNew, guildA, strOpt(optTopic, "Ostrane talks")))
	if got := calls[len(calls)-1].content(); !strings.Contains(got, "Nothing new about") || !strings.Contains(got, "the newest coverage is from") {
		t.Errorf("nothing new:\n%s", got)
	}
	// A topic nothing covers.
	calls = e.run(timelineInteraction(cmdTimeline, guildA, strOpt(optTopic, "Zorblaxia")))
	if got := calls[len(calls)-1].content(); !strings.Contains(got, "Zorblaxia") || strings.Contains(got, "Sources") {
		t.Errorf("uncovered topic:\n%s", got)
	}
}

func TestTimelineBadInputBeforeDeferring(t *testing.T) {
	for name, tc := range map[string]struct {
		cmd  string
		opts []*discordgo.ApplicationCommandInteractionDataOption
		want string
	}{
		"empty topic":       {cmdTimeline, nil, "Please name a topic"},
		"blank topic":       {cmdWhatsNew, []*discordgo.ApplicationCommandInteractionDataOption{strOpt(optTopic, " \n ")}, "Please name a topic"},
		"long topic":        {cmdTimeline, []*discordgo.ApplicationCommandInteractionDataOption{strOpt(optTopic, strings.Repeat("é", maxQuestionRunes+1))}, "too long"},
		"invalid utf":       {cmdTimeline, []*discordgo.ApplicationCommandInteractionDataOption{strOpt(optTopic, "Vel\xffmora")}, "can't read"},
		"malformed from":    {cmdTimeline, []*discordgo.ApplicationCommandInteractionDataOption{strOpt(optTopic, "Velmora"), strOpt(optFrom, "March 2026")}, "Please write `from` as a date YYYY-MM-DD"},
		"malformed since":   {cmdWhatsNew, []*discordgo.ApplicationCommandInteractionDataOption{strOpt(optTopic, "Velmora"), strOpt(optSince, "2026-02-30")}, "Please write `since`"},
		"hostile date":      {cmdTimeline, []*discordgo.ApplicationCommandInteractionDataOption{strOpt(optTopic, "Velmora"), strOpt(optTo, "@everyone `x`")}, "Please write `to`"},
		"from after to":     {cmdTimeline, []*discordgo.ApplicationCommandInteractionDataOption{strOpt(optTopic, "Velmora"), strOpt(optFrom, "2026-05-01"), strOpt(optTo, "2026-04-01")}, "from 2026-05-01 is after to 2026-04-01"},
		"future from":       {cmdTimeline, []*discordgo.ApplicationCommandInteractionDataOption{strOpt(optTopic, "Velmora"), strOpt(optFrom, "2030-01-01")}, "from 2030-01-01 is after the as-of date 2026-06-10"},
		"future since":      {cmdWhatsNew, []*discordgo.ApplicationCommandInteractionDataOption{strOpt(optTopic, "Velmora"), strOpt(optSince, "2026-06-11")}, "since 2026-06-11 is after"},
		"unknown country":   {cmdTimeline, []*discordgo.ApplicationCommandInteractionDataOption{strOpt(optTopic, "Velmora"), strOpt(optCountry, "Frnace")}, "I don't know a country called “Frnace”. The closest I know: France"},
		"unknown org":       {cmdWhatsNew, []*discordgo.ApplicationCommandInteractionDataOption{strOpt(optTopic, "Velmora"), strOpt(optOrg, "Natoo")}, "I don't know an organisation"},
		"oversized country": {cmdTimeline, []*discordgo.ApplicationCommandInteractionDataOption{strOpt(optTopic, "Velmora"), strOpt(optCountry, strings.Repeat("x", 300))}, "isn't one I can read"},
		"ask unknown org":   {cmdAsk, []*discordgo.ApplicationCommandInteractionDataOption{strOpt(optQuestion, "What did Velmora sign?"), strOpt(optOrg, "Nato Alliance Group")}, "organisation"},
	} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, envOptions{articles: velmoraArticles()})
			calls := e.run(timelineInteraction(tc.cmd, guildA, tc.opts...))
			if len(calls) != 1 || calls[0].Resp == nil || calls[0].Resp.Type != discordgo.InteractionResponseChannelMessageWithSource ||
				calls[0].Resp.Data.Flags&discordgo.MessageFlagsEphemeral == 0 {
				t.Fatalf("calls = %+v, want one ephemeral reply", calls)
			}
			if got := calls[0].content(); !strings.Contains(got, tc.want) {
				t.Errorf("reply %q lacks %q", got, tc.want)
			}
			if strings.Contains(calls[0].content(), "@everyone") {
				t.Errorf("reply repeats a mention: %q", calls[0].content())
			}
			checkNoPings(t, calls)
		})
	}
}

// A known organisation is a filter, not an error: the answer goes on.
func TestAskAcceptsKnownCountryAndOrg(t *testing.T) {
	var got retrieval.Request
	e := newEnv(t, envOptions{answerer: answerFunc(func(_ context.Context, req retrieval.Request, _ func(string)) (retrieval.Answer, error) {
		got = req
		return retrieval.Answer{Text: "x", Mode: retrieval.ModeNone}, nil
	})})
	e.run(timelineInteraction(cmdAsk, guildA, strOpt(optQuestion, "What did the alliance agree?"), strOpt(optCountry, "british"), strOpt(optOrg, "nato")))
	if got.Country != "GB" || got.Org != "NATO" {
		t.Errorf("request country %q org %q, want GB and NATO", got.Country, got.Org)
	}
}

func TestRenderChronology(t *testing.T) {
	now := time.Date(2026, 6, 10, 0, 0, 0, 0, time.UTC)
	src := func(id, title string, d time.Time) retrieval.Source {
		return retrieval.Source{N: 1, ArticleID: id, Title: title, Source: "Wire", URL: "https://w.example/" + id, Published: d}
	}
	d1, d2 := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	c := retrieval.Chronology{Topic: "Velmora **bold** @everyone", Entries: []retrieval.Entry{
		{Date: d1, Sentence: "First thing [see](https://evil.example) happened.", Text: "First thing happened. [1]", Sources: []retrieval.Source{src("a", "A", d1)}},
		{Date: d2, Sentence: "Then <@123> was pinged.", Text: "x [1]", Sources: []retrieval.Source{src("b", "B", d2)}},
	}}
	parts := renderChronology("Timeline", c, now)
	got := strings.Join(parts, "\n")
	for _, want := range []string{"**1 May 2026** — ", " [1]\n**1 Jun 2026** — ", " [2]\n\n**Sources**\n[1. A](<https://w.example/a>)", "\n[2. B](<https://w.example/b>)"} {
		if !strings.Contains(got, want) {
			t.Errorf("rendering lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "@everyone") || strings.Contains(got, "<@123>") || strings.Contains(got, "](https://evil") || strings.Contains(got, "**bold**") {
		t.Errorf("quoted or typed text can ping or format:\n%s", got)
	}
	// A long list is split into messages within Discord's limit, never
	// inside a citation.
	long := retrieval.Chronology{Topic: "Velmora"}
	for i := range retrieval.MaxTimelineEntries {
		d := d1.AddDate(0, 0, i)
		long.Entries = append(long.Entries, retrieval.Entry{Date: d, Sentence: strings.Repeat("A long sentence about the harbour. ", 10),
			Sources: []retrieval.Source{src("x", strings.Repeat("Title ", 30), d)}})
	}
	parts = renderChronology("Timeline", long, now)
	if len(parts) < 2 {
		t.Fatalf("a long timeline fits one message of %d units?", utf16Len(parts[0]))
	}
	for _, p := range parts {
		if utf16Len(p) > maxContent {
			t.Errorf("part of %d units", utf16Len(p))
		}
	}
	if n := strings.Count(strings.Join(parts, ""), "**Sources**"); n != 1 {
		t.Errorf("%d source headings", n)
	}
	// No entries: the engine's message.
	if got := renderChronology("What's new", retrieval.Chronology{Topic: "X", Text: "Nothing new about “X”."}, now); len(got) != 1 || !strings.HasSuffix(got[0], "\nNothing new about “X”.") {
		t.Errorf("empty: %q", got)
	}
}

// placesFunc adapts a function to Places.
type placesFunc func(scope string) []retrieval.EntityCount

func (f placesFunc) Entities(scope string) []retrieval.EntityCount { return f(scope) }

func TestPlaceChoices(t *testing.T) {
	g := gazetteer.Default()
	// Without presence: the whole gazetteer, by what was typed.
	got := placeChoices(g.Entities(gazetteer.Country), nil, false, "fra")
	if len(got) == 0 || got[0].Value != "FR" {
		t.Errorf("fra: %+v", got)
	}
	if all := placeChoices(g.Entities(gazetteer.Country), nil, false, ""); len(all) != maxChoices {
		t.Errorf("empty typed: %d choices, want %d", len(all), maxChoices)
	}
	// With presence: only those present, most covered first, by alias too.
	counts := map[string]int{"FR": 2, "GB": 7, "DE": 1}
	got = placeChoices(g.Entities(gazetteer.Country), counts, true, "")
	if len(got) != 3 || got[0].Value != "GB" || got[0].Name != "United Kingdom (7)" || got[2].Value != "DE" {
		t.Errorf("present: %+v", got)
	}
	if got = placeChoices(g.Entities(gazetteer.Country), counts, true, "brit"); len(got) != 1 || got[0].Value != "GB" {
		t.Errorf("brit: %+v", got)
	}
	if got = placeChoices(g.Entities(gazetteer.Country), counts, true, "zzz\x00"); len(got) != 0 {
		t.Errorf("nothing typed matches: %+v", got)
	}
}

func TestE2ETimelineAndPlaceAutocomplete(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var asked []string
	e := startE2E(t, e2eOptions{articles: velmoraArticles(), places: placesFunc(func(scope string) []retrieval.EntityCount {
		mu.Lock()
		defer mu.Unlock()
		asked = append(asked, scope)
		return []retrieval.EntityCount{
			{Kind: gazetteer.Organisation, ID: "NATO", Articles: 3}, {Kind: gazetteer.Country, ID: "FR", Articles: 2},
			{Kind: gazetteer.Organisation, ID: "UN", Articles: 1},
		}
	})})
	it := e.f.SendSlashCommand("timeline", discordtest.Option{Name: "topic", Value: "Velmora"})
	got := e.final(t, it, hasAll("Sources"))
	if ack := e.response(t, it); ack.Field("type") != 5.0 {
		t.Errorf("first response type = %v, want 5 (deferred)", ack.Field("type"))
	}
	if !strings.Contains(got, "**Timeline: Velmora**") || !strings.Contains(got, "**2 Mar 2026** — ") || !strings.Contains(got, "[3]") {
		t.Errorf("timeline:\n%s", got)
	}

	wn := e.f.SendSlashCommand("whatsnew", discordtest.Option{Name: "topic", Value: "Velmora"}, discordtest.Option{Name: "private", Value: true})
	got = e.final(t, wn, notEmpty)
	if ack := e.response(t, wn); ack.Field("data.flags") != 64.0 {
		t.Errorf("private whatsnew deferred with flags %v", ack.Field("data.flags"))
	}
	if !strings.Contains(got, "What's new: Velmora") || !strings.Contains(got, "harbour accord") {
		t.Errorf("whatsnew:\n%s", got)
	}

	ac := e.f.Autocomplete("whatsnew", discordtest.Option{Name: "topic", Value: "Velmora"}, discordtest.Option{Name: "org", Value: "nato", Focused: true})
	r := e.response(t, ac)
	choices, _ := r.Field("data.choices").([]any)
	if r.Field("type") != 8.0 || len(choices) != 1 || choices[0].(map[string]any)["value"] != "NATO" {
		t.Errorf("org autocomplete: type %v choices %v", r.Field("type"), r.Field("data.choices"))
	}
	ac = e.f.Autocomplete("ask", discordtest.Option{Name: "question", Value: "x"}, discordtest.Option{Name: "country", Value: "", Focused: true})
	r = e.response(t, ac)
	if choices, _ := r.Field("data.choices").([]any); len(choices) != 1 || choices[0].(map[string]any)["value"] != "FR" {
		t.Errorf("country autocomplete on /ask: %v", r.Field("data.choices"))
	}

	bad := e.f.SendSlashCommand("timeline", discordtest.Option{Name: "topic", Value: "Velmora"}, discordtest.Option{Name: "from", Value: "2026-06-01"},
		discordtest.Option{Name: "to", Value: "2026-01-01"})
	r = e.response(t, bad)
	if r.Field("type") != 4.0 || r.Field("data.flags") != 64.0 || !strings.Contains(r.StringAt("data.content"), "is after to") {
		t.Errorf("from after to: %v", r.Body)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(asked) != 2 || asked[0] != discordtest.DefaultGuildID {
		t.Errorf("places asked for %v, want the guild's scope", asked)
	}
	checkNobodyPinged(t, e.f)
}

// chronicleFunc adapts a function to Chronicler (both commands).
type chronicleFunc func(ctx context.Context, topic string) (retrieval.Chronology, error)

func (f chronicleFunc) Timeline(ctx context.Context, req retrieval.TimelineRequest) (retrieval.Chronology, error) {
	return f(ctx, req.Topic)
}

func (f chronicleFunc) WhatsNew(ctx context.Context, req retrieval.WhatsNewRequest) (retrieval.Chronology, error) {
	return f(ctx, req.Topic)
}

func TestTimelineLongListContinuesInFollowups(t *testing.T) {
	d := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	long := retrieval.Chronology{Topic: "Velmora"}
	for i := range retrieval.MaxTimelineEntries {
		day := d.AddDate(0, 0, 7*i)
		long.Entries = append(long.Entries, retrieval.Entry{Date: day, Sentence: strings.Repeat("Velmora did something of note that week. ", 5),
			Sources: []retrieval.Source{{N: 1, Title: strings.Repeat("Velmora headline ", 6), Source: "Wire", URL: "https://w.example/x", Published: day}}})
	}
	e := newEnv(t, envOptions{chronicler: chronicleFunc(func(context.Context, string) (retrieval.Chronology, error) { return long, nil })})
	calls := e.run(timelineInteraction(cmdTimeline, guildA, strOpt(optTopic, "Velmora"), boolOpt(optPrivate, true)))
	var edits, followups int
	var all strings.Builder
	for _, c := range calls {
		switch c.Method {
		case "edit":
			edits++
		case "followup":
			followups++
			if c.Params.Flags&discordgo.MessageFlagsEphemeral == 0 {
				t.Errorf("a follow-up of a private timeline is public")
			}
		}
		if c.Method == "edit" || c.Method == "followup" {
			if utf16Len(c.content()) > maxContent {
				t.Errorf("%s of %d units", c.Method, utf16Len(c.content()))
			}
			all.WriteString(c.content())
		}
	}
	if edits != 1 || followups == 0 {
		t.Fatalf("%d edits and %d follow-ups, want one edit and follow-ups", edits, followups)
	}
	if !strings.Contains(all.String(), "[15]") || !strings.Contains(all.String(), "\n[15. ") {
		t.Errorf("the list lost its end:\n%s", all.String())
	}
	checkNoPings(t, calls)
}

func TestTimelineEngineFailureGivesPoliteFinalMessage(t *testing.T) {
	e := newEnv(t, envOptions{chronicler: chronicleFunc(func(context.Context, string) (retrieval.Chronology, error) {
		return retrieval.Chronology{}, context.DeadlineExceeded
	})})
	calls := e.run(timelineInteraction(cmdWhatsNew, guildA, strOpt(optTopic, "Velmora")))
	if last := calls[len(calls)-1]; last.Method != "edit" || last.content() != msgGenericError {
		t.Errorf("last call %s %q, want the apology as an edit", last.Method, last.content())
	}
}

// Autocomplete over the engine's own count of the server's articles: a
// guild's articles count for it and not for another guild.
func TestPlaceAutocompleteFromServerArticles(t *testing.T) {
	arts := []corpus.Article{
		{Title: "France and Germany agree on rail link", Source: "Wire", Published: testNow.AddDate(0, 0, -3),
			Body: "France and Germany agreed on a new rail link between Paris and Berlin. French and German ministers signed it."},
		{Title: "Japan opens new port", Source: "Wire", Published: testNow.AddDate(0, 0, -2), Scope: guildA,
			Body: "Japan opened a new container port near Osaka. Japanese officials expect more trade."},
	}
	e := newEnv(t, envOptions{articles: arts})
	complete := func(guild, cmd, typed string) []string {
		i := newInteraction(discordgo.InteractionApplicationCommandAutocomplete, guild, userU, 0)
		i.Data = discordgo.ApplicationCommandInteractionData{Name: cmd, Options: []*discordgo.ApplicationCommandInteractionDataOption{
			strOpt(optTopic, "rail"), {Name: optCountry, Type: discordgo.ApplicationCommandOptionString, Value: typed, Focused: true}}}
		calls := e.run(i)
		if len(calls) != 1 || calls[0].Resp.Type != discordgo.InteractionApplicationCommandAutocompleteResult {
			t.Fatalf("calls %+v, want one autocomplete result", calls)
		}
		var ids []string
		for _, c := range calls[0].Resp.Data.Choices {
			ids = append(ids, c.Value.(string))
		}
		return ids
	}
	if got := strings.Join(complete(guildA, cmdTimeline, ""), ","); !strings.Contains(got, "FR") || !strings.Contains(got, "DE") || !strings.Contains(got, "JP") {
		t.Errorf("guild A's countries: %s, want France, Germany and Japan", got)
	}
	if got := strings.Join(complete(guildB, cmdWhatsNew, ""), ","); strings.Contains(got, "JP") || !strings.Contains(got, "FR") {
		t.Errorf("guild B sees %s: Japan is guild A's only", got)
	}
	if got := strings.Join(complete(guildA, cmdAsk, "ger"), ","); got != "DE" {
		t.Errorf("typed ger: %s", got)
	}
}

// A topic of Discord's full 1,000 characters is accepted and searched by
// its start.
func TestTimelineFullLengthTopic(t *testing.T) {
	e := newEnv(t, envOptions{articles: velmoraArticles()})
	topic := ("Velmora harbour " + strings.Repeat("talks accord storm ports ", 60))[:maxQuestionRunes]
	calls := e.run(timelineInteraction(cmdTimeline, guildA, strOpt(optTopic, topic)))
	if len(calls) < 2 || calls[0].Resp.Type != discordgo.InteractionResponseDeferredChannelMessageWithSource {
		t.Fatalf("calls = %+v, want a deferred response and the list", calls)
	}
	if got := calls[len(calls)-1].content(); !strings.Contains(got, "Velmora") || utf16Len(got) > maxContent {
		t.Errorf("full-length topic:\n%s", got)
	}
}
