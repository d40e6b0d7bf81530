package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/attache-bot/attache/bot/discordtest"
	"github.com/attache-bot/attache/corpus/feed/feedtest"
)

// procKiB reads a "VmHWM:" or "VmRSS:" line of /proc/PID/status, in KiB.
func procKiB(pid int, field string) (int, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			return strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
		}
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", field, pid)
}

// BenchmarkServeMemory50x50 runs "attache serve" against the fake Discord
// with 50 feeds of 50 summary-only items each (every page fetched) and
// reports its peak resident memory (VmHWM) once the first poll of every
// feed is done, and how long that poll took from the start of serve. The
// baseline is the same serve with no feeds, measured once its commands are
// registered and the sample corpus seeded.
func BenchmarkServeMemory50x50(b *testing.B) {
	const feeds, items = 50, 50
	srv := feedtest.New(b)
	pages := map[string][]byte{}
	for f := range feeds {
		var es []feedtest.Entry
		for i := range items {
			path := fmt.Sprintf("/p/%d/%d", f, i)
			title := fmt.Sprintf("Dispatch %d of desk %d", i, f)
			pages[path] = feedtest.Page(title, fmt.Sprintf("Desk %d Times", f), time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC),
				strings.Split(feedtest.Story(uint64(f*1000+i+1), 300), "\n\n")...)
			es = append(es, feedtest.Entry{GUID: path, Link: path, Title: title, Summary: "A short summary."})
		}
		srv.Set(fmt.Sprintf("/f/%d", f), feedtest.Doc{ContentType: "application/rss+xml", Body: feedtest.RSS(fmt.Sprintf("Desk %d", f), srv.URL, es...)})
	}
	page := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(pages[r.URL.Path])
	})
	for p := range pages {
		srv.Handle(p, page)
	}

	run := func(b *testing.B, withFeeds bool) {
		for b.Loop() {
			b.StopTimer()
			fake := discordtest.New(b, discordtest.Options{})
			dir := b.TempDir()
			c := &cli{dir: dir, env: map[string]string{
				"ATTACHE_DATA_DIR": filepath.Join(dir, "data"), "ATTACHE_ALLOW_PRIVATE_URLS": "true",
				"DISCORD_TOKEN": discordtest.DefaultToken, "DISCORD_API_BASE": fake.APIBase(), "DISCORD_GUILD_ID": discordtest.DefaultGuildID,
				"ATTACHE_MAX_FEEDS": strconv.Itoa(feeds),
			}}
			if withFeeds {
				for f := range feeds {
					if out, err := c.command(context.Background(), "feed", "add", srv.URLOf(fmt.Sprintf("/f/%d", f))).CombinedOutput(); err != nil {
						b.Fatalf("feed add: %v\n%s", err, out)
					}
				}
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			cmd := c.command(ctx, "serve")
			stderr, err := cmd.StderrPipe()
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			start := time.Now()
			if err := cmd.Start(); err != nil {
				b.Fatal(err)
			}
			polled, added := 0, 0
			sc := bufio.NewScanner(stderr)
			for withFeeds && polled < feeds && sc.Scan() {
				line := sc.Text()
				if strings.Contains(line, "feed poll failed") {
					b.Errorf("a poll failed: %s", line)
				}
				if strings.Contains(line, "feed polled") {
					polled++
					if i := strings.Index(line, "added="); i >= 0 {
						n, _ := strconv.Atoi(strings.Fields(line[i+len("added="):])[0])
						added += n
					}
				}
			}
			took := time.Since(start)
			b.StopTimer()
			if !withFeeds {
				fake.WaitForCall(b, "PUT", "/api/v9/applications/*/guilds/"+discordtest.DefaultGuildID+"/commands", time.Minute)
			}
			hwm, err := procKiB(cmd.Process.Pid, "VmHWM")
			if err != nil {
				b.Fatal(err)
			}
			go func() {
				for sc.Scan() {
				}
			}()
			cmd.Process.Signal(syscall.SIGTERM)
			cmd.Wait()
			cancel()
			if withFeeds {
				if added != feeds*items {
					b.Fatalf("%d articles added by %d polls, want %d", added, polled, feeds*items)
				}
				b.ReportMetric(took.Seconds(), "s-to-polled")
				b.ReportMetric(float64(added)/took.Seconds(), "articles/s")
			}
			b.ReportMetric(float64(hwm)/1024, "MiB-peak-RSS")
			b.StartTimer()
		}
	}
	b.Run("no-feeds", func(b *testing.B) { run(b, false) })
	b.Run("50x50", func(b *testing.B) { run(b, true) })
}
