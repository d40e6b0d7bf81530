// Package transfer copies one article library into another — the embedded
// SQLite library of a data directory into a PostgreSQL library, for
// "attache migrate" — without re-embedding anything: every article goes
// over with its chunks and the vectors already stored, the embedder record
// with it.
//
// A copy is resumable: each article is one Put (one transaction in the
// target), and articles the target already holds with the same content
// hash are skipped, so a copy killed at any moment is finished by running
// it again, without duplicates. Before it writes anything, Copy refuses a
// target made by another embedder or holding other articles under the same
// ids. Verify then compares the article, chunk and vector counts of every
// scope.
package transfer

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/attache-bot/attache/corpus"
)

// Options tune a copy.
type Options struct {
	// Workers is how many articles are copied at once (default 4): the
	// target's transactions wait on its server, so a few in flight keep
	// both sides busy.
	Workers int
	// Progress, when not nil, is called after each article (copied or
	// skipped) with how many of the total are done. It is called from one
	// goroutine at a time.
	Progress func(done, total int)
}

// Result is what a copy did.
type Result struct {
	Articles int // articles in the source
	Copied   int // written to the target by this run
	Skipped  int // already in the target with the same content
	Chunks   int // chunks written by this run
}

// ErrConflict is wrapped by Copy's error when the target cannot take the
// source's articles: another embedder, or other articles under the same
// ids. Nothing has been written then.
var ErrConflict = errors.New("the target library conflicts with the source")

// Copy copies every article of src into dst with its chunks and stored
// vectors, after recording src's embedder in dst. It stops at the first
// error (ctx's included); what was copied stays, and running Copy again
// finishes the job.
func Copy(ctx context.Context, src, dst corpus.Store, opts Options) (Result, error) {
	var res Result
	if err := checkEmbedder(ctx, src, dst); err != nil {
		return res, err
	}
	list, err := src.List(ctx)
	if err != nil {
		return res, fmt.Errorf("listing the source's articles: %w", err)
	}
	res.Articles = len(list)
	srcHashes, err := src.ArticleHashes(ctx)
	if err != nil {
		return res, fmt.Errorf("reading the source's content hashes: %w", err)
	}
	have, err := dst.ArticleHashes(ctx)
	if err != nil {
		return res, fmt.Errorf("reading the target's content hashes: %w", err)
	}
	if err := checkConflicts(ctx, list, srcHashes, have, dst); err != nil {
		return res, err
	}
	// Oldest first, so that the target's change feed and row order follow
	// the order the articles were added in.
	slices.SortFunc(list, func(a, b corpus.Summary) int { return cmp.Compare(a.Seq, b.Seq) })
	var todo []string
	for _, s := range list {
		if _, ok := have[s.ID]; ok {
			res.Skipped++
			continue
		}
		todo = append(todo, s.ID)
	}
	done := res.Skipped
	if opts.Progress != nil {
		opts.Progress(done, res.Articles)
	}

	workers := cmp.Or(opts.Workers, 4)
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	ids := make(chan string)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range min(workers, max(len(todo), 1)) {
		wg.Go(func() {
			for id := range ids {
				n, err := copyArticle(ctx, src, dst, id)
				mu.Lock()
				if err != nil {
					cancel(err)
				} else {
					res.Copied++
					res.Chunks += n
					done++
					if opts.Progress != nil {
						opts.Progress(done, res.Articles)
					}
				}
				mu.Unlock()
			}
		})
	}
feed:
	for _, id := range todo {
		select {
		case ids <- id:
		case <-ctx.Done():
			break feed
		}
	}
	close(ids)
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return res, err
	}
	return res, nil
}

// checkEmbedder records src's embedder in dst, refusing a dst whose
// vectors were made by another.
func checkEmbedder(ctx context.Context, src, dst corpus.Store) error {
	info, ok, err := src.Embedder(ctx)
	if err != nil {
		return fmt.Errorf("reading the source's embedder: %w", err)
	}
	if !ok {
		// No record (vectors stored by a caller that never set one): each
		// Put still refuses vectors of another dimension than dst's.
		return nil
	}
	if err := dst.CheckEmbedder(ctx, info); err != nil {
		if errors.Is(err, corpus.ErrEmbedderMismatch) {
			theirs, _, _ := dst.Embedder(ctx)
			return fmt.Errorf("%w: its vectors were made by %s (%d dimensions), the source's by %s (%d dimensions); "+
				"migrate into an empty library instead", ErrConflict, theirs.Name, theirs.Dim, info.Name, info.Dim)
		}
		return fmt.Errorf("recording the embedder in the target: %w", err)
	}
	return nil
}

// checkConflicts refuses a target that holds, under an id of the source,
// another version of the article or an article of another scope.
func checkConflicts(ctx context.Context, list []corpus.Summary, srcHashes, have map[string]string, dst corpus.Store) error {
	if len(have) == 0 {
		return nil
	}
	// The hash covers the scope, but the target's hash is what the target
	// says: compare the scopes it stored too.
	theirs, err := dst.List(ctx)
	if err != nil {
		return fmt.Errorf("listing the target's articles: %w", err)
	}
	scopes := make(map[string]string, len(theirs))
	for _, s := range theirs {
		scopes[s.ID] = s.Scope
	}
	var differ []string
	for _, s := range list {
		h, ok := have[s.ID]
		if ok && (h != srcHashes[s.ID] || scopes[s.ID] != s.Scope) {
			differ = append(differ, s.ID)
		}
	}
	if len(differ) == 0 {
		return nil
	}
	slices.Sort(differ)
	shown := differ[:min(len(differ), 3)]
	more := ""
	if len(differ) > len(shown) {
		more = fmt.Sprintf(" and %d more", len(differ)-len(shown))
	}
	return fmt.Errorf("%w: it holds other articles under %d of the source's ids (%s%s); "+
		"remove them there or migrate into an empty library", ErrConflict, len(differ), strings.Join(shown, ", "), more)
}

// copyArticle copies one article with its chunks and vectors, and returns
// how many chunks it wrote.
func copyArticle(ctx context.Context, src, dst corpus.Store, id string) (int, error) {
	a, err := src.Get(ctx, id)
	if err != nil {
		return 0, fmt.Errorf("reading article %s: %w", id, err)
	}
	chunks, err := src.ArticleChunks(ctx, id)
	if err != nil {
		return 0, fmt.Errorf("reading the chunks of %s: %w", id, err)
	}
	stored, err := src.Stored(ctx, id)
	if err != nil {
		return 0, fmt.Errorf("reading the vectors of %s: %w", id, err)
	}
	// Three reads: if a writer changed the article between them, the
	// pieces would not belong together.
	if stored.Hash != corpus.Hash(a) || len(stored.Chunks) != len(chunks) {
		return 0, fmt.Errorf("article %s changed in the source while it was read; run again", id)
	}
	vecs := make([][]float32, len(chunks))
	for i, c := range stored.Chunks {
		if c.ID != chunks[i].ID {
			return 0, fmt.Errorf("article %s changed in the source while it was read; run again", id)
		}
		vecs[i] = c.Vector
	}
	if _, err := dst.Put(ctx, a, chunks, vecs); err != nil {
		return 0, fmt.Errorf("writing article %s: %w", id, err)
	}
	return len(chunks), nil
}
