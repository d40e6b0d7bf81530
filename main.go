// Command attache answers questions about diplomatic and world news from a
// curated corpus of articles, with numbered citations: on Discord (attache
// serve) and on the command line (ask, ingest, list, remove, eval).
//
// Run "attache help" for the commands; README.md documents the configuration.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// After the first signal, stop catching them: a second Ctrl-C ends a
	// process that is slow to shut down.
	go func() {
		<-ctx.Done()
		stop()
	}()
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Exit statuses.
const (
	exitOK      = 0
	exitFailure = 1 // a runtime error
	exitUsage   = 2 // a usage or configuration error
)

// usageError is an error in how attache was invoked (flags, arguments or
// configuration); it exits with status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// stdio is where a command reads and writes.
type stdio struct {
	in       io.Reader
	out, err io.Writer
}

// command describes one subcommand.
type command struct {
	name    string
	args    string // synopsis after the name
	summary string
}

var commands = []command{
	{"ask", `[-json] [-asof YYYY-MM-DD] [-guild ID] [-country C] [-org O] "question"`, "answer a question from the corpus, with citations"},
	{"ingest", "[-guild ID] PATH_OR_URL...", "add articles from .jsonl/.json/.md/.txt/.html files or URLs"},
	{"list", "[-guild ID] [-json]", "list the articles in the corpus, newest first"},
	{"remove", "[-guild ID] ID...", "remove articles with their chunks, vectors and index entries"},
	{"eval", "-corpus F -questions F [-k 10] [-json] [-details FILE]", "measure retrieval and answers on a throw-away corpus"},
	{"feed", "add|list|remove|poll [-guild ID] [-json] [URL|ID...]", "subscribe to RSS, Atom and JSON feeds, list, remove or poll them"},
	{"timeline", `[-json] [-asof D] [-from D] [-to D] [-guild ID] [-country C] [-org O] "topic"`, "a dated, cited chronology of a topic: one entry per story, oldest first"},
	{"whatsnew", `[-json] [-asof D] [-since D] [-guild ID] [-country C] [-org O] "topic"`, "the stories about a topic since a date (default a week), newest first"},
	{"outlet", "label|unlabel|list [-guild ID] [-json] [NAME [LABEL]]", "label outlets (wire, state media, official, opinion) shown next to them in answers"},
	{"report", "[-guild ID] [-days N] [-json]", "questions answered \"not covered\", answers voted down, and feed health"},
	{"migrate", "-to postgres://…", "copy the data directory's library into PostgreSQL (resumable, verified)"},
	{"serve", "", "run the Discord bot (needs DISCORD_TOKEN)"},
	{"help", "[command]", "describe the commands, or one command with its flags"},
	{"version", "", "print the version and the revision it was built from"},
}

// runner returns the function that runs the named command. (A switch, not
// a field of command: the commands' usage texts refer to the table.)
func runner(name string) func(ctx context.Context, env *environment, args []string) error {
	switch name {
	case "ask":
		return runAsk
	case "ingest":
		return runIngest
	case "list":
		return runList
	case "remove":
		return runRemove
	case "eval":
		return runEval
	case "feed":
		return runFeed
	case "outlet":
		return runOutlet
	case "report":
		return runReport
	case "timeline":
		return runTimeline
	case "whatsnew":
		return runWhatsNew
	case "migrate":
		return runMigrate
	case "serve":
		return runServe
	}
	return nil
}

// errInterrupted is wrapped by the error of a command that SIGINT or SIGTERM
// stopped and that says itself what was kept (ingest) or how far it got;
// any other error after a signal is reported as this one alone.
var errInterrupted = errors.New("interrupted")

// run is the whole program: it parses args, runs one subcommand, prints any
// error as one line on stderr and returns the exit status.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	return execute(ctx, args, getenv, ".env", stdio{in: stdin, out: stdout, err: stderr})
}

// execute is run with the .env path as a parameter ("" reads none), so
// tests do not depend on the working directory.
func execute(ctx context.Context, args []string, getenv func(string) string, dotEnvPath string, sio stdio) int {
	err := dispatch(ctx, args, getenv, dotEnvPath, sio)
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case ctx.Err() != nil && !errors.Is(err, errInterrupted):
		// SIGINT or SIGTERM: whatever the command was doing, it stopped.
		fmt.Fprintln(sio.err, "attache: "+errInterrupted.Error())
		return exitFailure
	}
	fmt.Fprintln(sio.err, "attache: "+oneLine(err.Error()))
	var ue *usageError
	if errors.As(err, &ue) {
		return exitUsage
	}
	return exitFailure
}

func dispatch(ctx context.Context, args []string, getenv func(string) string, dotEnvPath string, sio stdio) error {
	if len(args) == 0 {
		printUsage(sio.err)
		return usagef("no command given")
	}
	name, rest := args[0], args[1:]
	switch name {
	case "help", "-h", "-help", "--help":
		if len(rest) > 0 {
			return printCommandHelp(ctx, rest[0], sio)
		}
		printUsage(sio.out)
		return nil
	case "version", "-version", "--version":
		fmt.Fprintln(sio.out, "attache "+version())
		return nil
	}
	c := findCommand(name)
	if c == nil {
		return usagef("unknown command %q (run 'attache help')", name)
	}
	env, err := newEnvironment(getenv, dotEnvPath, sio)
	if err != nil {
		return err
	}
	return runner(c.name)(ctx, env, rest)
}

// printCommandHelp prints what "attache NAME -h" prints, on stdout: the
// synopsis and the flags. The flags are defined where each command parses
// them, so the command itself is run with -h, which returns before it reads
// any configuration or data.
func printCommandHelp(ctx context.Context, name string, sio stdio) error {
	c := findCommand(name)
	if c == nil {
		return usagef("unknown command %q (run 'attache help')", name)
	}
	run := runner(c.name)
	if run == nil { // help, version: no flags
		c.printSynopsis(sio.out)
		return nil
	}
	env := &environment{io: stdio{in: sio.in, out: sio.out, err: sio.out}}
	if err := run(ctx, env, []string{"-h"}); !errors.Is(err, flag.ErrHelp) {
		return fmt.Errorf("help %s: %v", name, err)
	}
	return nil
}

// printSynopsis prints the command's usage line and summary.
func (c *command) printSynopsis(w io.Writer) {
	fmt.Fprintf(w, "usage: attache %s %s\n\n%s.\n", c.name, c.args, c.summary)
}

func findCommand(name string) *command {
	for i := range commands {
		if commands[i].name == name {
			return &commands[i]
		}
	}
	return nil
}

func printUsage(w io.Writer) {
	fmt.Fprint(w, `attache answers questions about diplomatic and world news from a curated
corpus of articles, citing them.

usage: attache <command> [flags] [arguments]

commands:
`)
	// Names are padded to the longest, so every command's arguments start
	// in one column and its summary under them.
	width := 0
	for _, c := range commands {
		width = max(width, len(c.name))
	}
	indent := strings.Repeat(" ", 2+width+1)
	for _, c := range commands {
		line := fmt.Sprintf("  %-*s %s", width, c.name, c.args)
		fmt.Fprintf(w, "%s\n%s%s\n", strings.TrimRight(line, " "), indent, c.summary)
	}
	// (help and version are listed too, so that "help help" is known.)
	fmt.Fprint(w, `
Flags may come before or after the arguments; "attache help <command>" or
"attache <command> -h" describes one command, "attache version" prints the
version. Configuration comes from the environment and a .env file in the
working directory (see README.md and .env.example).

Exit status: 0 success, 1 runtime error, 2 usage or configuration error.
`)
}

// environment is what every subcommand shares: configuration and I/O.
type environment struct {
	cfg config
	io  stdio
}

func newEnvironment(getenv func(string) string, dotEnvPath string, sio stdio) (*environment, error) {
	if dotEnvPath != "" {
		vars, err := readDotEnv(dotEnvPath)
		if err != nil {
			return nil, &usageError{msg: err.Error()}
		}
		getenv = envWithDotEnv(getenv, vars)
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return nil, &usageError{msg: "configuration: " + err.Error()}
	}
	return &environment{cfg: cfg, io: sio}, nil
}

// newFlagSet returns a flag set that reports errors instead of exiting and
// prints its usage on stderr.
func newFlagSet(env *environment, name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.io.err)
	c := findCommand(name)
	fs.Usage = func() {
		c.printSynopsis(fs.Output())
		var b strings.Builder
		fs.SetOutput(&b)
		fs.PrintDefaults()
		fs.SetOutput(env.io.err)
		if b.Len() > 0 {
			fmt.Fprint(fs.Output(), "\nflags:\n"+b.String())
		}
	}
	return fs
}

// listFlags parses the flags of a listing subcommand ("list", "feed list",
// "outlet list"): -json and -guild, and no arguments. sub names it in the
// usage error.
func listFlags(env *environment, name, sub, guildHelp string, args []string) (guild string, asJSON bool, err error) {
	fs := newFlagSet(env, name)
	j := fs.Bool("json", false, "print a JSON array")
	g := fs.String("guild", "", guildHelp)
	rest, err := parseFlags(fs, args)
	if err != nil {
		return "", false, err
	}
	if len(rest) > 0 {
		return "", false, usagef("%s: unexpected argument %q", sub, cell(rest[0], 40))
	}
	return *g, *j, nil
}

// parseFlags parses flags that come before or between the positional
// arguments ("ask -json 'q'" and "ask 'q' -json" both work); "--" ends the
// flags. Flag errors are usage errors; -h is flag.ErrHelp.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			// flag has already printed the reason and the usage.
			return nil, usagef("%s: %s", fs.Name(), firstLine(err.Error()))
		}
		consumed := len(args) - fs.NArg()
		rest := fs.Args()
		if consumed > 0 && args[consumed-1] == "--" {
			return append(positional, rest...), nil
		}
		if len(rest) == 0 {
			return positional, nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// oneLine folds a multi-line message into one line: its non-empty lines,
// trimmed, joined by "; ".
func oneLine(s string) string {
	var parts []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.Join(strings.Fields(l), " "); l != "" {
			parts = append(parts, l)
		}
	}
	return strings.Join(parts, "; ")
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}
