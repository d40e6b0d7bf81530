// Package clip cuts text to a length without splitting a UTF-8 character.
// It is the one place attache bounds strings: questions, excerpts, log
// lines, embeddings inputs and Discord messages all cut here.
package clip

import "unicode/utf8"

// Ellipsis marks text that was cut.
const Ellipsis = "…"

// Index is the largest i ≤ n at which s can be cut without splitting a
// character: s[:Index(s, n)] is at most n bytes and ends on a character
// boundary. n beyond len(s) gives len(s); a negative n gives 0.
func Index(s string, n int) int {
	if n >= len(s) {
		return len(s)
	}
	if n <= 0 {
		return 0
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return n
}

// Bytes returns s cut to at most n bytes at a character boundary.
func Bytes(s string, n int) string { return s[:Index(s, n)] }

// Mark returns s unchanged when it fits in n bytes, else s cut to n bytes
// at a character boundary with Ellipsis after it (so the result may be
// len(Ellipsis) bytes longer than n).
func Mark(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return Bytes(s, n) + Ellipsis
}

// Runes returns s cut to at most n characters (runes), for limits counted
// in characters rather than bytes.
func Runes(s string, n int) string {
	if n <= 0 {
		return ""
	}
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}
