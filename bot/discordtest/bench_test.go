package discordtest

import (
	"slices"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
)

// BenchmarkInteractionAck measures the fake's own share of an acknowledgement: dispatching
// INTERACTION_CREATE through the gateway to a discordgo handler that defers at once, until the
// fake has accepted the callback. It is the floor under the bot's acknowledgement latency.
func BenchmarkInteractionAck(b *testing.B) {
	f := New(b, Options{})
	s, err := discordgo.New("Bot " + DefaultToken)
	if err != nil {
		b.Fatal(err)
	}
	s.Client = f.HTTPClient()
	s.ShouldReconnectOnError = false
	s.Identify.Intents = discordgo.IntentsGuilds
	s.AddHandler(func(s *discordgo.Session, i *discordgo.InteractionCreate) {
		s.InteractionRespond(i.Interaction, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredChannelMessageWithSource})
	})
	if err := s.Open(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	f.WaitHeartbeat(b, 5*time.Second)
	f.ExpectViolations(CodeUnfinished) // deferred responses are never completed here

	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		it := f.SendSlashCommand("ask")
		var d time.Duration
		f.WaitUntil(b, func() bool {
			var ok bool
			d, ok = f.AckLatency(it.ID)
			return ok
		}, 10*time.Second)
		lat = append(lat, d)
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}
