package retrieval

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/attache-bot/attache/clip"
	"github.com/attache-bot/attache/retrieval/answer"
	"github.com/attache-bot/attache/retrieval/index"
	"github.com/attache-bot/attache/retrieval/llm"
	"github.com/attache-bot/attache/retrieval/question"
)

// ErrEmptyQuestion is returned by Answer for an empty or whitespace-only
// question. It is the same error as Search's ErrEmptyQuery.
var ErrEmptyQuestion = ErrEmptyQuery

// Notes shown with an answer (Answer.Note). They are one line each and may
// be joined.
const (
	NoteLLMUnavailable = "The language model was unavailable; showing quoted sentences instead."
	NoteLLMCutOff      = "The language model's answer broke off; showing quoted sentences instead."
	NoteUncited        = "Warning: this generated answer cites none of the articles, so it could not be checked against them."
	NoteTruncated      = "The answer was cut short at the length limit."
	// NoteInventedCitations: the model cited only numbers it was not given,
	// so every claim it supported that way was dropped and nothing checked
	// was left.
	NoteInventedCitations = "The generated answer cited none of the articles it was given; showing quoted sentences instead."
)

// maxExcerptBytes bounds Source.Excerpt.
const maxExcerptBytes = 400

// answerDateLayout is how dates are written in answers, as in prompts.
const answerDateLayout = answer.DateLayout

// errBadRewrite: the model's rewrite was not a usable query.
var errBadRewrite = errors.New("the rewritten query was empty or malformed")

// Answer answers req from the corpus. It rewrites a follow-up into a
// standalone query (see standaloneQuery), searches, and:
//   - when no passage is relevant (Engine.Relevant), makes no model call and
//     returns ModeNone with an honest "not covered" text;
//   - with a language model (Config.LLM), streams a generated answer,
//     passing each new piece of text to onDelta (may be nil) as it arrives,
//     with its citations already checked and renumbered: the pieces add up
//     to the returned Answer's Text (an invented [9] never shows, a
//     citation is held back until its bracket closes). If generation then
//     fails, the returned extractive answer replaces what was streamed;
//     A generated sentence whose every citation was invented is dropped
//     (answer.CheckAs with answer.DropInvented); if no cited sentence is left, the
//     answer is the extractive one with NoteInventedCitations;
//   - without one, or when generation fails or is cut off, quotes the best
//     sentences (Extract), with NoteLLMUnavailable in the latter case.
//
// In every mode each [n] in Text names an entry of Sources and every entry
// is cited; Note says how recent the newest source is. An empty question is
// ErrEmptyQuestion; a question of punctuation only is answered ModeNone; a
// very long one is searched by its start. When ctx ends, Answer stops at
// once (the model call included) and returns ctx's error.
func (e *Engine) Answer(ctx context.Context, req Request, onDelta func(string)) (Answer, error) {
	q := strings.TrimSpace(req.Question)
	if q == "" {
		return Answer{}, ErrEmptyQuestion
	}
	asOf := req.AsOf
	if asOf.IsZero() {
		asOf = e.cfg.Now()
	}
	asOf = asOf.UTC()
	ans := Answer{Question: q, AsOf: time.Date(asOf.Year(), asOf.Month(), asOf.Day(), 0, 0, 0, 0, time.UTC)}
	if !hasWord(q) {
		return notCovered(ans), nil
	}
	q = clipQuery(q)

	if question.ReadIntent(q).NotNews {
		return notNews(ans), nil
	}

	query := clipQuery(e.standaloneQuery(ctx, q, req.History))
	if err := ctx.Err(); err != nil {
		return Answer{}, err
	}
	res, err := e.search(ctx, Query{Text: query, Scope: req.Scope, AsOf: asOf, Country: req.Country, Org: req.Org})
	if err != nil {
		return Answer{}, err
	}
	var v verdict
	if res.digest {
		// The newest articles of a period were asked for: they cover it.
		v = verdict{covered: len(res.passages) > 0}
		for i := range res.passages {
			v.keep = append(v.keep, i)
		}
	} else {
		v = e.gate(res.query, res.topic, ans.AsOf, res.passages)
	}
	if !v.covered {
		return notCoveredBy(ans, v), nil
	}
	kept := make([]Passage, 0, len(v.keep))
	for _, i := range v.keep {
		kept = append(kept, res.passages[i])
	}
	labels := e.outletLabels(ctx, req.Scope)

	var notes []string
	if len(v.missing) > 0 {
		notes = append(notes, notMentioned(v.missing)+".")
	}
	if model := e.cfg.LLM; model != nil {
		// Each story through one outlet (the story's other outlets listed
		// with it): of those the extractive answer quotes, the one whose
		// passage matches the question best (mixSources, preferred). The model sees what the sources disagree on, and the
		// answer is checked for it: a side left out is added
		// (showConflicts). Should the model fail, the extractive answer
		// below starts again from kept.
		lm := mixSources(kept, e.cfg.PerStory, preferred(answer.Extract(res.query, answerPassages(kept), answer.DefaultExtractChars), kept))
		conflicts := findConflicts(&lm, func(p Passage) string { return p.Text }, labels.show)
		var stream *answer.Stream
		if onDelta != nil {
			stream = answer.NewStream(len(lm.cited), onDelta)
			onDelta = stream.Write
		}
		gen, err := e.generate(ctx, model, q, req.History, ans.AsOf, lm.cited, conflictsOf(conflicts), onDelta)
		switch {
		case err == nil:
			e.compose(&ans, gen.Text, lm, conflicts, labels, answer.DropInvented)
			if len(ans.Sources) == 0 && answer.HasCitation(gen.Text) {
				// Every citation named a source we never gave: what is left
				// is unchecked prose around claims we removed.
				e.cfg.Logger.Warn("generated answer cited only sources it was not given; answering with quoted sentences")
				notes = append(notes, NoteInventedCitations)
				break
			}
			ans.Mode = ModeLLM
			ans.Usage = Usage(gen.Usage)
			if gen.Finish == llm.FinishLength {
				notes = append(notes, NoteTruncated)
			}
			if stream != nil {
				stream.End(ans.Text)
			}
			if len(ans.Sources) == 0 {
				ans.Uncited = true
				notes = append(notes, NoteUncited)
			}
			ans.Note = joinNotes(append(notes, datedNote(ans, res.emptyPeriod))...)
			return ans, nil
		case ctx.Err() != nil:
			return Answer{}, ctx.Err()
		case errors.Is(err, llm.ErrCutOff):
			// The model answered and its stream broke off: say so, not that
			// the model was never there.
			e.cfg.Logger.Warn("language model's answer was cut off; answering with quoted sentences", "error", err)
			notes = append(notes, NoteLLMCutOff)
		default:
			e.cfg.Logger.Warn("language model failed; answering with quoted sentences", "error", err)
			notes = append(notes, NoteLLMUnavailable)
		}
		ans.Usage = Usage(gen.Usage)
	}

	// Extract reads each passage with its neighbouring passages: the
	// sentence that answers often sits just before or after the one that
	// matched the question best. Citations and excerpts still name the
	// matched passage (finish uses passages, not the widened copies).
	//
	// Each story is cited through one outlet (the story's other outlets
	// are listed with it): of those whose sentences answer, read from
	// every passage first, the one whose passage matches the question best
	// (preferred); the answer is then made from the chosen ones.
	var ex answer.Extraction
	var conflicts []conflict
	var m mix
	if res.digest {
		m = mixSources(kept, e.cfg.PerStory, nil)
		ex = answer.Digest(answerPassages(m.cited), answer.DefaultExtractChars)
	} else {
		wide, err := e.withNeighbours(ctx, kept)
		if err != nil {
			if cerr := ctx.Err(); cerr != nil {
				return Answer{}, cerr
			}
			// The matched passages alone still answer.
			e.cfg.Logger.Warn("could not read neighbouring passages", "error", err)
			wide = kept
		}
		ex = answer.Extract(res.query, answerPassages(wide), answer.DefaultExtractChars)
		m = mixSources(kept, e.cfg.PerStory, preferred(ex, kept))
		wideText := make(map[string]string, len(wide))
		for _, p := range wide {
			wideText[p.ArticleID] = p.Text
		}
		if len(m.cited) < len(kept) {
			chosen := slices.Clone(m.cited)
			for i := range chosen {
				chosen[i].Text = wideText[chosen[i].ArticleID]
			}
			ex = answer.Extract(res.query, answerPassages(chosen), answer.DefaultExtractChars)
		}
		// A disagreement with a cited passage may sit in the lede of a
		// story's other article: they are read widened too.
		conflicts = findConflicts(&m, func(p Passage) string { return wideText[p.ArticleID] }, labels.show)
	}
	if ex.Text == "" {
		ans = notCovered(ans)
		ans.Note = joinNotes(append(notes, ans.Note)...)
		return ans, nil
	}
	ans.Mode = ModeExtractive
	e.compose(&ans, ex.Text, m, conflicts, labels, answer.KeepSentences)
	if len(ans.Sources) == 0 {
		// Extract always cites; this guards the invariant all the same.
		ans = notCovered(ans)
		ans.Note = joinNotes(append(notes, ans.Note)...)
		return ans, nil
	}
	ans.Note = joinNotes(append(notes, datedNote(ans, res.emptyPeriod))...)
	return ans, nil
}

// answerPassages is passages as the extractive answerer reads them, in
// the same order, so that its citations number them as finish does.
func answerPassages(passages []Passage) []answer.Passage {
	out := make([]answer.Passage, len(passages))
	for i, p := range passages {
		out[i] = answer.Passage{Title: p.Title, Text: p.Text}
	}
	return out
}

// generate builds the prompt and streams the model's answer.
func (e *Engine) generate(ctx context.Context, model *llm.Client, question string, history []Turn, asOf time.Time,
	passages []Passage, conflicts []answer.Conflict, onDelta func(string)) (llm.Generation, error) {
	sys, user, err := answer.AnswerPrompt(question, answerTurns(history), asOf, promptSources(passages), conflicts)
	if err != nil {
		return llm.Generation{}, err
	}
	gen, err := model.Stream(ctx, sys, user, onDelta)
	if err != nil {
		return gen, err
	}
	if k := answer.ThinkEnd(gen.Text); k < 0 {
		gen.Text = "" // all thinking, no answer
	} else {
		gen.Text = gen.Text[k:]
	}
	switch gen.Finish {
	case llm.FinishContentFilter:
		return gen, fmt.Errorf("%w: the answer was withheld by the provider's content filter", llm.ErrUnavailable)
	}
	if strings.TrimSpace(gen.Text) == "" {
		return gen, fmt.Errorf("%w: the model returned an empty answer", llm.ErrUnavailable)
	}
	return gen, nil
}

// answerTurns is history as package answer reads it.
func answerTurns(history []Turn) []answer.Turn {
	out := make([]answer.Turn, len(history))
	for i, t := range history {
		out[i] = answer.Turn{Question: t.Question, Answer: t.Answer}
	}
	return out
}

// promptSources is passages as the answer prompt numbers them, in order.
func promptSources(passages []Passage) []answer.PromptSource {
	out := make([]answer.PromptSource, len(passages))
	for i, p := range passages {
		out[i] = answer.PromptSource{Title: p.Title, Outlet: p.Source, URL: p.URL, Published: p.Published, Text: p.Text}
	}
	return out
}

// neighbourChunks is how many chunks on each side of a passage's chunk
// Extract reads along with it.
const neighbourChunks = 1

// withNeighbours returns copies of passages whose Text is the passage's
// chunk joined with up to neighbourChunks chunks before and after it in the
// same article and with the article's lede (its first chunk), the texts
// read from the library in one query. A news
// story's lede usually states who, what, where and when, which the passage
// that best matches the question's words often leaves out. A passage the
// index no longer knows (removed a moment ago) is kept as it is.
func (e *Engine) withNeighbours(ctx context.Context, passages []Passage) ([]Passage, error) {
	out := slices.Clone(passages)
	e.mu.RLock()
	defer e.mu.RUnlock()
	spans := make([][]string, len(out))
	var ids []string
	for i, p := range out {
		spans[i] = neighbourIDs(e.ix, p.ArticleID, p.ChunkID, neighbourChunks)
		ids = append(ids, spans[i]...)
	}
	texts, err := e.ix.Texts(ctx, ids)
	if err != nil {
		return nil, err
	}
	for i := range out {
		if text, ok := joinTexts(spans[i], texts); ok {
			out[i].Text = text
		}
	}
	return out, nil
}

// neighbourIDs returns the ids of chunk chunkID of article articleID with
// up to n chunks on each side and the article's first chunk, in article
// order (nil when the index knows neither). The caller holds the engine's
// lock.
func neighbourIDs(ix *index.Index, articleID, chunkID string, n int) []string {
	a := ix.Article(articleID)
	if a == nil {
		return nil
	}
	at := slices.Index(a.ChunkIDs(), chunkID)
	if at < 0 {
		return nil
	}
	lo, hi := max(at-n, 0), min(at+n+1, len(a.ChunkIDs()))
	ids := slices.Clone(a.ChunkIDs()[lo:hi])
	if lo > 0 {
		ids = append([]string{a.ChunkIDs()[0]}, ids...)
	}
	return ids
}

// joinTexts joins the texts of ids, separated by a space (the chunks are
// spans of the body, so the join reads as the body does up to whitespace
// and the gap after the lede). It reports false when none has text.
func joinTexts(ids []string, texts map[string]string) (string, bool) {
	parts := make([]string, 0, len(ids))
	for _, cid := range ids {
		if t := strings.TrimSpace(texts[cid]); t != "" {
			parts = append(parts, t)
		}
	}
	if len(parts) == 0 {
		return "", false
	}
	return strings.Join(parts, " "), true
}

// compose makes ans from text, which cites m.cited by number (1-based):
// the disagreements it touches shown in full (showConflicts), at most
// Config.PerOutlet cited sources of an outlet (capOutlets), its citations
// checked (finish, with policy), each source with its story's other
// articles (withAlso) and every outlet with its label.
func (e *Engine) compose(ans *Answer, text string, m mix, conflicts []conflict, labels labelSet, policy answer.Policy) {
	text, cited := capOutlets(showConflicts(text, conflicts), m.cited, e.cfg.PerOutlet, conflicts, policy)
	finish(ans, text, cited, policy)
	withAlso(ans, m)
	labels.apply(ans)
}

// finish checks text's citations against passages (see checkCitationsAs
// for policy) and fills ans.Text and ans.Sources: exactly the cited passages,
// renumbered by first use.
func finish(ans *Answer, text string, passages []Passage, policy answer.Policy) {
	text, order := answer.CheckAs(text, len(passages), policy)
	ans.Text = strings.TrimSpace(text)
	ans.Sources = make([]Source, 0, len(order))
	for i, n := range order {
		p := passages[n-1]
		ans.Sources = append(ans.Sources, Source{
			N: i + 1, ArticleID: p.ArticleID, ChunkID: p.ChunkID, Title: p.Title, Source: p.Source,
			URL: p.URL, Published: p.Published, Score: p.Score, Excerpt: excerpt(p.Text), StoryID: p.StoryID,
		})
	}
}

// datedNote says how recent the answer's sources are: that the period the
// question named held nothing (emptyPeriodNote) when it did not, else how
// old the newest source is (newestNote).
func datedNote(ans Answer, empty question.TimeWindow) string {
	if empty.From.IsZero() {
		return newestNote(ans)
	}
	for _, s := range ans.Sources {
		if empty.Contains(s.Published) {
			return newestNote(ans) // a cited source is from the period after all
		}
	}
	return emptyPeriodNote(empty, ans)
}

// emptyPeriodNote says that the period w a question named held nothing
// about it, and how new the coverage answered from is: "Nothing from 3 Jun
// to 10 Jun 2023 is about this; the newest coverage is from 3 Mar 2023,
// 3 months earlier."
func emptyPeriodNote(w question.TimeWindow, ans Answer) string {
	newest := newestPublished(ans.Sources)
	from, to := w.From.UTC(), w.To.UTC()
	period := "on " + to.Format(answerDateLayout)
	switch {
	case from.Equal(to):
	case from.Year() != to.Year():
		period = "from " + from.Format(answerDateLayout) + " to " + to.Format(answerDateLayout)
	case from.Month() != to.Month():
		period = "from " + from.Format("2 Jan") + " to " + to.Format(answerDateLayout)
	default:
		period = "from " + from.Format("2") + " to " + to.Format(answerDateLayout)
	}
	note := "Nothing " + period + " is about this"
	if newest.IsZero() {
		return note + "."
	}
	return note + "; the newest coverage is from " + newest.UTC().Format(answerDateLayout) + " (" + Age(newest, ans.AsOf) + ")."
}

// notCoveredBy turns ans into the "not covered" answer for the gate's
// verdict v: it names what the articles do not mention when it can.
func notCoveredBy(ans Answer, v verdict) Answer {
	switch {
	case v.notNews:
		return notNews(ans)
	case v.future != "":
		ans = notCovered(ans)
		ans.Text = "The articles here don't cover " + v.future + " yet (as of " + ans.AsOf.Format(answerDateLayout) + ")."
		return ans
	case len(v.missing) > 0:
		ans = notCovered(ans)
		ans.Text = notMentioned(v.missing) + " (as of " + ans.AsOf.Format(answerDateLayout) + ")."
		return ans
	}
	return notCovered(ans)
}

// NotNewsText is the answer to a request that is not a news question.
const NotNewsText = "I answer questions about the news from the articles collected here (events, countries, people, talks and deals), with citations; that request isn't one I can answer."

// notNews turns ans into the answer to a request that is not a news
// question.
func notNews(ans Answer) Answer {
	ans = notCovered(ans)
	ans.Text = NotNewsText
	return ans
}

// notMentioned says which terms the articles do not mention, without a
// full stop: "The articles here don't mention Bhutan".
func notMentioned(terms []string) string {
	return "The articles here don't mention " + orList(terms)
}

// orList joins words as "A", "A or B", "A, B or C".
func orList(words []string) string {
	switch len(words) {
	case 0:
		return ""
	case 1:
		return words[0]
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}

// notCovered turns ans into the honest "not covered" answer.
func notCovered(ans Answer) Answer {
	ans.Mode = ModeNone
	ans.Text = "The articles here don't cover that (as of " + ans.AsOf.Format(answerDateLayout) + ")."
	ans.Sources = nil
	ans.Note = ""
	ans.Uncited = false
	return ans
}

// newestPublished is the latest publication date among sources (zero for
// none or unknown dates).
func newestPublished(sources []Source) time.Time {
	var newest time.Time
	for _, s := range sources {
		if s.Published.After(newest) {
			newest = s.Published
		}
	}
	return newest
}

// staleAfterDays is how much older than the as-of date the newest source
// may be before the answer warns that its coverage is old.
const staleAfterDays = 30

// newestNote says how recent the answer's newest source is, relative to
// the as-of date, in Age's words. A fresh one gets a short line ("Newest
// source: 27 Jul 2025 (yesterday)."); one more than staleAfterDays old is
// said plainly, since the answer may be out of date: "The newest article
// on this is from 7 Dec 2022, about 4 years ago."
func newestNote(ans Answer) string {
	newest := newestPublished(ans.Sources)
	if newest.IsZero() {
		return ""
	}
	date, age := newest.UTC().Format(answerDateLayout), Age(newest, ans.AsOf)
	if calendarDays(newest, ans.AsOf) > staleAfterDays {
		return "The newest article on this is from " + date + ", " + age + "."
	}
	return "Newest source: " + date + " (" + age + ")."
}

// joinNotes joins the non-empty notes with a space.
func joinNotes(notes ...string) string {
	var out []string
	for _, n := range notes {
		if n = strings.TrimSpace(n); n != "" {
			out = append(out, n)
		}
	}
	return strings.Join(out, " ")
}

// excerpt is the start of a passage, cut at a word boundary.
func excerpt(text string) string {
	text = strings.Join(strings.Fields(text), " ")
	if len(text) <= maxExcerptBytes {
		return text
	}
	cut := clip.Index(text, maxExcerptBytes)
	if sp := strings.LastIndexByte(text[:cut], ' '); sp > maxExcerptBytes/2 {
		cut = sp
	}
	return strings.TrimRight(text[:cut], " ,;:") + "…"
}
