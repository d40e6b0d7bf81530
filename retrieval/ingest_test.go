package retrieval

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/attache-bot/attache/corpus"
)

// Ingest stores in the scope it is given, reports every article's outcome
// in input order and sorts refusals (the article's fault) from failures.
func TestIngestOutcomes(t *testing.T) {
	e, lib := newTestEngine(t, Config{Logger: quietLogger()})
	ctx := context.Background()
	good := art("ok", "somewhere-else", "2025-07-02", "Harbour talks", "The harbour talks resumed on Monday in Pell.")
	arts := []corpus.Article{
		good,
		art("", "", "2025-07-03", "", "A body without a title."),
		art("huge", "", "2025-07-04", "Huge", string(make([]byte, 2<<20))),
		good, // the same again: unchanged
	}
	var got []Outcome
	c, err := e.Ingest(ctx, "g1", arts, func(i int, o Outcome) {
		if i != len(got) {
			t.Errorf("outcome %d reported as %d", len(got), i)
		}
		got = append(got, o)
	})
	if err != nil {
		t.Fatal(err)
	}
	if c != (IngestCounts{Added: 1, Unchanged: 1, Rejected: 2}) || c.Stored() != 2 || len(got) != 4 {
		t.Fatalf("counts %+v, %d outcomes", c, len(got))
	}
	if got[0].Err != nil || got[0].Status != corpus.Added || got[0].Article.Scope != "g1" {
		t.Errorf("first: %+v, want added in g1", got[0])
	}
	if !got[1].Rejected() || !errors.Is(got[1].Err, corpus.ErrInvalidArticle) || corpus.RejectReason(got[1].Err) != "missing title" {
		t.Errorf("untitled: %+v, want rejected for its missing title", got[1])
	}
	if !got[2].Rejected() || !errors.Is(got[2].Err, corpus.ErrInvalidArticle) {
		t.Errorf("oversized: %v, want rejected", got[2].Err)
	}
	if got[3].Err != nil || got[3].Status != corpus.Unchanged {
		t.Errorf("repeat: %+v, want unchanged", got[3])
	}
	if s, err := lib.Summary(ctx, corpus.ScopedID("g1", "ok")); err != nil || s.Scope != "g1" {
		t.Errorf("stored: %+v, %v", s, err)
	}
	if (Outcome{Err: errors.New("disk full")}).Rejected() {
		t.Error("a storage failure counted as a rejection")
	}
	if !(Outcome{Err: fmt.Errorf("put: %w", corpus.ErrScopeConflict)}).Rejected() {
		t.Error("an id of another scope is not a rejection")
	}

	// Nothing to do, and a cancelled context.
	if c, err := e.Ingest(ctx, "g1", nil, nil); err != nil || c != (IngestCounts{}) {
		t.Errorf("empty ingest: %+v, %v", c, err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := e.Ingest(cctx, "g1", arts, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled ingest: %v", err)
	}
}
