package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

func TestVersionOf(t *testing.T) {
	set := func(kv ...string) []debug.BuildSetting {
		var out []debug.BuildSetting
		for i := 0; i < len(kv); i += 2 {
			out = append(out, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
		}
		return out
	}
	for _, c := range []struct {
		bi   debug.BuildInfo
		want string
	}{
		{debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "v1.2.3"}}, "v1.2.3 (go1.26.0)"},
		{debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "v0.0.0-20261202065720-843360b1a2c3+dirty"},
			Settings: set("vcs", "git", "vcs.revision", "843360b1a2c3d4e5f60718293a4b5c6d7e8f9012", "vcs.time", "2026-12-02T06:57:20Z", "vcs.modified", "true")},
			"v0.0.0-20261202065720-843360b1a2c3+dirty (revision 843360b1a2c3, 2026-12-02T06:57:20Z, modified, go1.26.0)"},
		{debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: set("vcs.revision", "abc")}, "(devel) (revision abc)"},
		{debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "(devel)"}}, "(devel) (no version control information, go1.26.0)"},
	} {
		if got := versionOf(&c.bi); got != c.want {
			t.Errorf("versionOf(%+v) = %q, want %q", c.bi, got, c.want)
		}
	}
}

// TestVersionFromGit builds attache in a git clone of this repository, as
// "go build" or "go install" in a checkout does, and checks that "attache
// version" names the commit.
func TestVersionFromGit(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary again; skipped with -short")
	}
	git, err := exec.LookPath("git")
	if err != nil {
		t.Skip("git is not installed")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*childTimeout)
	defer cancel()
	head, err := exec.CommandContext(ctx, git, "rev-parse", "HEAD").Output()
	if err != nil {
		t.Skipf("not in a git checkout (%v)", err)
	}
	// A clone (a git worktree's .git is a file, from which go build records
	// nothing), with this working tree's files copied over it so that the
	// code under test is built; the revision stays HEAD.
	clone := filepath.Join(t.TempDir(), "src")
	if out, err := exec.CommandContext(ctx, git, "clone", "-q", "--no-local", ".", clone).CombinedOutput(); err != nil {
		t.Skipf("git clone: %v\n%s", err, out)
	}
	err = filepath.WalkDir(".", func(path string, d os.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case (path == ".git" || path == "data") && d.IsDir():
			return filepath.SkipDir
		case path == ".git": // a worktree's: the clone has its own
			return nil
		case d.IsDir():
			return os.MkdirAll(filepath.Join(clone, path), 0o755)
		case !d.Type().IsRegular():
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(clone, path), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "attache")
	build := exec.CommandContext(ctx, "go", "build", "-buildvcs=true", "-o", bin, ".")
	build.Dir = clone
	build.Env = append(os.Environ(), "GOFLAGS=", "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build in a clone: %v\n%s", err, out)
	}
	out, err := exec.CommandContext(ctx, bin, "version").Output()
	if err != nil {
		t.Fatalf("attache version: %v", err)
	}
	rev := strings.TrimSpace(string(head))[:12]
	if !strings.HasPrefix(string(out), "attache ") || !strings.Contains(string(out), "revision "+rev) || strings.Contains(string(out), "development build") {
		t.Errorf("attache version in a build from git = %q, want the revision %s", out, rev)
	}
}
