package lang

import (
	"reflect"
	"strings"
	"testing"
)

func TestTokenize(t *testing.T) {
	got := Tokenize("Iran's FM said 2.9 million, 1,000 people; rock'n'roll O'Neil’s end.", nil)
	want := []string{"iran", "fm", "said", "2.9", "million", "1,000", "people", "rock", "n", "roll", "o", "neil", "end"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q\nwant %q", got, want)
	}
}

func TestScanOffsets(t *testing.T) {
	text := "Iran's  Zürich, 2.9% — Москва’s"
	toks := Scan(text, nil)
	want := []string{"Iran", "Zürich", "2.9", "Москва"}
	if len(toks) != len(want) {
		t.Fatalf("Scan = %+v", toks)
	}
	for i, tok := range toks {
		if got := text[tok.Start:tok.End]; got != want[i] {
			t.Errorf("token %d covers %q, want %q", i, got, want[i])
		}
		if tok.Word != strings.ToLower(want[i]) {
			t.Errorf("token %d word %q, want %q", i, tok.Word, strings.ToLower(want[i]))
		}
	}
}

func TestScanHostileInput(t *testing.T) {
	for _, in := range []string{"", "   ", "\xff\xfe\x00", "'''", strings.Repeat("a", 1<<16), "\"x\" OR y* NEAR(z) col:w"} {
		toks := Scan(in, nil)
		for _, tok := range toks {
			if tok.Start < 0 || tok.End > len(in) || tok.Start >= tok.End {
				t.Fatalf("Scan(%.20q): bad range %+v", in, tok)
			}
		}
		// Index text never carries FTS syntax: only terms and spaces.
		for _, f := range strings.Fields(string(AppendIndexText(nil, in, 1))) {
			if strings.ContainsAny(f, "\"*():^-+") {
				t.Errorf("AppendIndexText(%.20q) has term %q", in, f)
			}
		}
	}
}

func TestTermsAndIndexText(t *testing.T) {
	text := "The ministers agreed on sanctions; the sanctions start in 2025. " + strings.Repeat("x", MaxTermBytes+1)
	got := Terms(text, nil)
	want := []string{"minister", "agree", "sanction", "sanction", "start", "2025"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Terms = %q, want %q", got, want)
	}
	idx := string(AppendIndexText([]byte("x "), "Grain deal", 2))
	if idx != "x grain deal grain deal " {
		t.Fatalf("AppendIndexText = %q", idx)
	}
	if string(AppendIndexText(nil, "the of and", 3)) != "" {
		t.Fatal("stop words made index text")
	}
}

func TestWordSet(t *testing.T) {
	s := NewWordSet("a b")
	more := s.With("c")
	if !more.Has("a") || !more.Has("c") || s.Has("c") {
		t.Fatalf("With changed the base or lost words: %v %v", s, more)
	}
	if less := more.Without("a x"); less.Has("a") || !less.Has("b") || !more.Has("a") {
		t.Fatalf("Without changed the base or kept words: %v %v", more, less)
	}
	if !Stop.Has("the") || Stop.Has("us") || Stop.Has("may") {
		t.Fatal("base stop list: 'the' must be in it, 'us' (the country) and 'may' (the month) not")
	}
}
