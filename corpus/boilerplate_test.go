package corpus

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// The fixtures furniture_*.txt imitate the text scraped from news pages
// (galleries, teasers, prompts, credits around the story); the stories in
// them are invented. Each .golden is the body Normalize must leave.
func TestNormalizeStripsFurnitureFixtures(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "furniture_*.txt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			in, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			want, err := os.ReadFile(strings.TrimSuffix(f, ".txt") + ".golden")
			if err != nil {
				t.Fatal(err)
			}
			a := Article{Title: "T", Body: string(in)}
			a.Normalize()
			if a.Body != string(want) {
				t.Fatalf("body:\n%s\nwant:\n%s", a.Body, want)
			}
			b := a
			b.Normalize()
			if b.Body != a.Body {
				t.Fatalf("Normalize not idempotent:\n%q\n%q", b.Body, a.Body)
			}
		})
	}
}

func TestIsBoilerplate(t *testing.T) {
	furniture := []string{
		"Hide Caption 46 of 49",
		"Photos: Storm hits the coast Waves break over the sea wall. Hide Caption 3 of 12 Photos: Storm",
		"Photo 3 of 12",
		"7 of 20",
		"Photos: The summit in pictures",
		"PHOTOS: SPRING FESTIVAL 2026",
		"Gallery:Leaders arrive for the summit",
		"Advertisement",
		"ADVERTISEMENT",
		"Story continues below advertisement",
		"Read more",
		"Read more: Ceasefire talks stall again",
		"READ MORE:",
		"More:Envoy recalled after spy row",
		"Related: What the treaty says",
		"RELATED:Three things to know about the vote",
		"Watch: The moment the bridge opened",
		"Video: Crowds gather in the square",
		"Prev",
		"Next »",
		"‹ Prev | Next ›",
		"Skip to main content",
		"Sign up for our Morning Briefing newsletter.",
		"Sign-up for Election Texts: get updates from our politics team.",
		"Subscribe to our free politics newsletter here.",
		"Stay informed: Sign up for the Daily Digest newsletter to get the news in your inbox.",
		"Support local journalism by subscribing today.",
		"Follow us on Twitter",
		"Follow Jane Roe on Twitter: @janeroe.",
		"Follow reporter Sam Lee on X and Threads: @samlee.",
		"Share this article",
		"Share | Tweet | Email",
		"Facebook Twitter LinkedIn Email",
		"© 2026 Example Media",
		"Copyright 2026 The Example Wire. All rights reserved.",
		"All rights reserved.",
		"Ada Lindqvist/Reuters",
		"Ada Lindqvist / AFP via Getty Images",
		"(Image credit: Tomas Brandt/Getty Images)",
		"Photo credit: Jane Roe",
		"Image caption, Crowds outside the court",
		"By Jane Doe, CNN",
		"By Jane Doe and Sam Lee",
		"BY JANE DOE | EXAMPLE WIRE",
		"– Sam Lee",
		"-- Jane Doe",
		"WASHINGTON —",
		"Harbour City CNN —",
		"New York CNN Business —",
		"(AP) —",
		"Contributing: Sam Lee, The Example Wire",
		"Jane Doe contributed to this report.",
		"This story has been updated with new information.",
		"Click here for the full results.",
		"For a full list of the recalled products, click here.",
		"___",
		"♦",
		"* * *",
	}
	for _, s := range furniture {
		if !IsBoilerplate(s) {
			t.Errorf("IsBoilerplate(%q) = false, want true", s)
		}
	}
	prose := []string{
		"",
		"   ",
		"By Tuesday, the delegations had left the capital.",
		"By Monday, officials said.",
		"More than 2,000 people sign up for the county's emergency alerts every month, officials said.",
		"Copyright law protects the photographs, the court ruled on Friday.",
		"Readers who subscribe to the paper received the map in print.",
		"Photographers from AP and Reuters were barred from the hearing.",
		"Next, the committee will vote on the budget.",
		"Next year the summit moves to Lima.",
		"Share prices fell 3% after the announcement.",
		"Follow-up talks are planned for May in Vienna.",
		"The share of voters who backed the deal rose to 61%.",
		"Watching the vote from the gallery, protesters chanted slogans.",
		"Related talks in Oslo ended without a deal.",
		"More than half the delegates walked out.",
		"The network will carry the speech live. For details on where to watch, click here.",
		"The photo of the minister, taken by a local photographer, went viral.",
		"In 7 of 10 districts turnout fell.",
		"The ministry said 3 of 12 ships were inspected.",
		"Taylor Wilson:",
		"Where he served:",
		"Reuters reported that the talks had stalled.",
		strings.Repeat("Read more about the long, detailed negotiations in the capital, where delegates met. ", 10),
	}
	for _, s := range prose {
		if IsBoilerplate(s) {
			t.Errorf("IsBoilerplate(%q) = true, want false", s)
		}
	}
}

func TestStripBoilerplateEdges(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"empty", "", ""},
		{"blank", "\n\n \n", "\n\n \n"}, // nothing removed: left as it is
		{"only furniture", "Advertisement\n\nRead more\nPrev\nNext", ""},
		{"prose only", "One line.\nTwo lines.\n\nA paragraph.", "One line.\nTwo lines.\n\nA paragraph."},
		{"blank lines collapse", "First.\n\nAdvertisement\n\nSecond.", "First.\n\nSecond."},
		{"edges", "Advertisement\n\nStory.\n\nShare this article", "Story."},
		{"line break kept", "First.\nAdvertisement\nSecond.", "First.\nSecond."},
		{"invalid UTF-8 kept", "Story \xff here.\nAdvertisement", "Story \xff here."},
		{"CR lines", "Story.\r\nAdvertisement\r\nLater.", "Story.\r\nLater."},
	}
	for _, c := range cases {
		if got := stripBoilerplate(c.in); got != c.want {
			t.Errorf("%s: stripBoilerplate(%q) = %q, want %q", c.name, c.in, got, c.want)
		}
	}
}

func TestStripBoilerplateOversized(t *testing.T) {
	// A megabyte of prose on one line survives whole; a megabyte-long
	// gallery line goes; a hundred thousand furniture lines go quickly.
	prose := strings.Repeat("The talks continued late into the night in the capital. ", 20000)
	if got := stripBoilerplate(prose); got != prose {
		t.Fatalf("long prose line altered (%d -> %d bytes)", len(prose), len(got))
	}
	gallery := "Photos: Summit " + strings.Repeat("Leaders pose for a photo. Hide Caption 1 of 9 ", 20000)
	body := "Lead paragraph.\n" + gallery + "\nLast paragraph."
	if got := stripBoilerplate(body); got != "Lead paragraph.\nLast paragraph." {
		t.Fatalf("gallery line kept: %.80q", got)
	}
	many := strings.Repeat("Advertisement\nRead more\n", 50000) + "The story."
	if got := stripBoilerplate(many); got != "The story." {
		t.Fatalf("got %.80q", got)
	}
	hostile := strings.Repeat("By ", 50000) + strings.Repeat("A", 1<<16) + "\n" + strings.Repeat("-", 1<<20)
	got := stripBoilerplate(hostile)
	if !utf8.ValidString(got) || strings.Contains(got, "---") {
		t.Fatalf("hostile input: %.80q", got)
	}
}

func FuzzStripBoilerplate(f *testing.F) {
	f.Add("Story.\nAdvertisement\n\nMore.")
	f.Add("Photos: x Hide Caption 1 of 2\nBy Jane Doe, CNN\n\xff")
	f.Fuzz(func(t *testing.T, s string) {
		got := stripBoilerplate(s)
		if len(got) > len(s) {
			t.Fatalf("grew: %q -> %q", s, got)
		}
		if again := stripBoilerplate(got); again != got {
			t.Fatalf("not idempotent: %q -> %q -> %q", s, got, again)
		}
		for _, l := range strings.Split(got, "\n") {
			if IsBoilerplate(l) {
				t.Fatalf("furniture line kept: %q in %q", l, got)
			}
		}
	})
}
