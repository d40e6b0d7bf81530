package corpus

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/attache-bot/attache/clip"
)

func TestSample(t *testing.T) {
	arts := Sample()
	if len(arts) != 1 {
		t.Fatalf("Sample() has %d articles, want 1", len(arts))
	}
	a := arts[0]
	if a.ID != "sample-istanbul-talks-2025-07-27" || a.Scope != SharedScope ||
		a.Title != "European and Iranian officials meet in Istanbul to revive the nuclear deal" ||
		a.Source != "Unnamed outlet" || !a.Published.Equal(importDay(2025, 7, 27)) || a.Language != "en" || a.URL != "" {
		t.Errorf("sample article = %+v", a)
	}
	if !strings.HasPrefix(a.Body, "European and Iranian officials have gathered in Istanbul, Turkey,") ||
		!strings.HasSuffix(a.Body, "between Iran and the international community.") {
		t.Errorf("body starts %q, ends %q", clip.Mark(a.Body, 60), a.Body[max(0, len(a.Body)-60):])
	}
	// The date line lives in Published and the dangling "Source" label is
	// gone; the text the sample answers from is there.
	for _, bad := range []string{"Jul 27th", "\nSource", "---", "id:"} {
		if strings.Contains(a.Body, bad) {
			t.Errorf("body contains %q", bad)
		}
	}
	if !strings.Contains(a.Body, "guarantees that the United States will not withdraw from the deal again") {
		t.Error("body lacks the guarantees sentence")
	}
	if err := Validate(a, 0); err != nil {
		t.Errorf("Validate: %v", err)
	}
	if ID(a) != a.ID {
		t.Errorf("ID(a) = %q, want the file's id %q", ID(a), a.ID)
	}
	// Normalising again changes nothing: the article is stored as returned.
	b := a
	b.Normalize()
	if Hash(b) != Hash(a) {
		t.Error("the sample article is not normalised")
	}
}

func TestSampleIsACopy(t *testing.T) {
	first := Sample()
	want := Hash(first[0])
	first[0].Title = "changed by a caller"
	first[0].Body = ""
	if got := Hash(Sample()[0]); got != want {
		t.Error("changing the returned slice changed the sample corpus")
	}
}

func TestLoadSampleRejectsBrokenFiles(t *testing.T) {
	good := "---\nid: s-1\ntitle: A title\n---\nA body.\n"
	tests := map[string]fstest.MapFS{
		"rejected record": {"sample/a.md": {Data: []byte("---\nid: s-1\n---\nNo title anywhere.\n")}},
		"no id":           {"sample/a.md": {Data: []byte("# A title\n\nA body.\n")}},
		"duplicate id":    {"sample/a.md": {Data: []byte(good)}, "sample/b.md": {Data: []byte(good)}},
		"unknown format":  {"sample/a.doc": {Data: []byte("text")}},
		"empty file":      {"sample/a.txt": {Data: nil}},
	}
	for name, fsys := range tests {
		if arts, err := loadSample(fsys); err == nil || !strings.HasPrefix(err.Error(), "sample corpus") {
			t.Errorf("%s: loadSample = %d articles, %v; want an error", name, len(arts), err)
		}
	}
	arts, err := loadSample(fstest.MapFS{"sample/a.md": {Data: []byte(good)}})
	if err != nil || len(arts) != 1 || arts[0].ID != "s-1" || arts[0].Scope != SharedScope {
		t.Errorf("loadSample(good) = %+v, %v", arts, err)
	}
}
