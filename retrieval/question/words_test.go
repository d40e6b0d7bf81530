package question

import "testing"

func TestIsWord(t *testing.T) {
	for _, w := range []string{"who", "whom", "whose", "what", "which", "where", "when", "why", "how"} {
		if !IsWord(w) {
			t.Errorf("IsWord(%q) = false", w)
		}
	}
	// Not wh-words, and the set is lower case only.
	for _, w := range []string{"", "Who", "whoever", "wh", "somewhere", "the"} {
		if IsWord(w) {
			t.Errorf("IsWord(%q) = true", w)
		}
	}
}

func TestDateWords(t *testing.T) {
	for _, w := range []string{"january", "sept", "dec", "may"} {
		if !Months.Has(w) {
			t.Errorf("Months lacks %q", w)
		}
	}
	for _, w := range []string{"monday", "sunday"} {
		if !Weekdays.Has(w) {
			t.Errorf("Weekdays lacks %q", w)
		}
	}
	for _, w := range []string{"January", "mon", "week", ""} {
		if Months.Has(w) || Weekdays.Has(w) {
			t.Errorf("%q taken for a date word", w)
		}
	}
}
