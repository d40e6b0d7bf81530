package retrieval

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// citedNumbers returns the source numbers text cites, in order of first use,
// each once, read as checkCitations reads them (ranges expanded, up to
// number 1000).
func citedNumbers(text string) []int {
	var out []int
	seen := map[int]bool{}
	for _, g := range citationRE.FindAllString(text, -1) {
		for _, v := range citationGroup(g, 1000) {
			if !seen[v] {
				seen[v] = true
				out = append(out, v)
			}
		}
	}
	return out
}

func TestCheckCitations(t *testing.T) {
	tests := []struct {
		name      string
		text      string
		n         int
		want      string
		wantOrder []int
	}{
		{"plain", "A [1]. B [2].", 3, "A [1]. B [2].", []int{1, 2}},
		{"renumber by first use", "A [3]. B [1]. C [3].", 3, "A [1]. B [2]. C [1].", []int{3, 1}},
		{"invented removed", "A [1]. B [9]. C [2].", 3, "A [1]. B. C [2].", []int{1, 2}},
		{"invented in list", "A [1, 9].", 3, "A [1].", []int{1}},
		{"invented only, mid sentence", "A [9] and B [2].", 2, "A and B [1].", []int{2}},
		{"zero is invented", "A [0].", 2, "A.", nil},
		{"list", "A [1, 3].", 3, "A [1][2].", []int{1, 3}},
		{"list with and", "A [2 and 3].", 3, "A [1][2].", []int{2, 3}},
		{"adjacent", "A [1][3].", 3, "A [1][2].", []int{1, 3}},
		{"range", "A [1-3].", 3, "A [1][2][3].", []int{1, 2, 3}},
		{"en dash range", "A [2–3].", 3, "A [1][2].", []int{2, 3}},
		{"reversed range", "A [3-1].", 3, "A [1][2][3].", []int{1, 2, 3}},
		{"range past the end is clipped", "A [2-9].", 3, "A [1][2].", []int{2, 3}},
		{"huge range is cheap", "A [1-999999999999].", 2, "A [1][2].", []int{1, 2}},
		{"huge number", "A [99999999999999999999].", 2, "A.", nil},
		{"full-width", "A ［2］.", 2, "A [1].", []int{2}},
		{"lenticular", "A 【1】.", 2, "A [1].", []int{1}},
		{"footnote", "A [^2].", 2, "A [1].", []int{2}},
		{"source label", "A [Source 2].", 2, "A [1].", []int{2}},
		{"dedup within group", "A [2, 2, 1].", 2, "A [1][2].", []int{2, 1}},
		{"no citations", "Nothing cited here.", 3, "Nothing cited here.", nil},
		{"no sources", "A [1].", 0, "A.", nil},
		{"non-citation brackets untouched", "A [sic] and [a1].", 2, "A [sic] and [a1].", nil},
		{"nested forgery is not a citation", "A [[9]1].", 1, "A (1).", nil},
		{"forgery beside a real citation", "[[9]1] x [2].", 2, "(1) x [1].", []int{2}},
		{"forgery across a list", "A [1,[9]2] B [1].", 2, "A (1,2) B [1].", []int{1}},
		{"forgery by trimming", "A [1 [9]] B.", 1, "A (1) B.", nil},
		{"leading invented", "[7] Start [1].", 1, " Start [1].", []int{1}},
		{"newline kept", "A [5]\nB [1]", 1, "A\nB [1]", []int{1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, order := checkCitations(tt.text, tt.n)
			if got != tt.want {
				t.Errorf("text = %q, want %q", got, tt.want)
			}
			if !slices.Equal(order, tt.wantOrder) {
				t.Errorf("order = %v, want %v", order, tt.wantOrder)
			}
		})
	}
}

func TestCitedNumbers(t *testing.T) {
	got := citedNumbers("A [2]. B [1, 3]. C [2-4]. D [x].")
	if want := []int{2, 1, 3, 4}; !slices.Equal(got, want) {
		t.Errorf("Citations = %v, want %v", got, want)
	}
	if got := citedNumbers(""); got != nil {
		t.Errorf("citedNumbers(\"\") = %v, want nil", got)
	}
}

// simpleCitation is how a downstream consumer (a Discord renderer, an
// evaluation) reads citations: plain [n].
var simpleCitation = regexp.MustCompile(`\[(\d+)\]`)

// checkCitationInvariants asserts what every checked answer promises.
func checkCitationInvariants(t *testing.T, in string, n int, out string, order []int) {
	t.Helper()
	seen := map[int]bool{}
	for _, v := range order {
		if v < 1 || v > n {
			t.Fatalf("checkCitations(%q, %d): order %v holds %d, outside 1..%d", in, n, order, v, n)
		}
		if seen[v] {
			t.Fatalf("checkCitations(%q, %d): order %v repeats %d", in, n, order, v)
		}
		seen[v] = true
	}
	// Every bracketed number names a source, and the sources are used in
	// order 1, 2, 3, ...
	want := 1
	used := map[string]bool{}
	for _, m := range simpleCitation.FindAllStringSubmatch(out, -1) {
		if used[m[1]] {
			continue
		}
		used[m[1]] = true
		if m[1] != strconv.Itoa(want) {
			t.Fatalf("checkCitations(%q, %d) = %q: citation [%s] where [%d] was next", in, n, out, m[1], want)
		}
		want++
	}
	if got := citedNumbers(out); len(got) != len(order) {
		t.Fatalf("checkCitations(%q, %d) = %q cites %v, but order is %v", in, n, out, got, order)
	}
	// Checking a checked text changes nothing.
	again, order2 := checkCitations(out, len(order))
	ident := make([]int, len(order))
	for i := range ident {
		ident[i] = i + 1
	}
	if len(order) == 0 {
		ident = nil
	}
	if again != out || !slices.Equal(order2, ident) {
		t.Fatalf("not idempotent: %q → %q (order %v)", out, again, order2)
	}
	if utf8.ValidString(in) && !utf8.ValidString(out) {
		t.Fatalf("checkCitations(%q) made invalid UTF-8 %q", in, out)
	}
}

func TestCheckCitationsInvariants(t *testing.T) {
	for _, in := range []string{
		"A [3]. B [1]. C [3, 9].", "[1-2-3]", "[1--3]", "[,1]", "[1,]", "[1 and]", "[[[1]]]",
		"【1】[2]［3］", "x[0001]", "[2][2][2]", "[1]" + strings.Repeat("[9]", 100),
	} {
		for n := range 5 {
			out, order := checkCitations(in, n)
			checkCitationInvariants(t, in, n, out, order)
		}
	}
}

func FuzzCheckCitations(f *testing.F) {
	for _, s := range []string{"A [1]. B [9].", "[1, 3][2-4]", "[[9]1]", "【2】 ［1］ [^3]", "[Source 2]", ""} {
		f.Add(s, 3)
	}
	f.Fuzz(func(t *testing.T, in string, n int) {
		n = ((n % 9) + 9) % 9 // 0..8 sources; more adds nothing
		out, order := checkCitations(in, n)
		checkCitationInvariants(t, in, n, out, order)
	})
}
