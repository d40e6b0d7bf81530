package question

import (
	"cmp"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// TimeWindow is a range of publication dates named by a question, both ends
// inclusive, as UTC midnights.
type TimeWindow struct {
	From, To time.Time
	// Phrase is the part of the question that named the window, e.g.
	// "this week" or "in March 2024".
	Phrase string
	// Relative is true for a period counted back from the as-of date
	// ("today", "this week", "last month", "since June"): it names when the
	// news was reported. A calendar date or month ("on 12 May", "in March
	// 2024") often names when something happened instead, which a report
	// published much later may still be about; the search treats the two
	// differently (see the search's calendar window boost).
	Relative bool
}

// Contains reports whether day t (any time of it) lies in the window.
func (w TimeWindow) Contains(t time.Time) bool {
	d := DayStart(t)
	return !d.Before(w.From) && !d.After(w.To)
}

// ParseTimeWindow finds the date range a question asks about, relative to
// the as-of date asOf, and reports whether it found one. Recognised, case
// insensitive (the first form found, in this order of precedence, wins):
//
//   - "today" (the as-of day), "yesterday" (the day before and the as-of day,
//     since yesterday's news is often dated today);
//   - "past N days" / "last N days";
//   - "this week" / "past week" (the 7 days up to and including asOf),
//     "last week" (the 14 days up to asOf: people say "last week" of things
//     a few days old as often as of the calendar week before);
//   - "this month" (the 1st of asOf's month to asOf), "last month" (the
//     previous calendar month), "past month" (30 days up to asOf);
//   - "this year", "last year", "past year";
//   - "since June", "since June 2024", "since 2023", "since 12 May": from
//     that day (the most recent such month or day not after asOf when no year
//     is given) to asOf;
//   - ISO dates "2024-05-12" and written dates "12 May 2024", "May 12, 2024",
//     "on 12 May", "on May 12th": that day and the next (news of an event is
//     often published the day after it). Without a year, a year written
//     elsewhere in the question is used, else the most recent such day; a
//     day up to 120 days ahead is an upcoming day and no window;
//   - "in March 2024", "in March" (the most recent March up to asOf), "in
//     2024".
//
// A lower-case "may" is the verb, never the month. Windows may reach past
// asOf (e.g. "in 2030"); the search clips them to the as-of date and falls
// back to no window when nothing is left.
func ParseTimeWindow(question string, asOf time.Time) (TimeWindow, bool) {
	q := strings.ToLower(question)
	asOf = DayStart(asOf)
	// A day named without a year takes a year named elsewhere in the
	// question ("from August 15th to August 18th, 2024").
	yearHint := ""
	if m := yearRe.FindString(q); m != "" {
		yearHint = m
	}
	for _, p := range windowParsers {
		loc := p.re.FindStringSubmatchIndex(q)
		if loc == nil {
			continue
		}
		m := make([]string, len(loc)/2)
		for i := range m {
			if loc[2*i] >= 0 {
				m[i] = q[loc[2*i]:loc[2*i+1]]
			}
		}
		phrase := strings.TrimSpace(question[loc[0]:loc[1]])
		if mayIsVerb.MatchString(phrase) {
			// "they may 12 times refuse": the month is written "May".
			continue
		}
		if quoted(question, loc[0]) {
			// “Today” or "Yesterday" in quotes is a title (a show, a
			// song), not a date.
			continue
		}
		if w, ok := p.fn(m, asOf, yearHint); ok {
			w.Phrase, w.Relative = phrase, p.relative
			return w, true
		}
	}
	return TimeWindow{}, false
}

// quoted reports whether the text at byte i follows an opening quote.
func quoted(text string, i int) bool {
	before := strings.TrimRight(text[:i], " ")
	r, _ := utf8.DecodeLastRuneInString(before)
	return strings.ContainsRune("\"“‘«'", r)
}

// yearRe finds a plausible year anywhere in a question.
var yearRe = regexp.MustCompile(`\b(?:19|20|21)\d\d\b`)

// Years returns the plausible years (1900–2199) written in text, in order.
func Years(text string) []string { return yearRe.FindAllString(text, -1) }

// mayIsVerb matches a lower-case "may", which is the verb, not the month.
var mayIsVerb = regexp.MustCompile(`\bmay\b`)

// DayStart truncates t to its UTC date: the day windows are made of.
func DayStart(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func addDays(t time.Time, n int) time.Time { return t.AddDate(0, 0, n) }

const monthRe = `(january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec)`

var monthByName = map[string]time.Month{
	"january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
	"august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
	"jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9,
	"oct": 10, "nov": 11, "dec": 12,
}

// daysBack parses a period of the n days before the as-of date, through the
// as-of date itself.
func daysBack(n int) func([]string, time.Time, string) (TimeWindow, bool) {
	return func(_ []string, asOf time.Time, _ string) (TimeWindow, bool) {
		return TimeWindow{From: addDays(asOf, -n), To: asOf}, true
	}
}

// windowParser reads one form of time expression: re finds it, fn turns the
// match into a window.
type windowParser struct {
	re *regexp.Regexp
	fn func(m []string, asOf time.Time, yearHint string) (TimeWindow, bool)
	// relative marks the parsers of periods counted from the as-of date
	// (TimeWindow.Relative).
	relative bool
}

// windowParsers are tried in order. Relative periods come first: they name
// when the news was reported ("this week"), while a calendar date in the
// same question usually names something else ("the first launch since
// 2017"). Among calendar forms the more specific come first, so that "since
// 12 May 2024" is not read as "in 2024".
var windowParsers = []windowParser{
	{
		regexp.MustCompile(`\btoday\b`),
		daysBack(0),
		true,
	},
	{
		regexp.MustCompile(`\byesterday\b`),
		daysBack(1),
		true,
	},
	{
		regexp.MustCompile(`\b(?:past|last)\s+(\d{1,3})\s+days\b`),
		func(m []string, asOf time.Time, yearHint string) (TimeWindow, bool) {
			n, err := strconv.Atoi(m[1])
			if err != nil || n <= 0 {
				return TimeWindow{}, false
			}
			return TimeWindow{From: addDays(asOf, -n), To: asOf}, true
		},
		true,
	},
	{
		regexp.MustCompile(`\b(?:this|past)\s+week\b`),
		daysBack(6),
		true,
	},
	{
		regexp.MustCompile(`\blast\s+week\b`),
		daysBack(13),
		true,
	},
	{
		regexp.MustCompile(`\bthis\s+month\b`),
		func(_ []string, asOf time.Time, _ string) (TimeWindow, bool) {
			return TimeWindow{From: time.Date(asOf.Year(), asOf.Month(), 1, 0, 0, 0, 0, time.UTC), To: asOf}, true
		},
		true,
	},
	{
		regexp.MustCompile(`\blast\s+month\b`),
		func(_ []string, asOf time.Time, _ string) (TimeWindow, bool) {
			first := time.Date(asOf.Year(), asOf.Month(), 1, 0, 0, 0, 0, time.UTC)
			return TimeWindow{From: first.AddDate(0, -1, 0), To: addDays(first, -1)}, true
		},
		true,
	},
	{
		regexp.MustCompile(`\bpast\s+month\b`),
		daysBack(30),
		true,
	},
	{
		regexp.MustCompile(`\bthis\s+year\b`),
		func(_ []string, asOf time.Time, _ string) (TimeWindow, bool) {
			return TimeWindow{From: time.Date(asOf.Year(), 1, 1, 0, 0, 0, 0, time.UTC), To: asOf}, true
		},
		true,
	},
	{
		regexp.MustCompile(`\blast\s+year\b`),
		func(_ []string, asOf time.Time, _ string) (TimeWindow, bool) {
			y := asOf.Year() - 1
			return TimeWindow{From: time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(y, 12, 31, 0, 0, 0, 0, time.UTC)}, true
		},
		true,
	},
	{
		regexp.MustCompile(`\bpast\s+year\b`),
		func(_ []string, asOf time.Time, _ string) (TimeWindow, bool) {
			return TimeWindow{From: asOf.AddDate(-1, 0, 0), To: asOf}, true
		},
		true,
	},
	{ // since + a date or month or year
		regexp.MustCompile(`\bsince\s+(?:(?:(\d{1,2})(?:st|nd|rd|th)?\s+` + monthRe + `|` + monthRe + `\s+(\d{1,2})(?:st|nd|rd|th)?)\b,?(?:\s+(\d{4}))?|` + monthRe + `\b(?:\s+(\d{4}))?|(\d{4})\b)`),
		func(m []string, asOf time.Time, yearHint string) (TimeWindow, bool) {
			switch {
			case m[1] != "" || m[3] != "": // since a day
				dayStr, mon := m[1], m[2]
				if dayStr == "" {
					dayStr, mon = m[4], m[3]
				}
				d, ok := resolveDay(mon, dayStr, m[5], asOf)
				return TimeWindow{From: d, To: asOf}, ok
			case m[6] != "": // since a month
				start, _, ok := resolveMonth(m[6], m[7], asOf)
				return TimeWindow{From: start, To: asOf}, ok
			case m[8] != "": // since a year
				y, ok := parseYear(m[8])
				return TimeWindow{From: time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC), To: asOf}, ok
			}
			return TimeWindow{}, false
		},
		true,
	},
	{ // ISO date
		regexp.MustCompile(`\b(\d{4})-(\d{2})-(\d{2})\b`),
		func(m []string, asOf time.Time, yearHint string) (TimeWindow, bool) {
			y, _ := strconv.Atoi(m[1])
			mo, _ := strconv.Atoi(m[2])
			d, _ := strconv.Atoi(m[3])
			t, ok := makeDate(y, time.Month(mo), d)
			return TimeWindow{From: t, To: addDays(t, 1)}, ok
		},
		false,
	},
	{ // 12 May 2024, 12th of May, on 12 May
		regexp.MustCompile(`\b(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?` + monthRe + `\b,?(?:\s+(\d{4})\b)?`),
		func(m []string, asOf time.Time, yearHint string) (TimeWindow, bool) {
			d, ok := resolveDay(m[2], m[1], cmp.Or(m[3], yearHint), asOf)
			return TimeWindow{From: d, To: addDays(d, 1)}, ok
		},
		false,
	},
	{ // May 12, 2024, on May 12th ("May" alone is too ambiguous: it needs a day)
		regexp.MustCompile(`\b` + monthRe + `\.?\s+(\d{1,2})(?:st|nd|rd|th)?\b(?:,?\s+(\d{4})\b)?`),
		func(m []string, asOf time.Time, yearHint string) (TimeWindow, bool) {
			d, ok := resolveDay(m[1], m[2], cmp.Or(m[3], yearHint), asOf)
			return TimeWindow{From: d, To: addDays(d, 1)}, ok
		},
		false,
	},
	{ // in March 2024, in March
		regexp.MustCompile(`\b(?:in|during|of)\s+(?:early\s+|late\s+|mid-?)?` + monthRe + `\b(?:,?\s+(\d{4})\b)?`),
		func(m []string, asOf time.Time, yearHint string) (TimeWindow, bool) {
			start, end, ok := resolveMonth(m[1], m[2], asOf)
			return TimeWindow{From: start, To: end}, ok
		},
		false,
	},
	{ // in 2024
		regexp.MustCompile(`\b(?:in|during)\s+(\d{4})\b`),
		func(m []string, asOf time.Time, yearHint string) (TimeWindow, bool) {
			y, ok := parseYear(m[1])
			return TimeWindow{From: time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(y, 12, 31, 0, 0, 0, 0, time.UTC)}, ok
		},
		false,
	},
}

// parseYear accepts plausible publication years only, so that "since 5000
// troops arrived" is not a date.
func parseYear(s string) (int, bool) {
	y, err := strconv.Atoi(s)
	return y, err == nil && y >= 1900 && y <= 2200
}

// makeDate builds a UTC date, rejecting impossible ones (31 February).
func makeDate(y int, m time.Month, d int) (time.Time, bool) {
	if y < 1900 || y > 2200 || m < 1 || m > 12 || d < 1 || d > 31 {
		return time.Time{}, false
	}
	t := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	return t, t.Day() == d
}

// resolveDay turns a month name, a day and an optional year into a date;
// without a year it is the most recent such day not after asOf.
func resolveDay(month, day, year string, asOf time.Time) (time.Time, bool) {
	mo, ok := monthByName[month]
	if !ok {
		return time.Time{}, false
	}
	d, err := strconv.Atoi(day)
	if err != nil {
		return time.Time{}, false
	}
	if year != "" {
		y, ok := parseYear(year)
		if !ok {
			return time.Time{}, false
		}
		return makeDate(y, mo, d)
	}
	t, ok := makeDate(asOf.Year(), mo, d)
	if ok && t.After(asOf) {
		if t.Sub(asOf) <= futureMention {
			// "released this summer, coming July 29" asked in June
			// speaks of a coming day, not of last year's.
			return time.Time{}, false
		}
		t, ok = makeDate(asOf.Year()-1, mo, d)
	}
	return t, ok
}

// futureMention is how far after the as-of date a day named without a year
// is read as an upcoming day (no window) rather than that day last year.
const futureMention = 120 * 24 * time.Hour

// resolveMonth returns the first and last day of a month; without a year it
// is the most recent such month that began not after asOf.
func resolveMonth(month, year string, asOf time.Time) (start, end time.Time, ok bool) {
	mo, ok := monthByName[month]
	if !ok {
		return time.Time{}, time.Time{}, false
	}
	y := asOf.Year()
	if year != "" {
		if y, ok = parseYear(year); !ok {
			return time.Time{}, time.Time{}, false
		}
	} else if mo > asOf.Month() {
		y--
	}
	start = time.Date(y, mo, 1, 0, 0, 0, 0, time.UTC)
	return start, start.AddDate(0, 1, -1), true
}
