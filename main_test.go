package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// attacheBin is the attache binary built once for the tests that run it as
// a child process, the way operators and outside harnesses do;
// crashcheckBin is the crash test's checker (testdata/crashcheck). Both are
// built without the race detector.
var attacheBin, crashcheckBin string

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "attache-bin-*")
	if err != nil {
		fmt.Fprintln(os.Stderr, "temp dir:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	attacheBin = filepath.Join(dir, "attache")
	crashcheckBin = filepath.Join(dir, "crashcheck")
	build := exec.Command("go", "build", "-buildvcs=false", "-o", dir+string(filepath.Separator), ".", "./testdata/crashcheck")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		return 1
	}
	code := m.Run()
	if code == 0 {
		// Every command run in-process, and every fake server, must have
		// stopped its goroutines.
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "leaked goroutines:", err)
			return 1
		}
	}
	return code
}

// childTimeout bounds every child process; a hung child fails its test
// instead of the whole run.
const childTimeout = 90 * time.Second

// result is what a child process did.
type result struct {
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
}

// cli runs the attache binary in a directory with a clean environment:
// only the variables given (plus a private HOME and TMPDIR), so that the
// developer's own settings and .env never leak into a test.
type cli struct {
	t   testing.TB
	dir string // working directory
	env map[string]string
	// timeout bounds each run; 0 is childTimeout (benchmarks of big
	// corpora need more).
	timeout time.Duration
}

// limit is how long one run of c may take.
func (c *cli) limit() time.Duration {
	if c.timeout > 0 {
		return c.timeout
	}
	return childTimeout
}

// newCLI returns a cli working in a fresh directory whose data directory
// is ./data.
func newCLI(t testing.TB) *cli {
	t.Helper()
	dir := t.TempDir()
	return &cli{t: t, dir: dir, env: map[string]string{"ATTACHE_DATA_DIR": filepath.Join(dir, "data")}}
}

func (c *cli) environ() []string {
	env := []string{"HOME=" + c.dir, "TMPDIR=" + os.TempDir(), "PATH=" + os.Getenv("PATH")}
	for k, v := range c.env {
		env = append(env, k+"="+v)
	}
	return env
}

func (c *cli) command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, attacheBin, args...)
	cmd.Dir = c.dir
	cmd.Env = c.environ()
	return cmd
}

// run runs attache with args and returns what it did.
func (c *cli) run(args ...string) result {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), c.limit())
	defer cancel()
	cmd := c.command(ctx, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee) && ee.Exited():
		r.code = ee.ExitCode()
	default:
		c.t.Fatalf("attache %s: %v\n%s", strings.Join(args, " "), err, r)
	}
	return r
}

// mustRun runs attache and fails the test unless it exits with want.
func (c *cli) mustRun(want int, args ...string) result {
	c.t.Helper()
	r := c.run(args...)
	if r.code != want {
		c.t.Fatalf("attache %s: %s\nwant exit %d", strings.Join(args, " "), r, want)
	}
	checkErrorOutput(c.t, r)
	return r
}

// checkErrorOutput checks the rule for failures: one clear line on stderr
// starting with "attache: ", and never a stack trace.
func checkErrorOutput(t testing.TB, r result) {
	t.Helper()
	for _, bad := range []string{"panic:", "goroutine ", "[running]", ".go:"} {
		if strings.Contains(r.stderr, bad) {
			t.Errorf("stderr has %q (a stack trace?):\n%s", bad, r.stderr)
		}
	}
	if r.code == 0 {
		return
	}
	lines := strings.Split(strings.TrimRight(r.stderr, "\n"), "\n")
	last := lines[len(lines)-1]
	if !strings.HasPrefix(last, "attache: ") {
		t.Errorf("exit %d: last line of stderr is %q, want \"attache: …\"", r.code, last)
	}
}

// writeFile writes content to name in dir and returns its path.
func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// readFile returns the content of path.
func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// killAfter runs attache with args, kills it with SIGKILL once `after`
// lines of its stderr have matched, and waits for it to die. It returns
// how many lines matched: fewer than after means the command finished
// first. A command that neither finishes nor dies in c's limit fails the
// test.
func killAfter(t testing.TB, c *cli, match func(line string) bool, after int, args ...string) int {
	t.Helper()
	seen, _, _ := signalAfter(t, c, syscall.SIGKILL, match, after, args...)
	return seen
}

// signalAfter is killAfter with another signal; it also returns the rest
// of stderr after the signal and the command's Wait error.
func signalAfter(t testing.TB, c *cli, sig os.Signal, match func(line string) bool, after int, args ...string) (int, string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), c.limit())
	defer cancel()
	cmd := c.command(ctx, args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	seen := 0
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		if match(sc.Text()) {
			if seen++; seen == after {
				if err := cmd.Process.Signal(sig); err != nil {
					t.Errorf("signal: %v", err)
				}
				break
			}
		}
	}
	var rest strings.Builder
	io.Copy(&rest, stderr) // drain until the pipe closes
	err = cmd.Wait()
	if ctx.Err() != nil {
		t.Fatalf("attache %s did not finish or die within %s", args[0], c.limit())
	}
	return seen, rest.String(), err
}

// child is a started process whose exit is watched: Exited is closed when
// it has exited, and Err is then its Wait error.
type child struct {
	cmd    *exec.Cmd
	exited chan struct{}
	err    error
}

// startChild starts cmd and kills it at the end of the test if it is
// still running (registered now, so it runs before cleanups registered
// earlier, such as a fake server's Close).
func startChild(tb testing.TB, cmd *exec.Cmd) *child {
	tb.Helper()
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	c := &child{cmd: cmd, exited: make(chan struct{})}
	go func() {
		c.err = cmd.Wait()
		close(c.exited)
	}()
	tb.Cleanup(func() {
		select {
		case <-c.exited:
		default:
			cmd.Process.Kill()
			<-c.exited
		}
	})
	return c
}

// Exited is closed when the process has exited; Err is valid after it.
func (c *child) Exited() <-chan struct{} { return c.exited }

// Err is the process's Wait error, valid once Exited is closed.
func (c *child) Err() error { return c.err }
