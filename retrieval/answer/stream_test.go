package answer

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// feedDeltaFilter streams text in pieces of the given sizes (cycled) and
// returns what came out, piece by piece.
func feedDeltaFilter(text string, n int, sizes []int) []string {
	var out []string
	f := &Stream{n: n, out: func(s string) { out = append(out, s) }}
	for i, k := 0, 0; i < len(text); k++ {
		size := max(sizes[k%len(sizes)], 1)
		j := min(i+size, len(text))
		// Streamed deltas are JSON strings: whole characters.
		for j < len(text) && !utf8.RuneStart(text[j]) {
			j++
		}
		f.Write(text[i:j])
		i = j
	}
	f.End(checkedAnswer(text, n))
	return out
}

// checkedAnswer is the final text Answer makes of a model's reply.
func checkedAnswer(text string, n int) string {
	if k := ThinkEnd(text); k < 0 {
		text = ""
	} else {
		text = text[k:]
	}
	final, _ := CheckAs(text, n, DropInvented)
	return strings.TrimSpace(final)
}

func TestDeltaFilter(t *testing.T) {
	for _, text := range []string{
		"Marsten wants guarantees [2]. Crossings reopen [1]. Nobody objected [9]. Both spoke [1, 9].",
		"  Leading space [1] and [sic] brackets and a range [1-3] and ［2］ and 【3】.",
		"Invented at the end [7]",
		"Unclosed [ bracket that never closes, then a citation [2].",
		"No citations at all.",
		"[3] starts with a citation, then [9] vanishes.",
		"<think>Source [2] looks best [9].</think> Answer from [2] and [1].",
		"Talks resumed [1]. Diplomats also met in Geneva last spring. [9] More came [2].",
		"Diplomats met in Geneva [9]. Talks resumed [1].",
		"The U.S. Theodore Vance said so [9]. Then talks resumed [1].",
		"The U.S. The talks went on. And on [9].\n\nA new paragraph [3].",
		"- one [9]\n- two [1]\nlower case [7]\n- three",
		"A [1,\n9]. B [9]. C.",
		"Uncited first. Then cited [2] and more. Then invented [8]",
		"甲[9]。乙[1]。丙。",
	} {
		for _, sizes := range [][]int{{1}, {2, 3}, {5}, {1000}} {
			pieces := feedDeltaFilter(text, 3, sizes)
			final := checkedAnswer(text, 3)
			if got := strings.Join(pieces, ""); got != final {
				t.Errorf("%q in pieces of %v: streamed %q, want %q", text, sizes, got, final)
			}
			for _, p := range pieces {
				if strings.Contains(p, "[7]") || strings.Contains(p, "[9]") || p == "" {
					t.Errorf("%q: piece %q shows an invented citation or is empty", text, p)
				}
			}
			if got := strings.Join(pieces, ""); strings.Contains(got, "Geneva") || strings.Contains(got, "Theodore") {
				t.Errorf("%q: streamed %q shows a sentence that only invented citations supported", text, got)
			}
		}
	}
}

func FuzzDeltaFilter(f *testing.F) {
	f.Add("A [2]. B [9]. C [1, 9].", 3, uint8(1))
	f.Add("[[9]1] x [1-3]", 2, uint8(2))
	f.Add("<think>[1]</think>[2] x", 2, uint8(3))
	f.Add("A. B [9]. The U.S. The c [1]. D", 2, uint8(1))
	f.Add("x [1,\n9]. y\n[9] z. [2]", 2, uint8(2))
	f.Fuzz(func(t *testing.T, text string, n int, size uint8) {
		n = ((n % 6) + 6) % 6
		pieces := feedDeltaFilter(text, n, []int{int(size%16) + 1, 1, 3})
		// The pieces, each a prefix extension, add up to the final text.
		if got, final := strings.Join(pieces, ""), checkedAnswer(text, n); got != final {
			t.Fatalf("streamed %q, want %q", got, final)
		}
	})
}

func TestThinkEnd(t *testing.T) {
	for in, want := range map[string]int{
		"Answer": 0, "": -1, "<thi": -1, " <think>x": -1, "<think>x</think>y": 16, "\n<think></think>": 16, "<b>bold</b>": 0,
	} {
		if got := ThinkEnd(in); got != want {
			t.Errorf("ThinkEnd(%q) = %d, want %d", in, got, want)
		}
	}
}
