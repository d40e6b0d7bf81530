package retrieval

import (
	"context"

	"github.com/attache-bot/attache/corpus"
)

// labelSet maps outlets (by corpus.OutletKey) to their labels in one
// answer's scope.
type labelSet map[string]string

// outletLabels reads the labels that apply in scope: the shared scope's,
// overridden by the guild's own. A library that cannot read them leaves
// the answer unlabelled rather than failing it.
func (e *Engine) outletLabels(ctx context.Context, scope string) labelSet {
	scopes := []string{corpus.SharedScope}
	if scope != "" && scope != corpus.SharedScope {
		scopes = append(scopes, scope)
	}
	ls, err := e.lib.OutletLabels(ctx, scopes...)
	if err != nil {
		if ctx.Err() == nil {
			e.cfg.Logger.Warn("could not read outlet labels; answering without them", "error", err)
		}
		return nil
	}
	set := make(labelSet, len(ls))
	for k, l := range corpus.LabelsByOutlet(ls) {
		set[k] = l.Label
	}
	return set
}

// label is outlet's label, or "".
func (s labelSet) label(outlet string) string { return s[corpus.OutletKey(outlet)] }

// show is outlet as an answer's text names it: "Reuters (wire)".
func (s labelSet) show(outlet string) string {
	if l := s.label(outlet); l != "" {
		return outlet + " (" + l + ")"
	}
	return outlet
}

// apply sets the labels of ans's sources and of their also lists.
func (s labelSet) apply(ans *Answer) {
	for i := range ans.Sources {
		src := &ans.Sources[i]
		src.Label = s.label(src.Source)
		for k := range src.Also {
			src.Also[k].Label = s.label(src.Also[k].Source)
		}
	}
}
