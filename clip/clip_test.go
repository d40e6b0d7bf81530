package clip

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestIndex(t *testing.T) {
	s := "aé€😀" // 1 + 2 + 3 + 4 bytes
	for n, want := range map[int]int{-1: 0, 0: 0, 1: 1, 2: 1, 3: 3, 4: 3, 5: 3, 6: 6, 9: 6, 10: 10, 99: 10} {
		if got := Index(s, n); got != want {
			t.Errorf("Index(%q, %d) = %d, want %d", s, n, got, want)
		}
	}
	if Index("", 5) != 0 {
		t.Error("Index of the empty string is not 0")
	}
}

// Whatever the input, a cut never makes invalid UTF-8 of valid text and
// never grows past its bound.
func TestCutsStayValid(t *testing.T) {
	inputs := []string{"", "plain ascii text", "naïve café 北京 😀😀", strings.Repeat("€", 100), "\xff\xfeab"}
	for _, s := range inputs {
		for n := -2; n <= len(s)+2; n++ {
			b := Bytes(s, n)
			if len(b) > max(n, 0) || !strings.HasPrefix(s, b) {
				t.Fatalf("Bytes(%q, %d) = %q", s, n, b)
			}
			if utf8.ValidString(s) && !utf8.ValidString(b) {
				t.Fatalf("Bytes(%q, %d) = %q is not valid UTF-8", s, n, b)
			}
			m := Mark(s, n)
			if len(s) <= n && m != s || len(s) > n && m != b+Ellipsis {
				t.Fatalf("Mark(%q, %d) = %q", s, n, m)
			}
		}
	}
}

func TestRunes(t *testing.T) {
	for _, tt := range []struct {
		s    string
		n    int
		want string
	}{
		{"", 3, ""},
		{"abc", 0, ""},
		{"abc", -1, ""},
		{"abc", 5, "abc"},
		{"北京欢迎你", 2, "北京"},
		{"😀a😀", 2, "😀a"},
	} {
		if got := Runes(tt.s, tt.n); got != tt.want {
			t.Errorf("Runes(%q, %d) = %q, want %q", tt.s, tt.n, got, tt.want)
		}
	}
}
