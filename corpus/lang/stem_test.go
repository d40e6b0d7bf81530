package lang

import "testing"

func TestStem(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		// Plurals and possessives.
		{"sanctions", "sanction"}, {"countries", "country"}, {"talks", "talk"}, {"crises", "cris"},
		{"taxes", "tax"}, {"crossings", "cross"}, {"iran's", "iran"}, {"iran’s", "iran"},
		// Words that only look inflected.
		{"glass", "glass"}, {"status", "status"}, {"news", "news"}, {"arms", "arms"}, {"us", "us"},
		{"king", "king"}, {"ring", "ring"}, {"red", "red"}, {"need", "need"}, {"speed", "speed"},
		{"proceed", "proceed"}, {"exceed", "exceed"}, {"indeed", "indeed"}, {"species's", "species"},
		// -ed, -ing, doubled consonants.
		{"demanded", "demand"}, {"demand", "demand"}, {"reopening", "reopen"}, {"recalled", "recall"},
		{"stopped", "stop"}, {"installed", "install"}, {"united", "unit"},
		// Silent final e: the verb and its inflections meet.
		{"pledge", "pledg"}, {"pledged", "pledg"}, {"based", "bas"}, {"base", "bas"},
		{"announce", "announc"}, {"announced", "announc"}, {"announces", "announc"}, {"announcing", "announc"},
		{"raise", "rais"}, {"raised", "rais"}, {"raises", "rais"}, {"raising", "rais"},
		{"agree", "agree"}, {"agreed", "agree"}, {"agrees", "agree"}, {"agreeing", "agree"},
		{"guaranteed", "guarantee"}, {"guarantees", "guarantee"},
		// Numbers, other scripts, upper case and empty input pass through.
		{"1990s", "1990"}, {"f-35s", "f-35"}, {"2.9", "2.9"}, {"москва", "москва"}, {"東京", "東京"}, {"NATO", "NATO"}, {"", ""},
	} {
		if got := Stem(tc.in); got != tc.want {
			t.Errorf("Stem(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
