package discordtest

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
)

// End-to-end tests: a real discordgo session against the fake. Each costs discordgo's 1 s Close,
// so they run in parallel.

func TestOpenReadyAndGuildCreate(t *testing.T) {
	t.Parallel()
	guild := Guild{ID: "500", Name: "Newsroom", Channels: []string{"501", "502"},
		Roles:   []Role{{ID: "600", Name: "editors", Permissions: discordgo.PermissionManageMessages}},
		Members: []Member{{User: User{ID: "700", Name: "ed"}, Roles: []string{"600"}}}}
	f := New(t, Options{Guilds: []Guild{guild}})
	guilds, gotGuild := result[*discordgo.GuildCreate]()
	s := openSession(t, f, func(s *discordgo.Session) {
		s.AddHandler(func(_ *discordgo.Session, g *discordgo.GuildCreate) { gotGuild(g) })
	})
	// READY is applied synchronously by Open.
	if s.State.User.ID != DefaultBotID || !s.State.User.Bot || s.State.Application.ID != DefaultAppID || s.State.SessionID == "" {
		t.Fatalf("state after Open: user %+v application %+v session %q", s.State.User, s.State.Application, s.State.SessionID)
	}
	g := receive(t, guilds)
	if g.ID != "500" || g.Name != "Newsroom" || len(g.Channels) != 2 || len(g.Roles) != 2 || len(g.Members) != 2 {
		t.Fatalf("GUILD_CREATE = %+v", g.Guild)
	}
	if g.Roles[0].Permissions != discordgo.PermissionManageMessages || g.Members[1].Roles[0] != "600" {
		t.Fatalf("roles %+v members %+v", g.Roles[0], g.Members[1])
	}
	id := f.WaitForCall(t, "GATEWAY", "IDENTIFY", time.Second)
	if id.StringAt("token") != "Bot "+DefaultToken || f.Intents() != int64(discordgo.IntentsGuilds|discordgo.IntentsGuildMessages) {
		t.Fatalf("IDENTIFY %v, intents %d", id.Body, f.Intents())
	}
}

func TestSlashCommandDeferEditFollowup(t *testing.T) {
	t.Parallel()
	f := New(t, Options{})
	type seen struct {
		question string
		private  bool
		perms    int64
		file     *discordgo.MessageAttachment
		sub      string
	}
	got, report := result[seen]()
	none := &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}}
	openSession(t, f, func(s *discordgo.Session) {
		s.AddHandler(func(s *discordgo.Session, i *discordgo.InteractionCreate) {
			data := i.ApplicationCommandData()
			if data.Name == "article" {
				add := data.Options[0]
				report(seen{sub: add.Name, file: data.Resolved.Attachments[add.Options[0].Value.(string)], perms: i.Member.Permissions})
				s.InteractionRespond(i.Interaction, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseChannelMessageWithSource,
					Data: &discordgo.InteractionResponseData{Content: "added", Flags: discordgo.MessageFlagsEphemeral, AllowedMentions: none}})
				return
			}
			s.InteractionRespond(i.Interaction, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredChannelMessageWithSource})
			text := "Answer [1]"
			s.InteractionResponseEdit(i.Interaction, &discordgo.WebhookEdit{Content: &text, AllowedMentions: none})
			s.FollowupMessageCreate(i.Interaction, true, &discordgo.WebhookParams{Content: "Sources", AllowedMentions: none})
			report(seen{question: data.GetOption("question").StringValue(), private: data.GetOption("private").BoolValue(), perms: i.Member.Permissions})
		})
	})
	it := f.Interaction(InteractionSpec{Name: "ask", Permissions: discordgo.PermissionManageMessages,
		Options: []Option{{Name: "question", Value: "Who met whom?"}, {Name: "private", Value: true}}})
	v := receive(t, got)
	if v.question != "Who met whom?" || !v.private || v.perms != discordgo.PermissionManageMessages {
		t.Fatalf("handler saw %+v", v)
	}
	f.WaitForCall(t, "POST", "/api/v9/webhooks/*/*", 5*time.Second)
	if f.FinalContent(it.Token) != "Answer [1]" || len(f.Followups(it.Token)) != 1 {
		t.Fatalf("final %q follow-ups %+v", f.FinalContent(it.Token), f.Followups(it.Token))
	}
	if resp := f.InteractionResponses(it.ID); len(resp) != 1 || resp[0].Field("type") != 5.0 || resp[0].Status != 204 {
		t.Fatalf("responses %+v", resp)
	}
	if bad := f.MayPing(); len(bad) != 0 {
		t.Fatalf("calls that may ping: %+v", bad)
	}
	// Subcommands and attachments: the resolved attachment points at bytes the fake serves.
	add := f.Interaction(InteractionSpec{Name: "article", Options: []Option{{Name: "add", Options: []Option{
		{Name: "file", File: &File{Name: "a.txt", ContentType: "text/plain", Data: []byte("article body")}}}}}})
	v = receive(t, got)
	if v.sub != "add" || v.file == nil || v.file.Filename != "a.txt" || v.file.Size != 12 || v.perms != 0 {
		t.Fatalf("attachment interaction: %+v %+v", v, v.file)
	}
	f.WaitUntil(t, func() bool { _, ok := f.AckLatency(add.ID); return ok }, 5*time.Second)
	resp, err := f.HTTPClient().Get(v.file.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "article body" {
		t.Fatalf("downloaded %q", body)
	}
}

func TestComponentsModalsAutocomplete(t *testing.T) {
	t.Parallel()
	f := New(t, Options{})
	values, report := result[string]()
	openSession(t, f, func(s *discordgo.Session) {
		s.AddHandler(func(s *discordgo.Session, i *discordgo.InteractionCreate) {
			var err error
			switch i.Type {
			case discordgo.InteractionApplicationCommand:
				err = s.InteractionRespond(i.Interaction, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseChannelMessageWithSource,
					Data: &discordgo.InteractionResponseData{Content: "page 1", Components: []discordgo.MessageComponent{
						discordgo.ActionsRow{Components: []discordgo.MessageComponent{discordgo.Button{Label: "Next", CustomID: "list:2"}}}}}})
			case discordgo.InteractionMessageComponent:
				report(i.MessageComponentData().CustomID + " on " + i.Message.Content)
				err = s.InteractionRespond(i.Interaction, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseUpdateMessage,
					Data: &discordgo.InteractionResponseData{Content: "page 2"}})
			case discordgo.InteractionModalSubmit:
				d := i.ModalSubmitData()
				report(d.CustomID + ":" + d.Components[1].(*discordgo.ActionsRow).Components[0].(*discordgo.TextInput).Value)
				err = s.InteractionRespond(i.Interaction, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseChannelMessageWithSource,
					Data: &discordgo.InteractionResponseData{Content: "added", Flags: discordgo.MessageFlagsEphemeral}})
			case discordgo.InteractionApplicationCommandAutocomplete:
				for _, o := range i.ApplicationCommandData().Options[0].Options {
					if o.Focused {
						report("focused " + o.Name + "=" + o.StringValue())
					}
				}
				err = s.InteractionRespond(i.Interaction, &discordgo.InteractionResponse{Type: discordgo.InteractionApplicationCommandAutocompleteResult,
					Data: &discordgo.InteractionResponseData{Choices: []*discordgo.ApplicationCommandOptionChoice{{Name: "A title", Value: "abc"}}}})
			}
			if err != nil {
				report("error: " + err.Error())
			}
		})
	})
	cmd := f.SendSlashCommand("article", Option{Name: "list"})
	f.WaitUntil(t, func() bool { return f.FinalContent(cmd.Token) == "page 1" }, 5*time.Second)
	orig, _ := f.Original(cmd.Token)
	click := f.Click(orig.ID, "list:2")
	if v := receive(t, values); v != "list:2 on page 1" {
		t.Fatalf("click handler saw %q", v)
	}
	f.WaitUntil(t, func() bool { m, _ := f.Message(orig.ID); return m.Content == "page 2" }, 5*time.Second)
	if _, ok := f.AckLatency(click.ID); !ok {
		t.Fatal("the click was not acknowledged")
	}
	modal := f.SubmitModal("article-add", TextInput{"title", "T"}, TextInput{"body", "Body text"})
	if v := receive(t, values); v != "article-add:Body text" {
		t.Fatalf("modal handler saw %q", v)
	}
	f.WaitUntil(t, func() bool { m, _ := f.Original(modal.Token); return m.Ephemeral() }, 5*time.Second)
	ac := f.Autocomplete("article", Option{Name: "remove", Options: []Option{{Name: "id", Value: "tit", Focused: true}}})
	if v := receive(t, values); v != "focused id=tit" {
		t.Fatalf("autocomplete handler saw %q", v)
	}
	f.WaitUntil(t, func() bool { _, ok := f.AckLatency(ac.ID); return ok }, 5*time.Second)
}

func TestMessagesAndIntents(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		intents discordgo.Intent
		want    []string // contents received, in order
	}{
		{"no GUILD_MESSAGES: nothing", discordgo.IntentsGuilds, []string{"[dm] dm text"}},
		{"GUILD_MESSAGES: content only with a mention", discordgo.IntentsGuilds | discordgo.IntentsGuildMessages,
			[]string{"", "<@" + DefaultBotID + "> hi", "[bot] reply"}},
		{"with MESSAGE_CONTENT", discordgo.IntentsGuildMessages | discordgo.IntentMessageContent,
			[]string{"plain", "<@" + DefaultBotID + "> hi", "[bot] reply"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := New(t, Options{})
			f.ExpectViolations(CodeUnfinished) // the sentinel is not answered
			got, report := result[string]()
			openSession(t, f, func(s *discordgo.Session) {
				s.Identify.Intents = tc.intents | discordgo.IntentsDirectMessages
				s.SyncEvents = true // in order, so "nothing arrived" is observable
				s.AddHandler(func(s *discordgo.Session, m *discordgo.MessageCreate) {
					switch {
					case m.GuildID == "":
						report("[dm] " + m.Content)
					case m.Author.ID == s.State.User.ID:
						report("[bot] " + m.Content)
					case len(m.Mentions) > 0 && m.Mentions[0].ID == s.State.User.ID:
						report(m.Content)
						s.ChannelMessageSendReply(m.ChannelID, "reply", m.Reference())
					default:
						report(m.Content)
					}
				})
				s.AddHandler(func(s *discordgo.Session, i *discordgo.InteractionCreate) { report("sentinel") })
			})
			f.SendMessage(MessageSpec{Content: "plain"})
			f.SendMessage(MessageSpec{Content: "hi", MentionBot: true})
			// The reply (if any) is echoed before the sentinel interaction is sent.
			if len(tc.want) == 3 {
				f.WaitForCall(t, "POST", "/api/v9/channels/*/messages", 5*time.Second)
			}
			f.SendMessage(MessageSpec{Content: "dm text", DM: true})
			f.SendSlashCommand("ask")
			var seen []string
			for v := receive(t, got); v != "sentinel"; v = receive(t, got) {
				seen = append(seen, v)
			}
			if strings.Join(seen, "|") != strings.Join(append(tc.want[:len(tc.want):len(tc.want)], dmIf(tc.intents)...), "|") {
				t.Fatalf("received %q, want %q", seen, tc.want)
			}
		})
	}
}

// dmIf lists the DM the handler sees after the guild messages (DIRECT_MESSAGES is always on,
// and DMs always carry content); for the first case it is already in want.
func dmIf(intents discordgo.Intent) []string {
	if intents&discordgo.IntentsGuildMessages == 0 {
		return nil
	}
	return []string{"[dm] dm text"}
}

func TestRateLimitedEditIsRetried(t *testing.T) {
	t.Parallel()
	f := New(t, Options{})
	done, report := result[error]()
	openSession(t, f, func(s *discordgo.Session) {
		s.AddHandler(func(s *discordgo.Session, i *discordgo.InteractionCreate) {
			s.InteractionRespond(i.Interaction, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredChannelMessageWithSource})
			text := "answer"
			_, err := s.InteractionResponseEdit(i.Interaction, &discordgo.WebhookEdit{Content: &text})
			report(err)
		})
	})
	f.FailNext("PATCH", "/api/v9/webhooks/*/*/messages/@original", 429, "", 20*time.Millisecond)
	it := f.SendSlashCommand("ask")
	if err := receive(t, done); err != nil {
		t.Fatalf("edit after a 429: %v", err)
	}
	var patches []Call
	for _, c := range f.Calls() {
		if c.Match("PATCH", "/api/v9/webhooks/*/*/messages/@original") {
			patches = append(patches, c)
		}
	}
	if len(patches) != 2 || patches[0].Status != 429 || !patches[0].Injected || patches[1].Status != 200 || f.FinalContent(it.Token) != "answer" {
		t.Fatalf("PATCH calls %+v, final %q", patches, f.FinalContent(it.Token))
	}
}

func TestDropGatewayReconnectsAndResumes(t *testing.T) {
	t.Parallel()
	f := New(t, Options{})
	f.ExpectViolations(CodeUnfinished) // only their delivery matters here
	got, report := result[string]()
	openSession(t, f, func(s *discordgo.Session) {
		s.ShouldReconnectOnError = true
		s.LogLevel = -1 // the drop is expected; keep discordgo's error log quiet
		s.AddHandler(func(_ *discordgo.Session, i *discordgo.InteractionCreate) { report(i.ApplicationCommandData().Name) })
	})
	f.SendSlashCommand("before")
	if v := receive(t, got); v != "before" {
		t.Fatal(v)
	}
	f.DropGateway()
	f.SendSlashCommand("during") // sent while disconnected: replayed on RESUME
	f.WaitForCall(t, "GATEWAY", "RESUME", 10*time.Second)
	if v := receive(t, got); v != "during" {
		t.Fatalf("after RESUME got %q", v)
	}
	f.SendSlashCommand("after")
	if v := receive(t, got); v != "after" {
		t.Fatalf("after reconnecting got %q", v)
	}
	if n := f.Count(func(c Call) bool { return c.Match("GATEWAY", "IDENTIFY") }); n != 1 {
		t.Fatalf("%d IDENTIFYs, want 1 (the reconnect resumes)", n)
	}
	f.WaitHeartbeat(t, 5*time.Second) // or discordgo may reconnect after Close
}

func TestHeartbeatsAreAcked(t *testing.T) {
	t.Parallel()
	f := New(t, Options{HeartbeatInterval: time.Second})
	// With a short interval discordgo's heartbeat can race its own Close and log a write
	// error on the closed socket (harmless without reconnect-on-error); keep its log quiet.
	s := openSession(t, f, func(s *discordgo.Session) { s.LogLevel = -1 })
	opened := time.Now()
	// discordgo records each ACK (Open sets the field too, hence "after Open returned").
	acked := func() bool {
		s.RLock()
		defer s.RUnlock()
		return s.LastHeartbeatAck.After(opened)
	}
	f.WaitUntil(t, func() bool {
		return f.Count(func(c Call) bool { return c.Match("GATEWAY", "HEARTBEAT") }) >= 2 && acked()
	}, 10*time.Second)
	if f.Count(func(c Call) bool { return c.Match("GATEWAY", "CLOSE") }) != 0 {
		t.Fatal("discordgo closed the connection: ACKs missing")
	}
	if d, _ := f.WaitForCall(t, "GATEWAY", "HEARTBEAT", time.Second).Body.(float64); d < 1 {
		t.Fatalf("a heartbeat carries the last sequence number, got %v", d)
	}
}

func TestCompressedPayloads(t *testing.T) {
	t.Parallel()
	f := New(t, Options{CompressPayloads: true})
	got, report := result[string]()
	s := openSession(t, f, func(s *discordgo.Session) {
		s.AddHandler(func(_ *discordgo.Session, m *discordgo.MessageCreate) { report(m.Content) })
	})
	if s.State.User.ID != DefaultBotID {
		t.Fatal("READY was not decoded from a compressed frame")
	}
	f.SendMessage(MessageSpec{Content: "hello", MentionBot: true})
	if v := receive(t, got); v != f.BotMention()+" hello" {
		t.Fatalf("got %q", v)
	}
}
