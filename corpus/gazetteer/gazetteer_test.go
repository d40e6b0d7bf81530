package gazetteer

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func ids(ms []Mention) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.ID)
	}
	return out
}

func TestEmbeddedDataParses(t *testing.T) {
	g := Default()
	countries := g.Entities(Country)
	// 193 UN members, 2 observers and the common non-members.
	if len(countries) < 195 {
		t.Fatalf("%d countries, want at least 195", len(countries))
	}
	for _, id := range []string{"UN", "NATO", "EU", "AU", "ASEAN", "OPEC", "G7", "G20", "IAEA", "WHO", "IMF", "ICC", "WTO"} {
		if _, ok := g.ByID(Organisation, id); !ok {
			t.Errorf("organisation %s missing", id)
		}
	}
	seen := map[string]bool{}
	for _, c := range countries {
		if len(c.ID) != 2 || len(c.Alpha3) != 3 || strings.ToUpper(c.ID) != c.ID {
			t.Errorf("%s: bad codes %q %q", c.Name, c.ID, c.Alpha3)
		}
		if seen[c.Alpha3] {
			t.Errorf("duplicate alpha-3 %s", c.Alpha3)
		}
		seen[c.Alpha3] = true
	}
}

func TestParseRejectsMalformedData(t *testing.T) {
	for name, data := range map[string]string{
		"empty":        "",
		"only comment": "# nothing\n",
		"few fields":   "country\tGB\tGBR\tUnited Kingdom\n",
		"bad kind":     "planet\tMA\tMAR\tMars\t-\t-\t-\n",
		"empty id":     "country\t-\tGBR\tUnited Kingdom\t-\t-\t-\n",
		"no words":     "country\tGB\tGBR\t...\t-\t-\t-\n",
		"duplicate":    "country\tGB\tGBR\tUK\t-\t-\t-\ncountry\tGB\tGBR\tUK\t-\t-\t-\n",
		"long line":    "country\tGB\tGBR\tUK\t" + strings.Repeat("a|", maxLineBytes) + "\t-\t-\n",
	} {
		if _, err := Parse(strings.NewReader(data)); err == nil {
			t.Errorf("%s: Parse accepted it", name)
		}
	}
}

func TestRecognizeShortFormsAndDemonyms(t *testing.T) {
	g := Default()
	cases := []struct {
		title, body string
		want        []string
	}{
		{"Britain raises rates", "The Bank of England raised rates on Thursday. British savers welcomed it.", []string{"GB"}},
		{"UK and France agree Channel deal", "London and Paris signed the accord. The U.K. will pay France.", []string{"GB", "FR"}},
		{"US sanctions Iran", "The U.S. Treasury named ten Iranian firms. Tehran called the move illegal.", []string{"IR", "US"}},
		{"Nato summit opens", "NATO leaders met in Vilnius. The North Atlantic Treaty Organization welcomed Sweden.", []string{"NATO", "SE"}},
		{"WHO declares emergency", "The World Health Organization said the outbreak had spread.", []string{"WHO"}},
		{"G20 leaders meet", "The Group of 20 summit in New Delhi ended. India hosted the G-20.", []string{"G20", "IN"}},
		{"Talks stall", "Officials from the Democratic Republic of Congo met in Kinshasa.\n\nCongo's army said it had retaken the town.", []string{"CD"}},
		{"South Sudan vote delayed", "South Sudan will hold its election next year, officials in Juba said.", []string{"SS"}},
	}
	for _, c := range cases {
		got := ids(g.Recognize(c.title, c.body))
		slices.Sort(got)
		want := slices.Clone(c.want)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%q: got %v, want %v", c.title, got, want)
		}
	}
}

func TestRecognizeAvoidsFalseHits(t *testing.T) {
	g := Default()
	cases := []struct {
		name, title, body string
		not               string
	}{
		{"us lower case", "Join us for the show", "Tell us what you think. Many of us agree.", "US"},
		{"US in capitals", "WHAT IT MEANS FOR US", "Readers wrote in about the new rules.", "US"},
		{"who lower case", "Who won the vote", "Who is next? The one who wins.", "WHO"},
		{"turkey the bird", "How to roast a Turkey", "Roast the Turkey in the oven for four hours. Turkey dries out fast; baste it with gravy. Thanksgiving guests love Turkey.", "TR"},
		{"chad the name", "Chad Johnson signs with the Dolphins", "Chad Johnson, the former NFL receiver, signed on Monday. Chad said he was happy.", "TD"},
		{"jordan the player", "Michael Jordan buys a team", "Michael Jordan, the NBA great, bought the team. Jordan said the Bulls taught him much.", "JO"},
		{"georgia the state", "Georgia Governor signs bill", "Georgia Gov. Brian Kemp signed the bill in Atlanta. Republicans in Georgia praised it; Democrats said Georgia voters would remember.", "GE"},
		{"south china sea", "Ships collide in South China Sea", "Two fishing boats collided in the South China Sea on Monday near the Spratly Islands.", "CN"},
		{"new mexico", "New Mexico wildfire grows", "The fire in New Mexico has burned 300 square miles. New Mexico officials ordered evacuations.", "MX"},
		{"british columbia", "British Columbia floods", "Floods in British Columbia cut roads. British Columbia declared an emergency.", "GB"},
		{"icc cricket", "ICC announces World Cup schedule", "The ICC said the cricket World Cup will start in October. The ICC board met in Dubai.", "ICC"},
		{"east palestine", "Train derails in East Palestine", "The derailment in East Palestine, Ohio, released vinyl chloride. East Palestine residents were evacuated.", "PS"},
		{"passing mention", "Storm hits Florida", "A hurricane hit Florida on Monday, flooding Miami streets and cutting power to a million homes across the state.\n\nThe governor said crews would work through the night.\n\nThe storm had earlier passed near Cuba.", "CU"},
	}
	for _, c := range cases {
		if got := ids(g.Recognize(c.title, c.body)); slices.Contains(got, c.not) {
			t.Errorf("%s: got %v, must not contain %s", c.name, got, c.not)
		}
	}
}

func TestRecognizeAmbiguousNamesInTheirCountrySense(t *testing.T) {
	g := Default()
	cases := []struct {
		title, body, want string
	}{
		{"Turkey hit by earthquake", "A quake struck southern Turkey near the Syrian border. Turkish rescuers searched the rubble.", "TR"},
		{"Chad closes border", "Chad closed its border with Sudan on Monday, the government in N'Djamena said.", "TD"},
		{"Jordan hosts refugees", "Jordan said it would take in more Syrian refugees, officials in Amman said.", "JO"},
		{"Georgia protests grow", "Protesters filled the streets of Tbilisi, the capital of Georgia, against a Russian-style law.", "GE"},
		{"In Georgia, a vote", "In Georgia, the Georgian Dream party won; the Kremlin welcomed the result.", "GE"},
		{"ICC issues warrant", "The ICC in The Hague issued an arrest warrant for war crimes.", "ICC"},
	}
	for _, c := range cases {
		if got := ids(g.Recognize(c.title, c.body)); !slices.Contains(got, c.want) {
			t.Errorf("%q: got %v, want %s among them", c.title, got, c.want)
		}
	}
}

func TestRecognizeRanksWhatTheArticleIsAbout(t *testing.T) {
	g := Default()
	body := "Japanese officials met in Tokyo on Monday.\n\nJapan's prime minister spoke.\n\n" +
		"Japan will spend more on defence, the government said. A reporter from Canada asked a question.\n\n" +
		"Japan and its allies agreed."
	got := g.Recognize("Japan raises defence budget", body)
	if len(got) == 0 || got[0].ID != "JP" {
		t.Fatalf("got %v, want JP first", got)
	}
	if slices.Contains(ids(got), "CA") {
		t.Errorf("got %v: Canada is named once in passing", ids(got))
	}
}

func TestRecognizeHostileInput(t *testing.T) {
	g := Default()
	for name, body := range map[string]string{
		"empty":      "",
		"not utf8":   "\xff\xfe Britain \xffUK\xfe",
		"numbers":    "12. 15. 1,000. 3.5.",
		"huge":       strings.Repeat("Chad Jordan Georgia Turkey US UN ", 50000),
		"all names":  strings.Repeat("France ", 1000),
		"apostrophe": "''''' '' N' 's",
	} {
		ms := g.Recognize("", body)
		if len(ms) > maxMentions {
			t.Errorf("%s: %d mentions, more than %d", name, len(ms), maxMentions)
		}
		if name == "all names" && (len(ms) != 1 || ms[0].ID != "FR") {
			t.Errorf("all names: got %v", ms)
		}
	}
	if ms := g.Recognize("", "\xff\xfe Britain \xffUK\xfe"); !slices.Contains(ids(ms), "GB") {
		t.Errorf("invalid UTF-8 around names: got %v, want GB", ms)
	}
}

func TestLookup(t *testing.T) {
	g := Default()
	for in, want := range map[string]string{
		"United Kingdom": "GB", "uk": "GB", "U.K.": "GB", "Britain": "GB", "british": "GB",
		"GBR": "GB", "gb": "GB", "  united   kingdom ": "GB", "Cote d'Ivoire": "CI", "côte d’ivoire": "CI",
		"Turkey": "TR", "Türkiye": "TR", "usa": "US", "U.S.": "US", "america": "US",
	} {
		e, err := g.Lookup(Country, in)
		if err != nil || e.ID != want {
			t.Errorf("Lookup(%q) = %v, %v; want %s", in, e.ID, err, want)
		}
	}
	for in, want := range map[string]string{"nato": "NATO", "Nato": "NATO", "World Health Organization": "WHO", "who": "WHO", "g-20": "G20", "G20": "G20"} {
		e, err := g.Lookup(Organisation, in)
		if err != nil || e.ID != want {
			t.Errorf("Lookup(org, %q) = %v, %v; want %s", in, e.ID, err, want)
		}
	}
	// Kinds are separate: AU is Australia's code and the African Union.
	if e, _ := g.Lookup(Country, "AU"); e.ID != "AU" || e.Name != "Australia" {
		t.Errorf("country AU = %v", e)
	}
	if e, _ := g.Lookup(Organisation, "AU"); e.Name != "African Union" {
		t.Errorf("org AU = %v", e)
	}
}

func TestLookupSuggestsClosestNames(t *testing.T) {
	g := Default()
	cases := []struct {
		kind     Kind
		in, want string
	}{
		{Country, "Frnace", "France"},
		{Country, "Germny", "Germany"},
		{Country, "Phillipines", "Philippines"},
		{Country, "Kazakstan", "Kazakhstan"},
		{Country, "Switz", "Switzerland"},
		{Organisation, "NATOO", "North Atlantic Treaty Organization"},
		{Organisation, "Opek", "Organization of the Petroleum Exporting Countries"},
	}
	for _, c := range cases {
		_, err := g.Lookup(c.kind, c.in)
		var u *UnknownError
		if !errors.As(err, &u) {
			t.Errorf("Lookup(%q): err %v, want *UnknownError", c.in, err)
			continue
		}
		if !slices.Contains(u.Suggestions, c.want) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Lookup(%q): %v; want suggestion %s", c.in, err, c.want)
		}
	}
	_, err := g.Lookup(Country, "Atlantis Zzyzx")
	var u *UnknownError
	if !errors.As(err, &u) || len(u.Suggestions) != 0 {
		t.Errorf("far-off name: %v, want no suggestions", err)
	}
}

func TestLookupBadInput(t *testing.T) {
	g := Default()
	for name, in := range map[string]string{
		"empty":    "",
		"spaces":   "   ",
		"long":     strings.Repeat("France", 200),
		"not utf8": "Fr\xffance",
		"control":  "France\x00",
		"newline":  "France\nDROP TABLE",
		"no words": "...''",
	} {
		_, err := g.Lookup(Country, in)
		if !errors.Is(err, ErrInvalidName) {
			t.Errorf("%s: err %v, want ErrInvalidName", name, err)
		}
	}
	if _, err := g.Lookup(Kind("planet"), "Mars"); !errors.Is(err, ErrInvalidName) {
		t.Errorf("bad kind: %v", err)
	}
}

func FuzzRecognize(f *testing.F) {
	f.Add("UK", "British troops in Chad.")
	f.Add("", "\xff")
	g := Default()
	f.Fuzz(func(t *testing.T, title, body string) {
		ms := g.Recognize(title, body)
		if len(ms) > maxMentions {
			t.Fatalf("%d mentions", len(ms))
		}
		for _, m := range ms {
			if m.Score < minScore || m.Count < 1 {
				t.Fatalf("mention %v below the cut", m)
			}
		}
	})
}
