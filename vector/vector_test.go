package vector

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestDot(t *testing.T) {
	v := Vector{1, 2, 3, 4, 5}
	if got := v.Dot(Vector{1, 1, 1, 1, 1}); got != 15 {
		t.Errorf("Dot = %v, want 15", got)
	}
	if got := v.Dot(Vector{1, 0, 0, 0, 0, 9}); got != 1 {
		t.Errorf("Dot with a longer vector = %v, want 1 (its tail ignored)", got)
	}
	if got := (Vector{}).Dot(nil); got != 0 {
		t.Errorf("Dot of empty vectors = %v", got)
	}
}

func TestUnit(t *testing.T) {
	u, ok := Vector{3, 4}.Unit()
	if !ok || math.Abs(float64(u[0])-0.6) > 1e-6 || math.Abs(float64(u[1])-0.8) > 1e-6 {
		t.Errorf("Unit(3,4) = %v, %v", u, ok)
	}
	if d := u.Dot(u); math.Abs(d-1) > 1e-6 {
		t.Errorf("|Unit|² = %v", d)
	}
	already := Vector{0.6, 0.8}
	if u, ok := already.Unit(); !ok || &u[0] != &already[0] {
		t.Error("a unit vector was copied")
	}
	orig := Vector{3, 4}
	orig.Unit()
	if orig[0] != 3 {
		t.Error("Unit changed its receiver")
	}
	n := Vector{3, 4}
	if !n.Normalize() || n[0] != u[0] || n[1] != u[1] {
		t.Errorf("Normalize(3,4) = %v, want %v as Unit gives", n, u)
	}
	nan := float32(math.NaN())
	for _, v := range []Vector{nil, {}, {0, 0, 0}, {nan, 1}, {float32(math.Inf(1)), 0}} {
		if u, ok := v.Unit(); ok || len(u) != len(v) {
			t.Errorf("Unit(%v) = %v, %v, want no direction", v, u, ok)
		}
		if v.Normalize() {
			t.Errorf("Normalize(%v) reported a direction", v)
		}
	}
}

func TestEncodeDecode(t *testing.T) {
	v := Vector{0, 1, -2.5, float32(math.Inf(-1)), math.SmallestNonzeroFloat32, math.MaxFloat32}
	enc := v.Encode()
	if len(enc) != 4*len(v) {
		t.Fatalf("%d bytes for %d values", len(enc), len(v))
	}
	// The stored form is little-endian float32: 1.0 is 00 00 80 3f.
	if enc[4] != 0 || enc[5] != 0 || enc[6] != 0x80 || enc[7] != 0x3f {
		t.Errorf("1.0 encoded as % x", enc[4:8])
	}
	var got Vector
	got.Decode(enc)
	if len(got) != len(v) {
		t.Fatalf("decoded %d values, want %d", len(got), len(v))
	}
	for i := range v {
		if got[i] != v[i] {
			t.Errorf("value %d: %v, want %v", i, got[i], v[i])
		}
	}
	// Capacity is reused; a ragged tail is ignored; empty input is empty.
	buf := make(Vector, 0, 8)
	buf.Decode(append(enc[:8:8], 1, 2, 3))
	if len(buf) != 2 || cap(buf) != 8 || buf[1] != 1 {
		t.Errorf("decode into a buffer: %v (cap %d)", buf, cap(buf))
	}
	buf.Decode(nil)
	if len(buf) != 0 {
		t.Errorf("decode of nothing: %v", buf)
	}
}

// TestDecodeCopyMatchesValues: Decode's byte copy and the value-by-value
// decoding agree bit for bit on any input, NaN payloads and a ragged tail
// included, and from an input that does not start on a value boundary.
func TestDecodeCopyMatchesValues(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	raw := make([]byte, 4*1000+3)
	for i := range raw {
		raw[i] = byte(rng.UintN(256))
	}
	for _, enc := range [][]byte{raw, raw[1:], raw[:4], raw[:3]} {
		var got Vector
		got.Decode(enc)
		want := make(Vector, len(enc)/4)
		decodeValues(want, enc)
		if len(got) != len(want) {
			t.Fatalf("decoded %d values, want %d", len(got), len(want))
		}
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("value %d: bits %08x, want %08x", i, math.Float32bits(got[i]), math.Float32bits(want[i]))
			}
		}
	}
}

// BenchmarkDecode compares Decode (one copy of the bytes on this
// little-endian machine) with decoding value by value, for one stored
// 768-dimensional vector, in the same run.
func BenchmarkDecode(b *testing.B) {
	v := make(Vector, 768)
	for i := range v {
		v[i] = float32(i) / 768
	}
	enc := v.Encode()
	out := make(Vector, 768)
	b.Run("copy", func(b *testing.B) {
		for b.Loop() {
			out.Decode(enc)
		}
	})
	b.Run("values", func(b *testing.B) {
		for b.Loop() {
			decodeValues(out, enc)
		}
	})
}
