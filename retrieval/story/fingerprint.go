package story

import (
	"hash/fnv"
	"strings"
	"unicode"
)

// fingerprintSize is the number of min-hashes in a Fingerprint: the error
// of its similarity estimate is about 1/sqrt(fingerprintSize), 0.09.
const fingerprintSize = 1 << fingerprintBits

const fingerprintBits = 7

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
	// One-permutation MinHash: each five-word run is hashed once and
	// kept if it is the smallest seen in its bin (the hash's top bits).
	// This costs one hash per run instead of one per run and bin.
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
		x := mix(h.Sum64())
		bin := x >> (64 - fingerprintBits)
		if v := uint32(x); v < fp[bin] {
			fp[bin] = v
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
// common (Jaccard similarity) over the bins either text fills; 0 when
// either fingerprint is empty.
func (f Fingerprint) Similarity(g Fingerprint) float64 {
	if len(f) == 0 || len(f) != len(g) {
		return 0
	}
	same, used := 0, 0
	for i := range f {
		if f[i] == ^uint32(0) && g[i] == ^uint32(0) {
			continue // a bin neither text's runs fell in
		}
		used++
		if f[i] == g[i] {
			same++
		}
	}
	if used == 0 {
		return 0
	}
	return float64(same) / float64(used)
}
