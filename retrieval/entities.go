package retrieval

import (
	"errors"
	"sort"
	"strings"

	"github.com/attache-bot/attache/corpus/gazetteer"
	"github.com/attache-bot/attache/retrieval/index"
)

// ErrBadFilter is wrapped by the errors of Search and Answer when
// Query.Country or Query.Org (Request's) names no country or organisation
// of the gazetteer. The chain also holds the gazetteer's error: a
// *gazetteer.UnknownError (errors.As) with the closest known names, or
// gazetteer.ErrInvalidName for input that cannot be a name (too long,
// control characters).
var ErrBadFilter = errors.New("bad country or organisation")

// filterError carries ErrBadFilter and the gazetteer's error.
type filterError struct{ err error }

func (e *filterError) Error() string   { return e.err.Error() }
func (e *filterError) Unwrap() []error { return []error{ErrBadFilter, e.err} }

// resolveFilter turns what a member typed as country and organisation
// (names, aliases or codes; "" for none) into the gazetteer ids r is to
// admit (index.DayRange.Admits).
func resolveFilter(r index.DayRange, country, org string) (index.DayRange, error) {
	g := gazetteer.Default()
	for _, f := range []struct {
		kind  gazetteer.Kind
		input string
		id    *string
	}{{gazetteer.Country, country, &r.Country}, {gazetteer.Organisation, org, &r.Org}} {
		if strings.TrimSpace(f.input) == "" {
			continue
		}
		e, err := g.Lookup(f.kind, f.input)
		if err != nil {
			return r, &filterError{err}
		}
		*f.id = e.ID
	}
	return r, nil
}

// EntityCount is a country or organisation and how many articles a scope
// sees about it.
type EntityCount struct {
	Kind     gazetteer.Kind
	ID       string // gazetteer id, what Query.Country or Query.Org takes
	Name     string
	Articles int
}

// Entities returns the countries and organisations that the articles
// visible to scope (its own and the shared ones; "" for the shared only)
// are about, the most covered first (ties by name): the choices an option's
// autocomplete offers.
func (e *Engine) Entities(scope string) []EntityCount {
	scopes := scopesOf(normalizeScope(scope))
	type key struct {
		kind gazetteer.Kind
		id   string
	}
	n := map[key]int{}
	e.mu.RLock()
	for _, a := range e.ix.Articles() {
		if !index.InScopes(a, scopes, index.AllDays) {
			continue
		}
		for _, c := range a.Countries {
			n[key{gazetteer.Country, c}]++
		}
		for _, o := range a.Orgs {
			n[key{gazetteer.Organisation, o}]++
		}
	}
	e.mu.RUnlock()
	g := gazetteer.Default()
	out := make([]EntityCount, 0, len(n))
	for k, c := range n {
		name := k.id
		if ent, ok := g.ByID(k.kind, k.id); ok {
			name = ent.Name
		}
		out = append(out, EntityCount{Kind: k.kind, ID: k.id, Name: name, Articles: c})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Articles != out[j].Articles {
			return out[i].Articles > out[j].Articles
		}
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return out[i].Kind < out[j].Kind
	})
	return out
}
