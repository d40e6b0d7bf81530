package discordtest

import (
	"encoding/json"
	"slices"
	"strings"
	"time"
)

// Discord message flags the fake interprets.
const (
	flagEphemeral = 1 << 6
	flagLoading   = 1 << 7
)

// message is a stored message: users' messages, the bot's channel messages and interaction
// responses and follow-ups.
type message struct {
	id, channelID, guildID string
	author                 map[string]any
	content                string
	embeds, components     []any
	attachments, mentions  []any
	flags                  int64
	typ                    int
	refID                  string
	webhookID              string // the application id, for interaction responses and follow-ups
	allowedMentions        any
	created, edited        time.Time
	edits                  int
}

// interaction is the fake's view of a dispatched interaction.
type interaction struct {
	id, token          string
	typ                int
	name               string // command name or custom_id, for reports
	guildID, channelID string
	created            time.Time
	ackType            int
	ackAt              time.Time
	expired            bool   // not acknowledged in time: its token is dead
	original           string // message id of @original
	componentMsg       string // the message a component or modal came from
	followups          []string
}

func (f *Fake) routes() {
	f.route("GET /api/v9/gateway", func(*request) reply {
		return reply{status: 200, body: map[string]any{"url": f.gatewayURL()}}
	})
	f.route("GET /api/v9/gateway/bot", func(*request) reply {
		return reply{status: 200, body: map[string]any{"url": f.gatewayURL(), "shards": f.opts.Shards, "session_start_limit": map[string]any{
			"total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1}}}
	})
	f.route("PUT /api/v9/applications/{app}/commands", f.putCommands)
	f.route("PUT /api/v9/applications/{app}/guilds/{guild}/commands", f.putCommands)
	f.route("GET /api/v9/applications/{app}/commands", f.getCommands)
	f.route("GET /api/v9/applications/{app}/guilds/{guild}/commands", f.getCommands)
	f.route("POST /api/v9/interactions/{id}/{token}/callback", f.callback)
	f.route("POST /api/v9/webhooks/{app}/{token}", f.followup)
	for _, m := range []string{"GET", "PATCH", "DELETE"} {
		f.route(m+" /api/v9/webhooks/{app}/{token}/messages/{msg}", f.webhookMessage)
	}
	f.route("POST /api/v9/channels/{channel}/messages", f.postMessage)
	f.route("GET /api/v9/channels/{channel}/messages/{msg}", f.channelMessage)
	f.route("PATCH /api/v9/channels/{channel}/messages/{msg}", f.channelMessage)
	f.route("POST /api/v9/channels/{channel}/typing", func(req *request) reply {
		if _, ok := f.channels[req.r.PathValue("channel")]; !ok {
			return f.rejectLocked(req, 404, 10003, "Unknown Channel", "", "typing in an unknown channel")
		}
		return reply{status: 204}
	})
	f.route("GET /api/v9/guilds/{guild}/roles", func(req *request) reply {
		for _, g := range f.opts.Guilds {
			if g.ID == req.r.PathValue("guild") {
				return reply{status: 200, body: f.guildJSON(g)["roles"]}
			}
		}
		return f.rejectLocked(req, 404, 10004, "Unknown Guild", "", "roles of unknown guild "+req.r.PathValue("guild"))
	})
	f.route("GET /attachments/{id}/{name}", func(req *request) reply {
		file, ok := f.files[req.r.PathValue("id")]
		if !ok || file.Name != req.r.PathValue("name") {
			return f.rejectLocked(req, 404, 0, "404: Not Found", "", "unknown attachment")
		}
		return reply{status: 200, raw: file.Data, contentType: file.ContentType}
	})
}

func (f *Fake) putCommands(req *request) reply {
	app, guild := req.r.PathValue("app"), req.r.PathValue("guild")
	if app != f.opts.AppID {
		return f.rejectLocked(req, 403, 50001, "Missing Access", "", "application id "+app+" is not the bot's application "+f.opts.AppID)
	}
	if guild != "" && !f.inGuild(guild) {
		return f.rejectLocked(req, 403, 50001, "Missing Access", "", "the bot is not in guild "+guild)
	}
	if field, reason := validateCommands(req.body); reason != "" {
		return f.rejectLocked(req, 400, 50035, "Invalid Form Body", field, reason)
	}
	stored := []any{}
	for _, c := range clone(req.body).([]any) {
		cm := c.(map[string]any)
		if cm["type"] == nil {
			cm["type"] = 1.0
		}
		id := ""
		for _, old := range f.commands[guild] {
			if lookup(old, "name") == cm["name"] && lookup(old, "type") == cm["type"] {
				id = lookup(old, "id").(string)
			}
		}
		if id == "" {
			id = f.newIDLocked()
		}
		cm["id"], cm["application_id"], cm["version"] = id, f.opts.AppID, f.newIDLocked()
		if guild != "" {
			cm["guild_id"] = guild
		}
		stored = append(stored, cm)
	}
	f.commands[guild] = stored
	return reply{status: 200, body: stored}
}

func (f *Fake) getCommands(req *request) reply {
	if req.r.PathValue("app") != f.opts.AppID {
		return f.rejectLocked(req, 403, 50001, "Missing Access", "", "not the bot's application")
	}
	cmds := f.commands[req.r.PathValue("guild")]
	if cmds == nil {
		cmds = []any{}
	}
	return reply{status: 200, body: cmds}
}

func (f *Fake) inGuild(id string) bool {
	return slices.ContainsFunc(f.opts.Guilds, func(g Guild) bool { return g.ID == id })
}

// callback handles POST /interactions/{id}/{token}/callback: exactly one response per
// interaction, within AckDeadline, of a type valid for the interaction.
func (f *Fake) callback(req *request) reply {
	it := f.interactions[req.r.PathValue("id")]
	if it == nil || it.token != req.r.PathValue("token") {
		return f.rejectLocked(req, 404, 10062, "Unknown interaction", "", "response to an unknown interaction")
	}
	if it.ackType != 0 {
		return f.rejectLocked(req, 400, 40060, "Interaction has already been acknowledged.", "", "second response to interaction "+it.id)
	}
	now := f.opts.Now()
	if wait := now.Sub(it.created); wait > f.opts.AckDeadline || it.expired {
		it.expired = true
		return f.rejectLocked(req, 404, 10062, "Unknown interaction", "",
			"interaction "+it.id+" acknowledged after "+wait.String()+" (deadline "+f.opts.AckDeadline.String()+")")
	}
	body, _ := req.body.(map[string]any)
	typ := int(num(body["type"]))
	data, _ := body["data"].(map[string]any)
	allowed := map[int][]int{1: {1}, 4: {2, 3, 5}, 5: {2, 3, 5}, 6: {3, 5}, 7: {3, 5}, 8: {4}, 9: {2, 3}}[typ]
	if !slices.Contains(allowed, it.typ) || (typ >= 6 && typ <= 7 && f.messages[it.componentMsg] == nil) {
		return f.rejectLocked(req, 400, 50035, "Invalid Form Body", "type",
			"response type "+itoa(typ)+" is not valid for an interaction of type "+itoa(it.typ))
	}
	var field, reason string
	switch typ {
	case 4, 7:
		field, reason = validateMessage(data, "data.")
	case 8:
		field, reason = validateChoices(data)
	case 9:
		field, reason = validateModal(data)
	}
	if reason != "" {
		return f.rejectLocked(req, 400, 50035, "Invalid Form Body", field, reason)
	}
	switch typ {
	case 4, 5:
		m := f.newBotMessageLocked(it.channelID, it.guildID, data, req.files)
		m.webhookID = f.opts.AppID
		m.flags = int64(num(lookup(data, "flags"))) & flagEphemeral
		if it.typ == 2 {
			m.typ = 20 // a chat input command's response
		}
		if typ == 5 {
			m.content, m.embeds, m.components, m.attachments = "", nil, nil, nil
			m.flags |= flagLoading
		} else if empty(m) {
			return f.rejectLocked(req, 400, 50006, "Cannot send an empty message", "", "empty interaction response")
		}
		f.storeLocked(m)
		f.echoLocked(m)
		it.original = m.id
	case 6, 7:
		it.original = it.componentMsg
		if typ == 7 {
			m := f.messages[it.componentMsg]
			cp := *m
			applyBody(&cp, data, req.files)
			if empty(&cp) {
				return f.rejectLocked(req, 400, 50006, "Cannot send an empty message", "", "update to an empty message")
			}
			cp.edits++
			cp.edited = now
			*m = cp
		}
	}
	it.ackType, it.ackAt = typ, now
	return reply{status: 204}
}

// webhookTargetLocked finds the interaction behind /webhooks/{app}/{token}; its routes only
// exist once the interaction is acknowledged, and for 15 minutes.
func (f *Fake) webhookTargetLocked(req *request) (*interaction, *reply) {
	it := f.byToken[req.r.PathValue("token")]
	if req.r.PathValue("app") != f.opts.AppID || it == nil {
		rep := f.rejectLocked(req, 404, 10015, "Unknown Webhook", "", "webhook call with an unknown application id or token")
		return nil, &rep
	}
	if it.ackType == 0 || it.expired {
		rep := f.rejectLocked(req, 404, 10015, "Unknown Webhook", "", "webhook call before interaction "+it.id+" was acknowledged")
		return nil, &rep
	}
	if f.opts.Now().Sub(it.created) > 15*time.Minute {
		rep := f.rejectLocked(req, 401, 50027, "Invalid Webhook Token", "", "interaction token older than 15 minutes")
		return nil, &rep
	}
	return it, nil
}

// followup handles POST /webhooks/{app}/{token}. As on Discord, the first follow-up after a
// deferred response (type 5) replaces the loading message instead of adding one.
func (f *Fake) followup(req *request) reply {
	it, rep := f.webhookTargetLocked(req)
	if rep != nil {
		return *rep
	}
	body, _ := req.body.(map[string]any)
	if field, reason := validateMessage(body, ""); reason != "" {
		return f.rejectLocked(req, 400, 50035, "Invalid Form Body", field, reason)
	}
	var m *message
	if orig := f.messages[it.original]; orig != nil && orig.flags&flagLoading != 0 {
		cp := *orig
		applyBody(&cp, body, req.files)
		cp.flags &^= flagLoading
		cp.edits++
		cp.edited = f.opts.Now()
		m = &cp
	} else {
		m = f.newBotMessageLocked(it.channelID, it.guildID, body, req.files)
		m.webhookID = f.opts.AppID
		m.flags = int64(num(body["flags"])) & (flagEphemeral | 1<<2 | 1<<12)
	}
	if empty(m) {
		return f.rejectLocked(req, 400, 50006, "Cannot send an empty message", "", "empty follow-up")
	}
	if orig := f.messages[m.id]; orig != nil {
		*orig = *m
	} else {
		f.storeLocked(m)
		f.echoLocked(m)
		it.followups = append(it.followups, m.id)
	}
	if req.r.URL.Query().Get("wait") != "true" {
		return reply{status: 204}
	}
	return reply{status: 200, body: f.renderLocked(m, 0)}
}

// webhookMessage handles GET, PATCH and DELETE of @original and follow-up messages.
func (f *Fake) webhookMessage(req *request) reply {
	it, rep := f.webhookTargetLocked(req)
	if rep != nil {
		return *rep
	}
	id := req.r.PathValue("msg")
	if id == "@original" {
		id = it.original
	}
	m := f.messages[id]
	if m == nil || (id != it.original && !slices.Contains(it.followups, id)) {
		return f.rejectLocked(req, 404, 10008, "Unknown Message", "", "unknown interaction message "+req.r.PathValue("msg"))
	}
	return f.messageOpLocked(req, m)
}

func (f *Fake) postMessage(req *request) reply {
	channel := req.r.PathValue("channel")
	guild, ok := f.channels[channel]
	if !ok {
		return f.rejectLocked(req, 404, 10003, "Unknown Channel", "", "message to unknown channel "+channel)
	}
	body, _ := req.body.(map[string]any)
	if field, reason := validateMessage(body, ""); reason != "" {
		return f.rejectLocked(req, 400, 50035, "Invalid Form Body", field, reason)
	}
	m := f.newBotMessageLocked(channel, guild, body, req.files)
	m.flags = int64(num(body["flags"])) & (1<<2 | 1<<12)
	if ref, ok := body["message_reference"].(map[string]any); ok {
		id, _ := ref["message_id"].(string)
		if f.messages[id] != nil {
			m.refID, m.typ = id, 19
		} else if ref["fail_if_not_exists"] != false {
			return f.rejectLocked(req, 400, 50035, "Invalid Form Body", "message_reference", "Unknown message "+id)
		}
	}
	if empty(m) {
		return f.rejectLocked(req, 400, 50006, "Cannot send an empty message", "", "empty channel message")
	}
	f.storeLocked(m)
	f.echoLocked(m)
	return reply{status: 200, body: f.renderLocked(m, 0)}
}

func (f *Fake) channelMessage(req *request) reply {
	m := f.messages[req.r.PathValue("msg")]
	if m == nil || m.channelID != req.r.PathValue("channel") {
		return f.rejectLocked(req, 404, 10008, "Unknown Message", "", "unknown message "+req.r.PathValue("msg"))
	}
	if req.r.Method == "PATCH" && lookup(m.author, "id") != f.opts.BotID {
		return f.rejectLocked(req, 403, 50005, "Cannot edit a message authored by another user", "", "edit of another user's message")
	}
	return f.messageOpLocked(req, m)
}

// messageOpLocked reads, edits or deletes a stored message.
func (f *Fake) messageOpLocked(req *request, m *message) reply {
	switch req.r.Method {
	case "DELETE":
		delete(f.messages, m.id)
		return reply{status: 204}
	case "PATCH":
		body, _ := req.body.(map[string]any)
		if field, reason := validateMessage(body, ""); reason != "" {
			return f.rejectLocked(req, 400, 50035, "Invalid Form Body", field, reason)
		}
		cp := *m
		applyBody(&cp, body, req.files)
		cp.flags &^= flagLoading
		if empty(&cp) {
			return f.rejectLocked(req, 400, 50006, "Cannot send an empty message", "", "edit to an empty message")
		}
		cp.edits++
		cp.edited = f.opts.Now()
		*m = cp
	}
	return reply{status: 200, body: f.renderLocked(m, 0)}
}

func (f *Fake) newBotMessageLocked(channel, guild string, body map[string]any, files []string) *message {
	m := &message{id: f.newIDLocked(), channelID: channel, guildID: guild, author: f.userJSON(f.BotUser()), created: f.opts.Now()}
	applyBody(m, body, files)
	return m
}

// applyBody applies the message fields present in a create or edit body; null clears a field.
func applyBody(m *message, body map[string]any, files []string) {
	if v, ok := body["content"]; ok {
		m.content, _ = v.(string)
	}
	if v, ok := body["embeds"]; ok {
		m.embeds, _ = clone(v).([]any)
	}
	if v, ok := body["components"]; ok {
		m.components, _ = clone(v).([]any)
	}
	if v, ok := body["attachments"]; ok {
		m.attachments, _ = clone(v).([]any)
	}
	for _, name := range files {
		m.attachments = append(m.attachments, map[string]any{"id": "0", "filename": name})
	}
	if v, ok := body["allowed_mentions"]; ok {
		m.allowedMentions = clone(v)
	}
}

func empty(m *message) bool {
	return m.content == "" && len(m.embeds) == 0 && len(m.components) == 0 && len(m.attachments) == 0
}

func (f *Fake) storeLocked(m *message) {
	f.messages[m.id] = m
	f.order = append(f.order, m.id)
	f.notifyLocked()
}

// echoLocked dispatches MESSAGE_CREATE for a stored message, as Discord does for every
// message including the bot's own (ephemeral ones excepted).
func (f *Fake) echoLocked(m *message) {
	if m.flags&flagEphemeral != 0 {
		return
	}
	data := f.renderLocked(m, 0)
	if m.guildID != "" {
		data["member"] = map[string]any{"roles": []any{}, "joined_at": timestamp(m.created), "deaf": false, "mute": false}
	}
	f.dispatchLocked("MESSAGE_CREATE", data)
}

// renderLocked builds the Discord JSON of a message; depth 0 includes referenced_message.
func (f *Fake) renderLocked(m *message, depth int) map[string]any {
	out := map[string]any{"id": m.id, "type": m.typ, "channel_id": m.channelID, "author": m.author,
		"content": m.content, "timestamp": timestamp(m.created), "edited_timestamp": nil, "tts": false,
		"mention_everyone": false, "mentions": list(m.mentions), "mention_roles": []any{},
		"attachments": list(m.attachments), "embeds": list(m.embeds), "components": list(m.components),
		"pinned": false, "flags": m.flags}
	if m.edits > 0 {
		out["edited_timestamp"] = timestamp(m.edited)
	}
	if m.guildID != "" {
		out["guild_id"] = m.guildID
	}
	if m.webhookID != "" {
		out["webhook_id"], out["application_id"] = m.webhookID, m.webhookID
	}
	if m.refID != "" {
		ref := map[string]any{"type": 0, "message_id": m.refID, "channel_id": m.channelID}
		if m.guildID != "" {
			ref["guild_id"] = m.guildID
		}
		out["message_reference"] = ref
		if r := f.messages[m.refID]; depth == 0 && r != nil {
			out["referenced_message"] = f.renderLocked(r, 1)
		} else if depth == 0 {
			out["referenced_message"] = nil
		}
	}
	return out
}

func list(v []any) []any {
	if v == nil {
		return []any{}
	}
	return v
}

// clone deep-copies decoded JSON so stored state never aliases a recorded body.
func clone(v any) any {
	b, _ := json.Marshal(v)
	var out any
	json.Unmarshal(b, &out)
	return out
}

func num(v any) float64 {
	n, _ := v.(float64)
	return n
}

// Message is a snapshot of a stored message.
type Message struct {
	ID, ChannelID, GuildID, AuthorID string
	Content                          string
	Embeds, Components, Attachments  []any // decoded JSON
	Flags                            int64
	ReplyTo                          string // id of the referenced message
	AllowedMentions                  any    // as last sent, decoded JSON
	Edits                            int
}

// Ephemeral reports whether only the invoking user sees the message.
func (m Message) Ephemeral() bool { return m.Flags&flagEphemeral != 0 }

// Loading reports whether the message is still a deferred response's "thinking…" placeholder.
func (m Message) Loading() bool { return m.Flags&flagLoading != 0 }

func (f *Fake) snapshotLocked(m *message) Message {
	author, _ := lookup(m.author, "id").(string)
	c := clone(map[string]any{"e": list(m.embeds), "c": list(m.components), "a": list(m.attachments)}).(map[string]any)
	return Message{ID: m.id, ChannelID: m.channelID, GuildID: m.guildID, AuthorID: author, Content: m.content,
		Embeds: c["e"].([]any), Components: c["c"].([]any), Attachments: c["a"].([]any), Flags: m.flags,
		ReplyTo: m.refID, AllowedMentions: clone(m.allowedMentions), Edits: m.edits}
}

// Message returns the stored message id.
func (f *Fake) Message(id string) (Message, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if m := f.messages[id]; m != nil {
		return f.snapshotLocked(m), true
	}
	return Message{}, false
}

// Messages returns the stored messages of a channel ("" for all), oldest first.
func (f *Fake) Messages(channelID string) []Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Message
	for _, id := range f.order {
		if m := f.messages[id]; m != nil && (channelID == "" || m.channelID == channelID) {
			out = append(out, f.snapshotLocked(m))
		}
	}
	return out
}

// Original returns the current @original message of the interaction with this token.
func (f *Fake) Original(token string) (Message, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if it := f.byToken[token]; it != nil && f.messages[it.original] != nil {
		return f.snapshotLocked(f.messages[it.original]), true
	}
	return Message{}, false
}

// FinalContent returns the content of the interaction's @original message ("" while it is
// missing or still loading).
func (f *Fake) FinalContent(token string) string {
	m, _ := f.Original(token)
	return m.Content
}

// Followups returns the interaction's follow-up messages, oldest first.
func (f *Fake) Followups(token string) []Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Message
	if it := f.byToken[token]; it != nil {
		for _, id := range it.followups {
			if m := f.messages[id]; m != nil {
				out = append(out, f.snapshotLocked(m))
			}
		}
	}
	return out
}

// InteractionResponses returns the callback calls made for interaction id, accepted or not.
func (f *Fake) InteractionResponses(id string) []Call {
	var out []Call
	for _, c := range f.Calls() {
		if c.Match("POST", "/api/v9/interactions/"+id+"/*/callback") {
			out = append(out, c)
		}
	}
	return out
}

// AckLatency returns the time from dispatching interaction id to its accepted response, on
// Options.Now's clock.
func (f *Fake) AckLatency(id string) (time.Duration, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	it := f.interactions[id]
	if it == nil || it.ackType == 0 {
		return 0, false
	}
	return it.ackAt.Sub(it.created), true
}

// Commands returns the commands registered for a guild ("" for global ones), as decoded JSON.
func (f *Fake) Commands(guildID string) []any {
	f.mu.Lock()
	defer f.mu.Unlock()
	out, _ := clone(list(f.commands[guildID])).([]any)
	return out
}

// CodeUnfinished is the Violation code, reported at Close, of an interaction that was never
// acknowledged or whose deferred response still shows "thinking…": on Discord the user would
// see "The application did not respond" or a response that never ends.
const CodeUnfinished = 1

// unfinishedLocked lists the interactions left without a final message.
func (f *Fake) unfinishedLocked() []Violation {
	var out []Violation
	for _, it := range f.interactions {
		reason := ""
		if m := f.messages[it.original]; it.ackType == 0 && !it.expired {
			reason = "was never acknowledged"
		} else if m != nil && m.flags&flagLoading != 0 {
			reason = "was deferred but never completed"
		}
		if reason != "" {
			out = append(out, Violation{Code: CodeUnfinished, Method: "INTERACTION", Path: it.id,
				Reason: "interaction " + it.id + " (" + it.name + ") " + reason})
		}
	}
	slices.SortFunc(out, func(a, b Violation) int { return strings.Compare(a.Path, b.Path) })
	return out
}
