package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/attache-bot/attache/corpus"
)

// runRemove removes articles. With -guild it removes only that guild's
// articles; without it, an article of any scope (the operator may clean up
// after any guild). Every id is tried; unknown ids are reported and make
// the exit status 1.
func runRemove(ctx context.Context, env *environment, args []string) error {
	fs := newFlagSet(env, "remove")
	guild := fs.String("guild", "", "remove only articles of this guild (default: whatever scope the article has)")
	ids, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(ids) == 0 {
		fs.Usage()
		return usagef("remove: no article id given")
	}
	scope := ""
	if *guild != "" {
		if scope, err = validScope(*guild); err != nil {
			return err
		}
	}
	engine, closeEngine, err := openEngine(ctx, env, engineOptions{})
	if err != nil {
		return err
	}
	defer closeEngine()

	var failed []string
	for _, id := range ids {
		s := scope
		if s == "" {
			a, err := engine.Library().Get(ctx, id)
			if errors.Is(err, corpus.ErrNotFound) {
				fmt.Fprintf(env.io.err, "%s: no such article\n", cell(id, 80))
				failed = append(failed, id)
				continue
			}
			if err != nil {
				return fmt.Errorf("looking up %s: %w", cell(id, 80), err)
			}
			s = a.Scope
		}
		err := engine.Remove(ctx, s, id)
		switch {
		case errors.Is(err, corpus.ErrNotFound):
			fmt.Fprintf(env.io.err, "%s: no such article in scope %s\n", cell(id, 80), s)
			failed = append(failed, id)
		case err != nil:
			return fmt.Errorf("removing %s: %w", cell(id, 80), err)
		default:
			fmt.Fprintf(env.io.out, "removed %s\n", id)
		}
	}
	switch len(failed) {
	case 0:
		return nil
	case 1:
		return fmt.Errorf("remove: no article with id %s", cell(failed[0], 80))
	}
	return fmt.Errorf("remove: %d of %d ids not found", len(failed), len(ids))
}
