//go:build linux

package main

import (
	"bytes"
	"context"
	"io"
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

	controller, term := openPTY(t)
	defer controller.Close()
	var screen bytes.Buffer
	read := make(chan struct{})
	go func() {
		defer close(read)
		io.Copy(&screen, controller) // ends with EIO once the terminal end is closed
	}()
	ctx, cancel := context.WithTimeout(context.Background(), childTimeout)
	defer cancel()
	var stdout bytes.Buffer
	cmd := c.command(ctx, "migrate", "-to", dbURL)
	cmd.Stdout, cmd.Stderr = &stdout, term
	err := cmd.Run()
	term.Close()
	<-read
	if err != nil {
		t.Fatalf("migrate: %v\n%s", err, screen.String())
	}
	if out := screen.String(); !strings.Contains(out, "migrating") || !strings.Contains(out, "(5/5") {
		t.Errorf("no progress bar up to 5/5 on the terminal:\n%q", out)
	}
	if !strings.Contains(stdout.String(), "migrated 5 articles") {
		t.Errorf("stdout:\n%s", stdout.String())
	}
}
