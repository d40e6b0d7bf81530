package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/attache-bot/attache/bot/discordtest"
)

// BenchmarkServeReady measures how long "attache serve", run as a child
// process against the fake Discord, takes from its start until it is
// ready: the gateway session identified and the slash commands registered
// in the guild (the later of the two calls, as the fake recorded them). It
// reports the mean of those times in seconds and the largest peak RSS
// (VmHWM when ready) over the runs.
//
// It runs over two data directories in the same run: "sample", a fresh
// one that serve seeds with the bundled sample corpus on an unmeasured
// first start (the baseline: a library with almost nothing in it), and
// "growth", when ATTACHE_SERVE_LIBRARY names a data directory, e.g. the
// 120,000-passage growth library built by
//
//	ATTACHE_GROWTH_DIR=/tmp/growth ATTACHE_GROWTH_SIZES=120000 ATTACHE_GROWTH_DIMS=local \
//	  go test -run TestBuildGrowthLibrary ./retrieval/
//	ATTACHE_SERVE_LIBRARY=/tmp/growth/local-120000 \
//	  go test -run '^$' -bench BenchmarkServeReady -benchtime 5x .
//
// Each library is started once before the measured runs as well, so that
// every measured start finds its file in the page cache (as a restart
// does). ns/op includes the shutdown after SIGTERM.
func BenchmarkServeReady(b *testing.B) {
	libs := []struct{ name, dir string }{{"sample", filepath.Join(b.TempDir(), "data")}}
	if dir := os.Getenv("ATTACHE_SERVE_LIBRARY"); dir != "" {
		libs = append(libs, struct{ name, dir string }{"growth", dir})
	}
	for _, lib := range libs {
		b.Run(lib.name, func(b *testing.B) {
			serveUntilReady(b, lib.dir) // the first start: seeding, page cache
			var total time.Duration
			var peak float64
			for range b.N {
				ready, rss := serveUntilReady(b, lib.dir)
				total += ready
				peak = max(peak, rss)
			}
			b.ReportMetric(total.Seconds()/float64(b.N), "ready-s")
			b.ReportMetric(peak, "peak-RSS-MiB")
		})
	}
}

// serveUntilReady starts "attache serve" on dataDir against a new fake
// Discord, waits until it is ready, reads its peak RSS, stops it with
// SIGTERM and checks that it exited 0. It returns the time from start to
// ready and the peak RSS in MiB.
func serveUntilReady(b *testing.B, dataDir string) (time.Duration, float64) {
	b.Helper()
	f := discordtest.New(b, discordtest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), childTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, attacheBin, "serve")
	cmd.Dir = b.TempDir()
	cmd.Env = []string{"HOME=" + cmd.Dir, "TMPDIR=" + os.TempDir(), "PATH=" + os.Getenv("PATH"),
		"ATTACHE_DATA_DIR=" + dataDir, "DISCORD_TOKEN=" + discordtest.DefaultToken,
		"DISCORD_API_BASE=" + f.APIBase(), "DISCORD_GUILD_ID=" + discordtest.DefaultGuildID}
	var stderr syncBuffer
	cmd.Stderr = &stderr
	start := time.Now()
	serve := startChild(b, cmd)
	stop := func() error {
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
			return err
		}
		select {
		case <-serve.Exited():
			return serve.Err()
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			<-serve.Exited()
			return errors.New("serve did not exit within 30 s of SIGTERM")
		}
	}

	identified := f.WaitForCall(b, "GATEWAY", "IDENTIFY", childTimeout)
	registered := f.WaitForCall(b, "PUT", "/api/v9/applications/*/guilds/"+discordtest.DefaultGuildID+"/commands", childTimeout)
	ready := identified.Time
	if registered.Time.After(ready) {
		ready = registered.Time
	}
	rss := childPeakRSS(cmd.Process.Pid)
	if err := stop(); err != nil {
		b.Fatalf("serve: %v\nstderr:\n%s", err, stderr.String())
	}
	if rss == 0 {
		b.Fatal("could not read the peak RSS of serve from /proc")
	}
	return ready.Sub(start), rss
}

// childPeakRSS returns the peak resident set size (VmHWM) of process pid in
// MiB, 0 when /proc cannot tell.
func childPeakRSS(pid int) float64 {
	data, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}
