package index

import (
	"fmt"
	"strings"
	"testing"
)

func TestQueryTerms(t *testing.T) {
	got := QueryTerms("What did the ministers say about the ministers' sanctions?")
	if strings.Join(got, " ") != "minister sanction" {
		t.Fatalf("got %q", got)
	}
	long := QueryTerms(strings.Repeat("alpha beta ", 10) + strings.Repeat("x", 100) + " " + wordsN(100))
	if len(long) != maxQueryTerms {
		t.Fatalf("%d terms, want the cap %d", len(long), maxQueryTerms)
	}
	if len(QueryTerms("?!")) != 0 || len(QueryTerms("")) != 0 {
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
