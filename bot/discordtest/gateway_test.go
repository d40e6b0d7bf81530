package discordtest

import (
	"bytes"
	"compress/zlib"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"
)

// Gateway protocol tests with a raw websocket client: faster than a discordgo session (no 1 s
// Close) and able to send what discordgo never would.

type rawClient struct {
	t  *testing.T
	ws *websocket.Conn
}

func dial(t *testing.T, f *Fake) *rawClient {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial(f.gatewayURL()+"/?v=9&encoding=json", nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &rawClient{t, ws}
	if hello := c.read(); hello["op"] != 10.0 || lookup(hello, "d.heartbeat_interval") != 41250.0 {
		t.Fatalf("first frame %v, want HELLO", hello)
	}
	return c
}

func (c *rawClient) send(v string) {
	c.t.Helper()
	if err := c.ws.WriteMessage(websocket.TextMessage, []byte(v)); err != nil {
		c.t.Fatal(err)
	}
}

// read returns the next frame decoded (inflating binary frames), or {"close": code}.
func (c *rawClient) read() map[string]any {
	c.t.Helper()
	c.ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	kind, data, err := c.ws.ReadMessage()
	if ce, ok := err.(*websocket.CloseError); ok {
		return map[string]any{"close": float64(ce.Code)}
	}
	if err != nil {
		c.t.Fatal(err)
	}
	if kind == websocket.BinaryMessage {
		zr, err := zlib.NewReader(bytes.NewReader(data))
		if err != nil {
			c.t.Fatal(err)
		}
		data, _ = io.ReadAll(zr)
		data = append([]byte("B"), data...)
	}
	var m map[string]any
	compressed := bytes.HasPrefix(data, []byte("B"))
	if err := json.Unmarshal(bytes.TrimPrefix(data, []byte("B")), &m); err != nil {
		c.t.Fatalf("frame %q: %v", data, err)
	}
	m["binary"] = compressed
	return m
}

// closeClean sends a close frame, as discordgo's Close does.
func (c *rawClient) closeClean() {
	c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(1000, ""), time.Now().Add(time.Second))
	c.ws.Close()
}

const identify = `{"op":2,"d":{"token":"Bot test-token","intents":513,"compress":true,"properties":{"$os":"linux"}}}`

func TestGatewayHandshakeResumeAndCompression(t *testing.T) {
	t.Parallel()
	f := New(t, Options{CompressPayloads: true})
	f.ExpectViolations(CodeUnfinished) // only their delivery matters here
	f.SendSlashCommand("queued")       // before IDENTIFY: delivered after READY and GUILD_CREATE
	c := dial(t, f)
	c.send(identify)
	ready := c.read()
	if ready["t"] != "READY" || ready["s"] != 1.0 || ready["binary"] != true || lookup(ready, "d.application.id") != DefaultAppID {
		t.Fatalf("READY = %v", ready)
	}
	session := lookup(ready, "d.session_id").(string)
	if g := c.read(); g["t"] != "GUILD_CREATE" || g["s"] != 2.0 {
		t.Fatalf("second frame %v", g)
	}
	if q := c.read(); q["t"] != "INTERACTION_CREATE" || lookup(q, "d.data.name") != "queued" {
		t.Fatalf("queued dispatch %v", q)
	}
	c.send(`{"op":1,"d":3}`)
	if ack := c.read(); ack["op"] != 11.0 || ack["binary"] != false {
		t.Fatalf("heartbeat answer %v", ack)
	}

	// Dropped: events meanwhile are kept; RESUME replays those after the client's sequence.
	f.DropGateway()
	f.SendMessage(MessageSpec{Content: "missed", MentionBot: true})
	f.SendSlashCommand("missed too")
	c2 := dial(t, f)
	c2.send(`{"op":6,"d":{"token":"Bot test-token","session_id":"` + session + `","seq":2}}`)
	want := []string{"RESUMED", "INTERACTION_CREATE", "MESSAGE_CREATE", "INTERACTION_CREATE"}
	for _, typ := range want {
		if e := c2.read(); e["t"] != typ {
			t.Fatalf("after RESUME got %v, want %s", e, typ)
		}
	}
	// A RESUME of an unknown session is refused with op 9 (discordgo then identifies).
	c3 := dial(t, f)
	c3.send(`{"op":6,"d":{"token":"Bot test-token","session_id":"nope","seq":1}}`)
	if e := c3.read(); e["op"] != 9.0 || e["d"] != false {
		t.Fatalf("invalid session answer %v", e)
	}
	c3.send(identify)
	if e := c3.read(); e["t"] != "READY" || lookup(e, "d.session_id") == session {
		t.Fatalf("re-identify got %v", e)
	}
	c2.ws.Close() // replaced by c3's session: the fake closed it
	c3.closeClean()
	c.ws.Close()
	f.WaitForCall(t, "GATEWAY", "CLOSE", 5*time.Second) // so Close finds no open connection
}

func TestGatewayRefusals(t *testing.T) {
	t.Parallel()
	f := New(t, Options{DisallowedIntents: 1 << 15})
	cases := map[string]struct {
		send string
		code float64
	}{
		"wrong token":        {`{"op":2,"d":{"token":"Bot other","intents":1}}`, 4004},
		"disallowed intent":  {`{"op":2,"d":{"token":"Bot test-token","intents":32769}}`, 4014},
		"not JSON":           {`{op:2`, 4002},
		"unknown opcode":     {`{"op":42,"d":null}`, 4001},
		"resume wrong token": {`{"op":6,"d":{"token":"x","session_id":"s","seq":1}}`, 4004},
	}
	for name, tc := range cases {
		c := dial(t, f)
		c.send(tc.send)
		if e := c.read(); e["close"] != tc.code {
			t.Errorf("%s: got %v, want close %v", name, e, tc.code)
		}
		c.ws.Close()
	}
	// Frames over Discord's 4096-byte limit for client payloads are refused.
	c := dial(t, f)
	c.send(`{"op":2,"d":{"token":"` + strings.Repeat("x", 5000) + `"}}`)
	if e := c.read(); e["close"] != float64(websocket.CloseMessageTooBig) {
		t.Errorf("huge identify: %v", e)
	}
	c.ws.Close()
}

func TestCloseReportsOpenGatewayAndViolations(t *testing.T) {
	t.Parallel()
	rec := &recorderTB{TB: t}
	f := New(rec, Options{})
	f.grace = 50 * time.Millisecond // the connection below stays open on purpose
	c := dial(t, f)
	c.send(identify)
	c.read()
	s := restSession(t, f)
	it := f.SendSlashCommand("ask")
	if err := s.InteractionRespond(&discordgo.Interaction{ID: it.ID, Token: it.Token},
		&discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredMessageUpdate}); restCode(err) != 50035 {
		t.Fatalf("type 6 for a command: %v", err)
	}
	report := rec.close() // the client never closed its connection
	c.ws.Close()
	for _, want := range []string{"gateway connection still open", "response type 6 is not valid"} {
		if !strings.Contains(report, want) {
			t.Errorf("Close report lacks %q:\n%s", want, report)
		}
	}
}
