package story_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/attache-bot/attache/corpus"
	"github.com/attache-bot/attache/corpus/gazetteer"
	"github.com/attache-bot/attache/retrieval"
	"github.com/attache-bot/attache/retrieval/story"
)

// BenchmarkIngestExtras compares what stories and entities add to ingest
// per article (gazetteer, names, fingerprint, and assignment among 50
// candidates; names alone too) with the built-in embedder's vector of the same article, the
// part of ingest it rides along with. Assignment weighs names by the
// frequencies of all the articles (story.Counts), as an ingest keeping
// them would. Articles are the bundled sample's, or those of the
// JSON-lines corpus ATTACHE_STORY_CORPUS names.
func BenchmarkIngestExtras(b *testing.B) {
	arts := corpus.Sample()
	if path := os.Getenv("ATTACHE_STORY_CORPUS"); path != "" {
		arts = readCorpus(b, path)
	}
	emb := retrieval.NewLocalEmbedder()
	g := gazetteer.Default()
	ctx := context.Background()
	var cands []story.Member
	counts := story.NewCounts()
	for i, a := range arts {
		v, _ := emb.EmbedQuery(ctx, a.Title+"\n\n"+a.Body)
		names := story.Names(a.Title, a.Body)
		counts.Add(a.Source, names)
		cands = append(cands, story.Member{Article: story.Article{ID: a.ID, Published: a.Published, Names: names, Vector: v, Fingerprint: story.NewFingerprint(a.Body), Source: a.Source}, Story: fmt.Sprint("st-", i), Start: a.Published})
	}
	for len(cands) < 50 {
		cands = append(cands, cands...)
	}
	cands = cands[:50]
	b.Run("embed", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			a := arts[i%len(arts)]
			if _, err := emb.Embed(ctx, []string{a.Title + "\n\n" + a.Body}); err != nil {
				b.Fatal(err)
			}
		}
	})
	// Names alone: the part of the extras that reads the whole text.
	b.Run("names", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			a := arts[i%len(arts)]
			story.Names(a.Title, a.Body)
		}
	})
	var vec []float32
	vec, _ = emb.EmbedQuery(ctx, arts[0].Body)
	b.Run("stories+entities", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			a := arts[i%len(arts)]
			var ents []string
			for _, m := range g.Recognize(a.Title, a.Body) {
				ents = append(ents, story.Entity(string(m.Kind), m.ID))
			}
			sa := story.Article{ID: "new", Published: a.Published, Names: story.Names(a.Title, a.Body, ents...), Vector: vec, Fingerprint: story.NewFingerprint(a.Body), Source: a.Source}
			story.Assign(sa, cands, story.Options{Frequency: counts})
		}
	})
}

// readCorpus reads the title, body and date of each record of a JSON-lines
// corpus.
func readCorpus(tb testing.TB, path string) []corpus.Article {
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var out []corpus.Article
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var r struct{ ID, Title, Source, Body, Published string }
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			tb.Fatal(err)
		}
		pub, _ := time.Parse(corpus.DateLayout, r.Published)
		out = append(out, corpus.Article{ID: r.ID, Title: r.Title, Source: r.Source, Body: r.Body, Published: pub})
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}
