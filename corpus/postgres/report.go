package postgres

import (
	"context"
	"fmt"

	"github.com/attache-bot/attache/corpus"
)

// Bounds of one report, as in the SQLite library: a flood of questions
// makes a long report, not a slow one.
const (
	maxReportQuestions = 5000 // distinct "not covered" texts read
	maxReportDisliked  = 200  // voted-down answers listed
)

// Report builds the moderators' report of opts' scope and window; see
// corpus.Library.Report. The grouping of wordings is corpus.GroupQuestions.
func (l *Library) Report(ctx context.Context, opts corpus.ReportOptions) (corpus.Report, error) {
	opts, err := corpus.CheckReportOptions(opts)
	if err != nil {
		return corpus.Report{}, fmt.Errorf("postgres: report: %w", err)
	}
	rep := corpus.Report{Since: opts.Since.UTC(), Until: opts.Now.UTC()}
	if rep.NotCovered, rep.NotCoveredTotal, err = l.notCovered(ctx, opts); err != nil {
		return corpus.Report{}, fmt.Errorf("postgres: report: %w", err)
	}
	if rep.Disliked, err = l.disliked(ctx, opts); err != nil {
		return corpus.Report{}, fmt.Errorf("postgres: report: %w", err)
	}
	if rep.Feeds, err = l.feedHealth(ctx, opts); err != nil {
		return corpus.Report{}, fmt.Errorf("postgres: report: %w", err)
	}
	return rep, nil
}

// window is the condition of opts' window on the time column col of a
// table with a guild_id column: $1 and $2 are the window's ends, $3 the
// guild ("" for every guild).
func window(col string) string {
	return col + " >= $1 AND " + col + " <= $2 AND ($3 = '' OR guild_id = $3)"
}

func windowArgs(opts corpus.ReportOptions) []any {
	return []any{opts.Since.UTC(), opts.Now.UTC(), opts.GuildID}
}

func (l *Library) notCovered(ctx context.Context, opts corpus.ReportOptions) ([]corpus.QuestionGroup, int, error) {
	where := window("answered_at") + " AND sources = ANY($4)"
	args := append(windowArgs(opts), corpus.NotCoveredSources)
	var total int
	if err := l.pool.QueryRow(ctx, "SELECT count(*) FROM answers WHERE "+where, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := l.pool.Query(ctx, `SELECT question, count(*) AS n, max(answered_at) AS last FROM answers
		WHERE `+where+` GROUP BY question ORDER BY n DESC, last DESC LIMIT $5`, append(args, maxReportQuestions)...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var qs []corpus.AskedQuestion
	for rows.Next() {
		var q corpus.AskedQuestion
		if err := rows.Scan(&q.Text, &q.Count, &q.Last); err != nil {
			return nil, 0, err
		}
		q.Last = q.Last.UTC()
		qs = append(qs, q)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	return corpus.GroupQuestions(qs), total, nil
}

func (l *Library) disliked(ctx context.Context, opts corpus.ReportOptions) ([]corpus.DislikedAnswer, error) {
	rows, err := l.pool.Query(ctx, `SELECT answer_id, max(guild_id), max(question), max(answer), max(sources),
		count(*) AS n, max(voted_at) AS last FROM feedback WHERE vote = -1 AND question <> '' AND `+window("voted_at")+`
		GROUP BY answer_id ORDER BY n DESC, last DESC, answer_id LIMIT $4`, append(windowArgs(opts), maxReportDisliked)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []corpus.DislikedAnswer
	for rows.Next() {
		var d corpus.DislikedAnswer
		var sources string
		if err := rows.Scan(&d.AnswerID, &d.GuildID, &d.Question, &d.Answer, &sources, &d.Down, &d.Last); err != nil {
			return nil, err
		}
		d.Last = d.Last.UTC()
		d.Sources = corpus.ReportSources(sources)
		out = append(out, d)
	}
	return out, rows.Err()
}

func (l *Library) feedHealth(ctx context.Context, opts corpus.ReportOptions) ([]corpus.FeedHealth, error) {
	feeds, err := l.Feeds(ctx, opts.GuildID)
	if err != nil {
		return nil, err
	}
	out := make([]corpus.FeedHealth, 0, len(feeds))
	for _, f := range feeds {
		h := corpus.FeedHealth{Feed: f}
		err := l.pool.QueryRow(ctx, `SELECT count(DISTINCT a.id) FROM feed_items i JOIN articles a ON a.id = i.article_id
			WHERE i.feed_id = $1 AND a.added_at >= $2 AND a.added_at <= $3`,
			f.ID, opts.Since.UTC(), opts.Now.UTC()).Scan(&h.Added)
		if err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, nil
}
