// Package vector is the embedding vector attache stores and searches: its
// dot product, unit length and the byte encoding the library keeps on disk.
package vector

import (
	"encoding/binary"
	"math"
	"slices"
	"unsafe"
)

// Vector is an embedding. Embedders return unit vectors, so that Dot is the
// cosine similarity.
type Vector []float32

// unitTolerance is how far from 1 the squared length of a vector may be for
// Unit to take it as already of unit length (float32 rounding, or an
// embeddings server that normalises in lower precision).
const unitTolerance = 1e-4

// Dot returns the dot product of v and w, which must be at least as long
// as v. Four accumulators let the loop run without waiting on each sum.
func (v Vector) Dot(w Vector) float64 {
	w = w[:len(v)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(v); i += 4 {
		s0 += v[i] * w[i]
		s1 += v[i+1] * w[i+1]
		s2 += v[i+2] * w[i+2]
		s3 += v[i+3] * w[i+3]
	}
	for ; i < len(v); i++ {
		s0 += v[i] * w[i]
	}
	return float64(s0 + s1 + s2 + s3)
}

// Unit returns v scaled to unit length: v itself when it already has unit
// length, else a new vector (v is left alone). ok is false, and v is
// returned as it is, when v has no direction to keep: empty, all zeros, or
// with NaN or infinite values.
func (v Vector) Unit() (u Vector, ok bool) {
	s := v.squaredLength()
	switch {
	case !hasDirection(s):
		return v, false
	case math.Abs(s-1) < unitTolerance:
		return v, true
	}
	u = slices.Clone(v)
	u.scale(s)
	return u, true
}

// Normalize is Unit in place, for a vector its caller owns (an embedder's
// fresh output): it scales v to unit length and reports whether it could,
// leaving v unchanged when it has no direction.
func (v Vector) Normalize() bool {
	s := v.squaredLength()
	if !hasDirection(s) {
		return false
	}
	v.scale(s)
	return true
}

// squaredLength is the dot product of v with itself, summed in float64.
func (v Vector) squaredLength() float64 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	return s
}

// hasDirection reports whether a squared length s belongs to a vector that
// can be scaled to unit length.
func hasDirection(s float64) bool { return s != 0 && !math.IsNaN(s) && !math.IsInf(s, 0) }

// scale divides v by its length, given its squared length s.
func (v Vector) scale(s float64) {
	inv := float32(1 / math.Sqrt(s))
	for i := range v {
		v[i] *= inv
	}
}

// Encode returns v as little-endian float32s, 4 bytes per value: the form
// the library stores.
func (v Vector) Encode() []byte {
	b := make([]byte, 4*len(v))
	for i, f := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(f))
	}
	return b
}

// Decode sets *v to the vector encoded in enc (as Encode writes it),
// reusing the capacity of *v when it is enough. Trailing bytes that do not
// make a whole value are ignored.
func (v *Vector) Decode(enc []byte) {
	n := len(enc) / 4
	if cap(*v) < n {
		*v = make(Vector, n)
	}
	*v = (*v)[:n]
	if n == 0 {
		return
	}
	if nativeLittleEndian {
		// The stored form is the machine's own: one copy. Start-up
		// decodes every stored vector, and the value-by-value loop
		// was a sixth of its time (BenchmarkGrowthOpen).
		copy(unsafe.Slice((*byte)(unsafe.Pointer(&(*v)[0])), 4*n), enc[:4*n])
		return
	}
	decodeValues(*v, enc)
}

// decodeValues fills v from enc value by value, on any byte order.
func decodeValues(v Vector, enc []byte) {
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(enc[4*i:]))
	}
}

// nativeLittleEndian is whether this machine stores a float32 as Encode
// does, so that Decode may copy the bytes as they are.
var nativeLittleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1
