package feed

import (
	"strings"
	"testing"

	"github.com/attache-bot/attache/corpus/feed/feedtest"
)

func shareKey(a, b []string) bool {
	set := map[string]bool{}
	for _, k := range a {
		set[k] = true
	}
	for _, k := range b {
		if set[k] {
			return true
		}
	}
	return false
}

// TestSameStory: a wire story republished with a new headline paragraph,
// a cut ending or another outlet's boilerplate is the same story; two
// stories on the same event written separately are not.
func TestSameStory(t *testing.T) {
	wire := feedtest.Story(10, 400)
	paras := strings.Split(wire, "\n\n")
	republished := "LONDON (Daily Test) - " + feedtest.Story(11, 40) + "\n\n" + wire + "\n\nSign up for our newsletter."
	cut := strings.Join(paras[:len(paras)/2+1], "\n\n")
	reordered := strings.Join(append(paras[3:], paras[:3]...), "\n\n")
	other := feedtest.Story(12, 400)
	tests := []struct {
		name string
		a, b string
		same bool
	}{
		{"identical", wire, wire, true},
		{"republished with a lede and a footer", wire, republished, true},
		{"cut to its first half", wire, cut, true},
		{"paragraphs moved", wire, reordered, true},
		{"case and punctuation only", wire, strings.ToUpper(strings.ReplaceAll(wire, ".", ";")), true},
		{"another story", wire, other, false},
		{"empty", wire, "", false},
		{"both empty", "", "", false},
	}
	for _, tc := range tests {
		c := Containment(tc.a, tc.b)
		if got := SameStory(tc.a, tc.b); got != tc.same {
			t.Errorf("%s: SameStory = %v (containment %.3f), want %v", tc.name, got, c, tc.same)
		}
		if c != Containment(tc.b, tc.a) {
			t.Errorf("%s: containment is not symmetric", tc.name)
		}
		fa, fb := Fingerprint(tc.a), Fingerprint(tc.b)
		if tc.same && !shareKey(fa, fb) {
			t.Errorf("%s: one story, but the fingerprints share no band", tc.name)
		}
	}
	if Fingerprint("") != nil || len(Fingerprint(wire)) != Bands {
		t.Errorf("Fingerprint: %d keys for a text, %d for nothing", len(Fingerprint(wire)), len(Fingerprint("")))
	}
	// Lookups must be selective: across 200 unrelated stories, almost no
	// pair shares a band.
	fps := make([][]string, 200)
	for i := range fps {
		fps[i] = Fingerprint(feedtest.Story(uint64(1000+i), 300))
	}
	collisions := 0
	for i := range fps {
		for j := i + 1; j < len(fps); j++ {
			if shareKey(fps[i], fps[j]) {
				collisions++
			}
		}
	}
	if pairs := len(fps) * (len(fps) - 1) / 2; collisions > pairs/100 {
		t.Errorf("%d of %d unrelated pairs share a band (want under 1%%)", collisions, pairs)
	}
}
