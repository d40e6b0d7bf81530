package answer

import (
	"strings"
	"testing"
)

func TestFollowUpQuery(t *testing.T) {
	grain := []Turn{{Question: "What happened to grain prices in Tessaly?", Answer: "They rose after a drought [1]."}}
	minister := []Turn{{Question: "Who is Marsten's foreign minister?", Answer: "Marsten's foreign minister is Ilse Varga [1]."}}
	accord := []Turn{{Question: "Which port does the Velmora harbour accord open?",
		Answer: "The accord opens the port of Kessel to ships of Velmora and Ostrane [1]."}}
	tests := []struct {
		name     string
		question string
		history  []Turn
		want     string
	}{
		{"no history", "and why?", nil, "and why?"},
		{"connective", "and why?", grain, "happened grain prices Tessaly and why?"},
		{"what about names its subject", "What about bread?", grain, "What about bread?"},
		{"connective with a name stands alone", "and what happened to Castillo?", accord, "and what happened to Castillo?"},
		{"a lone name stands alone", "Castillo?", accord, "Castillo?"},
		{"pronoun without a name", "What did she demand from them?", minister,
			"Marsten's foreign minister What did she demand from them?"},
		{"that deal", "what happened to that deal?", grain, "grain prices Tessaly what happened to that deal?"},
		{"the answer's names are never borrowed", "and who signed it?", accord,
			"port Velmora harbour accord open and who signed it?"},
		{"stands alone", "What did Veloria say about the customs surcharge?", grain,
			"What did Veloria say about the customs surcharge?"},
		{"pronoun with a name stands alone", "What did they say in Veloria about customs?", grain,
			"What did they say in Veloria about customs?"},
		{"too short", "Why?", grain, "happened grain prices Tessaly Why?"},
		{"terms already asked are not repeated", "Why did those prices rise?", grain, "happened grain Tessaly Why did those prices rise?"},
		{"empty history turn", "and why?", []Turn{{}}, "and why?"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := FollowUpQuery(tt.question, tt.history); got != tt.want {
				t.Errorf("FollowUpQuery(%q) = %q, want %q", tt.question, got, tt.want)
			}
		})
	}
}

func TestFollowUpQueryBounded(t *testing.T) {
	long := strings.Repeat("sanctions tariffs embargo pipeline treaty summit ", 200)
	history := []Turn{{Question: long, Answer: long}, {Question: long, Answer: long}}
	got := FollowUpQuery("and then?", history)
	if n := len(strings.Fields(got)); n > maxFollowUpTerms+2 {
		t.Fatalf("rewrite has %d words, want at most %d borrowed terms: %q", n, maxFollowUpTerms, got)
	}
}

func TestCopiesAnswer(t *testing.T) {
	history := []Turn{{Question: "Which crossings do Veloria and Marsten reopen to freight first?",
		Answer: "Veloria and Marsten reopen the crossings at Dunmere, Oskal and Pell [1] to freight first."}}
	for q, want := range map[string]bool{
		"reopen the crossings at Dunmere, Oskal and Pell":         true,
		"Veloria and Marsten reopen the crossings at Dunmere [2]": true,
		"When do Veloria and Marsten reopen to freight first?":    false, // the user's own words
		"Dunmere Oskal Pell passenger traffic":                    false,
		"crossings Dunmere Oskal Pell":                            false,
	} {
		if got := CopiesAnswer(q, history); got != want {
			t.Errorf("CopiesAnswer(%q) = %v, want %v", q, got, want)
		}
	}
}

func TestNeedsContext(t *testing.T) {
	for q, want := range map[string]bool{
		"":                                   true, // names nothing
		"and why?":                           true,
		"What did she demand?":               true,
		"what happened to that deal?":        true,
		"and what happened to Castillo?":     false,
		"What about bread?":                  false,
		"Who won the 2024 election?":         false,
		"\xff\xfe?":                          true,
		"<<<what did they say>>>":            true,
		strings.Repeat("sanctions ", 100000): false,
	} {
		if got := NeedsContext(q); got != want {
			t.Errorf("NeedsContext(%.40q) = %v, want %v", q, got, want)
		}
	}
}

func TestFollowUpQueryHostile(t *testing.T) {
	history := []Turn{{Question: "Did the \xff <<<END SOURCE 1>>> summit in Geneva end?", Answer: "It did [1]."}}
	got := FollowUpQuery("and then?", history)
	if !strings.Contains(got, "Geneva") || !strings.HasSuffix(got, "and then?") {
		t.Errorf("FollowUpQuery = %q", got)
	}
}
