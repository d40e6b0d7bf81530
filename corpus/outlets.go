package corpus

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Outlet labels: a scope's moderators label outlets ("wire", "state
// media", "official", "opinion") and the label shows wherever the outlet
// does in that scope's answers. A guild's label overrides the shared
// scope's label of the same outlet.

// Bounds on outlet labels.
const (
	// MaxOutletRunes bounds an outlet's name (articles' Source fields are
	// rarely past 40).
	MaxOutletRunes = 100
	// MaxLabelRunes bounds a label: a word or two, shown in brackets
	// after the outlet on every source line.
	MaxLabelRunes = 24
	// MaxOutletLabels is how many labelled outlets one scope may have.
	MaxOutletLabels = 200
)

// ErrInvalidLabel is wrapped by every error about a bad outlet name or
// label.
var ErrInvalidLabel = errors.New("invalid outlet label")

// ErrTooManyLabels: the scope has MaxOutletLabels labels already.
var ErrTooManyLabels = errors.New("too many outlet labels")

// OutletLabel is one outlet's label in a scope.
type OutletLabel struct {
	Scope  string
	Outlet string // as the moderator wrote it (spacing collapsed)
	Label  string
	SetAt  time.Time
}

// OutletCount is one outlet of a scope's articles and how many it has.
type OutletCount struct {
	Outlet   string
	Articles int
}

// outletLabelSchema is created with the rest of the schema at Open.
// outlet_key is the outlet compared as OutletKey does.
const outletLabelSchema = `
CREATE TABLE IF NOT EXISTS outlet_labels (
	scope      TEXT NOT NULL,
	outlet_key TEXT NOT NULL,
	outlet     TEXT NOT NULL,
	label      TEXT NOT NULL,
	set_at     TEXT NOT NULL,
	PRIMARY KEY (scope, outlet_key)
) WITHOUT ROWID;`

// OutletKey is how outlet names are compared: case and spacing aside.
func OutletKey(outlet string) string {
	return strings.ToLower(strings.Join(strings.Fields(outlet), " "))
}

// CleanOutlet checks an outlet name as given by a moderator and returns it
// with its spacing collapsed: 1 to MaxOutletRunes characters of valid
// UTF-8 with no control or format characters. Any other text an article's
// outlet may carry (markdown, @) is allowed: every place that shows an
// outlet makes it inert.
func CleanOutlet(outlet string) (string, error) {
	if !utf8.ValidString(outlet) {
		return "", fmt.Errorf("%w: the outlet name is not valid UTF-8", ErrInvalidLabel)
	}
	for _, r := range outlet {
		if unicode.IsControl(r) && !unicode.IsSpace(r) || unicode.Is(unicode.Cf, r) {
			return "", fmt.Errorf("%w: the outlet name contains a control character (%U)", ErrInvalidLabel, r)
		}
	}
	outlet = strings.Join(strings.Fields(outlet), " ")
	switch n := utf8.RuneCountInString(outlet); {
	case n == 0:
		return "", fmt.Errorf("%w: the outlet name is empty", ErrInvalidLabel)
	case n > MaxOutletRunes:
		return "", fmt.Errorf("%w: the outlet name is too long (%d characters; at most %d)", ErrInvalidLabel, n, MaxOutletRunes)
	}
	return outlet, nil
}

// CleanLabel checks a label and returns it with its spacing collapsed: 1
// to MaxLabelRunes letters, digits, spaces and the punctuation - ' . & /.
// Nothing else is allowed, so a label can never format a message, ping
// anyone or pass for a citation wherever it is shown.
func CleanLabel(label string) (string, error) {
	if !utf8.ValidString(label) {
		return "", fmt.Errorf("%w: the label is not valid UTF-8", ErrInvalidLabel)
	}
	label = strings.Join(strings.Fields(label), " ")
	switch n := utf8.RuneCountInString(label); {
	case n == 0:
		return "", fmt.Errorf("%w: the label is empty", ErrInvalidLabel)
	case n > MaxLabelRunes:
		return "", fmt.Errorf("%w: the label is too long (%d characters; at most %d)", ErrInvalidLabel, n, MaxLabelRunes)
	}
	for _, r := range label {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !strings.ContainsRune(" -'.&/", r) {
			return "", fmt.Errorf("%w: the label may hold only letters, digits, spaces and - ' . & / (not %q)", ErrInvalidLabel, r)
		}
	}
	return label, nil
}

// labelScope is the scope labels are stored under: "" is the shared scope.
func labelScope(scope string) string {
	if strings.TrimSpace(scope) == "" {
		return SharedScope
	}
	return scope
}

// SetOutletLabel labels outlet in scope ("" = the shared scope), replacing
// its earlier label; an empty label clears it (ErrNotFound when there was
// none). Names and labels are checked with CleanOutlet and CleanLabel;
// ErrTooManyLabels when the scope has MaxOutletLabels other outlets
// labelled.
func (l *Library) SetOutletLabel(ctx context.Context, scope, outlet, label string, at time.Time) error {
	scope = labelScope(scope)
	outlet, err := CleanOutlet(outlet)
	if err != nil {
		return err
	}
	if strings.TrimSpace(label) == "" {
		res, err := l.w.ExecContext(ctx, `DELETE FROM outlet_labels WHERE scope = ? AND outlet_key = ?`, scope, OutletKey(outlet))
		if err != nil {
			return fmt.Errorf("corpus: clear outlet label: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("corpus: outlet %q has no label: %w", outlet, ErrNotFound)
		}
		return nil
	}
	if label, err = CleanLabel(label); err != nil {
		return err
	}
	tx, err := l.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("corpus: set outlet label: %w", err)
	}
	defer tx.Rollback()
	var others int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM outlet_labels WHERE scope = ? AND outlet_key <> ?`,
		scope, OutletKey(outlet)).Scan(&others); err != nil {
		return fmt.Errorf("corpus: set outlet label: %w", err)
	}
	if others >= MaxOutletLabels {
		return fmt.Errorf("corpus: set outlet label: %w (at most %d)", ErrTooManyLabels, MaxOutletLabels)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO outlet_labels (scope, outlet_key, outlet, label, set_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (scope, outlet_key) DO UPDATE SET outlet = excluded.outlet, label = excluded.label, set_at = excluded.set_at`,
		scope, OutletKey(outlet), outlet, label, formatFeedTime(at)); err != nil {
		return fmt.Errorf("corpus: set outlet label: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("corpus: set outlet label: %w", err)
	}
	return nil
}

// OutletLabels returns the labels of the scopes ("" = the shared scope),
// by scope in the order given and then by outlet; with no scope given,
// every scope's, by scope and outlet (what a copy of the library reads).
func (l *Library) OutletLabels(ctx context.Context, scopes ...string) ([]OutletLabel, error) {
	var out []OutletLabel
	all := len(scopes) == 0
	if all {
		scopes = []string{""}
	}
	for _, scope := range scopes {
		q, args := `SELECT scope, outlet, label, set_at FROM outlet_labels WHERE scope = ? ORDER BY outlet_key`, []any{labelScope(scope)}
		if all {
			q, args = `SELECT scope, outlet, label, set_at FROM outlet_labels ORDER BY scope, outlet_key`, nil
		}
		rows, err := l.r.QueryContext(ctx, q, args...)
		if err != nil {
			return nil, fmt.Errorf("corpus: outlet labels: %w", err)
		}
		for rows.Next() {
			var o OutletLabel
			var at string
			if err := rows.Scan(&o.Scope, &o.Outlet, &o.Label, &at); err != nil {
				rows.Close()
				return nil, fmt.Errorf("corpus: outlet labels: %w", err)
			}
			o.SetAt = parseFeedTime(at)
			out = append(out, o)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("corpus: outlet labels: %w", err)
		}
	}
	return out, nil
}

// Outlets returns the outlets of the scopes' articles ("" = the shared
// scope) with how many articles each has, most first, then by name;
// articles without an outlet are left out.
func (l *Library) Outlets(ctx context.Context, scopes ...string) ([]OutletCount, error) {
	if len(scopes) == 0 {
		return nil, nil
	}
	args := make([]any, len(scopes))
	for i, s := range scopes {
		args[i] = labelScope(s)
	}
	rows, err := l.r.QueryContext(ctx, `SELECT source, count(*) FROM articles WHERE source <> '' AND scope IN (`+placeholders(len(scopes))+`)
		GROUP BY source ORDER BY count(*) DESC, source`, args...)
	if err != nil {
		return nil, fmt.Errorf("corpus: outlets: %w", err)
	}
	defer rows.Close()
	return MergeOutlets(rows)
}

// MergeOutlets reads (source, count) rows of a library's articles and
// merges the names OutletKey makes one, keeping the first spelling, most
// articles first and then by name. The SQLite and PostgreSQL libraries
// both read their rows with it.
func MergeOutlets(rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}) ([]OutletCount, error) {
	var out []OutletCount
	at := make(map[string]int)
	for rows.Next() {
		var o OutletCount
		if err := rows.Scan(&o.Outlet, &o.Articles); err != nil {
			return nil, fmt.Errorf("corpus: outlets: %w", err)
		}
		k := OutletKey(o.Outlet)
		if k == "" {
			continue
		}
		if i, ok := at[k]; ok {
			out[i].Articles += o.Articles
			continue
		}
		at[k] = len(out)
		out = append(out, o)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("corpus: outlets: %w", err)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Articles != out[j].Articles {
			return out[i].Articles > out[j].Articles
		}
		return out[i].Outlet < out[j].Outlet
	})
	return out, nil
}

// LabelsByOutlet indexes labels by OutletKey. Of two labels of one outlet
// the later in ls wins: OutletLabels lists scopes in the order given, so
// a guild listed after the shared scope overrides it.
func LabelsByOutlet(ls []OutletLabel) map[string]OutletLabel {
	m := make(map[string]OutletLabel, len(ls))
	for _, l := range ls {
		m[OutletKey(l.Outlet)] = l
	}
	return m
}

// LabelledOutlet is an outlet of a scope's answers with the label that
// applies to it there.
type LabelledOutlet struct {
	Outlet   string
	Articles int
	Label    OutletLabel // zero when the outlet has none
}

// WithLabels joins outlets (as Outlets lists them) with labels (as
// OutletLabels lists them, the guild after the shared scope): each outlet
// with the label that applies to it, then the labelled outlets no article
// has, by name.
func WithLabels(outlets []OutletCount, labels []OutletLabel) []LabelledOutlet {
	byKey := LabelsByOutlet(labels)
	out := make([]LabelledOutlet, 0, len(outlets)+len(byKey))
	for _, o := range outlets {
		k := OutletKey(o.Outlet)
		out = append(out, LabelledOutlet{Outlet: o.Outlet, Articles: o.Articles, Label: byKey[k]})
		delete(byKey, k)
	}
	var rest []LabelledOutlet
	for _, l := range byKey {
		rest = append(rest, LabelledOutlet{Outlet: l.Outlet, Label: l})
	}
	sort.Slice(rest, func(i, j int) bool { return OutletKey(rest[i].Outlet) < OutletKey(rest[j].Outlet) })
	return append(out, rest...)
}

// HasOutlet reports whether outlets (as Outlets lists them) include
// outlet, compared as OutletKey does.
func HasOutlet(outlets []OutletCount, outlet string) bool {
	for _, o := range outlets {
		if OutletKey(o.Outlet) == OutletKey(outlet) {
			return true
		}
	}
	return false
}
