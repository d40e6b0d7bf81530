package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"
	"unicode/utf8"

	"github.com/attache-bot/attache/clip"
	"github.com/attache-bot/attache/corpus"
)

// listItem is one entry of "list -json" (interface.md).
type listItem struct {
	ID        string `json:"id"`
	Title     string `json:"title"`
	Source    string `json:"source"`
	Published string `json:"published"`
	URL       string `json:"url"`
	Chunks    int    `json:"chunks"`
	Scope     string `json:"scope"`
}

// runList lists articles newest first. Without -guild it lists every scope
// (the operator's view of the whole data directory); with -guild it lists
// what that guild's questions can see: its own articles and the shared ones.
func runList(ctx context.Context, env *environment, args []string) error {
	guild, asJSON, err := listFlags(env, "list", "list", "list this guild's articles and the shared ones (default: every scope)", args)
	if err != nil {
		return err
	}
	var scopes []string
	if guild != "" {
		scope, err := validScope(guild)
		if err != nil {
			return err
		}
		scopes = []string{scope}
		if scope != corpus.SharedScope {
			scopes = append(scopes, corpus.SharedScope)
		}
	}
	lib, closeLib, err := openLibrary(ctx, env)
	if err != nil {
		return err
	}
	defer closeLib()
	list, err := lib.List(ctx, scopes...)
	if err != nil {
		return fmt.Errorf("listing articles: %w", err)
	}

	if asJSON {
		out := make([]listItem, 0, len(list))
		for _, s := range list {
			out = append(out, listItem{
				ID: s.ID, Title: s.Title, Source: s.Source, Published: formatDate(s.Published),
				URL: s.URL, Chunks: s.Chunks, Scope: s.Scope,
			})
		}
		enc := json.NewEncoder(env.io.out)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	if len(list) == 0 {
		_, err := fmt.Fprintln(env.io.out, "No articles.")
		return err
	}
	tw := tabwriter.NewWriter(env.io.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tPUBLISHED\tSCOPE\tCHUNKS\tSOURCE\tTITLE")
	for _, s := range list {
		date := formatDate(s.Published)
		if date == "" {
			date = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", s.ID, date, s.Scope, s.Chunks,
			cell(s.Source, 24), cell(s.Title, 80))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err = fmt.Fprintf(env.io.out, "%d article(s)\n", len(list))
	return err
}

// cell makes a value fit one table cell: printable, no tabs or newlines,
// at most max characters.
func cell(s string, max int) string {
	s = strings.Map(func(c rune) rune {
		if c == '\t' || c == '\n' {
			return ' '
		}
		return c
	}, printable(s))
	if utf8.RuneCountInString(s) > max {
		return clip.Runes(s, max-1) + clip.Ellipsis
	}
	if s == "" {
		return "-"
	}
	return s
}
