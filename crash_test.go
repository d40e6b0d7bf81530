package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/attache-bot/attache/corpus"
)

// crashArticles is how many articles the crash test ingests: enough that
// the ingest runs long enough to be killed several times at random points.
const crashArticles = 3000

// crashKills is how many times the ingest is killed before it is allowed to
// finish.
const crashKills = 5

// syntheticArticle makes article i of the crash test: generated text (no
// real news), a few sentences long, with a made-up token that occurs in
// this article only, so that its full-text rows can be checked.
func syntheticArticle(i int, rng *rand.Rand) corpus.Article {
	words := []string{"council", "envoy", "ministry", "delegation", "accord", "ceasefire", "summit",
		"border", "tariff", "embassy", "parliament", "treaty", "sanctions", "observers", "mandate"}
	places := []string{"Arvel", "Brisk", "Cordane", "Dunmoor", "Eskvale", "Fenlow", "Galtry", "Hesper"}
	var b strings.Builder
	fmt.Fprintf(&b, "Officials in %s discussed the %s proposal on Monday.", places[i%len(places)], uniqueToken(i))
	for s := 0; s < 4+rng.IntN(6); s++ {
		fmt.Fprintf(&b, " The %s and the %s of %s met again, and the %s was debated for %d hours.",
			words[rng.IntN(len(words))], words[rng.IntN(len(words))], places[rng.IntN(len(places))],
			words[rng.IntN(len(words))], 1+rng.IntN(12))
	}
	return corpus.Article{
		ID:        fmt.Sprintf("crash-%05d", i),
		Title:     fmt.Sprintf("Synthetic dispatch %d from %s", i, places[i%len(places)]),
		Source:    "Synthetic Wire",
		URL:       fmt.Sprintf("https://synthetic.example/dispatch/%d", i),
		Published: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i%365),
		Body:      b.String(),
	}
}

// TestIngestCrashSafety kills "attache ingest" with SIGKILL at random
// moments, then checks that the data directory opens, that every stored
// article is complete (chunks, vectors, full-text rows, its one change-log
// entry) and none is half-written (no row of any kind, no change, for an
// article that was not committed; the log's sequence numbers without a
// gap), and that re-running the same ingest completes it without
// duplicates.
func TestIngestCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("kills child processes; skipped with -short")
	}
	c := newCLI(t)
	c.env["LOG_LEVEL"] = "debug" // one log line per stored article: the kill points
	rng := rand.New(rand.NewPCG(20250727, 1))

	var file bytes.Buffer
	for i := range crashArticles {
		a := syntheticArticle(i, rng)
		line, err := json.Marshal(map[string]string{
			"id": a.ID, "title": a.Title, "source": a.Source, "url": a.URL,
			"published": a.Published.Format(corpus.DateLayout), "body": a.Body,
			"token": uniqueToken(i), // read by the checker only
		})
		if err != nil {
			t.Fatal(err)
		}
		file.Write(append(line, '\n'))
	}
	path := writeFile(t, c.dir, "synthetic.jsonl", file.String())
	dataDir := c.env["ATTACHE_DATA_DIR"]

	stored := 0
	for kill := range crashKills {
		// Kill after a random number of further stored articles.
		after := 1 + rng.IntN(crashArticles/(crashKills+1))
		t0 := time.Now()
		n := killIngestAfter(t, c, path, after)
		t1 := time.Now()
		got := checkLibrary(t, dataDir, path)
		t.Logf("kill %d: after %d progress lines; %d articles stored (ingest %s, check %s)", kill+1, n, got,
			t1.Sub(t0).Round(time.Millisecond), time.Since(t1).Round(time.Millisecond))
		if got < stored {
			t.Errorf("kill %d: %d articles stored, fewer than the %d before", kill+1, got, stored)
		}
		stored = got
	}

	r := c.mustRun(0, "ingest", path)
	sum := parseSummary(t, r)
	if sum.added+sum.unchanged != crashArticles || sum.updated != 0 || sum.rejected != 0 {
		t.Errorf("re-run summary = %+v, want added + unchanged = %d:\n%s", sum, crashArticles, r.stdout)
	}
	if got := checkLibrary(t, dataDir, path); got != crashArticles {
		t.Errorf("after the re-run, %d of %d articles are stored", got, crashArticles)
	}
}

// killIngestAfter starts an ingest of path, waits until it has stored
// `after` more articles (its debug log says so, one line each), kills it with
// SIGKILL and waits for it to die. It returns how many lines it saw; fewer
// than after means the ingest finished first.
func killIngestAfter(t *testing.T, c *cli, path string, after int) int {
	t.Helper()
	return killAfter(t, c, func(line string) bool {
		return strings.Contains(line, "ingest article") && strings.Contains(line, "status=added")
	}, after, "ingest", path)
}

// checkLibrary runs the checker (testdata/crashcheck, built without the
// race detector) over the data directory: it opens it as attache does and
// checks every stored synthetic article for completeness. It returns the
// number of synthetic articles stored and fails the test on any problem.
func checkLibrary(t *testing.T, dir, path string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), childTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, crashcheckBin, dir, path).Output()
	if err != nil {
		t.Fatalf("crashcheck: %v", err)
	}
	var rep struct {
		Stored   int      `json:"stored"`
		Problems []string `json:"problems"`
	}
	if err := json.Unmarshal(out, &rep); err != nil {
		t.Fatalf("crashcheck output %q: %v", out, err)
	}
	for i, p := range rep.Problems {
		if i == 20 {
			t.Errorf("… and %d more problems", len(rep.Problems)-20)
			break
		}
		t.Error(p)
	}
	return rep.Stored
}

// uniqueToken is the made-up word that only article i contains.
func uniqueToken(i int) string { return fmt.Sprintf("kvx%dq", i) }

// TestIngestInterrupted: Ctrl-C (SIGINT) stops an ingest cleanly: a partial
// summary, one line saying how to finish, exit status 1; and the stored
// articles are complete.
func TestIngestInterrupted(t *testing.T) {
	c := newCLI(t)
	c.env["LOG_LEVEL"] = "debug"
	rng := rand.New(rand.NewPCG(7, 7))
	var file bytes.Buffer
	for i := range crashArticles {
		a := syntheticArticle(i, rng)
		line, _ := json.Marshal(map[string]string{"id": a.ID, "title": a.Title, "body": a.Body, "token": uniqueToken(i)})
		file.Write(append(line, '\n'))
	}
	path := writeFile(t, c.dir, "interrupted.jsonl", file.String())

	ctx, cancel := context.WithTimeout(context.Background(), childTimeout)
	defer cancel()
	cmd := c.command(ctx, "ingest", path)
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var rest strings.Builder
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		if strings.Contains(sc.Text(), "status=added") {
			if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
				t.Fatal(err)
			}
			break
		}
	}
	io.Copy(&rest, stderr)
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("interrupted ingest: %v, want exit status 1\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), rest.String())
	}
	if !strings.Contains(stdout.String(), "added") || !strings.Contains(rest.String(), "attache: ingest interrupted") {
		t.Errorf("interrupted ingest output:\nstdout:\n%s\nstderr (end):\n%s", stdout.String(), lastLine(rest.String()))
	}
	t.Logf("%d articles stored, all complete, before the interrupt", checkLibrary(t, c.env["ATTACHE_DATA_DIR"], path))
}
