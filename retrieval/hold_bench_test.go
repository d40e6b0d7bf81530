package retrieval

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"strconv"
	"testing"

	"github.com/attache-bot/attache/corpus"
)

// Sizes of BenchmarkHeldScopesMemory's library: the shared scope and
// holdBenchGuilds guild scopes of holdBenchPerScope generated articles
// (six passages each), of which a shard holds one in four.
const (
	holdBenchGuilds   = 40
	holdBenchPerScope = 30
	holdBenchShards   = 4
)

// BenchmarkHeldScopesMemory measures what gateway sharding saves: the live
// heap of an engine holding the shared scope and a quarter of the guild
// scopes (one shard of four, after Hold of each of its guilds) against one
// holding every scope, over the same library, each measured after a
// garbage collection with the library open and no engine as the base. It
// reports both in MB and their ratio (the target is at most 0.35).
//
//	go test ./retrieval -run '^$' -bench BenchmarkHeldScopesMemory -benchtime 3x
func BenchmarkHeldScopesMemory(b *testing.B) {
	ctx := context.Background()
	dir := b.TempDir()
	cfg := Config{Embedder: randomEmbedder{}, Logger: slog.New(slog.DiscardHandler)}
	lib, err := corpus.Open(ctx, dir)
	if err != nil {
		b.Fatal(err)
	}
	defer lib.Close()
	writer, err := New(ctx, lib, cfg)
	if err != nil {
		b.Fatal(err)
	}
	gen := newGrowthText(7)
	var arts []corpus.Article
	guilds := make([]string, holdBenchGuilds)
	for g := range guilds {
		guilds[g] = strconv.Itoa(900000000000000000 + g)
	}
	for s := range holdBenchGuilds + 1 {
		for range holdBenchPerScope {
			a := gen.article(len(arts))
			if s > 0 {
				a.Scope = guilds[s-1]
			}
			arts = append(arts, a)
		}
	}
	if err := writer.AddMany(ctx, arts, func(i int, _ corpus.Article, _ corpus.PutStatus, err error) {
		if err != nil {
			b.Fatalf("article %d: %v", i, err)
		}
	}); err != nil {
		b.Fatal(err)
	}
	writer = nil

	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapInuse
	}
	var all, quarter uint64
	for b.Loop() {
		base := heap()
		e, err := New(ctx, lib, cfg)
		if err != nil {
			b.Fatal(err)
		}
		all = heap() - base
		if n := indexLen(e); n != len(arts) {
			b.Fatalf("the engine holding every scope has %d articles, want %d", n, len(arts))
		}
		runtime.KeepAlive(e)
		e = nil

		base = heap()
		held := cfg
		held.HoldScopes = true
		h, err := New(ctx, lib, held)
		if err != nil {
			b.Fatal(err)
		}
		for g, guild := range guilds {
			if g%holdBenchShards == 0 {
				if err := h.Hold(ctx, guild); err != nil {
					b.Fatal(err)
				}
			}
		}
		quarter = heap() - base
		want := holdBenchPerScope * (1 + holdBenchGuilds/holdBenchShards)
		if n := indexLen(h); n != want {
			b.Fatalf("the shard's engine has %d articles, want %d", n, want)
		}
		runtime.KeepAlive(h)
	}
	b.ReportMetric(float64(all)/1e6, "all-MB")
	b.ReportMetric(float64(quarter)/1e6, "quarter-MB")
	b.ReportMetric(float64(quarter)/float64(all), "ratio")
	b.Logf("%d scopes of %d articles (%d passages each): every scope %s, shared + %d guilds %s",
		holdBenchGuilds+1, holdBenchPerScope, 6, mb(all), holdBenchGuilds/holdBenchShards, mb(quarter))
}

func mb(n uint64) string { return fmt.Sprintf("%.1f MB", float64(n)/1e6) }
