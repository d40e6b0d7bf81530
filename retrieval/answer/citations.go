package answer

import (
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/attache-bot/attache/corpus"
)

// citationRE matches one bracketed citation group as models write them:
// [1], [1, 3], [1,3 and 4], [1-3], [1–3], [^2] (Markdown footnote style),
// [Source 2], and the full-width or lenticular brackets some models use
// (［1］, 【1】). Numbers of any length match, so that every bracketed number
// in an answer is either a checked citation or removed.
var citationRE = regexp.MustCompile(
	`[\[［【]\s*\^?(?i:sources?\s*:?\s*)?\d+(?:\s*(?:[,，、;；&]|[-–—]|and)\s*\d+)*\s*[\]］】]`)

// HasCitation reports whether text holds anything written as a citation
// group, checked or not.
func HasCitation(text string) bool { return citationRE.MatchString(text) }

// CountCitations returns how many citation groups text holds.
func CountCitations(text string) int { return len(citationRE.FindAllStringIndex(text, -1)) }

// Defuse turns every citation group in s into a parenthesised one ("[2]"
// becomes "(2)"), so that text quoted from a source cannot pass for a
// citation of ours.
func Defuse(s string) string {
	return citationRE.ReplaceAllStringFunc(s, func(m string) string {
		_, size := utf8.DecodeRuneInString(m)
		_, last := utf8.DecodeLastRuneInString(m)
		return "(" + m[size:len(m)-last] + ")"
	})
}

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

// Policy says what CheckAs does with a sentence whose every
// citation names a number outside 1..n.
type Policy int

const (
	// KeepSentences removes the invented citations and keeps the sentence:
	// for stripping old answers' citations (n = 0) and for quotes, which
	// cite only what they quote.
	KeepSentences Policy = iota
	// DropInvented removes such a sentence altogether: a generated claim
	// whose only support is a source we never gave is not one to show
	// uncited. A sentence with one real and one invented citation keeps
	// the real one; a sentence that never had a citation is kept.
	DropInvented
)

// Check is CheckAs with KeepSentences: what quotes,
// stripped history and every caller that does not check generated text
// use.
func Check(text string, n int) (string, []int) {
	return CheckAs(text, n, KeepSentences)
}

// CheckAs makes text cite only sources 1..n (the passages given to
// the model, in that order), renumbered by first use. Numbers outside
// 1..n are removed, also from inside groups ([1, 9] → [1]); a group left
// empty is removed with the space before it. With DropInvented, a sentence
// (as splitSentences cuts it, with the citation groups that follow its
// final stop) whose groups all named numbers outside 1..n is removed with
// the space before it. Every surviving group is written in the canonical
// form "[a][b]", so that any consumer matching `\[\d+\]` reads exactly
// the checked citations. Should a removal join the text around it into
// something that looks like a citation ("[[9]1]" → "[1]"), that
// look-alike's brackets become parentheses: only groups written here are
// citations.
//
// It returns the new text and order: order[i] is the original number
// (1..n) of new number i+1, so the answer's sources are
// passages[order[0]-1], passages[order[1]-1], … Text that cites nothing
// valid returns an empty order. It is pure. It reads text left to right,
// so checking a prefix of a text gives a prefix of the checked text (up to
// a group cut in half) with KeepSentences, and with DropInvented when the
// prefix ends where settledPrefix says; streaming relies on both.
func CheckAs(text string, n int, policy Policy) (string, []int) {
	matches := citationRE.FindAllStringIndex(text, -1)
	if len(matches) == 0 {
		return text, nil
	}
	var drops [][2]int // byte ranges of text to leave out, in order
	if policy == DropInvented {
		sents := citedSentences(text, matches, n)
		for i, st := range sents {
			if st.invented && st.lastValid < 0 {
				from := 0 // the space before it goes too; a first sentence leaves the space after it
				if i > 0 {
					from = sents[i-1].end
				}
				drops = append(drops, [2]int{from, st.end})
			}
		}
	}
	var (
		order   []int
		newNum  = map[int]int{}
		b       []byte
		ours    []int // start offsets in b of the groups written here
		removed = len(drops) > 0
		last    int
	)
	// keep appends text[from:to] less the dropped ranges; dropped reports
	// whether at is in one. Each is called with positions that only grow,
	// so each walks drops once, with an index of its own.
	ki, di := 0, 0
	keep := func(from, to int) {
		for ; ki < len(drops) && drops[ki][0] < to; ki++ {
			if d := drops[ki]; d[1] > from {
				b = append(b, text[from:max(d[0], from)]...)
				from = d[1]
			}
			if drops[ki][1] > to {
				break // it reaches past to: the next call starts inside it
			}
		}
		if from < to {
			b = append(b, text[from:to]...)
		}
	}
	dropped := func(at int) bool {
		for di < len(drops) && drops[di][1] <= at {
			di++
		}
		return di < len(drops) && drops[di][0] <= at
	}
	for _, m := range matches {
		if dropped(m[0]) {
			continue // its sentence goes: keep copies around it
		}
		keep(last, m[0])
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
	keep(last, len(text))
	if removed {
		b = defuseForgeries(b, ours)
	}
	return string(b), order
}

// citedSentence is one sentence of an answer and what its citations name.
type citedSentence struct {
	start, end int  // its bytes in the text, trimmed
	lastValid  int  // the end of its last group that names a source in 1..n, or -1
	invented   bool // it has a group that names none
}

// citedSentences cuts text into sentences as splitSentences does, except
// that citation groups belong to the sentence they follow: a model writes
// "Talks resumed. [2]" as often as "Talks resumed [2].", and the splitter
// would give that [2] to the next sentence. A group that a sentence break
// falls inside (a line break in "[1,\n2]") joins the two sentences.
// matches are text's citation groups (citationRE).
func citedSentences(text string, matches [][]int, n int) []citedSentence {
	var out []citedSentence
	mi := 0
	for _, sp := range corpus.Sentences(text) {
		start := sp.Start
		if len(out) > 0 {
			// A break inside the previous sentence's last group (a line
			// break in "[1,\n2]"): that group stays whole.
			start = max(start, out[len(out)-1].end)
		}
		// Groups at the start of a sentence, and the space after them, go
		// to the sentence before.
		for len(out) > 0 && mi < len(matches) && matches[mi][0] < sp.End {
			m := matches[mi]
			if strings.TrimSpace(text[start:m[0]]) != "" {
				break
			}
			out[len(out)-1].end = m[1]
			rest := text[m[1]:max(sp.End, m[1])]
			start = m[1] + len(rest) - len(strings.TrimLeftFunc(rest, unicode.IsSpace))
			mi++
		}
		if start >= sp.End {
			continue
		}
		out = append(out, citedSentence{start: start, end: sp.End, lastValid: -1})
		for mi < len(matches) && matches[mi][0] < sp.End {
			out[len(out)-1].end = max(out[len(out)-1].end, matches[mi][1])
			mi++
		}
	}
	// Classify each sentence's groups.
	si := 0
	for _, m := range matches {
		for si < len(out)-1 && m[0] >= out[si].end {
			si++
		}
		if si >= len(out) {
			break
		}
		valid := false
		for _, v := range citationGroup(text[m[0]:m[1]], n) {
			if v >= 1 && v <= n {
				valid = true
				break
			}
		}
		if valid {
			out[si].lastValid = m[1]
		} else {
			out[si].invented = true
		}
	}
	return out
}

// settledPrefix returns how much of text, the start of a streamed answer,
// CheckAs(…, DropInvented) has decided for good: whatever follows,
// the checked text of text[:k] is a prefix of the checked whole (up to the
// caveats of CheckAs). The last sentence is undecided until it ends
// (the next one has begun with a whole first word, since a word such as
// "The" after "U.S." decides whether the period ended a sentence) unless
// it already cites a real source, which keeps it: then it is decided
// through that citation. A sentence is held back until then because a
// citation that comes at its end ("… last spring. [9]") may yet drop it,
// and what was streamed cannot be taken back.
func settledPrefix(text string, n int) int {
	sents := citedSentences(text, citationRE.FindAllStringIndex(text, -1), n)
	open := len(sents) - 1 // the first undecided sentence
	if open < 0 {
		return 0
	}
	if w := wordEnd(text, sents[open].start); open > 0 && w == len(text) {
		open-- // its first word may still grow and undo the break before it
	}
	if v := sents[open].lastValid; v >= 0 {
		return v
	}
	if open == 0 {
		return 0
	}
	return sents[open-1].end
}

// wordEnd returns the end of the run of letters starting at i.
func wordEnd(text string, i int) int {
	for i < len(text) {
		r, size := utf8.DecodeRuneInString(text[i:])
		if !unicode.IsLetter(r) {
			break
		}
		i += size
	}
	return i
}

// defuseForgeries turns bracketed numbers in b that are not groups written
// by Check (whose starts are ours) into parenthesised ones. A
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
