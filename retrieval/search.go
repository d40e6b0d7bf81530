package retrieval

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/attache-bot/attache/clip"
	"github.com/attache-bot/attache/corpus"
	"github.com/attache-bot/attache/retrieval/answer"
	"github.com/attache-bot/attache/retrieval/index"
	"github.com/attache-bot/attache/retrieval/question"
	"github.com/attache-bot/attache/vector"
)

// ErrEmptyQuery is returned by Search for a question with no text.
var ErrEmptyQuery = errors.New("empty question")

// MaxQueryBytes bounds the question text that Search uses; longer text is
// cut at a word boundary. Questions are at most 1000 characters in Discord;
// the bound keeps pasted essays from making full-text queries huge.
const MaxQueryBytes = 2000

// ranking holds the weights of hybrid search. defaultRanking gives the tuned
// values; they are not configuration: the tests that compare variants
// (TestEvalTune) set them on an Engine directly.
type ranking struct {
	// VectorCandidates and TextCandidates are how many chunks each
	// retriever contributes before fusion.
	VectorCandidates int
	TextCandidates   int
	// VectorWeight and TextWeight weigh the two normalised scores of a
	// chunk in the fused score.
	VectorWeight float64
	TextWeight   float64
	// ArticleCandidates is how many articles whole-article BM25
	// contributes and ArticleTextWeight its weight.
	ArticleCandidates int
	ArticleTextWeight float64
	// CoverWeight blends the absolute relevance behind Passage.Score: the
	// share of the question's IDF mass (how telling its words are) found
	// in the best article, weighted CoverWeight, and the best passage's
	// cosine similarity, weighted 1 − CoverWeight.
	CoverWeight float64
	// CoverRankWeight adds the article's coverage of the question's IDF
	// mass to its ranking score: an article that contains all of the
	// question's telling words beats one that repeats a few of them.
	CoverRankWeight float64

	// SecondChunkWeight adds this share of an article's second-best chunk
	// score to its best: an article that matches in several passages is
	// more likely about the question than one lucky sentence.
	SecondChunkWeight float64
	// RecencyBoost and RecencyHalfLifeDays shape the recency prior: an
	// article's score is multiplied by 1 + RecencyBoost·e^(−age/τ), age in
	// days before the as-of date and τ = RecencyHalfLifeDays.
	RecencyBoost        float64
	RecencyHalfLifeDays float64
	// WindowSlackDays widens every date window named in a question by this
	// many days on each side (never past the as-of date): reports trail
	// events by a day or two, and a quiz's "this week" reaches into the
	// week before.
	WindowSlackDays int
	// CalendarWindowBoost and RelativeWindowBoost say how a date window
	// named in a question applies, for a calendar date or month ("on 12
	// May", "in March 2024") and for a period counted back from the as-of
	// date ("this week", "yesterday") respectively (question.TimeWindow.Relative).
	// 0 is a filter: only articles published in the window are searched
	// (everything visible when nothing relevant was published in it). A
	// positive value is a preference: every visible article is searched
	// and the score of one published in the window is multiplied by
	// 1 + the value. A calendar date often names when something happened,
	// and a report of it may come months later ("the record set in the
	// middle of June", asked in August), so a filter would hide it.
	CalendarWindowBoost float64
	RelativeWindowBoost float64
	// RerankDepth and RerankWeight drive a second stage over the best
	// RerankDepth articles: each score is multiplied by 1 + RerankWeight ×
	// (its passage's best sentence match / the best of them), the match
	// being the extractive answerer's sentence score (question words
	// weighted by rarity among these sentences, word pairs in order, a
	// token of the asked-for kind), the headline counting as a sentence. It prefers the passage that reads as
	// an answer over one that only shares the topic. 0 = no second stage.
	RerankDepth  int
	RerankWeight float64
	// AsOfGraceDays lets articles published up to this many days after the
	// as-of date be seen. The product rule is 0: after the as-of date is
	// invisible. It exists to measure the effect of looser rules.
	AsOfGraceDays int
}

// defaultRanking returns the tuned ranking weights (see BENCHMARKS.md for
// the evaluation behind them).
func defaultRanking() ranking {
	return ranking{
		VectorCandidates:    60,
		TextCandidates:      100,
		VectorWeight:        0.5,
		TextWeight:          1.0,
		ArticleCandidates:   50,
		ArticleTextWeight:   1.0,
		CoverWeight:         0.75,
		CoverRankWeight:     1.0,
		SecondChunkWeight:   0.2,
		RecencyBoost:        1.5,
		RecencyHalfLifeDays: 14,
		WindowSlackDays:     3,
		CalendarWindowBoost: 1,
		RerankDepth:         5,
		RerankWeight:        0.8,
	}
}

// Search finds the passages that best answer q: vector similarity and BM25
// full-text hits over the asking guild's scope plus the shared scope, fused;
// restricted to articles published on or before the as-of date and, when
// the question names a period counted back from it ("this week",
// "yesterday"), to that period (unless nothing relevant was published in
// it); a calendar date or month ("in March 2024", "on 12 May") favours the
// articles published then without hiding later reports
// (ranking.CalendarWindowBoost); weighted by a recency prior relative to
// the as-of date; the best few reordered by how well their passage reads
// as an answer (ranking.RerankDepth); then one passage per article (its
// best), at most K, best first.
//
// Passages are ordered by the ranking score (fused BM25 and vector
// relevance relative to the question's other candidates, times the recency
// prior and the window and answer factors). Passage.Score is the passage's absolute relevance in [0, 1],
// comparable across questions: the share of the question's IDF mass (its
// telling words) that the article contains, blended with the passage's
// cosine similarity to the question (ranking.CoverWeight). Because recency
// reorders, Score need not decrease down the list. Use Relevant to decide
// whether a passage is good enough to answer from.
//
// An empty or whitespace question is ErrEmptyQuery; a question without any
// word (only punctuation) finds nothing.
func (e *Engine) Search(ctx context.Context, q Query) ([]Passage, error) {
	res, err := e.search(ctx, q)
	return res.passages, err
}

// searchResult is what search found, with what the answer should say about
// the period the question named.
type searchResult struct {
	passages []Passage
	// query is the text searched: the question with misspelt names
	// corrected (correctSpelling).
	query string
	// topic is what the question is about: the terms of query without the
	// words that name a period or ask for recency ("this week", "latest"),
	// weighed in the index (the coverage gate reads them).
	topic topic
	// digest: the question names a period or asks for the latest without
	// naming a topic ("What happened this week?", "Any news?"), so passages
	// are the newest articles of the period, newest first.
	digest bool
	// emptyPeriod is the period the question named ("this week") when it
	// held nothing clearly about the question, so that passages may come
	// from before it; zero otherwise. The answer says so when none of the
	// sources it cites is from the period (datedNote).
	emptyPeriod question.TimeWindow
}

// search is Search, also reporting an empty period.
func (e *Engine) search(ctx context.Context, q Query) (searchResult, error) {
	text := clipQuery(strings.TrimSpace(q.Text))
	if text == "" {
		return searchResult{}, ErrEmptyQuery
	}
	filter, err := resolveFilter(index.DayRange{}, q.Country, q.Org)
	if err != nil {
		return searchResult{}, fmt.Errorf("search: %w", err)
	}
	if !hasWord(text) {
		return searchResult{}, nil
	}
	if err := ctx.Err(); err != nil {
		return searchResult{}, err
	}
	if err := e.awaitScope(ctx, q.Scope); err != nil {
		return searchResult{}, err
	}
	k := q.K
	if k <= 0 {
		k = e.cfg.K
	}
	asOf := q.AsOf
	if asOf.IsZero() {
		asOf = e.cfg.Now()
	}
	e.mu.RLock()
	text = correctSpelling(e.ix, text)
	e.mu.RUnlock()
	plan := e.plan(text, normalizeScope(q.Scope), asOf, q.from)
	plan.visible.Country, plan.visible.Org = filter.Country, filter.Org
	plan.window.Country, plan.window.Org = filter.Country, filter.Org
	res := searchResult{query: text}

	qvec, err := e.emb.EmbedQuery(ctx, plan.text)
	if err != nil {
		return searchResult{}, fmt.Errorf("search: embed question: %w", err)
	}

	e.mu.RLock()
	defer e.mu.RUnlock()
	tp := newTopic(e.ix, plan.text)
	res.topic = tp
	if len(tp.terms) == 0 && (plan.latest || plan.hasWindow) {
		// No topic, only a period or recency: the newest articles.
		res.digest = true
		arts := e.newestArticles(plan.scopes, plan.window, k)
		if len(arts) == 0 && plan.hasWindow {
			res.emptyPeriod = plan.period
			arts = e.newestArticles(plan.scopes, plan.visible.Between(plan.visible.From, plan.window.From-1), k)
		}
		if res.passages, err = e.passages(ctx, arts); err != nil {
			return searchResult{}, err
		}
		return res, nil
	}
	if plan.latest && !plan.hasWindow {
		// "What's the latest on …": the newest on-topic articles first.
		arts, ok, err := e.latest(ctx, plan, plan.visible, qvec, tp, k)
		if err != nil {
			return searchResult{}, err
		}
		if ok {
			if res.passages, err = e.passages(ctx, topArticlesKeepOrder(arts, k)); err != nil {
				return searchResult{}, err
			}
			return res, nil
		}
	}
	rk := e.rank
	cands, err := e.gather(ctx, plan, plan.window, qvec)
	if err != nil {
		return searchResult{}, err
	}
	if plan.boost > 0 {
		// A preferred window: candidates from the window (so that a
		// crowded rest of the corpus cannot push them out) and from
		// everything visible.
		more, err := e.gather(ctx, plan, plan.visible, qvec)
		if err != nil {
			return searchResult{}, err
		}
		cands.merge(more)
	}
	arts := fuseArticles(e.ix, cands, qvec, rk)
	if plan.hasWindow && plan.boost == 0 && !e.anyOnTopic(arts, tp) {
		// The period named in the question holds nothing clearly about it:
		// answer from the newest coverage of the topic (a headline that
		// names it), else from the best match of any date; when that comes
		// from before the period, the answer says so (emptyPeriod).
		res.emptyPeriod = plan.period
		if latest, ok, err := e.latest(ctx, plan, plan.visible, qvec, tp, k); err != nil {
			return searchResult{}, err
		} else if ok && e.aboutness(latest[0].ArticleID, latest[0].Absolute, tp) == 2 {
			if res.passages, err = e.passages(ctx, topArticlesKeepOrder(latest, k)); err != nil {
				return searchResult{}, err
			}
			return res, nil
		}
		if cands, err = e.gather(ctx, plan, plan.visible, qvec); err != nil {
			return searchResult{}, err
		}
		arts = fuseArticles(e.ix, cands, qvec, rk)
	}
	applyRecency(arts, e.ix, asOf, rk)
	if plan.boost > 0 {
		applyWindowBoost(arts, e.ix, plan.window, plan.boost)
	}
	if rk.RerankDepth > 0 && rk.RerankWeight != 0 {
		arts = topArticles(arts, max(k, rk.RerankDepth))
		if err := rerank(ctx, e.ix, plan.text, arts[:min(len(arts), rk.RerankDepth)], rk.RerankWeight); err != nil {
			return searchResult{}, fmt.Errorf("search: %w", err)
		}
	}
	if res.passages, err = e.passages(ctx, topArticles(arts, k)); err != nil {
		return searchResult{}, err
	}
	return res, nil
}

// newestArticles returns the k newest articles of scopes published in r,
// each with its first passage and a relevance of 1 (they are what a
// question about a period asks for). The caller holds the engine's lock.
func (e *Engine) newestArticles(scopes []string, r index.DayRange, k int) []articleScore {
	var arts []articleScore
	for id, a := range e.ix.Articles() {
		if len(a.ChunkIDs()) == 0 || a.Day() == index.UnknownDay || !index.InScopes(a, scopes, r) {
			continue
		}
		arts = append(arts, articleScore{ArticleID: id, ChunkID: a.ChunkIDs()[0], Score: float64(a.Day()), Absolute: 1})
	}
	return topArticles(arts, k)
}

// topArticlesKeepOrder keeps the first k of arts, already ordered.
func topArticlesKeepOrder(arts []articleScore, k int) []articleScore {
	if len(arts) > k {
		return arts[:k]
	}
	return arts
}

// rerank multiplies the score of each of arts by 1 + weight × its best
// passage's answer match relative to the best among arts
// (ranking.RerankWeight). The caller re-sorts.
func rerank(ctx context.Context, ix *index.Index, question string, arts []articleScore, weight float64) error {
	if len(arts) < 2 {
		return nil
	}
	m := answer.NewMatcher(question)
	if m == nil {
		return nil
	}
	ids := make([]string, len(arts))
	for i, a := range arts {
		ids[i] = a.ChunkID
	}
	texts, err := ix.Texts(ctx, ids)
	if err != nil {
		return err
	}
	docs := make([]answer.Passage, len(arts))
	for i, a := range arts {
		text, ok := texts[a.ChunkID]
		info := ix.Article(a.ArticleID)
		if !ok || info == nil {
			continue // scores 0
		}
		docs[i] = answer.Passage{Title: info.Title, Text: text}
	}
	match, bestMatch := m.Match(docs)
	if bestMatch <= 0 {
		return nil
	}
	for i := range arts {
		arts[i].Score *= 1 + weight*match[i]/bestMatch
	}
	return nil
}

// anyOnTopic reports whether any candidate article would pass the coverage
// gate: relevant enough to answer from (Relevant) and holding enough of
// the question's key terms (keyCover). The caller holds the engine's lock.
func (e *Engine) anyOnTopic(arts []articleScore, t topic) bool {
	keys := keyTerms(t.terms)
	for _, a := range arts {
		if !e.Relevant(Passage{Score: a.Absolute}) {
			continue
		}
		if cover, _ := keyCover(e.ix, keys, a.ArticleID, nil); cover >= gateMinCover {
			return true
		}
	}
	return false
}

// Relevant reports whether p is relevant enough to answer from: its score
// reaches Config.MinScore. A question none of whose passages is Relevant is
// one the corpus does not cover.
func (e *Engine) Relevant(p Passage) bool {
	return e.cfg.MinScore < 0 || p.Score >= e.cfg.MinScore
}

// searchPlan is a question turned into what the retrievers need.
type searchPlan struct {
	text      string // the text to match (the question without its date phrase)
	scopes    []string
	visible   index.DayRange // everything on or before the as-of date
	window    index.DayRange // visible ∩ the question's period (= visible without one)
	hasWindow bool
	period    question.TimeWindow // the period the question names, when hasWindow
	latest    bool                // the question asks for the newest coverage (Intent.Latest)
	// boost > 0 makes the window a preference rather than a filter: the
	// score multiplier is 1 + boost (ranking.CalendarWindowBoost).
	boost float64
}

// plan resolves scopes and date ranges; from, when not zero, is the first
// visible day.
func (e *Engine) plan(text, scope string, asOf, from time.Time) searchPlan {
	p := searchPlan{text: text, scopes: scopesOf(scope)}
	last := index.DayOf(question.DayStart(asOf)) + int32(e.rank.AsOfGraceDays)
	p.visible = index.DayRange{From: index.AllDays.From, To: last}
	if !from.IsZero() {
		p.visible.From = index.DayOf(question.DayStart(from))
	}
	p.window = p.visible
	if question.ReadIntent(text).Latest {
		p.latest = true
		p.text = question.WithoutRecencyWords(text)
	}
	if w, ok := question.ParseTimeWindow(text, asOf); ok {
		slack := int32(e.rank.WindowSlackDays)
		r := index.DayRange{From: max(index.DayOf(w.From)-slack, p.visible.From), To: min(index.DayOf(w.To)+slack, last)}
		if r.From <= r.To {
			p.window, p.hasWindow, p.period = r, true, w
			p.boost = e.rank.RelativeWindowBoost
			if !w.Relative {
				p.boost = e.rank.CalendarWindowBoost
			}
			// The date phrase matched as words would favour articles that
			// merely say "week" or "March"; the window already applies it.
			// (Kept in the text for preferred calendar windows, it made no
			// difference on the dev split.)
			if t := strings.TrimSpace(strings.Replace(p.text, w.Phrase, " ", 1)); hasWord(t) {
				p.text = t
			}
		}
	}
	return p
}

// scopesOf returns the scopes a search in scope sees: its own and the
// shared one.
func scopesOf(scope string) []string {
	if scope != corpus.SharedScope {
		return []string{scope, corpus.SharedScope}
	}
	return []string{corpus.SharedScope}
}

// candidates is what both retrievers found for one question, merged by
// article: every article that had a vector hit, a passage text hit or a
// whole-article text hit.
type candidates struct {
	terms     []string           // the question's index terms
	order     []string           // article ids in order of discovery (deterministic)
	chunkText map[string]float64 // chunk id → passage BM25
	artText   map[string]float64 // article id → whole-article BM25
}

func (c *candidates) addArticle(id string) {
	if _, ok := c.artText[id]; !ok {
		c.artText[id] = 0
		c.order = append(c.order, id)
	}
}

// merge adds o's candidates to c, keeping the better text score of a chunk
// or article found by both (BM25 scores do not depend on the date range, so
// the two agree up to the candidates each kept).
func (c *candidates) merge(o *candidates) {
	for _, id := range o.order {
		c.addArticle(id)
		c.artText[id] = max(c.artText[id], o.artText[id])
	}
	for id, v := range o.chunkText {
		c.chunkText[id] = max(c.chunkText[id], v)
	}
}

// gather runs the retrievers over r: nearest chunks by vector (chromem-go),
// BM25 over passages and BM25 over whole articles (FTS5). Hits the index
// does not know (an article removed or replaced a moment ago) or outside r
// are dropped: the index decides visibility, so all retrievers agree and
// search never returns what was deleted.
func (e *Engine) gather(ctx context.Context, p searchPlan, r index.DayRange, qvec []float32) (*candidates, error) {
	rk := e.rank
	terms := index.QueryTerms(p.text)
	// The terms' rows are read from the library while the vectors are
	// scanned: one is SQLite on a reader connection, the other chromem-go
	// in memory, and on a machine with a core to spare the text costs
	// nothing on top.
	warmed := make(chan error, 1)
	go func() { warmed <- e.ix.Warm(ctx, terms) }()
	vhits, err := e.ix.Query(ctx, qvec, p.scopes, r, rk.VectorCandidates)
	if werr := <-warmed; err == nil && werr != nil {
		err = fmt.Errorf("full text: %w", werr)
	}
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	var thits []index.PassageHit
	var ahits []index.ArticleHit
	if rk.TextWeight > 0 {
		if thits, err = e.ix.SearchPassages(ctx, terms, p.scopes, r, rk.TextCandidates); err != nil {
			return nil, fmt.Errorf("search: full text: %w", err)
		}
	}
	if rk.ArticleTextWeight > 0 {
		if ahits, err = e.ix.SearchArticles(ctx, terms, p.scopes, r, rk.ArticleCandidates); err != nil {
			return nil, fmt.Errorf("search: full text: %w", err)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c := &candidates{terms: terms, chunkText: make(map[string]float64), artText: make(map[string]float64)}
	visible := func(articleID string) bool {
		a := e.ix.Article(articleID)
		return r.Admits(a)
	}
	for _, h := range vhits {
		c.addArticle(h.ArticleID)
	}
	for _, h := range thits {
		ci, ok := e.ix.Chunk(h.ChunkID)
		if !ok || !visible(ci.ArticleID) {
			continue
		}
		c.chunkText[h.ChunkID] = max(c.chunkText[h.ChunkID], h.Score)
		c.addArticle(ci.ArticleID)
	}
	for _, h := range ahits {
		if !visible(h.ArticleID) {
			continue
		}
		c.addArticle(h.ArticleID)
		c.artText[h.ArticleID] = max(c.artText[h.ArticleID], h.Score)
	}
	return c, nil
}

// dayTime is the UTC midnight of day number d.
func dayTime(d int32) time.Time {
	return time.Unix(int64(d)*86400, 0).UTC()
}

// articleScore is one article's scores and its best chunk.
type articleScore struct {
	ArticleID string
	ChunkID   string
	// Score is the ranking score: relevance relative to the other
	// candidates of the same question, times the recency factor.
	Score float64
	// Absolute is the article's relevance on a fixed scale in [0, 1],
	// comparable across questions: Passage.Score.
	Absolute float64
}

// fuseArticles scores every candidate article. Each of its passages is
// scored exactly — cosine similarity to the question (also for passages the
// vector retriever did not return) plus its passage BM25 — and the best
// passage becomes the article's passage. The article's score is that best
// passage score, plus a share of its second best (an article that matches
// in several passages is more likely about the question than one lucky
// sentence), plus its whole-article BM25.
//
// BM25 scores are divided by the best of the question's candidates: BM25
// grows with the number and rarity of the question's words, so only its
// ratios mean something within one question. (Tried on the dev split: an
// absolute squashing x/(x+c) instead ranked worse, recall@1 0.890 against
// 0.898.) Absolute is the measure for the relevance threshold instead: the
// share of the question's IDF mass the article contains (coverage),
// blended with the best passage's cosine similarity.
func fuseArticles(ix *index.Index, c *candidates, qvec []float32, rk ranking) []articleScore {
	maxText, maxArt := maxValue(c.chunkText), maxValue(c.artText)
	out := make([]articleScore, 0, len(c.order))
	for _, id := range c.order {
		a := ix.Article(id)
		if a == nil || len(a.ChunkIDs()) == 0 {
			continue
		}
		best, second := math.Inf(-1), 0.0
		bestChunk, bestCos := "", 0.0
		for _, cid := range a.ChunkIDs() {
			ch, _ := ix.Chunk(cid)
			cos := max(vector.Vector(qvec).Dot(ch.Vector), 0)
			s := rk.VectorWeight*cos + rk.TextWeight*ratioOf(c.chunkText[cid], maxText)
			switch {
			case s > best:
				second, best, bestChunk, bestCos = max(best, 0), s, cid, cos
			case s > second:
				second = s
			}
		}
		art := c.artText[id]
		score := best + rk.SecondChunkWeight*second + rk.ArticleTextWeight*ratioOf(art, maxArt)
		cover := ix.Coverage(a, c.terms)
		score += rk.CoverRankWeight * cover
		abs := rk.CoverWeight*cover + (1-rk.CoverWeight)*bestCos
		out = append(out, articleScore{ArticleID: id, ChunkID: bestChunk, Score: score, Absolute: abs})
	}
	return out
}

// ratioOf is x/best, 0 when either is not positive.
func ratioOf(x, best float64) float64 {
	if x <= 0 || best <= 0 {
		return 0
	}
	return x / best
}

// maxValue returns the largest value of m (0 for none).
func maxValue(m map[string]float64) float64 {
	best := 0.0
	for _, v := range m {
		best = max(best, v)
	}
	return best
}

// recencyFactor is the recency prior of an article published on day
// published for a question as of day asOf: 1 + boost·e^(−age/τ). Unknown
// dates get no boost; articles "from the future" (only with a grace
// period) count as age 0.
func recencyFactor(published, asOf int32, rk ranking) float64 {
	if published == index.UnknownDay || rk.RecencyBoost == 0 || rk.RecencyHalfLifeDays <= 0 {
		return 1
	}
	age := float64(max(asOf-published, 0))
	return 1 + rk.RecencyBoost*math.Exp(-age/rk.RecencyHalfLifeDays)
}

// applyRecency multiplies each article's score by its recency factor.
func applyRecency(arts []articleScore, ix *index.Index, asOf time.Time, rk ranking) {
	today := index.DayOf(question.DayStart(asOf))
	for i := range arts {
		day := int32(index.UnknownDay)
		if a := ix.Article(arts[i].ArticleID); a != nil {
			day = a.Day()
		}
		arts[i].Score *= recencyFactor(day, today, rk)
	}
}

// applyWindowBoost multiplies by 1 + boost the score of each article
// published in r, a period the question names as a preference
// (ranking.CalendarWindowBoost); other articles keep their score, since
// the period may be when an event happened and a report of it came later.
// Recency still counts from the as-of date. (Counting it from the end of r
// for the articles inside r, so that "in March 2024" asked in 2025 puts a
// March 2024 report before a newer one of equal relevance, cost two
// questions of recall@1 on the dev split.)
func applyWindowBoost(arts []articleScore, ix *index.Index, r index.DayRange, boost float64) {
	for i := range arts {
		if a := ix.Article(arts[i].ArticleID); a != nil && a.Day() != index.UnknownDay && r.Contains(a.Day()) {
			arts[i].Score *= 1 + boost
		}
	}
}

// topArticles sorts by score (ties by article id, for determinism) and
// keeps the first k.
func topArticles(arts []articleScore, k int) []articleScore {
	slices.SortFunc(arts, func(a, b articleScore) int {
		if a.Score != b.Score {
			if a.Score > b.Score {
				return -1
			}
			return 1
		}
		return strings.Compare(a.ArticleID, b.ArticleID)
	})
	if len(arts) > k {
		arts = arts[:k]
	}
	return arts
}

// passages turns ranked articles into passages from the index's copy of
// article metadata and the chunk text read from the library.
func (e *Engine) passages(ctx context.Context, arts []articleScore) ([]Passage, error) {
	ids := make([]string, len(arts))
	for i, s := range arts {
		ids[i] = s.ChunkID
	}
	texts, err := e.ix.Texts(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	out := make([]Passage, 0, len(arts))
	for _, s := range arts {
		a := e.ix.Article(s.ArticleID)
		text, ok := texts[s.ChunkID]
		if a == nil || !ok {
			continue
		}
		out = append(out, Passage{
			ChunkID: s.ChunkID, ArticleID: s.ArticleID,
			Title: a.Title, Source: a.Source, URL: a.URL, Published: a.Published,
			Text: text, Score: s.Absolute, StoryID: a.StoryID,
		})
	}
	return out, nil
}

// clipQuery cuts text to at most MaxQueryBytes at a word boundary, without
// splitting a UTF-8 character.
func clipQuery(text string) string {
	if len(text) <= MaxQueryBytes {
		return text
	}
	cut := clip.Index(text, MaxQueryBytes)
	if sp := strings.LastIndexFunc(text[:cut], unicode.IsSpace); sp > MaxQueryBytes/2 {
		cut = sp
	}
	return strings.TrimSpace(text[:cut])
}

// hasWord reports whether text has at least one letter or digit.
func hasWord(text string) bool {
	return strings.IndexFunc(text, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) >= 0
}
