package librarytest

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/attache-bot/attache/corpus"
)

// Processes is how the cases that need several processes reach a store:
// the child processes are the test binary itself, run again with the
// store's address in their environment (see Child).
type Processes struct {
	// New makes a new, empty store for one test and returns its address:
	// what Open takes (a data directory, a database URL). The store is
	// discarded when the test ends.
	New func(t *testing.T) string
	// Open opens the store at addr, in the test or in a child process.
	Open func(ctx context.Context, addr string) (Library, error)
}

// The environment of a child process: its job and the store's address.
const (
	childJobEnv  = "ATTACHE_LIBRARYTEST_JOB"
	childAddrEnv = "ATTACHE_LIBRARYTEST_ADDR"
)

// childTimeout bounds every wait on a child process: generous, as the
// machines running the suite may be loaded.
const childTimeout = 90 * time.Second

// Child does the job of a child process of RunProcesses and exits when
// the environment names one; otherwise it returns at once. Call it first
// in the TestMain of a package that runs RunProcesses, with the same open
// function as Processes.Open.
func Child(open func(ctx context.Context, addr string) (Library, error)) {
	job := os.Getenv(childJobEnv)
	if job == "" {
		return
	}
	if err := runChild(open, job, os.Getenv(childAddrEnv)); err != nil {
		fmt.Fprintln(os.Stderr, "librarytest child:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// runChild does one job, printing "committed ID" on stdout after each
// article it stored:
//   - "crash TAG": writes articles TAG-0, TAG-1, … until killed;
//   - "write ID…": says "ready", waits for a line on stdin, then writes
//     the listed articles in order;
//   - "lock NAME": takes the lock NAME, says "locked" and holds it until
//     killed (or its stdin ends).
func runChild(open func(ctx context.Context, addr string) (Library, error), job, addr string) error {
	ctx := context.Background()
	lib, err := open(ctx, addr)
	if err != nil {
		return err
	}
	if err := lib.CheckEmbedder(ctx, embedder); err != nil {
		return err
	}
	write := func(id string) error {
		a := processArticle(id)
		chunks, vecs := split(a, Dim)
		if _, err := lib.Put(ctx, a, chunks, vecs); err != nil {
			return fmt.Errorf("put %s: %w", id, err)
		}
		fmt.Printf("committed %s\n", id)
		return nil
	}
	fields := strings.Fields(job)
	switch {
	case len(fields) == 2 && fields[0] == "lock":
		return holdLock(ctx, lib, fields[1])
	case len(fields) == 2 && fields[0] == "crash":
		for i := 0; ; i++ {
			if err := write(fmt.Sprintf("%s-%d", fields[1], i)); err != nil {
				return err
			}
		}
	case len(fields) > 1 && fields[0] == "write":
		fmt.Println("ready")
		if _, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil {
			return fmt.Errorf("waiting for the start: %w", err)
		}
		for _, id := range fields[1:] {
			if err := write(id); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("unknown job %q", job)
}

// processArticle is the article a child writes under id: a few chunks,
// its own words (the id's number spelled out as letters, which survive
// analysis as one term) and a date, so that every row of it can be checked.
func processArticle(id string) corpus.Article {
	token := "zq" + letters(id)
	var b strings.Builder
	for s := range 12 {
		fmt.Fprintf(&b, "Dispatch %s reports on the harbour talks, part %d. The %s delegation met the envoys again. ", token, s, token)
	}
	return article(id, corpus.SharedScope, "Dispatch "+token, "2026-02-0"+strconv.Itoa(1+len(id)%9), strings.TrimSpace(b.String()))
}

// letters spells the bytes of s as lowercase letters.
func letters(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		b.WriteByte('a' + c%26)
		b.WriteByte('a' + c/26%26)
	}
	return b.String()
}

// RunProcesses runs the cases that need other processes: crash-safety
// under SIGKILL, and concurrent writers in two processes. The test
// binary's TestMain must call Child before anything else.
func RunProcesses(t *testing.T, p Processes) {
	t.Run("CrashSafety", func(t *testing.T) { testCrashSafety(t, p) })
	t.Run("ConcurrentProcesses", func(t *testing.T) { testConcurrentProcesses(t, p) })
	t.Run("LockOfKilledProcess", func(t *testing.T) { testLockOfKilledProcess(t, p) })
}

// child is a running child process and the lines of its stdout.
type child struct {
	job   string
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines chan string
	done  chan struct{}
	err   error
}

func startChild(t *testing.T, addr, job string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childJobEnv+"="+job, childAddrEnv+"="+addr)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{job: job, cmd: cmd, stdin: in, lines: make(chan string, 64), done: make(chan struct{})}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			c.lines <- sc.Text()
		}
		close(c.lines)
		c.err = cmd.Wait()
		if c.err != nil && stderr.Len() > 0 {
			c.err = fmt.Errorf("%w: %s", c.err, strings.TrimSpace(stderr.String()))
		}
		close(c.done)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		in.Close()
		for range c.lines {
		}
		<-c.done
	})
	return c
}

// next returns the child's next line; ok is false once it has exited.
func (c *child) next(t *testing.T) (line string, ok bool) {
	t.Helper()
	select {
	case l, ok := <-c.lines:
		return l, ok
	case <-time.After(childTimeout):
		t.Fatalf("child %.40q: no output within %s", c.job, childTimeout)
		return "", false
	}
}

// testCrashSafety kills a writing child with SIGKILL at varying moments:
// every article it said it committed is there, and the store holds whole
// articles only — every chunk with its vector, the full-text rows of both
// indexes exactly those of the stored articles, one change per article.
func testCrashSafety(t *testing.T, p Processes) {
	addr, lib, start := newProcessStore(t, p)
	committed := map[string]bool{}
	for round, killAfter := range []int{1, 4, 9} {
		c := startChild(t, addr, fmt.Sprintf("crash k%d", round))
		for seen := 0; seen < killAfter; {
			l, ok := c.next(t)
			if !ok {
				<-c.done
				t.Fatalf("round %d: the child exited early: %v", round, c.err)
			}
			if id, found := strings.CutPrefix(l, "committed "); found {
				committed[id] = true
				seen++
			}
		}
		// SIGKILL, most likely inside the next article's transaction.
		if err := c.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		for l := range c.lines { // printed before the kill landed: committed too
			if id, found := strings.CutPrefix(l, "committed "); found {
				committed[id] = true
			}
		}
		<-c.done
		n := checkWhole(t, lib, start, committed, round)
		t.Logf("round %d: killed after %d commits; %d articles stored, all whole", round, killAfter, n)
	}
}

// newProcessStore makes a new store with the suite's embedder and opens
// it in the test (closed when it ends); it returns its address, the
// library and the head of its change feed.
func newProcessStore(t *testing.T, p Processes) (string, Library, int64) {
	t.Helper()
	ctx := context.Background()
	addr := p.New(t)
	lib, err := p.Open(ctx, addr)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if c, ok := lib.(io.Closer); ok {
		t.Cleanup(func() { c.Close() })
	}
	if err := lib.CheckEmbedder(ctx, embedder); err != nil {
		t.Fatalf("CheckEmbedder: %v", err)
	}
	start, err := lib.Head(ctx)
	if err != nil {
		t.Fatalf("Head: %v", err)
	}
	return addr, lib, start
}

// checkWhole checks that lib holds whole articles only, each written once
// by a child, and every one of committed.
func checkWhole(t *testing.T, lib Library, start int64, committed map[string]bool, round int) int {
	t.Helper()
	ctx := context.Background()
	list, err := lib.List(ctx)
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	var arts []corpus.Article
	listed := map[string]bool{}
	wantChunks := 0
	for _, s := range list {
		listed[s.ID] = true
		a := processArticle(s.ID)
		if got, err := lib.Get(ctx, s.ID); err != nil || got != a {
			t.Fatalf("round %d: Get(%s) = %+v, %v; want the child's article", round, s.ID, got, err)
		}
		chunks, vecs := split(a, Dim)
		wantChunks += len(chunks)
		st, err := lib.Stored(ctx, s.ID)
		if err != nil {
			t.Fatalf("round %d: Stored(%s): %v", round, s.ID, err)
		}
		if len(st.Chunks) != len(chunks) || st.Hash != corpus.Hash(a) {
			t.Fatalf("round %d: %s has %d of %d chunks (hash %s)", round, s.ID, len(st.Chunks), len(chunks), st.Hash)
		}
		for i, c := range st.Chunks {
			if c.ID != chunks[i].ID || !slices.Equal(c.Vector, vecs[i]) {
				t.Fatalf("round %d: chunk %d of %s = %s with vector %v", round, i, s.ID, c.ID, c.Vector)
			}
		}
		arts = append(arts, a)
	}
	for id := range committed {
		if !listed[id] {
			t.Fatalf("round %d: committed article %s lost", round, id)
		}
	}
	if n, c := counts(t, lib); n != len(list) || c != wantChunks {
		t.Fatalf("round %d: Count %d, ChunkCount %d; want %d, %d (no chunk without its article)", round, n, c, len(list), wantChunks)
	}
	vectors := 0
	if err := lib.Chunks(ctx, func(c corpus.StoredChunk) error {
		if len(c.Vector) == Dim {
			vectors++
		}
		return nil
	}); err != nil {
		t.Fatalf("Chunks: %v", err)
	}
	if vectors != wantChunks {
		t.Fatalf("round %d: %d chunks with a vector, want %d", round, vectors, wantChunks)
	}
	// Full-text rows: exactly those of the stored articles, in both
	// indexes, with the scores they give.
	terms := []string{"harbour", "envoy", "deleg"}
	for _, a := range arts[:min(len(arts), 3)] {
		terms = append(terms, "zq"+letters(a.ID))
	}
	passages, articles := expectRows(t, lib, arts)
	checkIndex(t, lib.Text(), corpus.PassageIndex, passages, terms)
	checkIndex(t, lib.Text(), corpus.ArticleIndex, articles, terms)
	// One change per article, in order, none for an uncommitted one.
	ch := changes(t, lib, start)
	seen := map[string]bool{}
	for i, c := range ch {
		if c.Kind != corpus.ChangePut || !listed[c.ArticleID] || seen[c.ArticleID] {
			t.Errorf("round %d: change %d = %s of %s: not one put per stored article", round, i, c.Kind, c.ArticleID)
		}
		seen[c.ArticleID] = true
		if i > 0 && c.Seq <= ch[i-1].Seq {
			t.Errorf("round %d: change seqs not increasing: %d after %d", round, c.Seq, ch[i-1].Seq)
		}
	}
	if len(seen) != len(list) {
		t.Errorf("round %d: %d articles have a change, want %d", round, len(seen), len(list))
	}
	return len(list)
}

// testConcurrentProcesses runs two writing processes at once, each with
// its own articles and ten they both write (the same content): all land
// once, and the change feed read by a third handle holds one put per
// article, in increasing order.
func testConcurrentProcesses(t *testing.T, p Processes) {
	ctx := context.Background()
	addr, lib, start := newProcessStore(t, p)
	const own, both = 15, 10
	jobs := [2][]string{}
	for w := range 2 {
		for i := range own {
			jobs[w] = append(jobs[w], fmt.Sprintf("cp-%d-%d", w, i))
			if i < both {
				// Interleaved, the second writer in the reverse order: the
				// two meet on the shared ids while both are writing.
				n := i
				if w == 1 {
					n = both - 1 - i
				}
				jobs[w] = append(jobs[w], fmt.Sprintf("cp-both-%d", n))
			}
		}
	}
	var writers []*child
	for w := range 2 {
		writers = append(writers, startChild(t, addr, "write "+strings.Join(jobs[w], " ")))
	}
	for w, c := range writers {
		if l, ok := c.next(t); !ok || l != "ready" {
			<-c.done
			t.Fatalf("writer %d: %q instead of ready: %v", w, l, c.err)
		}
	}
	for _, c := range writers { // both start writing at once
		if _, err := io.WriteString(c.stdin, "go\n"); err != nil {
			t.Fatal(err)
		}
	}
	wrote := map[string]int{}
	for w, c := range writers {
		for l := range c.lines {
			if id, found := strings.CutPrefix(l, "committed "); found {
				wrote[id]++
			}
		}
		<-c.done
		if c.err != nil {
			t.Fatalf("writer %d: %v", w, c.err)
		}
	}
	want := 2*own + both
	if len(wrote) != want {
		t.Errorf("the writers committed %d distinct articles, want %d", len(wrote), want)
	}
	list, err := lib.List(ctx)
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	ids := map[string]bool{}
	for _, s := range list {
		if ids[s.ID] {
			t.Errorf("%s listed twice", s.ID)
		}
		ids[s.ID] = true
	}
	for id := range wrote {
		if !ids[id] {
			t.Errorf("%s committed but not listed", id)
		}
	}
	n, c := counts(t, lib)
	wantChunks := 0
	for id := range wrote {
		chunks, _ := split(processArticle(id), Dim)
		wantChunks += len(chunks)
	}
	if n != want || c != wantChunks {
		t.Errorf("%d articles and %d chunks, want %d and %d", n, c, want, wantChunks)
	}
	ch := changes(t, lib, start)
	inFeed := map[string]int{}
	for i, c := range ch {
		inFeed[c.ArticleID]++
		if c.Kind != corpus.ChangePut {
			t.Errorf("change %d is %s of %s, want put", i, c.Kind, c.ArticleID)
		}
		if i > 0 && c.Seq <= ch[i-1].Seq {
			t.Errorf("change seqs not increasing: %d after %d", c.Seq, ch[i-1].Seq)
		}
	}
	for id := range wrote {
		// The second write of a shared article is unchanged: no entry.
		if inFeed[id] != 1 {
			t.Errorf("%s has %d changes, want 1", id, inFeed[id])
		}
	}
	if len(ch) != want {
		t.Errorf("%d changes, want %d", len(ch), want)
	}
	if head, err := lib.Head(ctx); err != nil || len(ch) > 0 && head != ch[len(ch)-1].Seq {
		t.Errorf("Head = %d, %v; want the last change's seq", head, err)
	}
}
