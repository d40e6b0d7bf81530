package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/attache-bot/attache/corpus"
	"github.com/attache-bot/attache/corpus/postgres/pgtest"
	"github.com/attache-bot/attache/corpus/transfer"
	"github.com/attache-bot/attache/retrieval"
)

// BenchmarkMigrate measures "attache migrate" of a generated library of
// 20,000 articles (ATTACHE_MIGRATE_ARTICLES overrides) with vectors of the
// local embedder's dimension, into a fresh PostgreSQL schema; the same
// with synchronous_commit=off; then, into another schema, a migrate killed
// with SIGKILL a third of the way and run again.
// Both must end with verified counts. The baseline is the same copy,
// in-process, into a new SQLite library.
//
//	go test -run '^$' -bench BenchmarkMigrate -benchtime=1x .
func BenchmarkMigrate(b *testing.B) {
	total := 20000
	if s := os.Getenv("ATTACHE_MIGRATE_ARTICLES"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 10 {
			b.Fatalf("ATTACHE_MIGRATE_ARTICLES=%q: want a number of at least 10", s)
		}
		total = n
	}
	c := newCLI(b)
	c.timeout = 30 * time.Minute // the whole copy is one run
	dir := c.env["ATTACHE_DATA_DIR"]
	t0 := time.Now()
	chunks := generateLibrary(b, dir, total)
	b.Logf("generated %d articles, %d chunks in %s", total, chunks, time.Since(t0).Round(time.Millisecond))

	for b.Loop() {
		// Baseline: the same copy into SQLite, in-process.
		base := time.Now()
		src, err := corpus.Open(context.Background(), dir)
		if err != nil {
			b.Fatal(err)
		}
		dst, err := corpus.Open(context.Background(), b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		if _, err := transfer.Copy(context.Background(), src, dst, transfer.Options{}); err != nil {
			b.Fatal(err)
		}
		dst.Close()
		src.Close()
		baseline := time.Since(base)

		dbURL, _ := pgtest.Schema(b)
		start := time.Now()
		r := c.mustRun(0, "migrate", "-to", dbURL)
		took := time.Since(start)
		if !strings.Contains(r.stdout, fmt.Sprintf("%d copied", total)) || !strings.Contains(r.stdout, ": verified") {
			b.Fatalf("migrate:\n%s", r)
		}

		// The same with synchronous_commit=off in the URL (see README).
		asyncURL, _ := pgtest.Schema(b)
		start = time.Now()
		r = c.mustRun(0, "migrate", "-to", asyncURL+"&synchronous_commit=off")
		async := time.Since(start)
		if !strings.Contains(r.stdout, fmt.Sprintf("%d copied", total)) || !strings.Contains(r.stdout, ": verified") {
			b.Fatalf("migrate with synchronous_commit=off:\n%s", r)
		}

		// Killed a third of the way, then run again.
		resumeURL, _ := pgtest.Schema(b)
		c.env["LOG_LEVEL"] = "debug"
		killMigrateAfter(b, c, resumeURL, total/3)
		delete(c.env, "LOG_LEVEL")
		again := time.Now()
		r = c.mustRun(0, "migrate", "-to", resumeURL)
		rerun := time.Since(again)
		if !strings.Contains(r.stdout, fmt.Sprintf("migrated %d articles", total)) || !strings.Contains(r.stdout, ": verified") ||
			strings.Contains(r.stdout, " 0 already there") {
			b.Fatalf("migrate after SIGKILL:\n%s", r)
		}
		b.Logf("after SIGKILL: %s", firstLine(r.stdout))

		b.ReportMetric(took.Seconds(), "migrate-s")
		b.ReportMetric(float64(total)/took.Seconds(), "articles/s")
		b.ReportMetric(async.Seconds(), "migrate-async-s")
		b.ReportMetric(baseline.Seconds(), "sqlite-copy-s")
		b.ReportMetric(rerun.Seconds(), "resume-s")
	}
}

// generateLibrary writes total synthetic articles (syntheticArticle's) with
// deterministic vectors of the local embedder's dimension into the library
// in dir, and returns the number of chunks. The vectors are not
// embeddings: migrate copies them without looking.
func generateLibrary(b *testing.B, dir string, total int) int {
	ctx := context.Background()
	lib, err := corpus.Open(ctx, dir)
	if err != nil {
		b.Fatal(err)
	}
	defer lib.Close()
	emb := retrieval.NewLocalEmbedder()
	if err := lib.CheckEmbedder(ctx, corpus.EmbedderInfo{Name: emb.Name(), Dim: emb.Dim()}); err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(2026, 12))
	chunks := 0
	for i := range total {
		a := syntheticArticle(i, rng)
		if i%4 == 1 {
			a.Scope = fmt.Sprintf("1000000000000000%02d", i%7)
			a.ID = corpus.ScopedID(a.Scope, a.ID)
		}
		a.Normalize()
		cs := corpus.Split(a, corpus.SplitOptions{})
		vecs := make([][]float32, len(cs))
		for j := range vecs {
			v := make([]float32, emb.Dim())
			for k := range v {
				v[k] = rng.Float32()*2 - 1
			}
			vecs[j] = v
		}
		if _, err := lib.Put(ctx, a, cs, vecs); err != nil {
			b.Fatal(err)
		}
		chunks += len(cs)
	}
	return chunks
}
