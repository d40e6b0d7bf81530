package evaluate

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/attache-bot/attache/corpus"
	"github.com/attache-bot/attache/retrieval"
)

// evalDir is where the shared evaluation set lives, relative to this
// package; ATTACHE_EVAL_DIR overrides it.
func evalDir() string {
	if d := os.Getenv("ATTACHE_EVAL_DIR"); d != "" {
		return d
	}
	return filepath.Join("..", "..", "..", "shared", "eval")
}

// TestEvalDev runs the full evaluation on the dev split. It ingests
// thousands of articles, so it only runs when asked: ATTACHE_EVAL=1 and the
// eval files present.
//
//	ATTACHE_EVAL=1 go test ./retrieval/evaluate -run TestEvalDev -v -timeout 20m
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
	rep, err := Run(context.Background(), Options{
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

func TestScoreAnswer(t *testing.T) {
	q := Question{Answers: []string{"Oslo", "1"}, EvidenceIDs: []string{"a2"}}
	src := []retrieval.Source{{N: 1, ArticleID: "a1"}, {N: 2, ArticleID: "a2"}}
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
		hit, cited := scoreAnswer(retrieval.Answer{Text: c.text, Sources: src}, q)
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
	qs := []Question{
		{ID: "q1", Question: "Where did Norland and Vesteria sign a fishing accord?", Answers: []string{"Oslo"}, EvidenceIDs: []string{"ev-1"}, QuestionDate: "2025-07-28", EvidenceType: "gold_link"},
		{ID: "q2", Question: "Who was elected speaker of the Quorvian parliament this week?", Answers: []string{"Mira Tandel"}, EvidenceIDs: []string{"ev-2"}, QuestionDate: "2025-07-25"},
	}
	answered := 0
	rep, err := Run(context.Background(), Options{
		CorpusPath: corpusPath, Questions: qs, K: 10, TempDir: dir,
		Answer: func(ctx context.Context, e *retrieval.Engine, req retrieval.Request) (retrieval.Answer, error) {
			answered++
			ps, err := e.Search(ctx, retrieval.Query{Text: req.Question, Scope: req.Scope, AsOf: req.AsOf, K: 1})
			if err != nil || len(ps) == 0 {
				return retrieval.Answer{Mode: retrieval.ModeNone}, err
			}
			if ps[0].Published.After(req.AsOf) {
				t.Errorf("answer saw a future article %s", ps[0].ArticleID)
			}
			return retrieval.Answer{Text: ps[0].Text + " [1]", Mode: retrieval.ModeExtractive,
				Sources: []retrieval.Source{{N: 1, ArticleID: ps[0].ArticleID}}}, nil
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
