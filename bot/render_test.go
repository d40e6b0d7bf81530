package bot

import (
	"flag"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/attache-bot/attache/retrieval"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// renderCases are the answers whose rendering is kept in
// testdata/render_<name>.golden (messages separated by a line of "=").
var renderCases = map[string]retrieval.Answer{
	"extractive": {
		Text: "The foreign ministers of Velmora and Ostrane signed a harbour accord on Tuesday [1]. " +
			"Talks on the grain corridor resume next month [2].",
		Mode: retrieval.ModeExtractive,
		Note: "Newest source: 8 Jun 2026.",
		Sources: []retrieval.Source{
			{N: 1, Title: "Harbour accord signed in Velmora", Source: "Coastal Wire", URL: "https://coastal.example/velmora-accord", Published: day(2026, 6, 3)},
			{N: 2, Title: "Quillan talks on grain corridor stall", Source: "Plains Herald", URL: "https://plains.example/quillan-grain", Published: day(2026, 6, 8)},
		},
	},
	"not_covered": {
		Text: "The articles here don't cover that.",
		Mode: retrieval.ModeNone,
	},
	"llm_fallback_uncited": {
		Text:    "The summit ended without a joint statement.",
		Mode:    retrieval.ModeLLM,
		Uncited: true,
		Note:    "The language model was unavailable; this answer quotes the articles.",
		Sources: []retrieval.Source{{N: 1, Title: "Summit ends", Source: "Wire", URL: "https://wire.example/s", Published: day(2024, 1, 2)}},
	},
	"uncited_without_note": {
		Text:    "The summit ended without a joint statement.",
		Mode:    retrieval.ModeLLM,
		Uncited: true,
		Sources: []retrieval.Source{{N: 1, Title: "Summit ends", Source: "Wire", URL: "https://wire.example/s", Published: day(2024, 1, 2)}},
	},
	"hostile": {
		Text: "@everyone the envoy said <@123> and <@!456> and <@&789> should meet @here [1]. </ask:1> **bold [1]** `code <@1>`",
		Mode: retrieval.ModeLLM,
		Sources: []retrieval.Source{
			{N: 1, Title: "A [tricky](https://evil.example) *title* with `ticks` and @everyone", Source: "<@42> Outlet_Name",
				URL: "https://odd.example/path (1)/a>b?q=<x>", Published: day(2026, 6, 10)},
			{N: 2, Title: "", Source: "", URL: "javascript:alert(1)"},
			{N: 3, Title: "Future dated", URL: "ftp://files.example/x", Published: day(2027, 1, 1)},
		},
	},
	"stories": {
		Text: "At least 12 people were killed in the blast [1]. The envoys met on Friday [2].\n\n" +
			"Reports differ: Coastal Wire (wire) reports 12 dead [1]; Plains Herald reports 15 dead [3].",
		Mode: retrieval.ModeExtractive,
		Sources: []retrieval.Source{
			{N: 1, Title: "Blast in Velmora", Source: "Coastal Wire", Label: "wire", URL: "https://coastal.example/blast", Published: day(2026, 6, 3),
				StoryID: "s-blast", Also: []retrieval.Also{
					{ArticleID: "b", Source: "The Week", URL: "https://week.example/b", Label: "opinion"},
					{ArticleID: "c", Source: "Coastal Wire", URL: "https://coastal.example/c"}, // its own outlet: not named
					{ArticleID: "d", Source: "*Bold* @everyone"}, {ArticleID: "e", Source: "Outlet E"}, {ArticleID: "f", Source: "Outlet F"},
					{ArticleID: "g", Source: "Outlet G"}}},
			{N: 2, Title: "Envoys meet", Source: "Dorvast Daily", URL: "https://dorvast.example/e", Published: day(2026, 6, 5)},
			{N: 3, Title: "Velmora blast toll rises", Source: "Plains Herald", URL: "https://plains.example/blast", Published: day(2026, 6, 4), StoryID: "s-blast"},
		},
	},
	"long_split": {
		Text: strings.Repeat("The envoys met in Brindle and discussed the corridor, the convoys and the **inspection regime** at length [1]. ", 14) +
			"\n\nA second paragraph quotes [the treaty text](<https://treaty.example/text>) and `code spans` [2].\n\n" +
			strings.Repeat("Officials from Dorvast answered that inspections would slow every shipment by days [2, 1]. ", 14),
		Mode: retrieval.ModeLLM,
		Note: "Newest source: 8 Jun 2026.",
		Sources: []retrieval.Source{
			{N: 1, Title: "Quillan talks on grain corridor stall", Source: "Plains Herald", URL: "https://plains.example/quillan-grain", Published: day(2026, 6, 8)},
			{N: 2, Title: "Dorvast answers", Source: "Dorvast Daily", URL: "https://dorvast.example/answer", Published: day(2026, 5, 1)},
		},
	},
}

func TestRenderGolden(t *testing.T) {
	now := time.Date(2026, 6, 10, 15, 0, 0, 0, time.UTC)
	for name, a := range renderCases {
		t.Run(name, func(t *testing.T) {
			parts := renderAnswer(a, now)
			checkGolden(t, "render_"+name, strings.Join(parts, "\n"+strings.Repeat("=", 40)+"\n")+"\n")
			checkParts(t, parts)
		})
	}
}

// checkGolden compares got with testdata/<name>.golden; with -update it
// rewrites the file first.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s:\n%s", path, got)
	}
}

func TestRenderSourcesGolden(t *testing.T) {
	now := time.Date(2026, 6, 10, 15, 0, 0, 0, time.UTC)
	// A copy: the shared fixture must not change under other tests.
	src := slices.Clone(renderCases["extractive"].Sources)
	src[0].Excerpt = "The foreign ministers of Velmora and Ostrane signed a harbour accord on Tuesday. The accord opens the port of Kessel."
	src[1].Excerpt = strings.Repeat("Negotiators failed to agree @everyone. ", 20)
	checkGolden(t, "render_sources", renderSources(src, now)+"\n")
	// Many sources with long excerpts still fit one message.
	var many []retrieval.Source
	for n := 1; n <= 25; n++ {
		many = append(many, retrieval.Source{N: n, Title: strings.Repeat("Long title ", 20), URL: "https://x.example/" + strings.Repeat("p", 200), Excerpt: strings.Repeat("word ", 200)})
	}
	if l := utf16Len(renderSources(many, now)); l > maxContent {
		t.Errorf("renderSources of 25 sources is %d long", l)
	}
	if renderSources(nil, now) == "" {
		t.Error("renderSources(nil) is empty")
	}
}

var (
	citationRE = regexp.MustCompile(`\[\d+(?:, ?\d+)*\]`)
	linkRE     = regexp.MustCompile(`\[[^\]\n]*\]\(<?[^)\n]*>?\)`)
)

// checkParts checks the invariants of every rendering: within the limit,
// not empty, and no citation, link or bold span cut in two.
func checkParts(t *testing.T, parts []string) {
	t.Helper()
	for n, p := range parts {
		if l := utf16Len(p); l > maxContent || l == 0 {
			t.Errorf("part %d has length %d", n, l)
		}
		if strings.Count(p, "**")%2 != 0 {
			t.Errorf("part %d cuts a bold span: …%s", n, tail(p))
		}
		if strings.Count(p, "```")%2 != 0 {
			t.Errorf("part %d leaves a code block open", n)
		}
		if n > 0 && (strings.HasPrefix(p, "[1]") || citationRE.MatchString(firstWord(p))) {
			t.Errorf("part %d starts with a citation cut from its sentence: %.40s", n, p)
		}
	}
}

func tail(s string) string {
	r := []rune(s)
	return string(r[max(0, len(r)-60):])
}

func firstWord(s string) string {
	if f := strings.Fields(s); len(f) > 0 {
		return f[0]
	}
	return ""
}

func TestSplitMessageKeepsEverythingAndConstructs(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	pieces := []string{
		"word", "Velmora", "[1]", "[2, 3]", "**bold words here**", "`inline code`", "[a link](<https://x.example/a>)",
		"sentence.", "end!", "\n", "\n\n", "ünïcödé", "中文字符", "emoji😀", "a-very-long-token-" + strings.Repeat("x", 80),
	}
	for iter := range 100 {
		var b strings.Builder
		n := rng.IntN(900)
		for range n {
			b.WriteString(pieces[rng.IntN(len(pieces))])
			b.WriteString(" ")
		}
		in := strings.TrimSpace(b.String())
		limit := 50 + rng.IntN(maxContent)
		parts := splitMessage(in, limit)
		// Parts are trimmed, and an unbreakable token may be cut in two,
		// so compare without whitespace.
		joined := strings.Join(strings.Fields(strings.Join(parts, "")), "")
		if want := strings.Join(strings.Fields(in), ""); joined != want {
			t.Fatalf("iteration %d (limit %d): splitting lost or changed text", iter, limit)
		}
		for k, p := range parts {
			if utf16Len(p) > limit {
				t.Fatalf("iteration %d: part %d is %d long, limit %d", iter, k, utf16Len(p), limit)
			}
		}
		// Every citation and link of the input survives whole in some part.
		for _, re := range []*regexp.Regexp{citationRE, linkRE} {
			want := len(re.FindAllString(in, -1))
			got := 0
			for _, p := range parts {
				got += len(re.FindAllString(p, -1))
			}
			if got != want {
				t.Fatalf("iteration %d (limit %d): %d of %d %v survive whole", iter, limit, got, want, re)
			}
		}
	}
}

func TestSplitMessageEdgeCases(t *testing.T) {
	cases := map[string]struct {
		in    string
		limit int
	}{
		"empty":              {"", 10},
		"exactly the limit":  {strings.Repeat("a", 10), 10},
		"one huge word":      {strings.Repeat("a", 45), 10},
		"astral characters":  {strings.Repeat("😀", 30), 11},
		"huge code block":    {"```\n" + strings.Repeat("line of code\n", 40) + "```", 100},
		"unclosed bold":      {"**" + strings.Repeat("word ", 60), 50},
		"invalid utf-8":      {strings.Repeat("ab\xff ", 30), 20},
		"citation at border": {strings.Repeat("x", 8) + " [12]" + strings.Repeat(" y", 10), 12},
		"tiny limit":         {"abc def", 1},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			parts := splitMessage(c.in, c.limit)
			if len(parts) == 0 {
				t.Fatal("no parts")
			}
			for k, p := range parts {
				if utf16Len(p) > c.limit {
					t.Errorf("part %d = %q is %d long, limit %d", k, p, utf16Len(p), c.limit)
				}
				if strings.Count(p, "```")%2 != 0 {
					t.Errorf("part %d = %q leaves a code block open", k, p)
				}
			}
		})
	}
}

// Source lines give each source's age in retrieval.Age's words, counted
// from the time the answer is shown.
func TestSourceLineAge(t *testing.T) {
	now := time.Date(2026, 6, 10, 23, 0, 0, 0, time.UTC)
	for published, want := range map[time.Time]string{
		day(2026, 6, 10): "2026-06-10 (today)",
		day(2026, 6, 9):  "2026-06-09 (yesterday)",
		day(2026, 5, 20): "2026-05-20 (3 weeks ago)",
		day(2026, 1, 1):  "2026-01-01 (about 5 months ago)",
		day(2024, 6, 9):  "2024-06-09 (about 2 years ago)",
		day(2026, 6, 11): "2026-06-11", // dated after now: no age
	} {
		line := sourceLine(retrieval.Source{N: 1, Title: "T", Source: "Wire", Published: published}, now)
		if !strings.HasSuffix(line, "— Wire, "+want) {
			t.Errorf("sourceLine for %s = %q, want it to end %q", published.Format(time.DateOnly), line, want)
		}
	}
}

func TestRenderPreview(t *testing.T) {
	if got := renderPreview(""); !strings.Contains(got, "writing") {
		t.Errorf("renderPreview(\"\") = %q", got)
	}
	got := renderPreview(strings.Repeat("long text @everyone ", 300))
	if utf16Len(got) > maxContent || strings.Contains(got, "@everyone") {
		t.Errorf("renderPreview of a long hostile text: %d long, %q…", utf16Len(got), got[:60])
	}
}
