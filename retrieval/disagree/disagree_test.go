package disagree

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/attache-bot/attache/retrieval/disagree/disagreetest"
)

func TestFindDeathToll(t *testing.T) {
	ds := Find([]Passage{
		{ArticleID: "a1", Source: "CNN", Text: "At least 12 people were killed in the blast on Monday, officials said. The 45-year-old mayor spoke at 3 p.m."},
		{ArticleID: "a2", Source: "USA Today", Text: "The explosion killed 15 people, police said. In 2019 a similar attack hit the city."},
	})
	if len(ds) != 1 {
		t.Fatalf("got %+v, want one disagreement", ds)
	}
	d := ds[0]
	if d.Fact != "deaths" || d.A.Source != "CNN" || d.A.Figure != "12" || d.B.Source != "USA Today" || d.B.Figure != "15" {
		t.Errorf("got %+v", d)
	}
	if !strings.Contains(d.A.Sentence, "12 people") || d.B.ArticleID != "a2" {
		t.Errorf("claims do not carry their sentence and article: %+v", d)
	}
}

func TestFindAgreementIsNotDisagreement(t *testing.T) {
	for name, pair := range map[string][2]string{
		"formats":        {"The storm destroyed 1,200 homes.", "Some 1200 homes were destroyed by the storm."},
		"scale words":    {"The city agreed to a $1.2 million settlement.", "The settlement is worth $1,200,000, the city said."},
		"number words":   {"Twelve people died in the crash.", "The crash killed 12 people."},
		"hedged":         {"About 1,000 people were evacuated.", "Officials evacuated 1,050 people."},
		"other facts":    {"Police arrested 30 people.", "Thirty were arrested and 40 were injured."},
		"two figures":    {"The quake killed 2,012 people; a 2004 quake killed 600.", "The death toll rose to 2,012, officials said."},
		"vote pair":      {"The Senate passed the bill 52-48.", "Senators voted 52-48 to pass it."},
		"distractors":    {"The 45-year-old suspect was held on March 5 at 3 p.m. in 2019.", "The 46-year-old was held on March 6 at 4 p.m. in 2020."},
		"not countable":  {"Dozens were hurt.", "Hundreds were hurt."},
		"rank":           {"Cancer is the #2 cause of death.", "Heart disease kills 700,000 people a year."},
		"currencies":     {"The car will cost £275,000.", "The car will cost $350,000."},
		"ages":           {"He died at the age of 67 on Friday.", "The attack killed one man, aged 70."},
		"parts of a sum": {"The city will pay a $26 million settlement.", "The city agreed to pay $26 million; the state adds $10 million, a total $36 million."},
	} {
		ds := Find([]Passage{{Source: "A", Text: pair[0]}, {Source: "B", Text: pair[1]}})
		if len(ds) != 0 {
			t.Errorf("%s: false disagreement %+v", name, ds)
		}
	}
}

func TestFindKinds(t *testing.T) {
	for name, c := range map[string]struct {
		a, b, fact string
	}{
		"money":   {"The city will pay a $26 million settlement.", "The settlement is $36 million.", "money: settlement"},
		"votes":   {"The House voted 218-212 to pass the bill.", "The bill passed on a 220-210 vote.", "votes"},
		"percent": {"Turnout was 61 percent.", "Turnout reached 64%.", "percent: turnout"},
		"count":   {"The fire destroyed 300 homes.", "The fire destroyed 450 homes.", "count: home"},
		"injured": {"Forty people were injured.", "The attack injured 52 people.", "injuries"},
	} {
		ds := Find([]Passage{{Source: "A", Text: c.a}, {Source: "B", Text: c.b}})
		if len(ds) != 1 || ds[0].Fact != c.fact {
			t.Errorf("%s: got %+v, want one %q disagreement", name, ds, c.fact)
		}
	}
}

func TestFindSameOutletNeverDisagrees(t *testing.T) {
	ds := Find([]Passage{
		{ArticleID: "a1", Source: "CNN", Text: "The blast killed 12 people."},
		{ArticleID: "a2", Source: "CNN", Text: "The toll rose: 15 people were killed."},
	})
	if len(ds) != 0 {
		t.Errorf("got %+v", ds)
	}
}

func TestFindHostileInput(t *testing.T) {
	numbers := strings.Repeat("12. 15. 1,000. 3.5. 2,012. $4. 7%. ", 50)
	cases := map[string][]Passage{
		"nothing":                 nil,
		"empty":                   {{Source: "A"}, {Source: "B"}},
		"every sentence a number": {{Source: "A", Text: numbers}, {Source: "B", Text: strings.ReplaceAll(numbers, "12", "13")}},
		"not utf8":                {{Source: "A", Text: "\xff killed 12 \xfe people."}, {Source: "B", Text: "killed \xff 15 people"}},
		"huge":                    {{Source: "A", Text: strings.Repeat("The blast killed 12 people. ", 100000)}, {Source: "B", Text: strings.Repeat("It killed 15 people. ", 100000)}},
		"huge number":             {{Source: "A", Text: "It killed " + strings.Repeat("9", 400) + " people."}, {Source: "B", Text: "It killed 1e999 people."}},
		"many outlets":            manyOutlets(200),
	}
	for name, ps := range cases {
		ds := Find(ps)
		if len(ds) > MaxDisagreements {
			t.Errorf("%s: %d disagreements, more than %d", name, len(ds), MaxDisagreements)
		}
		if name == "every sentence a number" && len(ds) != 0 {
			t.Errorf("%s: bare numbers state no fact, got %+v", name, ds)
		}
	}
}

func manyOutlets(n int) []Passage {
	var ps []Passage
	for i := range n {
		ps = append(ps, Passage{Source: fmt.Sprint("outlet", i), Text: fmt.Sprintf("The blast killed %d people.", 10+i)})
	}
	return ps
}

// plantedFact is one fact of a generated story, phrased in several ways.
type plantedFact struct {
	fact    string
	phrases []string // {V} is the figure
	min     int
	max     int
	money   bool
}

var plantedFacts = []plantedFact{
	{"deaths", []string{"At least {V} people were killed, officials said.", "The attack killed {V} people.", "The death toll rose to {V} on Tuesday.", "{V} people died, according to the health ministry.", "Rescuers said {V} were dead."}, 3, 900, false},
	{"injuries", []string{"Another {V} people were injured.", "Officials said {V} were wounded.", "The blast injured {V} others."}, 3, 900, false},
	{"arrests", []string{"Police arrested {V} people.", "{V} protesters were detained.", "Authorities said {V} had been arrested."}, 2, 400, false},
	{"displaced", []string{"About {V} residents were evacuated.", "The flooding displaced {V} people.", "{V} people fled their homes."}, 100, 90000, false},
	{"money: settlement", []string{"The city agreed to a {V} settlement.", "The settlement, worth {V}, was approved.", "Lawyers said the settlement totals {V}."}, 1, 90, true},
	{"count: home", []string{"The fire destroyed {V} homes.", "{V} homes were lost in the fire.", "Officials counted {V} destroyed homes."}, 10, 5000, false},
}

// history are sentences about an earlier event of the same kind: a second
// figure for the fact that the other outlet does not repeat.
var history = []string{
	"Last year, a similar attack killed 7 people.",
	"In 2015, a fire destroyed 40 homes in the same valley.",
	"A previous settlement paid $2 million.",
	"Two years ago police arrested 5 people at a protest there.",
}

var distractors = []string{
	"The 45-year-old governor spoke at 3 p.m. on March 5.",
	"A similar disaster in 2019 was the worst in decades.",
	"The meeting lasted 3 hours.",
	"Officials said the investigation would take weeks.",
	"It was the No. 2 story of the day.",
}

func plantedText(r *rand.Rand, facts []int, values []int) string {
	var sents []string
	for k, fi := range facts {
		f := plantedFacts[fi]
		p := f.phrases[r.IntN(len(f.phrases))]
		fig := disagreetest.Figure(r, values[k], f.money)
		if strings.HasPrefix(p, "{V}") {
			fig = strings.ToUpper(fig[:1]) + fig[1:]
		}
		sents = append(sents, strings.Replace(p, "{V}", fig, 1))
		if r.IntN(2) == 0 {
			sents = append(sents, distractors[r.IntN(len(distractors))])
		}
	}
	if r.IntN(3) == 0 {
		sents = append(sents, history[r.IntN(len(history))])
	}
	r.Shuffle(len(sents), func(i, j int) { sents[i], sents[j] = sents[j], sents[i] })
	return strings.Join(sents, " ")
}

// TestPlantedDisagreements generates stories told by two outlets with two
// to four facts each. In half of them one fact's figure differs; the test
// measures how many of those are found with both figures and both outlets,
// and how often an agreeing story is reported as disagreeing.
func TestPlantedDisagreements(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	const stories = 400
	var planted, found, agreeing, falsePos int
	for s := range stories {
		facts := r.Perm(len(plantedFacts))[:2+r.IntN(3)]
		values := make([]int, len(facts))
		for k, fi := range facts {
			f := plantedFacts[fi]
			values[k] = f.min + r.IntN(f.max-f.min)
		}
		other := append([]int(nil), values...)
		differ := s%2 == 0
		which := r.IntN(len(facts))
		if differ {
			f := plantedFacts[facts[which]]
			for other[which] == values[which] || float64(abs(other[which]-values[which])) <= 0.1*float64(max(other[which], values[which])) {
				other[which] = f.min + r.IntN(f.max-f.min)
			}
		}
		ps := []Passage{
			{ArticleID: fmt.Sprint(s, "a"), Source: "Outlet A", Text: plantedText(r, facts, values)},
			{ArticleID: fmt.Sprint(s, "b"), Source: "Outlet B", Text: plantedText(r, facts, other)},
		}
		ds := Find(ps)
		if !differ {
			agreeing++
			if len(ds) > 0 {
				falsePos++
				if falsePos <= 3 {
					t.Logf("false disagreement: %+v\n  A: %s\n  B: %s", ds, ps[0].Text, ps[1].Text)
				}
			}
			continue
		}
		planted++
		want := plantedFacts[facts[which]]
		ok := false
		for _, d := range ds {
			scale := 1.0
			if want.money {
				scale = 1e6
			}
			if d.Fact == want.fact && d.A.Source == "Outlet A" && d.B.Source == "Outlet B" &&
				d.A.Value == float64(values[which])*scale && d.B.Value == float64(other[which])*scale {
				ok = true
			}
		}
		if ok {
			found++
		} else if planted-found <= 3 {
			t.Logf("missed %s %d vs %d: %+v\n  A: %s\n  B: %s", want.fact, values[which], other[which], ds, ps[0].Text, ps[1].Text)
		}
	}
	recall := float64(found) / float64(planted)
	fpr := float64(falsePos) / float64(agreeing)
	t.Logf("planted disagreements found with both figures and outlets: %d/%d = %.3f; false disagreements on agreeing stories: %d/%d = %.3f", found, planted, recall, falsePos, agreeing, fpr)
	if recall < 0.90 {
		t.Errorf("found %.3f of planted disagreements, want >= 0.90", recall)
	}
	if fpr > 0.05 {
		t.Errorf("%.3f false disagreements, want <= 0.05", fpr)
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
