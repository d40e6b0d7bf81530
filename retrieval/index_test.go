package retrieval

import (
	"fmt"
	"strings"
	"testing"
)

func TestTextIndexBM25AndCompaction(t *testing.T) {
	ti := newTextIndex()
	terms := func(text string) map[string]int {
		m := map[string]int{}
		textTerms(text, 1, m, nil)
		return m
	}
	all := func(int32) bool { return true }
	var docs []int32
	for i := range 200 {
		docs = append(docs, ti.add(terms(fmt.Sprintf("harbour ferry report number w%d", i))))
	}
	rare := ti.add(terms("harbour ferry glorbnax report"))
	hits := ti.search(queryTerms("glorbnax ferry"), all, 5, 0, 0)
	if len(hits) != 5 || hits[0].doc != rare {
		t.Fatalf("rare term not first: %+v", hits)
	}
	for i := 1; i < len(hits); i++ {
		if hits[i].score > hits[i-1].score {
			t.Fatalf("not sorted: %+v", hits)
		}
	}
	// Hidden documents are skipped.
	hits = ti.search(queryTerms("glorbnax"), func(d int32) bool { return d != rare }, 5, 0, 0)
	if len(hits) != 0 {
		t.Fatalf("hidden document found: %+v", hits)
	}
	// Removing most documents compacts the postings and frees ordinals.
	for _, d := range docs[:150] {
		ti.remove(d)
	}
	ti.remove(docs[0]) // twice: no-op
	ti.remove(-1)      // unknown: no-op
	if ti.live != 51 || len(ti.free) == 0 {
		t.Fatalf("live %d, free %d", ti.live, len(ti.free))
	}
	for _, h := range ti.search(queryTerms("harbour"), all, 1000, 0, 0) {
		if h.doc < 150 && h.doc != rare {
			t.Fatalf("removed document %d found", h.doc)
		}
	}
	size := len(ti.length)
	reused := ti.add(terms("quillon cables"))
	if len(ti.length) != size || reused != 0 {
		t.Fatalf("ordinal %d not reused (lowest first)", reused)
	}
	if hits := ti.search(queryTerms("quillon"), all, 5, 0, 0); len(hits) != 1 || hits[0].doc != reused {
		t.Fatalf("reused ordinal: %+v", hits)
	}
}

func TestQueryTerms(t *testing.T) {
	got := queryTerms("What did the ministers say about the ministers' sanctions?")
	if strings.Join(got, " ") != "minister sanction" {
		t.Fatalf("got %q", got)
	}
	long := queryTerms(strings.Repeat("alpha beta ", 10) + strings.Repeat("x", 100) + " " + wordsN(100))
	if len(long) != maxQueryTerms {
		t.Fatalf("%d terms, want the cap %d", len(long), maxQueryTerms)
	}
	if len(queryTerms("?!")) != 0 || len(queryTerms("")) != 0 {
		t.Fatal("terms from nothing")
	}
}

func wordsN(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "word%d ", i)
	}
	return b.String()
}
