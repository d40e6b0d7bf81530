package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/attache-bot/attache/bot/discordtest"
)

// syncBuffer is a bytes.Buffer safe for a child's output and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestServeEndToEnd runs "attache serve" as a child process against the
// fake Discord: it registers its commands in the configured guild, answers
// /ask from the sample corpus with a citation, and exits 0 within 10 s of
// SIGTERM.
func TestServeEndToEnd(t *testing.T) {
	t.Parallel()
	f := discordtest.New(t, discordtest.Options{})
	c := newCLI(t)
	c.env["DISCORD_TOKEN"] = discordtest.DefaultToken
	c.env["DISCORD_API_BASE"] = f.APIBase()
	c.env["DISCORD_GUILD_ID"] = discordtest.DefaultGuildID

	ctx, cancel := context.WithTimeout(context.Background(), childTimeout)
	defer cancel()
	cmd := c.command(ctx, "serve")
	var stdout, stderr syncBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	// Started after the fake, so it is killed before the fake closes.
	serve := startChild(t, cmd)

	f.WaitForCall(t, "PUT", "/api/v9/applications/*/guilds/"+discordtest.DefaultGuildID+"/commands", 30*time.Second)
	it := f.SendSlashCommand("ask", discordtest.Option{Name: "question", Value: sampleQuestion})
	f.WaitUntil(t, func() bool {
		m, ok := f.Original(it.Token)
		return ok && !m.Loading() && m.Content != ""
	}, 30*time.Second)
	m, _ := f.Original(it.Token)
	if !strings.Contains(m.Content, "[1]") {
		t.Errorf("the /ask answer has no citation:\n%s", m.Content)
	}
	if bad := f.MayPing(); len(bad) > 0 {
		t.Errorf("messages that may ping: %v", bad)
	}

	f.WaitHeartbeat(t, 10*time.Second)
	start := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-serve.Exited():
		if err := serve.Err(); err != nil {
			t.Errorf("serve after SIGTERM: %v\nstderr:\n%s", err, stderr.String())
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("serve took %s to exit after SIGTERM, want at most 10 s", d)
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("serve did not exit within 15 s of SIGTERM\nstderr:\n%s", stderr.String())
	}
	if strings.Contains(stderr.String(), discordtest.DefaultToken) {
		t.Errorf("the token was logged:\n%s", stderr.String())
	}
	for _, v := range f.Violations() {
		t.Errorf("Discord rule broken: %v", v)
	}
}

// TestServeSignalledDuringStartUp checks that serve stopped by SIGTERM
// before it is connected (here: a context cancelled from the start) exits 0,
// not with the "interrupted" failure of the other commands.
func TestServeSignalledDuringStartUp(t *testing.T) {
	f := discordtest.New(t, discordtest.Options{})
	dir := t.TempDir()
	getenv := mapEnv(map[string]string{
		"ATTACHE_DATA_DIR": filepath.Join(dir, "data"),
		"DISCORD_TOKEN":    discordtest.DefaultToken,
		"DISCORD_API_BASE": f.APIBase(),
	})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out, errb syncBuffer
	if code := execute(ctx, []string{"serve"}, getenv, "", stdio{out: &out, err: &errb}); code != 0 {
		t.Errorf("serve with a cancelled context: exit %d, want 0\n%s", code, errb.String())
	}
}
