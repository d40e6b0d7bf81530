package retrieval

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/attache-bot/attache/corpus"
)

// BenchmarkIngestStories ingests a corpus through the real engine (AddMany
// into a fresh SQLite library) with story assignment off and on, in the
// same run, and reports the time of each and their ratio
// (stories-ratio: the bar is 1.5). Entities are recognised in
// both (the library always stores them); "on" adds the names,
// fingerprint, candidate query and assignment. The corpus is the
// JSON-lines file ATTACHE_STORY_CORPUS names (read where it lies), else
// the bundled sample.
func BenchmarkIngestStories(b *testing.B) {
	arts := corpus.Sample()
	if path := os.Getenv("ATTACHE_STORY_CORPUS"); path != "" {
		imp, err := corpus.ImportFile(path, corpus.ImportOptions{})
		if err != nil {
			b.Fatal(err)
		}
		arts = arts[:0]
		for _, r := range imp.Records {
			arts = append(arts, r.Article)
		}
	}
	ctx := context.Background()
	ingest := func(noStories bool) (time.Duration, int) {
		b.StopTimer()
		lib, err := corpus.Open(ctx, b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		defer lib.Close()
		e, err := New(ctx, lib, Config{Logger: quietLogger(), NoStories: noStories})
		if err != nil {
			b.Fatal(err)
		}
		stories := make(map[string]bool)
		b.StartTimer()
		start := time.Now()
		err = e.AddMany(ctx, arts, func(_ int, a corpus.Article, _ corpus.PutStatus, err error) {
			if err != nil {
				b.Fatalf("article %s: %v", a.ID, err)
			}
			stories[a.StoryID] = true
		})
		took := time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		return took, len(stories)
	}
	var off, on time.Duration
	var n int
	for b.Loop() {
		t, _ := ingest(true)
		off += t
		t, s := ingest(false)
		on += t
		n = s
	}
	b.ReportMetric(float64(len(arts)), "articles")
	b.ReportMetric(float64(n), "stories")
	b.ReportMetric(off.Seconds()/float64(b.N), "s-off/op")
	b.ReportMetric(on.Seconds()/float64(b.N), "s-on/op")
	b.ReportMetric(on.Seconds()/off.Seconds(), "stories-ratio")
}
