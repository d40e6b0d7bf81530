package corpus

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/attache-bot/attache/corpus/lang"
)

// TextIndex names one of the library's two full-text (FTS5) indexes. Both
// hold the analysed terms of package lang (see the schema), so a term
// asked for is a term as lang.Term returns it.
type TextIndex int

const (
	// PassageIndex has one row per chunk, keyed by StoredChunk.Seq: the
	// article title's terms and the chunk's.
	PassageIndex TextIndex = iota
	// ArticleIndex has one row per article, keyed by Summary.Seq: the
	// title's terms and those of all its chunks.
	ArticleIndex
)

func (ix TextIndex) table() string {
	if ix == ArticleIndex {
		return "article_terms"
	}
	return "chunk_terms"
}

// ErrBadTerm is returned for a term that is not an index term (empty, too
// long, or holding a space, a quote or another character that lang never
// puts into a term).
var ErrBadTerm = errors.New("not an index term")

// FullText reads the library's full-text indexes: their statistics, the
// document frequency of terms and the rows holding a term with their BM25
// scores. Safe for concurrent use.
type FullText struct{ db *sql.DB }

// FullText returns the reader of the library's full-text indexes.
func (l *Library) FullText() FullText { return FullText{db: l.r} }

// TextStats are the statistics BM25 uses: the number of rows (documents)
// and their average length in terms.
type TextStats struct {
	Docs   int64
	AvgLen float64
}

// Stats returns ix's statistics as FTS5 keeps them (its "averages"
// record: the row count and the total number of terms), which are the
// figures its bm25() uses.
func (f FullText) Stats(ctx context.Context, ix TextIndex) (TextStats, error) {
	var block []byte
	err := f.db.QueryRowContext(ctx, "SELECT block FROM "+ix.table()+"_data WHERE id = 1").Scan(&block)
	if errors.Is(err, sql.ErrNoRows) {
		return TextStats{}, nil // nothing ever written
	}
	if err != nil {
		return TextStats{}, fmt.Errorf("corpus: full-text stats: %w", err)
	}
	if len(block) == 0 {
		return TextStats{}, nil // created, never written
	}
	rows, n := getVarint(block)
	if n == 0 {
		return TextStats{}, errors.New("corpus: full-text stats: damaged averages record")
	}
	total, m := getVarint(block[n:])
	if m == 0 {
		return TextStats{}, errors.New("corpus: full-text stats: damaged averages record")
	}
	st := TextStats{Docs: int64(rows)}
	if rows > 0 {
		st.AvgLen = float64(total) / float64(rows)
	}
	return st, nil
}

// getVarint decodes an SQLite varint (big-endian groups of 7 bits, the
// ninth byte whole), the encoding of FTS5's records. It returns the value
// and the bytes read, 0 when b is too short.
func getVarint(b []byte) (uint64, int) {
	var v uint64
	for i := 0; i < len(b) && i < 9; i++ {
		if i == 8 {
			return v<<8 | uint64(b[i]), 9
		}
		v = v<<7 | uint64(b[i]&0x7f)
		if b[i] < 0x80 {
			return v, i + 1
		}
	}
	return 0, 0
}

// checkTerm validates a term before it becomes an FTS5 string.
func checkTerm(t string) error {
	if t == "" || len(t) > lang.MaxTermBytes || strings.ContainsFunc(t, func(r rune) bool {
		return r <= ' ' || r == '"' || r == '\'' || r == '*' || r == '(' || r == ')' || r == ':' || r == '^' || r == '+' || r == '-' || r == 0x7f
	}) {
		return fmt.Errorf("corpus: full text: %q: %w", t, ErrBadTerm)
	}
	return nil
}

// DocFreq returns the number of articles whose article row holds each of
// terms (absent terms are absent from the map).
func (f FullText) DocFreq(ctx context.Context, terms []string) (map[string]int, error) {
	out := make(map[string]int, len(terms))
	if len(terms) == 0 {
		return out, nil
	}
	args := make([]any, len(terms))
	for i, t := range terms {
		if err := checkTerm(t); err != nil {
			return nil, err
		}
		args[i] = t
	}
	rows, err := f.db.QueryContext(ctx, "SELECT term, doc FROM article_terms_vocab WHERE term IN ("+placeholders(len(terms))+")", args...)
	if err != nil {
		return nil, fmt.Errorf("corpus: document frequency: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var t string
		var n int
		if err := rows.Scan(&t, &n); err != nil {
			return nil, fmt.Errorf("corpus: document frequency: %w", err)
		}
		out[t] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("corpus: document frequency: %w", err)
	}
	return out, nil
}

// Postings calls fn for every row of ix that holds term, in ascending seq
// order, with FTS5's bm25() score of the row for that term alone, negated
// so that higher is better (FTS5's own parameters k1 = 1.2, b = 0.75 and
// its IDF, ln((N−n+0.5)/(n+0.5)) floored at 1e-6; callers that weigh
// terms otherwise divide it out). An error from fn stops the iteration
// and is returned.
func (f FullText) Postings(ctx context.Context, ix TextIndex, term string, fn func(seq int64, score float64) error) error {
	if err := checkTerm(term); err != nil {
		return err
	}
	t := ix.table()
	// The string is quoted: FTS5 reads it as one literal term, never as
	// query syntax (checkTerm keeps quotes out).
	rows, err := f.db.QueryContext(ctx, "SELECT rowid, -bm25("+t+") FROM "+t+" WHERE "+t+" MATCH ?", `"`+term+`"`)
	if err != nil {
		return fmt.Errorf("corpus: full text %q: %w", term, err)
	}
	defer rows.Close()
	for rows.Next() {
		var seq int64
		var score float64
		if err := rows.Scan(&seq, &score); err != nil {
			return fmt.Errorf("corpus: full text %q: %w", term, err)
		}
		if err := fn(seq, score); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("corpus: full text %q: %w", term, err)
	}
	return nil
}
