package story_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/attache-bot/attache/corpus/gazetteer"
	"github.com/attache-bot/attache/retrieval"
	"github.com/attache-bot/attache/retrieval/story"
	"github.com/attache-bot/attache/vector"
)

// TestEvalCorpusStories assigns the stories of a real corpus (a JSON-lines
// file named by ATTACHE_STORY_CORPUS, read where it lies) and, given
// ATTACHE_STORY_LABELS (lines "same|apart <id> <id> [reason]", checked by
// hand by reading the articles), scores the decisions against the labels.
// ATTACHE_STORY_DUMP names a file to write the multi-article stories to,
// for labelling. ATTACHE_STORY_NEAREST=k gives each article only the k
// nearest earlier articles (by vector) within the window, as an index
// query would, instead of all of the last 30 days; ATTACHE_STORY_FREQUENCY=off
// assigns without name frequencies (story.Counts). Without
// ATTACHE_STORY_CORPUS there is nothing to measure.
func TestEvalCorpusStories(t *testing.T) {
	path := os.Getenv("ATTACHE_STORY_CORPUS")
	if path == "" {
		t.Skip("set ATTACHE_STORY_CORPUS to a corpus.jsonl to measure stories on it")
	}
	type rec struct {
		ID, Title, Source, Body string
		Published               string
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var recs []rec
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var r rec
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		recs = append(recs, r)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	sort.SliceStable(recs, func(i, j int) bool { return recs[i].Published < recs[j].Published })
	emb := retrieval.NewLocalEmbedder()
	g := gazetteer.Default()
	var done []story.Member
	counts := story.NewCounts()
	opts := story.Options{Frequency: counts}
	if os.Getenv("ATTACHE_STORY_FREQUENCY") == "off" {
		opts.Frequency = nil
	}
	nearest := 0
	if v := os.Getenv("ATTACHE_STORY_NEAREST"); v != "" {
		if _, err := fmt.Sscan(v, &nearest); err != nil || nearest <= 0 {
			t.Fatalf("ATTACHE_STORY_NEAREST=%q: want a positive number of candidates", v)
		}
	}
	stories := make(map[string]string)
	byID := make(map[string]rec)
	start := time.Now()
	for _, r := range recs {
		byID[r.ID] = r
		pub, _ := time.Parse("2006-01-02", r.Published)
		v, err := emb.EmbedQuery(context.Background(), r.Title+"\n\n"+r.Body)
		if err != nil {
			t.Fatal(err)
		}
		var ents []string
		for _, m := range g.Recognize(r.Title, r.Body) {
			ents = append(ents, story.Entity(string(m.Kind), m.ID))
		}
		a := story.Article{ID: r.ID, Published: pub, Names: story.Names(r.Title, r.Body, ents...), Vector: v, Fingerprint: story.NewFingerprint(r.Body), Source: r.Source}
		// The candidates an index would give: earlier articles within the
		// window (all of them: an upper bound on what nearest-k returns).
		var cands []story.Member
		for i := len(done) - 1; i >= 0 && a.Published.Sub(done[i].Published) <= 30*24*time.Hour; i-- {
			cands = append(cands, done[i])
		}
		if nearest > 0 {
			cands = nearestCandidates(a, cands, nearest, story.Options{}.WithDefaults().Window)
		}
		d := story.Assign(a, cands, opts)
		stories[r.ID] = d.Story
		done = append(done, story.Member{Article: a, Story: d.Story, RoundUp: d.Reason == story.RoundUp, Start: d.Start})
		counts.Add(r.Source, a.Names)
	}
	groups := make(map[string][]string)
	for id, s := range stories {
		groups[s] = append(groups[s], id)
	}
	multi := 0
	var dump strings.Builder
	for s, ids := range groups {
		if len(ids) < 2 {
			continue
		}
		multi++
		sort.Strings(ids)
		fmt.Fprintf(&dump, "== %s (%d)\n", s, len(ids))
		for _, id := range ids {
			r := byID[id]
			fmt.Fprintf(&dump, "%s\t%s\t%s\t%s\n", id, r.Published, r.Source, r.Title)
		}
	}
	t.Logf("%d articles, %d stories, %d with more than one article, %s", len(recs), len(groups), multi, time.Since(start).Round(time.Millisecond))
	if p := os.Getenv("ATTACHE_STORY_DUMP"); p != "" {
		if err := os.WriteFile(p, []byte(dump.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if p := os.Getenv("ATTACHE_STORY_LABELS"); p != "" {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		// The labels are scored in two halves (odd and even label lines)
		// as well as in all, so that a change tuned on one half can be
		// checked on the other.
		var score [3]labelScore
		n := 0
		for _, line := range strings.Split(string(data), "\n") {
			f := strings.Fields(line)
			if len(f) < 3 || strings.HasPrefix(line, "#") {
				continue
			}
			a, b := stories[f[1]], stories[f[2]]
			if a == "" || b == "" {
				t.Errorf("label %q names an unknown article", line)
				continue
			}
			n++
			for _, s := range []*labelScore{&score[0], &score[2-n%2]} {
				s.add(f[0], a == b)
			}
			switch {
			case f[0] == "same" && a != b:
				t.Logf("missed: %s", line)
			case f[0] == "apart" && a == b:
				t.Logf("wrongly merged: %s", line)
			}
		}
		for i, name := range []string{"all labels", "odd labels", "even labels"} {
			t.Logf("%s: %s", name, score[i])
		}
	}
}

// labelScore counts labelled pairs by label and decision.
type labelScore struct{ same, sameMerged, apart, apartMerged int }

func (s *labelScore) add(label string, merged bool) {
	switch label {
	case "same":
		s.same++
		if merged {
			s.sameMerged++
		}
	case "apart":
		s.apart++
		if merged {
			s.apartMerged++
		}
	}
}

// String gives the merge precision (labelled pairs merged that are one
// event) and recall (same-event pairs merged).
func (s labelScore) String() string {
	merged := s.sameMerged + s.apartMerged
	return fmt.Sprintf("merge precision %d/%d = %.2f, same-event pairs merged %d/%d = %.2f, different-event pairs kept apart %d/%d",
		s.sameMerged, merged, float64(s.sameMerged)/float64(max(1, merged)), s.sameMerged, s.same, float64(s.sameMerged)/float64(max(1, s.same)), s.apart-s.apartMerged, s.apart)
}

// nearestCandidates keeps the k members within window of a that are
// nearest to it in vector space, ties broken by id.
func nearestCandidates(a story.Article, cands []story.Member, k int, window time.Duration) []story.Member {
	type scored struct {
		m   story.Member
		dot float64
	}
	var in []scored
	for _, c := range cands {
		if d := a.Published.Sub(c.Published); d > window || d < -window {
			continue
		}
		if len(c.Vector) != len(a.Vector) {
			continue
		}
		in = append(in, scored{c, vector.Vector(a.Vector).Dot(c.Vector)})
	}
	sort.Slice(in, func(i, j int) bool {
		if in[i].dot != in[j].dot {
			return in[i].dot > in[j].dot
		}
		return in[i].m.ID < in[j].m.ID
	})
	out := make([]story.Member, 0, k)
	for _, s := range in[:min(k, len(in))] {
		out = append(out, s.m)
	}
	return out
}
