package gazetteer

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxLookupBytes bounds the text Lookup accepts: the longest name in the
// gazetteer is under 60 bytes, and a longer input is not a name.
const MaxLookupBytes = 100

// maxSuggestions is how many closest names an UnknownError offers.
const maxSuggestions = 3

// ErrInvalidName is wrapped by Lookup's errors for input that cannot be a
// name at all (empty, too long, not UTF-8, control characters).
var ErrInvalidName = errors.New("invalid name")

// UnknownError is Lookup's error for a well-formed name it does not know.
type UnknownError struct {
	Kind        Kind
	Input       string
	Suggestions []string // the closest known names, best first; may be empty
}

func (e *UnknownError) Error() string {
	what := "country"
	if e.Kind == Organisation {
		what = "organisation"
	}
	msg := fmt.Sprintf("unknown %s %q", what, e.Input)
	if len(e.Suggestions) > 0 {
		msg += "; closest known: " + strings.Join(e.Suggestions, ", ")
	}
	return msg
}

// Lookup resolves what a member typed as a country or organisation: its
// name, any alias ("Britain", "British", "Nato"), or its code ("GB",
// "GBR"), ignoring case, dots and extra spaces. An unknown name gives an
// *UnknownError with the closest known names.
func (g *Gazetteer) Lookup(kind Kind, input string) (Entity, error) {
	if kind != Country && kind != Organisation {
		return Entity{}, fmt.Errorf("%w: unknown kind %q", ErrInvalidName, kind)
	}
	s := strings.TrimSpace(input)
	switch {
	case s == "":
		return Entity{}, fmt.Errorf("%w: empty %s", ErrInvalidName, kind)
	case len(s) > MaxLookupBytes:
		return Entity{}, fmt.Errorf("%w: %s name longer than %d bytes", ErrInvalidName, kind, MaxLookupBytes)
	case !utf8.ValidString(s):
		return Entity{}, fmt.Errorf("%w: %s name is not UTF-8 text", ErrInvalidName, kind)
	case strings.ContainsFunc(s, unicode.IsControl):
		return Entity{}, fmt.Errorf("%w: %s name has control characters", ErrInvalidName, kind)
	}
	key := normalise(s)
	if key == "" {
		return Entity{}, fmt.Errorf("%w: %s name %q has no letters", ErrInvalidName, kind, s)
	}
	if i, ok := g.keys[kind][key]; ok {
		return g.entities[i], nil
	}
	return Entity{}, &UnknownError{Kind: kind, Input: s, Suggestions: g.closest(kind, key)}
}

// closest returns the names of the entities whose name, alias or code is
// nearest key: a key that starts with what was typed is nearest, then edit
// distance decides. Distances above half the input's length are not
// suggestions but noise.
func (g *Gazetteer) closest(kind Kind, key string) []string {
	best := make(map[int]int) // entity -> distance
	for k, e := range g.keys[kind] {
		d := distance(key, k)
		if strings.HasPrefix(k, key) && len(key) >= 3 {
			d = 0
		}
		if d > max(1, utf8.RuneCountInString(key)/2) {
			continue
		}
		if old, ok := best[e]; !ok || d < old {
			best[e] = d
		}
	}
	ids := make([]int, 0, len(best))
	for e := range best {
		ids = append(ids, e)
	}
	sort.Slice(ids, func(i, j int) bool {
		if best[ids[i]] != best[ids[j]] {
			return best[ids[i]] < best[ids[j]]
		}
		return g.entities[ids[i]].Name < g.entities[ids[j]].Name
	})
	var out []string
	for _, e := range ids {
		if len(out) == maxSuggestions {
			break
		}
		out = append(out, g.entities[e].Name)
	}
	return out
}

// normalise folds a name for comparison: lower case, accents kept, dots
// and apostrophes dropped, other non-word runes as single spaces.
func normalise(s string) string {
	var b strings.Builder
	space := false
	for _, r := range strings.ToLower(s) {
		switch {
		case r == '.' || r == '\'' || r == '’':
		case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r):
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(r)
		default:
			space = true
		}
	}
	return b.String()
}

// distance is the Levenshtein distance between a and b, in runes.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
