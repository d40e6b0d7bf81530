package bot

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/attache-bot/attache/bot/discordtest"
)

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestRewriteTransport(t *testing.T) {
	var got []string
	next := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		got = append(got, r.URL.String())
		return &http.Response{StatusCode: 204, Body: http.NoBody, Request: r}, nil
	})
	cases := []struct{ base, in, want string }{
		{"http://127.0.0.1:9999", "https://discord.com/api/v9/gateway", "http://127.0.0.1:9999/api/v9/gateway"},
		{"https://proxy.example/discord/", "https://discord.com/api/v9/channels/1/messages?x=1", "https://proxy.example/discord/api/v9/channels/1/messages?x=1"},
		{"http://127.0.0.1:9999", "https://cdn.discordapp.com/attachments/1/a.txt", "https://cdn.discordapp.com/attachments/1/a.txt"},
		{"http://127.0.0.1:9999", "http://discord.com/api/v9/gateway", "http://discord.com/api/v9/gateway"},
	}
	for _, c := range cases {
		base, _ := url.Parse(c.base)
		req, _ := http.NewRequest("GET", c.in, nil)
		if _, err := (rewriteTransport{base: base, next: next}).RoundTrip(req); err != nil {
			t.Fatal(err)
		}
		if last := got[len(got)-1]; last != c.want {
			t.Errorf("%s via %s went to %s, want %s", c.in, c.base, last, c.want)
		}
		if req.URL.String() != c.in {
			t.Errorf("the caller's request was changed to %s", req.URL)
		}
	}
}

func TestRunFailsWithWrongToken(t *testing.T) {
	f := discordtest.New(t, discordtest.Options{})
	f.ExpectViolations(401, 4004)
	e := newEnv(t, envOptions{})
	b, err := newBot(nil, Config{Token: "wrong-token", APIBase: f.APIBase()}, e.bot.deps)
	if err != nil {
		t.Fatal(err)
	}
	err = b.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "connect to discord gateway") {
		t.Errorf("Run with a wrong token = %v, want a connection error", err)
	}
}
