package retrieval

import (
	"context"
	"errors"

	"github.com/attache-bot/attache/corpus"
)

// Outcome is what Ingest did with one article.
type Outcome struct {
	// Article is the normalised article, with its id.
	Article corpus.Article
	// Status is Added, Updated or Unchanged when Err is nil.
	Status corpus.PutStatus
	// Err is why the article was not stored, nil when it was.
	Err error
}

// Rejected reports whether the article itself was refused: invalid
// (corpus.ErrInvalidArticle) or its id taken by another scope's article
// (corpus.ErrScopeConflict). Ingesting it again would refuse it again;
// any other error is a failure to store a valid article (a full disk, a
// failing embeddings API) that a retry may fix.
func (o Outcome) Rejected() bool {
	return errors.Is(o.Err, corpus.ErrInvalidArticle) || errors.Is(o.Err, corpus.ErrScopeConflict)
}

// IngestCounts sums up the Outcomes of one Ingest.
type IngestCounts struct {
	Added, Updated, Unchanged int
	Rejected                  int // see Outcome.Rejected
	Failed                    int // valid articles that could not be stored
}

// Stored is how many articles are in the library after the ingest, new
// or not.
func (c IngestCounts) Stored() int { return c.Added + c.Updated + c.Unchanged }

// Ingest stores articles in scope (the shared scope when ""), replacing
// whatever scope they carry: the one way articles come in, from the
// command line, the bot and feeds alike. It runs AddMany, so articles are
// prepared in parallel and written in order; each, when not nil, is called
// from the calling goroutine once per article, in input order, with its
// Outcome. A rejected or failed article does not stop the others; the
// error is ctx's when it ended the ingest early (stored articles stay
// stored).
func (e *Engine) Ingest(ctx context.Context, scope string, articles []corpus.Article, each func(i int, o Outcome)) (IngestCounts, error) {
	in := make([]corpus.Article, len(articles))
	for i, a := range articles {
		a.Scope = scope
		in[i] = a
	}
	var c IngestCounts
	err := e.AddMany(ctx, in, func(i int, a corpus.Article, st corpus.PutStatus, err error) {
		o := Outcome{Article: a, Status: st, Err: err}
		switch {
		case err != nil && o.Rejected():
			c.Rejected++
		case err != nil:
			c.Failed++
		case st == corpus.Added:
			c.Added++
		case st == corpus.Updated:
			c.Updated++
		case st == corpus.Unchanged:
			c.Unchanged++
		}
		if each != nil {
			each(i, o)
		}
	})
	return c, err
}
