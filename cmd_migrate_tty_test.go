//go:build linux

package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/attache-bot/attache/corpus/postgres/pgtest"
)

// TestMigrateProgressOnTerminal: on a terminal, migrate draws a progress
// bar up to the whole count; the summary still goes to stdout.
func TestMigrateProgressOnTerminal(t *testing.T) {
	c := newCLI(t)
	migrateCorpus(t, c)
	dbURL, _ := pgtest.Schema(t)

	term, screen := terminal(t)
	ctx, cancel := context.WithTimeout(context.Background(), childTimeout)
	defer cancel()
	var stdout bytes.Buffer
	cmd := c.command(ctx, "migrate", "-to", dbURL)
	cmd.Stdout, cmd.Stderr = &stdout, term
	err := cmd.Run()
	shown := screen()
	if err != nil {
		t.Fatalf("migrate: %v\n%s", err, shown)
	}
	if !strings.Contains(shown, "migrating") || !strings.Contains(shown, "(5/5") {
		t.Errorf("no progress bar up to 5/5 on the terminal:\n%q", shown)
	}
	if !strings.Contains(stdout.String(), "migrated 5 articles") {
		t.Errorf("stdout:\n%s", stdout.String())
	}
}
