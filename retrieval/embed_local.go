package retrieval

import (
	"context"
	"fmt"
	"math"

	"github.com/attache-bot/attache/corpus/lang"
	"github.com/attache-bot/attache/vector"
)

// LocalEmbedderName is the versioned name of the built-in embedder. It is
// recorded with the data; bump the version whenever the features, weights,
// hashing or dimension change, so that a library embedded with an older
// version is re-indexed instead of being searched with incompatible vectors.
const LocalEmbedderName = "local-hash-v3"

// LocalEmbedderDim is the dimension of the built-in embedder's vectors.
//
// 768 keeps hash collisions between the few hundred distinct features of a
// passage rare while a brute-force scan over tens of thousands of chunks
// stays within a few milliseconds.
const LocalEmbedderDim = 768

// Feature weights of the local embedder. Whole words carry most of the
// meaning; word pairs reward matching phrases ("climate change", "prime
// minister"); character n-grams catch inflections and spelling variants
// ("sanction"/"sanctions"/"sanctioned", "Zelensky"/"Zelenskyy") that exact
// tokens miss. Each n-gram weighs little on its own, but a word has many.
const (
	weightWord  = 1.0
	weightPair  = 0.7
	weightGram  = 0.22
	minGramSize = 3
	maxGramSize = 5
	// maxWordBytes caps the words that get n-grams: long tokens are usually
	// URLs, hashes or glued-together clutter whose n-grams only add noise.
	maxWordBytes = lang.MaxTermBytes
)

// Per-kind hash seeds so that the word "war" and the 3-gram "war" land on
// different coordinates.
const (
	seedWord uint64 = 0x9e3779b97f4a7c15
	seedPair uint64 = 0xc2b2ae3d27d4eb4f
	seedGram uint64 = 0x165667b19e3779f9
	seedNone uint64 = 0x27d4eb2f165667c5
)

// LocalEmbedder is the built-in offline embedder: deterministic feature
// hashing of lower-cased words (lightly stemmed, stop words dropped), pairs
// of adjacent words, and character 3- to 5-grams within words, with
// sublinear term frequency and signed hashing (each feature adds +w or −w,
// so colliding features cancel on average instead of piling up), L2
// normalised. It needs no model files and no network, and is safe for
// concurrent use.
type LocalEmbedder struct{}

// NewLocalEmbedder returns the built-in embedder.
func NewLocalEmbedder() *LocalEmbedder { return &LocalEmbedder{} }

// Name returns LocalEmbedderName.
func (*LocalEmbedder) Name() string { return LocalEmbedderName }

// Dim returns LocalEmbedderDim.
func (*LocalEmbedder) Dim() int { return LocalEmbedderDim }

// Embed returns one unit vector per text. It only fails when ctx is done.
func (e *LocalEmbedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	var f hashFeaturizer
	for i, t := range texts {
		// Checking every text keeps a cancelled bulk ingest responsive
		// without measurable cost.
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("embed: %w", err)
		}
		out[i] = f.vector(t)
	}
	return out, nil
}

// EmbedQuery returns the unit vector of one query. Queries and passages use
// the same features, so their vectors are directly comparable.
func (e *LocalEmbedder) EmbedQuery(ctx context.Context, text string) ([]float32, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("embed query: %w", err)
	}
	var f hashFeaturizer
	return f.vector(text), nil
}

// hashFeaturizer holds scratch space reused across the texts of one Embed call.
type hashFeaturizer struct {
	words []string
	tf    map[string]int
	pairs map[[2]string]int
	buf   []byte
}

// vector computes the unit vector of text.
func (f *hashFeaturizer) vector(text string) []float32 {
	v := make([]float32, LocalEmbedderDim)
	f.words = lang.Tokenize(text, f.words[:0])
	if f.tf == nil {
		f.tf = make(map[string]int)
		f.pairs = make(map[[2]string]int)
	}
	clear(f.tf)
	clear(f.pairs)
	prev := ""
	for _, w := range f.words {
		if lang.Stop.Has(w) {
			// A stop word breaks a phrase: "minister of defence" yields no
			// pair across "of", which would only add noise.
			prev = ""
			continue
		}
		f.tf[w]++
		if prev != "" {
			f.pairs[[2]string{prev, w}]++
		}
		prev = w
	}
	for w, n := range f.tf {
		tw := sublinearTF(n)
		addHashedFeature(v, hashString(seedWord, lang.Stem(w)), weightWord*tw)
		f.addGrams(v, w, weightGram*tw)
	}
	for p, n := range f.pairs {
		h := hashString(seedPair, lang.Stem(p[0]))
		h = hashString(h^seedPair, lang.Stem(p[1]))
		addHashedFeature(v, h, weightPair*sublinearTF(n))
	}
	if !vector.Vector(v).Normalize() {
		// No usable feature (empty, punctuation only, stop words only):
		// return a fixed unit vector instead of zeros, because a zero
		// vector has no direction and cosine similarity on it yields NaN.
		addHashedFeature(v, seedNone, 1)
		vector.Vector(v).Normalize()
	}
	return v
}

// addGrams adds the character n-grams of word, with boundary markers so that
// prefixes and suffixes are distinguishable from inner n-grams.
func (f *hashFeaturizer) addGrams(v []float32, word string, w float64) {
	if len(word) > maxWordBytes || isNumericToken(word) {
		return
	}
	f.buf = append(append(append(f.buf[:0], '<'), word...), '>')
	// Rune start offsets, so that n-grams never cut a multi-byte character.
	var starts [maxWordBytes + 3]int
	n := 0
	for i := range string(f.buf) {
		starts[n] = i
		n++
	}
	starts[n] = len(f.buf)
	for size := minGramSize; size <= maxGramSize; size++ {
		for i := 0; i+size <= n; i++ {
			addHashedFeature(v, hashBytes(seedGram+uint64(size), f.buf[starts[i]:starts[i+size]]), w)
		}
	}
}

// sublinearTF dampens repeated terms: a word said ten times is not ten times
// as telling as a word said once.
func sublinearTF(n int) float64 { return 1 + math.Log(float64(n)) }

// addHashedFeature adds ±w at the coordinate chosen by h; the sign comes from a
// hash bit that the index does not use.
func addHashedFeature(v []float32, h uint64, w float64) {
	i := (h & 0xffffffff) % uint64(len(v))
	if h>>63 == 1 {
		w = -w
	}
	v[i] += float32(w)
}

// hashString and hashBytes are FNV-1a 64 with a seed, finished with a
// murmur-style mix so that the low bits (the coordinate) and the top bit
// (the sign) are both well spread.
func hashString(seed uint64, s string) uint64 {
	h := seed ^ 14695981039346656037
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return hashMix(h)
}

func hashBytes(seed uint64, b []byte) uint64 {
	h := seed ^ 14695981039346656037
	for _, c := range b {
		h ^= uint64(c)
		h *= 1099511628211
	}
	return hashMix(h)
}

func hashMix(h uint64) uint64 {
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}

func isNumericToken(w string) bool {
	for i := 0; i < len(w); i++ {
		c := w[i]
		if (c < '0' || c > '9') && c != '.' && c != ',' {
			return false
		}
	}
	return true
}
