package main

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/attache-bot/attache/corpus"
	"github.com/attache-bot/attache/retrieval"
)

// storeStoryless stores two reports of one event and an unrelated
// article in dir as a release without stories did, and closes the
// library.
func storeStoryless(t *testing.T, dir string) {
	t.Helper()
	ctx := context.Background()
	lib, err := corpus.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer lib.Close()
	old, err := retrieval.New(ctx, lib, retrieval.Config{NoStories: true})
	if err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 6, 8, 0, 0, 0, 0, time.UTC)
	for _, a := range []corpus.Article{
		{ID: "dam-1", Title: "Kessel dam bursts, flooding three villages in Veloria", Source: "Coast Post", Published: day,
			Body: "The Kessel dam in Veloria burst on Monday, flooding the villages of Aran, Bresk and Tolle, officials said. Engineer Mara Voss had warned of cracks in the Kessel dam last year."},
		{ID: "dam-2", Title: "Kessel dam burst: Aran, Bresk and Tolle under water", Source: "Plains Herald", Published: day.AddDate(0, 0, 1),
			Body: "Rescuers in Veloria searched Aran, Bresk and Tolle on Tuesday after the Kessel dam burst. Mara Voss, an engineer, said she had warned of cracks in the Kessel dam."},
		{ID: "fair", Title: "Book fair opens in Lund", Source: "Coast Post", Published: day,
			Body: "The annual book fair opened in Lund on Monday with four hundred publishers."},
	} {
		if _, _, err := old.Add(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
}

// storylessLibrary is storeStoryless in dir, and an engine with stories
// on over the reopened library.
func storylessLibrary(t *testing.T, dir string) (*retrieval.Engine, *corpus.Library) {
	t.Helper()
	storeStoryless(t, dir)
	lib, err := corpus.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lib.Close() })
	engine, err := retrieval.New(context.Background(), lib, retrieval.Config{})
	if err != nil {
		t.Fatal(err)
	}
	return engine, lib
}

// storyless counts the stored articles without a story.
func storyless(t *testing.T, lib corpus.Store) int {
	t.Helper()
	sums, err := lib.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, s := range sums {
		if s.StoryID == "" {
			n++
		}
	}
	return n
}

// TestStoryBackfillOncePerDeployment: serve's backfill skips while
// another process holds its lock, then assigns every article and logs
// how many, and a later run assigns none.
func TestStoryBackfillOncePerDeployment(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "data")
	engine, lib := storylessLibrary(t, dir)
	other, err := corpus.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	_, unlock, err := other.TryLock(ctx, retrieval.StoriesBackfillLock)
	if err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&log, nil))
	if n := storyBackfill(ctx, engine, logger); n != 0 || storyless(t, lib) != 3 {
		t.Errorf("a backfill while another process holds the lock assigned %d (%d left), want none", n, storyless(t, lib))
	}
	if log.Len() != 0 {
		t.Errorf("a skipped backfill logged at info: %s", log.String())
	}
	unlock()
	if n := storyBackfill(ctx, engine, logger); n != 3 || storyless(t, lib) != 0 {
		t.Errorf("backfill assigned %d (%d left), want all 3", n, storyless(t, lib))
	}
	if !strings.Contains(log.String(), "assigned=3") || !strings.Contains(log.String(), "took=") {
		t.Errorf("backfill log %q does not say how many were assigned and how long it took", log.String())
	}
	sums, err := lib.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	stories := map[string]string{}
	for _, s := range sums {
		stories[s.ID] = s.StoryID
	}
	if stories["dam-1"] != stories["dam-2"] || stories["fair"] == stories["dam-1"] {
		t.Errorf("stories after the backfill = %v, want the two dam reports together and the fair apart", stories)
	}
	if n := storyBackfill(ctx, engine, logger); n != 0 {
		t.Errorf("a second backfill assigned %d, want none", n)
	}
}

// TestStartStoryBackfillStops: stopping serve's background backfill
// waits for it, and leaves the library so that the next run assigns what
// is left.
func TestStartStoryBackfillStops(t *testing.T) {
	ctx := context.Background()
	engine, lib := storylessLibrary(t, filepath.Join(t.TempDir(), "data"))
	logger := slog.New(slog.DiscardHandler)
	startStoryBackfill(ctx, engine, logger)() // stopped at once: it may have assigned some or none
	left := storyless(t, lib)
	if n := storyBackfill(ctx, engine, logger); n != left || storyless(t, lib) != 0 {
		t.Errorf("the run after a stopped one assigned %d of the %d left (%d still without)", n, left, storyless(t, lib))
	}
}

// TestIngestBackfillsStories: "attache ingest" on a library stored
// without stories assigns the old articles theirs after storing the new
// ones, says how many, and says nothing of it the next time.
func TestIngestBackfillsStories(t *testing.T) {
	c := newCLI(t)
	storeStoryless(t, c.env["ATTACHE_DATA_DIR"])
	path := writeFile(t, c.dir, "new.md", "---\ntitle: Harbour agreement signed\nsource: Coast Post\npublished: 2026-06-09\n---\n\nThe two ports signed the harbour agreement on Tuesday.\n")
	r := c.mustRun(0, "ingest", path)
	if !strings.Contains(r.stdout, "stories assigned to 3 article(s) stored without one") {
		t.Errorf("ingest output does not report the 3 stories assigned:\n%s", r.stdout)
	}
	lib, err := corpus.Open(context.Background(), c.env["ATTACHE_DATA_DIR"])
	if err != nil {
		t.Fatal(err)
	}
	left := storyless(t, lib)
	lib.Close()
	if left != 0 {
		t.Errorf("%d articles without a story after the ingest", left)
	}
	if r := c.mustRun(0, "ingest", path); strings.Contains(r.stdout, "stories assigned") {
		t.Errorf("the second ingest assigned stories again:\n%s", r.stdout)
	}
}
