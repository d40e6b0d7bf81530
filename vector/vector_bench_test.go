package vector

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkScan scores one query against 10,000 stored vectors, the inner
// loop of a vector search, at the lengths EMBED_DIMENSIONS offers for
// text-embedding-3-small (1,536 is the model's own). The 1,536 case is the
// baseline of the same run.
func BenchmarkScan(b *testing.B) {
	const n = 10_000
	for _, dim := range []int{1536, 768, 512, 256} {
		b.Run(fmt.Sprintf("dim=%d", dim), func(b *testing.B) {
			r := rand.New(rand.NewPCG(1, uint64(dim)))
			vecs := make([]Vector, n)
			for i := range vecs {
				v := make(Vector, dim)
				for j := range v {
					v[j] = float32(r.NormFloat64())
				}
				vecs[i], _ = v.Unit()
			}
			q := vecs[0]
			var sink float64
			b.ResetTimer()
			for b.Loop() {
				for _, v := range vecs {
					sink += q.Dot(v)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/vector")
			b.ReportMetric(float64(4*dim*n)/(1<<20), "MB/10k-vectors")
			_ = sink
		})
	}
}
