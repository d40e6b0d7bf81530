package postgres

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/attache-bot/attache/corpus"
)

// evalCorpus is the evaluation corpus, read where it lives
// (ATTACHE_EVAL_CORPUS overrides the path).
func evalCorpus(b *testing.B) []corpus.Article {
	b.Helper()
	path := os.Getenv("ATTACHE_EVAL_CORPUS")
	if path == "" {
		path = "/work/shared/eval/corpus.jsonl"
	}
	res, err := corpus.ImportFile(path, corpus.ImportOptions{})
	if err != nil {
		b.Fatalf("reading the eval corpus (set ATTACHE_EVAL_CORPUS): %v", err)
	}
	out := make([]corpus.Article, len(res.Records))
	for i, r := range res.Records {
		out[i] = r.Article
		if out[i].ID == "" {
			out[i].ID = corpus.ID(out[i])
		}
	}
	return out
}

// benchDim is the built-in embedder's dimension (retrieval.LocalEmbedderDim).
const benchDim = 768

type prepared struct {
	a       corpus.Article
	chunks  []corpus.Chunk
	vectors [][]float32
}

type putter interface {
	Put(ctx context.Context, a corpus.Article, chunks []corpus.Chunk, vectors [][]float32) (corpus.PutStatus, error)
	CheckEmbedder(ctx context.Context, info corpus.EmbedderInfo) error
}

func putAll(b *testing.B, lib putter, arts []prepared) time.Duration {
	b.Helper()
	ctx := context.Background()
	if err := lib.CheckEmbedder(ctx, corpus.EmbedderInfo{Name: "bench", Dim: benchDim}); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	for _, p := range arts {
		if st, err := lib.Put(ctx, p.a, p.chunks, p.vectors); err != nil || st != corpus.Added {
			b.Fatalf("Put %s = %v, %v", p.a.ID, st, err)
		}
	}
	return time.Since(start)
}

// BenchmarkPutEvalCorpus stores every article of the eval corpus with its
// chunks and fake vectors (one transaction each, as ingest does) into a new
// SQLite library and into a new PostgreSQL schema, in the same run, and
// reports each one's time per article and their ratio.
func BenchmarkPutEvalCorpus(b *testing.B) {
	raw := evalCorpus(b)
	arts := make([]prepared, len(raw))
	chunks := 0
	for i, a := range raw {
		c := corpus.Split(a, corpus.SplitOptions{})
		v := make([][]float32, len(c))
		for j := range v {
			v[j] = make([]float32, benchDim)
			for k := range v[j] {
				v[j][k] = float32((i+j+k)%97) / 97
			}
		}
		arts[i] = prepared{a, c, v}
		chunks += len(c)
	}
	var sqliteTime, pgTime time.Duration
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		sq, err := corpus.Open(context.Background(), b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		dbURL, _ := testSchema(b)
		b.StartTimer()
		sqliteTime += putAll(b, sq, arts)
		b.StopTimer()
		sq.Close()
		pg, err := Open(context.Background(), dbURL)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		pgTime += putAll(b, pg, arts)
		b.StopTimer()
		pg.Close()
	}
	n := float64(b.N * len(arts))
	b.ReportMetric(float64(len(arts)), "articles")
	b.ReportMetric(float64(chunks), "chunks")
	b.ReportMetric(float64(sqliteTime.Microseconds())/1000/n, "sqlite-ms/article")
	b.ReportMetric(float64(pgTime.Microseconds())/1000/n, "postgres-ms/article")
	b.ReportMetric(float64(pgTime)/float64(sqliteTime), "postgres/sqlite")
}
