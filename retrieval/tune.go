//go:build tune

package retrieval

import "github.com/attache-bot/attache/corpus"

// This file exists only in builds with the tune tag (go test -tags tune):
// the experiments that compare ranking variants on the evaluation set
// (package evaluate's TestEvalTune) set the search weights, which are not
// configuration in the product.

// Ranking is the search weights, named for tuning experiments.
type Ranking = ranking

// DefaultRanking returns the tuned search weights.
func DefaultRanking() Ranking { return defaultRanking() }

// SetRanking replaces the engine's search weights; searches after it use r.
func (e *Engine) SetRanking(r Ranking) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.rank = r
}

// Library returns the library the engine searches, so that an experiment
// can read an article's neighbouring chunks.
func (e *Engine) Library() corpus.Store { return e.lib }
