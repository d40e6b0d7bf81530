// Package evaluate measures attache's retrieval and answers on an
// evaluation set, through retrieval's public API only: Run builds a
// throw-away library from a corpus file, ingests it with an Engine, asks
// every question as of its date and scores the ranks of the evidence
// articles (recall, MRR), the answers (answer hit, citation precision) and
// the refusals. It is what `attache eval` runs.
//
// Experiments that compare ranking weights are tests built with the tune
// tag (go test -tags tune ./retrieval/evaluate), the only build in which
// retrieval lets the weights be set.
package evaluate
