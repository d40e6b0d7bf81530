package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/attache-bot/attache/corpus"
	"github.com/attache-bot/attache/corpus/postgres"
	"github.com/attache-bot/attache/corpus/transfer"
)

// maxDatabaseURL bounds -to: a URL longer than this is a mistake (a file
// pasted in), not a server.
const maxDatabaseURL = 4096

// runMigrate copies the data directory's SQLite library into the
// PostgreSQL library at -to: articles with their chunks and stored vectors
// (nothing is embedded again), the embedder record, stored answers and
// votes, feeds with their items, and digests. It is resumable: killed at any
// moment, running it again finishes the copy without duplicates. At the
// end it compares the article, chunk and vector counts of every scope and
// fails when they differ.
func runMigrate(ctx context.Context, env *environment, args []string) error {
	fs := newFlagSet(env, "migrate")
	to := fs.String("to", "", "the PostgreSQL library to copy into: postgres://user@host:port/db?search_path=SCHEMA")
	positional, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(positional) > 0 {
		return usagef("migrate: unexpected argument %q (the source is ATTACHE_DATA_DIR)", cell(positional[0], 80))
	}
	target, err := checkDatabaseURL(*to)
	if err != nil {
		return err
	}
	dir := env.cfg.DataDir
	if err := checkSourceDir(dir); err != nil {
		return err
	}
	logger := newLogger(env.cfg, env.io.err, false)

	src, err := corpus.Open(ctx, dir)
	if err != nil {
		return fmt.Errorf("data directory (ATTACHE_DATA_DIR): %w", err)
	}
	defer src.Close()
	n, err := src.Count(ctx)
	if err != nil {
		return fmt.Errorf("data directory (ATTACHE_DATA_DIR): %w", err)
	}
	if n == 0 {
		return fmt.Errorf("migrate: the library in %s holds no articles: nothing to migrate", dir)
	}
	dst, err := postgres.Open(ctx, target)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer dst.Close()

	progress := progressFunc(env.io.err, "migrating")
	if !isTerminal(env.io.err) {
		progress = func(done, total int) {
			logger.Debug("migrate progress", "done", done, "total", total)
			if done%progressLogEvery == 0 || done == total {
				logger.Info("migrate progress", "done", done, "total", total)
			}
		}
	}
	res, err := transfer.Copy(ctx, src, dst, transfer.Options{Progress: progress})
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("migrate %w after %d of %d articles; run the same command again to finish", errInterrupted, res.Copied+res.Skipped, res.Articles)
		}
		return fmt.Errorf("migrate: %w", err)
	}
	// The target holds a corpus now: never seed it with the sample one.
	if err := markUsed(ctx, env, dst); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	extra, err := transfer.CopyRecords(ctx, src, dst)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("migrate %w while copying answers and feeds; run the same command again to finish", errInterrupted)
		}
		return fmt.Errorf("migrate: %w", err)
	}
	v, err := transfer.Verify(ctx, src, dst)
	if err != nil {
		return fmt.Errorf("migrate: verifying: %w", err)
	}
	printMigrateSummary(env.io.out, dir, dst.Schema(), res, extra, v)
	if !v.OK() {
		return fmt.Errorf("migrate: the counts differ after the copy: %s", strings.TrimSpace(v.Mismatches()))
	}
	return nil
}

// checkDatabaseURL checks -to as ATTACHE_DATABASE_URL is checked: a
// PostgreSQL URL as the driver parses it. Errors never show the URL
// itself: it may hold a password.
func checkDatabaseURL(s string) (string, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return "", usagef("migrate: -to is required: the PostgreSQL library to copy into (postgres://user@host:port/db)")
	case len(s) > maxDatabaseURL:
		return "", usagef("migrate: -to is %d bytes long, over %d: not a database URL", len(s), maxDatabaseURL)
	case strings.ContainsFunc(s, func(r rune) bool { return r < ' ' || r == 0x7f }):
		return "", usagef("migrate: -to holds control characters: not a database URL")
	}
	if err := postgres.CheckURL(s); err != nil {
		return "", usagef("migrate: -to must be a PostgreSQL URL such as postgres://user@host:5432/database?search_path=attache (%v)", err)
	}
	return s, nil
}

// checkSourceDir refuses a data directory that does not hold a library,
// before corpus.Open would create an empty one there.
func checkSourceDir(dir string) error {
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("migrate: no data directory at %s (set ATTACHE_DATA_DIR to the one to copy)", dir)
	case err != nil:
		return fmt.Errorf("migrate: data directory (ATTACHE_DATA_DIR): %w", err)
	case !fi.IsDir():
		return fmt.Errorf("migrate: data directory %s is not a directory", dir)
	}
	db := filepath.Join(dir, corpus.DBFile)
	fi, err = os.Stat(db)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("migrate: %s holds no library (no %s): nothing to migrate", dir, corpus.DBFile)
	case err != nil:
		return fmt.Errorf("migrate: data directory (ATTACHE_DATA_DIR): %w", err)
	case fi.Size() == 0:
		return fmt.Errorf("migrate: %s is empty (0 bytes): nothing to migrate", db)
	}
	return nil
}

func printMigrateSummary(w io.Writer, dir, schema string, res transfer.Result, extra transfer.Records, v transfer.Verification) {
	fmt.Fprintf(w, "migrated %d articles from %s to PostgreSQL schema %s: %d copied (%d chunks), %d already there\n",
		res.Articles, dir, schema, res.Copied, res.Chunks, res.Skipped)
	fmt.Fprintf(w, "also copied: %d answers, %d answer messages, %d votes, %d feeds, %d feed items, %d digests, %d outlet labels\n",
		extra.Answers, extra.Messages, extra.Votes, extra.Feeds, extra.Items, extra.Digests, extra.Labels)
	for _, s := range v.Scopes {
		status := "verified"
		if !s.Match() {
			status = "MISMATCH"
		}
		other := ""
		if s.TargetOther > 0 {
			other = fmt.Sprintf(" (the target holds %d more of its own)", s.TargetOther)
		}
		fmt.Fprintf(w, "scope %s: %d articles, %d chunks, %d vectors: %s%s\n",
			s.Scope, s.Target.Articles, s.Target.Chunks, s.Target.Vectors, status, other)
	}
}
