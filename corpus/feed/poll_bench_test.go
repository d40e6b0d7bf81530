package feed_test

import (
	"context"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/attache-bot/attache/corpus"
	"github.com/attache-bot/attache/corpus/feed"
	"github.com/attache-bot/attache/corpus/feed/feedtest"
	"github.com/attache-bot/attache/retrieval"
)

const (
	benchFeeds = 50
	benchItems = 50
)

// benchServer serves benchFeeds feeds of benchItems summary-only items
// each, whose pages (300 words, like a short news story) it serves too.
func benchServer(b *testing.B) *feedtest.Server {
	srv := feedtest.New(b)
	pages := map[string][]byte{}
	for f := range benchFeeds {
		var es []feedtest.Entry
		for i := range benchItems {
			path := fmt.Sprintf("/p/%d/%d", f, i)
			title := fmt.Sprintf("Dispatch %d of desk %d", i, f)
			pages[path] = feedtest.Page(title, fmt.Sprintf("Desk %d Times", f), now.Add(-time.Duration(i)*time.Hour),
				strings.Split(feedtest.Story(uint64(f*1000+i+1), 300), "\n\n")...)
			es = append(es, feedtest.Entry{GUID: path, Link: path, Title: title, Summary: "A short summary of the story.",
				Published: now.Add(-time.Duration(i) * time.Hour)})
		}
		srv.Set(fmt.Sprintf("/f/%d", f), feedtest.Doc{ContentType: "application/rss+xml", Body: feedtest.RSS(fmt.Sprintf("Desk %d", f), srv.URL, es...)})
	}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(pages[r.URL.Path])
	})
	for path := range pages {
		srv.Handle(path, handler)
	}
	return srv
}

// peakHeap samples the heap in use until stop is closed.
func peakHeap(stop <-chan struct{}, out *uint64, wg *sync.WaitGroup) {
	defer wg.Done()
	var m runtime.MemStats
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		runtime.ReadMemStats(&m)
		*out = max(*out, m.HeapInuse)
		select {
		case <-stop:
			return
		case <-t.C:
		}
	}
}

// BenchmarkPoll50x50 is one poll of 50 feeds of 50 items each, every item's
// page fetched and read, into a new library, as serve's scheduler runs it
// (3 feeds at once); the baseline stores the same 2,500 articles, already
// extracted, with the engine's batch ingest (AddMany), so the difference is
// what polling, fetching and reading pages cost.
func BenchmarkPoll50x50(b *testing.B) {
	srv := benchServer(b)
	ctx := context.Background()
	fetcher := corpus.NewFetcher(corpus.FetchOptions{AllowPrivate: true, Timeout: 10 * time.Second})
	open := func(b *testing.B) (*corpus.Library, *retrieval.Engine) {
		lib, err := corpus.Open(ctx, b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		eng, err := retrieval.New(ctx, lib, retrieval.Config{Now: func() time.Time { return now }})
		if err != nil {
			b.Fatal(err)
		}
		return lib, eng
	}
	var articles []corpus.Article // the baseline's input, read once
	for f := range benchFeeds {
		for i := range benchItems {
			a, err := fetcher.Fetch(ctx, srv.URLOf(fmt.Sprintf("/p/%d/%d", f, i)))
			if err != nil {
				b.Fatal(err)
			}
			articles = append(articles, a)
		}
	}

	b.Run("poll", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			lib, eng := open(b)
			for f := range benchFeeds {
				if _, err := lib.AddFeed(ctx, corpus.Feed{URL: srv.URLOf(fmt.Sprintf("/f/%d", f))}, benchFeeds); err != nil {
					b.Fatal(err)
				}
			}
			syncer := &feed.Syncer{Library: lib, Client: feed.NewClient(fetcher, feed.Options{}), Pages: fetcher, Add: eng.Add}
			var polled sync.WaitGroup
			polled.Add(benchFeeds)
			added := 0
			var mu sync.Mutex
			wake := make(chan time.Time)
			s := &feed.Scheduler{Syncer: syncer, Now: func() time.Time { return now }, Wake: wake, OnPoll: func(r feed.Report) {
				mu.Lock()
				added += r.Added
				mu.Unlock()
				if r.Err != nil {
					b.Error(r.Err)
				}
				polled.Done()
			}}
			runtime.GC()
			var heap uint64
			var sampler sync.WaitGroup
			stop := make(chan struct{})
			sampler.Add(1)
			go peakHeap(stop, &heap, &sampler)
			rctx, cancel := context.WithCancel(ctx)
			done := make(chan struct{})
			b.StartTimer()
			start := time.Now()
			go func() { s.Run(rctx); close(done) }()
			polled.Wait()
			took := time.Since(start)
			b.StopTimer()
			cancel()
			<-done
			close(stop)
			sampler.Wait()
			if added != benchFeeds*benchItems {
				b.Fatalf("%d articles added, want %d", added, benchFeeds*benchItems)
			}
			b.ReportMetric(took.Seconds(), "s/poll")
			b.ReportMetric(float64(added)/took.Seconds(), "articles/s")
			b.ReportMetric(float64(heap)/(1<<20), "MiB-peak-heap")
			lib.Close()
			b.StartTimer()
		}
	})
	b.Run("baseline-addmany", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			lib, eng := open(b)
			b.StartTimer()
			start := time.Now()
			if err := eng.AddMany(ctx, articles, nil); err != nil {
				b.Fatal(err)
			}
			took := time.Since(start)
			b.StopTimer()
			if n, _ := lib.Count(ctx); n != len(articles) {
				b.Fatalf("%d articles stored, want %d", n, len(articles))
			}
			b.ReportMetric(took.Seconds(), "s/poll")
			b.ReportMetric(float64(len(articles))/took.Seconds(), "articles/s")
			lib.Close()
			b.StartTimer()
		}
	})
}
