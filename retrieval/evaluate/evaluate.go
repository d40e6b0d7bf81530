package evaluate

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/attache-bot/attache/corpus"
	"github.com/attache-bot/attache/corpus/lang"
	"github.com/attache-bot/attache/retrieval"
)

// Question is one question of an evaluation set (the JSON Lines format
// of the shared eval files; unknown fields are ignored).
type Question struct {
	ID           string   `json:"id"`
	Question     string   `json:"question"`
	Answers      []string `json:"answers"`
	EvidenceIDs  []string `json:"evidence_ids"`
	QuestionDate string   `json:"question_date"` // YYYY-MM-DD: the question is asked as of this date
	EvidenceType string   `json:"evidence_type"` // "gold_link" marks hand-linked evidence
	// Unanswerable marks a question the corpus does not cover: the right
	// answer is retrieval.ModeNone, and it needs no evidence or answers.
	Unanswerable bool `json:"unanswerable"`
}

// GoldLink reports whether the question's evidence was linked by hand.
func (q Question) GoldLink() bool { return q.EvidenceType == "gold_link" }

// maxQuestionLine bounds one line of a questions file.
const maxQuestionLine = 1 << 20

// LoadQuestions reads a JSON Lines file of Question. Blank lines are
// skipped; a malformed line, a question without text, without evidence or
// with a bad date is an error naming its line. A question marked
// unanswerable needs no evidence.
func LoadQuestions(path string) ([]Question, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("questions: %w", err)
	}
	defer f.Close()
	qs, err := readQuestions(f)
	if err != nil {
		return nil, fmt.Errorf("questions %s: %w", path, err)
	}
	return qs, nil
}

// readQuestions is LoadQuestions over a reader.
func readQuestions(r io.Reader) ([]Question, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxQuestionLine)
	var qs []Question
	line := 0
	for sc.Scan() {
		line++
		b := sc.Bytes()
		if len(strings.TrimSpace(string(b))) == 0 {
			continue
		}
		var q Question
		if err := json.Unmarshal(b, &q); err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		switch {
		case strings.TrimSpace(q.Question) == "":
			return nil, fmt.Errorf("line %d: question has no text", line)
		case len(q.EvidenceIDs) == 0 && !q.Unanswerable:
			return nil, fmt.Errorf("line %d: question has no evidence_ids", line)
		}
		if _, err := time.Parse(corpus.DateLayout, q.QuestionDate); err != nil {
			return nil, fmt.Errorf("line %d: question_date %q is not YYYY-MM-DD", line, q.QuestionDate)
		}
		qs = append(qs, q)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fmt.Errorf("line %d: longer than %d bytes", line+1, maxQuestionLine)
		}
		return nil, err
	}
	if len(qs) == 0 {
		return nil, errors.New("no questions")
	}
	return qs, nil
}

// Report is the result of an evaluation, in the JSON shape of
// `attache eval -json`.
type Report struct {
	Questions         int           `json:"questions"`
	K                 int           `json:"k"`
	RecallAt1         float64       `json:"recall_at_1"`
	RecallAt5         float64       `json:"recall_at_5"`
	RecallAt10        float64       `json:"recall_at_10"`
	MRRAt10           float64       `json:"mrr_at_10"`
	AnswerHit         float64       `json:"answer_hit"`
	CitationPrecision float64       `json:"citation_precision"`
	GoldLink          GoldLinkScore `json:"gold_link"`
	// Unanswerable scores the questions the corpus does not cover; they
	// count nowhere else.
	Unanswerable UnanswerableScore `json:"unanswerable"`
	// FalseRefusalRate is the share of the other questions answered
	// retrieval.ModeNone.
	FalseRefusalRate float64 `json:"false_refusal_rate"`
	// ByType is the retrieval score for each evidence_type present.
	ByType        map[string]TypeScore `json:"by_type"`
	QueryMsP50    float64              `json:"query_ms_p50"`
	QueryMsP95    float64              `json:"query_ms_p95"`
	IngestSeconds float64              `json:"ingest_seconds"`
	Mode          string               `json:"mode"`
	// RecallAtK and MRRAtK are over the K ranks evaluated (equal to
	// RecallAt10 and MRRAt10 for the default K = 10): with a smaller K the
	// fixed cut-offs above it cannot be measured.
	RecallAtK float64 `json:"recall_at_k"`
	MRRAtK    float64 `json:"mrr_at_k"`

	// Details for a human-readable report; not part of the JSON.
	Articles int      `json:"-"` // articles ingested
	Rejected []string `json:"-"` // corpus records rejected, with reasons
	Results  []Result `json:"-"` // per question, in input order
}

// GoldLinkScore is the retrieval score over gold_link questions only.
type GoldLinkScore struct {
	Questions int     `json:"questions"`
	RecallAt1 float64 `json:"recall_at_1"`
	RecallAt5 float64 `json:"recall_at_5"`
	MRRAt10   float64 `json:"mrr_at_10"`
}

// UnanswerableScore scores the questions marked unanswerable.
type UnanswerableScore struct {
	Questions   int     `json:"questions"`
	RefusalRate float64 `json:"refusal_rate"` // share answered retrieval.ModeNone
}

// TypeScore is the retrieval score over the questions of one evidence_type.
type TypeScore struct {
	Questions int     `json:"questions"`
	RecallAt1 float64 `json:"recall_at_1"`
	RecallAt5 float64 `json:"recall_at_5"`
	MRRAt10   float64 `json:"mrr_at_10"`
}

// Result is the outcome of one question.
type Result struct {
	ID        string
	Question  string
	AsOf      string   // YYYY-MM-DD
	Rank      int      // 1-based rank of the first evidence article, 0 = not in the top K
	Retrieved []string // article ids, best first
	Published []string // the retrieved articles' dates (YYYY-MM-DD or ""), in the same order
	Answer    string
	Mode      retrieval.Mode
	Hit       bool // the answer contains a gold answer
	CitedHit  bool // a sentence with the gold answer cites an evidence article
	Millis    float64
}

// Answerer answers one request; Run uses it for the answer metrics.
type Answerer func(ctx context.Context, e *retrieval.Engine, req retrieval.Request) (retrieval.Answer, error)

// Options configures Run.
type Options struct {
	CorpusPath string     // articles (any format ImportFile reads, usually .jsonl)
	Questions  []Question // from LoadQuestions
	K          int        // ranks considered; 0 = 10
	// Config is the engine configuration (embedder, LLM, ranking).
	Config retrieval.Config
	// Answer produces answers for answer_hit and citation_precision; nil =
	// the engine's own Answer (LLM or extractive, as configured).
	Answer Answerer
	// RetrievalOnly skips answering: answer metrics stay 0 and mode is
	// "retrieval".
	RetrievalOnly bool
	// TempDir is where the throw-away library is made; "" = os.TempDir().
	TempDir string
	// Open, when not nil, makes the throw-away library instead (TempDir is
	// then ignored): a new, empty store, and the function that closes and
	// discards it (a PostgreSQL schema dropped at the end, for example).
	Open func(ctx context.Context) (corpus.Store, func() error, error)
	// IngestProgress, if not nil, is called after each corpus article.
	IngestProgress func(done, total int)
	// QuestionProgress, if not nil, is called after each question.
	QuestionProgress func(done, total int)
	// Details, if not nil, receives one JSON line per question
	// (Detail), in input order, as each is scored.
	Details io.Writer
}

// Detail is one line of the -details file: what one question got, for
// failure analysis.
type Detail struct {
	ID           string          `json:"id"`
	Question     string          `json:"question"`
	AsOf         string          `json:"asof"`
	Mode         retrieval.Mode  `json:"mode"`
	EvidenceRank int             `json:"evidence_rank"` // 1-based; 0 = not retrieved
	Articles     []DetailArticle `json:"articles"`
	Answer       string          `json:"answer"`
}

// DetailArticle is one retrieved article of an Detail.
type DetailArticle struct {
	ID        string `json:"id"`
	Published string `json:"published"`
}

// detail is r as a -details line.
func (r Result) detail() Detail {
	d := Detail{ID: r.ID, Question: r.Question, AsOf: r.AsOf, Mode: r.Mode, EvidenceRank: r.Rank,
		Articles: make([]DetailArticle, len(r.Retrieved)), Answer: r.Answer}
	for i, id := range r.Retrieved {
		d.Articles[i] = DetailArticle{ID: id, Published: r.Published[i]}
	}
	return d
}

// Run builds a throw-away library from the corpus file (opts.Open's, or in a new
// temporary directory, removed afterwards; never the data directory),
// asks every question as of its question_date, and scores retrieval over
// distinct articles and, with an Answerer, the answers.
//
// query_ms is the time of one question: the answer (which includes its own
// search) when there is an Answerer, else the search.
func Run(ctx context.Context, opts Options) (Report, error) {
	if len(opts.Questions) == 0 {
		return Report{}, errors.New("eval: no questions")
	}
	k := opts.K
	if k <= 0 {
		k = 10
	}
	lib, discard, err := openTemp(ctx, opts)
	if err != nil {
		return Report{}, fmt.Errorf("eval: %w", err)
	}
	defer discard()
	e, err := retrieval.New(ctx, lib, opts.Config)
	if err != nil {
		return Report{}, fmt.Errorf("eval: %w", err)
	}

	rep := Report{K: k}
	start := time.Now()
	imp, err := corpus.ImportFile(opts.CorpusPath, corpus.ImportOptions{Scope: corpus.SharedScope, MaxBodyBytes: opts.Config.MaxBodyBytes})
	if err != nil {
		return Report{}, fmt.Errorf("eval: corpus: %w", err)
	}
	for _, r := range imp.Rejected {
		rep.Rejected = append(rep.Rejected, r.Error())
	}
	arts := make([]corpus.Article, len(imp.Records))
	for i, r := range imp.Records {
		arts[i] = r.Article
	}
	err = e.AddMany(ctx, arts, func(i int, a corpus.Article, st corpus.PutStatus, err error) {
		if err != nil {
			rep.Rejected = append(rep.Rejected, fmt.Sprintf("article %s: %v", a.ID, err))
		} else {
			rep.Articles++
		}
		if opts.IngestProgress != nil {
			opts.IngestProgress(i+1, len(arts))
		}
	})
	if err != nil {
		return Report{}, fmt.Errorf("eval: ingest: %w", err)
	}
	rep.IngestSeconds = time.Since(start).Seconds()

	if err := run(ctx, e, &rep, opts); err != nil {
		return Report{}, err
	}
	return rep, nil
}

// openTemp makes Run's throw-away library: opts.Open's, or a SQLite
// library in a new directory under opts.TempDir, removed by discard.
func openTemp(ctx context.Context, opts Options) (lib corpus.Store, discard func() error, err error) {
	if opts.Open != nil {
		return opts.Open(ctx)
	}
	dir, err := os.MkdirTemp(opts.TempDir, "attache-eval-*")
	if err != nil {
		return nil, nil, err
	}
	sqlite, err := corpus.Open(ctx, dir)
	if err != nil {
		os.RemoveAll(dir)
		return nil, nil, err
	}
	return sqlite, func() error { return errors.Join(sqlite.Close(), os.RemoveAll(dir)) }, nil
}

// RunEngine asks opts.Questions of an engine that already holds the
// corpus (opts.CorpusPath and TempDir are ignored) and scores the answers
// like Run; ingest_seconds stays 0. It lets one ingest serve several
// evaluations, e.g. of different ranking weights.
func RunEngine(ctx context.Context, e *retrieval.Engine, opts Options) (Report, error) {
	if len(opts.Questions) == 0 {
		return Report{}, errors.New("eval: no questions")
	}
	rep := Report{K: opts.K}
	if rep.K <= 0 {
		rep.K = 10
	}
	opts.K = rep.K
	if err := run(ctx, e, &rep, opts); err != nil {
		return Report{}, err
	}
	return rep, nil
}

// evaluate asks every question and fills rep's metrics.
func run(ctx context.Context, e *retrieval.Engine, rep *Report, opts Options) error {
	switch {
	case opts.RetrievalOnly:
		opts.Answer = nil
	case opts.Answer == nil:
		opts.Answer = func(ctx context.Context, e *retrieval.Engine, req retrieval.Request) (retrieval.Answer, error) {
			return e.Answer(ctx, req, nil)
		}
	}
	modes := map[retrieval.Mode]int{}
	var millis []float64
	var details *json.Encoder
	if opts.Details != nil {
		details = json.NewEncoder(opts.Details)
		details.SetEscapeHTML(false)
	}
	for i, q := range opts.Questions {
		res, err := evalOne(ctx, e, q, rep.K, opts.Answer)
		if err != nil {
			return fmt.Errorf("eval: question %s: %w", q.ID, err)
		}
		rep.Results = append(rep.Results, res)
		if details != nil {
			if err := details.Encode(res.detail()); err != nil {
				return fmt.Errorf("eval: details: %w", err)
			}
		}
		millis = append(millis, res.Millis)
		if res.Mode != "" {
			modes[res.Mode]++
		}
		if opts.QuestionProgress != nil {
			opts.QuestionProgress(i+1, len(opts.Questions))
		}
	}
	rep.score(opts.Questions)
	rep.QueryMsP50 = percentile(millis, 50)
	rep.QueryMsP95 = percentile(millis, 95)
	rep.Mode = majorityMode(modes, opts.Answer != nil)
	return nil
}

// evalOne asks one question.
func evalOne(ctx context.Context, e *retrieval.Engine, q Question, k int, answer Answerer) (Result, error) {
	asOf, _ := time.Parse(corpus.DateLayout, q.QuestionDate)
	res := Result{ID: q.ID, Question: q.Question, AsOf: q.QuestionDate}
	t0 := time.Now()
	ps, err := e.Search(ctx, retrieval.Query{Text: q.Question, Scope: corpus.SharedScope, AsOf: asOf, K: k})
	searchTime := time.Since(t0)
	if err != nil && !errors.Is(err, retrieval.ErrEmptyQuery) {
		return res, err
	}
	for i, p := range ps {
		res.Retrieved = append(res.Retrieved, p.ArticleID)
		day := ""
		if !p.Published.IsZero() {
			day = p.Published.UTC().Format(corpus.DateLayout)
		}
		res.Published = append(res.Published, day)
		if res.Rank == 0 && slices.Contains(q.EvidenceIDs, p.ArticleID) {
			res.Rank = i + 1
		}
	}
	res.Millis = float64(searchTime.Microseconds()) / 1000
	if answer == nil {
		return res, nil
	}
	t0 = time.Now()
	ans, err := answer(ctx, e, retrieval.Request{Question: q.Question, Scope: corpus.SharedScope, AsOf: asOf})
	if err != nil {
		return res, fmt.Errorf("answer: %w", err)
	}
	res.Millis = float64(time.Since(t0).Microseconds()) / 1000
	res.Answer, res.Mode = ans.Text, ans.Mode
	res.Hit, res.CitedHit = scoreAnswer(ans, q)
	return res, nil
}

// score fills the aggregate metrics from the per-question results.
// Unanswerable questions count only in rep.Unanswerable; questions without
// gold answers (such as "what's the latest") count in retrieval but not in
// answer_hit.
func (rep *Report) score(qs []Question) {
	var all, gold rankStats
	byType := map[string]*rankStats{}
	hits, cited, answerable, refused, falseRefused, unanswerable := 0, 0, 0, 0, 0, 0
	for i, r := range rep.Results {
		q := qs[i]
		if q.Unanswerable {
			unanswerable++
			if r.Mode == retrieval.ModeNone {
				refused++
			}
			continue
		}
		all.add(r.Rank)
		if q.GoldLink() {
			gold.add(r.Rank)
		}
		if q.EvidenceType != "" {
			if byType[q.EvidenceType] == nil {
				byType[q.EvidenceType] = &rankStats{}
			}
			byType[q.EvidenceType].add(r.Rank)
		}
		if r.Mode == retrieval.ModeNone {
			falseRefused++
		}
		if len(q.Answers) == 0 {
			continue
		}
		answerable++
		if r.Hit {
			hits++
			if r.CitedHit {
				cited++
			}
		}
	}
	rep.Questions = all.n
	rep.RecallAt1, rep.RecallAt5, rep.RecallAt10, rep.MRRAt10 = all.recall(1), all.recall(5), all.recall(10), all.mrr()
	rep.RecallAtK, rep.MRRAtK = all.recall(rep.K), all.mrrAt(rep.K)
	rep.GoldLink = GoldLinkScore{Questions: gold.n, RecallAt1: gold.recall(1), RecallAt5: gold.recall(5), MRRAt10: gold.mrr()}
	rep.AnswerHit = ratio(hits, answerable)
	rep.CitationPrecision = ratio(cited, hits)
	rep.Unanswerable = UnanswerableScore{Questions: unanswerable, RefusalRate: ratio(refused, unanswerable)}
	rep.FalseRefusalRate = ratio(falseRefused, all.n)
	rep.ByType = make(map[string]TypeScore, len(byType))
	for t, s := range byType {
		rep.ByType[t] = TypeScore{Questions: s.n, RecallAt1: s.recall(1), RecallAt5: s.recall(5), MRRAt10: s.mrr()}
	}
}

// rankStats accumulates first-evidence ranks.
type rankStats struct {
	n     int
	ranks []int
}

func (s *rankStats) add(rank int) { s.n++; s.ranks = append(s.ranks, rank) }

func (s *rankStats) recall(k int) float64 {
	c := 0
	for _, r := range s.ranks {
		if r > 0 && r <= k {
			c++
		}
	}
	return ratio(c, s.n)
}

func (s *rankStats) mrr() float64 { return s.mrrAt(10) }

func (s *rankStats) mrrAt(k int) float64 {
	if s.n == 0 {
		return 0
	}
	sum := 0.0
	for _, r := range s.ranks {
		if r > 0 && r <= k {
			sum += 1 / float64(r)
		}
	}
	return sum / float64(s.n)
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// percentile is the nearest-rank percentile of xs (0 for none).
func percentile(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	i := int(float64(len(s))*p/100+0.999999) - 1
	return s[min(max(i, 0), len(s)-1)]
}

// majorityMode names the evaluation's answering mode: the most common mode
// other than "none" among the answers ("retrieval" without answers).
func majorityMode(modes map[retrieval.Mode]int, answered bool) string {
	if !answered {
		return "retrieval"
	}
	best, n := retrieval.ModeNone, 0
	for m, c := range modes {
		if m != retrieval.ModeNone && (c > n || (c == n && m < best)) {
			best, n = m, c
		}
	}
	return string(best)
}

// citationRe matches a citation marker such as "[3]".
var citationRe = regexp.MustCompile(`\[(\d+)\]`)

// citedSegmentRe matches a stretch of answer text followed by the run of
// citation markers that cites it ("… in Oslo [1][3]").
var citedSegmentRe = regexp.MustCompile(`(?s)(.*?)((?:\s*\[\d+\])+)`)

// scoreAnswer reports whether the answer text contains one of q's gold
// answers (case-insensitive, whole word, citation markers removed), and
// whether a cited stretch of the text that contains it cites one of q's
// evidence articles. A cited stretch is the text from the previous
// citation run up to the next one: how both the extractive and the
// generated answers attach [n] to the sentence they support.
func scoreAnswer(a retrieval.Answer, q Question) (hit, cited bool) {
	plain := citationRe.ReplaceAllString(a.Text, " ")
	for _, g := range q.Answers {
		if lang.ContainsWholeWord(plain, g) {
			hit = true
			break
		}
	}
	if !hit {
		return false, false
	}
	articleOf := make(map[int]string, len(a.Sources))
	for _, s := range a.Sources {
		articleOf[s.N] = s.ArticleID
	}
	for _, m := range citedSegmentRe.FindAllStringSubmatch(a.Text, -1) {
		seg := m[1]
		has := false
		for _, g := range q.Answers {
			if lang.ContainsWholeWord(seg, g) {
				has = true
				break
			}
		}
		if !has {
			continue
		}
		for _, c := range citationRe.FindAllStringSubmatch(m[2], -1) {
			var n int
			fmt.Sscan(c[1], &n)
			if slices.Contains(q.EvidenceIDs, articleOf[n]) {
				return true, true
			}
		}
	}
	return true, false
}
