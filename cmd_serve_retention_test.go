package main

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/attache-bot/attache/corpus"
	"github.com/attache-bot/attache/retrieval"
)

// TestRetentionPassOncePerDeployment: a retention pass while another
// process (here another handle on the same data directory) holds the
// retention lock removes nothing; once the lock is free, the pass removes
// the article past its window and keeps the fresh one.
func TestRetentionPassOncePerDeployment(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "data")
	lib, err := corpus.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer lib.Close()
	now := time.Date(2026, 6, 10, 12, 0, 0, 0, time.UTC)
	engine, err := retrieval.New(ctx, lib, retrieval.Config{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []corpus.Article{
		{ID: "old", Title: "Harbour tolls rise", Source: "Coast Post", Published: now.AddDate(0, 0, -40), Body: "The harbour raised its tolls for the winter season."},
		{ID: "fresh", Title: "Ferry crossings added", Source: "Coast Post", Published: now.AddDate(0, 0, -2), Body: "Two more morning ferry crossings start on Monday."},
	} {
		if _, _, err := engine.Add(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	other, err := corpus.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	_, unlock, err := other.TryLock(ctx, retentionLock)
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.DiscardHandler)
	if n := retentionPass(ctx, 30, engine, lib, logger, now); n != 0 {
		t.Errorf("a pass while another process holds the lock removed %d articles, want none", n)
	}
	unlock()
	if n := retentionPass(ctx, 30, engine, lib, logger, now); n != 1 {
		t.Errorf("a pass with the lock free removed %d articles, want the old one", n)
	}
	sums, err := lib.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(sums) != 1 || sums[0].ID != "fresh" {
		t.Errorf("after retention the library holds %+v, want only the fresh article", sums)
	}
}
