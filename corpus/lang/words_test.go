package lang

import (
	"reflect"
	"strings"
	"testing"
)

func TestWords(t *testing.T) {
	for in, want := range map[string][]string{
		"The U.S. said 2.9 million, 1,000 people; Covid-19 and O'Neill’s end.": {"The", "U.S", "said", "2.9", "million", "1,000", "people", "Covid-19", "and", "O'Neill’s", "end"},
		"東京で会議":       {"東", "京", "で", "会", "議"},
		"a,b 3,5 x.":  {"a", "b", "3,5", "x"},
		"":            nil,
		"\xff\xfe--'": nil,
	} {
		if got := Words(in); !reflect.DeepEqual(got, want) {
			t.Errorf("Words(%q) = %q, want %q", in, got, want)
		}
	}
	if !IsSpaceless('東') || !IsSpaceless('ก') || IsSpaceless('a') || IsSpaceless('ж') {
		t.Error("IsSpaceless: Han and Thai are written without spaces, Latin and Cyrillic are not")
	}
}

func TestFields(t *testing.T) {
	got := Fields("Who's the Covid-19 czar? O'Neill!", "-'")
	want := []string{"Who's", "the", "Covid-19", "czar", "O'Neill"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Fields = %q, want %q", got, want)
	}
	if got := Fields("Who's there", ""); !reflect.DeepEqual(got, []string{"Who", "s", "there"}) {
		t.Fatalf("Fields without keep = %q", got)
	}
	if len(Fields(strings.Repeat("?!", 1000), "-")) != 0 {
		t.Fatal("words from punctuation")
	}
}

// ContainsWholeWord is how the evaluation decides that an answer holds a
// gold answer.
func TestContainsWholeWord(t *testing.T) {
	for _, c := range []struct {
		text, needle string
		want         bool
	}{
		{"The answer is Colombia.", "colombia", true},
		{"Colombian leaders", "Colombia", false},
		{"raised to 17 years", "17", true},
		{"raised to 170", "17", false},
		{"a “Squid Game” season", "“Squid Game”", true},
		{"a Squid Game season", "Squid Game", true},
		{"Bed Bath & Beyond cut AC", "Bed Bath & Beyond", true},
		{"", "x", false},
		{"x", "  ", false},
		{"İstanbul talks", "talks", true},
		{"prefix-Ford-suffix", "Ford", true},
		{"Fordham", "Ford", false},
	} {
		if got := ContainsWholeWord(c.text, c.needle); got != c.want {
			t.Errorf("ContainsWholeWord(%q, %q) = %v", c.text, c.needle, got)
		}
	}
}
