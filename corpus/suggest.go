package corpus

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"
)

// MaxSuggestions caps Suggest's limit: Discord shows 25 autocomplete choices.
const MaxSuggestions = 25

// suggestSchema indexes what autocomplete reads, in the order it reads it:
// a scope's articles newest first (List's order), with id and title, so
// that Suggest matches titles by scanning this index alone. Its entries
// are small (no body), so even a scan of a whole 100,000-article scope
// stays in a few megabytes of cache, and a match near the top ends the
// scan early. Open creates it with the rest of the schema; on an existing
// library that takes a moment once.
const suggestSchema = `
CREATE INDEX IF NOT EXISTS articles_scope_titles ON articles(scope, published DESC, added_at DESC, id, title);`

// Suggest returns up to limit (at most MaxSuggestions) articles of scope
// whose title or id contains text, ignoring case, newest first as List
// orders them; with text empty, simply the newest. It serves autocomplete,
// which has to answer within Discord's 3 seconds on every keystroke, so it
// reads only what a choice shows (Chunks is left 0).
//
// Matching happens in SQLite over articles_scope_titles alone, stopping at
// the limit-th match, instead of listing every article and filtering in Go;
// then the chosen rows are read. LIKE folds the case of ASCII letters only,
// so any other letter of text matches any one character there, and the
// rows that pass are checked again in Go with Unicode case folding.
func (l *Library) Suggest(ctx context.Context, scope, text string, limit int) ([]Summary, error) {
	if scope == "" {
		scope = SharedScope
	}
	q := NewSuggestQuery(text, limit)
	if !q.OK {
		return nil, nil
	}
	sqlLimit := q.Limit
	if !q.Exact {
		sqlLimit = -1 // Go drops some of the rows LIKE passes
	}
	seqs, err := l.suggestSeqs(ctx, scope, q, sqlLimit)
	if err != nil {
		return nil, fmt.Errorf("corpus: suggest: %w", err)
	}
	if len(seqs) == 0 {
		return nil, nil
	}
	args := make([]any, len(seqs))
	for i, s := range seqs {
		args[i] = s
	}
	rows, err := l.r.QueryContext(ctx, `SELECT seq, id, scope, url, title, source, published FROM articles
		WHERE seq IN (`+placeholders(len(seqs))+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("corpus: suggest: %w", err)
	}
	defer rows.Close()
	bySeq := make(map[int64]Summary, len(seqs))
	for rows.Next() {
		var seq int64
		var s Summary
		var published string
		if err := rows.Scan(&seq, &s.ID, &s.Scope, &s.URL, &s.Title, &s.Source, &published); err != nil {
			return nil, fmt.Errorf("corpus: suggest: %w", err)
		}
		s.Published = parseDate(published)
		bySeq[seq] = s
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("corpus: suggest: %w", err)
	}
	out := make([]Summary, 0, len(seqs))
	for _, seq := range seqs {
		if s, ok := bySeq[seq]; ok { // gone if removed in between
			out = append(out, s)
		}
	}
	return out, nil
}

// suggestSeqs picks the rows of Suggest, in order, from the index alone.
func (l *Library) suggestSeqs(ctx context.Context, scope string, q SuggestQuery, sqlLimit int) ([]int64, error) {
	rows, err := l.r.QueryContext(ctx, `SELECT seq, id, title FROM articles INDEXED BY articles_scope_titles
		WHERE scope = ?1 AND (title LIKE ?2 ESCAPE '\' OR id LIKE ?2 ESCAPE '\')
		ORDER BY published DESC, added_at DESC, id LIMIT ?3`, scope, q.Pattern, sqlLimit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var seqs []int64
	for len(seqs) < q.Limit && rows.Next() {
		var seq int64
		var id, title string
		if err := rows.Scan(&seq, &id, &title); err != nil {
			return nil, err
		}
		if q.Matches(title, id) {
			seqs = append(seqs, seq)
		}
	}
	return seqs, rows.Err()
}

// likePattern turns lower-cased text into a LIKE pattern for "contains",
// escaping LIKE's own characters. exact is false when text has letters
// beyond ASCII: they become "_" (any one character), since LIKE would
// compare their case exactly, and the caller checks the rows again.
func likePattern(text string) (pattern string, exact bool) {
	var b strings.Builder
	b.WriteByte('%')
	exact = true
	for _, r := range text {
		switch {
		case r == '%' || r == '_' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r >= utf8.RuneSelf:
			b.WriteByte('_')
			exact = false
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('%')
	return b.String(), exact
}
