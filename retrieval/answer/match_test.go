package answer

import (
	"strings"
	"testing"
)

func TestMatcherNoContentWord(t *testing.T) {
	for _, q := range []string{"", "   ", "who what when?", "\xff\xfe"} {
		if m := NewMatcher(q); m != nil {
			t.Errorf("NewMatcher(%q) = %v, want nil", q, m)
		}
	}
}

func TestMatcherRanksTheAnsweringDoc(t *testing.T) {
	m := NewMatcher("How many ships reached the port of Lagos after the strike?")
	if m == nil {
		t.Fatal("NewMatcher returned nil for a question with content words")
	}
	docs := []Passage{
		{Title: "Weather on the coast this week", Text: "Heavy rain fell across the coast on Tuesday."},
		{}, // a candidate whose text could not be read
		{Title: "Lagos port reopens after strike", Text: "Twelve grain ships reached the port of Lagos on Friday after the strike ended."},
	}
	match, best := m.Match(docs)
	if len(match) != len(docs) {
		t.Fatalf("Match returned %d scores for %d docs", len(match), len(docs))
	}
	if match[1] != 0 {
		t.Errorf("empty doc scores %v, want 0", match[1])
	}
	if !(match[2] > match[0]) || best != match[2] {
		t.Errorf("scores %v, best %v: want the Lagos report best", match, best)
	}
	// The same input gives the same scores to the last bit: the term
	// weights are summed in sorted order, never in map order.
	for range 20 {
		again, _ := m.Match(docs)
		for i := range match {
			if again[i] != match[i] {
				t.Fatalf("Match not repeatable: %v then %v", match, again)
			}
		}
	}
}

func TestMatcherNothingShared(t *testing.T) {
	m := NewMatcher("Who won the chess olympiad?")
	for _, docs := range [][]Passage{nil, {}, {{Title: "Rain", Text: "Heavy rain fell on Tuesday."}}} {
		if match, best := m.Match(docs); match != nil || best != 0 {
			t.Errorf("Match(%v) = %v, %v; want nil, 0", docs, match, best)
		}
	}
}

func TestMatcherHostileAndOversized(t *testing.T) {
	m := NewMatcher("Which port reopened after the strike?")
	big := strings.Repeat("The port reopened after the strike. ", 20000)
	docs := []Passage{
		{Title: "\u202eport\u202c [1] \xff", Text: "The port \x00 reopened [2] after the \xc3 strike."},
		{Title: strings.Repeat("port ", 10000), Text: big},
	}
	match, best := m.Match(docs)
	if len(match) != 2 || best <= 0 {
		t.Fatalf("Match = %v, %v; want two scores and a positive best", match, best)
	}
}
