package corpus

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestAnswersAndFeedback(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	lib := libOpen(t, dir)
	at := time.Date(2026, 6, 10, 12, 0, 0, 0, time.UTC)

	// Nothing stored yet: lookups find nothing rather than failing.
	if _, err := lib.Answer(ctx, "none"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Answer on a fresh library = %v, want ErrNotFound", err)
	}
	if votes, err := lib.Feedback(ctx, ""); err != nil || len(votes) != 0 {
		t.Fatalf("Feedback on a fresh library = %v, %v", votes, err)
	}

	rec := AnswerRecord{ID: "a1", GuildID: "g1", UserID: "u1", Question: "who met? 'quote\" --",
		Answer: "They met [1].", Sources: `[{"N":1}]`, Time: at}
	if err := lib.SaveAnswer(ctx, rec); err != nil {
		t.Fatal(err)
	}
	if err := lib.SaveAnswer(ctx, AnswerRecord{}); err == nil {
		t.Error("SaveAnswer without an id succeeded")
	}
	got, err := lib.Answer(ctx, "a1")
	if err != nil || got != rec {
		t.Fatalf("Answer(a1) = %+v, %v; want %+v", got, err, rec)
	}

	vote := Feedback{AnswerID: "a1", UserID: "u2", GuildID: "g1", Vote: -1, Question: rec.Question, Answer: rec.Answer, Sources: rec.Sources, Time: at}
	if prev, err := lib.SaveFeedback(ctx, vote); err != nil || prev != 0 {
		t.Fatalf("first vote: %v %v, want 0", prev, err)
	}
	if prev, err := lib.SaveFeedback(ctx, vote); err != nil || prev != -1 {
		t.Fatalf("the same vote again: %v %v, want -1", prev, err)
	}
	// A changed vote replaces the earlier one, with its time.
	vote.Vote, vote.Time = 1, at.Add(time.Minute)
	if prev, err := lib.SaveFeedback(ctx, vote); err != nil || prev != -1 {
		t.Fatalf("changed vote: %v %v, want -1", prev, err)
	}
	if votes, _ := lib.Feedback(ctx, "g1"); len(votes) != 1 || votes[0].Vote != 1 || !votes[0].Time.Equal(vote.Time) {
		t.Fatalf("after changing the vote: %+v, want one vote +1 at %v", votes, vote.Time)
	}
	vote.Vote, vote.Time = -1, at
	if prev, err := lib.SaveFeedback(ctx, vote); err != nil || prev != 1 {
		t.Fatalf("changed back: %v %v, want 1", prev, err)
	}
	for name, bad := range map[string]Feedback{
		"vote 0":    {AnswerID: "a1", UserID: "u3", Vote: 0},
		"vote 2":    {AnswerID: "a1", UserID: "u3", Vote: 2},
		"no user":   {AnswerID: "a1", Vote: 1},
		"no answer": {UserID: "u3", Vote: 1},
	} {
		if _, err := lib.SaveFeedback(ctx, bad); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	votes, err := lib.Feedback(ctx, "g1")
	if err != nil || len(votes) != 1 || votes[0].Vote != -1 || votes[0].Question != rec.Question || !votes[0].Time.Equal(at) {
		t.Fatalf("Feedback(g1) = %+v, %v; want the first vote only", votes, err)
	}
	if votes, _ := lib.Feedback(ctx, "g2"); len(votes) != 0 {
		t.Errorf("Feedback(g2) = %+v, want none", votes)
	}

	// Both survive closing and reopening the library.
	if err := lib.Close(); err != nil {
		t.Fatal(err)
	}
	lib = libOpen(t, dir)
	if got, err := lib.Answer(ctx, "a1"); err != nil || got.Answer != rec.Answer {
		t.Errorf("after reopening: %+v, %v", got, err)
	}
	if votes, _ := lib.Feedback(ctx, ""); len(votes) != 1 {
		t.Errorf("after reopening: %d votes", len(votes))
	}

	// Pruning drops old answers and keeps the votes.
	if err := lib.SaveAnswer(ctx, AnswerRecord{ID: "a2", Time: at.Add(48 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	n, err := lib.PruneAnswers(ctx, at.Add(time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("PruneAnswers = %d, %v; want 1", n, err)
	}
	if _, err := lib.Answer(ctx, "a1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("pruned answer still found: %v", err)
	}
	if _, err := lib.Answer(ctx, "a2"); err != nil {
		t.Errorf("newer answer pruned: %v", err)
	}
	votes, _ = lib.Feedback(ctx, "")
	if len(votes) != 1 {
		t.Fatalf("pruning dropped votes")
	}
	// The vote stays, but its question text goes with the answer.
	if v := votes[0]; v.Vote != -1 || v.Question != "" || v.Answer != "" || v.Sources != "" {
		t.Errorf("a vote older than the pruning keeps %+v, want its vote without the text", v)
	}
}

func TestConcurrentVotesCountOnce(t *testing.T) {
	ctx := context.Background()
	lib := libOpen(t, t.TempDir())
	var wg sync.WaitGroup
	prevs := make(chan int, 20)
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			prev, err := lib.SaveFeedback(ctx, Feedback{AnswerID: "a", UserID: "u", Vote: 1, Time: time.Now()})
			if err != nil {
				t.Errorf("SaveFeedback: %v", err)
			}
			prevs <- prev
		}()
	}
	wg.Wait()
	close(prevs)
	n := 0
	for p := range prevs {
		if p == 0 {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d votes counted as first, want 1", n)
	}
	if votes, _ := lib.Feedback(ctx, ""); len(votes) != 1 || !strings.EqualFold(votes[0].UserID, "u") {
		t.Errorf("stored votes = %+v", votes)
	}
}

// The messages that show an answer lead back to it, across a reopen, until
// the answer is pruned.
func TestAnswerByMessage(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	lib := libOpen(t, dir)
	at := time.Date(2026, 6, 10, 12, 0, 0, 0, time.UTC)
	old := AnswerRecord{ID: "old", GuildID: "g1", UserID: "u1", Question: "who met?", Answer: "They met [1].", Sources: "[]", Time: at}
	recent := AnswerRecord{ID: "new", GuildID: "g1", UserID: "u1", Question: "and then? <@1> [2]", Answer: "A long answer [1].", Sources: "[]", Time: at.Add(48 * time.Hour)}
	for _, a := range []AnswerRecord{old, recent} {
		if err := lib.SaveAnswer(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	for msg, ans := range map[string]string{"m1": "old", "m2": "new", "m3": "new"} { // m2 and m3: two parts of one answer
		if err := lib.SaveAnswerMessage(ctx, msg, ans); err != nil {
			t.Fatal(err)
		}
	}
	for _, bad := range [][2]string{{"", "old"}, {"m9", ""}} {
		if err := lib.SaveAnswerMessage(ctx, bad[0], bad[1]); err == nil {
			t.Errorf("SaveAnswerMessage(%q, %q) succeeded", bad[0], bad[1])
		}
	}
	if _, err := lib.AnswerByMessage(ctx, "unknown"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown message: %v, want ErrNotFound", err)
	}
	if _, err := lib.AnswerByMessage(ctx, "x' OR '1'='1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("hostile message id: %v, want ErrNotFound", err)
	}
	lib.Close()

	lib = libOpen(t, dir)
	for msg, want := range map[string]AnswerRecord{"m1": old, "m2": recent, "m3": recent} {
		if got, err := lib.AnswerByMessage(ctx, msg); err != nil || got != want {
			t.Errorf("AnswerByMessage(%s) = %+v, %v; want %+v", msg, got, err, want)
		}
	}
	if n, err := lib.PruneAnswers(ctx, at.Add(time.Hour)); err != nil || n != 1 {
		t.Fatalf("prune: %d, %v", n, err)
	}
	if _, err := lib.AnswerByMessage(ctx, "m1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("message of a pruned answer: %v, want ErrNotFound", err)
	}
	var left int
	if err := lib.r.QueryRowContext(ctx, "SELECT count(*) FROM answer_messages").Scan(&left); err != nil || left != 2 {
		t.Errorf("%d message rows left after pruning (%v), want the 2 of the kept answer", left, err)
	}
}
