package discordtest

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestShardOf(t *testing.T) {
	cases := []struct {
		guild string
		count int
		want  int
	}{
		{"41771983423143937", 1, 0},      // any guild on a single shard
		{"41771983423143937", 2, 0},      // id >> 22 = 9959216934
		{"41771983423143937", 16, 6},     // 9959216934 % 16
		{"41771983423143937", 1000, 934}, // 9959216934 % 1000
		{strconv.FormatUint(7<<22, 10), 4, 3},
		{strconv.FormatUint(7<<22|(1<<22-1), 10), 4, 3}, // the low 22 bits do not count
		{"", 4, 0},                // direct messages go to shard 0
		{"not-a-snowflake", 4, 0}, // so does anything that is not an id
		{"-4194304", 4, 0},        // or a negative one
		{"18446744073709551615", 7, int((uint64(18446744073709551615) >> 22) % 7)},
		{"18446744073709551616", 7, 0}, // past uint64
	}
	for _, c := range cases {
		if got := ShardOf(c.guild, c.count); got != c.want {
			t.Errorf("ShardOf(%q, %d) = %d, want %d", c.guild, c.count, got, c.want)
		}
	}
}

func TestGuildOnShard(t *testing.T) {
	seen := map[string]bool{}
	for _, count := range []int{1, 2, 5} {
		for shard := range count {
			for n := range 3 {
				id := GuildOnShard(shard, count, n)
				if _, err := strconv.ParseUint(id, 10, 64); err != nil || ShardOf(id, count) != shard {
					t.Errorf("GuildOnShard(%d, %d, %d) = %s, on shard %d", shard, count, n, id, ShardOf(id, count))
				}
				if count == 5 && seen[id] {
					t.Errorf("GuildOnShard(%d, 5, %d) = %s again", shard, n, id)
				}
				if count == 5 {
					seen[id] = true
				}
			}
		}
	}
}

// identifyShard is IDENTIFY as discordgo sends it for shard id of count.
func identifyShard(id, count int) string {
	return `{"op":2,"d":{"token":"Bot test-token","intents":4609,"shard":[` + strconv.Itoa(id) + `,` + strconv.Itoa(count) + `],"properties":{"$os":"linux"}}}`
}

// readyGuilds returns the guild ids of READY, and checks it is READY.
func readyGuilds(t *testing.T, ready map[string]any) []string {
	t.Helper()
	if ready["t"] != "READY" {
		t.Fatalf("got %v, want READY", ready)
	}
	var ids []string
	list, _ := lookup(ready, "d.guilds").([]any)
	for _, g := range list {
		ids = append(ids, lookup(g, "id").(string))
	}
	return ids
}

// TestGatewayRoutesByShard: two shards of one bot connect to one fake; each is told of, and
// receives the events of, only the guilds of its shard, and direct messages go to shard 0.
func TestGatewayRoutesByShard(t *testing.T) {
	t.Parallel()
	g0, g1, g1b := GuildOnShard(0, 2, 0), GuildOnShard(1, 2, 0), GuildOnShard(1, 2, 1)
	f := New(t, Options{Guilds: []Guild{
		{ID: g0, Channels: []string{"2000000000000000001"}},
		{ID: g1, Channels: []string{"2000000000000000002"}},
		{ID: g1b, Channels: []string{"2000000000000000003"}},
	}})
	// Dispatched before any shard identified: each waits for its own shard.
	f.SendMessage(MessageSpec{GuildID: g1, Content: "early for 1", MentionBot: true})

	c0 := dial(t, f)
	c0.send(identifyShard(0, 2))
	if got := readyGuilds(t, c0.read()); len(got) != 1 || got[0] != g0 {
		t.Fatalf("shard 0 READY guilds %v, want [%s]", got, g0)
	}
	if e := c0.read(); e["t"] != "GUILD_CREATE" || lookup(e, "d.id") != g0 {
		t.Fatalf("shard 0 got %v, want GUILD_CREATE of %s", e, g0)
	}
	// The early event is shard 1's: shard 0 gets the next one of its own instead.
	f.SendMessage(MessageSpec{GuildID: g0, Content: "for 0", MentionBot: true})
	if e := c0.read(); e["t"] != "MESSAGE_CREATE" || !hasContent(e, "for 0") {
		t.Fatalf("shard 0 got %v, want its own message", e)
	}

	c1 := dial(t, f)
	c1.send(identifyShard(1, 2))
	ready := c1.read()
	if got := readyGuilds(t, ready); len(got) != 2 || got[0] != g1 || got[1] != g1b {
		t.Fatalf("shard 1 READY guilds %v, want [%s %s]", got, g1, g1b)
	}
	if sh, _ := lookup(ready, "d.shard").([]any); len(sh) != 2 || sh[0] != 1.0 || sh[1] != 2.0 {
		t.Errorf("shard 1 READY shard = %v, want [1 2]", lookup(ready, "d.shard"))
	}
	for _, want := range []string{g1, g1b} {
		if e := c1.read(); e["t"] != "GUILD_CREATE" || lookup(e, "d.id") != want {
			t.Fatalf("shard 1 got %v, want GUILD_CREATE of %s", e, want)
		}
	}
	if e := c1.read(); e["t"] != "MESSAGE_CREATE" || !hasContent(e, "early for 1") {
		t.Fatalf("shard 1 got %v, want the message queued for it", e)
	}

	// Interleaved: each event reaches its shard only (the next frame of each is its own).
	f.SendMessage(MessageSpec{GuildID: g1b, Content: "b for 1", MentionBot: true})
	f.Dispatch("GUILD_DELETE", `{"id":"`+g0+`","unavailable":false}`)
	f.SendMessage(MessageSpec{DM: true, Content: "direct"})
	f.Dispatch("GUILD_DELETE", `{"id":"`+g1+`"}`)
	if e := c1.read(); e["t"] != "MESSAGE_CREATE" || !hasContent(e, "b for 1") {
		t.Fatalf("shard 1 got %v, want the message of %s", e, g1b)
	}
	if e := c1.read(); e["t"] != "GUILD_DELETE" || lookup(e, "d.id") != g1 {
		t.Fatalf("shard 1 got %v, want GUILD_DELETE of %s", e, g1)
	}
	if e := c0.read(); e["t"] != "GUILD_DELETE" || lookup(e, "d.id") != g0 {
		t.Fatalf("shard 0 got %v, want GUILD_DELETE of %s", e, g0)
	}
	if e := c0.read(); e["t"] != "MESSAGE_CREATE" || !hasContent(e, "direct") {
		t.Fatalf("shard 0 got %v, want the direct message", e)
	}
	if got := f.Shards(); len(got) != 2 || got[0] != 0 || got[1] != 1 {
		t.Errorf("Shards() = %v, want [0 1]", got)
	}

	// A new IDENTIFY of shard 1 replaces shard 1's session only.
	c1b := dial(t, f)
	c1b.send(identifyShard(1, 2))
	if got := readyGuilds(t, c1b.read()); len(got) != 2 {
		t.Fatalf("shard 1 again: READY guilds %v", got)
	}
	if e := c1.read(); e["close"] == nil {
		t.Errorf("the replaced shard 1 connection got %v, want it closed", e)
	}
	f.SendMessage(MessageSpec{GuildID: g0, Content: "still 0", MentionBot: true})
	if e := c0.read(); !hasContent(e, "still 0") {
		t.Errorf("shard 0 after shard 1 re-identified got %v", e)
	}
	c0.closeClean()
	c1b.closeClean()
	c1.ws.Close()
	f.WaitUntil(t, func() bool {
		n := 0
		for _, c := range f.Calls() {
			if c.Match("GATEWAY", "CLOSE") {
				n++
			}
		}
		return n == 2
	}, 5*time.Second)
}

// TestGatewayRefusesInvalidShards: an IDENTIFY whose shard Discord would not accept is closed
// with 4010.
func TestGatewayRefusesInvalidShards(t *testing.T) {
	t.Parallel()
	f := New(t, Options{})
	for _, shard := range []string{`[2,2]`, `[-1,2]`, `[0,0]`, `[0,-3]`, `[0]`, `[0,1,2]`, `[]`, `"0,2"`, `{"id":0}`,
		`[0.5,2]`, `[0,1e300]`, `[0,99999999]`, `[99999999999999999999,2]`} {
		c := dial(t, f)
		c.send(`{"op":2,"d":{"token":"Bot test-token","intents":513,"shard":` + shard + `}}`)
		if e := c.read(); e["close"] != 4010.0 {
			t.Errorf("shard %s: got %v, want close 4010", shard, e)
		}
		c.ws.Close()
	}
	if got := f.Shards(); len(got) != 0 {
		t.Errorf("Shards() = %v after refusals only", got)
	}
}

// TestGatewayBotReportsShards: GET /gateway/bot recommends Options.Shards.
func TestGatewayBotReportsShards(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 1, 4} {
		f := New(t, Options{Shards: n})
		got, err := restSession(t, f).GatewayBot()
		if err != nil {
			t.Fatalf("GET /gateway/bot: %v", err)
		}
		want := max(n, 1)
		if got.Shards != want {
			t.Errorf("Options.Shards %d: /gateway/bot shards = %d, want %d", n, got.Shards, want)
		}
	}
}

// hasContent reports whether event e is a message whose content ends with text (after the
// mention of the bot).
func hasContent(e map[string]any, text string) bool {
	content, _ := lookup(e, "d.content").(string)
	return strings.HasSuffix(content, text)
}
