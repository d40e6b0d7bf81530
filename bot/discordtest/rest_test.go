package discordtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
)

func TestBulkOverwrite(t *testing.T) {
	t.Parallel()
	f := New(t, Options{})
	f.ExpectViolations(CodeUnfinished) // the interaction below is never answered
	s := restSession(t, f)
	perm := int64(discordgo.PermissionManageMessages)
	cmds := []*discordgo.ApplicationCommand{
		{Name: "ask", Description: "Ask a question", Options: []*discordgo.ApplicationCommandOption{
			{Type: discordgo.ApplicationCommandOptionString, Name: "question", Description: "q", Required: true, MaxLength: 1000},
			{Type: discordgo.ApplicationCommandOptionBoolean, Name: "private", Description: "p"},
		}},
		{Name: "article", Description: "Manage articles", DefaultMemberPermissions: &perm, Options: []*discordgo.ApplicationCommandOption{
			{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "add", Description: "Add", Options: []*discordgo.ApplicationCommandOption{
				{Type: discordgo.ApplicationCommandOptionAttachment, Name: "file", Description: "f"}}},
			{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "list", Description: "List"},
		}},
	}
	got, err := s.ApplicationCommandBulkOverwrite(DefaultAppID, DefaultGuildID, cmds)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ID == "" || got[0].ApplicationID != DefaultAppID || got[1].GuildID != DefaultGuildID {
		t.Fatalf("bulk overwrite returned %+v", got)
	}
	stored := f.Commands(DefaultGuildID)
	if len(stored) != 2 || lookup(stored[1], "default_member_permissions") != "8192" {
		t.Fatalf("stored commands %v", stored)
	}
	if len(f.Commands("")) != 0 {
		t.Fatal("guild commands leaked into global ones")
	}
	// Overwriting keeps the ids of commands with the same name; GET lists them.
	again, err := s.ApplicationCommandBulkOverwrite(DefaultAppID, DefaultGuildID, cmds[:1])
	if err != nil || again[0].ID != got[0].ID {
		t.Fatalf("re-registration changed the id: %v %v", again, err)
	}
	list, err := s.ApplicationCommands(DefaultAppID, DefaultGuildID)
	if err != nil || len(list) != 1 {
		t.Fatalf("GET commands: %v %v", list, err)
	}
	// The slash command interaction carries the registered command id.
	it := f.SendSlashCommand("ask", Option{Name: "question", Value: "q?"})
	if id := lookup(f.pendingData(it.ID), "data.id"); id != got[0].ID {
		t.Fatalf("interaction data.id = %v, want %s", id, got[0].ID)
	}
}

// pendingData returns the payload of a dispatch queued before IDENTIFY (tests without a gateway).
func (f *Fake) pendingData(interactionID string) map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, e := range f.pending {
		if e.data["id"] == interactionID {
			return e.data
		}
	}
	return nil
}

func TestBulkOverwriteRejectsInvalidCommands(t *testing.T) {
	t.Parallel()
	opt := func(typ discordgo.ApplicationCommandOptionType, name string, required bool) *discordgo.ApplicationCommandOption {
		return &discordgo.ApplicationCommandOption{Type: typ, Name: name, Description: "d", Required: required}
	}
	many := make([]*discordgo.ApplicationCommandOption, 26)
	for i := range many {
		many[i] = opt(discordgo.ApplicationCommandOptionString, "o"+itoa(i), false)
	}
	choices := make([]*discordgo.ApplicationCommandOptionChoice, 26)
	for i := range choices {
		choices[i] = &discordgo.ApplicationCommandOptionChoice{Name: "c", Value: "v"}
	}
	cases := map[string]struct {
		cmd   discordgo.ApplicationCommand
		field string
	}{
		"upper-case name":   {discordgo.ApplicationCommand{Name: "Ask", Description: "d"}, "0.name"},
		"space in name":     {discordgo.ApplicationCommand{Name: "ask me", Description: "d"}, "0.name"},
		"empty name":        {discordgo.ApplicationCommand{Name: "", Description: "d"}, "0.name"},
		"33-character name": {discordgo.ApplicationCommand{Name: strings.Repeat("a", 33), Description: "d"}, "0.name"},
		"no description":    {discordgo.ApplicationCommand{Name: "ask"}, "0.description"},
		"long description":  {discordgo.ApplicationCommand{Name: "ask", Description: strings.Repeat("d", 101)}, "0.description"},
		"26 options":        {discordgo.ApplicationCommand{Name: "ask", Description: "d", Options: many}, "0.options."},
		"required after optional": {discordgo.ApplicationCommand{Name: "ask", Description: "d", Options: []*discordgo.ApplicationCommandOption{
			opt(discordgo.ApplicationCommandOptionString, "a", false), opt(discordgo.ApplicationCommandOptionString, "b", true)}}, "0.options.1.required"},
		"subcommand mixed with option": {discordgo.ApplicationCommand{Name: "ask", Description: "d", Options: []*discordgo.ApplicationCommandOption{
			opt(discordgo.ApplicationCommandOptionSubCommand, "a", false), opt(discordgo.ApplicationCommandOptionString, "b", false)}}, "0.options."},
		"duplicate option": {discordgo.ApplicationCommand{Name: "ask", Description: "d", Options: []*discordgo.ApplicationCommandOption{
			opt(discordgo.ApplicationCommandOptionString, "a", false), opt(discordgo.ApplicationCommandOptionString, "a", false)}}, "0.options.1.name"},
		"26 choices": {discordgo.ApplicationCommand{Name: "ask", Description: "d", Options: []*discordgo.ApplicationCommandOption{
			{Type: discordgo.ApplicationCommandOptionString, Name: "a", Description: "d", Choices: choices}}}, "0.options.0.choices"},
		"max_length 6001": {discordgo.ApplicationCommand{Name: "ask", Description: "d", Options: []*discordgo.ApplicationCommandOption{
			{Type: discordgo.ApplicationCommandOptionString, Name: "a", Description: "d", MaxLength: 6001}}}, "0.options.0.max_length"},
	}
	f := New(t, Options{})
	f.ExpectViolations(50035)
	s := restSession(t, f)
	for name, tc := range cases {
		_, err := s.ApplicationCommandBulkOverwrite(DefaultAppID, DefaultGuildID, []*discordgo.ApplicationCommand{&tc.cmd})
		if restCode(err) != 50035 {
			t.Errorf("%s: err = %v, want 50035", name, err)
			continue
		}
		if body := string(err.(*discordgo.RESTError).ResponseBody); !strings.Contains(body, `"`+tc.field) {
			t.Errorf("%s: error body %s does not name %q", name, body, tc.field)
		}
	}
	dup := []*discordgo.ApplicationCommand{{Name: "ask", Description: "d"}, {Name: "ask", Description: "d"}}
	if _, err := s.ApplicationCommandBulkOverwrite(DefaultAppID, "", dup); restCode(err) != 50035 {
		t.Errorf("duplicate commands: %v", err)
	}
	if len(f.Commands(DefaultGuildID)) != 0 {
		t.Error("a rejected overwrite was stored")
	}
	// The application id is not the bot's user id: confusing them is refused.
	f.ExpectViolations(50001)
	if _, err := s.ApplicationCommandBulkOverwrite(DefaultBotID, "", nil); restCode(err) != 50001 {
		t.Errorf("wrong application id: %v", err)
	}
	if _, err := s.ApplicationCommandBulkOverwrite(DefaultAppID, "999", nil); restCode(err) != 50001 {
		t.Errorf("unknown guild: %v", err)
	}
}

func TestInteractionResponseRules(t *testing.T) {
	t.Parallel()
	clk := newClock()
	f := New(t, Options{Now: clk.Now})
	f.ExpectViolations(40060, 10015, 10062)
	s := restSession(t, f)
	ref := func(it Interaction) *discordgo.Interaction {
		return &discordgo.Interaction{ID: it.ID, Token: it.Token, AppID: DefaultAppID}
	}
	content := func(s string) *string { return &s }

	it := f.SendSlashCommand("ask", Option{Name: "question", Value: "q"})
	// Editing or following up before acknowledging: the webhook does not exist yet.
	if _, err := s.InteractionResponseEdit(ref(it), &discordgo.WebhookEdit{Content: content("x")}); restCode(err) != 10015 {
		t.Fatalf("edit before ack: %v", err)
	}
	if _, err := s.FollowupMessageCreate(ref(it), true, &discordgo.WebhookParams{Content: "x"}); restCode(err) != 10015 {
		t.Fatalf("follow-up before ack: %v", err)
	}
	clk.Advance(2900 * time.Millisecond)
	defer5 := &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredChannelMessageWithSource,
		Data: &discordgo.InteractionResponseData{Flags: discordgo.MessageFlagsEphemeral}}
	if err := s.InteractionRespond(ref(it), defer5); err != nil {
		t.Fatalf("defer within the deadline: %v", err)
	}
	if lat, ok := f.AckLatency(it.ID); !ok || lat != 2900*time.Millisecond {
		t.Fatalf("AckLatency = %v %v", lat, ok)
	}
	if err := s.InteractionRespond(ref(it), defer5); restCode(err) != 40060 {
		t.Fatalf("second ack: %v", err)
	}
	if m, _ := f.Original(it.Token); !m.Loading() || !m.Ephemeral() {
		t.Fatalf("deferred original = %+v, want loading and ephemeral", m)
	}
	// A follow-up after a deferred response replaces the loading message, as on Discord.
	if _, err := s.FollowupMessageCreate(ref(it), false, &discordgo.WebhookParams{Content: "first"}); err != nil {
		t.Fatal(err)
	}
	if m, _ := f.Original(it.Token); m.Loading() || m.Content != "first" || len(f.Followups(it.Token)) != 0 {
		t.Fatalf("original after the first follow-up = %+v", m)
	}
	msg, err := s.InteractionResponseEdit(ref(it), &discordgo.WebhookEdit{Content: content("final")})
	if err != nil || msg.Content != "final" || msg.ID == "" {
		t.Fatalf("edit: %+v %v", msg, err)
	}
	fu, err := s.FollowupMessageCreate(ref(it), true, &discordgo.WebhookParams{Content: "more", Flags: discordgo.MessageFlagsEphemeral})
	if err != nil || fu.ID == "" || len(f.Followups(it.Token)) != 1 {
		t.Fatalf("follow-up: %+v %v", fu, err)
	}
	if _, err := s.FollowupMessageEdit(ref(it), fu.ID, &discordgo.WebhookEdit{Content: content("more!")}); err != nil {
		t.Fatal(err)
	}
	if f.FinalContent(it.Token) != "final" || f.Followups(it.Token)[0].Content != "more!" {
		t.Fatalf("final %q, follow-ups %+v", f.FinalContent(it.Token), f.Followups(it.Token))
	}
	if n := len(f.InteractionResponses(it.ID)); n != 2 {
		t.Fatalf("InteractionResponses = %d calls, want 2", n)
	}
	if err := s.InteractionResponseDelete(ref(it)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.InteractionResponse(ref(it)); restCode(err) != 10008 {
		t.Fatalf("GET of a deleted original: %v", err)
	}
	f.ExpectViolations(10008)

	// Too late: past AckDeadline the interaction is unknown, and its webhook never appears.
	late := f.SendSlashCommand("ask")
	clk.Advance(3001 * time.Millisecond)
	if err := s.InteractionRespond(ref(late), defer5); restCode(err) != 10062 {
		t.Fatalf("late ack: %v", err)
	}
	if _, err := s.InteractionResponseEdit(ref(late), &discordgo.WebhookEdit{Content: content("x")}); restCode(err) != 10015 {
		t.Fatalf("edit after a late ack: %v", err)
	}
	if err := s.InteractionRespond(&discordgo.Interaction{ID: "1", Token: "nope"}, defer5); restCode(err) != 10062 {
		t.Fatalf("unknown interaction: %v", err)
	}
	var reasons []string
	for _, v := range f.Violations() {
		reasons = append(reasons, v.Reason)
	}
	if !strings.Contains(strings.Join(reasons, "\n"), "acknowledged after 3.001s") {
		t.Fatalf("violations do not explain the late ack: %q", reasons)
	}
}

func TestResponseTypeMustFitInteraction(t *testing.T) {
	t.Parallel()
	f := New(t, Options{})
	f.ExpectViolations(50035, 50006, CodeUnfinished)
	s := restSession(t, f)
	respond := func(it Interaction, r *discordgo.InteractionResponse) error {
		return s.InteractionRespond(&discordgo.Interaction{ID: it.ID, Token: it.Token}, r)
	}
	// Autocomplete takes only choices (type 8), at most 25.
	ac := f.Autocomplete("article", Option{Name: "remove", Options: []Option{{Name: "id", Value: "ab", Focused: true}}})
	if err := respond(ac, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseChannelMessageWithSource,
		Data: &discordgo.InteractionResponseData{Content: "x"}}); restCode(err) != 50035 {
		t.Fatalf("message response to autocomplete: %v", err)
	}
	choices := make([]*discordgo.ApplicationCommandOptionChoice, 26)
	for i := range choices {
		choices[i] = &discordgo.ApplicationCommandOptionChoice{Name: "n", Value: "v"}
	}
	if err := respond(ac, &discordgo.InteractionResponse{Type: discordgo.InteractionApplicationCommandAutocompleteResult,
		Data: &discordgo.InteractionResponseData{Choices: choices}}); restCode(err) != 50035 {
		t.Fatalf("26 choices: %v", err)
	}
	if err := respond(ac, &discordgo.InteractionResponse{Type: discordgo.InteractionApplicationCommandAutocompleteResult,
		Data: &discordgo.InteractionResponseData{Choices: choices[:25]}}); err != nil {
		t.Fatalf("25 choices: %v", err)
	}
	// A command cannot be answered with an update (type 7), nor with nothing.
	cmd := f.SendSlashCommand("ask")
	if err := respond(cmd, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseUpdateMessage,
		Data: &discordgo.InteractionResponseData{Content: "x"}}); restCode(err) != 50035 {
		t.Fatalf("update response to a command: %v", err)
	}
	if err := respond(cmd, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseChannelMessageWithSource}); restCode(err) != 50006 {
		t.Fatalf("empty response: %v", err)
	}
	// Modals: title ≤ 45, only text inputs in action rows.
	modal := func(title string, label string) *discordgo.InteractionResponse {
		return &discordgo.InteractionResponse{Type: discordgo.InteractionResponseModal, Data: &discordgo.InteractionResponseData{
			CustomID: "add", Title: title, Components: []discordgo.MessageComponent{discordgo.ActionsRow{
				Components: []discordgo.MessageComponent{discordgo.TextInput{CustomID: "body", Label: label, Style: discordgo.TextInputParagraph}}}}}}
	}
	if err := respond(cmd, modal(strings.Repeat("t", 46), "Body")); restCode(err) != 50035 {
		t.Fatalf("long modal title: %v", err)
	}
	if err := respond(cmd, modal("Add article", strings.Repeat("l", 46))); restCode(err) != 50035 {
		t.Fatalf("long text input label: %v", err)
	}
	if err := respond(cmd, modal("Add article", "Body")); err != nil {
		t.Fatalf("valid modal: %v", err)
	}
	// Malformed and hostile bodies are rejected, never crash the fake.
	other := f.SendSlashCommand("ask")
	for _, body := range []string{"", "null", "[]", `{"type":"4"}`, "{not json", `{"type":4,"data":{"content":5}}`} {
		resp, err := f.HTTPClient().Post(f.APIBase()+"/api/v9/interactions/"+other.ID+"/"+other.Token+"/callback", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 400 {
			t.Errorf("callback body %q → %d, want 400", body, resp.StatusCode)
		}
	}
}

func TestMessageLimits(t *testing.T) {
	t.Parallel()
	f := New(t, Options{})
	f.ExpectViolations(50035, 50006, 10003)
	s := restSession(t, f)
	embed := func(e discordgo.MessageEmbed) []*discordgo.MessageEmbed { return []*discordgo.MessageEmbed{&e} }
	fields := func(n int, value string) []*discordgo.MessageEmbedField {
		out := make([]*discordgo.MessageEmbedField, n)
		for i := range out {
			out[i] = &discordgo.MessageEmbedField{Name: "n", Value: value}
		}
		return out
	}
	row := func(n int, label, id string) discordgo.ActionsRow {
		r := discordgo.ActionsRow{}
		for i := 0; i < n; i++ {
			r.Components = append(r.Components, discordgo.Button{Label: label, Style: discordgo.PrimaryButton, CustomID: id + itoa(i)})
		}
		return r
	}
	rows := func(n int) []discordgo.MessageComponent {
		out := make([]discordgo.MessageComponent, n)
		for i := range out {
			out[i] = row(1, "b", "r"+itoa(i)+"-")
		}
		return out
	}
	many := make([]*discordgo.MessageEmbed, 11)
	for i := range many {
		many[i] = &discordgo.MessageEmbed{Title: "t"}
	}
	cases := []struct {
		name  string
		msg   discordgo.MessageSend
		code  int
		field string
	}{
		{"content at the limit (runes)", discordgo.MessageSend{Content: strings.Repeat("é", 2000)}, 0, ""},
		{"content 2001", discordgo.MessageSend{Content: strings.Repeat("a", 2001)}, 50035, "content"},
		{"empty", discordgo.MessageSend{}, 50006, ""},
		{"11 embeds", discordgo.MessageSend{Embeds: many}, 50035, "embeds"},
		{"description 4096", discordgo.MessageSend{Embeds: embed(discordgo.MessageEmbed{Description: strings.Repeat("d", 4096)})}, 0, ""},
		{"description 4097", discordgo.MessageSend{Embeds: embed(discordgo.MessageEmbed{Description: strings.Repeat("d", 4097)})}, 50035, "embeds.0.description"},
		{"title 257", discordgo.MessageSend{Embeds: embed(discordgo.MessageEmbed{Title: strings.Repeat("t", 257)})}, 50035, "embeds.0.title"},
		{"26 fields", discordgo.MessageSend{Embeds: embed(discordgo.MessageEmbed{Fields: fields(26, "v")})}, 50035, "embeds.0.fields"},
		{"field value 1025", discordgo.MessageSend{Embeds: embed(discordgo.MessageEmbed{Fields: fields(1, strings.Repeat("v", 1025))})}, 50035, "embeds.0.fields.0.value"},
		{"empty field value", discordgo.MessageSend{Embeds: embed(discordgo.MessageEmbed{Fields: fields(1, "")})}, 50035, "embeds.0.fields.0.value"},
		{"footer 2049", discordgo.MessageSend{Embeds: embed(discordgo.MessageEmbed{Footer: &discordgo.MessageEmbedFooter{Text: strings.Repeat("f", 2049)}})}, 50035, "embeds.0.footer.text"},
		{"6001 over all embeds", discordgo.MessageSend{Embeds: []*discordgo.MessageEmbed{
			{Description: strings.Repeat("d", 4000)}, {Description: strings.Repeat("d", 2001)}}}, 50035, "embeds"},
		{"6 rows", discordgo.MessageSend{Content: "x", Components: rows(6)}, 50035, "components"},
		{"6 buttons in a row", discordgo.MessageSend{Content: "x", Components: []discordgo.MessageComponent{row(6, "b", "x")}}, 50035, "components.0.components"},
		{"label 81", discordgo.MessageSend{Content: "x", Components: []discordgo.MessageComponent{row(1, strings.Repeat("l", 81), "x")}}, 50035, "components.0.components.0.label"},
		{"custom_id 101", discordgo.MessageSend{Content: "x", Components: []discordgo.MessageComponent{row(1, "b", strings.Repeat("c", 100))}}, 50035, "components.0.components.0.custom_id"},
		{"5×5 buttons", discordgo.MessageSend{Content: "x", Components: []discordgo.MessageComponent{
			row(5, "b", "a"), row(5, "b", "b"), row(5, "b", "c"), row(5, "b", "d"), row(5, "b", "e")}}, 0, ""},
		{"parse users with a user list", discordgo.MessageSend{Content: "x", AllowedMentions: &discordgo.MessageAllowedMentions{
			Parse: []discordgo.AllowedMentionType{discordgo.AllowedMentionTypeUsers}, Users: []string{"1"}}}, 50035, "allowed_mentions"},
	}
	for _, tc := range cases {
		_, err := s.ChannelMessageSendComplex(DefaultChannelID, &tc.msg)
		if tc.code == 0 {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		if restCode(err) != tc.code {
			t.Errorf("%s: err = %v, want code %d", tc.name, err, tc.code)
		} else if tc.field != "" && !strings.Contains(string(err.(*discordgo.RESTError).ResponseBody), `"`+tc.field+`"`) {
			t.Errorf("%s: error %s does not name %q", tc.name, err.(*discordgo.RESTError).ResponseBody, tc.field)
		}
	}
	if _, err := s.ChannelMessageSend("404", "hi"); restCode(err) != 10003 {
		t.Errorf("unknown channel: %v", err)
	}
	// An edit must not leave the message empty, and must respect the same limits.
	m, err := s.ChannelMessageSend(DefaultChannelID, "hello")
	if err != nil {
		t.Fatal(err)
	}
	empty := ""
	if _, err := s.ChannelMessageEditComplex(&discordgo.MessageEdit{ID: m.ID, Channel: DefaultChannelID, Content: &empty}); restCode(err) != 50006 {
		t.Errorf("edit to empty: %v", err)
	}
	long := strings.Repeat("a", 2001)
	if _, err := s.ChannelMessageEditComplex(&discordgo.MessageEdit{ID: m.ID, Channel: DefaultChannelID, Content: &long}); restCode(err) != 50035 {
		t.Errorf("edit over the limit: %v", err)
	}
	// Uploads (multipart with payload_json) count as content.
	if _, err := s.ChannelMessageSendComplex(DefaultChannelID, &discordgo.MessageSend{Files: []*discordgo.File{
		{Name: "a.txt", ContentType: "text/plain", Reader: bytes.NewReader([]byte("x"))}}}); err != nil {
		t.Errorf("file-only message: %v", err)
	}
	if c := f.WaitForCall(t, "POST", "/api/v9/channels/*/messages", time.Second); c.Status != 200 {
		t.Errorf("first recorded message call: %+v", c)
	}
}

func TestRepliesAndAllowedMentions(t *testing.T) {
	t.Parallel()
	f := New(t, Options{})
	s := restSession(t, f)
	q := f.SendMessage(MessageSpec{Content: "who met?", MentionBot: true})
	if m, _ := f.Message(q); m.Content != f.BotMention()+" who met?" {
		t.Fatalf("mention prefix: %q", m.Content)
	}
	none := &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}}
	ans, err := s.ChannelMessageSendComplex(DefaultChannelID, &discordgo.MessageSend{Content: "answer",
		Reference: &discordgo.MessageReference{MessageID: q, ChannelID: DefaultChannelID}, AllowedMentions: none})
	if err != nil {
		t.Fatal(err)
	}
	if ans.MessageReference == nil || ans.ReferencedMessage == nil || ans.ReferencedMessage.ID != q {
		t.Fatalf("reply lacks its reference: %+v", ans)
	}
	follow := f.SendMessage(MessageSpec{Content: "and then?", ReplyTo: ans.ID, MentionBot: true})
	got, err := s.ChannelMessage(DefaultChannelID, follow)
	if err != nil || got.ReferencedMessage == nil || got.ReferencedMessage.ID != ans.ID || got.ReferencedMessage.Author.ID != DefaultBotID {
		t.Fatalf("reply chain: %+v %v", got, err)
	}
	if got.Content != "and then?" || len(got.Mentions) != 1 {
		t.Fatalf("a reply with ping keeps its content and mentions the bot: %+v", got)
	}
	// A message without allowed_mentions, or one that lets replies ping, is listed by MayPing.
	if _, err := s.ChannelMessageSend(DefaultChannelID, "ping?"); err != nil {
		t.Fatal(err)
	}
	replied := &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}, RepliedUser: true}
	if _, err := s.ChannelMessageSendComplex(DefaultChannelID, &discordgo.MessageSend{Content: "x", AllowedMentions: replied}); err != nil {
		t.Fatal(err)
	}
	if bad := f.MayPing(); len(bad) != 2 {
		t.Fatalf("MayPing = %d calls, want 2", len(bad))
	}
	f.ExpectViolations(50035, 10008)
	if _, err := s.ChannelMessageSendReply(DefaultChannelID, "x", &discordgo.MessageReference{MessageID: "42"}); restCode(err) != 50035 {
		t.Fatalf("reply to an unknown message: %v", err)
	}
	if _, err := s.ChannelMessage(DefaultChannelID, "42"); restCode(err) != 10008 {
		t.Fatalf("unknown message: %v", err)
	}
	f.ExpectViolations(50005)
	if _, err := s.ChannelMessageEdit(DefaultChannelID, q, "edited"); restCode(err) != 50005 {
		t.Fatalf("editing a user's message: %v", err)
	}
}

func TestFaultsAuthAndUnknownRoutes(t *testing.T) {
	t.Parallel()
	rec := &recorderTB{TB: t}
	f := New(rec, Options{})
	s := restSession(t, f)
	f.FailNext("POST", "/api/v9/channels/*/typing", 500, "", 0)
	if err := s.ChannelTyping(DefaultChannelID); restCode(err) != 0 {
		t.Fatalf("injected 500: %v", err)
	}
	if err := s.ChannelTyping(DefaultChannelID); err != nil {
		t.Fatalf("the fault fires once: %v", err)
	}
	f.FailNext("POST", "/api/v9/channels/*/typing", 502, "", 0)
	if err := s.ChannelTyping(DefaultChannelID); err != nil {
		t.Fatalf("discordgo retries a 502: %v", err)
	}
	calls := f.Calls()
	if len(calls) != 4 || !calls[0].Injected || calls[0].Status != 500 || calls[3].Status != 204 {
		t.Fatalf("calls = %+v", calls)
	}
	// A bot token without the "Bot " prefix is refused.
	bare, _ := discordgo.New(DefaultToken)
	bare.Client = f.HTTPClient()
	if err := bare.ChannelTyping(DefaultChannelID); err == nil {
		t.Fatal("a token without \"Bot \" was accepted")
	}
	// Unknown routes answer 404 and are reported at Close, as are unexpected violations.
	resp, err := f.HTTPClient().Get("https://discord.com/api/v9/users/@me/guilds")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Fatalf("unknown route → %d", resp.StatusCode)
	}
	if _, err := f.HTTPClient().Get("https://cdn.discordapp.com/x.png"); err == nil {
		t.Fatal("HTTPClient reached another host")
	}
	report := rec.close()
	for _, want := range []string{"unknown route GET /api/v9/users/@me/guilds", "without \"Authorization: Bot <token>\""} {
		if !strings.Contains(report, want) {
			t.Errorf("Close report lacks %q:\n%s", want, report)
		}
	}
	if strings.Contains(report, "code 500") || strings.Contains(report, "code 502") {
		t.Errorf("injected faults were reported as violations:\n%s", report)
	}
}

func TestAttachmentsAreServed(t *testing.T) {
	t.Parallel()
	f := New(t, Options{})
	u := f.FileURL(File{Name: "a.md", ContentType: "text/markdown", Data: []byte("# Title\n\nBody")})
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "# Title\n\nBody" || resp.Header.Get("Content-Type") != "text/markdown" {
		t.Fatalf("attachment: %q %q", body, resp.Header.Get("Content-Type"))
	}
	http.DefaultClient.CloseIdleConnections()
	f.ExpectViolations(404)
	resp, err = f.HTTPClient().Get(strings.Replace(u, "a.md", "b.md", 1))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Fatalf("unknown attachment name → %d", resp.StatusCode)
	}
}

func TestDMsRolesDispatchAndExpiry(t *testing.T) {
	t.Parallel()
	clk := newClock()
	f := New(t, Options{Now: clk.Now, Guilds: []Guild{{ID: "500", Channels: []string{"501"}, Roles: []Role{{ID: "600", Name: "moderators", Permissions: 8192}}}}})
	f.ExpectViolations(10004, 50027, CodeUnfinished)
	s := restSession(t, f)

	// In DMs an interaction carries "user" and no member; in guilds the member's permissions
	// are a string, as discordgo's ",string" tag requires.
	dm := f.Interaction(InteractionSpec{Name: "ask", DM: true, User: User{ID: "42", Name: "u"}})
	if d := f.pendingData(dm.ID); d["member"] != nil || lookup(d, "user.id") != "42" || d["guild_id"] != nil || d["channel_id"] != "dm-42" {
		t.Fatalf("DM interaction %v", d)
	}
	g := f.Interaction(InteractionSpec{Name: "ask", Permissions: 8192, Roles: []string{"600"}})
	if d := f.pendingData(g.ID); lookup(d, "member.permissions") != "8192" || lookup(d, "member.roles.0") != "600" || d["guild_id"] != "500" {
		t.Fatalf("guild interaction %v", d)
	}

	roles, err := s.GuildRoles("500")
	if err != nil || len(roles) != 2 || roles[0].Name != "moderators" || roles[0].Permissions != 8192 || roles[1].ID != "500" {
		t.Fatalf("GuildRoles = %+v %v", roles, err)
	}
	if _, err := s.GuildRoles("404"); restCode(err) != 10004 {
		t.Fatalf("roles of an unknown guild: %v", err)
	}

	// Raw events are queued like any other until IDENTIFY.
	f.Dispatch("GUILD_ROLE_CREATE", `{"guild_id":"500","role":{"id":"601","name":"new","permissions":"0"}}`)
	f.mu.Lock()
	last := f.pending[len(f.pending)-1]
	f.mu.Unlock()
	if last.typ != "GUILD_ROLE_CREATE" || lookup(last.data, "role.id") != "601" {
		t.Fatalf("Dispatch queued %+v", last)
	}

	// Messages lists a channel's messages in order; interaction tokens die after 15 minutes.
	f.SendMessage(MessageSpec{Content: "one"})
	f.SendMessage(MessageSpec{Content: "two", Author: User{ID: "7", Name: "other bot", Bot: true}})
	if ms := f.Messages("501"); len(ms) != 2 || ms[0].Content != "one" || ms[1].AuthorID != "7" {
		t.Fatalf("Messages = %+v", ms)
	}
	ref := &discordgo.Interaction{ID: g.ID, Token: g.Token, AppID: DefaultAppID}
	if err := s.InteractionRespond(ref, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredChannelMessageWithSource}); err != nil {
		t.Fatal(err)
	}
	clk.Advance(16 * time.Minute)
	text := "too late"
	if _, err := s.InteractionResponseEdit(ref, &discordgo.WebhookEdit{Content: &text}); restCode(err) != 50027 {
		t.Fatalf("edit after 15 minutes: %v", err)
	}
}

func TestWaitTimesOutWithTheCalls(t *testing.T) {
	t.Parallel()
	f := New(t, Options{})
	rec := &fatalTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f.WaitForCall(rec, "POST", "/never", 10*time.Millisecond)
	}()
	<-done
	if !strings.Contains(rec.msg, "not met within 10ms") {
		t.Fatalf("timeout message %q", rec.msg)
	}
}

// fatalTB records a Fatalf and ends the goroutine, as testing.T does.
type fatalTB struct {
	testing.TB
	msg string
}

func (r *fatalTB) Helper() {}
func (r *fatalTB) Fatalf(format string, args ...any) {
	r.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func TestStallNext(t *testing.T) {
	t.Parallel()
	f := New(t, Options{})
	s := restSession(t, f)
	f.StallNext("POST", "/api/v9/channels/*/typing")
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := s.ChannelTyping(DefaultChannelID, discordgo.WithContext(ctx)); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("stalled request: %v, want the client's deadline", err)
	}
	c := f.WaitFor(t, func(c Call) bool { return c.Injected }, 5*time.Second)
	if c.Status != StallStatus {
		t.Errorf("stalled call recorded with status %d", c.Status)
	}
	if err := s.ChannelTyping(DefaultChannelID); err != nil {
		t.Fatalf("the stall fires once: %v", err)
	}
	// A stall still pending at Close does not keep the fake from closing.
	f.StallNext("POST", "/api/v9/channels/*/typing")
	done := make(chan error, 1)
	go func() { done <- s.ChannelTyping(DefaultChannelID) }()
	f.WaitUntil(t, func() bool { f.mu.Lock(); defer f.mu.Unlock(); return len(f.faults) == 0 }, 5*time.Second)
	f.Close()
	if err := <-done; err == nil {
		t.Errorf("a request stalled until Close succeeded")
	}
}
