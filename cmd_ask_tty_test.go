//go:build linux

package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/attache-bot/attache/retrieval"
	"github.com/attache-bot/attache/retrieval/llm/openaitest"
	"golang.org/x/sys/unix"
)

// openPTY opens a pseudo-terminal and returns its two ends: what a program
// writes to the terminal end can be read from the controller end.
func openPTY(t *testing.T) (controller, terminal *os.File) {
	t.Helper()
	c, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("SKIPPED: no pseudo-terminal here (%v)", err)
	}
	if err := unix.IoctlSetPointerInt(int(c.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		c.Close()
		t.Skipf("SKIPPED: cannot unlock the pseudo-terminal (%v)", err)
	}
	n, err := unix.IoctlGetInt(int(c.Fd()), unix.TIOCGPTN)
	if err != nil {
		c.Close()
		t.Skipf("SKIPPED: cannot name the pseudo-terminal (%v)", err)
	}
	term, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		c.Close()
		t.Skipf("SKIPPED: cannot open the pseudo-terminal (%v)", err)
	}
	return c, term
}

// terminal opens a pseudo-terminal for a child's output: term is the end
// to give the child; screen, called once the child has exited, closes it
// and returns everything the terminal showed.
func terminal(t *testing.T) (term *os.File, screen func() string) {
	t.Helper()
	controller, term := openPTY(t)
	t.Cleanup(func() { controller.Close() })
	var shown bytes.Buffer
	read := make(chan struct{})
	go func() {
		defer close(read)
		io.Copy(&shown, controller) // ends with EIO once the terminal end is closed
	}()
	return term, func() string {
		term.Close()
		<-read
		return shown.String()
	}
}

// TestAskStreamCutOffOnTerminal: on a terminal, a generated answer that
// breaks off mid-stream is marked as cut off and replaced by quoted
// sentences, the note says it broke off (not that the model was
// unavailable), and the warning logged meanwhile starts on a line of its
// own instead of inside the answer's text.
func TestAskStreamCutOffOnTerminal(t *testing.T) {
	srv := openaitest.New(t)
	srv.Script(openaitest.CutOff("Iran wants written guarantees that the United States will not leave the deal again [1]. " +
		"It also asks the European countries for relief from sanctions, and for a timetable that the delegations have not yet agreed on [1]."))
	c := newCLI(t)
	c.env["LLM_BASE_URL"] = srv.URL()
	c.env["LLM_MAX_RETRIES"] = "0"

	term, screen := terminal(t)
	ctx, cancel := context.WithTimeout(context.Background(), childTimeout)
	defer cancel()
	cmd := c.command(ctx, "ask", "-asof", "2025-07-28", sampleQuestion)
	cmd.Stdout, cmd.Stderr = term, term
	err := cmd.Run()
	shown := screen()
	if err != nil {
		t.Fatalf("ask: %v\n%s", err, shown)
	}
	out := strings.ReplaceAll(shown, "\r\n", "\n")
	for _, want := range []string{"[the generated answer above broke off]", "Sources:", retrieval.NoteLLMCutOff} {
		if !strings.Contains(out, want) {
			t.Errorf("terminal output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, retrieval.NoteLLMUnavailable) {
		t.Errorf("the note says the model was unavailable, though it answered in part:\n%s", out)
	}
	if !strings.Contains(out, "guarantees that the United States") {
		t.Errorf("the part of the answer that streamed before the break is not on the terminal:\n%s", out)
	}
	warned := false
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "level=WARN") {
			warned = true
			if !strings.HasPrefix(line, "time=") {
				t.Errorf("a log line shares a line with the answer: %q", line)
			}
		}
	}
	if !warned {
		t.Errorf("no warning was logged about the broken stream:\n%s", out)
	}
}
