package postgres

import (
	"context"
	"fmt"

	"github.com/attache-bot/attache/corpus"
)

// Suggest returns up to limit (at most corpus.MaxSuggestions) articles of
// scope whose title or id contains text, ignoring case, newest first as
// List orders them; with text empty, simply the newest. See
// corpus.Library.Suggest: the pattern and the check of the rows it passes
// are corpus.SuggestQuery's, so both libraries suggest the same articles.
//
// ILIKE folds ASCII letters as SQLite's LIKE does. The scan walks articles_scope_titles in List's order and stops at the
// limit-th match when the pattern is exact; otherwise Go checks each row
// and the scan stops once it has enough.
func (l *Library) Suggest(ctx context.Context, scope, text string, limit int) ([]corpus.Summary, error) {
	if scope == "" {
		scope = corpus.SharedScope
	}
	q := corpus.NewSuggestQuery(text, limit)
	if !q.OK {
		return nil, nil
	}
	var sqlLimit any = q.Limit
	if !q.Exact {
		sqlLimit = nil // LIMIT NULL: Go drops some of the rows LIKE passes
	}
	rows, err := l.pool.Query(ctx, `SELECT id, scope, url, title, source, published FROM articles
		WHERE scope = $1 AND (title ILIKE $2 OR id ILIKE $2)
		ORDER BY published DESC, added_at DESC, id LIMIT $3`, scope, q.Pattern, sqlLimit)
	if err != nil {
		return nil, fmt.Errorf("postgres: suggest: %w", err)
	}
	defer rows.Close()
	var out []corpus.Summary
	for len(out) < q.Limit && rows.Next() {
		var s corpus.Summary
		var published string
		if err := rows.Scan(&s.ID, &s.Scope, &s.URL, &s.Title, &s.Source, &published); err != nil {
			return nil, fmt.Errorf("postgres: suggest: %w", err)
		}
		if q.Matches(s.Title, s.ID) {
			s.Published = corpus.ParseDate(published)
			out = append(out, s)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: suggest: %w", err)
	}
	return out, nil
}
