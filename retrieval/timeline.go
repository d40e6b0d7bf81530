package retrieval

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/attache-bot/attache/corpus"
	"github.com/attache-bot/attache/retrieval/answer"
	"github.com/attache-bot/attache/retrieval/question"
)

// A timeline and a "what's new" list are built from stories, not articles:
// one event reported by five outlets is one entry. Both reuse Search's
// retrieval over a date range, the coverage gate (a topic nothing covers is
// said to be so, never answered with an empty list) and the extractive
// answerer's sentence choice; what they add is the grouping by story and
// the test that a story is about the topic at all.

// MaxTimelineEntries bounds a timeline and a "what's new" list: the most
// covered stories are kept when more are about the topic.
const MaxTimelineEntries = 15

// DefaultSince is how far back from the as-of date "what's new" looks when
// no date is given.
const DefaultSince = 7 * 24 * time.Hour

// ErrInvalidDates is wrapped by the errors of Timeline and WhatsNew for
// dates that cannot be honoured: a range that ends before it starts, or a
// date after the as-of date. The message names the dates.
var ErrInvalidDates = errors.New("invalid dates")

// timelineCandidates is how many articles a timeline's search returns
// before they are grouped by story: enough for MaxTimelineEntries stories
// of several outlets each.
const timelineCandidates = 100

// entrySentenceChars bounds the one sentence an entry quotes.
const entrySentenceChars = 400

// TimelineRequest asks for the chronology of a topic.
type TimelineRequest struct {
	Topic string
	Scope string    // guild id, or "" for shared only
	AsOf  time.Time // later articles are invisible; zero = now
	// From and To bound the publication dates (days, inclusive); zero =
	// unbounded. To after AsOf or From after To is ErrInvalidDates.
	From, To time.Time
	// Country and Org limit the stories to articles about them (see Query).
	Country, Org string
}

// WhatsNewRequest asks for the stories about a topic published since a
// date.
type WhatsNewRequest struct {
	Topic string
	Scope string    // guild id, or "" for shared only
	AsOf  time.Time // zero = now
	// Since is the first day whose articles count as new; zero = AsOf −
	// DefaultSince. After AsOf is ErrInvalidDates.
	Since time.Time
	// Country and Org limit the stories to articles about them (see Query).
	Country, Org string
}

// Entry is one story of a timeline or a "what's new" list: a dated sentence
// quoted from one of its articles, cited "[1]" (each entry numbers its own
// sources).
type Entry struct {
	Date     time.Time
	Sentence string   // the quoted sentence, without its citation
	Text     string   // Sentence and its citation, " [1]"
	Sources  []Source // the cited article, N = 1
	StoryID  string   // "" when the article has no story yet (a story of its own)
	// Articles is how many of the story's articles were found about the
	// topic (its coverage).
	Articles int
}

// CitedAs is the entry's sentence cited as source n of a longer list
// (a list of entries numbered through).
func (en Entry) CitedAs(n int) string {
	return en.Sentence + " [" + strconv.Itoa(n) + "]"
}

// Chronology is a timeline or a "what's new" list.
type Chronology struct {
	Topic string
	AsOf  time.Time
	// From and To are a timeline's bounds, Since a "what's new" list's
	// first day (zero where they do not apply).
	From, To, Since time.Time
	// Entries: a timeline's oldest first, a "what's new" list's newest
	// first. Empty when nothing is about the topic; Text then says so.
	Entries []Entry
	// Text is the message shown instead of entries ("" when there are
	// entries).
	Text string
	// NewestBefore is, for a "what's new" list without entries, the date of
	// the newest coverage of the topic before Since (zero when none).
	NewestBefore time.Time
}

// Timeline returns the stories about req.Topic, oldest first: one entry per
// story, dated by its first article about the topic and quoting that
// article's sentence that best states the topic, within req.From..req.To
// when given. At most MaxTimelineEntries entries: the stories with the most
// articles when more are about the topic. A topic nothing covers gives no
// entries and a Text that says so.
func (e *Engine) Timeline(ctx context.Context, req TimelineRequest) (Chronology, error) {
	topic, asOf, err := e.topicAndDay(req.Topic, req.AsOf)
	if err != nil {
		return Chronology{}, err
	}
	from, to := dayOrZero(req.From), dayOrZero(req.To)
	if err := CheckRange(from, to, asOf); err != nil {
		return Chronology{}, err
	}
	c := Chronology{Topic: topic, AsOf: asOf, From: from, To: to}
	last := asOf
	if !to.IsZero() {
		last = to
	}
	stories, v, err := e.topicStories(ctx, Query{Text: topic, Scope: req.Scope, AsOf: last, K: timelineCandidates,
		Country: req.Country, Org: req.Org, from: from}, asOf)
	if err != nil {
		return Chronology{}, err
	}
	if len(stories) == 0 {
		c.Text = nothingText(topic, asOf, from, to, v)
		return c, nil
	}
	stories = mostCovered(stories, MaxTimelineEntries)
	if c.Entries, err = e.entries(ctx, topic, stories, func(s *topicStory) storyArticle { return s.first() }); err != nil {
		return Chronology{}, err
	}
	slices.SortStableFunc(c.Entries, func(a, b Entry) int { return a.Date.Compare(b.Date) })
	return c, nil
}

// WhatsNew returns the stories about req.Topic with articles published on
// or after req.Since, newest first, one entry each quoting its newest such
// article; at most MaxTimelineEntries (the most covered). When there are
// none, Text says so and NewestBefore gives the date of the newest
// coverage before Since.
func (e *Engine) WhatsNew(ctx context.Context, req WhatsNewRequest) (Chronology, error) {
	topic, asOf, err := e.topicAndDay(req.Topic, req.AsOf)
	if err != nil {
		return Chronology{}, err
	}
	since := dayOrZero(req.Since)
	if since.IsZero() {
		since = asOf.Add(-DefaultSince)
	}
	if err := CheckSince(since, asOf); err != nil {
		return Chronology{}, err
	}
	c := Chronology{Topic: topic, AsOf: asOf, Since: since}
	q := Query{Text: topic, Scope: req.Scope, AsOf: asOf, K: timelineCandidates, Country: req.Country, Org: req.Org, from: since}
	stories, _, err := e.topicStories(ctx, q, asOf)
	if err != nil {
		return Chronology{}, err
	}
	if len(stories) > 0 {
		stories = mostCovered(stories, MaxTimelineEntries)
		if c.Entries, err = e.entries(ctx, topic, stories, func(s *topicStory) storyArticle { return s.newest() }); err != nil {
			return Chronology{}, err
		}
		slices.SortStableFunc(c.Entries, func(a, b Entry) int { return b.Date.Compare(a.Date) })
		return c, nil
	}
	// Nothing new: look before since for the newest coverage.
	q.AsOf, q.from = since.AddDate(0, 0, -1), time.Time{}
	before, v, err := e.topicStories(ctx, q, asOf)
	if err != nil {
		return Chronology{}, err
	}
	for _, s := range before {
		if d := s.newest().passage.Published; d.After(c.NewestBefore) {
			c.NewestBefore = question.DayStart(d)
		}
	}
	if c.NewestBefore.IsZero() {
		c.Text = nothingText(topic, asOf, time.Time{}, time.Time{}, v)
		return c, nil
	}
	c.Text = "Nothing new about “" + displayTopic(topic) + "” since " + since.Format(answerDateLayout) +
		"; the newest coverage is from " + c.NewestBefore.Format(answerDateLayout) + " (" + Age(c.NewestBefore, asOf) + ")."
	return c, nil
}

// topicAndDay validates a topic and resolves the as-of day (zero = now).
func (e *Engine) topicAndDay(topic string, asOf time.Time) (string, time.Time, error) {
	topic = strings.TrimSpace(topic)
	if topic == "" {
		return "", time.Time{}, ErrEmptyQuery
	}
	if asOf.IsZero() {
		asOf = e.cfg.Now()
	}
	return clipQuery(topic), question.DayStart(asOf), nil
}

// CheckRange checks a timeline's dates as Timeline does, so that a caller
// can refuse them before any work: a range that ends before it starts or a
// bound after the as-of day is ErrInvalidDates (zero dates are unbounded).
func CheckRange(from, to, asOf time.Time) error {
	from, to, asOf = dayOrZero(from), dayOrZero(to), dayOrZero(asOf)
	switch {
	case !from.IsZero() && from.After(asOf):
		return fmt.Errorf("%w: from %s is after the as-of date %s", ErrInvalidDates, formatDay(from), formatDay(asOf))
	case !to.IsZero() && to.After(asOf):
		return fmt.Errorf("%w: to %s is after the as-of date %s", ErrInvalidDates, formatDay(to), formatDay(asOf))
	case !from.IsZero() && !to.IsZero() && from.After(to):
		return fmt.Errorf("%w: from %s is after to %s", ErrInvalidDates, formatDay(from), formatDay(to))
	}
	return nil
}

// CheckSince checks a "what's new" date as WhatsNew does: after the as-of
// day is ErrInvalidDates.
func CheckSince(since, asOf time.Time) error {
	if since, asOf = dayOrZero(since), dayOrZero(asOf); since.After(asOf) {
		return fmt.Errorf("%w: since %s is after the as-of date %s", ErrInvalidDates, formatDay(since), formatDay(asOf))
	}
	return nil
}

// dayOrZero is t's UTC day, or zero.
func dayOrZero(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return question.DayStart(t)
}

func formatDay(t time.Time) string { return t.UTC().Format(corpus.DateLayout) }

// displayTopic is a topic as a message repeats it: one line, without
// control characters, at most maxDisplayRunes·2 long.
func displayTopic(topic string) string {
	words := strings.Fields(topic)
	for i, w := range words {
		words[i] = strings.Map(func(r rune) rune {
			if r < ' ' || r == 0x7f {
				return -1
			}
			return r
		}, w)
	}
	s := strings.Join(words, " ")
	if r := []rune(s); len(r) > 2*maxDisplayRunes {
		s = string(r[:2*maxDisplayRunes-1]) + "…"
	}
	return s
}

// nothingText says that nothing is about the topic: in the range when one
// was given, else in the gate's words (what the articles don't mention).
func nothingText(topic string, asOf, from, to time.Time, v verdict) string {
	if v.notNews {
		return NotNewsText
	}
	period := ""
	switch {
	case !from.IsZero() && !to.IsZero():
		period = " from " + from.Format(answerDateLayout) + " to " + to.Format(answerDateLayout)
	case !from.IsZero():
		period = " since " + from.Format(answerDateLayout)
	case !to.IsZero():
		period = " up to " + to.Format(answerDateLayout)
	default:
		if len(v.missing) > 0 || v.future != "" {
			return notCoveredBy(Answer{AsOf: asOf}, v).Text
		}
	}
	return "No story here is about “" + displayTopic(topic) + "”" + period + " (as of " + asOf.Format(answerDateLayout) + ")."
}

// storyArticle is one article of a story found about the topic, with its
// rank in the search.
type storyArticle struct {
	passage Passage
	rank    int
}

// topicStory is the articles of one story found about the topic, in search
// order.
type topicStory struct {
	id       string
	articles []storyArticle
}

// first is the story's earliest article (ties: the better ranked).
func (s *topicStory) first() storyArticle { return s.pick(time.Time.Before) }

// newest is the story's latest article (ties: the better ranked).
func (s *topicStory) newest() storyArticle { return s.pick(time.Time.After) }

// pick is the article whose date beats every other's by better, the
// better ranked on a tie.
func (s *topicStory) pick(better func(t, u time.Time) bool) storyArticle {
	best := s.articles[0]
	for _, a := range s.articles[1:] {
		if better(a.passage.Published, best.passage.Published) {
			best = a
		}
	}
	return best
}

// topicStories searches q and returns the stories of the articles that
// pass the coverage gate and are about the topic (aboutTopic), in search
// order of their best article, with the gate's verdict.
func (e *Engine) topicStories(ctx context.Context, q Query, asOf time.Time) ([]*topicStory, verdict, error) {
	if !hasWord(q.Text) {
		return nil, verdict{}, nil
	}
	if question.ReadIntent(q.Text).NotNews {
		return nil, verdict{notNews: true}, nil
	}
	res, err := e.search(ctx, q)
	if err != nil {
		return nil, verdict{}, err
	}
	v := e.gate(res.query, res.topic, asOf, res.passages)
	if !v.covered {
		return nil, v, nil
	}
	kept := make([]Passage, 0, len(v.keep))
	for _, i := range v.keep {
		kept = append(kept, res.passages[i])
	}
	about, err := e.aboutTopic(ctx, res.topic, kept)
	if err != nil {
		return nil, v, err
	}
	byID := map[string]*topicStory{}
	var out []*topicStory
	for i, p := range kept {
		if !about[i] {
			continue
		}
		id := p.StoryID
		if id == "" {
			id = "article:" + p.ArticleID // a story of its own
		}
		s := byID[id]
		if s == nil {
			s = &topicStory{id: p.StoryID}
			byID[id] = s
			out = append(out, s)
		}
		s.articles = append(s.articles, storyArticle{passage: p, rank: i})
	}
	return out, v, nil
}

// Thresholds of aboutTopic.
const (
	// topicTitleCover is the share of the topic's weight that a headline
	// must name.
	topicTitleCover = 0.5
	// topicLedeCover is the share that the opening paragraph must name
	// when the headline does not.
	topicLedeCover = 0.75
)

// aboutTopic reports, for each passage, whether its article is about the
// topic t: its headline names at least topicTitleCover of the topic's
// weight, or its opening paragraph topicLedeCover, and that part names
// every word of the topic written with a capital (a name of several words,
// "North Korea", is named whole, not as "South Korea"). An article that
// only mentions the topic further down is about something else. A topic
// with no content terms (common words only) leaves it to the gate: every
// passage counts.
func (e *Engine) aboutTopic(ctx context.Context, t topic, passages []Passage) ([]bool, error) {
	out := make([]bool, len(passages))
	e.mu.RLock()
	defer e.mu.RUnlock()
	if t.total <= 0 {
		for i := range out {
			out[i] = true
		}
		return out, nil
	}
	var ledeIDs []string
	for _, p := range passages {
		if a := e.ix.Article(p.ArticleID); a != nil && len(a.ChunkIDs()) > 0 {
			ledeIDs = append(ledeIDs, a.ChunkIDs()[0])
		}
	}
	texts, err := e.ix.Texts(ctx, ledeIDs)
	if err != nil {
		return nil, fmt.Errorf("timeline: %w", err)
	}
	names := func(terms map[string]int) bool {
		for _, term := range t.terms {
			if term.upper && terms[term.lookup] == 0 {
				return false
			}
		}
		return true
	}
	for i, p := range passages {
		a := e.ix.Article(p.ArticleID)
		if a == nil {
			continue
		}
		title := titleTerms(a.Title)
		if names(title) && t.cover(func(term string) bool { return title[term] > 0 }) >= topicTitleCover {
			out[i] = true
			continue
		}
		if len(a.ChunkIDs()) == 0 {
			continue
		}
		lede := titleTerms(openingParagraph(texts[a.ChunkIDs()[0]]))
		out[i] = names(lede) && t.cover(func(term string) bool { return lede[term] > 0 }) >= topicLedeCover
	}
	return out, nil
}

// ledeMinWords is the fewest words of an opening paragraph: shorter
// blocks at the top of a body are datelines, bylines, captions and
// highlight bullets, not the lede.
const ledeMinWords = 12

// ledeMaxSentences bounds an opening paragraph: a body flattened from a
// web page may be one block.
const ledeMaxSentences = 3

// openingParagraph is an article's lede read from its first passage: the
// first paragraph (blank-line separated) of at least ledeMinWords words,
// at most its first ledeMaxSentences sentences; the passage's start when
// no paragraph is that long.
func openingParagraph(text string) string {
	text = strings.TrimSpace(text)
	lede := text
	for _, para := range strings.Split(text, "\n\n") {
		if len(strings.Fields(para)) >= ledeMinWords {
			lede = strings.TrimSpace(para)
			break
		}
	}
	if spans := corpus.Sentences(lede); len(spans) > ledeMaxSentences {
		return lede[:spans[ledeMaxSentences-1].End]
	}
	return lede
}

// mostCovered keeps the n stories with the most articles (ties: the better
// ranked first article), in their original order.
func mostCovered(stories []*topicStory, n int) []*topicStory {
	if len(stories) <= n {
		return stories
	}
	order := slices.Clone(stories)
	slices.SortStableFunc(order, func(a, b *topicStory) int { return len(b.articles) - len(a.articles) })
	keep := make(map[*topicStory]bool, n)
	for _, s := range order[:n] {
		keep[s] = true
	}
	return slices.DeleteFunc(slices.Clone(stories), func(s *topicStory) bool { return !keep[s] })
}

// entries makes one entry per story from the article pick chooses: the
// sentence of that article (its passage read with its neighbours and its
// lede, as answers read them) that best states the topic, cited [1]; the
// article's first quotable sentence when none names it.
func (e *Engine) entries(ctx context.Context, topic string, stories []*topicStory, pick func(*topicStory) storyArticle) ([]Entry, error) {
	chosen := make([]Passage, len(stories))
	for i, s := range stories {
		chosen[i] = pick(s).passage
	}
	wide, err := e.withNeighbours(ctx, chosen)
	if err != nil {
		return nil, fmt.Errorf("timeline: %w", err)
	}
	out := make([]Entry, 0, len(stories))
	for i, s := range stories {
		p := chosen[i]
		doc := []answer.Passage{{Title: wide[i].Title, Text: wide[i].Text}}
		sentence := firstQuote(answer.Extract(topic, doc, entrySentenceChars))
		if sentence == "" {
			sentence = firstQuote(answer.Digest(doc, entrySentenceChars))
		}
		if sentence == "" {
			continue // nothing quotable (an article of numbers or furniture)
		}
		out = append(out, Entry{
			Date:     question.DayStart(p.Published),
			Sentence: sentence,
			Text:     sentence + " [1]",
			Sources: []Source{{N: 1, ArticleID: p.ArticleID, ChunkID: p.ChunkID, Title: p.Title, Source: p.Source,
				URL: p.URL, Published: p.Published, Score: p.Score, Excerpt: excerpt(p.Text), StoryID: s.id}},
			StoryID:  s.id,
			Articles: len(s.articles),
		})
	}
	return out, nil
}

// firstQuote is the first sentence an extraction quotes that has a
// letter in it, "" for none: a bare figure ("12.") says nothing on its own.
func firstQuote(ex answer.Extraction) string {
	for _, q := range ex.Quotes {
		if strings.IndexFunc(q.Text, unicode.IsLetter) >= 0 {
			return q.Text
		}
	}
	return ""
}
