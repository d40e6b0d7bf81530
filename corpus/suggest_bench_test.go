package corpus

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// buildSuggestLibrary stores n articles in scope, one short chunk each,
// titled like news ("Talks on grain corridor resume, day 123") with a
// short body, many articles per transaction so that 100,000 take seconds.
func buildSuggestLibrary(tb testing.TB, dir, scope string, n int) {
	tb.Helper()
	ctx := context.Background()
	lib, err := Open(ctx, dir)
	if err != nil {
		tb.Fatal(err)
	}
	defer lib.Close()
	topics := strings.Split("Talks on grain corridor resume|Harbour accord signed|Ministers meet on border treaty|"+
		"Sanctions vote delayed|Envoy recalled after summit|Ceasefire holds in the north|Election date set|Tariff dispute widens", "|")
	// Half a kilobyte of body each: the rows a scan of the table would
	// read are the size of a short news item, not of a title.
	body := strings.Repeat("The delegations met again on Tuesday and agreed to continue the talks next week. ", 6)
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	putBatched(tb, lib, n, 500, base, func(k int) (Article, []Chunk, [][]float32) {
		a := Article{ID: fmt.Sprintf("a-%06d", k), Scope: scope, Source: "Wire",
			Title:     fmt.Sprintf("%s, day %d", topics[k%len(topics)], k),
			Published: base.AddDate(0, 0, k%700), Body: fmt.Sprintf("Bulletin %d. %s", k, body)}
		chunks := []Chunk{{ID: ChunkID(a.ID, 0), ArticleID: a.ID, Start: 0, End: len(a.Body), Text: a.Body}}
		return a, chunks, [][]float32{{1, 0}}
	})
}

// listAndFilter is the autocomplete of before Suggest: every article of the
// scope from List, filtered in Go.
func listAndFilter(lib *Library, ctx context.Context, scope, text string, limit int) ([]Summary, error) {
	list, err := lib.List(ctx, scope)
	if err != nil {
		return nil, err
	}
	text = strings.ToLower(strings.TrimSpace(text))
	var out []Summary
	for _, s := range list {
		if len(out) == limit {
			break
		}
		if text != "" && !strings.Contains(strings.ToLower(s.Title), text) && !strings.Contains(strings.ToLower(s.ID), text) {
			continue
		}
		out = append(out, s)
	}
	return out, nil
}

// BenchmarkSuggest100k measures autocomplete over one scope of 100,000
// articles, ten keystrokes at once (what ten moderators typing give): each
// op is one round of 10 concurrent queries, and p50/p99 are over every
// query's own latency. The typed texts mix a prefix every title has, a
// rare word, a substring inside words, an id, nothing, and a text no title
// contains (the worst case: the whole scope is read). "old" is the path
// autocomplete took before: List every article of the scope and filter
// in Go.
func BenchmarkSuggest100k(b *testing.B) {
	dir := b.TempDir()
	const scope = "111111111111111111"
	buildSuggestLibrary(b, dir, scope, 100_000)
	ctx := context.Background()
	lib, err := Open(ctx, dir)
	if err != nil {
		b.Fatal(err)
	}
	defer lib.Close()
	typed := []string{"", "talks", "Ceasefire holds", "ORRIDO", "day 99999", "a-04242", "no such title", "zzz", "envoy recalled after summit, day 5", "Ünïcode"}
	for _, path := range []struct {
		name string
		fn   func(lib *Library, ctx context.Context, scope, text string, limit int) ([]Summary, error)
	}{
		{"new", (*Library).Suggest},
		{"old", listAndFilter},
	} {
		b.Run(path.name, func(b *testing.B) {
			var mu sync.Mutex
			var lat []time.Duration
			for b.Loop() {
				var wg sync.WaitGroup
				for _, q := range typed {
					wg.Go(func() {
						start := time.Now()
						if _, err := path.fn(lib, ctx, scope, q, 25); err != nil {
							b.Error(err)
						}
						d := time.Since(start)
						mu.Lock()
						lat = append(lat, d)
						mu.Unlock()
					})
				}
				wg.Wait()
			}
			slices.Sort(lat)
			pct := func(p float64) float64 {
				return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))]) / float64(time.Millisecond)
			}
			b.ReportMetric(pct(0.50), "p50-ms")
			b.ReportMetric(pct(0.99), "p99-ms")
		})
	}
}
