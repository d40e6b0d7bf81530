package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/attache-bot/attache/corpus"
)

// runOutlet runs "outlet label|unlabel|list": the labels moderators give
// outlets ("wire", "state media"), shown next to the outlet in answers.
func runOutlet(ctx context.Context, env *environment, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" {
		fmt.Fprintf(env.io.err, `usage: attache outlet label [-guild ID] NAME LABEL
       attache outlet unlabel [-guild ID] NAME
       attache outlet list [-guild ID] [-json]
A label is 1 to %d letters, digits, spaces and - ' . & / ("wire", "state media").
`, corpus.MaxLabelRunes)
		if len(args) == 0 {
			return usagef("outlet: no subcommand given (label, unlabel or list)")
		}
		return flag.ErrHelp
	}
	switch args[0] {
	case "label":
		return runOutletLabel(ctx, env, args[1:], true)
	case "unlabel":
		return runOutletLabel(ctx, env, args[1:], false)
	case "list":
		return runOutletList(ctx, env, args[1:])
	}
	return usagef("outlet: unknown subcommand %q (label, unlabel or list)", cell(args[0], 40))
}

// runOutletLabel sets (set) or clears an outlet's label in a scope.
func runOutletLabel(ctx context.Context, env *environment, args []string, set bool) error {
	name, want := "outlet unlabel", 1
	if set {
		name, want = "outlet label", 2
	}
	fs := newFlagSet(env, "outlet")
	guild := fs.String("guild", "", "label the outlet in this guild's answers (default: the shared scope, every guild's answers)")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != want {
		fs.Usage()
		if set {
			return usagef("%s: give the outlet's name and its label (quote names with spaces: \"USA Today\" wire)", name)
		}
		return usagef("%s: give the outlet's name", name)
	}
	scope, err := validScope(*guild)
	if err != nil {
		return err
	}
	outlet, err := corpus.CleanOutlet(rest[0])
	if err != nil {
		return usagef("%s: %s", name, labelProblem(err))
	}
	label := ""
	if set {
		if label, err = corpus.CleanLabel(rest[1]); err != nil {
			return usagef("%s: %s", name, labelProblem(err))
		}
	}
	lib, closeLib, err := openLibrary(ctx, env)
	if err != nil {
		return err
	}
	defer closeLib()
	err = lib.SetOutletLabel(ctx, scope, outlet, label, time.Now())
	switch {
	case errors.Is(err, corpus.ErrNotFound):
		return fmt.Errorf("%s: %q has no label in %s", name, cell(outlet, 100), scopeName(scope))
	case errors.Is(err, corpus.ErrTooManyLabels):
		return fmt.Errorf("%s: %s has %d labelled outlets, the limit; clear one first", name, scopeName(scope), corpus.MaxOutletLabels)
	case err != nil:
		return fmt.Errorf("%s: %w", name, err)
	}
	if !set {
		fmt.Fprintf(env.io.out, "cleared the label of %s in %s\n", cell(outlet, 100), scopeName(scope))
		return nil
	}
	fmt.Fprintf(env.io.out, "labelled %s %q in %s\n", cell(outlet, 100), label, scopeName(scope))
	if known, err := lib.Outlets(ctx, labelScopes(scope)...); err == nil && !corpus.HasOutlet(known, outlet) {
		fmt.Fprintf(env.io.err, "attache: note: no article of %s comes from %s yet; the label shows once one does\n", scopeName(scope), cell(outlet, 100))
	}
	return nil
}

// labelProblem is a label error without its sentinel's prefix.
func labelProblem(err error) string {
	msg := err.Error()
	if p := corpus.ErrInvalidLabel.Error() + ": "; len(msg) > len(p) && msg[:len(p)] == p {
		return msg[len(p):]
	}
	return msg
}

// labelScopes are the scopes whose labels and articles a scope's answers
// use: the shared scope, then the guild's own.
func labelScopes(scope string) []string {
	if scope == corpus.SharedScope {
		return []string{corpus.SharedScope}
	}
	return []string{corpus.SharedScope, scope}
}

// outletListItem is one entry of "outlet list -json".
type outletListItem struct {
	Outlet   string `json:"outlet"`
	Articles int    `json:"articles"`
	Label    string `json:"label"`
	// LabelScope is the scope whose label applies ("" without a label).
	LabelScope string `json:"label_scope"`
}

// runOutletList lists the outlets a scope's answers draw on (its articles
// and the shared ones), most articles first, with the label that applies
// to each; labelled outlets without articles come last.
func runOutletList(ctx context.Context, env *environment, args []string) error {
	guild, asJSON, err := listFlags(env, "outlet", "outlet list", "the outlets and labels of this guild's answers (default: the shared scope)", args)
	if err != nil {
		return err
	}
	scope, err := validScope(guild)
	if err != nil {
		return err
	}
	lib, closeLib, err := openLibrary(ctx, env)
	if err != nil {
		return err
	}
	defer closeLib()
	scopes := labelScopes(scope)
	outlets, err := lib.Outlets(ctx, scopes...)
	if err != nil {
		return fmt.Errorf("listing outlets: %w", err)
	}
	labels, err := lib.OutletLabels(ctx, scopes...)
	if err != nil {
		return fmt.Errorf("listing outlet labels: %w", err)
	}
	items := []outletListItem{}
	for _, o := range corpus.WithLabels(outlets, labels) {
		items = append(items, outletListItem{Outlet: o.Outlet, Articles: o.Articles, Label: o.Label.Label, LabelScope: o.Label.Scope})
	}
	if asJSON {
		enc := json.NewEncoder(env.io.out)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		return enc.Encode(items)
	}
	if len(items) == 0 {
		fmt.Fprintln(env.io.out, "no outlets")
		return nil
	}
	tw := tabwriter.NewWriter(env.io.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "OUTLET\tARTICLES\tLABEL\tLABEL SCOPE")
	for _, it := range items {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", cell(it.Outlet, 60), it.Articles, cell(it.Label, 30), cell(it.LabelScope, 30))
	}
	return tw.Flush()
}
