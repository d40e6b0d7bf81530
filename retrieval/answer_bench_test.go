package retrieval

import (
	"context"
	"fmt"
	"strings"
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

// BenchmarkCheckCitations measures the citation check on a typical answer.
func BenchmarkCheckCitations(b *testing.B) {
	text := "Marsten wants written guarantees [2]. The crossings reopen for freight first [1, 3]. " +
		"Nobody objected [9]. Both sides spoke [1-3]. Veloria called the demand premature [4]."
	for b.Loop() {
		checkCitations(text, 5)
	}
}

// BenchmarkDeltaFilter measures the streamed citation check over a long
// answer (about 4 KB, the longest the answer token cap allows) sent in
// token-sized pieces: each piece re-checks the answer so far.
func BenchmarkDeltaFilter(b *testing.B) {
	var sb strings.Builder
	for i := 0; sb.Len() < 4000; i++ {
		fmt.Fprintf(&sb, "Officials from Veloria met their Marsten counterparts on day %d [%d]. ", i, i%7+1)
	}
	text := sb.String()
	for b.Loop() {
		feedDeltaFilter(text, 5, []int{4})
	}
}
