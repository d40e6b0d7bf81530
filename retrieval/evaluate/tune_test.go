//go:build tune

package evaluate

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/attache-bot/attache/corpus"
	"github.com/attache-bot/attache/corpus/lang"
	"github.com/attache-bot/attache/retrieval"
	"github.com/attache-bot/attache/retrieval/answer"
	"github.com/attache-bot/attache/retrieval/question"
)

// openEvalLibrary opens the library kept in dir between tuning runs and an
// engine over it with the default configuration; both close with the test.
func openEvalLibrary(t *testing.T, dir string) (*corpus.Library, *retrieval.Engine) {
	t.Helper()
	lib, err := corpus.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lib.Close() })
	e, err := retrieval.New(context.Background(), lib, retrieval.Config{})
	if err != nil {
		t.Fatal(err)
	}
	return lib, e
}

// TestEvalTune evaluates ranking variants on the dev split against a
// library kept between runs (ATTACHE_EVAL_LIB, a directory outside the
// repository; filled on first use), so that each variant costs only the
// questions, not the ingest.
//
//	ATTACHE_EVAL=1 ATTACHE_EVAL_LIB=/tmp/attache-evallib go test -tags tune ./retrieval/evaluate -run TestEvalTune -v
func TestEvalTune(t *testing.T) {
	libDir := os.Getenv("ATTACHE_EVAL_LIB")
	if os.Getenv("ATTACHE_EVAL") != "1" || libDir == "" {
		t.Skip("SKIPPED: ranking tuning runs only with ATTACHE_EVAL=1 and ATTACHE_EVAL_LIB=<scratch dir>")
	}
	dir := evalDir()
	qs, err := LoadQuestions(filepath.Join(dir, "questions-dev.jsonl"))
	if err != nil {
		t.Skipf("SKIPPED: %v", err)
	}
	ctx := context.Background()
	lib, e := openEvalLibrary(t, libDir)
	if n, _ := lib.Count(ctx); n == 0 {
		imp, err := corpus.ImportFile(filepath.Join(dir, "corpus.jsonl"), corpus.ImportOptions{})
		if err != nil {
			t.Fatal(err)
		}
		arts := make([]corpus.Article, len(imp.Records))
		for i, r := range imp.Records {
			arts[i] = r.Article
		}
		if err := e.AddMany(ctx, arts, nil); err != nil {
			t.Fatal(err)
		}
	}
	variants := map[string]func(*retrieval.Ranking){"default": func(*retrieval.Ranking) {}}
	// A variant may combine several with "+", e.g. "cov1+b05".
	for _, name := range strings.Split(os.Getenv("ATTACHE_EVAL_VARIANTS"), ",") {
		var fs []func(*retrieval.Ranking)
		for _, part := range strings.Split(name, "+") {
			if f, ok := tuneVariants[part]; ok {
				fs = append(fs, f)
			}
		}
		if len(fs) > 0 && name != "" {
			variants[name] = func(r *retrieval.Ranking) {
				for _, f := range fs {
					f(r)
				}
			}
		}
	}
	for name, f := range variants {
		rk := retrieval.DefaultRanking()
		f(&rk)
		e.SetRanking(rk)
		start := time.Now()
		rep, err := RunEngine(ctx, e, Options{Questions: qs, K: 10, RetrievalOnly: os.Getenv("ATTACHE_EVAL_ANSWERS") != "1"})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%-14s r@1 %.3f r@5 %.3f r@10 %.3f mrr %.3f | gold r@1 %.3f r@5 %.3f mrr %.3f | p50 %.1fms p95 %.1fms (%.0fs)",
			name, rep.RecallAt1, rep.RecallAt5, rep.RecallAt10, rep.MRRAt10,
			rep.GoldLink.RecallAt1, rep.GoldLink.RecallAt5, rep.GoldLink.MRRAt10, rep.QueryMsP50, rep.QueryMsP95,
			time.Since(start).Seconds())
		if dump := os.Getenv("ATTACHE_EVAL_DUMP"); dump != "" {
			var b strings.Builder
			for i, r := range rep.Results {
				asOf, _ := time.Parse(corpus.DateLayout, qs[i].QuestionDate)
				w, _ := question.ParseTimeWindow(qs[i].Question, asOf)
				fmt.Fprintf(&b, "%s\t%d\t%s\t%q\t%s\n", qs[i].ID, r.Rank, qs[i].EvidenceType, w.Phrase, qs[i].Question)
			}
			if err := os.WriteFile(filepath.Join(dump, name+".tsv"), []byte(b.String()), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		if os.Getenv("ATTACHE_EVAL_MISSES") == "1" && name == "default" {
			for i, r := range rep.Results {
				if r.Rank == 1 {
					continue
				}
				asOf, _ := time.Parse(corpus.DateLayout, qs[i].QuestionDate)
				w, ok := question.ParseTimeWindow(qs[i].Question, asOf)
				var ev []string
				for _, id := range qs[i].EvidenceIDs {
					if a, err := lib.Summary(ctx, id); err == nil {
						ev = append(ev, a.Published.Format(corpus.DateLayout))
					}
				}
				top := ""
				if len(r.Retrieved) > 0 {
					if a, err := lib.Summary(ctx, r.Retrieved[0]); err == nil {
						top = a.Published.Format(corpus.DateLayout) + " " + a.Title
					}
				}
				t.Logf("miss rank=%d %s [%s] %s\n    window=%v %v..%v evidence=%v top=%s", r.Rank, qs[i].QuestionDate, qs[i].EvidenceType, qs[i].Question,
					ok, w.From.Format(corpus.DateLayout), w.To.Format(corpus.DateLayout), ev, top)
			}
		}
	}
}

// tuneVariants are the ranking variants TestEvalTune can compare (names
// listed in ATTACHE_EVAL_VARIANTS).
var tuneVariants = map[string]func(*retrieval.Ranking){
	"grace1":    func(r *retrieval.Ranking) { r.AsOfGraceDays = 1 },
	"novec":     func(r *retrieval.Ranking) { r.VectorWeight = 0 },
	"nochunkbm": func(r *retrieval.Ranking) { r.TextWeight = 0 },
	"noartbm":   func(r *retrieval.Ranking) { r.ArticleTextWeight = 0 },
	"norecency": func(r *retrieval.Ranking) { r.RecencyBoost = 0 },
	"recency2":  func(r *retrieval.Ranking) { r.RecencyBoost = 2 },
	"tau7":      func(r *retrieval.Ranking) { r.RecencyHalfLifeDays = 7 },
	"tau30":     func(r *retrieval.Ranking) { r.RecencyHalfLifeDays = 30 },
	"nosecond":  func(r *retrieval.Ranking) { r.SecondChunkWeight = 0 },
	"slack0":    func(r *retrieval.Ranking) { r.WindowSlackDays = 0 },
	"slack1":    func(r *retrieval.Ranking) { r.WindowSlackDays = 1 },
	"slack3":    func(r *retrieval.Ranking) { r.WindowSlackDays = 3 },
	"nowindow":  func(r *retrieval.Ranking) { r.WindowSlackDays = -1000 },
	"vec03":     func(r *retrieval.Ranking) { r.VectorWeight = 0.3 },
	"vec08":     func(r *retrieval.Ranking) { r.VectorWeight = 0.8 },
	"slack5":    func(r *retrieval.Ranking) { r.WindowSlackDays = 5 },
	"slack7":    func(r *retrieval.Ranking) { r.WindowSlackDays = 7 },
	"art05":     func(r *retrieval.Ranking) { r.ArticleTextWeight = 0.5 },
	"cov0":      func(r *retrieval.Ranking) { r.CoverRankWeight = 0 },
	"rb1":       func(r *retrieval.Ranking) { r.RecencyBoost = 1 },
	"cov05":     func(r *retrieval.Ranking) { r.CoverRankWeight = 0.5 },
	"cov1":      func(r *retrieval.Ranking) { r.CoverRankWeight = 1 },
	"cov2":      func(r *retrieval.Ranking) { r.CoverRankWeight = 2 },
	"second04":  func(r *retrieval.Ranking) { r.SecondChunkWeight = 0.4 },
	"vc120":     func(r *retrieval.Ranking) { r.VectorCandidates = 120 },
	"rb15":      func(r *retrieval.Ranking) { r.RecencyBoost = 1.5 },
	"tau10":     func(r *retrieval.Ranking) { r.RecencyHalfLifeDays = 10 },
	"tau20":     func(r *retrieval.Ranking) { r.RecencyHalfLifeDays = 20 },
	"art2":      func(r *retrieval.Ranking) { r.ArticleTextWeight = 2 },
}

// TestEvalCalibrate prints the distribution of the best passage's score for
// the dev questions as of their date (answerable) and as of a date before
// almost all of the corpus (mostly unanswerable), to choose
// DefaultMinScore.
//
//	ATTACHE_EVAL=1 ATTACHE_EVAL_LIB=/tmp/attache-evallib go test -tags tune ./retrieval/evaluate -run TestEvalCalibrate -v
func TestEvalCalibrate(t *testing.T) {
	libDir := os.Getenv("ATTACHE_EVAL_LIB")
	if os.Getenv("ATTACHE_EVAL") != "1" || libDir == "" {
		t.Skip("SKIPPED: calibration runs only with ATTACHE_EVAL=1 and ATTACHE_EVAL_LIB=<library filled by TestEvalTune>")
	}
	qs, err := LoadQuestions(filepath.Join(evalDir(), "questions-dev.jsonl"))
	if err != nil {
		t.Skipf("SKIPPED: %v", err)
	}
	ctx := context.Background()
	_, e := openEvalLibrary(t, libDir)
	top := func(q string, asOf time.Time) float64 {
		ps, err := e.Search(ctx, retrieval.Query{Text: q, AsOf: asOf, K: 1})
		if err != nil || len(ps) == 0 {
			return 0
		}
		return ps[0].Score
	}
	var pos, neg []float64
	for _, q := range qs {
		asOf, _ := time.Parse(corpus.DateLayout, q.QuestionDate)
		pos = append(pos, top(q.Question, asOf))
		neg = append(neg, top(q.Question, day("2016-01-01")))
	}
	for _, q := range []string{"What is the boiling point of liquid nitrogen?", "Recommend a chocolate cake recipe",
		"How do I configure a Kubernetes ingress controller?", "What is the plot of the third Harry Potter book?",
		"Explain the rules of cricket to a beginner", "Who discovered penicillin and when?"} {
		t.Logf("off-topic %.3f %s", top(q, day("2026-01-01")), q)
	}
	for _, p := range []float64{5, 10, 25, 50} {
		t.Logf("p%.0f answerable %.3f", p, percentile(pos, p))
	}
	for _, p := range []float64{50, 75, 90, 95} {
		t.Logf("p%.0f as of 2016 %.3f", p, percentile(neg, p))
	}
}

// TestExtractDevPipeline measures the extractive answers of the whole
// pipeline (Run: ingest into a throw-away library, Search, Answer) on
// the development split. Skipped unless ATTACHE_EVAL=1; it takes a minute:
//
//	ATTACHE_EVAL=1 go test -tags tune -run TestExtractDevPipeline -v -timeout 20m ./retrieval/evaluate
//
// ATTACHE_EVAL_DUMP names a file for the misses.
func TestExtractDevPipeline(t *testing.T) {
	if os.Getenv("ATTACHE_EVAL") != "1" {
		t.Skip("set ATTACHE_EVAL=1 to measure on the development split")
	}
	dir := os.Getenv("ATTACHE_EVAL_DIR")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "eval")
	}
	qs, err := LoadQuestions(filepath.Join(dir, "questions-dev.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	seen := map[string]string{}    // question → text of its passages
	widened := map[string]string{} // question → extraction from passages with their neighbours
	rep, err := Run(context.Background(), Options{
		CorpusPath: filepath.Join(dir, "corpus.jsonl"),
		Questions:  qs,
		K:          10,
		Config:     retrieval.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))},
		Answer: func(ctx context.Context, e *retrieval.Engine, req retrieval.Request) (retrieval.Answer, error) {
			// The passages Answer will see, to tell extraction misses from
			// passages that lack the answer.
			ps, _ := e.Search(ctx, retrieval.Query{Text: req.Question, Scope: req.Scope, AsOf: req.AsOf})
			var b strings.Builder
			var wide []answer.Passage // each passage with its neighbouring chunks
			for _, p := range ps {
				if !e.Relevant(p) {
					continue
				}
				b.WriteString(p.Text + "\n")
				chunks, err := e.Library().ArticleChunks(ctx, p.ArticleID)
				if err != nil {
					return retrieval.Answer{}, err
				}
				for i, c := range chunks {
					if c.ID == p.ChunkID {
						var parts []string
						for _, n := range chunks[max(0, i-1):min(len(chunks), i+2)] {
							parts = append(parts, n.Text)
						}
						p.Text = strings.Join(parts, "\n")
						break
					}
				}
				wide = append(wide, answer.Passage{Title: p.Title, Text: p.Text})
			}
			ex := answer.Extract(req.Question, wide, 0)
			mu.Lock()
			seen[req.Question] = b.String()
			widened[req.Question] = ex.Text
			mu.Unlock()
			return e.Answer(ctx, req, nil)
		},
		TempDir: t.TempDir(),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("questions %d  recall@1 %.3f  recall@5 %.3f  mrr@10 %.3f", rep.Questions, rep.RecallAt1, rep.RecallAt5, rep.MRRAt10)
	t.Logf("answer_hit %.3f  citation_precision %.3f  mode %s  query p50 %.1f ms  p95 %.1f ms",
		rep.AnswerHit, rep.CitationPrecision, rep.Mode, rep.QueryMsP50, rep.QueryMsP95)
	inPassages := 0
	for _, q := range qs {
		if hasAnswer(seen[q.Question], q.Answers) {
			inPassages++
		}
	}
	t.Logf("answer anywhere in the passages %.3f", float64(inPassages)/float64(len(qs)))
	wideHit := 0
	for _, q := range qs {
		if hasAnswer(widened[q.Question], q.Answers) {
			wideHit++
		}
	}
	t.Logf("answer_hit if each passage brought its neighbouring chunks: %.3f", float64(wideHit)/float64(len(qs)))
	if p := os.Getenv("ATTACHE_EVAL_DUMP"); p != "" {
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		for i, r := range rep.Results {
			if !r.Hit {
				fmt.Fprintf(f, "Q: %s [%s]\nA: %v\nrank %d\nGOT: %s\nINPASSAGES: %v\n\n", qs[i].Question, question.TypeOf(qs[i].Question), qs[i].Answers, r.Rank, r.Answer, hasAnswer(seen[qs[i].Question], qs[i].Answers))
			}
		}
	}
}

// hasAnswer is the evaluation's match (scoreAnswer's): a gold answer as a
// whole word of text, ignoring case.
func hasAnswer(text string, answers []string) bool {
	return slices.ContainsFunc(answers, func(a string) bool { return lang.ContainsWholeWord(text, a) })
}

// day parses a YYYY-MM-DD test date.
func day(s string) time.Time {
	t, err := time.Parse(corpus.DateLayout, s)
	if err != nil {
		panic(err)
	}
	return t
}
