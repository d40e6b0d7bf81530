package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestUsage(t *testing.T) {
	c := newCLI(t)
	for _, args := range [][]string{{"help"}, {"-h"}, {"--help"}} {
		r := c.mustRun(0, args...)
		listed := map[string]bool{}
		argsAt, summaryAt := map[int]bool{}, map[int]bool{}
		lines := strings.Split(r.stdout, "\n")
		for i, line := range lines {
			name, rest, _ := strings.Cut(strings.TrimPrefix(line, "  "), " ")
			if !strings.HasPrefix(line, "  ") || strings.HasPrefix(line, "   ") || i+1 == len(lines) || !strings.HasPrefix(lines[i+1], "   ") {
				continue
			}
			listed[name] = true
			if rest = strings.TrimLeft(rest, " "); rest != "" {
				argsAt[len(line)-len(rest)] = true
			}
			summaryAt[len(lines[i+1])-len(strings.TrimLeft(lines[i+1], " "))] = true
		}
		for _, name := range []string{"ask", "ingest", "list", "remove", "eval", "feed", "timeline", "whatsnew", "outlet", "report", "migrate", "serve", "help", "version"} {
			if !listed[name] {
				t.Errorf("attache %v does not list %s:\n%s", args, name, r.stdout)
			}
		}
		// Every command's arguments start in one column, and its summary
		// below them in the same column.
		if len(argsAt) != 1 || len(summaryAt) != 1 || !reflect.DeepEqual(argsAt, summaryAt) {
			t.Errorf("attache %v: arguments start at columns %v, summaries at %v:\n%s", args, argsAt, summaryAt, r.stdout)
		}
	}
	r := c.mustRun(0, "help", "ingest")
	if !strings.Contains(r.stdout, "PATH_OR_URL") {
		t.Errorf("help ingest:\n%s", r)
	}
	r = c.mustRun(0, "ask", "-h")
	if !strings.Contains(r.stderr, "-asof") {
		t.Errorf("ask -h does not describe -asof:\n%s", r)
	}
	// help COMMAND describes the flags too, on stdout, for every command.
	for cmd, flag := range map[string]string{"ask": "-asof", "ingest": "-guild", "list": "-json", "remove": "-guild", "eval": "-details"} {
		if r := c.mustRun(0, "help", cmd); !strings.Contains(r.stdout, "flags:\n") || !strings.Contains(r.stdout, "\n  "+flag) {
			t.Errorf("help %s does not describe %s:\n%s", cmd, flag, r)
		}
	}
	for _, cmd := range []string{"help", "version", "serve"} {
		if r := c.mustRun(0, "help", cmd); !strings.Contains(r.stdout, "usage: attache "+cmd) {
			t.Errorf("help %s:\n%s", cmd, r)
		}
	}
	if r := c.mustRun(0, "version"); !strings.HasPrefix(r.stdout, "attache ") {
		t.Errorf("version:\n%s", r)
	}
	c.mustRun(2)
	c.mustRun(2, "frobnicate")
	c.mustRun(2, "help", "frobnicate")
	// The data directory is not touched by usage errors.
	if _, err := os.Stat(filepath.Join(c.dir, "data")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("usage errors created the data directory: %v", err)
	}
}

func TestConfigErrorsExit2(t *testing.T) {
	c := newCLI(t)
	c.env["LOG_LEVEL"] = "chatty"
	r := c.mustRun(2, "list")
	if !strings.Contains(r.stderr, "LOG_LEVEL") {
		t.Errorf("config error does not name LOG_LEVEL:\n%s", r)
	}
	c.env["LOG_LEVEL"] = ""
	c.env["ATTACHE_DATA_DIR"] = writeFile(t, c.dir, "afile", "not a directory")
	r = c.mustRun(1, "list")
	if !strings.Contains(r.stderr, "afile") {
		t.Errorf("a data directory that is a file: %s", r)
	}
}

func TestServeNeedsToken(t *testing.T) {
	c := newCLI(t)
	r := c.mustRun(2, "serve")
	if !strings.Contains(r.stderr, "DISCORD_TOKEN") {
		t.Errorf("serve without a token:\n%s", r)
	}
}

// TestDotEnv: a .env in the working directory is read, the real
// environment wins over it, and a malformed one is a usage error naming
// the line, without the line's secret.
func TestDotEnv(t *testing.T) {
	c := newCLI(t)
	delete(c.env, "ATTACHE_DATA_DIR")
	writeFile(t, c.dir, ".env", "# test\nATTACHE_DATA_DIR=./from-dotenv\nLOG_FORMAT=json\n")
	c.mustRun(0, "list")
	if _, err := os.Stat(filepath.Join(c.dir, "from-dotenv")); err != nil {
		t.Errorf(".env ATTACHE_DATA_DIR was not used: %v", err)
	}
	c.env["ATTACHE_DATA_DIR"] = filepath.Join(c.dir, "from-env")
	c.mustRun(0, "list")
	if _, err := os.Stat(filepath.Join(c.dir, "from-env")); err != nil {
		t.Errorf("the environment did not win over .env: %v", err)
	}

	writeFile(t, c.dir, ".env", "A=1\nDISCORD_TOKEN 'sk-DOTENVSECRET'\n")
	r := c.mustRun(2, "list")
	if !strings.Contains(r.stderr, ".env:2") {
		t.Errorf("malformed .env error does not name line 2:\n%s", r)
	}
	if strings.Contains(r.stderr, "DOTENVSECRET") {
		t.Errorf("malformed .env error shows the secret:\n%s", r)
	}
}

func TestParseFlags(t *testing.T) {
	tests := []struct {
		args     []string
		json     bool
		guild    string
		position []string
	}{
		{[]string{"q"}, false, "", []string{"q"}},
		{[]string{"-json", "q"}, true, "", []string{"q"}},
		{[]string{"q", "-json"}, true, "", []string{"q"}},
		{[]string{"a", "-guild", "7", "b"}, false, "7", []string{"a", "b"}},
		{[]string{"-guild=7", "--", "-json", "x"}, false, "7", []string{"-json", "x"}},
		{[]string{"a", "--", "-json"}, false, "", []string{"a", "-json"}},
		{nil, false, "", nil},
	}
	for _, tt := range tests {
		env := &environment{io: stdio{err: &bytes.Buffer{}}}
		fs := newFlagSet(env, "ask")
		j := fs.Bool("json", false, "")
		g := fs.String("guild", "", "")
		pos, err := parseFlags(fs, tt.args)
		if err != nil {
			t.Errorf("parseFlags(%q) error: %v", tt.args, err)
			continue
		}
		if *j != tt.json || *g != tt.guild || !reflect.DeepEqual(pos, tt.position) {
			t.Errorf("parseFlags(%q) = json %v, guild %q, %q; want %v, %q, %q", tt.args, *j, *g, pos, tt.json, tt.guild, tt.position)
		}
	}
	env := &environment{io: stdio{err: &bytes.Buffer{}}}
	fs := newFlagSet(env, "ask")
	var ue *usageError
	if _, err := parseFlags(fs, []string{"-nope"}); !errors.As(err, &ue) {
		t.Errorf("parseFlags(-nope) = %v, want a usage error", err)
	}
	if _, err := parseFlags(fs, []string{"-h"}); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("parseFlags(-h) = %v, want flag.ErrHelp", err)
	}
}

// TestRunInProcess drives run itself (so the race detector sees the whole
// command path) with a .env-free configuration.
func TestRunInProcess(t *testing.T) {
	dir := t.TempDir()
	getenv := mapEnv(map[string]string{"ATTACHE_DATA_DIR": filepath.Join(dir, "data")})
	var out, errb bytes.Buffer
	code := execute(context.Background(), []string{"ask", "-json", sampleQuestion}, getenv, "", stdio{in: strings.NewReader(""), out: &out, err: &errb})
	if code != 0 {
		t.Fatalf("ask: exit %d\n%s", code, errb.String())
	}
	obj, _ := decodeAsk(t, out.String())
	checkCitations(t, obj)

	out.Reset()
	errb.Reset()
	code = execute(context.Background(), []string{"ask", " "}, getenv, "", stdio{out: &out, err: &errb})
	if code != 2 || !strings.HasPrefix(lastLine(errb.String()), "attache: ") {
		t.Errorf("ask \" \": exit %d, stderr %q; want 2 and one attache: line", code, errb.String())
	}

	// A cancelled context (SIGINT) stops a command with exit 1.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	out.Reset()
	errb.Reset()
	if code := execute(ctx, []string{"list"}, getenv, "", stdio{out: &out, err: &errb}); code != 1 {
		t.Errorf("list with a cancelled context: exit %d, want 1", code)
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}

func TestOneLine(t *testing.T) {
	for in, want := range map[string]string{
		"a\nb":         "a; b",
		"  a  \n\n b ": "a; b",
		"x\r\ny\t z":   "x; y z",
		"plain":        "plain",
	} {
		if got := oneLine(in); got != want {
			t.Errorf("oneLine(%q) = %q, want %q", in, got, want)
		}
	}
}
