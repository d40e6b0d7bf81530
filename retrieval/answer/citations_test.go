package answer

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// citedNumbers returns the source numbers text cites, in order of first use,
// each once, read as Check reads them (ranges expanded, up to
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

// citationCase is one Check example: text checked against n
// sources gives want, citing the original numbers wantOrder.
type citationCase struct {
	name      string
	text      string
	n         int
	want      string
	wantOrder []int
}

func TestCheckCitations(t *testing.T) {
	tests := []citationCase{
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
			got, order := Check(tt.text, tt.n)
			if got != tt.want {
				t.Errorf("text = %q, want %q", got, tt.want)
			}
			if !slices.Equal(order, tt.wantOrder) {
				t.Errorf("order = %v, want %v", order, tt.wantOrder)
			}
		})
	}
}

func TestCheckCitationsDropInvented(t *testing.T) {
	tests := []citationCase{
		{"citation after the stop", "Talks resumed [1]. Diplomats also met in Geneva last spring. [9]", 5,
			"Talks resumed [1].", []int{1}},
		{"middle sentence", "A [1]. B [9]. C [2].", 3, "A [1]. C [2].", []int{1, 2}},
		{"real and invented in a group", "A [1, 9].", 3, "A [1].", []int{1}},
		{"real and invented in a sentence", "A [1] and B [9].", 3, "A [1] and B.", []int{1}},
		{"several invented", "A [2]. B [7][8]. C [9, 10].", 3, "A [1].", []int{2}},
		{"never cited is kept", "Intro. B [9]. Outro.", 3, "Intro. Outro.", nil},
		{"first sentence", "[9] Lead. B [1].", 1, " B [1].", []int{1}},
		{"paragraph break kept", "A [1].\n\nB [9].\n\nC [2].", 2, "A [1].\n\nC [2].", []int{1, 2}},
		{"list items", "- one [9]\n- two [1]", 1, "\n- two [1]", []int{1}},
		{"abbreviation is not a stop", "The U.S. Senate met [9]. Talks went on [1].", 1, " Talks went on [1].", []int{1}},
		{"line break inside a group", "A [1,\n9]. B [9].", 1, "A [1].", []int{1}},
		{"CJK", "甲[9]。乙[1]。", 1, "乙[1]。", []int{1}},
		{"all invented", "A [7]. B [8].", 2, "", nil},
		{"no sources", "A [1].", 0, "", nil},
		{"no citations", "Nothing cited here.", 3, "Nothing cited here.", nil},
		{"zero is invented", "Known. A [0].", 2, "Known.", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, order := CheckAs(tt.text, tt.n, DropInvented)
			if got != tt.want {
				t.Errorf("text = %q, want %q", got, tt.want)
			}
			if !slices.Equal(order, tt.wantOrder) {
				t.Errorf("order = %v, want %v", order, tt.wantOrder)
			}
			checkCitationInvariants(t, tt.text, tt.n, got, order)
		})
	}
}

// settledPrefix holds back the sentence being written until it cites a
// real source or has ended, and a break until the word after it is whole.
func TestSettledPrefix(t *testing.T) {
	for _, tt := range []struct {
		text string
		want string // text[:settledPrefix]
	}{
		{"", ""},
		{"Talks resumed", ""},
		{"Talks resumed [1] and", "Talks resumed [1]"},
		{"Talks resumed.", ""},
		{"Talks resumed. [9]", ""},
		{"Talks resumed. [9] Ne", ""}, // "Ne" may yet be a word that undoes the break
		{"Talks resumed. [9] Next ", "Talks resumed. [9]"},
		{"A [1]. The U.S. The", "A [1]."},
		{"A [1]. B [2]. C", "A [1]. B [2]"},
		{"A [1]. B [2]. C d", "A [1]. B [2]."},
	} {
		if got := tt.text[:settledPrefix(tt.text, 3)]; got != tt.want {
			t.Errorf("settled prefix of %q = %q, want %q", tt.text, got, tt.want)
		}
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
			t.Fatalf("Check(%q, %d): order %v holds %d, outside 1..%d", in, n, order, v, n)
		}
		if seen[v] {
			t.Fatalf("Check(%q, %d): order %v repeats %d", in, n, order, v)
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
			t.Fatalf("Check(%q, %d) = %q: citation [%s] where [%d] was next", in, n, out, m[1], want)
		}
		want++
	}
	if got := citedNumbers(out); len(got) != len(order) {
		t.Fatalf("Check(%q, %d) = %q cites %v, but order is %v", in, n, out, got, order)
	}
	// Checking a checked text changes nothing.
	again, order2 := Check(out, len(order))
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
		t.Fatalf("Check(%q) made invalid UTF-8 %q", in, out)
	}
}

func TestCheckCitationsInvariants(t *testing.T) {
	for _, in := range []string{
		"A [3]. B [1]. C [3, 9].", "[1-2-3]", "[1--3]", "[,1]", "[1,]", "[1 and]", "[[[1]]]",
		"【1】[2]［3］", "x[0001]", "[2][2][2]", "[1]" + strings.Repeat("[9]", 100),
	} {
		for n := range 5 {
			out, order := Check(in, n)
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
		out, order := Check(in, n)
		checkCitationInvariants(t, in, n, out, order)
		out, order = CheckAs(in, n, DropInvented)
		checkCitationInvariants(t, in, n, out, order)
	})
}
