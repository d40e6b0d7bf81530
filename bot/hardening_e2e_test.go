package bot

import (
	"context"
	"maps"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/attache-bot/attache/bot/discordtest"
	"github.com/attache-bot/attache/corpus"
	"github.com/attache-bot/attache/retrieval"
)

// End-to-end tests of the hardening of what members send: replies, reply
// chains, votes, and what moderators are told.

// A reply to an answer that does not ping the bot is not a question:
// without the Message Content intent it arrives with empty content, and
// the bot stays silent instead of asking for a question after a mention.
func TestE2EReplyWithoutPingIsIgnored(t *testing.T) {
	t.Parallel()
	// Handlers in order: once the next question is answered, the reply
	// before it has been handled.
	e := startE2E(t, e2eOptions{tune: func(b *Bot) { b.syncEvents = true }})
	q1 := e.f.SendMessage(discordtest.MessageSpec{Content: "which port does the Velmora harbour accord open?", MentionBot: true})
	a1 := e.replyTo(t, q1)
	for _, content := range []string{"thanks, that helps", "", strings.Repeat("and again ", 300)} {
		quiet := e.f.SendMessage(discordtest.MessageSpec{Content: content, ReplyTo: a1.ID})
		q := e.f.SendMessage(discordtest.MessageSpec{Content: "which port does the accord open?", MentionBot: true})
		e.replyTo(t, q)
		for _, m := range e.f.Messages(discordtest.DefaultChannelID) {
			if m.ReplyTo == quiet {
				t.Errorf("the bot answered a reply that did not ping it (%q): %q", truncateRunes(content, 20), m.Content)
			}
		}
	}
	// A reply that pings still asks.
	ping := e.f.SendMessage(discordtest.MessageSpec{Content: "and which ministers signed it?", MentionBot: true, ReplyTo: a1.ID})
	if got := e.replyTo(t, ping); got.Content == "" || strings.Contains(got.Content, "Ask me a question") {
		t.Errorf("a reply with a ping: %q", got.Content)
	}
	checkNobodyPinged(t, e.f)
}

// A reply whose message reference points into another channel (or guild)
// is answered without that message: the reference is not fetched, and
// nothing of the other channel becomes history.
func TestE2EReplyChainStaysInChannel(t *testing.T) {
	t.Parallel()
	hs := &historyRecorder{}
	e := startE2E(t, e2eOptions{answerer: hs})
	// A conversation in guild two's channel: a question and the bot's answer.
	secretQ := e.f.SendMessage(discordtest.MessageSpec{GuildID: e2eGuild2, ChannelID: e2eChannel2, MentionBot: true,
		Content: "what is in the sealed embassy memo?"})
	var secretA discordtest.Message
	e.f.WaitUntil(t, func() bool {
		for _, m := range e.f.Messages(e2eChannel2) {
			if m.ReplyTo == secretQ {
				secretA = m
				return true
			}
		}
		return false
	}, waitLong)

	forged := []struct {
		name string
		ref  map[string]any
	}{
		{"other guild and channel", map[string]any{"type": 0, "message_id": secretA.ID, "channel_id": e2eChannel2, "guild_id": e2eGuild2}},
		{"other channel, this guild", map[string]any{"type": 0, "message_id": secretA.ID, "channel_id": e2eChannel2, "guild_id": discordtest.DefaultGuildID}},
		{"forward", map[string]any{"type": 1, "message_id": secretA.ID, "channel_id": e2eChannel2, "guild_id": e2eGuild2}},
	}
	for n, c := range forged {
		id := "1000000000000009" + string(rune('0'+n)) + "00"
		e.f.Dispatch("MESSAGE_CREATE", map[string]any{
			"id": id, "type": 19, "channel_id": discordtest.DefaultChannelID, "guild_id": discordtest.DefaultGuildID,
			"author":  map[string]any{"id": discordtest.DefaultUserID, "username": "reader", "discriminator": "0", "global_name": nil, "avatar": nil},
			"content": e.f.BotMention() + " and what did they say next?", "timestamp": "2026-06-10T12:00:00.000000+00:00",
			"edited_timestamp": nil, "tts": false, "mention_everyone": false,
			"mentions":      []any{map[string]any{"id": discordtest.DefaultBotID, "username": "attache", "discriminator": "0", "bot": true, "avatar": nil}},
			"mention_roles": []any{}, "attachments": []any{}, "embeds": []any{}, "components": []any{}, "pinned": false, "flags": 0,
			"message_reference": c.ref, "referenced_message": nil,
		})
		e.f.WaitUntil(t, func() bool {
			return e.f.Count(func(call discordtest.Call) bool {
				return call.Match("POST", "/api/v9/channels/"+discordtest.DefaultChannelID+"/messages") && call.StringAt("message_reference.message_id") == id
			}) > 0
		}, waitLong)
	}
	if n := e.f.Count(func(c discordtest.Call) bool { return c.Match("GET", "/api/v9/channels/*/messages/*") }); n != 0 {
		t.Errorf("%d messages fetched through forged references, want none", n)
	}
	histories := hs.all()
	if len(histories) != 1+len(forged) {
		t.Fatalf("%d questions answered, want %d", len(histories), 1+len(forged))
	}
	for n, h := range histories[1:] {
		if len(h) != 0 {
			t.Errorf("%s: history %+v, want none", forged[n].name, h)
		}
	}
	checkNobodyPinged(t, e.f)
}

// historyRecorder is an answerer that answers "Answered." and keeps the
// history of every question it was asked.
type historyRecorder struct {
	mu        sync.Mutex
	histories [][]retrieval.Turn
}

func (h *historyRecorder) Answer(_ context.Context, req retrieval.Request, _ func(string)) (retrieval.Answer, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.histories = append(h.histories, req.History)
	return retrieval.Answer{Question: req.Question, Text: "Answered.", Mode: retrieval.ModeNone}, nil
}

func (h *historyRecorder) all() [][]retrieval.Turn {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([][]retrieval.Turn(nil), h.histories...)
}

// A member can change a vote: 👍 then 👎 stores 👎, one vote per member per
// answer; the same vote twice is told so; another member's vote is theirs.
func TestE2EVoteCanBeChanged(t *testing.T) {
	t.Parallel()
	e := startE2E(t, e2eOptions{})
	it := e.f.SendSlashCommand("ask", discordtest.Option{Name: "question", Value: "Which port does the Velmora harbour accord open?"})
	e.final(t, it, hasAll("**Sources**"))
	orig, _ := e.f.Original(it.Token)
	ids := buttonIDs(orig)
	if len(ids) != 3 {
		t.Fatalf("buttons = %v", ids)
	}
	up, down := ids[1], ids[2]
	other := discordtest.User{ID: "1000000000000000041", Name: "other"}
	steps := []struct {
		user discordtest.User
		id   string
		want string
		vote map[string]int // stored votes after the click, by user
	}{
		{discordtest.DefaultUser, up, "Thanks for the feedback", map[string]int{discordtest.DefaultUserID: 1}},
		{discordtest.DefaultUser, down, "Changed your vote to 👎", map[string]int{discordtest.DefaultUserID: -1}},
		{discordtest.DefaultUser, down, "already voted 👎", map[string]int{discordtest.DefaultUserID: -1}},
		{other, down, "Thanks for telling me", map[string]int{discordtest.DefaultUserID: -1, other.ID: -1}},
		{discordtest.DefaultUser, up, "Changed your vote to 👍", map[string]int{discordtest.DefaultUserID: 1, other.ID: -1}},
	}
	for n, s := range steps {
		click := e.f.Interaction(discordtest.InteractionSpec{Type: 3, MessageID: orig.ID, CustomID: s.id, User: s.user})
		if r := e.response(t, click); !strings.Contains(r.StringAt("data.content"), s.want) || r.Field("data.flags") != 64.0 {
			t.Errorf("step %d: %v, want a private %q", n, r.Body, s.want)
		}
		votes, err := e.lib.Feedback(context.Background(), discordtest.DefaultGuildID)
		got := map[string]int{}
		for _, v := range votes {
			got[v.UserID] += v.Vote
		}
		if err != nil || len(votes) != len(s.vote) || !maps.Equal(got, s.vote) {
			t.Errorf("step %d: stored votes %v (%d rows), %v; want %v", n, got, len(votes), err, s.vote)
		}
	}
	checkNobodyPinged(t, e.f)
}

// /article remove of a shared article says what it is and where it is
// removed; another guild's article gets the same answer as no article.
func TestE2ERemoveSharedArticle(t *testing.T) {
	t.Parallel()
	theirs := articleGuildA()
	theirs.Scope = e2eGuild2
	e := startE2E(t, e2eOptions{articles: []corpus.Article{articleShared(), theirs}})
	shared := mustList(t, e.lib, corpus.SharedScope)[0].ID
	other := mustList(t, e.lib, e2eGuild2)[0].ID
	remove := func(id string) string {
		it := e.f.Interaction(discordtest.InteractionSpec{Name: "article", Permissions: modPerms,
			Options: []discordtest.Option{{Name: "remove", Type: 1, Options: []discordtest.Option{{Name: "id", Value: id}}}}})
		return e.final(t, it, notEmpty)
	}
	got := remove(shared)
	for _, want := range []string{"shared article", "command line", "`attache remove " + shared + "`"} {
		if !strings.Contains(got, want) {
			t.Errorf("removing the shared article %s: reply lacks %q:\n%s", shared, want, got)
		}
	}
	unknown := "no-such-article-0000"
	if got, want := remove(other), strings.ReplaceAll(remove(unknown), unknown, other); got != want {
		t.Errorf("another guild's article: %q, want the same as for an unknown id: %q", got, want)
	}
	if len(mustList(t, e.lib, corpus.SharedScope)) != 1 || len(mustList(t, e.lib, e2eGuild2)) != 1 {
		t.Errorf("an article was removed")
	}
	checkNobodyPinged(t, e.f)
}

// A failed attachment says why; "try again" only when trying again can help.
func TestE2EAttachmentFailuresSayWhy(t *testing.T) {
	t.Parallel()
	e := startE2E(t, e2eOptions{})
	png := append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), make([]byte, 64)...)
	jsonl := func() *discordtest.File {
		return &discordtest.File{Name: "articles.jsonl", ContentType: "application/octet-stream", Data: []byte(articlesFile)}
	}
	cases := []struct {
		name     string
		file     *discordtest.File
		fault    func() // injected before the interaction
		want     []string
		again    bool // the reply asks to try again
		download bool // the file is fetched
	}{
		{name: "transient server error", file: jsonl(), again: true, download: true,
			fault: func() { e.f.FailNext("GET", "/attachments/*/*", http.StatusServiceUnavailable, "", 0) },
			want:  []string{"HTTP 503"}},
		{name: "gone", file: jsonl(), download: true,
			fault: func() { e.f.FailNext("GET", "/attachments/*/*", http.StatusNotFound, "", 0) },
			want:  []string{"HTTP 404", "Attach the file again"}},
		{name: "larger than announced", file: jsonl(), download: true,
			fault: func() {
				e.f.FailNext("GET", "/attachments/*/*", http.StatusOK, strings.Repeat("x", maxFileBytes+1), 0)
			},
			want: []string{"larger than the limit of 8 MB"}},
		{name: "not text inside", file: &discordtest.File{Name: "articles.jsonl", ContentType: "application/octet-stream", Data: png}, download: true,
			want: []string{"not text", "image/png", ".jsonl"}},
		{name: "declared a picture", file: &discordtest.File{Name: "notes.txt", ContentType: "image/png", Data: png},
			want: []string{"not text", "image/png"}},
	}
	for _, c := range cases {
		if c.fault != nil {
			c.fault()
		}
		before := e.f.Count(func(call discordtest.Call) bool { return call.Match("GET", "/attachments/*/*") })
		it := e.f.Interaction(discordtest.InteractionSpec{Name: "article", Permissions: modPerms,
			Options: []discordtest.Option{{Name: "add", Type: 1, Options: []discordtest.Option{{Name: "file", File: c.file}}}}})
		got := e.final(t, it, notEmpty)
		for _, w := range c.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: reply lacks %q:\n%s", c.name, w, got)
			}
		}
		if again := strings.Contains(got, "try again"); again != c.again {
			t.Errorf("%s: asks to try again = %v, want %v:\n%s", c.name, again, c.again, got)
		}
		fetched := e.f.Count(func(call discordtest.Call) bool { return call.Match("GET", "/attachments/*/*") }) > before
		if fetched != c.download {
			t.Errorf("%s: downloaded = %v, want %v", c.name, fetched, c.download)
		}
	}
	if n := len(mustList(t, e.lib, discordtest.DefaultGuildID)); n != 0 {
		t.Errorf("%d articles added from failed files", n)
	}

	// An address the fetcher refuses (here: loopback, without the opt-in).
	strict := startE2E(t, e2eOptions{tune: func(b *Bot) { b.fetcher = corpus.NewFetcher(corpus.FetchOptions{Timeout: 5 * time.Second}) }})
	it := strict.f.Interaction(discordtest.InteractionSpec{Name: "article", Permissions: modPerms,
		Options: []discordtest.Option{{Name: "add", Type: 1, Options: []discordtest.Option{{Name: "file", File: jsonl()}}}}})
	if got := strict.final(t, it, notEmpty); !strings.Contains(got, "not allowed") || strings.Contains(got, "try again") {
		t.Errorf("refused address: %q, want the reason and no 'try again'", got)
	}
	checkNobodyPinged(t, e.f)
}

// countingCatalog is the real library, counting the calls of List.
type countingCatalog struct {
	Catalog
	lists atomic.Int64
}

func (c *countingCatalog) List(ctx context.Context, scopes ...string) ([]corpus.Summary, error) {
	c.lists.Add(1)
	return c.Catalog.List(ctx, scopes...)
}

// Autocomplete asks the library for its 25 choices, not for the guild's
// whole list on every keystroke (which at 100,000 articles missed
// Discord's deadline: BenchmarkSuggest100k), and still offers the guild's
// own articles only, newest first.
func TestE2EAutocompleteQueriesOnlyItsChoices(t *testing.T) {
	t.Parallel()
	arts := append(manyArticles(40, discordtest.DefaultGuildID), manyArticles(3, e2eGuild2)...)
	for k := range arts[40:] {
		arts[40+k].Title = "Other guild's bulletin " + strconv.Itoa(k)
	}
	uni := articleGuildA()
	uni.Scope, uni.Title = discordtest.DefaultGuildID, "Zölle über Straße nach Brindle"
	uni.Published = time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC) // older than the bulletins
	arts = append(arts, articleShared(), uni)
	cat := &countingCatalog{}
	e := startE2E(t, e2eOptions{articles: arts, tune: func(b *Bot) {
		cat.Catalog = b.catalog
		b.catalog = cat
	}})
	auto := func(typed string) []string {
		it := e.f.Interaction(discordtest.InteractionSpec{Type: 4, Name: "article", Permissions: modPerms,
			Options: []discordtest.Option{{Name: "remove", Type: 1, Options: []discordtest.Option{{Name: "id", Value: typed, Focused: true}}}}})
		r := e.response(t, it)
		if r.Field("type") != 8.0 {
			t.Fatalf("autocomplete %.20q: response %v", typed, r.Body)
		}
		choices, _ := r.Field("data.choices").([]any)
		var names []string
		for _, c := range choices {
			names = append(names, c.(map[string]any)["name"].(string))
		}
		return names
	}
	all := auto("")
	if len(all) != maxChoices || !strings.HasPrefix(all[0], "Bulletin number 39") || !strings.HasPrefix(all[1], "Bulletin number 38") {
		t.Errorf("no text: %d choices from %v, want the 25 newest", len(all), all[:min(2, len(all))])
	}
	for typed, want := range map[string]string{
		"NUMBER 07": "Bulletin number 07", "ZÖLLE": "Zölle über Straße", "straße nach": "Zölle über Straße",
	} {
		if got := auto(typed); len(got) != 1 || !strings.HasPrefix(got[0], want) {
			t.Errorf("%q: %v, want %q", typed, got, want)
		}
	}
	for _, typed := range []string{"Other guild", "Harbour accord", "%", "_", strings.Repeat("bulletin ", 1000), "\x00"} {
		if got := auto(typed); len(got) != 0 {
			t.Errorf("%.20q: %v, want none", typed, got)
		}
	}
	if n := cat.lists.Load(); n != 0 {
		t.Errorf("autocomplete listed the guild's articles %d times", n)
	}
}
