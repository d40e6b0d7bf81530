package discordtest

import (
	"strings"
)

// InteractionSpec describes an interaction to dispatch. Zero fields take defaults: the first
// configured guild and its first channel, DefaultUser, member permissions 0, locale "en-US".
type InteractionSpec struct {
	// Type is Discord's interaction type: 2 application command (default), 3 message component,
	// 4 autocomplete, 5 modal submit.
	Type int
	// Name is the command name (types 2 and 4); the data id is the registered command's id.
	Name string
	// Options of the command, subcommands nested; for autocomplete mark one Focused.
	Options []Option
	// CustomID of the clicked component (type 3) or of the submitted modal (type 5).
	CustomID string
	// ComponentType of the clicked component (default 2, a button); Values for select menus.
	ComponentType int
	Values        []string
	// MessageID is the stored message the component is on (required for type 3; optional for
	// type 5, a modal opened from a component). Its current state is sent as "message", and
	// its channel is the interaction's unless GuildID or ChannelID say otherwise.
	MessageID string
	// Fields are the modal's text inputs (type 5), each sent in its own action row.
	Fields []TextInput
	// GuildID and ChannelID place the interaction; DM sends it from a direct message instead.
	GuildID, ChannelID string
	DM                 bool
	// User is the invoking user. Permissions (Discord's bit set, sent as a string) and Roles
	// are the member's, in guilds.
	User        User
	Permissions int64
	Roles       []string
	Locale      string
}

// Option is a command option. Type 0 is inferred: File set → 11 (attachment), Options set → 1
// (subcommand), else from Value: string 3, int 4, bool 5, float64 10. Use Type 2 for groups.
type Option struct {
	Name    string
	Type    int
	Value   any
	Focused bool
	Options []Option
	File    *File
}

// File is an uploaded attachment: the fake puts it in the interaction's resolved data and
// serves Data at a loopback URL (the attachment's url and proxy_url).
type File struct {
	Name, ContentType string
	Data              []byte
}

// TextInput is a modal text input value.
type TextInput struct{ CustomID, Value string }

// Interaction identifies a dispatched interaction.
type Interaction struct{ ID, Token string }

// SendSlashCommand dispatches the chat-input command name with options, with the defaults of
// InteractionSpec.
func (f *Fake) SendSlashCommand(name string, options ...Option) Interaction {
	f.t.Helper()
	return f.Interaction(InteractionSpec{Name: name, Options: options})
}

// Autocomplete dispatches an autocomplete interaction for command name; mark one option Focused.
func (f *Fake) Autocomplete(name string, options ...Option) Interaction {
	f.t.Helper()
	return f.Interaction(InteractionSpec{Type: 4, Name: name, Options: options})
}

// Click dispatches a button click on the stored message messageID.
func (f *Fake) Click(messageID, customID string) Interaction {
	f.t.Helper()
	return f.Interaction(InteractionSpec{Type: 3, MessageID: messageID, CustomID: customID})
}

// SubmitModal dispatches the submission of modal customID with the given text inputs.
func (f *Fake) SubmitModal(customID string, fields ...TextInput) Interaction {
	f.t.Helper()
	return f.Interaction(InteractionSpec{Type: 5, CustomID: customID, Fields: fields})
}

// Interaction dispatches INTERACTION_CREATE built from spec as raw Discord JSON and starts its
// acknowledgement clock. A bad spec (unknown message or guild, missing name) fails the test.
func (f *Fake) Interaction(spec InteractionSpec) Interaction {
	f.t.Helper()
	if spec.Type == 0 {
		spec.Type = 2
	}
	if spec.User.ID == "" {
		spec.User = DefaultUser
	}
	if spec.Locale == "" {
		spec.Locale = "en-US"
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if m := f.messages[spec.MessageID]; m != nil && spec.ChannelID == "" && spec.GuildID == "" {
		spec.ChannelID, spec.GuildID, spec.DM = m.channelID, m.guildID, m.guildID == ""
	}
	guild, channel := f.placeLocked(spec.GuildID, spec.ChannelID, spec.DM, spec.User)
	id := f.newIDLocked()
	it := &interaction{id: id, token: "token-" + id, typ: spec.Type, name: spec.Name + spec.CustomID, created: f.opts.Now()}
	p := map[string]any{"id": id, "application_id": f.opts.AppID, "type": spec.Type, "token": it.token,
		"version": 1, "channel_id": channel, "locale": spec.Locale, "app_permissions": "562949953421311",
		"entitlements": []any{}, "authorizing_integration_owners": map[string]any{}}
	if guild != "" {
		p["guild_id"], p["guild_locale"], p["context"] = guild, "en-US", 0
		p["channel"] = map[string]any{"id": channel, "type": 0, "guild_id": guild}
		p["member"] = map[string]any{"user": f.userJSON(spec.User), "roles": strs(spec.Roles),
			"permissions": itoa64(spec.Permissions), "joined_at": timestamp(f.opts.Now()),
			"deaf": false, "mute": false, "flags": 0, "pending": false, "nick": nil, "avatar": nil}
	} else {
		p["context"] = 1
		p["channel"] = map[string]any{"id": channel, "type": 1}
		p["user"] = f.userJSON(spec.User)
	}
	var data map[string]any
	switch spec.Type {
	case 2, 4:
		if spec.Name == "" {
			f.t.Fatalf("discordtest: an interaction of type %d needs a command Name", spec.Type)
		}
		data = map[string]any{"id": f.commandIDLocked(spec.Name, guild), "name": spec.Name, "type": 1}
		resolved := map[string]any{}
		if opts := f.optionsLocked(spec.Options, resolved); len(opts) > 0 {
			data["options"] = opts
		}
		if len(resolved) > 0 {
			data["resolved"] = map[string]any{"attachments": resolved}
		}
	case 3:
		if spec.ComponentType == 0 {
			spec.ComponentType = 2
		}
		data = map[string]any{"custom_id": spec.CustomID, "component_type": spec.ComponentType}
		if spec.ComponentType != 2 {
			data["values"] = strs(spec.Values)
		}
		if f.messages[spec.MessageID] == nil {
			f.t.Fatalf("discordtest: component interaction on unknown message %q", spec.MessageID)
		}
	case 5:
		rows := []any{}
		for _, in := range spec.Fields {
			rows = append(rows, map[string]any{"type": 1, "components": []any{
				map[string]any{"type": 4, "custom_id": in.CustomID, "value": in.Value}}})
		}
		data = map[string]any{"custom_id": spec.CustomID, "components": rows}
	default:
		f.t.Fatalf("discordtest: unsupported interaction type %d", spec.Type)
	}
	if m := f.messages[spec.MessageID]; m != nil && (spec.Type == 3 || spec.Type == 5) {
		p["message"] = f.renderLocked(m, 0)
		it.componentMsg = m.id
	}
	p["data"] = data
	it.guildID, it.channelID = guild, channel
	f.interactions[id] = it
	f.byToken[it.token] = it
	f.dispatchLocked("INTERACTION_CREATE", p)
	f.notifyLocked()
	return Interaction{ID: id, Token: it.token}
}

func (f *Fake) optionsLocked(opts []Option, resolved map[string]any) []any {
	out := []any{}
	for _, o := range opts {
		typ := o.Type
		if typ == 0 {
			switch v := o.Value.(type) {
			case nil:
				typ = 1
				if o.File != nil {
					typ = 11
				}
			case string:
				typ = 3
			case bool:
				typ = 5
			case int, int64:
				typ = 4
			case float64:
				typ = 10
			default:
				f.t.Fatalf("discordtest: option %q: cannot infer the type of %T", o.Name, v)
			}
		}
		m := map[string]any{"name": o.Name, "type": typ}
		switch {
		case typ == 1 || typ == 2:
			m["options"] = f.optionsLocked(o.Options, resolved)
		case typ == 11 && o.File != nil:
			att := f.attachLocked(*o.File)
			resolved[att["id"].(string)] = att
			m["value"] = att["id"]
		default:
			m["value"] = o.Value
		}
		if o.Focused {
			m["focused"] = true
		}
		out = append(out, m)
	}
	return out
}

// attachLocked stores a file and returns its attachment object.
func (f *Fake) attachLocked(file File) map[string]any {
	id := f.newIDLocked()
	f.files[id] = file
	u := f.srv.URL + "/attachments/" + id + "/" + file.Name
	return map[string]any{"id": id, "filename": file.Name, "size": len(file.Data), "url": u, "proxy_url": u,
		"content_type": file.ContentType, "ephemeral": true}
}

// FileURL serves file at a loopback URL on the fake and returns the URL.
func (f *Fake) FileURL(file File) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.attachLocked(file)["url"].(string)
}

// commandIDLocked returns the registered id of command name (guild commands first), or a fresh id.
func (f *Fake) commandIDLocked(name, guild string) string {
	for _, scope := range []string{guild, ""} {
		for _, c := range f.commands[scope] {
			if lookup(c, "name") == name {
				return lookup(c, "id").(string)
			}
		}
	}
	return f.newIDLocked()
}

// placeLocked resolves where an event happens: a configured guild and channel, or a DM channel.
func (f *Fake) placeLocked(guild, channel string, dm bool, user User) (string, string) {
	if dm {
		if channel == "" {
			channel = "dm-" + user.ID
		}
		f.channels[channel] = ""
		return "", channel
	}
	var g *Guild
	for i := range f.opts.Guilds {
		if f.opts.Guilds[i].ID == guild || guild == "" {
			g = &f.opts.Guilds[i]
			break
		}
	}
	if g == nil {
		f.t.Fatalf("discordtest: guild %q is not in Options.Guilds", guild)
	}
	if channel == "" {
		if len(g.Channels) == 0 {
			f.t.Fatalf("discordtest: guild %q has no channels", g.ID)
		}
		channel = g.Channels[0]
	}
	f.channels[channel] = g.ID
	return g.ID, channel
}

// MessageSpec describes a message a user posts.
type MessageSpec struct {
	Content            string
	Author             User // default DefaultUser; set Bot for a bot author
	GuildID, ChannelID string
	DM                 bool
	Mentions           []User
	// MentionBot adds the bot to the mentions and, unless ReplyTo is set (a reply pings without
	// writing the mention), prefixes Content with "<@BOTID> " when it lacks the mention.
	MentionBot bool
	// ReplyTo is the id of a stored message this one replies to (message_reference and
	// referenced_message are sent).
	ReplyTo string
}

// SendMessage stores the message and dispatches MESSAGE_CREATE (subject to intents); it
// returns the message id.
func (f *Fake) SendMessage(spec MessageSpec) string {
	f.t.Helper()
	if spec.Author.ID == "" {
		spec.Author = DefaultUser
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	guild, channel := f.placeLocked(spec.GuildID, spec.ChannelID, spec.DM, spec.Author)
	m := &message{id: f.newIDLocked(), channelID: channel, guildID: guild, author: f.userJSON(spec.Author),
		content: spec.Content, created: f.opts.Now()}
	for _, u := range spec.Mentions {
		m.mentions = append(m.mentions, f.userJSON(u))
	}
	if spec.MentionBot {
		m.mentions = append(m.mentions, f.userJSON(f.BotUser()))
		id := f.opts.BotID
		if spec.ReplyTo == "" && !strings.Contains(m.content, "<@"+id+">") && !strings.Contains(m.content, "<@!"+id+">") {
			m.content = f.BotMention() + " " + m.content
		}
	}
	if spec.ReplyTo != "" {
		if f.messages[spec.ReplyTo] == nil {
			f.t.Fatalf("discordtest: reply to unknown message %q", spec.ReplyTo)
		}
		m.refID, m.typ = spec.ReplyTo, 19
	}
	f.storeLocked(m)
	f.echoLocked(m)
	return m.id
}
