package librarytest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/attache-bot/attache/corpus"
)

// AnswerStore is what the bot keeps of its answers and their votes (the
// bot's AnswerStore, with Feedback to read the votes back).
type AnswerStore interface {
	SaveAnswer(ctx context.Context, a corpus.AnswerRecord) error
	Answer(ctx context.Context, id string) (corpus.AnswerRecord, error)
	SaveAnswerMessage(ctx context.Context, messageID, answerID string) error
	AnswerByMessage(ctx context.Context, messageID string) (corpus.AnswerRecord, error)
	SaveFeedback(ctx context.Context, f corpus.Feedback) (prev int, err error)
	PruneAnswers(ctx context.Context, before time.Time) (int, error)
	Feedback(ctx context.Context, guildID string) ([]corpus.Feedback, error)
}

// RunAnswers runs the answer-store cases against stores made by open,
// each new and empty, closed when the test ends.
func RunAnswers(t *testing.T, open func(t *testing.T) AnswerStore) {
	t.Run("Answers", func(t *testing.T) { testAnswers(t, open(t)) })
	t.Run("Votes", func(t *testing.T) { testVotes(t, open(t)) })
	t.Run("VotesConcurrent", func(t *testing.T) { testVotesConcurrent(t, open(t)) })
}

// at is a time both stores keep exactly (PostgreSQL keeps microseconds).
func at(s string) time.Time {
	tm, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return tm.UTC()
}

func testAnswers(t *testing.T, s AnswerStore) {
	ctx := context.Background()
	old := corpus.AnswerRecord{ID: "a-old", GuildID: "g1", UserID: "u1", Question: "What happened?",
		Answer: "Floods [1].", Sources: `[{"n":1,"id":"x'); DROP TABLE answers; --"}]`, Time: at("2026-01-01T10:00:00.123456Z")}
	recent := corpus.AnswerRecord{ID: "a-new", UserID: "u2", Question: "Und dann? ünï 名前",
		Answer: "Nothing \"quoted\" \\ here.", Sources: "[]", Time: at("2026-01-05T10:00:00Z")}
	for _, a := range []corpus.AnswerRecord{old, recent} {
		if err := s.SaveAnswer(ctx, a); err != nil {
			t.Fatalf("SaveAnswer: %v", err)
		}
		got, err := s.Answer(ctx, a.ID)
		if err != nil || got != a {
			t.Errorf("Answer(%s) = %+v, %v\nwant %+v", a.ID, got, err, a)
		}
	}
	if err := s.SaveAnswer(ctx, corpus.AnswerRecord{}); err == nil {
		t.Error("SaveAnswer without an id: no error")
	}
	replaced := old
	replaced.Answer = "Floods, revised [1]."
	if err := s.SaveAnswer(ctx, replaced); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Answer(ctx, old.ID); got.Answer != replaced.Answer {
		t.Errorf("SaveAnswer again did not replace: %q", got.Answer)
	}
	if _, err := s.Answer(ctx, "absent"); !errors.Is(err, corpus.ErrNotFound) {
		t.Errorf("Answer(absent) = %v, want ErrNotFound", err)
	}
	for _, bad := range [][2]string{{"", "a-old"}, {"m", ""}} {
		if err := s.SaveAnswerMessage(ctx, bad[0], bad[1]); err == nil {
			t.Errorf("SaveAnswerMessage(%q, %q): no error", bad[0], bad[1])
		}
	}
	if err := s.SaveAnswerMessage(ctx, "m1", old.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveAnswerMessage(ctx, "m2", recent.ID); err != nil {
		t.Fatal(err)
	}
	if got, err := s.AnswerByMessage(ctx, "m1"); err != nil || got.ID != old.ID {
		t.Errorf("AnswerByMessage(m1) = %s, %v", got.ID, err)
	}
	if err := s.SaveAnswerMessage(ctx, "m1", recent.ID); err != nil { // moves
		t.Fatal(err)
	}
	if got, err := s.AnswerByMessage(ctx, "m1"); err != nil || got.ID != recent.ID {
		t.Errorf("AnswerByMessage(m1) after moving = %s, %v", got.ID, err)
	}
	if err := s.SaveAnswerMessage(ctx, "m3", old.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AnswerByMessage(ctx, "absent"); !errors.Is(err, corpus.ErrNotFound) {
		t.Errorf("AnswerByMessage(absent) = %v", err)
	}
	n, err := s.PruneAnswers(ctx, at("2026-01-03T00:00:00Z"))
	if err != nil || n != 1 {
		t.Fatalf("PruneAnswers = %d, %v; want 1", n, err)
	}
	if _, err := s.Answer(ctx, old.ID); !errors.Is(err, corpus.ErrNotFound) {
		t.Errorf("a pruned answer: %v", err)
	}
	if _, err := s.AnswerByMessage(ctx, "m3"); !errors.Is(err, corpus.ErrNotFound) {
		t.Errorf("the message of a pruned answer: %v", err)
	}
	if got, err := s.AnswerByMessage(ctx, "m2"); err != nil || got.ID != recent.ID {
		t.Errorf("a kept answer's message: %s, %v", got.ID, err)
	}
}

func testVotes(t *testing.T, s AnswerStore) {
	ctx := context.Background()
	vote := func(answer, user, guild string, v int, when string) int {
		t.Helper()
		prev, err := s.SaveFeedback(ctx, corpus.Feedback{AnswerID: answer, UserID: user, GuildID: guild, Vote: v,
			Question: "Q " + answer, Answer: "A " + answer, Sources: "[]", Time: at(when)})
		if err != nil {
			t.Fatalf("SaveFeedback: %v", err)
		}
		return prev
	}
	if p := vote("a1", "u1", "g1", 1, "2026-01-01T00:00:01Z"); p != 0 {
		t.Errorf("first vote replaced %d", p)
	}
	if p := vote("a1", "u1", "g1", 1, "2026-01-01T00:00:02Z"); p != 1 {
		t.Errorf("same vote again replaced %d, want 1", p)
	}
	if p := vote("a1", "u1", "g1", -1, "2026-01-01T00:00:03Z"); p != 1 {
		t.Errorf("changed vote replaced %d, want 1", p)
	}
	vote("a1", "u2", "g1", 1, "2026-01-01T00:00:04Z")
	vote("a2", "u1", "g2", -1, "2026-01-01T00:00:05Z")
	for _, bad := range []corpus.Feedback{{UserID: "u", Vote: 1}, {AnswerID: "a", Vote: 1}, {AnswerID: "a", UserID: "u", Vote: 0}, {AnswerID: "a", UserID: "u", Vote: 2}} {
		if _, err := s.SaveFeedback(ctx, bad); err == nil {
			t.Errorf("SaveFeedback(%+v): no error", bad)
		}
	}
	all, err := s.Feedback(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range all {
		got = append(got, fmt.Sprintf("%s/%s/%s/%+d@%s", f.AnswerID, f.UserID, f.GuildID, f.Vote, f.Time.Format("05")))
	}
	if want := "a2/u1/g2/-1@05 a1/u2/g1/+1@04 a1/u1/g1/-1@03"; strings.Join(got, " ") != want {
		t.Errorf("Feedback() = %s\nwant %s", strings.Join(got, " "), want)
	}
	g1, err := s.Feedback(ctx, "g1")
	if err != nil || len(g1) != 2 || g1[0].Question != "Q a1" {
		t.Errorf("Feedback(g1) = %+v, %v", g1, err)
	}
}

func testVotesConcurrent(t *testing.T, s AnswerStore) {
	ctx := context.Background()
	// Two clicks at once: exactly one sees no earlier vote.
	var wg sync.WaitGroup
	prevs := make([]int, 8)
	for i := range prevs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p, err := s.SaveFeedback(ctx, corpus.Feedback{AnswerID: "a", UserID: "u", Vote: 1, Time: at("2026-01-01T00:00:00Z")})
			if err != nil {
				t.Errorf("SaveFeedback: %v", err)
			}
			prevs[i] = p
		}()
	}
	wg.Wait()
	firsts := 0
	for _, p := range prevs {
		if p == 0 {
			firsts++
		}
	}
	if firsts != 1 {
		t.Errorf("%d of %d simultaneous identical votes saw no earlier vote, want 1 (%v)", firsts, len(prevs), prevs)
	}
}
