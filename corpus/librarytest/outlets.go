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

// OutletStore keeps the moderators' outlet labels per scope and lists the
// outlets of a scope's articles.
type OutletStore interface {
	CheckEmbedder(ctx context.Context, info corpus.EmbedderInfo) error
	Put(ctx context.Context, a corpus.Article, chunks []corpus.Chunk, vectors [][]float32) (corpus.PutStatus, error)
	SetOutletLabel(ctx context.Context, scope, outlet, label string, at time.Time) error
	OutletLabels(ctx context.Context, scopes ...string) ([]corpus.OutletLabel, error)
	Outlets(ctx context.Context, scopes ...string) ([]corpus.OutletCount, error)
}

// RunOutlets runs the outlet-label cases against stores made by open,
// each new and empty, closed when the test ends.
func RunOutlets(t *testing.T, open func(t *testing.T) OutletStore) {
	t.Run("Labels", func(t *testing.T) { testOutletLabels(t, open(t)) })
	t.Run("BadLabels", func(t *testing.T) { testBadOutletLabels(t, open(t)) })
	t.Run("LabelLimit", func(t *testing.T) { testOutletLabelLimit(t, open(t)) })
	t.Run("Outlets", func(t *testing.T) { testOutlets(t, open(t)) })
}

func labelsOf(ls []corpus.OutletLabel) string {
	var out []string
	for _, l := range ls {
		out = append(out, l.Scope+"/"+l.Outlet+"="+l.Label)
	}
	return strings.Join(out, ", ")
}

func testOutletLabels(t *testing.T, s OutletStore) {
	ctx := context.Background()
	t1, t2 := at("2026-01-01T10:00:00.123456Z"), at("2026-01-02T10:00:00Z")
	for _, c := range []struct{ scope, outlet, label string }{
		{"", "Reuters", "wire"},                   // "" is the shared scope
		{"g1", "  xinhua   news ", "state media"}, // spacing collapsed
		{"g1", "Reuters", "wire service"},         // overrides the shared one in g1
		{"g2", "O'Brien & Sons", "opinion/blog"},
	} {
		if err := s.SetOutletLabel(ctx, c.scope, c.outlet, c.label, t1); err != nil {
			t.Fatalf("SetOutletLabel(%q, %q, %q): %v", c.scope, c.outlet, c.label, err)
		}
	}
	// Relabelling is case-blind and keeps the newest spelling.
	if err := s.SetOutletLabel(ctx, "g1", "XINHUA NEWS", "official", t2); err != nil {
		t.Fatal(err)
	}
	ls, err := s.OutletLabels(ctx, corpus.SharedScope, "g1")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := labelsOf(ls), "shared/Reuters=wire, g1/Reuters=wire service, g1/XINHUA NEWS=official"; got != want {
		t.Errorf("OutletLabels(shared, g1) = %s, want %s", got, want)
	}
	if len(ls) == 3 && (!ls[2].SetAt.Equal(t2) || !ls[0].SetAt.Equal(t1)) {
		t.Errorf("label times %v and %v, want %v and %v", ls[2].SetAt, ls[0].SetAt, t2, t1)
	}
	by := corpus.LabelsByOutlet(ls)
	if by["reuters"].Label != "wire service" || by["xinhua news"].Label != "official" {
		t.Errorf("LabelsByOutlet: the guild's label does not win: %+v", by)
	}
	if ls, _ := s.OutletLabels(ctx, "g2"); labelsOf(ls) != "g2/O'Brien & Sons=opinion/blog" {
		t.Errorf("g2 labels: %s", labelsOf(ls))
	}
	if ls, _ := s.OutletLabels(ctx); labelsOf(ls) != "g1/Reuters=wire service, g1/XINHUA NEWS=official, g2/O'Brien & Sons=opinion/blog, shared/Reuters=wire" {
		t.Errorf("OutletLabels() of every scope = %s", labelsOf(ls))
	}
	if ls, _ := s.OutletLabels(ctx, "g3"); len(ls) != 0 {
		t.Errorf("a scope without labels has %s", labelsOf(ls))
	}
	// Clearing.
	if err := s.SetOutletLabel(ctx, "g1", "reuters", "", t2); err != nil {
		t.Errorf("clearing a label: %v", err)
	}
	if err := s.SetOutletLabel(ctx, "g1", "Reuters", " ", t2); !errors.Is(err, corpus.ErrNotFound) {
		t.Errorf("clearing a label twice: %v, want ErrNotFound", err)
	}
	if ls, _ := s.OutletLabels(ctx, "", "g1"); labelsOf(ls) != "shared/Reuters=wire, g1/XINHUA NEWS=official" {
		t.Errorf("after clearing: %s", labelsOf(ls))
	}
}

func testBadOutletLabels(t *testing.T, s OutletStore) {
	ctx := context.Background()
	for _, c := range []struct{ outlet, label string }{
		{"", "wire"}, {"   ", "wire"}, {strings.Repeat("n", corpus.MaxOutletRunes+1), "wire"},
		{"CNN\x00", "wire"}, {"CNN\u202e", "wire"}, {"C\xffNN", "wire"},
		{"CNN", strings.Repeat("l", corpus.MaxLabelRunes+1)}, {"CNN", "**wire**"}, {"CNN", "@everyone"},
		{"CNN", "<@123>"}, {"CNN", "[1]"}, {"CNN", "wi\x1bre"}, {"CNN", "w\xffire"}, {"CNN", "`code`"},
		{"CNN", "'); DROP TABLE outlet_labels; --"},
	} {
		err := s.SetOutletLabel(ctx, "g1", c.outlet, c.label, at("2026-01-01T00:00:00Z"))
		if !errors.Is(err, corpus.ErrInvalidLabel) {
			t.Errorf("SetOutletLabel(%q, %q) = %v, want ErrInvalidLabel", c.outlet, c.label, err)
		}
	}
	// The longest allowed, in runes not bytes.
	long := strings.Repeat("é", corpus.MaxLabelRunes)
	if err := s.SetOutletLabel(ctx, "g1", strings.Repeat("ü", corpus.MaxOutletRunes), long, at("2026-01-01T00:00:00Z")); err != nil {
		t.Errorf("the longest name and label: %v", err)
	}
	if ls, err := s.OutletLabels(ctx, "g1"); err != nil || len(ls) != 1 || ls[0].Label != long {
		t.Errorf("stored %+v, %v; want only the longest", ls, err)
	}
}

func testOutletLabelLimit(t *testing.T, s OutletStore) {
	ctx := context.Background()
	now := at("2026-01-01T00:00:00Z")
	for i := range corpus.MaxOutletLabels {
		if err := s.SetOutletLabel(ctx, "g1", fmt.Sprint("Outlet ", i), "wire", now); err != nil {
			t.Fatalf("label %d: %v", i, err)
		}
	}
	if err := s.SetOutletLabel(ctx, "g1", "One Too Many", "wire", now); !errors.Is(err, corpus.ErrTooManyLabels) {
		t.Errorf("label past the limit: %v, want ErrTooManyLabels", err)
	}
	if err := s.SetOutletLabel(ctx, "g1", "outlet 7", "opinion", now); err != nil {
		t.Errorf("relabelling at the limit: %v", err)
	}
	if err := s.SetOutletLabel(ctx, "g2", "One Too Many", "wire", now); err != nil {
		t.Errorf("another scope's limit is its own: %v", err)
	}
	// Concurrent labels at the limit: none gets past it.
	if err := s.SetOutletLabel(ctx, "g1", "outlet 0", "", now); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.SetOutletLabel(ctx, "g1", fmt.Sprint("Racer ", i), "wire", now)
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, corpus.ErrTooManyLabels):
			t.Errorf("concurrent label: %v", err)
		}
	}
	if ls, _ := s.OutletLabels(ctx, "g1"); ok != 1 || len(ls) != corpus.MaxOutletLabels {
		t.Errorf("%d concurrent labels stored, %d labels in all; want 1 and %d", ok, len(ls), corpus.MaxOutletLabels)
	}
}

func testOutlets(t *testing.T, s OutletStore) {
	ctx := context.Background()
	if err := s.CheckEmbedder(ctx, embedder); err != nil {
		t.Fatal(err)
	}
	for i, c := range []struct{ scope, source string }{
		{corpus.SharedScope, "Reuters"}, {corpus.SharedScope, "reuters"}, {corpus.SharedScope, "CNN"},
		{"g1", "The Week"}, {"g1", "CNN"}, {"g1", ""}, {"g2", "Secret Outlet"},
	} {
		a := article(fmt.Sprint("o", i), c.scope, fmt.Sprint("Story ", i), "2026-01-01", fmt.Sprintf("Body of story %d about outlets.", i))
		a.Source = c.source
		chunks, vecs := split(a, Dim)
		if _, err := s.Put(ctx, a, chunks, vecs); err != nil {
			t.Fatalf("Put: %v", err)
		}
	}
	got, err := s.Outlets(ctx, corpus.SharedScope, "g1")
	if err != nil {
		t.Fatal(err)
	}
	var parts []string
	for _, o := range got {
		parts = append(parts, fmt.Sprintf("%s:%d", o.Outlet, o.Articles))
	}
	// Names that differ only in case are one outlet; g2's is not listed;
	// articles without an outlet are left out.
	if s := strings.Join(parts, ", "); s != "CNN:2, Reuters:2, The Week:1" && s != "CNN:2, reuters:2, The Week:1" {
		t.Errorf("Outlets(shared, g1) = %s, want CNN:2, Reuters:2, The Week:1", s)
	}
	if got, _ := s.Outlets(ctx); len(got) != 0 {
		t.Errorf("Outlets() of no scope = %+v", got)
	}
}
