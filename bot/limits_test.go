package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestUserLimiter(t *testing.T) {
	l := newUserLimiter(3)
	now := testNow
	for n := range 3 {
		if ok, _ := l.allow("u", now); !ok {
			t.Fatalf("question %d refused", n+1)
		}
	}
	ok, wait := l.allow("u", now)
	if ok || wait != 20*time.Second {
		t.Fatalf("4th question: ok=%v wait=%v, want refused for 20 s", ok, wait)
	}
	// A refusal takes no token: after 20 s exactly one more is allowed.
	now = now.Add(20 * time.Second)
	if ok, _ := l.allow("u", now); !ok {
		t.Errorf("refused after 20 s")
	}
	if ok, _ := l.allow("u", now); ok {
		t.Errorf("allowed twice after 20 s")
	}
	if ok, _ := l.allow("v", now); !ok {
		t.Errorf("user v limited by user u")
	}
}

func TestUserLimiterForgetsIdleUsers(t *testing.T) {
	l := newUserLimiter(5)
	now := testNow
	for n := range 1000 {
		l.allow(fmt.Sprint("user", n), now)
	}
	if l.size() != 1000 {
		t.Fatalf("size %d", l.size())
	}
	// After a minute every bucket is full again and is dropped on the next call.
	l.allow("late", now.Add(time.Minute+time.Second))
	if got := l.size(); got != 1 {
		t.Errorf("size after sweep = %d, want 1", got)
	}
}

func TestUserLimiterDisabled(t *testing.T) {
	l := newUserLimiter(-1)
	for range 100 {
		if ok, _ := l.allow("u", testNow); !ok {
			t.Fatal("refused with the limit disabled")
		}
	}
}

func TestSlots(t *testing.T) {
	s := newSlots(1)
	if err := s.acquire(context.Background(), func(int) { t.Error("queued with a free slot") }); err != nil {
		t.Fatal(err)
	}
	queued := make(chan int, 1)
	got := make(chan error, 1)
	go func() { got <- s.acquire(context.Background(), func(ahead int) { queued <- ahead }) }()
	if ahead := <-queued; ahead != 0 {
		t.Errorf("ahead = %d, want 0", ahead)
	}
	s.release()
	if err := <-got; err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(errShutdown)
	if err := s.acquire(ctx, nil); !errors.Is(err, errShutdown) {
		t.Errorf("acquire with a cancelled context = %v, want the cause", err)
	}
	s.release()
}

func TestCheckQuestion(t *testing.T) {
	cases := []struct {
		in      string
		want    string
		problem bool
	}{
		{"  who signed?  ", "who signed?", false},
		{"", "", true},
		{"\n\t ", "", true},
		{strings.Repeat("a", maxQuestionRunes), strings.Repeat("a", maxQuestionRunes), false},
		{strings.Repeat("ж", maxQuestionRunes+1), "", true},
		{"bad \xc3\x28 bytes", "", true},
	}
	for _, c := range cases {
		got, problem := checkQuestion(c.in)
		if got != c.want || (problem != "") != c.problem {
			t.Errorf("checkQuestion(%.20q) = %.20q, %q", c.in, got, problem)
		}
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	e := newEnv(t, envOptions{})
	for name, cfg := range map[string]Config{
		"no token":                 {},
		"bad base":                 {Token: "t", APIBase: "discord.com"},
		"ftp base":                 {Token: "t", APIBase: "ftp://discord.com"},
		"shard id past the count":  {Token: "t", ShardID: 2, ShardCount: 2},
		"negative shard id":        {Token: "t", ShardID: -1, ShardCount: 2},
		"negative shard count":     {Token: "t", ShardCount: -1},
		"shard id without a count": {Token: "t", ShardID: 1},
	} {
		if _, err := newBot(nil, cfg, e.bot.deps); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := newBot(nil, Config{Token: "t"}, deps{}); err == nil {
		t.Error("no error without dependencies")
	}
	b, err := newBot(nil, Config{Token: "t"}, e.bot.deps)
	if err != nil {
		t.Fatal(err)
	}
	if b.cfg.RatePerMinute != 5 || b.cfg.MaxConcurrent != 4 || b.cfg.APIBase != DefaultAPIBase || b.cfg.ShardID != 0 || b.cfg.ShardCount != 1 {
		t.Errorf("defaults = %+v", b.cfg)
	}
}
