package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// chronologyObject decodes "timeline -json" and "whatsnew -json" strictly:
// interface.md's fields and the documented message.
type chronologyObject struct {
	Topic   string `json:"topic"`
	AsOf    string `json:"asof"`
	From    string `json:"from"`
	To      string `json:"to"`
	Since   string `json:"since"`
	Entries []struct {
		Date    string `json:"date"`
		Text    string `json:"text"`
		Sources []struct {
			N         int    `json:"n"`
			ArticleID string `json:"article_id"`
			Title     string `json:"title"`
			Source    string `json:"source"`
			Published string `json:"published"`
			URL       string `json:"url"`
			StoryID   string `json:"story_id"`
		} `json:"sources"`
	} `json:"entries"`
	NewestBefore string `json:"newest_before"`
	Message      string `json:"message"`
}

func decodeChronology(t *testing.T, out string) chronologyObject {
	t.Helper()
	var obj chronologyObject
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&obj); err != nil {
		t.Fatalf("-json output does not decode: %v\n%s", err, out)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"topic", "asof", "from", "to", "since", "entries", "newest_before"} {
		if _, ok := raw[key]; !ok {
			t.Errorf("-json lacks %q:\n%s", key, out)
		}
	}
	for _, en := range obj.Entries {
		if len(en.Sources) != 1 || en.Sources[0].N != 1 || !strings.HasSuffix(en.Text, "[1]") || en.Date != en.Sources[0].Published {
			t.Errorf("entry does not cite its own source [1] on its date: %+v", en)
		}
	}
	return obj
}

// timelineCLI is a data directory holding a topic followed over months.
func timelineCLI(t *testing.T) *cli {
	c := newCLI(t)
	path := writeFile(t, c.dir, "k.jsonl", strings.Join([]string{
		jsonlRecord("kel-1", "Kelvoria opens border talks with Norland", "Wire", "2025-02-03",
			"Kelvoria opened border talks with Norland in Mirsk on Monday. The talks cover two river crossings."),
		jsonlRecord("kel-2", "Floods hit northern Kelvoria", "Daily", "2025-04-14",
			"Floods swept through northern Kelvoria after a week of rain. Relief convoys reached Mirsk on Sunday."),
		jsonlRecord("kel-3", "Kelvoria and Norland sign border treaty", "Wire", "2025-06-20",
			"Kelvoria and Norland signed a border treaty settling both crossings. Parliament must ratify it within ninety days."),
		jsonlRecord("kel-4", "Kelvoria parliament ratifies treaty", "Daily", "2025-07-24",
			"The parliament of Kelvoria ratified the border treaty with Norland. Opposition members walked out."),
		jsonlRecord("other", "Rail workers strike over pay", "Wire", "2025-07-21",
			"Rail workers walked out on Monday, halting trains. The union demands a raise."),
	}, "\n"))
	c.mustRun(0, "ingest", path)
	return c
}

func TestTimelineCommand(t *testing.T) {
	c := timelineCLI(t)
	r := c.mustRun(0, "timeline", "-asof", "2025-07-28", "Kelvoria")
	for _, want := range []string{"Timeline: Kelvoria (as of 2025-07-28)", "3 Feb 2025: ", "[1]\n", "24 Jul 2025: ", "[4]\n", "Sources:\n1. Kelvoria opens border talks", "4. Kelvoria parliament"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("timeline output lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "Rail workers") {
		t.Errorf("timeline lists an article not about the topic:\n%s", r.stdout)
	}

	obj := decodeChronology(t, c.mustRun(0, "timeline", "-json", "-asof", "2025-07-28", "-from", "2025-04-01", "-to", "2025-06-30", "Kelvoria").stdout)
	if obj.Topic != "Kelvoria" || obj.AsOf != "2025-07-28" || obj.From != "2025-04-01" || obj.To != "2025-06-30" || obj.Since != "" || obj.NewestBefore != "" {
		t.Errorf("header fields: %+v", obj)
	}
	if len(obj.Entries) != 2 || obj.Entries[0].Sources[0].ArticleID != "kel-2" || obj.Entries[1].Sources[0].ArticleID != "kel-3" {
		t.Errorf("entries in range, oldest first: %+v", obj.Entries)
	}

	// A topic nothing covers: said, exit 0, no entries.
	obj = decodeChronology(t, c.mustRun(0, "timeline", "-json", "-asof", "2025-07-28", "Zorblaxia").stdout)
	if len(obj.Entries) != 0 || !strings.Contains(obj.Message, "Zorblaxia") {
		t.Errorf("uncovered topic: %+v", obj)
	}
	r = c.mustRun(0, "timeline", "-asof", "2025-07-28", "Zorblaxia")
	if !strings.Contains(r.stdout, "Zorblaxia”") || strings.Contains(r.stdout, "Sources:") {
		t.Errorf("uncovered topic, text:\n%s", r.stdout)
	}
}

func TestWhatsNewCommand(t *testing.T) {
	c := timelineCLI(t)
	obj := decodeChronology(t, c.mustRun(0, "whatsnew", "-json", "-asof", "2025-07-28", "-since", "2025-06-01", "Kelvoria").stdout)
	if obj.Since != "2025-06-01" || obj.From != "" || obj.To != "" || len(obj.Entries) != 2 ||
		obj.Entries[0].Sources[0].ArticleID != "kel-4" || obj.Entries[1].Sources[0].ArticleID != "kel-3" {
		t.Errorf("whatsnew since 1 Jun, newest first: %+v", obj)
	}
	// Default: a week before the as-of date; nothing new gives the newest
	// coverage before.
	obj = decodeChronology(t, c.mustRun(0, "whatsnew", "-json", "-asof", "2025-07-10", "Kelvoria").stdout)
	if obj.Since != "2025-07-03" || len(obj.Entries) != 0 || obj.NewestBefore != "2025-06-20" || !strings.Contains(obj.Message, "20 Jun 2025") {
		t.Errorf("nothing new: %+v", obj)
	}
	r := c.mustRun(0, "whatsnew", "-asof", "2025-07-10", "Kelvoria")
	if !strings.Contains(r.stdout, "What's new: Kelvoria (as of 2025-07-10, since 2025-07-03)") || !strings.Contains(r.stdout, "Nothing new about “Kelvoria”") {
		t.Errorf("nothing new, text:\n%s", r.stdout)
	}
}

func TestTimelineBadInput(t *testing.T) {
	c := timelineCLI(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"timeline"}, "topic is empty"},
		{[]string{"timeline", "  "}, "topic is empty"},
		{[]string{"whatsnew", ""}, "topic is empty"},
		{[]string{"timeline", "-from", "2025-06-01", "-to", "2025-05-01", "Kelvoria"}, "from 2025-06-01 is after to 2025-05-01"},
		{[]string{"timeline", "-asof", "2025-07-28", "-from", "2030-01-01", "Kelvoria"}, "from 2030-01-01 is after the as-of date 2025-07-28"},
		{[]string{"timeline", "-from", "2999-01-01", "Kelvoria"}, "is after the as-of date"},
		{[]string{"timeline", "-asof", "2025-07-28", "-to", "2025-08-01", "Kelvoria"}, "to 2025-08-01 is after the as-of date"},
		{[]string{"whatsnew", "-asof", "2025-07-28", "-since", "2025-07-29", "Kelvoria"}, "since 2025-07-29 is after the as-of date"},
		{[]string{"timeline", "-from", "2025-13-01", "Kelvoria"}, "-from must be a date as YYYY-MM-DD"},
		{[]string{"timeline", "-to", "yesterday", "Kelvoria"}, "-to must be a date as YYYY-MM-DD"},
		{[]string{"whatsnew", "-since", "1 June", "Kelvoria"}, "-since must be a date as YYYY-MM-DD"},
		{[]string{"timeline", "-asof", "2025/07/28", "Kelvoria"}, "-asof must be a date as YYYY-MM-DD"},
		{[]string{"timeline", "-country", "Narnia", "Kelvoria"}, `unknown country "Narnia"`},
		{[]string{"whatsnew", "-country", "Frnace", "Kelvoria"}, "closest known: France"},
		{[]string{"timeline", "-org", "NATOO", "Kelvoria"}, "closest known: North Atlantic Treaty Organization"},
		{[]string{"ask", "-org", "Natto", "what is new?"}, "closest known"},
		{[]string{"ask", "-country", "Germny", "what is new?"}, "closest known: Germany"},
		{[]string{"timeline", "-country", strings.Repeat("x", 500), "Kelvoria"}, "longer than"},
		{[]string{"timeline", "-country", "Fr\x1bance", "Kelvoria"}, "control characters"},
		{[]string{"timeline", strings.Repeat("Kelvoria ", maxQuestionChars/9+2), "x"}, "topic is too long"},
		{[]string{"timeline", "Kel\xffvoria"}, "not valid UTF-8"},
	} {
		r := c.mustRun(2, tc.args...)
		if !strings.Contains(r.stderr, tc.want) {
			t.Errorf("attache %q: stderr lacks %q:\n%s", tc.args, tc.want, r.stderr)
		}
	}
	// Known names resolve, however written.
	c.mustRun(0, "timeline", "-asof", "2025-07-28", "-country", "british", "-org", "nato", "Kelvoria")
	c.mustRun(0, "ask", "-asof", "2025-07-28", "-country", "GB", "What did Kelvoria ratify?")
	// Hostile text in a topic never reaches the terminal raw.
	r := c.mustRun(0, "timeline", "-asof", "2025-07-28", "Zorblaxia\x1b[2J\x07 talks")
	if strings.ContainsAny(r.stdout, "\x1b\x07") {
		t.Errorf("terminal control characters in the output: %q", r.stdout)
	}
	// A 1,000-character topic (Discord's limit) is searched by its start.
	long := ("Kelvoria border treaty " + strings.Repeat("river crossings and talks ", 40))[:1000]
	obj := decodeChronology(t, c.mustRun(0, "timeline", "-json", "-asof", "2025-07-28", long).stdout)
	if len(obj.Entries) == 0 {
		t.Errorf("1,000-character topic found nothing: %+v", obj.Message)
	}
}
