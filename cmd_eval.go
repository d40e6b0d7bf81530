package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/attache-bot/attache/corpus"
	"github.com/attache-bot/attache/corpus/postgres"
	"github.com/attache-bot/attache/retrieval"
	"github.com/attache-bot/attache/retrieval/evaluate"
	"github.com/schollz/progressbar/v3"
)

// runEval measures retrieval and answers over a throw-away library built
// from -corpus (never the data directory or the configured database's
// library), asking every question of -questions as of its question_date.
// With ATTACHE_DATABASE_URL set the library is PostgreSQL's, in a new
// schema of that database dropped at the end.
func runEval(ctx context.Context, env *environment, args []string) error {
	fs := newFlagSet(env, "eval")
	corpusPath := fs.String("corpus", "", "articles file (.jsonl with id, title, source, url, published, body)")
	questionsPath := fs.String("questions", "", "questions file (.jsonl with id, question, answers, evidence_ids, question_date)")
	k := fs.Int("k", 10, "ranks considered for recall and MRR")
	asJSON := fs.Bool("json", false, "print the report as one JSON object")
	detailsPath := fs.String("details", "", "also write one JSON line per question to this file")
	positional, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(positional) > 0:
		return usagef("eval: unexpected argument %q", positional[0])
	case *corpusPath == "" || *questionsPath == "":
		fs.Usage()
		return usagef("eval: -corpus and -questions are required")
	case *k < 1 || *k > 100:
		return usagef("eval: -k must be from 1 to 100")
	}
	cfg := env.cfg
	questions, err := evaluate.LoadQuestions(*questionsPath)
	if err != nil {
		return err
	}
	var closers []func()
	defer func() { closeReversed(closers) }()
	rcfg, err := engineConfig(ctx, cfg, newLogger(cfg, env.io.err, false), engineOptions{withLLM: true, checkLLM: true}, &closers)
	if err != nil {
		return err
	}
	opts := evaluate.Options{
		CorpusPath: *corpusPath,
		Questions:  questions,
		K:          *k,
		Config:     rcfg,
		Answer: func(ctx context.Context, e *retrieval.Engine, req retrieval.Request) (retrieval.Answer, error) {
			return e.Answer(ctx, req, nil)
		},
	}
	if cfg.DatabaseURL != "" {
		// A throw-away schema of the configured database, dropped at the
		// end: the same library as serve's, never its data.
		opts.Open = func(ctx context.Context) (corpus.Store, func() error, error) {
			lib, discard, err := postgres.OpenTemp(ctx, cfg.DatabaseURL)
			if err != nil {
				return nil, nil, redactedf(cfg, "database (ATTACHE_DATABASE_URL): %w", err)
			}
			return lib, discard, nil
		}
	}
	if *detailsPath != "" {
		f, err := os.Create(*detailsPath)
		if err != nil {
			return fmt.Errorf("eval: details: %w", err)
		}
		defer f.Close()
		w := bufio.NewWriter(f)
		defer w.Flush()
		opts.Details = w
	}
	if isTerminal(env.io.err) {
		// Ingest and questions run one after the other: one bar each.
		opts.IngestProgress = progressFunc(env.io.err, "ingesting")
		opts.QuestionProgress = progressFunc(env.io.err, "asking")
	}
	rep, err := evaluate.Run(ctx, opts)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("eval %w", errInterrupted)
		}
		return redactedf(cfg, "%w", err)
	}
	if *asJSON {
		enc := json.NewEncoder(env.io.out)
		enc.SetIndent("", "  ")
		return enc.Encode(newEvalJSON(rep))
	}
	return writeEvalText(env, rep)
}

// evalJSON is the "eval -json" object: the report, without the fixed
// cut-offs that -k excludes. With -k 5 only 5 articles are retrieved per
// question, so a "recall_at_10" would be recall at 5 under a false name;
// recall_at_k and mrr_at_k are always there. The fields below shadow the
// report's fields of the same JSON name.
type evalJSON struct {
	evaluate.Report
	RecallAt5  *float64                 `json:"recall_at_5,omitempty"`
	RecallAt10 *float64                 `json:"recall_at_10,omitempty"`
	MRRAt10    *float64                 `json:"mrr_at_10,omitempty"`
	GoldLink   evalScoreJSON            `json:"gold_link"`
	ByType     map[string]evalScoreJSON `json:"by_type"`
}

// evalScoreJSON is gold_link and each by_type entry, with the same rule.
type evalScoreJSON struct {
	Questions int      `json:"questions"`
	RecallAt1 float64  `json:"recall_at_1"`
	RecallAt5 *float64 `json:"recall_at_5,omitempty"`
	MRRAt10   *float64 `json:"mrr_at_10,omitempty"`
}

func newEvalJSON(rep evaluate.Report) evalJSON {
	within := func(cut int, v float64) *float64 {
		if rep.K < cut {
			return nil
		}
		return &v
	}
	score := func(q int, r1, r5, mrr float64) evalScoreJSON {
		return evalScoreJSON{Questions: q, RecallAt1: r1, RecallAt5: within(5, r5), MRRAt10: within(10, mrr)}
	}
	out := evalJSON{
		Report:     rep,
		RecallAt5:  within(5, rep.RecallAt5),
		RecallAt10: within(10, rep.RecallAt10),
		MRRAt10:    within(10, rep.MRRAt10),
		GoldLink:   score(rep.GoldLink.Questions, rep.GoldLink.RecallAt1, rep.GoldLink.RecallAt5, rep.GoldLink.MRRAt10),
	}
	if rep.ByType != nil {
		out.ByType = make(map[string]evalScoreJSON, len(rep.ByType))
		for t, s := range rep.ByType {
			out.ByType[t] = score(s.Questions, s.RecallAt1, s.RecallAt5, s.MRRAt10)
		}
	}
	return out
}

// progressFunc returns a progress callback that draws a bar on w, labelled
// desc, from the first call until done reaches total.
func progressFunc(w io.Writer, desc string) func(done, total int) {
	var bar *progressbar.ProgressBar
	return func(done, total int) {
		if bar == nil {
			bar = newProgressBar(w, total)
			if bar == nil {
				return
			}
			bar.Describe(desc)
		}
		bar.Set(done)
		if done == total {
			bar.Finish()
			fmt.Fprintln(w)
			bar = nil
		}
	}
}

func writeEvalText(env *environment, rep evaluate.Report) error {
	tw := tabwriter.NewWriter(env.io.out, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "questions\t%d\t(k = %d, %s answers)\n", rep.Questions, rep.K, rep.Mode)
	fmt.Fprintf(tw, "articles\t%d\t(%d rejected, ingested in %.1f s)\n", rep.Articles, len(rep.Rejected), rep.IngestSeconds)
	// Only the cut-offs within the k ranks retrieved, then recall and MRR
	// at k itself.
	fmt.Fprintf(tw, "recall@1\t%.3f\t\n", rep.RecallAt1)
	if rep.K >= 5 {
		fmt.Fprintf(tw, "recall@5\t%.3f\t\n", rep.RecallAt5)
	}
	if rep.K >= 10 {
		fmt.Fprintf(tw, "recall@10\t%.3f\t\n", rep.RecallAt10)
		fmt.Fprintf(tw, "MRR@10\t%.3f\t\n", rep.MRRAt10)
	}
	if rep.K != 1 && rep.K != 5 && rep.K != 10 {
		fmt.Fprintf(tw, "recall@%d\t%.3f\t\n", rep.K, rep.RecallAtK)
	}
	if rep.K != 10 {
		fmt.Fprintf(tw, "MRR@%d\t%.3f\t\n", rep.K, rep.MRRAtK)
	}
	fmt.Fprintf(tw, "answer hit\t%.3f\t\n", rep.AnswerHit)
	fmt.Fprintf(tw, "citation precision\t%.3f\t\n", rep.CitationPrecision)
	writeEvalScore(tw, "gold_link", rep.K, rep.GoldLink.Questions, rep.GoldLink.RecallAt1, rep.GoldLink.RecallAt5, rep.GoldLink.MRRAt10)
	if rep.Unanswerable.Questions > 0 {
		fmt.Fprintf(tw, "refusal rate\t%.3f\t(%s)\n", rep.Unanswerable.RefusalRate, plural(rep.Unanswerable.Questions, "unanswerable question"))
	}
	fmt.Fprintf(tw, "false refusal rate\t%.3f\t\n", rep.FalseRefusalRate)
	for _, t := range slices.Sorted(maps.Keys(rep.ByType)) {
		s := rep.ByType[t]
		writeEvalScore(tw, t, rep.K, s.Questions, s.RecallAt1, s.RecallAt5, s.MRRAt10)
	}
	fmt.Fprintf(tw, "query ms p50 / p95\t%.1f / %.1f\t\n", rep.QueryMsP50, rep.QueryMsP95)
	if err := tw.Flush(); err != nil {
		return err
	}
	for i, r := range rep.Rejected {
		if i == 10 {
			fmt.Fprintf(env.io.out, "  … and %d more rejected\n", len(rep.Rejected)-10)
			break
		}
		fmt.Fprintln(env.io.out, "  rejected: "+printable(r))
	}
	return nil
}

// writeEvalScore writes one line of a subset's retrieval scores, with the
// cut-offs within k only.
func writeEvalScore(w io.Writer, name string, k, questions int, r1, r5, mrr float64) {
	labels, values := []string{"recall@1"}, []string{fmt.Sprintf("%.3f", r1)}
	if k >= 5 {
		labels, values = append(labels, "@5"), append(values, fmt.Sprintf("%.3f", r5))
	}
	if k >= 10 {
		labels, values = append(labels, "MRR@10"), append(values, fmt.Sprintf("%.3f", mrr))
	}
	fmt.Fprintf(w, "%s %s\t%s\t(%s)\n", name, strings.Join(labels, " / "), strings.Join(values, " / "), plural(questions, "question"))
}
