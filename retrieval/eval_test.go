package retrieval

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/attache-bot/attache/corpus"
	"github.com/attache-bot/attache/retrieval/question"
)

// evalDir is where the shared evaluation set lives, relative to this
// package; ATTACHE_EVAL_DIR overrides it.
func evalDir() string {
	if d := os.Getenv("ATTACHE_EVAL_DIR"); d != "" {
		return d
	}
	return filepath.Join("..", "..", "shared", "eval")
}

// TestEvalDev runs the full evaluation on the dev split. It ingests
// thousands of articles, so it only runs when asked: ATTACHE_EVAL=1 and the
// eval files present.
//
//	ATTACHE_EVAL=1 go test ./retrieval -run TestEvalDev -v -timeout 20m
func TestEvalDev(t *testing.T) {
	if os.Getenv("ATTACHE_EVAL") != "1" {
		t.Skip("SKIPPED: the dev evaluation ingests thousands of articles and takes minutes; set ATTACHE_EVAL=1 to run it")
	}
	dir := evalDir()
	corpusPath := filepath.Join(dir, "corpus.jsonl")
	qPath := filepath.Join(dir, "questions-dev.jsonl")
	for _, p := range []string{corpusPath, qPath} {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("SKIPPED: eval file missing (%v); set ATTACHE_EVAL_DIR", err)
		}
	}
	qs, err := LoadQuestions(qPath)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Evaluate(context.Background(), EvalOptions{
		CorpusPath: corpusPath, Questions: qs, K: 10,
		Answer: evalAnswerer(), TempDir: t.TempDir(),
	})
	if err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal(rep)
	t.Logf("eval: %s", out)
	t.Logf("articles %d, rejected %d", rep.Articles, len(rep.Rejected))
	if os.Getenv("ATTACHE_EVAL_MISSES") == "1" {
		for i, r := range rep.Results {
			if r.Rank != 1 {
				t.Logf("miss rank=%d %s [%s] %s", r.Rank, qs[i].QuestionDate, qs[i].EvidenceType, qs[i].Question)
			}
		}
	}
}

// evalAnswerer is the answerer used by TestEvalDev: the engine's own.
func evalAnswerer() Answerer { return nil }

func TestLoadQuestions(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.jsonl", `{"id":"q1","question":"Who won?","answers":["Norland"],"evidence_ids":["a1"],"question_date":"2025-07-28","evidence_type":"gold_link","extra":1}

{"id":"q2","question":"Where?","answers":["Oslo"],"evidence_ids":["a2","a3"],"question_date":"2025-07-01"}
`)
	qs, err := LoadQuestions(good)
	if err != nil {
		t.Fatal(err)
	}
	neg, err := LoadQuestions(write("neg.jsonl", `{"id":"n1","question":"Who won in Zembla?","answers":[],"evidence_ids":[],"question_date":"2025-07-28","unanswerable":true}`))
	if err != nil || len(neg) != 1 || !neg[0].Unanswerable {
		t.Fatalf("an unanswerable question without evidence: %+v, %v", neg, err)
	}
	if len(qs) != 2 || !qs[0].GoldLink() || qs[1].GoldLink() || qs[1].EvidenceIDs[1] != "a3" {
		t.Fatalf("got %+v", qs)
	}
	for name, body := range map[string]string{
		"malformed.jsonl":         `{"id":"q1","question":"Who?","answers":["x"],"evidence_ids":["a"],"question_date":"2025-07-28"}` + "\n{not json\n",
		"nodate.jsonl":            `{"id":"q1","question":"Who?","answers":["x"],"evidence_ids":["a"],"question_date":"July"}`,
		"noevid.jsonl":            `{"id":"q1","question":"Who?","answers":["x"],"question_date":"2025-07-28"}`,
		"noevid-answerable.jsonl": `{"id":"q1","question":"Who?","answers":[],"evidence_ids":[],"question_date":"2025-07-28","unanswerable":false}`,
		"notext.jsonl":            `{"id":"q1","question":"  ","answers":["x"],"evidence_ids":["a"],"question_date":"2025-07-28"}`,
		"empty.jsonl":             "",
		"long.jsonl":              `{"id":"` + strings.Repeat("x", maxQuestionLine+10) + `"}`,
	} {
		_, err := LoadQuestions(write(name, body))
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		if name == "malformed.jsonl" && !strings.Contains(err.Error(), "line 2") {
			t.Errorf("%s: error %q does not name line 2", name, err)
		}
	}
	if _, err := LoadQuestions(filepath.Join(dir, "missing.jsonl")); err == nil {
		t.Error("missing file: no error")
	}
	if _, err := LoadQuestions(dir); err == nil {
		t.Error("directory: no error")
	}
}

func TestContainsWholeWord(t *testing.T) {
	for _, c := range []struct {
		text, needle string
		want         bool
	}{
		{"The answer is Colombia.", "colombia", true},
		{"Colombian leaders", "Colombia", false},
		{"raised to 17 years", "17", true},
		{"raised to 170", "17", false},
		{"a “Squid Game” season", "“Squid Game”", true},
		{"a Squid Game season", "Squid Game", true},
		{"Bed Bath & Beyond cut AC", "Bed Bath & Beyond", true},
		{"", "x", false},
		{"x", "  ", false},
		{"İstanbul talks", "talks", true},
		{"prefix-Ford-suffix", "Ford", true},
		{"Fordham", "Ford", false},
	} {
		if got := containsWholeWord(c.text, c.needle); got != c.want {
			t.Errorf("containsWholeWord(%q, %q) = %v", c.text, c.needle, got)
		}
	}
}

func TestScoreAnswer(t *testing.T) {
	q := EvalQuestion{Answers: []string{"Oslo", "1"}, EvidenceIDs: []string{"a2"}}
	src := []Source{{N: 1, ArticleID: "a1"}, {N: 2, ArticleID: "a2"}}
	for _, c := range []struct {
		text       string
		hit, cited bool
	}{
		{"The talks were in Oslo [2].", true, true},
		{"The talks were in Oslo [1]. Later more [2].", true, false},
		{"Talks were held [1]. Venue: Oslo [1][2].", true, true},
		{"Nothing relevant [1].", false, false}, // "[1]" is not the answer "1"
		{"Oslo.", true, false},
	} {
		hit, cited := scoreAnswer(Answer{Text: c.text, Sources: src}, q)
		if hit != c.hit || cited != c.cited {
			t.Errorf("%q: hit=%v cited=%v, want %v %v", c.text, hit, cited, c.hit, c.cited)
		}
	}
}

func TestPercentileAndRanks(t *testing.T) {
	xs := []float64{5, 1, 3, 2, 4}
	if p := percentile(xs, 50); p != 3 {
		t.Errorf("p50 = %v", p)
	}
	if p := percentile(xs, 95); p != 5 {
		t.Errorf("p95 = %v", p)
	}
	if p := percentile(nil, 50); p != 0 {
		t.Errorf("p50(nil) = %v", p)
	}
	var s rankStats
	for _, r := range []int{1, 2, 0, 6} {
		s.add(r)
	}
	if s.recall(1) != 0.25 || s.recall(5) != 0.5 || s.recall(10) != 0.75 {
		t.Errorf("recall %v %v %v", s.recall(1), s.recall(5), s.recall(10))
	}
	if want := (1 + 0.5 + 1.0/6) / 4; s.mrr() != want {
		t.Errorf("mrr %v, want %v", s.mrr(), want)
	}
}

// TestEvaluateSmall runs Evaluate end to end on a tiny corpus of its own.
func TestEvaluateSmall(t *testing.T) {
	dir := t.TempDir()
	corpusPath := filepath.Join(dir, "corpus.jsonl")
	lines := []string{
		`{"id":"ev-1","title":"Norland and Vesteria sign fishing accord","source":"Test Wire","url":"https://example.test/a1","published":"2025-07-20","body":"Norland and Vesteria signed a fishing accord in Oslo on Sunday, ending a decade of disputes over the Grey Sea quotas."}`,
		`{"id":"ev-2","title":"Quorvian parliament elects speaker","source":"Test Wire","url":"https://example.test/a2","published":"2025-07-21","body":"The Quorvian parliament elected Mira Tandel as speaker after three rounds of voting."}`,
		`{"id":"ev-3","title":"Future story","source":"Test Wire","url":"https://example.test/a3","published":"2025-09-01","body":"Norland and Vesteria fishing accord collapses in Oslo."}`,
		`{"id":"ev-bad","title":"","body":"no title"}`,
	}
	if err := os.WriteFile(corpusPath, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	qs := []EvalQuestion{
		{ID: "q1", Question: "Where did Norland and Vesteria sign a fishing accord?", Answers: []string{"Oslo"}, EvidenceIDs: []string{"ev-1"}, QuestionDate: "2025-07-28", EvidenceType: "gold_link"},
		{ID: "q2", Question: "Who was elected speaker of the Quorvian parliament this week?", Answers: []string{"Mira Tandel"}, EvidenceIDs: []string{"ev-2"}, QuestionDate: "2025-07-25"},
	}
	answered := 0
	rep, err := Evaluate(context.Background(), EvalOptions{
		CorpusPath: corpusPath, Questions: qs, K: 10, TempDir: dir,
		Answer: func(ctx context.Context, e *Engine, req Request) (Answer, error) {
			answered++
			ps, err := e.Search(ctx, Query{Text: req.Question, Scope: req.Scope, AsOf: req.AsOf, K: 1})
			if err != nil || len(ps) == 0 {
				return Answer{Mode: ModeNone}, err
			}
			if ps[0].Published.After(req.AsOf) {
				t.Errorf("answer saw a future article %s", ps[0].ArticleID)
			}
			return Answer{Text: ps[0].Text + " [1]", Mode: ModeExtractive,
				Sources: []Source{{N: 1, ArticleID: ps[0].ArticleID}}}, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Questions != 2 || rep.K != 10 || rep.Articles != 3 || len(rep.Rejected) != 1 || answered != 2 {
		t.Fatalf("report %+v", rep)
	}
	if rep.RecallAt1 != 1 || rep.MRRAt10 != 1 || rep.GoldLink.Questions != 1 || rep.GoldLink.RecallAt1 != 1 {
		t.Fatalf("retrieval %+v", rep)
	}
	if rep.AnswerHit != 1 || rep.CitationPrecision != 1 || rep.Mode != "extractive" {
		t.Fatalf("answers %+v", rep)
	}
	if rep.IngestSeconds <= 0 || rep.QueryMsP50 <= 0 || rep.QueryMsP95 < rep.QueryMsP50 {
		t.Fatalf("timings %+v", rep)
	}
	// The throw-away library is gone.
	left, _ := filepath.Glob(filepath.Join(dir, "attache-eval-*"))
	if len(left) != 0 {
		t.Fatalf("temporary library left behind: %v", left)
	}
	js, _ := json.Marshal(rep)
	var m map[string]any
	if err := json.Unmarshal(js, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"questions", "k", "recall_at_1", "recall_at_5", "recall_at_10", "mrr_at_10", "answer_hit",
		"citation_precision", "gold_link", "query_ms_p50", "query_ms_p95", "ingest_seconds", "mode", "recall_at_k", "mrr_at_k"} {
		if _, ok := m[k]; !ok {
			t.Errorf("JSON lacks %q", k)
		}
	}
	if len(m) != 18 {
		t.Errorf("JSON has %d keys, want 18: %s", len(m), js)
	}
	_ = time.Now
	_ = corpus.SharedScope
}

// openEvalLibrary opens the library kept in dir between tuning runs and an
// engine over it with the default configuration; both close with the test.
func openEvalLibrary(t *testing.T, dir string) (*corpus.Library, *Engine) {
	t.Helper()
	lib, err := corpus.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lib.Close() })
	e, err := New(context.Background(), lib, Config{})
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
//	ATTACHE_EVAL=1 ATTACHE_EVAL_LIB=/tmp/attache-evallib go test ./retrieval -run TestEvalTune -v
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
	variants := map[string]func(*ranking){"default": func(*ranking) {}}
	// A variant may combine several with "+", e.g. "cov1+b05".
	for _, name := range strings.Split(os.Getenv("ATTACHE_EVAL_VARIANTS"), ",") {
		var fs []func(*ranking)
		for _, part := range strings.Split(name, "+") {
			if f, ok := tuneVariants[part]; ok {
				fs = append(fs, f)
			}
		}
		if len(fs) > 0 && name != "" {
			variants[name] = func(r *ranking) {
				for _, f := range fs {
					f(r)
				}
			}
		}
	}
	for name, f := range variants {
		rk := defaultRanking()
		f(&rk)
		e.rank = rk
		start := time.Now()
		rep, err := evaluateEngine(ctx, e, EvalOptions{Questions: qs, K: 10, RetrievalOnly: os.Getenv("ATTACHE_EVAL_ANSWERS") != "1"})
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
					if a := e.ix.articles[id]; a != nil {
						ev = append(ev, a.Published.Format(corpus.DateLayout))
					}
				}
				top := ""
				if len(r.Retrieved) > 0 {
					if a := e.ix.articles[r.Retrieved[0]]; a != nil {
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
var tuneVariants = map[string]func(*ranking){
	"grace1":    func(r *ranking) { r.AsOfGraceDays = 1 },
	"novec":     func(r *ranking) { r.VectorWeight = 0 },
	"nochunkbm": func(r *ranking) { r.TextWeight = 0 },
	"noartbm":   func(r *ranking) { r.ArticleTextWeight = 0 },
	"norecency": func(r *ranking) { r.RecencyBoost = 0 },
	"recency2":  func(r *ranking) { r.RecencyBoost = 2 },
	"tau7":      func(r *ranking) { r.RecencyHalfLifeDays = 7 },
	"tau30":     func(r *ranking) { r.RecencyHalfLifeDays = 30 },
	"nosecond":  func(r *ranking) { r.SecondChunkWeight = 0 },
	"slack0":    func(r *ranking) { r.WindowSlackDays = 0 },
	"slack1":    func(r *ranking) { r.WindowSlackDays = 1 },
	"slack3":    func(r *ranking) { r.WindowSlackDays = 3 },
	"nowindow":  func(r *ranking) { r.WindowSlackDays = -1000 },
	"vec03":     func(r *ranking) { r.VectorWeight = 0.3 },
	"vec08":     func(r *ranking) { r.VectorWeight = 0.8 },
	"slack5":    func(r *ranking) { r.WindowSlackDays = 5 },
	"slack7":    func(r *ranking) { r.WindowSlackDays = 7 },
	"art05":     func(r *ranking) { r.ArticleTextWeight = 0.5 },
	"cov0":      func(r *ranking) { r.CoverRankWeight = 0 },
	"rb1":       func(r *ranking) { r.RecencyBoost = 1 },
	"cov05":     func(r *ranking) { r.CoverRankWeight = 0.5 },
	"cov1":      func(r *ranking) { r.CoverRankWeight = 1 },
	"cov2":      func(r *ranking) { r.CoverRankWeight = 2 },
	"second04":  func(r *ranking) { r.SecondChunkWeight = 0.4 },
	"vc120":     func(r *ranking) { r.VectorCandidates = 120 },
	"rb15":      func(r *ranking) { r.RecencyBoost = 1.5 },
	"tau10":     func(r *ranking) { r.RecencyHalfLifeDays = 10 },
	"tau20":     func(r *ranking) { r.RecencyHalfLifeDays = 20 },
	"art2":      func(r *ranking) { r.ArticleTextWeight = 2 },
}

// TestEvalCalibrate prints the distribution of the best passage's score for
// the dev questions as of their date (answerable) and as of a date before
// almost all of the corpus (mostly unanswerable), to choose
// DefaultMinScore.
//
//	ATTACHE_EVAL=1 ATTACHE_EVAL_LIB=/tmp/attache-evallib go test ./retrieval -run TestEvalCalibrate -v
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
		ps, err := e.Search(ctx, Query{Text: q, AsOf: asOf, K: 1})
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
