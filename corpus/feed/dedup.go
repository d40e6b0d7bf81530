package feed

import (
	"hash/fnv"
	"strconv"

	"github.com/attache-bot/attache/corpus/lang"
)

// Near-duplicate detection: the same wire story republished by two outlets
// (a headline changed, a paragraph added or cut) shares most of its word
// 5-grams, two different stories on the same event share almost none.
const (
	// ShingleWords is the length of the word runs compared.
	ShingleWords = 5
	// SameStoryThreshold is the containment from which two texts are one
	// story.
	SameStoryThreshold = 0.5
	// Bands and bandRows shape the fingerprint: Bands keys of bandRows
	// min-hashes each. Two texts share a band key with probability
	// 1-(1-J^bandRows)^Bands for Jaccard similarity J: about 0.9 at
	// J = 0.33 (a text inside one half again as long), about 0.002 at
	// J = 0.01, so that lookups find the candidates Containment then
	// confirms.
	Bands    = 20
	bandRows = 2
)

// shingles returns the hashes of text's word 5-grams (of its only n-gram
// when it has fewer than five words).
func shingles(text string) map[uint64]struct{} {
	w := lang.Tokenize(text, nil)
	out := make(map[uint64]struct{}, len(w))
	n := ShingleWords
	if len(w) < n {
		n = len(w)
	}
	if n == 0 {
		return out
	}
	for i := 0; i+n <= len(w); i++ {
		h := fnv.New64a()
		for _, word := range w[i : i+n] {
			h.Write([]byte(word))
			h.Write([]byte{0})
		}
		out[h.Sum64()] = struct{}{}
	}
	return out
}

// Containment is the share of the shorter text's word 5-grams found in the
// other: 1 when one text contains the other, 0 when they share none (and
// when either is empty).
func Containment(a, b string) float64 {
	sa, sb := shingles(a), shingles(b)
	if len(sa) == 0 || len(sb) == 0 {
		return 0
	}
	if len(sa) > len(sb) {
		sa, sb = sb, sa
	}
	common := 0
	for h := range sa {
		if _, ok := sb[h]; ok {
			common++
		}
	}
	return float64(common) / float64(len(sa))
}

// SameStory reports whether a and b are one story: a Containment of at
// least SameStoryThreshold.
func SameStory(a, b string) bool { return Containment(a, b) >= SameStoryThreshold }

// Fingerprint returns Bands lookup keys for text (none for an empty text):
// texts that are one story very likely share at least one key, unrelated
// texts almost never do. Store them, look up a new text's keys, and confirm
// each candidate with SameStory.
func Fingerprint(text string) []string {
	sh := shingles(text)
	if len(sh) == 0 {
		return nil
	}
	var mins [Bands * bandRows]uint64
	for i := range mins {
		mins[i] = ^uint64(0)
	}
	for h := range sh {
		for i := range mins {
			if v := mix(h, uint64(i)); v < mins[i] {
				mins[i] = v
			}
		}
	}
	keys := make([]string, Bands)
	for b := range Bands {
		h := fnv.New64a()
		for r := range bandRows {
			var buf [8]byte
			v := mins[b*bandRows+r]
			for i := range buf {
				buf[i] = byte(v >> (8 * i))
			}
			h.Write(buf[:])
		}
		keys[b] = strconv.Itoa(b) + ":" + strconv.FormatUint(h.Sum64(), 36)
	}
	return keys
}

// mix is the i-th hash function of the min-hash: splitmix64 of the
// shingle's hash and i.
func mix(h, i uint64) uint64 {
	z := h + (i+1)*0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}
