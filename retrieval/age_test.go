package retrieval

import (
	"testing"
	"time"
)

func TestAge(t *testing.T) {
	asOf := time.Date(2026, 12, 1, 9, 30, 0, 0, time.UTC)
	at := func(y int, m time.Month, d, h int) time.Time { return time.Date(y, m, d, h, 0, 0, 0, time.UTC) }
	tests := []struct {
		t    time.Time
		want string
	}{
		{at(2026, 12, 1, 23), "today"}, // later the same day
		{at(2026, 12, 2, 0), "today"},  // after the as-of date
		{at(2027, 6, 1, 0), "today"},
		{at(2026, 11, 30, 23), "yesterday"}, // calendar days, not 24-hour periods
		{at(2026, 11, 29, 0), "2 days ago"},
		{at(2026, 11, 18, 0), "13 days ago"},
		{at(2026, 11, 17, 0), "2 weeks ago"},       // 14 days
		{at(2026, 11, 10, 0), "3 weeks ago"},       // 21 days
		{at(2026, 11, 6, 0), "4 weeks ago"},        // 25 days rounds to 4
		{at(2026, 10, 31, 0), "4 weeks ago"},       // 31 days: the first stale day
		{at(2026, 10, 3, 0), "8 weeks ago"},        // 59 days
		{at(2026, 10, 2, 0), "about 2 months ago"}, // 60 days
		{at(2026, 8, 1, 0), "about 4 months ago"},
		{at(2026, 1, 1, 0), "about 11 months ago"}, // 334 days
		{at(2025, 12, 31, 0), "about a year ago"},  // 335 days
		{at(2025, 7, 27, 0), "about a year ago"},   // 492 days
		{at(2025, 5, 1, 0), "about 2 years ago"},   // 579 days
		{at(2022, 12, 7, 0), "about 4 years ago"},  // 1455 days
		{time.Time{}, "about 2026 years ago"},      // no overflow on far dates
	}
	for _, tt := range tests {
		if got := Age(tt.t, asOf); got != tt.want {
			t.Errorf("Age(%s, %s) = %q, want %q", tt.t.Format(time.DateTime), asOf.Format(time.DateOnly), got, tt.want)
		}
	}
}

// Age reads dates by their UTC calendar day, whatever zone they carry.
func TestAgeTimeZones(t *testing.T) {
	east := time.FixedZone("UTC+10", 10*3600)
	asOf := time.Date(2026, 6, 10, 8, 0, 0, 0, east) // 9 Jun 22:00 UTC
	if got := Age(time.Date(2026, 6, 9, 0, 0, 0, 0, time.UTC), asOf); got != "today" {
		t.Errorf("got %q, want today", got)
	}
}
