package evaluate

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/attache-bot/attache/corpus"
	"github.com/attache-bot/attache/corpus/lang"
	"github.com/attache-bot/attache/retrieval"
)

// timelineTopics are the topics whose timelines TestTimelineEval measures:
// general names of countries and organisations, chosen before looking at
// any timeline.
var timelineTopics = []string{
	"Iran", "China", "Russia", "Ukraine", "Syria", "Israel", "Mexico", "Afghanistan", "NATO", "North Korea",
}

// TestTimelineEval measures timelines on the eval corpus: for each topic,
// whether the entries are in date order, whether any two come from one
// story (the same story id, or the same article), and the share of entries
// whose cited article names the topic (every one of its terms) in its title
// or first paragraph. The first paragraph is the body's first blank-line
// separated block of at least 12 words (shorter blocks at the top are
// bylines and highlights); the share with the literal first block is
// reported too. It ingests the whole corpus, so it runs only when asked:
//
//	ATTACHE_EVAL=1 go test ./retrieval/evaluate -run TestTimelineEval -v -timeout 20m
func TestTimelineEval(t *testing.T) {
	if os.Getenv("ATTACHE_EVAL") != "1" {
		t.Skip("SKIPPED: the timeline evaluation ingests thousands of articles and takes minutes; set ATTACHE_EVAL=1 to run it")
	}
	ctx := context.Background()
	path := filepath.Join(evalDir(), "corpus.jsonl")
	imp, err := corpus.ImportFile(path, corpus.ImportOptions{Scope: corpus.SharedScope})
	if err != nil {
		t.Fatalf("eval corpus: %v", err)
	}
	lib, err := corpus.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer lib.Close()
	e, err := retrieval.New(ctx, lib, retrieval.Config{})
	if err != nil {
		t.Fatal(err)
	}
	arts := make([]corpus.Article, len(imp.Records))
	byID := map[string]corpus.Article{}
	var asOf time.Time
	for i, r := range imp.Records {
		arts[i] = r.Article
		if r.Article.Published.After(asOf) {
			asOf = r.Article.Published
		}
	}
	start := time.Now()
	if err := e.AddMany(ctx, arts, func(_ int, a corpus.Article, _ corpus.PutStatus, err error) {
		if err == nil {
			byID[a.ID] = a
		}
	}); err != nil {
		t.Fatal(err)
	}
	t.Logf("ingested %d articles in %.1f s; timelines as of %s", len(byID), time.Since(start).Seconds(), asOf.Format(corpus.DateLayout))

	var entries, onTopic, onTopicStrict, ordered, distinct, withStory int
	var took, searchTook []time.Duration
	for _, topic := range timelineTopics {
		// Baseline in the same run: one ordinary search of the topic.
		t0 := time.Now()
		if _, err := e.Search(ctx, retrieval.Query{Text: topic, AsOf: asOf}); err != nil {
			t.Fatalf("search %q: %v", topic, err)
		}
		searchTook = append(searchTook, time.Since(t0))
		t0 = time.Now()
		c, err := e.Timeline(ctx, retrieval.TimelineRequest{Topic: topic, AsOf: asOf})
		took = append(took, time.Since(t0))
		if err != nil {
			t.Fatalf("timeline %q: %v", topic, err)
		}
		if len(c.Entries) == 0 {
			t.Errorf("timeline %q: no entries: %s", topic, c.Text)
			continue
		}
		terms := lang.Terms(topic, nil)
		isOrdered, isDistinct := true, true
		seen := map[string]bool{}
		hits, strict := 0, 0
		for i, en := range c.Entries {
			if i > 0 && en.Date.Before(c.Entries[i-1].Date) {
				isOrdered = false
			}
			src := en.Sources[0]
			key := "article:" + src.ArticleID
			if en.StoryID != "" {
				key = en.StoryID
				withStory++
			}
			if seen[key] {
				isDistinct = false
			}
			seen[key] = true
			a := byID[src.ArticleID]
			title := termSet(a.Title)
			if containsAll(title, terms) || containsAll(termSet(firstParagraph(a.Body, 12)), terms) {
				hits++
			} else {
				t.Logf("  off topic %q: %s | %s", topic, a.Title, firstParagraph(a.Body, 12))
			}
			if containsAll(title, terms) || containsAll(termSet(firstParagraph(a.Body, 0)), terms) {
				strict++
			}
		}
		entries += len(c.Entries)
		onTopic += hits
		onTopicStrict += strict
		if isOrdered {
			ordered++
		}
		if isDistinct {
			distinct++
		}
		t.Logf("%-12s entries %2d  on topic %2d  ordered %v  distinct %v  %s..%s", topic, len(c.Entries), hits, isOrdered, isDistinct,
			c.Entries[0].Date.Format(corpus.DateLayout), c.Entries[len(c.Entries)-1].Date.Format(corpus.DateLayout))
	}
	slices.Sort(took)
	slices.Sort(searchTook)
	n := float64(len(timelineTopics))
	t.Logf("topics %d  entries %d  ordered %.2f  distinct %.2f  on_topic %.3f  on_topic_first_block %.3f  entries_with_story_id %d  timeline_ms_p50 %.0f  search_ms_p50 %.0f",
		len(timelineTopics), entries, float64(ordered)/n, float64(distinct)/n, float64(onTopic)/float64(entries),
		float64(onTopicStrict)/float64(entries), withStory, float64(took[len(took)/2].Microseconds())/1000,
		float64(searchTook[len(searchTook)/2].Microseconds())/1000)
	if ordered != len(timelineTopics) || distinct != len(timelineTopics) {
		t.Errorf("ordered %d, distinct %d of %d timelines: want all", ordered, distinct, len(timelineTopics))
	}
	if share := float64(onTopic) / float64(entries); share < 0.90 {
		t.Errorf("on topic %.3f, want >= 0.90", share)
	}
}

// termSet is the index terms of text.
func termSet(text string) map[string]bool {
	out := map[string]bool{}
	for _, t := range lang.Terms(text, nil) {
		out[t] = true
	}
	return out
}

func containsAll(set map[string]bool, terms []string) bool {
	for _, t := range terms {
		if !set[t] {
			return false
		}
	}
	return len(terms) > 0
}

// firstParagraph is body's first blank-line separated block of at least
// minWords words (the first block at all for 0), "" for none.
func firstParagraph(body string, minWords int) string {
	for _, p := range strings.Split(body, "\n\n") {
		if p = strings.TrimSpace(p); p != "" && len(strings.Fields(p)) >= minWords {
			return p
		}
	}
	return ""
}
