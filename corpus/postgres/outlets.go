package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/attache-bot/attache/corpus"
)

// Outlet labels, as corpus.Library keeps them (see corpus/outlets.go).

// outletLabelLock serialises the label changes of one scope, so that two
// at once cannot both pass the limit.
const outletLabelLock = "SELECT pg_advisory_xact_lock(hashtextextended('attache outlet labels ' || current_schema() || ' ' || $1, 0))"

// labelScope is the scope labels are stored under: "" is the shared scope.
func labelScope(scope string) string {
	if strings.TrimSpace(scope) == "" {
		return corpus.SharedScope
	}
	return scope
}

// SetOutletLabel labels outlet in scope, or clears its label when label
// is empty, as corpus.Library.SetOutletLabel does.
func (l *Library) SetOutletLabel(ctx context.Context, scope, outlet, label string, at time.Time) error {
	scope = labelScope(scope)
	outlet, err := corpus.CleanOutlet(outlet)
	if err != nil {
		return err
	}
	key := corpus.OutletKey(outlet)
	if strings.TrimSpace(label) == "" {
		tag, err := l.pool.Exec(ctx, `DELETE FROM outlet_labels WHERE scope = $1 AND outlet_key = $2`, scope, key)
		if err != nil {
			return fmt.Errorf("postgres: clear outlet label: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("postgres: outlet %q has no label: %w", outlet, corpus.ErrNotFound)
		}
		return nil
	}
	if label, err = corpus.CleanLabel(label); err != nil {
		return err
	}
	tx, err := l.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("postgres: set outlet label: %w", err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, outletLabelLock, scope); err != nil {
		return fmt.Errorf("postgres: set outlet label: %w", err)
	}
	var others int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM outlet_labels WHERE scope = $1 AND outlet_key <> $2`, scope, key).Scan(&others); err != nil {
		return fmt.Errorf("postgres: set outlet label: %w", err)
	}
	if others >= corpus.MaxOutletLabels {
		return fmt.Errorf("postgres: set outlet label: %w (at most %d)", corpus.ErrTooManyLabels, corpus.MaxOutletLabels)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO outlet_labels (scope, outlet_key, outlet, label, set_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (scope, outlet_key) DO UPDATE SET outlet = excluded.outlet, label = excluded.label, set_at = excluded.set_at`,
		scope, key, outlet, label, at.UTC()); err != nil {
		return fmt.Errorf("postgres: set outlet label: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("postgres: set outlet label: %w", err)
	}
	return nil
}

// OutletLabels returns the labels of the scopes, by scope in the order
// given and then by outlet; with no scope given, every scope's, as
// corpus.Library.OutletLabels does.
func (l *Library) OutletLabels(ctx context.Context, scopes ...string) ([]corpus.OutletLabel, error) {
	var out []corpus.OutletLabel
	all := len(scopes) == 0
	if all {
		scopes = []string{""}
	}
	for _, scope := range scopes {
		q, args := `SELECT scope, outlet, label, set_at FROM outlet_labels WHERE scope = $1 ORDER BY outlet_key`, []any{labelScope(scope)}
		if all {
			q, args = `SELECT scope, outlet, label, set_at FROM outlet_labels ORDER BY scope, outlet_key`, nil
		}
		rows, err := l.pool.Query(ctx, q, args...)
		if err != nil {
			return nil, fmt.Errorf("postgres: outlet labels: %w", err)
		}
		for rows.Next() {
			var o corpus.OutletLabel
			if err := rows.Scan(&o.Scope, &o.Outlet, &o.Label, &o.SetAt); err != nil {
				rows.Close()
				return nil, fmt.Errorf("postgres: outlet labels: %w", err)
			}
			o.SetAt = o.SetAt.UTC()
			out = append(out, o)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("postgres: outlet labels: %w", err)
		}
	}
	return out, nil
}

// Outlets returns the outlets of the scopes' articles with their article
// counts, as corpus.Library.Outlets does.
func (l *Library) Outlets(ctx context.Context, scopes ...string) ([]corpus.OutletCount, error) {
	if len(scopes) == 0 {
		return nil, nil
	}
	list := make([]string, len(scopes))
	for i, s := range scopes {
		list[i] = labelScope(s)
	}
	rows, err := l.pool.Query(ctx, `SELECT source, count(*)::int FROM articles WHERE source <> '' AND scope = ANY($1)
		GROUP BY source ORDER BY count(*) DESC, source`, list)
	if err != nil {
		return nil, fmt.Errorf("postgres: outlets: %w", err)
	}
	defer rows.Close()
	return corpus.MergeOutlets(rows)
}
