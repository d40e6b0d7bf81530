// Package disagreetest writes figures as outlets do, for the generated
// stories that measure how disagreements are found (package disagree)
// and shown (package retrieval).
package disagreetest

import (
	"fmt"
	"math/rand/v2"
)

// Figure writes v as an outlet might: "1,200", "1200", a number word up
// to twelve; for money (v in millions) "$26 million" or "$26,000,000".
func Figure(r *rand.Rand, v int, money bool) string {
	if money {
		if r.IntN(2) == 0 {
			return fmt.Sprintf("$%d million", v)
		}
		return "$" + Commas(v*1000000)
	}
	words := []string{"", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"}
	if v > 0 && v < len(words) && r.IntN(2) == 0 {
		return words[v]
	}
	if v >= 1000 && r.IntN(2) == 0 {
		return fmt.Sprint(v)
	}
	return Commas(v)
}

// Commas writes v with thousands separators: 1200 as "1,200".
func Commas(v int) string {
	s := fmt.Sprint(v)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
