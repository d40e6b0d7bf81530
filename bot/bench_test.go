package bot

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/attache-bot/attache/bot/discordtest"
	"github.com/attache-bot/attache/corpus"
)

// BenchmarkAckLatency40 dispatches 40 /ask interactions at once to the bot
// (extractive answers from a real engine, over the fake Discord) and
// reports the time from each INTERACTION_CREATE dispatch to its accepted
// deferred response, as p50 and p99 over all iterations, and how many of
// the 40 got their final answer (all of them, or the benchmark fails).
func BenchmarkAckLatency40(b *testing.B) {
	arts := append(manyArticles(40, corpus.SharedScope), articleShared())
	e := startE2E(b, e2eOptions{cfg: Config{RatePerMinute: -1}, articles: arts})
	var lat []time.Duration
	answered := 0
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		its := make([]discordtest.Interaction, 40)
		for k := range its {
			its[k] = e.f.Interaction(discordtest.InteractionSpec{Name: "ask",
				User:    discordtest.User{ID: fmt.Sprintf("20000000000000%05d", k), Name: "reader"},
				Options: []discordtest.Option{{Name: "question", Value: fmt.Sprintf("What does bulletin %d report about Kessel harbour?", k)}}})
		}
		for _, it := range its {
			e.final(b, it, hasAll("**Sources**"))
			answered++
			d, ok := e.f.AckLatency(it.ID)
			if !ok {
				b.Fatalf("interaction %s not acknowledged", it.ID)
			}
			lat = append(lat, d)
		}
	}
	b.StopTimer()
	slices.Sort(lat)
	pct := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))]) / float64(time.Millisecond)
	}
	b.ReportMetric(pct(0.50), "ack-p50-ms")
	b.ReportMetric(pct(0.99), "ack-p99-ms")
	b.ReportMetric(float64(answered)/float64(b.N), "answered/op")
}
