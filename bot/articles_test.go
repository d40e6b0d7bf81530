package bot

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/attache-bot/attache/corpus"
)

const modPerms = int64(discordgo.PermissionManageMessages)

// pageServer serves an article page and an articles file on loopback and
// counts the requests it gets.
type pageServer struct {
	*httptest.Server
	hits atomic.Int64
}

const articlePage = `<!doctype html><html lang="en"><head><title>Brindle summit ends with corridor deal</title>
<meta property="og:site_name" content="Plains Herald">
<meta property="article:published_time" content="2026-06-09T08:00:00Z"></head>
<body><article><h1>Brindle summit ends with corridor deal</h1>
<p>The envoys of Quillan and Dorvast agreed in Brindle on a grain corridor with monthly inspections of convoys.</p>
<p>The deal was announced by envoy Tamsin Rook after three days of talks in the old town hall of Brindle.</p>
<p>Both governments must still ratify the agreement before the first convoys leave in the autumn.</p>
</article></body></html>`

const articlesFile = `{"title":"Ferry line to Kessel reopens","source":"Coastal Wire","published":"2026-06-05","url":"https://coastal.example/ferry","body":"The ferry line between Velmora and Kessel reopened after the harbour accord."}
{"title":"","body":"A record without a title."}
{"title":"Ostrane names new envoy","source":"Ostrane Post","published":"2026-06-06","body":"Ostrane named Pell Carrow as its envoy to Velmora."}
`

func newPageServer(t *testing.T) *pageServer {
	ps := &pageServer{}
	ps.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ps.hits.Add(1)
		switch r.URL.Path {
		case "/article":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, articlePage)
		case "/articles.jsonl":
			w.Header().Set("Content-Type", "application/octet-stream")
			fmt.Fprint(w, articlesFile)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(ps.Close)
	return ps
}

func fileOption(id string) *discordgo.ApplicationCommandInteractionDataOption {
	return &discordgo.ApplicationCommandInteractionDataOption{Name: optFile, Type: discordgo.ApplicationCommandOptionAttachment, Value: id}
}

func withAttachment(i *discordgo.Interaction, att *discordgo.MessageAttachment) *discordgo.Interaction {
	data := i.Data.(discordgo.ApplicationCommandInteractionData)
	data.Resolved = &discordgo.ApplicationCommandInteractionDataResolved{Attachments: map[string]*discordgo.MessageAttachment{att.ID: att}}
	i.Data = data
	return i
}

func guildTitles(t *testing.T, e *env, scope string) []string {
	t.Helper()
	list, err := e.lib.List(e.ctx, scope)
	if err != nil {
		t.Fatal(err)
	}
	var titles []string
	for _, s := range list {
		titles = append(titles, s.Title)
	}
	return titles
}

func TestNonModeratorIsRefusedBeforeAnything(t *testing.T) {
	e := newEnv(t, envOptions{})
	ps := newPageServer(t)
	att := &discordgo.MessageAttachment{ID: "1", Filename: "articles.jsonl", URL: ps.URL + "/articles.jsonl", Size: len(articlesFile)}
	cases := map[string]*discordgo.Interaction{
		"add url":  articleInteraction(guildA, userU, 0, subAdd, strOpt(optURL, ps.URL+"/article")),
		"add file": withAttachment(articleInteraction(guildA, userU, 0, subAdd, fileOption("1")), att),
		"modal":    articleInteraction(guildA, userU, 0, subAdd),
		"remove":   articleInteraction(guildA, userU, 0, subRemove, strOpt(optID, "x")),
		"list":     articleInteraction(guildA, userU, 0, subList),
		"modal submit": modalInteraction(guildA, userU, 0, map[string]string{
			fieldTitle: "Sneaky", fieldBody: "Sneaky body text.",
		}),
		"list page": buttonInteraction(guildA, userU, 0, btnListPage+"2"),
	}
	before := guildTitles(t, e, guildA)
	for name, i := range cases {
		t.Run(name, func(t *testing.T) {
			calls := e.run(i)
			if len(calls) != 1 || calls[0].Resp == nil || calls[0].Resp.Type != discordgo.InteractionResponseChannelMessageWithSource ||
				calls[0].Resp.Data.Flags&discordgo.MessageFlagsEphemeral == 0 || calls[0].content() != msgNotModerator {
				t.Fatalf("calls = %+v, want one ephemeral refusal", calls)
			}
		})
	}
	if n := ps.hits.Load(); n != 0 {
		t.Errorf("%d requests reached the web server for a non-moderator", n)
	}
	if after := guildTitles(t, e, guildA); len(after) != len(before) {
		t.Errorf("articles changed: %v → %v", before, after)
	}
}

func TestModeratorByRoleIDOrName(t *testing.T) {
	for _, role := range []string{"999", "News Desk", "news desk"} {
		t.Run(role, func(t *testing.T) {
			e := newEnv(t, envOptions{cfg: Config{ModeratorRole: role}})
			e.rec.roles = []*discordgo.Role{{ID: "999", Name: "News Desk"}, {ID: "998", Name: "Other"}}
			i := articleInteraction(guildA, userU, 0, subList)
			i.Member.Roles = []string{"998", "999"}
			if c := e.run(i); c[len(c)-1].content() == msgNotModerator {
				t.Errorf("member with role %q refused", role)
			}
			j := articleInteraction(guildA, userU, 0, subList)
			j.Member.Roles = []string{"998"}
			if c := e.run(j); c[len(c)-1].content() != msgNotModerator {
				t.Errorf("member without the role accepted")
			}
		})
	}
}

func TestArticleOutsideGuildRefused(t *testing.T) {
	e := newEnv(t, envOptions{})
	i := articleInteraction("", userM, 0, subList)
	if c := e.run(i); c[0].content() != msgGuildOnly {
		t.Errorf("/article in a DM: %q", c[0].content())
	}
}

func TestAddOpensModalThenSubmitAdds(t *testing.T) {
	e := newEnv(t, envOptions{})
	calls := e.run(articleInteraction(guildA, userM, modPerms, subAdd))
	if len(calls) != 1 || calls[0].Resp.Type != discordgo.InteractionResponseModal {
		t.Fatalf("calls = %+v, want a modal", calls)
	}
	d := calls[0].Resp.Data
	if d.CustomID != modalAddArticle || d.Title != "Add article" {
		t.Errorf("modal %q %q", d.CustomID, d.Title)
	}
	if got, want := strings.Join(customIDs(d.Components), ","), "title,source,url,published,body"; got != want {
		t.Errorf("modal inputs = %s, want %s", got, want)
	}

	calls = e.run(modalInteraction(guildA, userM, modPerms, map[string]string{
		fieldTitle: "Kessel port fees cut", fieldSource: "Coastal Wire", fieldURL: "https://coastal.example/fees",
		fieldPublished: "2026-06-09", fieldBody: "Velmora cut the port fees of Kessel by half for ships from Ostrane.",
	}))
	last := calls[len(calls)-1]
	if calls[0].Resp.Type != discordgo.InteractionResponseDeferredChannelMessageWithSource || calls[0].Resp.Data.Flags&discordgo.MessageFlagsEphemeral == 0 {
		t.Errorf("modal submit not deferred privately")
	}
	for _, want := range []string{"Added **Kessel port fees cut**", "Coastal Wire", "2026-06-09", "id: `"} {
		if !strings.Contains(last.content(), want) {
			t.Errorf("confirmation lacks %q: %s", want, last.content())
		}
	}
	if titles := guildTitles(t, e, guildA); !contains(titles, "Kessel port fees cut") {
		t.Errorf("guild A's articles = %v", titles)
	}
	if titles := guildTitles(t, e, guildB); contains(titles, "Kessel port fees cut") {
		t.Errorf("the article leaked into guild B")
	}
	checkNoPings(t, calls)
}

func TestModalSubmitValidation(t *testing.T) {
	cases := map[string]map[string]string{
		"no title":    {fieldTitle: " ", fieldBody: "text"},
		"no body":     {fieldTitle: "t", fieldBody: ""},
		"bad date":    {fieldTitle: "t", fieldBody: "text", fieldPublished: "09/06/2026"},
		"bad url":     {fieldTitle: "t", fieldBody: "text", fieldURL: "javascript:alert(1)"},
		"huge body":   {fieldTitle: "t", fieldBody: strings.Repeat("x", maxModalBodyRunes+1)},
		"invalid utf": {fieldTitle: "t\xff", fieldBody: "text"},
	}
	e := newEnv(t, envOptions{})
	before := len(guildTitles(t, e, guildA))
	for name, f := range cases {
		t.Run(name, func(t *testing.T) {
			calls := e.run(modalInteraction(guildA, userM, modPerms, f))
			if len(calls) != 1 || calls[0].Resp.Type != discordgo.InteractionResponseChannelMessageWithSource ||
				calls[0].Resp.Data.Flags&discordgo.MessageFlagsEphemeral == 0 {
				t.Fatalf("calls = %+v, want one ephemeral error", calls)
			}
		})
	}
	if after := len(guildTitles(t, e, guildA)); after != before {
		t.Errorf("invalid forms added articles: %d → %d", before, after)
	}
}

func TestAddByURL(t *testing.T) {
	e := newEnv(t, envOptions{})
	ps := newPageServer(t)
	calls := e.run(articleInteraction(guildA, userM, modPerms, subAdd, strOpt(optURL, ps.URL+"/article")))
	last := calls[len(calls)-1].content()
	for _, want := range []string{"Added **Brindle summit ends with corridor deal**", "Plains Herald", "2026-06-09", "id: `"} {
		if !strings.Contains(last, want) {
			t.Errorf("confirmation lacks %q: %s", want, last)
		}
	}
	// The new article answers the guild's next question.
	ans := e.run(askInteraction(guildA, userU, "What did the Brindle summit agree about the corridor?", false))
	if got := ans[len(ans)-1].content(); !strings.Contains(got, "Brindle summit ends") {
		t.Errorf("the added article is not used:\n%s", got)
	}
}

func TestAddByURLProblems(t *testing.T) {
	e := newEnv(t, envOptions{})
	ps := newPageServer(t)
	cases := map[string]struct {
		url      string
		deferred bool
	}{
		"not a url":     {"not a url", false},
		"ftp":           {"ftp://files.example/a", false},
		"missing page":  {ps.URL + "/missing", true},
		"a file":        {ps.URL + "/articles.jsonl", true},
		"relative path": {"/article", false},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			calls := e.run(articleInteraction(guildA, userM, modPerms, subAdd, strOpt(optURL, c.url)))
			last := calls[len(calls)-1]
			if c.deferred != (calls[0].Resp.Type == discordgo.InteractionResponseDeferredChannelMessageWithSource) {
				t.Errorf("deferred = %v, want %v", !c.deferred, c.deferred)
			}
			if !strings.Contains(last.content(), "couldn't") && !strings.Contains(last.content(), "doesn't look like") {
				t.Errorf("reply = %q, want a reason", last.content())
			}
		})
	}
	blocked := newEnv(t, envOptions{})
	blocked.bot.fetcher = corpus.NewFetcher(corpus.FetchOptions{Timeout: 5 * time.Second}) // private addresses refused
	calls := blocked.run(articleInteraction(guildA, userM, modPerms, subAdd, strOpt(optURL, ps.URL+"/article")))
	if got := calls[len(calls)-1].content(); !strings.Contains(got, "not allowed") {
		t.Errorf("loopback URL without the opt-in: %q", got)
	}
}

func TestAddByFile(t *testing.T) {
	e := newEnv(t, envOptions{})
	ps := newPageServer(t)
	att := &discordgo.MessageAttachment{ID: "42", Filename: "articles.jsonl", URL: ps.URL + "/articles.jsonl", Size: len(articlesFile)}
	calls := e.run(withAttachment(articleInteraction(guildA, userM, modPerms, subAdd, fileOption("42")), att))
	got := calls[len(calls)-1].content()
	for _, want := range []string{"2 added", "0 updated", "1 rejected", "line 2"} {
		if !strings.Contains(got, want) {
			t.Errorf("summary lacks %q: %s", want, got)
		}
	}
	titles := guildTitles(t, e, guildA)
	if !contains(titles, "Ferry line to Kessel reopens") || !contains(titles, "Ostrane names new envoy") {
		t.Errorf("guild A's articles = %v", titles)
	}
	// The same file again changes nothing.
	calls = e.run(withAttachment(articleInteraction(guildA, userM, modPerms, subAdd, fileOption("42")), att))
	if got := calls[len(calls)-1].content(); !strings.Contains(got, "0 added") || !strings.Contains(got, "2 unchanged") {
		t.Errorf("second import: %s", got)
	}
}

func TestAddByFileProblems(t *testing.T) {
	e := newEnv(t, envOptions{})
	ps := newPageServer(t)
	cases := map[string]*discordgo.MessageAttachment{
		"too large":      {ID: "1", Filename: "a.jsonl", URL: ps.URL + "/articles.jsonl", Size: maxFileBytes + 1},
		"wrong type":     {ID: "1", Filename: "a.exe", URL: ps.URL + "/articles.jsonl", Size: 10},
		"missing":        nil,
		"download fails": {ID: "1", Filename: "a.jsonl", URL: ps.URL + "/nothing.jsonl", Size: 10},
	}
	for name, att := range cases {
		t.Run(name, func(t *testing.T) {
			i := articleInteraction(guildA, userM, modPerms, subAdd, fileOption("1"))
			if att != nil {
				i = withAttachment(i, att)
			}
			calls := e.run(i)
			last := calls[len(calls)-1].content()
			if !strings.Contains(last, "too large") && !strings.Contains(last, "couldn't") && !strings.Contains(last, "can import") {
				t.Errorf("reply = %q", last)
			}
		})
	}
	both := articleInteraction(guildA, userM, modPerms, subAdd, strOpt(optURL, ps.URL+"/article"), fileOption("1"))
	if c := e.run(both); !strings.Contains(c[0].content(), "not both") {
		t.Errorf("url and file: %q", c[0].content())
	}
}

func TestRemoveTakesEffectAndIsGuildScoped(t *testing.T) {
	e := newEnv(t, envOptions{})
	list, _ := e.lib.List(e.ctx, guildA)
	id := list[0].ID
	// Another guild's moderator cannot remove it.
	calls := e.run(articleInteraction(guildB, userM, modPerms, subRemove, strOpt(optID, id)))
	if got := calls[len(calls)-1].content(); !strings.Contains(got, "no article") {
		t.Errorf("removal from guild B: %q", got)
	}
	// Nor can a guild remove a shared article.
	shared, _ := e.lib.List(e.ctx, corpus.SharedScope)
	calls = e.run(articleInteraction(guildA, userM, modPerms, subRemove, strOpt(optID, shared[0].ID)))
	if got := calls[len(calls)-1].content(); !strings.Contains(got, "shared article") || !strings.Contains(got, "`attache remove "+shared[0].ID+"`") {
		t.Errorf("removal of a shared article: %q", got)
	}
	calls = e.run(articleInteraction(guildA, userM, modPerms, subRemove, strOpt(optID, id)))
	if got := calls[len(calls)-1].content(); !strings.Contains(got, "Removed") {
		t.Fatalf("removal: %q", got)
	}
	ans := e.run(askInteraction(guildA, userU, "What did the Quillan envoy Tamsin Rook demand in Brindle?", false))
	if got := ans[len(ans)-1].content(); strings.Contains(got, "plains.example") {
		t.Errorf("removed article still cited:\n%s", got)
	}
	for _, bad := range []string{"", strings.Repeat("x", 101), "a\xffb"} {
		calls = e.run(articleInteraction(guildA, userM, modPerms, subRemove, strOpt(optID, bad)))
		if len(calls) != 1 || calls[0].Resp.Type != discordgo.InteractionResponseChannelMessageWithSource {
			t.Errorf("remove %q: %+v, want one ephemeral error", bad, calls)
		}
	}
}

func manyArticles(n int, scope string) []corpus.Article {
	var out []corpus.Article
	for k := range n {
		out = append(out, corpus.Article{
			Title: fmt.Sprintf("Bulletin number %02d from Velmora", k), Source: "Coastal Wire", Scope: scope,
			Published: time.Date(2026, 1, 1+k, 0, 0, 0, 0, time.UTC),
			Body:      fmt.Sprintf("Bulletin %d reports on the ports of Velmora and the ships in Kessel harbour.", k),
		})
	}
	return out
}

func TestAutocomplete(t *testing.T) {
	e := newEnv(t, envOptions{articles: append(manyArticles(30, guildA), articleShared())})
	auto := func(perms int64, typed string) []*discordgo.ApplicationCommandOptionChoice {
		i := newInteraction(discordgo.InteractionApplicationCommandAutocomplete, guildA, userM, perms)
		i.Data = discordgo.ApplicationCommandInteractionData{Name: cmdArticle, Options: []*discordgo.ApplicationCommandInteractionDataOption{
			{Name: subRemove, Type: discordgo.ApplicationCommandOptionSubCommand, Options: []*discordgo.ApplicationCommandInteractionDataOption{
				{Name: optID, Type: discordgo.ApplicationCommandOptionString, Value: typed, Focused: true},
			}},
		}}
		calls := e.run(i)
		if len(calls) != 1 || calls[0].Resp.Type != discordgo.InteractionApplicationCommandAutocompleteResult {
			t.Fatalf("calls = %+v, want one autocomplete result", calls)
		}
		return calls[0].Resp.Data.Choices
	}
	all := auto(modPerms, "")
	if len(all) != maxChoices {
		t.Errorf("%d choices, want %d", len(all), maxChoices)
	}
	if !strings.HasPrefix(all[0].Name, "Bulletin number 29") {
		t.Errorf("first choice %q, want the newest", all[0].Name)
	}
	for _, c := range all {
		if len([]rune(c.Name)) > maxChoiceRunes || strings.Contains(c.Name, "Harbour accord") {
			t.Errorf("choice %q: too long or not the guild's", c.Name)
		}
	}
	if got := auto(modPerms, "NUMBER 07"); len(got) != 1 || !strings.Contains(got[0].Name, "07") {
		t.Errorf("filtered choices = %v", got)
	}
	if got := auto(0, ""); len(got) != 0 {
		t.Errorf("non-moderator got %d choices", len(got))
	}
}

func TestListPaginates(t *testing.T) {
	e := newEnv(t, envOptions{articles: append(manyArticles(12, guildA), articleShared())})
	page := func(n int64) *discordgo.Interaction {
		if n == 0 {
			return articleInteraction(guildA, userM, modPerms, subList)
		}
		return articleInteraction(guildA, userM, modPerms, subList,
			&discordgo.ApplicationCommandInteractionDataOption{Name: optPage, Type: discordgo.ApplicationCommandOptionInteger, Value: float64(n)})
	}
	calls := e.run(page(0))
	c := calls[0]
	if c.Resp.Type != discordgo.InteractionResponseChannelMessageWithSource || c.Resp.Data.Flags&discordgo.MessageFlagsEphemeral == 0 {
		t.Fatalf("list is not an ephemeral reply")
	}
	if got := c.content(); !strings.Contains(got, "page 1 of 2") || !strings.Contains(got, "Bulletin number 11") || strings.Contains(got, "Bulletin number 01") || strings.Contains(got, "Harbour") {
		t.Errorf("page 1:\n%s", got)
	}
	if ids := customIDs(c.components()); len(ids) != 2 || ids[1] != btnListPage+"2" {
		t.Errorf("buttons = %v", ids)
	}
	calls = e.run(buttonInteraction(guildA, userM, modPerms, btnListPage+"2"))
	if c := calls[0]; c.Resp.Type != discordgo.InteractionResponseUpdateMessage || !strings.Contains(c.content(), "page 2 of 2") || !strings.Contains(c.content(), "Bulletin number 00") {
		t.Errorf("page 2 button: %v %s", c.Resp.Type, c.content())
	}
	if c := e.run(page(99)); !strings.Contains(c[0].content(), "page 2 of 2") {
		t.Errorf("page 99 is not clamped: %s", c[0].content())
	}
	if c := e.run(buttonInteraction(guildA, userM, modPerms, btnListPage+"zz")); !strings.Contains(c[0].content(), "broken") {
		t.Errorf("malformed page button: %s", c[0].content())
	}
	empty := newEnv(t, envOptions{articles: []corpus.Article{articleShared()}})
	if c := empty.run(articleInteraction(guildA, userM, modPerms, subList)); !strings.Contains(c[0].content(), "no articles") {
		t.Errorf("empty list: %s", c[0].content())
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestHostileArticleTextCannotPing(t *testing.T) {
	e := newEnv(t, envOptions{})
	calls := e.run(modalInteraction(guildA, userM, modPerms, map[string]string{
		fieldTitle: "@everyone <@&123> [click](https://evil.example) **loud**", fieldSource: "<@456> @here",
		fieldBody: "Velmora and Ostrane @everyone signed again.",
	}))
	got := calls[len(calls)-1].content()
	for _, bad := range []string{"@everyone", "@here", "<@&123>", "<@456>", "[click](https://evil.example)"} {
		if strings.Contains(got, bad) {
			t.Errorf("confirmation contains live %q: %s", bad, got)
		}
	}
	checkNoPings(t, calls)
	list := e.run(articleInteraction(guildA, userM, modPerms, subList))
	if got := list[0].content(); strings.Contains(got, "@everyone") || strings.Contains(got, "<@&123>") {
		t.Errorf("list contains live mentions: %s", got)
	}
}
