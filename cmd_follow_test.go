package main

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/attache-bot/attache/bot/discordtest"
	"github.com/attache-bot/attache/corpus"
	"github.com/attache-bot/attache/corpus/postgres"
	"github.com/attache-bot/attache/corpus/postgres/pgtest"
	"github.com/attache-bot/attache/retrieval"
)

// followTimeout bounds every wait for a change made by one process to
// reach another; the feed takes a fraction of a second
// (BenchmarkFollowLatency), the rest is slack for a loaded machine.
const followTimeout = 30 * time.Second

// logBuffer is a child's output that a test can wait on.
type logBuffer struct {
	mu      sync.Mutex
	b       bytes.Buffer
	changed chan struct{} // closed and replaced at every write
}

func newLogBuffer() *logBuffer { return &logBuffer{changed: make(chan struct{})} }

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	close(l.changed)
	l.changed = make(chan struct{})
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// waitFor waits until the output holds s.
func (l *logBuffer) waitFor(t *testing.T, s string, timeout time.Duration) {
	t.Helper()
	deadline := time.After(timeout)
	for {
		l.mu.Lock()
		found, ch := strings.Contains(l.b.String(), s), l.changed
		l.mu.Unlock()
		if found {
			return
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("%q not in the output within %s:\n%s", s, timeout, l.String())
		}
	}
}

// startServe starts "attache serve" as a child against the fake Discord and
// waits until it has registered its commands. The child is killed at the
// end of the test if still running; stop stops it with SIGTERM and checks
// that it exits 0.
func startServe(t *testing.T, c *cli, f *discordtest.Fake) (stderr *logBuffer, stop func()) {
	t.Helper()
	c.env["DISCORD_TOKEN"] = discordtest.DefaultToken
	c.env["DISCORD_API_BASE"] = f.APIBase()
	c.env["DISCORD_GUILD_ID"] = discordtest.DefaultGuildID
	stderr, stop = startServeChild(t, c)
	f.WaitForCall(t, "PUT", "/api/v9/applications/*/guilds/"+discordtest.DefaultGuildID+"/commands", followTimeout)
	return stderr, stop
}

// startServeChild starts "attache serve" as a child with c's environment,
// without waiting for anything; stop stops it with SIGTERM and checks that
// it exits 0. The child is killed at the end of the test if still running.
func startServeChild(t *testing.T, c *cli) (stderr *logBuffer, stop func()) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), childTimeout)
	cmd := c.command(ctx, "serve")
	stderr = newLogBuffer()
	cmd.Stdout, cmd.Stderr = &bytes.Buffer{}, stderr
	t.Cleanup(cancel) // registered first, so it runs after the child is gone
	serve := startChild(t, cmd)
	return stderr, func() {
		t.Helper()
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		select {
		case <-serve.Exited():
			if err := serve.Err(); err != nil {
				t.Errorf("serve after SIGTERM: %v\nstderr:\n%s", err, stderr.String())
			}
		case <-time.After(followTimeout):
			t.Fatalf("serve did not exit within %s of SIGTERM", followTimeout)
		}
	}
}

// ask sends /ask to the fake and returns the final answer.
func ask(t *testing.T, f *discordtest.Fake, question string) string {
	t.Helper()
	it := f.SendSlashCommand("ask", discordtest.Option{Name: "question", Value: question})
	f.WaitUntil(t, func() bool {
		m, ok := f.Original(it.Token)
		return ok && !m.Loading() && m.Content != ""
	}, followTimeout)
	return f.FinalContent(it.Token)
}

// TestServeFollowsOtherProcesses runs a real "attache serve" and, as
// separate processes on the same data directory, "attache ingest" and
// "attache remove": without a restart, the served answer cites the new
// article, and stops citing it once it is removed.
func TestServeFollowsOtherProcesses(t *testing.T) {
	t.Parallel()
	testServeFollows(t, newCLI(t))
}

// testServeFollows is TestServeFollowsOtherProcesses on c's library.
func testServeFollows(t *testing.T, c *cli) {
	f := discordtest.New(t, discordtest.Options{})
	c.env["LOG_LEVEL"] = "debug" // the follower logs each change it applies
	stderr, stop := startServe(t, c, f)

	const link = "news.example/lighthouse-1"
	if answer := ask(t, f, lighthouseQuestion); strings.Contains(answer, link) {
		t.Fatalf("the article is cited before it was ingested:\n%s", answer)
	}
	c.mustRun(0, "ingest", lighthouseFile(t, c.dir))
	stderr.waitFor(t, "id=lighthouse-1 removed=false", followTimeout)
	if answer := ask(t, f, lighthouseQuestion); !strings.Contains(answer, link) {
		t.Errorf("after ingest by another process, the answer does not cite the article:\n%s", answer)
	}

	c.mustRun(0, "remove", "lighthouse-1")
	stderr.waitFor(t, "id=lighthouse-1 removed=true", followTimeout)
	if answer := ask(t, f, lighthouseQuestion); strings.Contains(answer, link) {
		t.Errorf("after remove by another process, the answer still cites the article:\n%s", answer)
	}
	stop()
	if strings.Contains(stderr.String(), "could not be applied") || strings.Contains(stderr.String(), "cannot read the library's change feed") {
		t.Errorf("the follower reported failures:\n%s", stderr.String())
	}
	for _, v := range f.Violations() {
		t.Errorf("Discord rule broken: %v", v)
	}
}

// lighthouseQuestion asks what lighthouseFile's article answers.
const lighthouseQuestion = "Why did the Brellow lighthouse keepers protest?"

// lighthouseFile writes a one-article .jsonl file in dir.
func lighthouseFile(t *testing.T, dir string) string {
	t.Helper()
	return writeFile(t, dir, "lighthouse.jsonl", jsonlRecord("lighthouse-1", "Brellow lighthouse keepers protest automation",
		"Coast Post", time.Now().UTC().AddDate(0, 0, -2).Format(corpus.DateLayout),
		"Lighthouse keepers in Brellow protested on Saturday against plans to automate the last staffed lighthouses. "+
			"The keepers said automation would leave the coast without anyone watching the sea at night.")+"\n")
}

// TestConcurrentIngest runs two "attache ingest" processes at once, 400
// articles each, on one data directory while an engine in this process
// follows it: every article is stored with its full-text rows, recorded in
// the change feed once (sequence numbers without a gap), and reaches the
// follower's index.
func TestConcurrentIngest(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	const perProcess = 400
	var files []string
	for p := range 2 {
		var lines []string
		for i := range perProcess {
			id := fmt.Sprintf("p%d-%03d", p, i)
			lines = append(lines, jsonlRecord(id, fmt.Sprintf("Report %d from desk %d", i, p), "Wire", "2025-03-01",
				fmt.Sprintf("Desk %d filed report number %d about the harbour talks in Velmora. Delegates met again.", p, i)))
		}
		files = append(files, writeFile(t, c.dir, fmt.Sprintf("desk%d.jsonl", p), strings.Join(lines, "\n")+"\n"))
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	lib, err := corpus.Open(ctx, c.env["ATTACHE_DATA_DIR"])
	if err != nil {
		t.Fatal(err)
	}
	defer lib.Close()
	engine, err := retrieval.New(ctx, lib, retrieval.Config{})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	seen := map[string]bool{}
	all := make(chan struct{})
	followed := make(chan error, 1)
	go func() {
		followed <- engine.Follow(ctx, retrieval.FollowOptions{Applied: func(ev retrieval.FollowEvent) {
			mu.Lock()
			defer mu.Unlock()
			if ev.Err != nil {
				t.Errorf("follower: %+v", ev)
			}
			if ev.ArticleID != "" && !ev.Removed {
				seen[ev.ArticleID] = true
				if len(seen) == 2*perProcess {
					close(all)
				}
			}
		}})
	}()
	defer func() {
		cancel()
		if err := <-followed; err != nil {
			t.Errorf("Follow: %v", err)
		}
	}()

	// Both started before either is waited for, so that they overlap.
	var cmds []*exec.Cmd
	var outs []*bytes.Buffer
	for p := range 2 {
		runCtx, runCancel := context.WithTimeout(ctx, childTimeout)
		defer runCancel()
		cmd := c.command(runCtx, "ingest", files[p])
		out := &bytes.Buffer{}
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds, outs = append(cmds, cmd), append(outs, out)
	}
	for p, cmd := range cmds {
		err := cmd.Wait()
		if err != nil || !strings.Contains(outs[p].String(), fmt.Sprintf("%d added", perProcess)) {
			t.Errorf("ingest %d: %v\n%s", p, err, outs[p])
		}
	}
	if n, err := lib.Count(ctx); err != nil || n != 2*perProcess {
		t.Fatalf("library holds %d articles (%v), want %d", n, err, 2*perProcess)
	}
	cs, err := lib.Changes(ctx, 0, corpus.MaxChangeBatch)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i, ch := range cs {
		if ch.Kind != corpus.ChangePut {
			t.Errorf("unexpected change %+v", ch)
		}
		if i > 0 && ch.Seq != cs[i-1].Seq+1 {
			t.Errorf("change %d follows %d: the writers' sequence numbers interleave with a gap", ch.Seq, cs[i-1].Seq)
		}
		ids = append(ids, ch.ArticleID)
	}
	// Both writers' full-text rows: one per article and one per passage,
	// and every article found by a word of its text.
	chunks, err := lib.ChunkCount(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, ix := range []struct {
		name string
		ix   corpus.TextIndex
		want int
	}{{"article", corpus.ArticleIndex, 2 * perProcess}, {"passage", corpus.PassageIndex, chunks}} {
		if st, err := lib.FullText().Stats(ctx, ix.ix); err != nil || st.Docs != int64(ix.want) {
			t.Errorf("the %s full-text index has %d rows (%v), want %d", ix.name, st.Docs, err, ix.want)
		}
	}
	list, err := lib.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var rows, holding []int64
	for _, a := range list {
		rows = append(rows, a.Seq)
	}
	err = lib.FullText().Postings(ctx, corpus.ArticleIndex, "desk", func(seq int64, _ float64) error {
		holding = append(holding, seq)
		return nil
	})
	slices.Sort(rows)
	if err != nil || !slices.Equal(holding, rows) {
		t.Errorf("%d article rows hold \"desk\" (%v), want all %d articles'", len(holding), err, len(rows))
	}
	slices.Sort(ids)
	if len(ids) != 2*perProcess || len(slices.Compact(ids)) != 2*perProcess {
		t.Errorf("%d changes for %d distinct articles, want %d each", len(cs), len(slices.Compact(ids)), 2*perProcess)
	}
	select {
	case <-all:
	case <-time.After(followTimeout):
		mu.Lock()
		t.Fatalf("the follower applied %d of %d articles", len(seen), 2*perProcess)
	}
	ps, err := engine.Search(ctx, retrieval.Query{Text: "report number 399 from desk 1 about the harbour talks", K: 5})
	if err != nil || len(ps) == 0 {
		t.Fatalf("search after following: %v, %v", ps, err)
	}
}

// BenchmarkFollowLatency measures how long a change written by another
// process takes to become visible in a following engine's answers, for
// writes at random moments: from the writing transaction's timestamp
// (recorded in the change log by the library, on the same clock) to the
// moment a search of this engine, run when Follow reports the change,
// returns the new article. Each op is one "attache ingest" of one new
// article, run as a child process; p50 and p99 are over the ops (run with
// -benchtime=100x). Both libraries: SQLite (the data directory's change
// log, checked every corpus.WatchInterval) and PostgreSQL (a throw-away
// schema, LISTEN/NOTIFY). For comparison in the same run, the same with
// the writer in this process on its own library handle (no process start
// between changes).
func BenchmarkFollowLatency(b *testing.B) {
	for _, backend := range []string{"sqlite", "postgres"} {
		for _, mode := range []string{"other-process", "same-process"} {
			b.Run(backend+"/"+mode, func(b *testing.B) { benchFollowLatency(b, backend, mode) })
		}
	}
}

// benchLibrary opens a new, empty library of backend for a benchmark,
// closed when it ends, with the environment a child attache needs to use
// it and a function that opens another handle on it.
func benchLibrary(b *testing.B, backend, dir string) (corpus.Backend, []string, func() corpus.Backend) {
	b.Helper()
	ctx := context.Background()
	var dbURL string // a throw-away schema, dropped when the benchmark ends
	if backend == "postgres" {
		dbURL, _ = pgtest.Schema(b)
	}
	open := func() corpus.Backend {
		var lib corpus.Backend
		var err error
		switch backend {
		case "sqlite":
			lib, err = corpus.Open(ctx, filepath.Join(dir, "data"))
		default:
			lib, err = postgres.Open(ctx, dbURL)
		}
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { lib.Close() })
		return lib
	}
	env := []string{"HOME=" + dir, "TMPDIR=" + dir, "ATTACHE_DATA_DIR=" + filepath.Join(dir, "data")}
	if backend == "postgres" {
		env = append(env, "ATTACHE_DATABASE_URL="+dbURL)
	}
	return open(), env, open
}

// benchWord is a made-up word unique to article i, which only its
// article holds, so that a search for it finds that article.
func benchWord(i int) string {
	return "qx" + strings.Map(func(r rune) rune { return 'a' + (r - '0') }, fmt.Sprint(i))
}

func benchFollowLatency(b *testing.B, backend, mode string) {
	dir := b.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	lib, env, another := benchLibrary(b, backend, dir)
	engine, err := retrieval.New(ctx, lib, retrieval.Config{})
	if err != nil {
		b.Fatal(err)
	}
	type seen struct {
		ev retrieval.FollowEvent
		at time.Time
	}
	events := make(chan seen, 16)
	followed := make(chan error, 1)
	go func() {
		followed <- engine.Follow(ctx, retrieval.FollowOptions{Applied: func(ev retrieval.FollowEvent) {
			events <- seen{ev, time.Now()}
		}})
	}()
	defer func() {
		cancel()
		<-followed
	}()
	var writer *retrieval.Engine
	if mode == "same-process" {
		if writer, err = retrieval.New(ctx, another(), retrieval.Config{}); err != nil {
			b.Fatal(err)
		}
	}
	var lat, applied []time.Duration
	i := 0
	for b.Loop() {
		i++
		// Writes come at random moments, not in step with the SQLite
		// watcher's checks (each would otherwise follow the previous
		// wake-up by the same few milliseconds).
		b.StopTimer()
		time.Sleep(time.Duration(rand.Int64N(int64(corpus.WatchInterval))))
		b.StartTimer()
		id := fmt.Sprintf("bench-%d", i)
		word := benchWord(i)
		a := corpus.Article{ID: id, Title: fmt.Sprintf("Bench story %s", word), Source: "Wire",
			Body: fmt.Sprintf("Story %s about the harbour talks in Velmora.", word)}
		if writer != nil {
			if _, _, err := writer.Add(ctx, a); err != nil {
				b.Fatal(err)
			}
		} else {
			path := filepath.Join(dir, id+".jsonl")
			writeFileB(b, path, jsonlRecord(id, a.Title, a.Source, "2025-03-01", a.Body)+"\n")
			cmd := exec.CommandContext(ctx, attacheBin, "ingest", path)
			cmd.Env = env
			if out, err := cmd.CombinedOutput(); err != nil {
				b.Fatalf("ingest: %v\n%s", err, out)
			}
		}
		var got seen
		select {
		case got = <-events:
		case <-time.After(followTimeout):
			b.Fatalf("change %d not applied within %s", i, followTimeout)
		}
		ev := got.ev
		if ev.ArticleID != id || ev.Err != nil {
			b.Fatalf("event %+v, want a put of %s", ev, id)
		}
		ps, err := engine.Search(ctx, retrieval.Query{Text: word, K: 3})
		visible := time.Now()
		if err != nil || len(ps) == 0 || ps[0].ArticleID != id {
			b.Fatalf("search for %s once followed: %+v, %v; want %s first", word, ps, err, id)
		}
		cs, err := lib.Changes(ctx, ev.Seq-1, 1)
		if err != nil || len(cs) != 1 {
			b.Fatalf("change %d: %v %v", ev.Seq, cs, err)
		}
		lat = append(lat, visible.Sub(cs[0].At))
		applied = append(applied, got.at.Sub(cs[0].At))
	}
	pct := func(ds []time.Duration, p float64) float64 {
		slices.Sort(ds)
		return float64(ds[min(len(ds)-1, int(p*float64(len(ds))))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(lat, 0.50), "p50-ms")
	b.ReportMetric(pct(lat, 0.99), "p99-ms")
	b.ReportMetric(pct(applied, 0.99), "p99-applied-ms")
	b.ReportMetric(0, "ns/op")
}

func writeFileB(b *testing.B, path, content string) {
	b.Helper()
	if err := writeFileSync(path, []byte(content)); err != nil {
		b.Fatal(err)
	}
}
