package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

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
	scope, err := filterScope(*guild)
	if err != nil {
		return err
	}
	// The library alone: deleting an article deletes its chunks, vectors
	// and full-text entries, and no index is kept in memory here.
	lib, closeLib, err := openLibrary(ctx, env)
	if err != nil {
		return err
	}
	defer closeLib()

	var failed []string
	// With one id, the error line says what went wrong; with several, each
	// miss gets its line and the error counts them.
	miss := func(format string, a ...any) {
		if len(ids) > 1 {
			fmt.Fprintf(env.io.err, format, a...)
		}
	}
	for _, id := range ids {
		id = strings.TrimSpace(id)
		s := scope
		if s == "" {
			a, err := lib.Get(ctx, id)
			if errors.Is(err, corpus.ErrNotFound) {
				miss("%s: no such article\n", cell(id, 80))
				failed = append(failed, id)
				continue
			}
			if err != nil {
				return fmt.Errorf("looking up %s: %w", cell(id, 80), err)
			}
			s = a.Scope
		}
		err := lib.Remove(ctx, s, id)
		switch {
		case errors.Is(err, corpus.ErrNotFound):
			miss("%s: no such article in scope %s\n", cell(id, 80), s)
			failed = append(failed, id)
		case err != nil:
			return fmt.Errorf("removing %s: %w", cell(id, 80), err)
		default:
			fmt.Fprintf(env.io.out, "removed %s\n", id)
		}
	}
	switch {
	case len(failed) == 0:
		return nil
	case len(ids) == 1 && scope != "":
		return fmt.Errorf("remove: no article with id %s in scope %s", cell(failed[0], 80), scope)
	case len(ids) == 1:
		return fmt.Errorf("remove: no article with id %s", cell(failed[0], 80))
	}
	return fmt.Errorf("remove: %d of %d ids not found", len(failed), len(ids))
}
