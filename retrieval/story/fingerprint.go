package story

import (
	"hash/fnv"
	"strings"
	"unicode"
)

// fingerprintSize is the number of min-hashes in a Fingerprint: the error
// of its similarity estimate is about 1/sqrt(fingerprintSize), 0.09.
const fingerprintSize = 128

// shingleWords is the length of the word runs compared: five words in a
// row rarely repeat between two independently written reports, but do
// between copies of one wire text.
const shingleWords = 5

// Fingerprint is a MinHash of an article's five-word runs: two copies of a
// wire text (with a different intro, a trimmed end or an outlet's
// furniture) have similar fingerprints, two reports written apart do not.
type Fingerprint []uint32

// NewFingerprint returns the fingerprint of text; nil for a text with
// fewer than shingleWords words.
func NewFingerprint(text string) Fingerprint {
	words := strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
	if len(words) < shingleWords {
		return nil
	}
	fp := make(Fingerprint, fingerprintSize)
	for i := range fp {
		fp[i] = ^uint32(0)
	}
	h := fnv.New64a()
	for i := 0; i+shingleWords <= len(words); i++ {
		h.Reset()
		for _, w := range words[i : i+shingleWords] {
			h.Write([]byte(w))
			h.Write([]byte{' '})
		}
		x := h.Sum64()
		// One hash, fingerprintSize cheap permutations of it (multiply by an
		// odd constant, xor-shift): the usual MinHash trick.
		for k := range fp {
			v := uint32(mix(x + uint64(k)*0x9e3779b97f4a7c15))
			if v < fp[k] {
				fp[k] = v
			}
		}
	}
	return fp
}

func mix(x uint64) uint64 {
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	x ^= x >> 33
	return x
}

// Similarity estimates the share of five-word runs the two texts have in
// common (Jaccard similarity); 0 when either fingerprint is empty.
func (f Fingerprint) Similarity(g Fingerprint) float64 {
	if len(f) == 0 || len(f) != len(g) {
		return 0
	}
	same := 0
	for i := range f {
		if f[i] == g[i] {
			same++
		}
	}
	return float64(same) / float64(len(f))
}
