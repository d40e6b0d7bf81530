package retrieval

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/attache-bot/attache/corpus"
	"github.com/attache-bot/attache/retrieval/llm"
	"github.com/attache-bot/attache/retrieval/llm/openaitest"
)

// benchArticles are invented filler articles so that retrieval has a corpus
// of realistic size to search.
func benchArticles(n int) []corpus.Article {
	places := []string{"Veloria", "Marsten", "Tessaly", "Oskal", "Dunmere", "Pell", "Corvane", "Ystra"}
	topics := []string{"tariffs", "a ceasefire", "grain exports", "a pipeline", "fishing rights", "a border survey", "an embassy", "debt relief"}
	out := make([]corpus.Article, n)
	for i := range out {
		a, b := places[i%len(places)], places[(i/len(places)+1)%len(places)]
		topic := topics[(i/3)%len(topics)]
		out[i] = corpus.Article{
			ID:        fmt.Sprintf("bench-%d", i),
			Title:     fmt.Sprintf("%s and %s discuss %s, round %d", a, b, topic, i),
			Source:    []string{"Harbor Times", "Northern Ledger", "Field Report"}[i%3],
			Published: day("2025-01-01").AddDate(0, 0, i%200),
			Body: fmt.Sprintf("Officials from %s met counterparts from %s to discuss %s on day %d. "+
				"The delegation from %s proposed a joint committee. Negotiators said round %d ended without a deal. "+
				"Observers expect talks on %s to resume next month in %s.", a, b, topic, i, a, i, topic, b),
		}
	}
	return out
}

// BenchmarkAnswerFirstToken measures the latency that retrieval and prompt
// building add before the first token of a generated answer, against the
// fake server answering with no delay. Reported as ms-to-first-token.
func BenchmarkAnswerFirstToken(b *testing.B) {
	srv := openaitest.New(b)
	srv.SetReply("Varga wants written guarantees [1].")
	model, err := llm.New(llm.Config{BaseURL: srv.URL(), Logger: quietLogger()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(model.Close)
	e := newAnswerEngine(b, model)
	if err := e.AddMany(context.Background(), benchArticles(1000), nil); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	req := Request{Question: "What guarantees does the Marsten foreign minister demand?"}
	var first time.Duration
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		got := false
		a, err := e.Answer(ctx, req, func(string) {
			if !got {
				got = true
				first += time.Since(start)
			}
		})
		if err != nil || a.Mode != ModeLLM || !got {
			b.Fatalf("answer %+v, %v", a, err)
		}
	}
	b.ReportMetric(float64(first.Microseconds())/1000/float64(b.N), "ms-to-first-token")
}
