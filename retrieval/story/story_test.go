package story

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"
)

var day0 = time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC)

func art(id string, days int, body string, vec []float32) Article {
	return Article{ID: id, Published: day0.AddDate(0, 0, days), Names: Names("", body), Vector: vec, Fingerprint: NewFingerprint(body)}
}

const (
	quakeA = "An earthquake of magnitude 6.8 struck near Al Haouz on Friday, killing 2,012 people, Interior Ministry spokesman Rachid Benali said. Rescuers in Marrakesh searched the rubble."
	quakeB = "Rescuers in Marrakesh dug through rubble after the 6.8 quake near Al Haouz, which killed 2,012 people according to spokesman Rachid Benali."
	storm  = "A storm flooded parts of Valencia on Tuesday, and regional leader Carlos Mazon said 95 people had died across the province."
)

var (
	vQuake  = []float32{1, 0, 0}
	vQuake2 = []float32{0.9, 0.3, 0}
	vStorm  = []float32{0, 1, 0}
)

func TestAssignJoinsSameEvent(t *testing.T) {
	a := art("a", 0, quakeA, vQuake)
	b := art("b", 1, quakeB, vQuake2)
	sa := NewID(a)
	d := Assign(b, []Member{{Article: a, Story: sa}}, Options{})
	if d.Story != sa || d.Reason != SameNews || d.With != "a" {
		t.Fatalf("got %+v, want to join %s", d, sa)
	}
}

func TestAssignKeepsApartWhatDiffers(t *testing.T) {
	a := art("a", 0, quakeA, vQuake)
	cases := map[string]Article{
		"other event":      art("s", 0, storm, vStorm),
		"too late":         art("b", 9, quakeB, vQuake2),
		"far in vectors":   art("b", 1, quakeB, vStorm),
		"no date":          {ID: "b", Names: Names("", quakeB), Vector: vQuake2, Fingerprint: NewFingerprint(quakeB)},
		"other dimension":  art("b", 1, quakeB, []float32{1, 0}),
		"no names at all":  {ID: "b", Published: day0, Vector: vQuake},
		"same vector only": art("b", 1, "rescuers dug through rubble after the quake, officials said.", vQuake),
	}
	for name, b := range cases {
		if d := Assign(b, []Member{{Article: a, Story: NewID(a)}}, Options{}); d.Reason != NewStory || d.Story != NewID(b) {
			t.Errorf("%s: got %+v, want a new story", name, d)
		}
	}
}

func TestAssignWireTextAlwaysJoins(t *testing.T) {
	a := art("a", 0, quakeA+" "+storm, vQuake)
	// The same text under a new intro, weeks later and with no vector.
	b := Article{ID: "b", Published: day0.AddDate(0, 1, 0), Fingerprint: NewFingerprint("(Reuters) Update. " + quakeA + " " + storm)}
	d := Assign(b, []Member{{Article: a, Story: "st-x"}}, Options{})
	if d.Story != "st-x" || d.Reason != SameWire {
		t.Fatalf("got %+v, want the wire copy to join st-x", d)
	}
}

func TestAssignIsDeterministic(t *testing.T) {
	a1 := art("a1", 0, quakeA, vQuake)
	a2 := art("a2", 0, quakeA, vQuake)
	b := art("b", 1, quakeB, vQuake2)
	cands := []Member{{Article: a1, Story: "st-1"}, {Article: a2, Story: "st-2"}, {Article: art("s", 0, storm, vStorm), Story: "st-3"}}
	want := Assign(b, cands, Options{})
	for i := 0; i < 6; i++ {
		slices.Reverse(cands)
		if i%2 == 0 {
			cands[0], cands[1] = cands[1], cands[0]
		}
		if got := Assign(b, cands, Options{}); got != want {
			t.Fatalf("order %d: got %+v, want %+v", i, got, want)
		}
	}
	if want.Story != "st-1" {
		t.Errorf("tie broken to %s, want the lower candidate id's story st-1", want.Story)
	}
}

func TestRemovingAMemberLeavesTheStory(t *testing.T) {
	a := art("a", 0, quakeA, vQuake)
	b := art("b", 1, quakeB, vQuake2)
	s := NewID(a)
	mb := Member{Article: b, Story: Assign(b, []Member{{Article: a, Story: s}}, Options{}).Story}
	// The founder is removed: b keeps its stored story, and a later report
	// joins it through b.
	c := art("c", 2, "Spokesman Rachid Benali said the toll from the 6.8 quake near Al Haouz rose to 2,012.", vQuake)
	if d := Assign(c, []Member{mb}, Options{}); d.Story != s {
		t.Fatalf("after removal: got %+v, want %s", d, s)
	}
	// The founder coming back with other text does not take the old id.
	a2 := art("a", 0, quakeA+" Updated with new figures.", vQuake)
	if NewID(a2) == s {
		t.Errorf("a re-added founder with new text reuses the story id %s", s)
	}
}

func TestCandidateNamesCommonToTheBeatWeighLess(t *testing.T) {
	// Three other stories near in time and vectors also name the White
	// House and the Supreme Court: sharing them says little.
	common := "The White House and the Supreme Court, said Karine Jean-Pierre."
	a := art("a", 0, common+" Judge Ana Ruiz ruled in Denver.", vQuake)
	b := art("b", 1, common+" Lawyers argued in Boston before Judge Tom Hale.", vQuake2)
	var cands []Member
	for i := range 3 {
		o := art(fmt.Sprint("o", i), 0, common+fmt.Sprintf(" Case %d in city %d.", 100+i, i), vQuake)
		cands = append(cands, Member{Article: o, Story: fmt.Sprint("st-o", i)})
	}
	alone := Assign(b, []Member{{Article: a, Story: "st-a"}}, Options{})
	crowd := Assign(b, append(cands, Member{Article: a, Story: "st-a"}), Options{})
	if alone.Story != "st-a" {
		t.Fatalf("alone: %+v; the test needs the common names to join on their own", alone)
	}
	if crowd.Story == "st-a" || strings.HasPrefix(crowd.Story, "st-o") {
		t.Errorf("with the beat's other stories: %+v, want a new story", crowd)
	}
}

func TestAssignFrom(t *testing.T) {
	a := art("a", 0, quakeA, vQuake)
	src := candidatesFunc(func(Article) ([]Member, error) { return []Member{{Article: a, Story: "st-a"}}, nil })
	d, err := AssignFrom(src, art("b", 1, quakeB, vQuake2), Options{})
	if err != nil || d.Story != "st-a" {
		t.Fatalf("got %+v, %v", d, err)
	}
	failing := candidatesFunc(func(Article) ([]Member, error) { return nil, fmt.Errorf("index closed") })
	if _, err := AssignFrom(failing, a, Options{}); err == nil {
		t.Fatal("AssignFrom hid the candidates' error")
	}
}

type candidatesFunc func(Article) ([]Member, error)

func (f candidatesFunc) Candidates(a Article) ([]Member, error) { return f(a) }

func TestAssignIgnoresItselfAndUnassigned(t *testing.T) {
	a := art("a", 0, quakeA, vQuake)
	if d := Assign(a, []Member{{Article: a, Story: "st-old"}, {Article: art("b", 0, quakeB, vQuake2)}}, Options{}); d.Reason != NewStory {
		t.Fatalf("got %+v", d)
	}
}

func TestNames(t *testing.T) {
	got := Names("Quake Kills Thousands In Morocco",
		"Rescuers searched on Friday. The quake near Al Haouz killed 2,012 people, spokesman Rachid Benali said. Benali spoke in Marrakesh. It cost $3.5 billion and 40m dirhams in 2023, with 7 aftershocks.",
		Entity("country", "MA"))
	for _, want := range []string{"p:al haouz", "n:haouz", "p:rachid benali", "n:benali", "n:marrakesh", "f:2012", "f:3.5", "f:40", "f:2023", "e:country:MA"} {
		if !slices.Contains(got, want) {
			t.Errorf("missing %s in %v", want, got)
		}
	}
	for _, not := range []string{"n:rescuers", "n:the", "n:friday", "n:quake", "n:kills", "n:thousands", "n:it", "f:7", "p:quake kills thousands in morocco"} {
		if slices.Contains(got, not) {
			t.Errorf("%s should not be a name: %v", not, got)
		}
	}
}

func TestNamesHostileInput(t *testing.T) {
	for name, body := range map[string]string{
		"empty":        "",
		"not utf8":     "Rachid \xff\xfe Benali said \xff.",
		"only numbers": "12. 15. 1,000. 3.5. 44. 2,012.",
		"huge":         strings.Repeat("Alpha Beta Gamma Delta 12345 ", 100000),
		"punctuation":  strings.Repeat(".,;:!? ", 1000),
		"many names":   strings.Repeat("x ", 10) + strings.Repeat("Zed ", 10),
	} {
		got := Names(name, body)
		if len(got) > MaxNames {
			t.Errorf("%s: %d names, more than %d", name, len(got), MaxNames)
		}
		if name == "only numbers" && len(got) != 6 {
			t.Errorf("only numbers: got %v", got)
		}
	}
}

func TestFingerprint(t *testing.T) {
	if NewFingerprint("too few words here") != nil {
		t.Error("a four-word text has a fingerprint")
	}
	a := NewFingerprint(quakeA + " " + storm)
	if s := a.Similarity(NewFingerprint(quakeA + " " + storm)); s != 1 {
		t.Errorf("identical texts: %.2f", s)
	}
	if s := a.Similarity(NewFingerprint("Breaking: " + quakeA + " " + storm + " Subscribe to our newsletter.")); s < 0.6 {
		t.Errorf("wire copy with furniture: %.2f, want >= 0.6", s)
	}
	if s := a.Similarity(NewFingerprint(quakeB)); s > 0.2 {
		t.Errorf("independent reports: %.2f, want <= 0.2", s)
	}
	if s := a.Similarity(nil); s != 0 {
		t.Errorf("against nil: %.2f", s)
	}
}

func TestRoundUpStartsItsOwnStoryAndIsNotJoined(t *testing.T) {
	bodies := []string{
		"Judge Ana Ruiz sentenced Tomas Vell to 14 years in Denver on Monday.",
		"Floods in Port Calder killed 312 people, mayor Ines Okoro said.",
		"Senator Dale Brisk won 5,120 votes in the Marlow primary.",
	}
	var cands []Member
	roundup := ""
	for i, b := range bodies {
		cands = append(cands, Member{Article: art(fmt.Sprint("e", i), 0, b, vQuake), Story: fmt.Sprint("st-e", i)})
		roundup += b + " "
	}
	r := art("r", 1, roundup, vQuake)
	d := Assign(r, cands, Options{MinOverlap: 0.01})
	if d.Reason != RoundUp || d.Story != NewID(r) {
		t.Fatalf("round-up: got %+v, want a story of its own", d)
	}
	// A later report of the first event joins the event, not the round-up.
	later := art("l", 2, bodies[0]+" Lawyers for Tomas Vell said they would appeal.", vQuake)
	got := Assign(later, []Member{{Article: r, Story: d.Story, RoundUp: true}}, Options{MinOverlap: 0.01})
	if got.Story == d.Story {
		t.Errorf("a report joined the round-up: %+v", got)
	}
	if plain := Assign(later, []Member{{Article: r, Story: d.Story}}, Options{MinOverlap: 0.01}); plain.Story != d.Story {
		t.Fatalf("without the round-up mark the report would not join either (%+v): the test proves nothing", plain)
	}
}

func TestNamesSharedOnlyLateDoNotJoin(t *testing.T) {
	report := art("a", 0, quakeA, vQuake)
	// Two other stories first, then the quake in a sentence: a round-up
	// that matches one story only.
	roundup := art("r", 1, "Senator Dale Brisk won 5,120 votes in the Marlow primary. Judge Ana Ruiz sentenced Tomas Vell to 14 years in Denver. "+
		"Floods hit Port Calder, mayor Ines Okoro said, and the Harlow Bridge closed for 240 days. "+quakeA, vQuake)
	if d := Assign(roundup, []Member{{Article: report, Story: "st-a"}}, Options{MinOverlap: 0.01}); d.Story == "st-a" {
		t.Errorf("an article naming the story only after others joined it: %+v", d)
	}
	// The same sentence first, other news after: a report that goes on.
	lead := art("l", 1, quakeA+" Senator Dale Brisk won 5,120 votes in the Marlow primary. Judge Ana Ruiz sentenced Tomas Vell to 14 years in Denver.", vQuake)
	if d := Assign(lead, []Member{{Article: report, Story: "st-a"}}, Options{MinOverlap: 0.01}); d.Story != "st-a" {
		t.Errorf("a report leading with the story did not join it: %+v", d)
	}
}

func TestStoryWindowCountsFromItsStart(t *testing.T) {
	// Three days apart each, every report within the window of the one
	// before it: without the story's start they chain into one story.
	a := art("a", 0, quakeA, vQuake)
	first := Assign(a, nil, Options{})
	if !first.Start.Equal(a.Published) {
		t.Fatalf("a new story starts at %v, want its founder's date %v", first.Start, a.Published)
	}
	b := art("b", 3, quakeB, vQuake2)
	db := Assign(b, []Member{{Article: a, Story: first.Story, Start: first.Start}}, Options{MinOverlap: 0.01})
	if db.Story != first.Story || !db.Start.Equal(a.Published) {
		t.Fatalf("b: got %+v, want to join %s started %v", db, first.Story, a.Published)
	}
	c := art("c", 6, "Spokesman Rachid Benali said the toll from the 6.8 quake near Al Haouz rose to 2,012.", vQuake)
	mb := Member{Article: b, Story: db.Story, Start: db.Start}
	if d := Assign(c, []Member{mb}, Options{MinOverlap: 0.01}); d.Story == first.Story {
		t.Errorf("a report six days after the story's start joined it through a member three days before: %+v", d)
	}
	// A member stored without a start stands for its own date.
	mb.Start = time.Time{}
	if d := Assign(c, []Member{mb}, Options{MinOverlap: 0.01}); d.Story != first.Story || !d.Start.Equal(b.Published) {
		t.Errorf("without a stored start: got %+v, want to join %s from %v", d, first.Story, b.Published)
	}
	// A report dated before the story's start moves the start back.
	early := art("e", -1, quakeB, vQuake2)
	if d := Assign(early, []Member{{Article: a, Story: first.Story, Start: first.Start}}, Options{}); d.Story != first.Story || !d.Start.Equal(early.Published) {
		t.Errorf("an earlier report: got %+v, want to join %s from %v", d, first.Story, early.Published)
	}
}

func TestJoinsNeedMoreOverlapLater(t *testing.T) {
	a := art("a", 0, quakeA, vQuake)
	b := art("b", 1, quakeB, vQuake2)
	o := Options{Frequency: NewCounts()}.WithDefaults()
	rare := o.rarity("")
	total := totalWeight(b.Names, rare)
	overlap := sharedWeight(nameSet(b.Names), nil, a.Names, rare) / math.Sqrt(total*totalWeight(a.Names, rare))
	shared := sharedWeight(nameSet(b.Names), nil, a.Names, rare)
	if !o.joins(shared, overlap, 0, 0) {
		t.Fatalf("the pair (shared %.1f, overlap %.2f) does not join on the first day: the test proves nothing", shared, overlap)
	}
	if late := (overlap/o.MinOverlap - 1) / lateOverlap; o.joins(shared, overlap, 0, late+0.1) {
		t.Errorf("shared %.1f at overlap %.2f still joins %.1f days on", shared, overlap, late+1.1)
	}
}

func TestCloseVectorsJoinOnFewerNamesWithFrequencies(t *testing.T) {
	o := Options{}.WithDefaults()
	shared, overlap := 0.6*o.MinShared, 0.6*o.MinOverlap
	if o.joins(shared, overlap, 0.9, 0) {
		t.Error("without frequencies a few names joined on close vectors")
	}
	o.Frequency = NewCounts()
	if !o.joins(shared, overlap, o.CloseCosine, 0) {
		t.Error("with frequencies close vectors and a few names did not join")
	}
	if o.joins(shared, overlap, o.CloseCosine-0.01, 0) {
		t.Error("vectors below CloseCosine joined on a few names")
	}
}

func TestFrequencyWeighsFurnitureLittle(t *testing.T) {
	// An outlet's every page carries its furniture: "Your Vote" and a
	// dateline. Two of its reports on different events share only that.
	furniture := "Your Vote guide from Carlow Courier, text COURIER to 5055."
	counts := NewCounts()
	for i := range minCountedDocs {
		counts.Add("Courier", Names("", fmt.Sprintf("%s Item %d about Person%d Place%d.", furniture, 100+i, i, i)))
	}
	a := art("a", 0, furniture+" "+quakeA, vQuake)
	b := art("b", 0, furniture+" "+storm, vQuake)
	a.Source, b.Source = "Courier", "Courier"
	cands := []Member{{Article: a, Story: "st-a"}}
	if d := Assign(b, cands, Options{MinOverlap: 0.01}); d.Story != "st-a" {
		t.Fatalf("without frequencies: %+v; the test needs the furniture to join on its own", d)
	}
	if d := Assign(b, cands, Options{MinOverlap: 0.01, Frequency: counts}); d.Reason != NewStory {
		t.Errorf("with the outlet's frequencies the furniture joined: %+v", d)
	}
	// Another outlet's reports of one event still join.
	c := art("c", 1, quakeB, vQuake2)
	c.Source = "Other"
	if d := Assign(c, cands, Options{Frequency: counts}); d.Story != "st-a" {
		t.Errorf("a report of the same event with frequencies: %+v", d)
	}
}

func TestCounts(t *testing.T) {
	c := NewCounts()
	names := []string{"n:alpha", "n:beta"}
	for range minCountedDocs - 1 {
		c.Add("Courier", names)
	}
	if s := c.Share("Courier", "n:alpha"); s != 0 {
		t.Errorf("share %.2f before %d articles are counted, want 0", s, minCountedDocs)
	}
	c.Add("Courier", []string{"n:alpha", "n:alpha"}) // a duplicate counts once
	if s := c.Share("Courier", "n:alpha"); s != 1 {
		t.Errorf("alpha in every article: share %.2f, want 1", s)
	}
	for range minCountedDocs {
		c.Add("Herald", []string{"n:gamma"})
	}
	if s := c.Share("", "n:alpha"); s != 0.5 {
		t.Errorf("alpha in half of all articles: %.2f", s)
	}
	if s := c.Share("Courier", "n:alpha"); s != 1 {
		t.Errorf("alpha is Courier's furniture: share %.2f, want its share among Courier's 1", s)
	}
	if s := c.Share("Unknown", "n:beta"); s < 0.49 || s > 0.5 {
		t.Errorf("beta for an outlet never counted: %.2f, want its share among all", s)
	}
	for range minCountedDocs {
		c.Remove("Courier", names)
	}
	if s := c.Share("Courier", "n:alpha"); s != 0 {
		t.Errorf("after removing Courier's articles: %.2f", s)
	}
	c.Remove("Nobody", nil) // removing what was never added does not panic
	c.Add("", nil)
	if o := (Options{Frequency: c}); o.rarity("")("n:never") != 1 {
		t.Error("a name never counted does not weigh in full")
	}
}

func TestNamesReadTheLead(t *testing.T) {
	body := quakeA + " " + strings.Repeat("rescuers kept digging through the night. ", leadBytes/40) + "Later the Harlow Bridge closed."
	got := Names("", body)
	if !slices.Contains(got, "p:rachid benali") {
		t.Errorf("the lead's names are missing: %v", got)
	}
	if slices.Contains(got, "p:harlow bridge") {
		t.Errorf("a name past the lead was taken: %v", got)
	}
}

// shares is a Frequency that gives every name the same share.
type shares float64

func (s shares) Share(string, string) float64 { return float64(s) }

func TestHostileFrequency(t *testing.T) {
	a := art("a", 0, quakeA, vQuake)
	b := art("b", 1, quakeB, vQuake2)
	for _, s := range []float64{math.NaN(), -1, math.Inf(-1), 0} {
		if d := Assign(b, []Member{{Article: a, Story: "st-a"}}, Options{Frequency: shares(s)}); d.Story != "st-a" {
			t.Errorf("share %v: got %+v, want the names weighed in full and b to join", s, d)
		}
	}
	for _, s := range []float64{1, 2, math.Inf(1)} {
		if d := Assign(b, []Member{{Article: a, Story: "st-a"}}, Options{Frequency: shares(s)}); d.Reason != NewStory {
			t.Errorf("share %v: got %+v, want names every article carries to join nothing", s, d)
		}
	}
	c := NewCounts()
	c.Remove("Courier", []string{"n:alpha"})
	for range minCountedDocs {
		c.Add("Courier", []string{"n:alpha"})
	}
	if s := c.Share("Courier", "n:alpha"); s != 1 {
		t.Errorf("a removal before any addition changed the counts: share %.2f, want 1", s)
	}
}

// TestTwoStoriesOnDifferentNamesMakeARoundUp: an article matching two
// stories on disjoint names reports neither alone; one matching two
// stories of one event (not yet merged) on the event's names joins.
func TestTwoStoriesOnDifferentNamesMakeARoundUp(t *testing.T) {
	judge := "Judge Ana Ruiz sentenced Tomas Vell to 14 years in Denver on Monday."
	floods := "Floods in Port Calder killed 312 people, mayor Ines Okoro said."
	cands := []Member{
		{Article: art("e0", 0, judge, vQuake), Story: "st-judge"},
		{Article: art("e1", 0, floods, vQuake), Story: "st-floods"},
	}
	r := art("r", 1, "In Port Calder the toll of the floods reached 312, mayor Ines Okoro said. In Denver, Judge Ana Ruiz gave Tomas Vell 14 years.", vQuake)
	if d := Assign(r, cands, Options{MinOverlap: 0.01}); d.Reason != RoundUp || d.Story != NewID(r) {
		t.Fatalf("an article matching two stories on different names: %+v, want a round-up", d)
	}
	// Two stories of the flood, both matched on its names: a report.
	cands[0] = Member{Article: art("e2", 0, "Mayor Ines Okoro said floods in Port Calder had killed 312 people.", vQuake), Story: "st-floods-2"}
	rep := art("f", 1, "Rescuers in Port Calder searched for survivors of the floods, which killed 312 people, mayor Ines Okoro said.", vQuake)
	if d := Assign(rep, cands, Options{MinOverlap: 0.01}); d.Reason != SameNews {
		t.Fatalf("a report matching two unmerged stories of its event: %+v, want it to join one", d)
	}
	// Matched on one story only, the same two sentences join it: the
	// round-up is told by the second story.
	if d := Assign(r, cands[1:], Options{MinOverlap: 0.01}); d.Reason != SameNews {
		t.Fatalf("against the flood story alone: %+v, want a join (the test proves nothing otherwise)", d)
	}
}
