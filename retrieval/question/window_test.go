package question

import (
	"strings"
	"testing"
	"time"

	"github.com/attache-bot/attache/corpus"
)

func TestParseTimeWindow(t *testing.T) {
	asOf := day("2025-07-28") // a Monday
	for _, c := range []struct {
		q        string
		from, to string // "" = no window
		phrase   string
	}{
		{"What happened this week?", "2025-07-22", "2025-07-28", "this week"},
		{"What happened in the past week?", "2025-07-22", "2025-07-28", "past week"},
		{"What happened last week?", "2025-07-15", "2025-07-28", "last week"},
		{"Who resigned yesterday?", "2025-07-27", "2025-07-28", "yesterday"},
		{"Who resigned TODAY?", "2025-07-28", "2025-07-28", "TODAY"},
		{"news from the past 3 days", "2025-07-25", "2025-07-28", "past 3 days"},
		{"What happened this month?", "2025-07-01", "2025-07-28", "this month"},
		{"What happened last month?", "2025-06-01", "2025-06-30", "last month"},
		{"What happened this year?", "2025-01-01", "2025-07-28", "this year"},
		{"What happened last year?", "2024-01-01", "2024-12-31", "last year"},
		{"What has changed since June?", "2025-06-01", "2025-07-28", "since June"},
		{"What has changed since September?", "2024-09-01", "2025-07-28", "since September"},
		{"since June 2023", "2023-06-01", "2025-07-28", "since June 2023"},
		{"since 2024", "2024-01-01", "2025-07-28", "since 2024"},
		{"since 12 May", "2025-05-12", "2025-07-28", "since 12 May"},
		{"since May 12th, 2024", "2024-05-12", "2025-07-28", "since May 12th, 2024"},
		{"What was agreed in March 2024?", "2024-03-01", "2024-03-31", "in March 2024"},
		{"What was agreed in March?", "2025-03-01", "2025-03-31", "in March"},
		{"What was agreed in December?", "2024-12-01", "2024-12-31", "in December"},
		{"What was agreed in 2023?", "2023-01-01", "2023-12-31", "in 2023"},
		{"What did she say on 12 May?", "2025-05-12", "2025-05-13", "12 May"},
		{"What did she say on May 12?", "2025-05-12", "2025-05-13", "May 12"},
		{"What did she say on 3rd of January 2024?", "2024-01-03", "2024-01-04", "3rd of January 2024"},
		{"What happened on 2024-02-29?", "2024-02-29", "2024-03-01", "2024-02-29"},
		{"What happened on Dec. 25?", "2024-12-25", "2024-12-26", "Dec. 25"},
		// An upcoming day named without a year is not last year's.
		{"The album comes out July 29. What is it called?", "", "", ""},
		// A year elsewhere in the question dates an undated day.
		{"the festival from August 15th to August 18th, 2024", "2024-08-15", "2024-08-16", "August 15th"},
		// A relative period wins over a calendar date.
		{"a missile over Japan this week, the first since 2017", "2025-07-22", "2025-07-28", "this week"},
		// A quoted title is not a date.
		{"the mother of “Today” anchor Savannah Guthrie", "", "", ""},
		// Not dates.
		{"How many troops since 5000 arrived?", "", "", ""},
		{"What happened on 2024-02-30?", "", "", ""},
		{"They may 12 times refuse", "", "", ""},
		{"Who is the foreign minister of Norland?", "", "", ""},
		{"", "", "", ""},
	} {
		w, ok := ParseTimeWindow(c.q, asOf)
		if c.from == "" {
			if ok {
				t.Errorf("%q: unexpected window %v..%v (%q)", c.q, w.From, w.To, w.Phrase)
			}
			continue
		}
		if !ok {
			t.Errorf("%q: no window", c.q)
			continue
		}
		got := w.From.Format(corpus.DateLayout) + ".." + w.To.Format(corpus.DateLayout)
		if want := c.from + ".." + c.to; got != want || w.Phrase != c.phrase {
			t.Errorf("%q: got %s %q, want %s %q", c.q, got, w.Phrase, want, c.phrase)
		}
		if !w.Contains(w.From.Add(13*time.Hour)) || w.Contains(w.To.AddDate(0, 0, 1)) {
			t.Errorf("%q: Contains disagrees with the bounds", c.q)
		}
	}
}

func TestParseTimeWindowHostile(t *testing.T) {
	asOf := day("2025-07-28")
	for _, q := range []string{
		strings.Repeat("since ", 5000),
		strings.Repeat("in March ", 2000) + "2024",
		"since 99999999999999999999 days",
		"last 99999999999 days",
		"\xff\xfe since \x00 June",
	} {
		w, ok := ParseTimeWindow(q, asOf)
		if ok && w.From.After(w.To) && !strings.HasPrefix(w.Phrase, "in") {
			t.Errorf("%.30q: inverted window %v", q, w)
		}
	}
}

// TestParseTimeWindowRelative checks which windows count back from the
// as-of date (the search filters by them) and which name a calendar date
// (the search prefers them).
func TestParseTimeWindowRelative(t *testing.T) {
	asOf := day("2025-07-28")
	for q, want := range map[string]bool{
		"What happened today?":            true,
		"Who resigned yesterday?":         true,
		"news from the past 3 days":       true,
		"What happened this week?":        true,
		"What happened last week?":        true,
		"What happened last month?":       true,
		"What happened in the past year?": true,
		"What has changed since June?":    true,
		"What was agreed in March 2024?":  false,
		"What was agreed in March?":       false,
		"What did she say on 12 May?":     false,
		"What did she say on May 12?":     false,
		"What happened on 2024-02-29?":    false,
		"What was agreed in 2023?":        false,
		// A relative period wins over a calendar date in the same question.
		"a missile over Japan this week, the first since 2017": true,
	} {
		w, ok := ParseTimeWindow(q, asOf)
		if !ok || w.Relative != want {
			t.Errorf("%q: window %v, Relative %v, want %v", q, ok, w.Relative, want)
		}
	}
}

// day parses a YYYY-MM-DD test date.
func day(s string) time.Time {
	t, err := time.Parse(corpus.DateLayout, s)
	if err != nil {
		panic(err)
	}
	return t
}
