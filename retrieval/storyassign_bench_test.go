package retrieval

import (
	"context"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/attache-bot/attache/corpus"
)

// BenchmarkIngestStories ingests a corpus through the real engine (AddMany
// into a fresh SQLite library) with story assignment off and on, in the
// same run (alternating which goes first), and reports the time of each
// and their ratio (stories-ratio: the bar is 1.5), in wall-clock
// time and in the CPU time of the process (cpu-ratio), which other work
// on a shared machine moves less. Entities are recognised in both (the
// library always stores them); "on" adds the names, fingerprint,
// candidate query and assignment. The corpus is the JSON-lines file
// ATTACHE_STORY_CORPUS names (read where it lies), else the bundled
// sample.
func BenchmarkIngestStories(b *testing.B) {
	arts := storyBenchCorpus(b)
	ctx := context.Background()
	ingest := func(noStories bool) (wall, cpu time.Duration, stories int) {
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
		ids := make(map[string]bool)
		b.StartTimer()
		start, cpu0 := time.Now(), processCPU(b)
		err = e.AddMany(ctx, arts, func(_ int, a corpus.Article, _ corpus.PutStatus, err error) {
			if err != nil {
				b.Fatalf("article %s: %v", a.ID, err)
			}
			ids[a.StoryID] = true
		})
		wall, cpu = time.Since(start), processCPU(b)-cpu0
		if err != nil {
			b.Fatal(err)
		}
		return wall, cpu, len(ids)
	}
	var off, on, offCPU, onCPU time.Duration
	var n int
	for i := 0; b.Loop(); i++ {
		for _, noStories := range [][]bool{{true, false}, {false, true}}[i%2] {
			wall, cpu, s := ingest(noStories)
			if noStories {
				off, offCPU = off+wall, offCPU+cpu
			} else {
				on, onCPU, n = on+wall, onCPU+cpu, s
			}
		}
	}
	b.ReportMetric(float64(len(arts)), "articles")
	b.ReportMetric(float64(n), "stories")
	b.ReportMetric(off.Seconds()/float64(b.N), "s-off/op")
	b.ReportMetric(on.Seconds()/float64(b.N), "s-on/op")
	b.ReportMetric(on.Seconds()/off.Seconds(), "stories-ratio")
	b.ReportMetric(onCPU.Seconds()/offCPU.Seconds(), "cpu-ratio")
}

// processCPU is the CPU time (user and system) the process has used.
func processCPU(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// storyBenchCorpus is the corpus of the story benchmarks: the JSON-lines
// file ATTACHE_STORY_CORPUS names (read where it lies), else the bundled
// sample.
func storyBenchCorpus(b *testing.B) []corpus.Article {
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
	return arts
}

// BenchmarkBackfillStories times Engine.BackfillStories over a library
// of the corpus (storyBenchCorpus) stored with stories off, as a release
// before them stored it: the engine is opened (the index read) before the
// timer starts, so the figure is the backfill's own. It reports the wall
// and CPU seconds of one backfill (s/op, cpu-s/op), the articles it
// assigned, the stories they form, and how many articles got another
// story than an ingest of the corpus in date order with stories on
// assigns them (differ: 0 when the backfill does what ingest does).
func BenchmarkBackfillStories(b *testing.B) {
	arts := storyBenchCorpus(b)
	ctx := context.Background()
	want := make(map[string]string, len(arts))
	{
		lib, err := corpus.Open(ctx, b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		e, err := New(ctx, lib, Config{Logger: quietLogger()})
		if err != nil {
			b.Fatal(err)
		}
		if err := e.AddMany(ctx, inDateOrder(arts), func(_ int, a corpus.Article, _ corpus.PutStatus, err error) {
			if err != nil {
				b.Fatalf("article %s: %v", a.ID, err)
			}
			want[a.ID] = a.StoryID
		}); err != nil {
			b.Fatal(err)
		}
		lib.Close()
	}
	var differ int
	var wall, cpu time.Duration
	var assigned, stories int
	for b.Loop() {
		b.StopTimer()
		dir := b.TempDir()
		lib, err := corpus.Open(ctx, dir)
		if err != nil {
			b.Fatal(err)
		}
		old, err := New(ctx, lib, Config{Logger: quietLogger(), NoStories: true})
		if err != nil {
			b.Fatal(err)
		}
		if err := old.AddMany(ctx, arts, func(_ int, a corpus.Article, _ corpus.PutStatus, err error) {
			if err != nil {
				b.Fatalf("article %s: %v", a.ID, err)
			}
		}); err != nil {
			b.Fatal(err)
		}
		e, err := New(ctx, lib, Config{Logger: quietLogger()})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start, cpu0 := time.Now(), processCPU(b)
		n, err := e.BackfillStories(ctx)
		wall, cpu = wall+time.Since(start), cpu+processCPU(b)-cpu0
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		sums, err := lib.List(ctx)
		if err != nil {
			b.Fatal(err)
		}
		ids := make(map[string]bool)
		differ = 0
		for _, s := range sums {
			ids[s.StoryID] = true
			if s.StoryID != want[s.ID] {
				differ++
			}
		}
		assigned, stories = n, len(ids)
		lib.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(assigned), "assigned")
	b.ReportMetric(float64(stories), "stories")
	b.ReportMetric(float64(differ), "differ")
	b.ReportMetric(wall.Seconds()/float64(b.N), "s/op")
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
}
