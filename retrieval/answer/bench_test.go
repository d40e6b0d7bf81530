package answer

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkCheckCitations measures the citation check on a typical answer.
func BenchmarkCheckCitations(b *testing.B) {
	text := "Marsten wants written guarantees [2]. The crossings reopen for freight first [1, 3]. " +
		"Nobody objected [9]. Both sides spoke [1-3]. Veloria called the demand premature [4]."
	for b.Loop() {
		Check(text, 5)
	}
}

// BenchmarkDeltaFilter measures the streamed citation check over a long
// answer (about 4 KB, the longest the answer token cap allows) sent in
// token-sized pieces: each piece re-checks the answer so far.
func BenchmarkDeltaFilter(b *testing.B) {
	var sb strings.Builder
	for i := 0; sb.Len() < 4000; i++ {
		fmt.Fprintf(&sb, "Officials from Veloria met their Marsten counterparts on day %d [%d]. ", i, i%7+1)
	}
	text := sb.String()
	for b.Loop() {
		feedDeltaFilter(text, 5, []int{4})
	}
}
