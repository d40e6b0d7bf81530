package transfer

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/attache-bot/attache/corpus"
)

// Counts is what one scope holds.
type Counts struct {
	Articles, Chunks, Vectors int
}

// ScopeCounts compares one scope's counts in the source and the target.
type ScopeCounts struct {
	Scope       string
	Source      Counts
	Target      Counts // of the source's articles only
	TargetOther int    // articles of the scope in the target that the source lacks
}

// Match reports whether the target holds all of the scope's source data.
func (s ScopeCounts) Match() bool { return s.Source == s.Target }

// Verification is the outcome of Verify, scopes in name order (the shared
// scope first).
type Verification struct {
	Scopes []ScopeCounts
}

// OK reports whether every scope's counts match.
func (v Verification) OK() bool {
	for _, s := range v.Scopes {
		if !s.Match() {
			return false
		}
	}
	return true
}

// Mismatches describes the scopes whose counts differ, one per line.
func (v Verification) Mismatches() string {
	var b strings.Builder
	for _, s := range v.Scopes {
		if !s.Match() {
			fmt.Fprintf(&b, "scope %s: source %d articles, %d chunks, %d vectors; target %d, %d, %d\n", s.Scope,
				s.Source.Articles, s.Source.Chunks, s.Source.Vectors, s.Target.Articles, s.Target.Chunks, s.Target.Vectors)
		}
	}
	return b.String()
}

// Verify counts, per scope, the articles, chunks and vectors of src and
// those of the same articles in dst (an article counts in dst when it is
// there with the same content hash). Articles dst holds besides src's are
// counted apart: a shared library may hold more than one data directory.
func Verify(ctx context.Context, src, dst corpus.Store) (Verification, error) {
	srcHashes, err := src.ArticleHashes(ctx)
	if err != nil {
		return Verification{}, fmt.Errorf("reading the source's content hashes: %w", err)
	}
	dstHashes, err := dst.ArticleHashes(ctx)
	if err != nil {
		return Verification{}, fmt.Errorf("reading the target's content hashes: %w", err)
	}
	scopes := map[string]*ScopeCounts{}
	at := func(scope string) *ScopeCounts {
		s := scopes[scope]
		if s == nil {
			s = &ScopeCounts{Scope: scope}
			scopes[scope] = s
		}
		return s
	}
	// Source side: every article, chunk and vector.
	if err := tally(ctx, src, func(scope, article string) *Counts {
		return &at(scope).Source
	}); err != nil {
		return Verification{}, fmt.Errorf("counting the source: %w", err)
	}
	// Target side: the source's articles, unchanged.
	if err := tally(ctx, dst, func(scope, article string) *Counts {
		if h, ok := srcHashes[article]; !ok || h != dstHashes[article] {
			return nil
		}
		return &at(scope).Target
	}); err != nil {
		return Verification{}, fmt.Errorf("counting the target: %w", err)
	}
	dstList, err := dst.List(ctx)
	if err != nil {
		return Verification{}, fmt.Errorf("listing the target: %w", err)
	}
	for _, s := range dstList {
		if _, ok := srcHashes[s.ID]; !ok {
			at(s.Scope).TargetOther++
		}
	}
	var v Verification
	for _, s := range scopes {
		v.Scopes = append(v.Scopes, *s)
	}
	slices.SortFunc(v.Scopes, func(a, b ScopeCounts) int {
		switch {
		case a.Scope == b.Scope:
			return 0
		case a.Scope == corpus.SharedScope:
			return -1
		case b.Scope == corpus.SharedScope:
			return 1
		}
		return strings.Compare(a.Scope, b.Scope)
	})
	return v, nil
}

// tally adds lib's articles, chunks and vectors to the counts that pick
// returns for each (nil: not counted).
func tally(ctx context.Context, lib corpus.Store, pick func(scope, article string) *Counts) error {
	list, err := lib.List(ctx)
	if err != nil {
		return err
	}
	for _, s := range list {
		if c := pick(s.Scope, s.ID); c != nil {
			c.Articles++
		}
	}
	// Chunks and vectors as stored, not as the article rows say.
	return lib.Chunks(ctx, func(ch corpus.StoredChunk) error {
		if c := pick(ch.Scope, ch.ArticleID); c != nil {
			c.Chunks++
			if len(ch.Vector) > 0 {
				c.Vectors++
			}
		}
		return nil
	})
}
