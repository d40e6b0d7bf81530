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
