package postgres

import (
	"context"
	"fmt"
	"math"

	"github.com/attache-bot/attache/corpus"
	"github.com/jackc/pgx/v5/pgxpool"
)

// FullText reads the library's full-text rows: their statistics, the
// document frequency of terms and the rows holding a term with their BM25
// scores, exactly as corpus.FullText computes them over FTS5. Safe for
// concurrent use.
type FullText struct{ pool *pgxpool.Pool }

// FullText returns the reader of the library's full-text rows.
func (l *Library) FullText() FullText { return FullText{pool: l.pool} }

// table returns the table of ix and its number in text_stats.
func table(ix corpus.TextIndex) (string, int) {
	if ix == corpus.ArticleIndex {
		return "article_terms", 1
	}
	return "passage_terms", 0
}

// Stats returns ix's row count and average row length in terms.
func (f FullText) Stats(ctx context.Context, ix corpus.TextIndex) (corpus.TextStats, error) {
	_, n := table(ix)
	var docs, total int64
	if err := f.pool.QueryRow(ctx, "SELECT docs, total FROM text_stats WHERE ix = $1", n).Scan(&docs, &total); err != nil {
		return corpus.TextStats{}, fmt.Errorf("postgres: full-text stats: %w", err)
	}
	st := corpus.TextStats{Docs: docs}
	if docs > 0 {
		st.AvgLen = float64(total) / float64(docs)
	}
	return st, nil
}

// tsquery returns the query matching the lexeme term exactly: quoted, so
// that it is never read as query syntax (corpus.CheckTerm keeps quotes and
// backslashes out).
func tsquery(term string) string { return "'" + term + "'" }

// DocFreq returns the number of articles whose article row holds each of
// terms (absent terms are absent from the map).
func (f FullText) DocFreq(ctx context.Context, terms []string) (map[string]int, error) {
	out := make(map[string]int, len(terms))
	for _, t := range terms {
		if err := corpus.CheckTerm(t); err != nil {
			return nil, err
		}
	}
	for _, t := range terms {
		var n int
		if err := f.pool.QueryRow(ctx, "SELECT count(*) FROM article_terms WHERE terms @@ $1::tsquery", tsquery(t)).Scan(&n); err != nil {
			return nil, fmt.Errorf("postgres: document frequency: %w", err)
		}
		if n > 0 {
			out[t] = n
		}
	}
	return out, nil
}

// BM25 parameters, FTS5's own.
const k1, b = 1.2, 0.75

// Postings calls fn for every row of ix that holds term, in ascending seq
// order, with the BM25 score FTS5's bm25() gives the row for that term
// alone, negated so that higher is better (see corpus.FullText.Postings).
// The rows are read first (the score needs their number), then fn is
// called; an error from fn stops the iteration and is returned.
func (f FullText) Postings(ctx context.Context, ix corpus.TextIndex, term string, fn func(seq int64, score float64) error) error {
	if err := corpus.CheckTerm(term); err != nil {
		return err
	}
	t, n := table(ix)
	// The statistics come with every row, in one round trip and one
	// snapshot (one row with a NULL seq when no row holds the term). A
	// term missing from tf is in the row once (see termRow).
	rows, err := f.pool.Query(ctx, `SELECT s.docs, s.total, p.seq, p.tf, p.len FROM text_stats s
		LEFT JOIN LATERAL (SELECT seq, coalesce((tf ->> $1)::int, 1) AS tf, len FROM `+t+`
			WHERE terms @@ $2::tsquery) p ON true
		WHERE s.ix = $3 ORDER BY p.seq`, term, tsquery(term), n)
	if err != nil {
		return fmt.Errorf("postgres: full text %q: %w", term, err)
	}
	type hit struct {
		seq     int64
		tf, len int
	}
	var hits []hit
	var st corpus.TextStats
	for rows.Next() {
		var total int64
		var seq *int64
		var tf, length *int
		if err := rows.Scan(&st.Docs, &total, &seq, &tf, &length); err != nil {
			rows.Close()
			return fmt.Errorf("postgres: full text %q: %w", term, err)
		}
		if st.Docs > 0 {
			st.AvgLen = float64(total) / float64(st.Docs)
		}
		if seq != nil {
			hits = append(hits, hit{*seq, *tf, *length})
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("postgres: full text %q: %w", term, err)
	}
	idf := math.Log((float64(st.Docs) - float64(len(hits)) + 0.5) / (float64(len(hits)) + 0.5))
	if idf <= 0 {
		idf = 1e-6
	}
	for _, h := range hits {
		tf := float64(h.tf)
		score := idf * tf * (k1 + 1) / (tf + k1*(1-b+b*float64(h.len)/st.AvgLen))
		if err := fn(h.seq, score); err != nil {
			return err
		}
	}
	return nil
}

// Text returns the library's full-text reader as a corpus.TextReader.
func (l *Library) Text() corpus.TextReader { return l.FullText() }
