package lang

import "strings"

// Stem is the light English stemmer shared by the extractive scorer, the
// local embedder and the full-text index, so that all three fold a
// question's words and an article's inflections the same way. In the spirit
// of Porter's first step it folds a possessive ("Iran's"), plurals
// ("sanctions", "countries", "taxes"), "-ed" and "-ing" ("demanded",
// "reopening"), the doubled consonant they leave ("stopped" → "stop") and a
// final silent "e" ("pledge"/"pledged", "announce"/"announced"), and keeps
// the "ee" of verbs like "agree" ("agreed", "agrees", "agreeing" → "agree").
// Anything subtler is left to the embedder's character n-grams. Short words
// are left alone because their endings are rarely inflections, and so is
// any word that does not end in a lower-case Latin letter (other scripts,
// numbers, upper-case input): the rules are about English suffixes only. A
// plural of a number folds too ("1990s" → "1990", "f-35s" → "f-35").
func Stem(w string) string {
	w = strings.TrimSuffix(strings.TrimSuffix(w, "'s"), "’s")
	if _, ok := stemExceptions[w]; ok {
		return w
	}
	if n := len(w); n == 0 || w[n-1] < 'a' || w[n-1] > 'z' {
		return w
	}
	n := len(w)
	switch {
	case n > 4 && strings.HasSuffix(w, "ies"):
		w = w[:n-3] + "y"
	case n > 4 && (strings.HasSuffix(w, "sses") || strings.HasSuffix(w, "shes") || strings.HasSuffix(w, "ches") || strings.HasSuffix(w, "xes")):
		w = w[:n-2]
	case n > 3 && w[n-1] == 's' && w[n-2] != 's' && w[n-2] != 'u' && w[n-2] != 'i':
		w = w[:n-1]
	}
	n = len(w)
	switch {
	case n > 5 && strings.HasSuffix(w, "ing") && hasVowel(w[:n-3]):
		w = undouble(w[:n-3])
	case strings.HasSuffix(w, "eed"):
		// "agreed", "guaranteed" → "agree", "guarantee"; but "proceed",
		// "exceed", "succeed" and "indeed" are whole words, and shorter
		// ones ("need", "speed", "freed") are too ambiguous to touch.
		if n > 5 && !strings.HasSuffix(w, "ceed") && w != "indeed" {
			w = w[:n-1]
		}
	case n > 4 && strings.HasSuffix(w, "ed") && hasVowel(w[:n-2]):
		w = undouble(w[:n-2])
	}
	if n = len(w); n > 3 && w[n-1] == 'e' && w[n-2] != 'e' {
		w = w[:n-1]
	}
	return w
}

// undouble drops one of two equal final consonants ("stopp" → "stop"),
// except l, s and z, which English keeps doubled ("install", "press").
func undouble(w string) string {
	n := len(w)
	if n > 3 && w[n-1] == w[n-2] && w[n-1] >= 'a' && w[n-1] <= 'z' && !strings.ContainsRune("aeioulsz", rune(w[n-1])) {
		return w[:n-1]
	}
	return w
}

func hasVowel(w string) bool { return strings.ContainsAny(w, "aeiouy") }

// stemExceptions end in "s" without being plurals (or would collide with
// another word once the "s" is gone).
var stemExceptions = map[string]struct{}{
	"news": {}, "series": {}, "species": {}, "chaos": {}, "lens": {}, "arms": {}, "means": {},
	"politics": {}, "economics": {}, "physics": {}, "olympics": {}, "paralympics": {}, "texas": {}, "paris": {},
	"athens": {}, "wales": {}, "hamas": {}, "isis": {}, "christmas": {},
}
