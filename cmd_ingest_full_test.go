package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/attache-bot/attache/corpus"
)

// TestIngestDiskFull: articles that could not be stored because the disk
// is full are a failure (exit 1, listed apart from the records refused for
// their content), never a success. The data directory is a small tmpfs,
// which only root can mount (CI runs as root).
func TestIngestDiskFull(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a small tmpfs as a full disk")
	}
	c := newCLI(t)
	dataDir := filepath.Join(c.dir, "full")
	if err := os.Mkdir(dataDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount("tmpfs", dataDir, "tmpfs", 0, "size=1m"); err != nil {
		t.Skipf("cannot mount a tmpfs (%v): no way to fill a disk here", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dataDir, 0); err != nil {
			t.Errorf("unmount %s: %v", dataDir, err)
		}
	})
	c.env["ATTACHE_DATA_DIR"] = dataDir

	// About 3 MB of articles for a 1 MB disk, and one record refused for
	// its content.
	rng := rand.New(rand.NewPCG(3, 3))
	var file bytes.Buffer
	for i := range 300 {
		a := syntheticArticle(i, rng)
		a.Body += strings.Repeat(" "+a.Body, 8)
		line, _ := json.Marshal(map[string]string{"id": a.ID, "title": a.Title, "body": a.Body,
			"published": a.Published.Format(corpus.DateLayout)})
		file.Write(append(line, '\n'))
		if i == 0 {
			file.WriteString(`{"id": "untitled", "body": "No title here."}` + "\n")
		}
	}
	path := writeFile(t, c.dir, "big.jsonl", file.String())

	r := c.mustRun(1, "ingest", path)
	sum := parseSummary(t, r)
	if sum.added == 0 || sum.added >= 300 || sum.rejected != 1 {
		t.Errorf("summary %+v: want some added, some not stored, 1 rejected:\n%s", sum, r)
	}
	if !strings.Contains(r.stdout, fmt.Sprintf("%d not stored", 300-sum.added)) || !strings.Contains(r.stdout, "full") {
		t.Errorf("the summary does not list the articles that were not stored, with the reason:\n%s", r)
	}
	if rej := r.stdout[strings.Index(r.stdout, "rejected:"):strings.Index(r.stdout, "not stored:")]; strings.Contains(rej, "full") {
		t.Errorf("a full disk is reported as a rejected record:\n%s", r.stdout)
	}
	if !strings.Contains(lastLine(r.stderr), "could not be stored") {
		t.Errorf("stderr does not say articles could not be stored:\n%s", r.stderr)
	}
}
