package retrieval

import (
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// citationRE matches one bracketed citation group as models write them:
// [1], [1, 3], [1,3 and 4], [1-3], [1–3], [^2] (Markdown footnote style),
// [Source 2], and the full-width or lenticular brackets some models use
// (［1］, 【1】). Numbers of any length match, so that every bracketed number
// in an answer is either a checked citation or removed.
var citationRE = regexp.MustCompile(
	`[\[［【]\s*\^?(?i:sources?\s*:?\s*)?\d+(?:\s*(?:[,，、;；&]|[-–—]|and)\s*\d+)*\s*[\]］】]`)

// citationNumRE finds the numbers and range dashes inside a group.
var citationNumRE = regexp.MustCompile(`\d+|[-–—]`)

// maxCitationNumber bounds parsed numbers; larger ones are invalid anyway.
const maxCitationNumber = 1 << 20

// citationGroup parses one matched group into its numbers in order of
// appearance, expanding ranges (only over 1..n, so [1-999999999] costs
// nothing) and dropping duplicates.
func citationGroup(group string, n int) []int {
	tokens := citationNumRE.FindAllString(group, -1)
	var nums []int
	seen := map[int]bool{}
	add := func(v int) {
		if !seen[v] {
			seen[v] = true
			nums = append(nums, v)
		}
	}
	for i := 0; i < len(tokens); i++ {
		if tokens[i] == "-" || tokens[i] == "–" || tokens[i] == "—" {
			continue
		}
		lo := atoiBounded(tokens[i])
		if i+2 < len(tokens) && isDash(tokens[i+1]) && !isDash(tokens[i+2]) {
			hi := atoiBounded(tokens[i+2])
			i += 2
			if lo > hi {
				lo, hi = hi, lo
			}
			for v := max(lo, 1); v <= min(hi, n); v++ {
				add(v)
			}
			continue
		}
		add(lo)
	}
	return nums
}

func isDash(s string) bool { return s == "-" || s == "–" || s == "—" }

// atoiBounded parses a run of digits, saturating at maxCitationNumber.
func atoiBounded(s string) int {
	s = strings.TrimLeft(s, "0")
	if len(s) > 7 {
		return maxCitationNumber
	}
	v, err := strconv.Atoi(s)
	if err != nil || v > maxCitationNumber {
		return maxCitationNumber
	}
	return v
}

// checkCitations makes text cite only sources 1..n (the passages given to
// the model, in that order), renumbered by first use. Numbers outside
// 1..n are removed, also from inside groups ([1, 9] → [1]); a group left
// empty is removed with the space before it. Every surviving group is
// written in the canonical form "[a][b]", so that any consumer matching
// `\[\d+\]` reads exactly the checked citations. Should a removal join
// the text around it into something that looks like a citation ("[[9]1]"
// → "[1]"), that look-alike's brackets become parentheses: only groups
// written here are citations.
//
// It returns the new text and order: order[i] is the original number
// (1..n) of new number i+1, so the answer's sources are
// passages[order[0]-1], passages[order[1]-1], … Text that cites nothing
// valid returns an empty order. It is pure, and it reads text strictly
// left to right, so checking a prefix of a text gives a prefix of the
// checked text (up to a group cut in half), which streaming relies on.
func checkCitations(text string, n int) (string, []int) {
	matches := citationRE.FindAllStringIndex(text, -1)
	if len(matches) == 0 {
		return text, nil
	}
	var (
		order   []int
		newNum  = map[int]int{}
		b       []byte
		ours    []int // start offsets in b of the groups written here
		removed bool
		last    int
	)
	for _, m := range matches {
		b = append(b, text[last:m[0]]...)
		last = m[1]
		var nums []int
		for _, v := range citationGroup(text[m[0]:m[1]], n) {
			if v < 1 || v > n {
				continue
			}
			if newNum[v] == 0 {
				order = append(order, v)
				newNum[v] = len(order)
			}
			nums = append(nums, newNum[v])
		}
		if len(nums) == 0 {
			removed = true
			// Drop the space before a removed group when what follows is
			// punctuation, a space or the end: "claim [9]." → "claim.".
			if last == len(text) || strings.ContainsAny(text[last:last+1], ".,;:!?)] \n\t") {
				b = []byte(strings.TrimRight(string(b), " \t"))
			}
			continue
		}
		sort.Ints(nums)
		for _, v := range nums {
			ours = append(ours, len(b))
			b = append(b, '[')
			b = strconv.AppendInt(b, int64(v), 10)
			b = append(b, ']')
		}
	}
	b = append(b, text[last:]...)
	if removed {
		b = defuseForgeries(b, ours)
	}
	return string(b), order
}

// defuseForgeries turns bracketed numbers in b that are not groups written
// by checkCitations (whose starts are ours) into parenthesised ones. A
// look-alike cannot overlap a real group: a group's "[" cannot sit inside
// another match.
func defuseForgeries(b []byte, ours []int) []byte {
	isOurs := make(map[int]bool, len(ours))
	for _, o := range ours {
		isOurs[o] = true
	}
	matches := citationRE.FindAllIndex(b, -1)
	if len(matches) == len(ours) {
		return b
	}
	var out []byte
	last := 0
	for _, m := range matches {
		if isOurs[m[0]] {
			continue
		}
		out = append(out, b[last:m[0]]...)
		group := string(b[m[0]:m[1]])
		_, open := utf8.DecodeRuneInString(group)
		_, closing := utf8.DecodeLastRuneInString(group)
		out = append(out, '(')
		out = append(out, group[open:len(group)-closing]...)
		out = append(out, ')')
		last = m[1]
	}
	return append(out, b[last:]...)
}
