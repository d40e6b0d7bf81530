package retrieval

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/attache-bot/attache/corpus"
	"github.com/attache-bot/attache/retrieval/disagree"
	"github.com/attache-bot/attache/retrieval/disagree/disagreetest"
)

// A generated corpus of invented events, each told by two outlets, for
// measuring what answers do with disagreements: in half of the stories
// the two reports give different figures for the fact the question asks
// about, in the other half the same figure (written differently). The
// questions ask about that fact.

// plantedKind is one kind of fact a planted story states.
type plantedKind struct {
	question string   // {E} is the event
	phrases  []string // {V} is the figure, {E} the event
	min, max int
	money    bool
}

var plantedKinds = []plantedKind{
	{"How many people were killed in the {E}?", []string{"At least {V} people were killed in the {E}, officials said.", "The {E} killed {V} people.", "The death toll from the {E} rose to {V} on Tuesday."}, 3, 900, false},
	{"How many people were injured in the {E}?", []string{"The {E} injured {V} people.", "Officials said {V} people were wounded in the {E}.", "Another {V} people were hurt in the {E}."}, 3, 900, false},
	{"How many people were arrested after the {E}?", []string{"Police arrested {V} people after the {E}.", "{V} protesters were detained after the {E}.", "Authorities said {V} people had been arrested after the {E}."}, 2, 400, false},
	{"How many people were evacuated after the {E}?", []string{"About {V} residents were evacuated after the {E}.", "The {E} displaced {V} people.", "{V} people fled their homes after the {E}."}, 100, 90000, false},
	{"How large is the settlement over the {E}?", []string{"The city agreed to a {V} settlement over the {E}.", "The settlement over the {E}, worth {V}, was approved.", "Lawyers said the settlement over the {E} totals {V}."}, 2, 90, true},
	{"How many homes did the {E} destroy?", []string{"The {E} destroyed {V} homes.", "{V} homes were lost in the {E}.", "Officials counted {V} homes destroyed by the {E}."}, 10, 5000, false},
}

// plantedHistory are sentences about an earlier event: a second figure of
// the asked kind in one report that the other does not repeat ({P} is
// the place, {H} a figure).
var plantedHistory = []string{
	"Last year, a similar disaster in {P} killed {H} people.",
	"In 2019, police arrested {H} people at a protest in {P}.",
	"A previous settlement in {P} paid ${H} million.",
	"A fire in {P} destroyed {H} homes in 2015.",
}

var plantedEvents = []string{"flood", "fire", "blast", "earthquake", "landslide", "storm", "riot", "collapse", "crash", "derailment"}

var plantedOutlets = []string{"Harbor Times", "Northern Ledger", "Coastal Wire", "Plains Herald", "Field Report", "Dorvast Daily"}

// plantedPlace invents a place name from syllables: unique per story.
func plantedPlace(r *rand.Rand, used map[string]bool) string {
	syl := []string{"kar", "vel", "os", "tam", "bri", "dun", "mer", "pol", "zan", "quil", "rho", "sen", "tav", "ul", "ny", "gor"}
	for {
		n := 2 + r.IntN(2)
		var b strings.Builder
		for range n {
			b.WriteString(syl[r.IntN(len(syl))])
		}
		name := strings.ToUpper(b.String()[:1]) + b.String()[1:]
		if !used[name] {
			used[name] = true
			return name
		}
	}
}

// plantedStory is one generated event and its two reports.
type plantedStory struct {
	question string
	differ   bool
	values   [2]float64 // the asked fact's value in each report
	outlets  [2]string
	articles [2]corpus.Article
}

// plantedStories generates n stories (every other one disagreeing), with
// story ids set as ingest would set them.
func plantedStories(seed uint64, n int) []plantedStory {
	r := rand.New(rand.NewPCG(seed, seed+1))
	used := map[string]bool{}
	base := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	var out []plantedStory
	for s := range n {
		place := plantedPlace(r, used)
		event := place + " " + plantedEvents[r.IntN(len(plantedEvents))]
		kinds := r.Perm(len(plantedKinds))[:2+r.IntN(2)] // the first is asked about
		values := make([]int, len(kinds))
		for i, k := range kinds {
			values[i] = plantedKinds[k].min + r.IntN(plantedKinds[k].max-plantedKinds[k].min)
		}
		other := append([]int(nil), values...)
		st := plantedStory{differ: s%2 == 0}
		if st.differ {
			k := plantedKinds[kinds[0]]
			for other[0] == values[0] || abs(other[0]-values[0])*10 <= max(other[0], values[0]) {
				other[0] = k.min + r.IntN(k.max-k.min)
			}
		}
		o := r.Perm(len(plantedOutlets))
		st.outlets = [2]string{plantedOutlets[o[0]], plantedOutlets[o[1]]}
		day := base.AddDate(0, 0, r.IntN(200))
		for side, vals := range [2][]int{values, other} {
			var sents []string
			for i, k := range kinds {
				kind := plantedKinds[k]
				p := kind.phrases[r.IntN(len(kind.phrases))]
				fig := disagreetest.Figure(r, vals[i], kind.money)
				if strings.HasPrefix(p, "{V}") {
					fig = strings.ToUpper(fig[:1]) + fig[1:]
				}
				sents = append(sents, strings.NewReplacer("{V}", fig, "{E}", event).Replace(p))
			}
			sents = append(sents, fmt.Sprintf("Rescue teams worked through the night in %s.", place),
				fmt.Sprintf("The %d-year-old mayor of %s spoke to reporters at 3 p.m.", 40+r.IntN(30), place))
			if r.IntN(3) == 0 {
				h := plantedHistory[r.IntN(len(plantedHistory))]
				sents = append(sents, strings.NewReplacer("{P}", place, "{H}", fmt.Sprint(2+r.IntN(40))).Replace(h))
			}
			r.Shuffle(len(sents)-1, func(i, j int) { sents[i+1], sents[j+1] = sents[j+1], sents[i+1] })
			v := float64(vals[0])
			if plantedKinds[kinds[0]].money {
				v *= 1e6
			}
			st.values[side] = v
			st.articles[side] = corpus.Article{
				ID: fmt.Sprintf("p%03d-%d", s, side), StoryID: fmt.Sprintf("story-%03d", s),
				Title: fmt.Sprintf("%s: what we know", event), Source: st.outlets[side],
				URL:       fmt.Sprintf("https://%s.example/%03d", strings.ToLower(strings.ReplaceAll(st.outlets[side], " ", "")), s),
				Published: day.AddDate(0, 0, r.IntN(3)), Body: strings.Join(sents, " "),
			}
		}
		st.question = strings.ReplaceAll(plantedKinds[kinds[0]].question, "{E}", event)
		out = append(out, st)
	}
	return out
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// plantedResult is what answers did on planted stories.
type plantedResult struct {
	planted, shown   int // disagreeing stories; answers giving both figures and both outlets
	agreeing, falseD int // agreeing stories; answers that report a disagreement
	misses           []string
}

// measurePlanted answers each story's question and checks the answer.
func measurePlanted(t testing.TB, e *Engine, stories []plantedStory, asOf time.Time) plantedResult {
	var res plantedResult
	for _, st := range stories {
		a, err := e.Answer(context.Background(), Request{Question: st.question, AsOf: asOf}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !st.differ {
			res.agreeing++
			if strings.Contains(a.Text, "Reports differ") {
				res.falseD++
				res.misses = append(res.misses, "false: "+st.question+" → "+a.Text)
			}
			continue
		}
		res.planted++
		has := func(v float64) bool {
			for _, x := range disagree.Figures(a.Text) {
				if x == v {
					return true
				}
			}
			return false
		}
		if has(st.values[0]) && has(st.values[1]) && strings.Contains(a.Text, st.outlets[0]) && strings.Contains(a.Text, st.outlets[1]) {
			res.shown++
		} else {
			res.misses = append(res.misses, fmt.Sprintf("missed %v: %s → %s", st.values, st.question, a.Text))
		}
	}
	return res
}

// TestPlantedDisagreementsInAnswers measures, on generated corpora of 80
// stories each (seeds 1 to 3), how many planted disagreements the
// extractive answer shows with both figures and both outlets (target ≥
// 0.90) and how many agreeing stories it reports as disagreeing (target
// ≤ 0.05).
func TestPlantedDisagreementsInAnswers(t *testing.T) {
	var all plantedResult
	for seed := uint64(1); seed <= 3; seed++ {
		stories := plantedStories(seed, 80)
		e, _ := newTestEngine(t, Config{Logger: quietLogger()})
		for _, st := range stories {
			mustAdd(t, e, st.articles[0], st.articles[1])
		}
		res := measurePlanted(t, e, stories, time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC))
		for i, m := range res.misses {
			if i < 3 {
				t.Logf("seed %d: %s", seed, m)
			}
		}
		t.Logf("seed %d: shown %d/%d, false %d/%d", seed, res.shown, res.planted, res.falseD, res.agreeing)
		all.shown += res.shown
		all.planted += res.planted
		all.falseD += res.falseD
		all.agreeing += res.agreeing
	}
	shown, falseRate := float64(all.shown)/float64(all.planted), float64(all.falseD)/float64(all.agreeing)
	t.Logf("planted disagreements shown with both figures and outlets: %d/%d = %.3f; agreeing stories shown as disagreeing: %d/%d = %.3f",
		all.shown, all.planted, shown, all.falseD, all.agreeing, falseRate)
	if shown < 0.90 {
		t.Errorf("shown %.3f of planted disagreements, want >= 0.90", shown)
	}
	if falseRate > 0.05 {
		t.Errorf("%.3f false disagreements, want <= 0.05", falseRate)
	}
}

// BenchmarkAnswerStories measures what stories add to an extractive
// answer (one article per story, the also lists, finding and showing
// disagreements, the outlet labels) on the generated corpus of 80
// stories: "stories" answers its questions with the story ids set,
// "no-stories" (the baseline, in the same run) with every article a
// story of its own. Reported as ms/answer.
func BenchmarkAnswerStories(b *testing.B) {
	stories := plantedStories(1, 80)
	for _, mode := range []string{"no-stories", "stories"} {
		b.Run(mode, func(b *testing.B) {
			e, _ := newTestEngine(b, Config{Logger: quietLogger()})
			for _, st := range stories {
				for _, a := range st.articles {
					if mode == "no-stories" {
						a.StoryID = ""
					}
					mustAdd(b, e, a)
				}
			}
			asOf := time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC)
			ctx := context.Background()
			b.ResetTimer()
			start, n := time.Now(), 0
			for b.Loop() {
				st := stories[n%len(stories)]
				if _, err := e.Answer(ctx, Request{Question: st.question, AsOf: asOf}, nil); err != nil {
					b.Fatal(err)
				}
				n++
			}
			b.ReportMetric(float64(time.Since(start).Microseconds())/1000/float64(n), "ms/answer")
		})
	}
}
