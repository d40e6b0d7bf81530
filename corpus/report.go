package corpus

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/attache-bot/attache/corpus/lang"
)

// The moderators' report: what members asked that the corpus did not
// cover, the answers they voted down, and how the feeds are doing. It
// reads only what the answers and votes already keep, and question text
// lives no longer than stored answers do (PruneAnswers clears the text of
// older votes), so the report never looks further back than MaxReportDays.

// MaxReportDays is the longest window a report covers: the retention of
// stored answers and of the question text of votes.
const MaxReportDays = 30

// Bounds of one report, so that a flood of questions makes a long report,
// not a slow one.
const (
	// maxReportQuestions is how many distinct "not covered" question texts
	// are read (the most asked, then the newest first); the rest only add to
	// the total.
	maxReportQuestions = 5000
	// maxFuzzyKeys is how many distinct term sets are compared with each
	// other for near-identical ones (the pairwise comparison is quadratic);
	// the others group with identical term sets only.
	maxFuzzyKeys = 1000
	// maxReportDisliked is how many voted-down answers a report lists.
	maxReportDisliked = 200
	// sameQuestion is the least Jaccard similarity of two questions' term
	// sets for them to ask the same thing: "what did the summit agree on"
	// and "what did the summits agree" share all terms; one differing term
	// among five does not pass.
	sameQuestion = 0.8
)

// ReportOptions choose a report's scope and window.
type ReportOptions struct {
	// GuildID limits the report to one guild's answers and feeds; "" is
	// every guild (and direct messages), with every feed.
	GuildID string
	// Since is the start of the window; it may not be more than
	// MaxReportDays before Now.
	Since time.Time
	// Now is the end of the window; time.Now when zero.
	Now time.Time
}

// Report is what moderators see.
type Report struct {
	Since, Until time.Time
	// NotCoveredTotal is how many questions were answered "not covered".
	NotCoveredTotal int
	// NotCovered groups them by what they ask, the most asked first.
	NotCovered []QuestionGroup
	// Disliked are the answers voted 👎, the most voted-down first.
	Disliked []DislikedAnswer
	// Feeds are the health of the scope's feeds.
	Feeds []FeedHealth
}

// QuestionGroup is questions that ask the same thing.
type QuestionGroup struct {
	Question string    // the most asked wording (the newest among equals)
	Count    int       // how many times it was asked, in any wording
	Wordings int       // how many different wordings
	Last     time.Time // when it was last asked
}

// DislikedAnswer is an answer voted 👎.
type DislikedAnswer struct {
	AnswerID string
	GuildID  string
	Question string
	Answer   string
	Sources  []ReportSource
	Down     int       // 👎 votes
	Last     time.Time // the newest of them
}

// ReportSource is a cited source of a voted-down answer.
type ReportSource struct {
	Title  string
	Source string // outlet
	URL    string
}

// FeedHealth is a feed with what it brought in the window.
type FeedHealth struct {
	Feed
	// Added is how many of its articles entered the library in the window.
	Added int
}

// Report builds the report of opts' scope and window.
func (l *Library) Report(ctx context.Context, opts ReportOptions) (Report, error) {
	opts, err := CheckReportOptions(opts)
	if err != nil {
		return Report{}, fmt.Errorf("corpus: report: %w", err)
	}
	rep := Report{Since: opts.Since.UTC(), Until: opts.Now.UTC()}
	if rep.NotCovered, rep.NotCoveredTotal, err = l.notCovered(ctx, opts); err != nil {
		return Report{}, fmt.Errorf("corpus: report: %w", err)
	}
	if rep.Disliked, err = l.disliked(ctx, opts); err != nil {
		return Report{}, fmt.Errorf("corpus: report: %w", err)
	}
	if rep.Feeds, err = l.feedHealth(ctx, opts); err != nil {
		return Report{}, fmt.Errorf("corpus: report: %w", err)
	}
	return rep, nil
}

// windowWhere is the SQL condition and arguments of opts' window on a
// table with a guild_id column and the time column col.
func windowWhere(opts ReportOptions, col string) (string, []any) {
	where := col + " >= ? AND " + col + " <= ?"
	args := []any{opts.Since.UTC().Format(feedbackTime), opts.Now.UTC().Format(feedbackTime)}
	if opts.GuildID != "" {
		where += " AND guild_id = ?"
		args = append(args, opts.GuildID)
	}
	return where, args
}

// notCoveredSources are the stored sources of an answer that cites
// nothing: the "not covered" answers (retrieval gives every other answer
// at least one cited source). They are JSON of the caller's choosing, so
// every empty form counts.
const notCoveredSources = `sources IN ('', 'null', '[]')`

// notCovered reads the "not covered" questions of the window and groups
// them. Identical texts are counted by SQLite; the grouping of wordings
// happens here.
func (l *Library) notCovered(ctx context.Context, opts ReportOptions) ([]QuestionGroup, int, error) {
	where, args := windowWhere(opts, "answered_at")
	where += " AND " + notCoveredSources
	var total int
	if err := l.r.QueryRowContext(ctx, "SELECT count(*) FROM answers WHERE "+where, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := l.r.QueryContext(ctx, `SELECT question, count(*) AS n, max(answered_at) AS last FROM answers
		WHERE `+where+` GROUP BY question ORDER BY n DESC, last DESC LIMIT ?`, append(args, maxReportQuestions)...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var qs []AskedQuestion
	for rows.Next() {
		var q AskedQuestion
		var last string
		if err := rows.Scan(&q.Text, &q.Count, &last); err != nil {
			return nil, 0, err
		}
		q.Last, _ = time.Parse(feedbackTime, last)
		qs = append(qs, q)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	return GroupQuestions(qs), total, nil
}

// GroupQuestions groups wordings that ask the same thing: the same set of
// index terms (package lang: stop words left out, inflections folded), or
// sets near-identical to a larger group's. Questions without a single
// term group by their lower-cased text. Groups come most asked first.
func GroupQuestions(qs []AskedQuestion) []QuestionGroup {
	type group struct {
		terms map[string]bool
		best  AskedQuestion // the most asked wording
		QuestionGroup
	}
	byKey := map[string]*group{}
	var order []*group
	var buf []string
	for _, q := range qs {
		buf = lang.Terms(q.Text, buf[:0])
		set := map[string]bool{}
		for _, t := range buf {
			set[t] = true
		}
		key := termKey(set)
		if key == "" {
			key = "\x00" + strings.ToLower(strings.Join(strings.Fields(q.Text), " "))
		}
		g := byKey[key]
		if g == nil {
			g = &group{terms: set, best: q}
			byKey[key] = g
			order = append(order, g)
		}
		g.add(q)
		if q.Count > g.best.Count {
			g.best = q
		}
	}
	// Merge near-identical term sets into the larger group, biggest first,
	// among the most asked maxFuzzyKeys.
	sort.SliceStable(order, func(i, j int) bool { return order[i].Count > order[j].Count })
	merged := order[:0:0]
	for i, g := range order {
		var into *group
		if i < maxFuzzyKeys && len(g.terms) > 0 {
			for _, m := range merged[:min(len(merged), maxFuzzyKeys)] {
				if len(m.terms) > 0 && jaccard(m.terms, g.terms) >= sameQuestion {
					into = m
					break
				}
			}
		}
		if into == nil {
			merged = append(merged, g)
			continue
		}
		into.Count += g.Count
		into.Wordings += g.Wordings
		if g.Last.After(into.Last) {
			into.Last = g.Last
		}
		if g.best.Count > into.best.Count {
			into.best = g.best
		}
	}
	out := make([]QuestionGroup, len(merged))
	for i, g := range merged {
		g.Question = g.best.Text
		out[i] = g.QuestionGroup
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Last.After(out[j].Last)
	})
	return out
}

// add counts one more wording of g.
func (g *QuestionGroup) add(q AskedQuestion) {
	g.Count += q.Count
	g.Wordings++
	if q.Last.After(g.Last) {
		g.Last = q.Last
	}
}

// termKey is a term set as a sorted string.
func termKey(set map[string]bool) string {
	terms := make([]string, 0, len(set))
	for t := range set {
		terms = append(terms, t)
	}
	sort.Strings(terms)
	return strings.Join(terms, " ")
}

// jaccard is |a∩b| / |a∪b|.
func jaccard(a, b map[string]bool) float64 {
	inter := 0
	for t := range a {
		if b[t] {
			inter++
		}
	}
	return float64(inter) / float64(len(a)+len(b)-inter)
}

// disliked reads the answers voted 👎 in the window, the most voted-down
// first.
func (l *Library) disliked(ctx context.Context, opts ReportOptions) ([]DislikedAnswer, error) {
	where, args := windowWhere(opts, "voted_at")
	rows, err := l.r.QueryContext(ctx, `SELECT answer_id, max(guild_id), max(question), max(answer), max(sources),
		count(*) AS n, max(voted_at) AS last FROM feedback WHERE vote = -1 AND question <> '' AND `+where+`
		GROUP BY answer_id ORDER BY n DESC, last DESC, answer_id LIMIT ?`, append(args, maxReportDisliked)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []DislikedAnswer
	for rows.Next() {
		var d DislikedAnswer
		var sources, last string
		if err := rows.Scan(&d.AnswerID, &d.GuildID, &d.Question, &d.Answer, &sources, &d.Down, &last); err != nil {
			return nil, err
		}
		d.Last, _ = time.Parse(feedbackTime, last)
		d.Sources = ReportSources(sources)
		out = append(out, d)
	}
	return out, rows.Err()
}

// feedHealth is the scope's feeds with the articles each added in the
// window.
func (l *Library) feedHealth(ctx context.Context, opts ReportOptions) ([]FeedHealth, error) {
	feeds, err := l.Feeds(ctx, opts.GuildID)
	if err != nil {
		return nil, err
	}
	out := make([]FeedHealth, 0, len(feeds))
	for _, f := range feeds {
		h := FeedHealth{Feed: f}
		err := l.r.QueryRowContext(ctx, `SELECT count(DISTINCT a.id) FROM feed_items i JOIN articles a ON a.id = i.article_id
			WHERE i.feed_id = ? AND a.added_at >= ? AND a.added_at <= ?`,
			f.ID, opts.Since.UTC().Format(time.RFC3339Nano), opts.Now.UTC().Format(time.RFC3339Nano)).Scan(&h.Added)
		if err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, nil
}
