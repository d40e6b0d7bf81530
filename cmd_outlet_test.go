package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// outletArticles are two reports of one (invented) event by two outlets
// that give different death tolls, and an unrelated article.
const outletArticles = `{"id":"blast-cw","title":"Blast at Kessel harbour kills 12","source":"Coastal Wire","url":"https://coastal.example/blast","published":"2026-06-03","body":"An explosion at the Kessel harbour in Velmora killed 12 people on Tuesday, officials said. The blast tore through a fuel depot near the ferry terminal. Investigators from the Velmoran interior ministry are examining the depot."}
{"id":"blast-ph","title":"Kessel harbour explosion: 15 dead","source":"Plains Herald","url":"https://plains.example/blast","published":"2026-06-03","body":"The explosion at Kessel harbour in Velmora killed 15 people on Tuesday, police said. The blast destroyed a fuel depot beside the ferry terminal. Velmoran interior ministry investigators are at the depot."}
{"id":"grain","title":"Grain talks stall in Brindle","source":"Dorvast Daily","url":"https://dorvast.example/grain","published":"2026-06-05","body":"Negotiators from Quillan and Dorvast failed to agree on the grain corridor in Brindle. Talks resume next month."}
`

// ingestOutletArticles ingests outletArticles with c.
func ingestOutletArticles(t *testing.T, c *cli) {
	path := filepath.Join(c.dir, "articles.jsonl")
	if err := os.WriteFile(path, []byte(outletArticles), 0o644); err != nil {
		t.Fatal(err)
	}
	c.mustRun(0, "ingest", path)
}

func outletList(t *testing.T, c *cli, args ...string) []outletListItem {
	t.Helper()
	r := c.mustRun(0, append([]string{"outlet", "list", "-json"}, args...)...)
	var items []outletListItem
	if err := json.Unmarshal([]byte(r.stdout), &items); err != nil {
		t.Fatalf("outlet list -json: %v\n%s", err, r.stdout)
	}
	return items
}

func TestOutletCommands(t *testing.T) {
	c := newCLI(t)
	ingestOutletArticles(t, c)
	testOutletCommands(t, c)
}

// TestPostgresOutletCommands: the same on the PostgreSQL library.
func TestPostgresOutletCommands(t *testing.T) {
	t.Parallel()
	c, _ := newPostgresCLI(t)
	ingestOutletArticles(t, c)
	testOutletCommands(t, c)
}

// testOutletCommands labels, lists and clears labels with c, whose
// library holds outletArticles, and checks that answers show them.
func testOutletCommands(t *testing.T, c *cli) {
	r := c.mustRun(0, "outlet", "label", "coastal  WIRE", "wire")
	if !strings.Contains(r.stdout, `labelled coastal WIRE "wire" in the shared scope`) || r.stderr != "" {
		t.Errorf("outlet label: %s", r)
	}
	c.mustRun(0, "outlet", "label", "-guild", "42", "Plains Herald", "state media")
	r = c.mustRun(0, "outlet", "label", "Nowhere News", "opinion")
	if !strings.Contains(r.stderr, "no article of the shared scope comes from Nowhere News yet") {
		t.Errorf("labelling an unknown outlet gives no note: %s", r)
	}

	items := outletList(t, c)
	got := map[string]outletListItem{}
	for _, it := range items {
		got[it.Outlet] = it
	}
	if got["Coastal Wire"].Label != "wire" || got["Coastal Wire"].Articles != 1 || got["Plains Herald"].Label != "" ||
		got["Nowhere News"].Label != "opinion" || got["Nowhere News"].Articles != 0 || len(items) != 4 {
		t.Errorf("outlet list (shared): %+v", items)
	}
	if g := outletList(t, c, "-guild", "42"); len(g) != 4 || g[1].Outlet != "Dorvast Daily" && g[1].Label != "" {
		t.Errorf("outlet list -guild 42: %+v", g)
	} else {
		for _, it := range g {
			if it.Outlet == "Plains Herald" && (it.Label != "state media" || it.LabelScope != "42") {
				t.Errorf("the guild's label does not apply in its list: %+v", it)
			}
		}
	}

	// The label shows in answers: on the source line, in the outlets
	// line, and in the JSON; another guild's label does not.
	r = c.mustRun(0, "ask", "-asof", "2026-06-10", "How many people did the Kessel harbour blast kill?")
	if !strings.Contains(r.stdout, "Coastal Wire (wire), 2026-06-03") || !strings.Contains(r.stdout, "outlet") || strings.Contains(r.stdout, "state media") {
		t.Errorf("ask does not show the label:\n%s", r.stdout)
	}
	r = c.mustRun(0, "ask", "-json", "-asof", "2026-06-10", "How many people did the Kessel harbour blast kill?")
	obj, _ := decodeAsk(t, r.stdout)
	labelled := false
	for _, s := range obj.Sources {
		if s.Source == "Coastal Wire" {
			labelled = s.Label == "wire"
		}
	}
	if !labelled {
		t.Errorf("ask -json: Coastal Wire's source has no label:\n%s", r.stdout)
	}
	r = c.mustRun(0, "ask", "-guild", "42", "-asof", "2026-06-10", "How many people did the Kessel harbour blast kill?")
	if strings.Contains(r.stdout, "Plains Herald") && !strings.Contains(r.stdout, "Plains Herald (state media)") {
		t.Errorf("guild 42's answer does not show its label:\n%s", r.stdout)
	}

	r = c.mustRun(0, "outlet", "unlabel", "Coastal Wire")
	if !strings.Contains(r.stdout, "cleared the label of Coastal Wire") {
		t.Errorf("outlet unlabel: %s", r)
	}
	r = c.mustRun(1, "outlet", "unlabel", "Coastal Wire")
	if !strings.Contains(r.stderr, "has no label in the shared scope") {
		t.Errorf("unlabelling twice: %s", r)
	}
}

func TestOutletBadInput(t *testing.T) {
	c := newCLI(t)
	for name, tc := range map[string]struct {
		args []string
		want string
	}{
		"no subcommand":     {[]string{"outlet"}, "no subcommand"},
		"unknown":           {[]string{"outlet", "frob"}, "unknown subcommand"},
		"no label":          {[]string{"outlet", "label", "CNN"}, "give the outlet's name and its label"},
		"too many":          {[]string{"outlet", "label", "CNN", "wire", "extra"}, "give the outlet's name and its label"},
		"empty name":        {[]string{"outlet", "label", " ", "wire"}, "the outlet name is empty"},
		"empty label":       {[]string{"outlet", "label", "CNN", "  "}, "the label is empty"},
		"long label":        {[]string{"outlet", "label", "CNN", strings.Repeat("x", 25)}, "too long (25 characters; at most 24)"},
		"long name":         {[]string{"outlet", "label", strings.Repeat("n", 101), "wire"}, "too long (101 characters; at most 100)"},
		"markdown":          {[]string{"outlet", "label", "CNN", "**wire**"}, "only letters"},
		"mention":           {[]string{"outlet", "label", "CNN", "@everyone"}, "only letters"},
		"escape":            {[]string{"outlet", "label", "CNN", "wi\x1b[31mre"}, "only letters"},
		"control name":      {[]string{"outlet", "label", "C\x07NN", "wire"}, "control character"},
		"bad utf-8":         {[]string{"outlet", "label", "CNN", "w\xffire"}, "not valid UTF-8"},
		"bad guild":         {[]string{"outlet", "label", "-guild", "a b", "CNN", "wire"}, "-guild must be"},
		"unlabel no name":   {[]string{"outlet", "unlabel"}, "give the outlet's name"},
		"list extra":        {[]string{"outlet", "list", "CNN"}, "unexpected argument"},
		"unlabel bad guild": {[]string{"outlet", "unlabel", "-guild", "@x", "CNN"}, "-guild must be"},
	} {
		r := c.run(tc.args...)
		if r.code != 2 || !strings.Contains(r.stderr, tc.want) || strings.Contains(r.stderr, "\x1b") {
			t.Errorf("%s: %s\nwant exit 2 saying %q", name, r, tc.want)
		}
		checkErrorOutput(t, r)
	}
	// Nothing was stored.
	if items := outletList(t, c); len(items) != 0 {
		t.Errorf("bad input stored labels: %+v", items)
	}
}
