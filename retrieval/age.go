package retrieval

import (
	"math"
	"strconv"
	"time"
)

// Age says how long before asOf the day t was, in human units: "today", "yesterday", "3 days ago", "2 weeks ago", "about 4 months ago", "about 4 years ago".
//
// It counts calendar days between the UTC dates of t and asOf, so the hour
// of either does not matter, and a t after asOf is "today" (an article
// dated in another time zone's tomorrow is not from the future). The
// boundaries, chosen so that each unit reads naturally:
//
//	0 days        today
//	1 day         yesterday
//	2–13 days     N days ago
//	14–59 days    N weeks ago (rounded)
//	60–334 days   about N months ago (rounded, 2–11)
//	335+ days     about a year ago, about N years ago (rounded)
//
// Every age in attache's output (answer notes, the command line, Discord's
// source lists) is written by Age, so they all read alike.
func Age(t, asOf time.Time) string {
	days := calendarDays(t, asOf)
	round := func(unit float64) int { return max(int(math.Round(float64(days)/unit)), 1) }
	switch {
	case days <= 0:
		return "today"
	case days == 1:
		return "yesterday"
	case days < 14:
		return strconv.Itoa(days) + " days ago"
	case days < 60:
		return strconv.Itoa(round(7)) + " weeks ago"
	case days < 335:
		return "about " + strconv.Itoa(round(daysPerMonth)) + " months ago"
	}
	if y := round(daysPerYear); y > 1 {
		return "about " + strconv.Itoa(y) + " years ago"
	}
	return "about a year ago"
}

// Average calendar lengths, for rounding ages to months and years.
const (
	daysPerYear  = 365.2425
	daysPerMonth = daysPerYear / 12
)

// calendarDays is the number of calendar days from t's UTC date to asOf's
// (negative when t is later).
func calendarDays(t, asOf time.Time) int {
	day := func(x time.Time) time.Time {
		y, m, d := x.UTC().Date()
		return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	}
	// Seconds between two UTC midnights divide exactly into days (UTC has
	// no daylight saving), and Unix seconds do not saturate the way a
	// time.Duration does past 292 years.
	return int((day(asOf).Unix() - day(t).Unix()) / 86400)
}
