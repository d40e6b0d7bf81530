package discordtest

import (
	"bytes"
	"compress/zlib"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Gateway intents the fake applies (Discord's bit values).
const (
	intentGuilds         = 1 << 0
	intentGuildMessages  = 1 << 9
	intentDirectMessages = 1 << 12
	intentMessageContent = 1 << 15
)

// gwConn is one websocket connection. Frames go through a queue drained by a writer goroutine,
// so dispatching never blocks on the network while holding the fake's lock, and frames keep
// their order.
type gwConn struct {
	ws         *websocket.Conn
	mu         sync.Mutex
	out        []frame
	wake       chan struct{}
	done       chan struct{}
	readerDone chan struct{} // closed when the reader has seen the connection end
	once       sync.Once
}

type frame struct {
	kind int
	data []byte
}

// gwSession is a gateway session: what RESUME needs to replay missed dispatches. shard and
// shards are the [shard_id, num_shards] of its IDENTIFY (0 and 1 without one).
type gwSession struct {
	id       string
	intents  int64
	compress bool
	shard    int
	shards   int
	seq      int64
	log      []loggedFrame
	conn     *gwConn // nil while disconnected
}

type loggedFrame struct {
	seq  int64
	data []byte
}

// event is a dispatch waiting for a session (intents are applied when it is sequenced).
type event struct {
	typ  string
	data map[string]any
}

func (c *gwConn) enqueue(kind int, data []byte) {
	c.mu.Lock()
	c.out = append(c.out, frame{kind, data})
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

func (c *gwConn) writeLoop() {
	for {
		select {
		case <-c.wake:
		case <-c.done:
			return
		}
		c.mu.Lock()
		batch := c.out
		c.out = nil
		c.mu.Unlock()
		for _, fr := range batch {
			c.ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
			if err := c.ws.WriteMessage(fr.kind, fr.data); err != nil {
				c.close()
				return
			}
		}
	}
}

func (c *gwConn) close() {
	c.once.Do(func() {
		close(c.done)
		c.ws.Close()
	})
}

// closeWith sends a close frame with a Discord close code (4004, 4014…) and closes.
func (c *gwConn) closeWith(code int, text string) {
	c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, text), time.Now().Add(time.Second))
	c.close()
}

func (f *Fake) gatewayURL() string { return "ws" + strings.TrimPrefix(f.srv.URL, "http") + "/gateway" }

func (f *Fake) serveGateway(w http.ResponseWriter, r *http.Request) {
	ws, err := f.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader has answered with an HTTP error
	}
	ws.SetReadLimit(4096) // Discord's limit for client payloads
	c := &gwConn{ws: ws, wake: make(chan struct{}, 1), done: make(chan struct{}), readerDone: make(chan struct{})}
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		ws.Close()
		return
	}
	f.conns[c] = true
	f.wg.Add(2)
	f.mu.Unlock()
	go func() {
		defer f.wg.Done()
		c.writeLoop()
	}()
	defer f.wg.Done()
	hello, _ := json.Marshal(map[string]any{"op": 10, "s": nil, "t": nil,
		"d": map[string]any{"heartbeat_interval": f.opts.HeartbeatInterval.Milliseconds()}})
	c.enqueue(websocket.TextMessage, hello)
	f.readLoop(c)
}

func (f *Fake) readLoop(c *gwConn) {
	defer close(c.readerDone)
	defer func() {
		f.mu.Lock()
		delete(f.conns, c)
		for _, s := range f.sessions {
			if s.conn == c {
				s.conn = nil
			}
		}
		f.mu.Unlock()
		c.close()
	}()
	for {
		_, data, err := c.ws.ReadMessage()
		if err != nil {
			if ce, ok := err.(*websocket.CloseError); ok {
				f.record(Call{Method: "GATEWAY", Path: "CLOSE", Body: float64(ce.Code), Time: f.opts.Now()})
			}
			return
		}
		var p struct {
			Op int             `json:"op"`
			D  json.RawMessage `json:"d"`
		}
		if json.Unmarshal(data, &p) != nil {
			c.closeWith(4002, "Error while decoding payload.")
			return
		}
		name := map[int]string{1: "HEARTBEAT", 2: "IDENTIFY", 6: "RESUME"}[p.Op]
		if name == "" {
			name = "OP" + itoa(p.Op)
		}
		f.record(Call{Method: "GATEWAY", Path: name, Body: decodeJSON(p.D), Time: f.opts.Now()})
		switch p.Op {
		case 1:
			c.enqueue(websocket.TextMessage, []byte(`{"op":11,"d":null,"s":null,"t":null}`))
		case 2:
			f.identify(c, p.D)
		case 6:
			f.resume(c, p.D)
		case 3, 4, 8: // presence, voice state, request guild members: accepted, nothing to do
		default:
			c.closeWith(4001, "Unknown opcode.")
			return
		}
	}
}

func (f *Fake) tokenOK(token string) bool {
	return token == f.opts.Token || token == "Bot "+f.opts.Token
}

// ShardOf returns the gateway shard that receives the events of guild guildID in a deployment
// of count shards: (guild_id >> 22) % count, as Discord routes them. An id that is not a
// snowflake, and every event without a guild (direct messages), belong to shard 0.
func ShardOf(guildID string, count int) int {
	id, err := strconv.ParseUint(guildID, 10, 64)
	if err != nil || count <= 1 {
		return 0
	}
	return int((id >> 22) % uint64(count))
}

// GuildOnShard returns the n-th (from 0) of a fixed series of snowflake-shaped guild ids
// that ShardOf places on shard of count: guilds for a test of several shards.
func GuildOnShard(shard, count, n int) string {
	for ts := uint64(1 << 30); ; ts++ {
		id := strconv.FormatUint(ts<<22|777, 10)
		if ShardOf(id, count) == shard {
			if n == 0 {
				return id
			}
			n--
		}
	}
}

// maxShards bounds num_shards in IDENTIFY: a larger count is refused with 4010, like any
// count Discord would not accept for this bot.
const maxShards = 1 << 16

// parseShard reads IDENTIFY's optional "shard": [shard_id, num_shards]. Absent means shard 0 of 1;
// anything else than two whole numbers with 0 <= shard_id < num_shards is invalid.
func parseShard(raw json.RawMessage) (id, count int, ok bool) {
	if len(raw) == 0 || string(raw) == "null" {
		return 0, 1, true
	}
	var pair []json.Number
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if dec.Decode(&pair) != nil || len(pair) != 2 {
		return 0, 0, false
	}
	id64, err1 := pair[0].Int64()
	n64, err2 := pair[1].Int64()
	if err1 != nil || err2 != nil || n64 < 1 || n64 > maxShards || id64 < 0 || id64 >= n64 {
		return 0, 0, false
	}
	return int(id64), int(n64), true
}

// eventGuild is the guild an event belongs to, which decides its shard: the guild itself for
// guild events, its guild_id for the others ("" for direct messages).
func eventGuild(typ string, data map[string]any) string {
	switch typ {
	case "GUILD_CREATE", "GUILD_UPDATE", "GUILD_DELETE":
		id, _ := data["id"].(string)
		return id
	}
	id, _ := data["guild_id"].(string)
	return id
}

// receives reports whether session s is the shard for an event of guild.
func (s *gwSession) receives(guild string) bool { return ShardOf(guild, s.shards) == s.shard }

func (f *Fake) identify(c *gwConn, raw json.RawMessage) {
	var d struct {
		Token    string          `json:"token"`
		Intents  int64           `json:"intents"`
		Compress bool            `json:"compress"`
		Shard    json.RawMessage `json:"shard"`
	}
	json.Unmarshal(raw, &d)
	if !f.tokenOK(d.Token) {
		c.closeWith(4004, "Authentication failed.")
		return
	}
	if d.Intents&f.opts.DisallowedIntents != 0 {
		c.closeWith(4014, "Disallowed intent(s).")
		return
	}
	shard, shards, ok := parseShard(d.Shard)
	if !ok {
		c.closeWith(4010, "Invalid shard.")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	// A new IDENTIFY replaces the session of its shard, as Discord's session limit per shard does.
	if old := f.sessions[shard]; old != nil && old.conn != nil && old.conn != c {
		old.conn.close()
	}
	s := &gwSession{id: "session-" + f.newIDLocked(), intents: d.Intents, compress: d.Compress && f.opts.CompressPayloads,
		conn: c, shard: shard, shards: shards}
	f.sessions[shard] = s
	f.last = s
	guilds := []any{}
	for _, g := range f.opts.Guilds {
		if s.receives(g.ID) {
			guilds = append(guilds, map[string]any{"id": g.ID, "unavailable": true})
		}
	}
	ready := map[string]any{
		"v": 9, "session_id": s.id, "resume_gateway_url": f.gatewayURL(),
		"user":        f.userJSON(f.BotUser()),
		"application": map[string]any{"id": f.opts.AppID, "flags": 0},
		"guilds":      guilds, "private_channels": []any{},
	}
	if len(d.Shard) > 0 && string(d.Shard) != "null" {
		ready["shard"] = []any{shard, shards}
	}
	f.sendLocked(s, "READY", ready)
	if s.intents&intentGuilds != 0 {
		for _, g := range f.opts.Guilds {
			if s.receives(g.ID) {
				f.sendLocked(s, "GUILD_CREATE", f.guildJSON(g))
			}
		}
	}
	// Events queued for want of a session go to this one if it is their shard; the others wait
	// for theirs.
	pending := f.pending
	f.pending = nil
	for _, e := range pending {
		if !s.receives(eventGuild(e.typ, e.data)) {
			f.pending = append(f.pending, e)
			continue
		}
		if id, _ := e.data["id"].(string); e.typ == "INTERACTION_CREATE" && f.interactions[id] != nil {
			it := f.interactions[id]
			it.created = f.opts.Now() // Discord's 3 s start when the event is sent
		}
		f.dispatchLocked(e.typ, e.data)
	}
	f.notifyLocked()
}

// resume answers op 6. It sends RESUMED first, then the missed dispatches: Discord sends
// them the other way round, but discordgo's Open expects READY/RESUMED as the very next frame.
// RESUMED carries the client's own sequence number, so that a client that drops again before
// reading the replay asks for it again.
func (f *Fake) resume(c *gwConn, raw json.RawMessage) {
	var d struct {
		Token     string `json:"token"`
		SessionID string `json:"session_id"`
		Seq       int64  `json:"seq"`
	}
	json.Unmarshal(raw, &d)
	if !f.tokenOK(d.Token) {
		c.closeWith(4004, "Authentication failed.")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var s *gwSession
	for _, cand := range f.sessions {
		if cand.id == d.SessionID {
			s = cand
		}
	}
	if s == nil {
		c.enqueue(websocket.TextMessage, []byte(`{"op":9,"d":false,"s":null,"t":null}`))
		return
	}
	if s.conn != nil && s.conn != c {
		s.conn.close()
	}
	s.conn = c
	resumed, _ := json.Marshal(map[string]any{"op": 0, "t": "RESUMED", "s": d.Seq, "d": map[string]any{}})
	f.writeLocked(s, resumed)
	for _, lf := range s.log {
		if lf.seq > d.Seq {
			f.writeLocked(s, lf.data)
		}
	}
	f.notifyLocked()
}

// DropGateway closes the gateway connections of every shard abruptly, without a close frame,
// as a network failure would. Dispatches sent meanwhile are replayed on RESUME. Before closing
// a session that reconnected, call WaitHeartbeat.
func (f *Fake) DropGateway() {
	f.mu.Lock()
	var conns []*gwConn
	for _, s := range f.sessions {
		if s.conn != nil {
			conns = append(conns, s.conn)
			s.conn = nil
		}
	}
	f.mu.Unlock()
	for _, c := range conns {
		c.close()
	}
}

// Dispatch sends a gateway event of type typ whose "d" is data, raw Discord JSON (a
// json.RawMessage, a string of JSON or a map). Before the first IDENTIFY it is queued.
func (f *Fake) Dispatch(typ string, data any) {
	f.t.Helper()
	var m map[string]any
	var raw []byte
	switch d := data.(type) {
	case json.RawMessage:
		raw = d
	case string:
		raw = []byte(d)
	case []byte:
		raw = d
	default:
		raw, _ = json.Marshal(d)
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		f.t.Fatalf("discordtest: Dispatch %s: data is not a JSON object: %v", typ, err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.dispatchLocked(typ, m)
}

// dispatchLocked sends an event to the session of its guild's shard, applying that session's
// intents, or queues it until that shard identifies.
func (f *Fake) dispatchLocked(typ string, data map[string]any) {
	guild := eventGuild(typ, data)
	var s *gwSession
	for _, cand := range f.sessions {
		if cand.receives(guild) {
			s = cand
			break
		}
	}
	if s == nil {
		f.pending = append(f.pending, event{typ, data})
		return
	}
	if data = f.filter(typ, data, s.intents); data != nil {
		f.sendLocked(s, typ, data)
	}
}

// filter applies Discord's intent rules to an event; nil means the event is not sent.
func (f *Fake) filter(typ string, data map[string]any, intents int64) map[string]any {
	switch typ {
	case "GUILD_CREATE", "GUILD_UPDATE", "GUILD_DELETE", "CHANNEL_CREATE", "THREAD_CREATE":
		if intents&intentGuilds == 0 {
			return nil
		}
	case "MESSAGE_CREATE", "MESSAGE_UPDATE":
		guild, _ := data["guild_id"].(string)
		need := int64(intentGuildMessages)
		if guild == "" {
			need = intentDirectMessages
		}
		if intents&need == 0 {
			return nil
		}
		author, _ := lookup(data, "author.id").(string)
		if guild == "" || intents&intentMessageContent != 0 || author == f.opts.BotID || mentions(data, f.opts.BotID) {
			return data
		}
		blank := make(map[string]any, len(data))
		for k, v := range data {
			blank[k] = v
		}
		blank["content"], blank["embeds"], blank["attachments"], blank["components"] = "", []any{}, []any{}, []any{}
		return blank
	}
	return data
}

func mentions(data map[string]any, userID string) bool {
	list, _ := data["mentions"].([]any)
	for _, u := range list {
		if id, _ := lookup(u, "id").(string); id == userID {
			return true
		}
	}
	return false
}

// sendLocked sequences a dispatch, logs it for RESUME and writes it if connected.
func (f *Fake) sendLocked(s *gwSession, typ string, data any) {
	s.seq++
	b, _ := json.Marshal(map[string]any{"op": 0, "t": typ, "s": s.seq, "d": data})
	s.log = append(s.log, loggedFrame{s.seq, b})
	f.writeLocked(s, b)
}

func (f *Fake) writeLocked(s *gwSession, b []byte) {
	if s.conn == nil {
		return
	}
	if !s.compress {
		s.conn.enqueue(websocket.TextMessage, b)
		return
	}
	var buf bytes.Buffer
	zw := zlib.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	s.conn.enqueue(websocket.BinaryMessage, buf.Bytes())
}

// Intents returns the intents of the latest IDENTIFY's gateway session (0 before IDENTIFY).
func (f *Fake) Intents() int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.last == nil {
		return 0
	}
	return f.last.intents
}

// Shards returns the shard ids with a gateway session, in order: which shards have identified.
func (f *Fake) Shards() []int {
	f.mu.Lock()
	defer f.mu.Unlock()
	ids := make([]int, 0, len(f.sessions))
	for id := range f.sessions {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

func (f *Fake) userJSON(u User) map[string]any {
	return map[string]any{"id": u.ID, "username": u.Name, "global_name": u.Name, "discriminator": "0",
		"avatar": nil, "bot": u.Bot, "flags": 0}
}

func (f *Fake) guildJSON(g Guild) map[string]any {
	joined := timestamp(f.opts.Now())
	roles := []any{}
	everyone := false
	for _, r := range g.Roles {
		everyone = everyone || r.ID == g.ID
		roles = append(roles, roleJSON(r))
	}
	if !everyone {
		roles = append(roles, roleJSON(Role{ID: g.ID, Name: "@everyone"}))
	}
	members := []any{map[string]any{"user": f.userJSON(f.BotUser()), "roles": []any{}, "joined_at": joined, "deaf": false, "mute": false}}
	for _, m := range g.Members {
		members = append(members, map[string]any{"user": f.userJSON(m.User), "roles": strs(m.Roles), "joined_at": joined, "deaf": false, "mute": false})
	}
	channels := []any{}
	for i, c := range g.Channels {
		channels = append(channels, map[string]any{"id": c, "type": 0, "guild_id": g.ID, "name": "channel-" + itoa(i), "position": i})
	}
	name := g.Name
	if name == "" {
		name = "guild-" + g.ID
	}
	return map[string]any{"id": g.ID, "name": name, "owner_id": DefaultUserID, "unavailable": false,
		"joined_at": joined, "large": false, "member_count": len(members), "roles": roles, "members": members,
		"channels": channels, "threads": []any{}, "emojis": []any{}, "stickers": []any{},
		"voice_states": []any{}, "presences": []any{}, "preferred_locale": "en-US"}
}

func roleJSON(r Role) map[string]any {
	return map[string]any{"id": r.ID, "name": r.Name, "permissions": itoa64(r.Permissions), "position": 0,
		"color": 0, "hoist": false, "managed": false, "mentionable": false}
}

func strs(ss []string) []any {
	out := []any{}
	for _, s := range ss {
		out = append(out, s)
	}
	return out
}
