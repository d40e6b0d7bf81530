package main

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// evalObject decodes "eval -json" strictly (interface.md).
type evalObject struct {
	Questions         int      `json:"questions"`
	K                 int      `json:"k"`
	RecallAt1         float64  `json:"recall_at_1"`
	RecallAt5         *float64 `json:"recall_at_5"`  // absent when k < 5
	RecallAt10        *float64 `json:"recall_at_10"` // absent when k < 10
	MRRAt10           *float64 `json:"mrr_at_10"`    // absent when k < 10
	RecallAtK         *float64 `json:"recall_at_k"`
	MRRAtK            *float64 `json:"mrr_at_k"`
	AnswerHit         float64  `json:"answer_hit"`
	CitationPrecision float64  `json:"citation_precision"`
	GoldLink          struct {
		Questions int      `json:"questions"`
		RecallAt1 float64  `json:"recall_at_1"`
		RecallAt5 *float64 `json:"recall_at_5"`
		MRRAt10   *float64 `json:"mrr_at_10"`
	} `json:"gold_link"`
	Unanswerable struct {
		Questions   int     `json:"questions"`
		RefusalRate float64 `json:"refusal_rate"`
	} `json:"unanswerable"`
	FalseRefusalRate float64 `json:"false_refusal_rate"`
	ByType           map[string]struct {
		Questions int      `json:"questions"`
		RecallAt1 float64  `json:"recall_at_1"`
		RecallAt5 *float64 `json:"recall_at_5"`
		MRRAt10   *float64 `json:"mrr_at_10"`
	} `json:"by_type"`
	QueryMsP50    float64 `json:"query_ms_p50"`
	QueryMsP95    float64 `json:"query_ms_p95"`
	IngestSeconds float64 `json:"ingest_seconds"`
	Mode          string  `json:"mode"`
}

// TestEval runs eval over a small corpus and question set of our own: the
// JSON has the documented shape, the easy questions are answered, and the
// data directory is never touched.
func TestEval(t *testing.T) {
	c := newCLI(t)
	corpusFile := writeFile(t, c.dir, "corpus.jsonl", strings.Join([]string{
		jsonlRecord("ev-1", "Marvok summit ends", "Wire", "2025-04-01", "The Marvok summit ended in Tallinn with a joint statement on fishing rights."),
		jsonlRecord("ev-2", "Trelane dam talks", "Wire", "2025-04-02", "Engineers from both countries met in Lusaka to inspect the Trelane dam."),
		jsonlRecord("ev-3", "Quendor election", "Wire", "2025-04-03", "Voters in Quendor elected Ilsa Varn as president after a close race."),
	}, "\n"))
	questions := writeFile(t, c.dir, "questions.jsonl", strings.Join([]string{
		`{"id": "q1", "question": "Where did the Marvok summit end?", "answers": ["Tallinn"], "evidence_ids": ["ev-1"], "question_date": "2025-04-05", "evidence_type": "gold_link"}`,
		`{"id": "q2", "question": "Who was elected president of Quendor?", "answers": ["Ilsa Varn"], "evidence_ids": ["ev-3"], "question_date": "2025-04-05"}`,
		`{"id": "q3", "question": "What is the latest on the Trelane dam?", "answers": [], "evidence_ids": ["ev-2"], "question_date": "2025-04-05", "evidence_type": "latest"}`,
		`{"id": "n1", "question": "Who won the election in Zembla?", "answers": [], "evidence_ids": [], "question_date": "2025-04-05", "unanswerable": true}`,
	}, "\n"))
	details := filepath.Join(c.dir, "details.jsonl")
	r := c.mustRun(0, "eval", "-json", "-corpus", corpusFile, "-questions", questions, "-k", "5", "-details", details)
	var obj evalObject
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&obj); err != nil {
		t.Fatalf("eval -json does not decode: %v\n%s", err, r.stdout)
	}
	if obj.Questions != 3 || obj.K != 5 || obj.GoldLink.Questions != 1 || obj.Mode != "extractive" {
		t.Errorf("eval -json = %+v; want 3 answerable questions, k 5, 1 gold_link, extractive", obj)
	}
	// -k 5 retrieves 5 articles: nothing claims to be measured at 10.
	if obj.RecallAt5 == nil || obj.RecallAt10 != nil || obj.MRRAt10 != nil || obj.RecallAtK == nil || *obj.RecallAtK != 1 ||
		obj.MRRAtK == nil || *obj.MRRAtK != 1 || obj.GoldLink.MRRAt10 != nil || obj.GoldLink.RecallAt5 == nil {
		t.Errorf("eval -json -k 5 reports cut-offs beyond k, or lacks recall_at_k / mrr_at_k:\n%s", r.stdout)
	}
	if obj.Unanswerable.Questions != 1 || obj.Unanswerable.RefusalRate != 1 || obj.FalseRefusalRate != 0 {
		t.Errorf("eval -json unanswerable = %+v, false_refusal_rate %v; want 1 question refused, 0", obj.Unanswerable, obj.FalseRefusalRate)
	}
	if obj.ByType["latest"].Questions != 1 || obj.ByType["latest"].RecallAt1 != 1 || obj.ByType["gold_link"].Questions != 1 {
		t.Errorf("eval -json by_type = %+v; want latest and gold_link, one question each, found first", obj.ByType)
	}
	lines := strings.Split(strings.TrimSpace(readFile(t, details)), "\n")
	if len(lines) != 4 {
		t.Fatalf("details has %d lines, want 4:\n%s", len(lines), strings.Join(lines, "\n"))
	}
	var d struct {
		ID           string `json:"id"`
		Question     string `json:"question"`
		AsOf         string `json:"asof"`
		Mode         string `json:"mode"`
		EvidenceRank int    `json:"evidence_rank"`
		Articles     []struct {
			ID        string `json:"id"`
			Published string `json:"published"`
		} `json:"articles"`
		Answer string `json:"answer"`
	}
	dd := json.NewDecoder(strings.NewReader(lines[0]))
	dd.DisallowUnknownFields()
	if err := dd.Decode(&d); err != nil {
		t.Fatalf("details line does not decode: %v\n%s", err, lines[0])
	}
	if d.ID != "q1" || d.AsOf != "2025-04-05" || d.Mode != "extractive" || d.EvidenceRank != 1 ||
		len(d.Articles) == 0 || d.Articles[0].ID != "ev-1" || d.Articles[0].Published != "2025-04-01" || !strings.Contains(d.Answer, "Tallinn") {
		t.Errorf("details line 1 = %+v", d)
	}
	if !strings.Contains(lines[3], `"mode":"none"`) {
		t.Errorf("details line for the unanswerable question: %s", lines[3])
	}
	c.mustRun(1, "eval", "-corpus", corpusFile, "-questions", questions, "-details", filepath.Join(c.dir, "no-such-dir", "d.jsonl"))
	if obj.RecallAt1 != 1 || obj.AnswerHit == 0 {
		t.Errorf("eval on easy questions: recall@1 %v, answer_hit %v; want 1 and > 0", obj.RecallAt1, obj.AnswerHit)
	}
	if _, err := os.Stat(filepath.Join(c.dir, "data")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("eval touched the data directory: %v", err)
	}

	text := c.mustRun(0, "eval", "-corpus", corpusFile, "-questions", questions)
	for _, want := range []string{"recall@1", "MRR@10", "answer hit", "gold_link", "(1 question)", "(1 unanswerable question)"} {
		if !strings.Contains(text.stdout, want) {
			t.Errorf("eval report lacks %q:\n%s", want, text.stdout)
		}
	}
	if strings.Contains(text.stdout, "(1 questions)") {
		t.Errorf("eval report says \"(1 questions)\":\n%s", text.stdout)
	}
	text = c.mustRun(0, "eval", "-corpus", corpusFile, "-questions", questions, "-k", "3")
	if strings.Contains(text.stdout, "@5") || strings.Contains(text.stdout, "@10") || !strings.Contains(text.stdout, "recall@3") {
		t.Errorf("eval -k 3 report shows cut-offs beyond k or lacks recall@3:\n%s", text.stdout)
	}
	var k10 map[string]any
	if err := json.Unmarshal([]byte(c.mustRun(0, "eval", "-json", "-corpus", corpusFile, "-questions", questions).stdout), &k10); err != nil ||
		k10["recall_at_10"] == nil || k10["mrr_at_10"] == nil || k10["recall_at_k"] != k10["recall_at_10"] {
		t.Errorf("eval -json with the default k: %v %v", k10, err)
	}

	c.mustRun(2, "eval")
	c.mustRun(2, "eval", "-corpus", corpusFile)
	c.mustRun(2, "eval", "-corpus", corpusFile, "-questions", questions, "-k", "0")
	c.mustRun(2, "eval", "-corpus", corpusFile, "-questions", questions, "-k", "101")
	c.mustRun(2, "eval", "-corpus", corpusFile, "-questions", questions, "-k", "ten")
	c.mustRun(2, "eval", "-corpus", corpusFile, "-questions", questions, "extra")
	c.mustRun(1, "eval", "-corpus", filepath.Join(c.dir, "missing.jsonl"), "-questions", questions)
	c.mustRun(1, "eval", "-corpus", corpusFile, "-questions", writeFile(t, c.dir, "empty.jsonl", ""))
	c.mustRun(1, "eval", "-corpus", writeFile(t, c.dir, "empty-corpus.jsonl", "\n\n"), "-questions", questions)
	c.mustRun(1, "eval", "-corpus", corpusFile, "-questions", filepath.Join(c.dir, "missing.jsonl"))
	bad := writeFile(t, c.dir, "bad.jsonl", "{not json}\n")
	r = c.mustRun(1, "eval", "-corpus", corpusFile, "-questions", bad)
	if !strings.Contains(r.stderr, "line 1") {
		t.Errorf("a malformed questions file: the error does not name the line:\n%s", r)
	}
}

// TestProgressFuncNotTerminal checks that progress callbacks draw nothing
// when stderr is not a terminal (output redirected to a file or a pipe)
// and survive odd totals.
func TestProgressFuncNotTerminal(t *testing.T) {
	var w strings.Builder
	p := progressFunc(&w, "asking")
	for _, c := range [][2]int{{0, 0}, {1, 3}, {3, 3}, {5, 3}, {1, -1}} {
		p(c[0], c[1])
	}
	if w.Len() != 0 {
		t.Errorf("progress on a non-terminal wrote %q", w.String())
	}
}
