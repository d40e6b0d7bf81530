package question

import "testing"

func TestTypeOf(t *testing.T) {
	cases := []struct {
		q    string
		want Type
	}{
		{"Who leads the delegation to Geneva?", Person},
		{"Whom did the minister meet in Oslo?", Person},
		{"Which world leader called the talks a failure?", Person},
		{"Which 23-time champion will retire this year?", Person},
		{"Where will the summit be held?", Place},
		{"Which country recalled its ambassador this week?", Place},
		{"What country hosts the talks?", Place},
		{"Which countries signed the accord?", Place},
		{"Which companies left the market?", Entity},
		{"In which national park did the fire start?", Place},
		{"What is the world's happiest country?", Place},
		{"When was the treaty first signed?", Date},
		{"What year did the embargo begin?", Date},
		{"How many delegates walked out?", Number},
		{"How much did the telescope cost?", Number},
		{"How old is the new envoy?", Number},
		{"What percentage of voters backed the deal?", Number},
		{"Which company won the contract?", Entity},
		{"Which is the most popular breed?", Entity},
		{"What is the new variant called?", Entity},
		{"Why did the talks collapse?", Any},
		{"How did the markets react?", Any},
		{"What did the rebels demand?", Any},
		{"The ceasefire held for a week.", Any},
		// Fill-in-the-blank questions are typed by their last words.
		{"The volcano erupted for the first time since:", Date},
		{"The minimum age for the contest has been raised to:", Number},
		{"The record was previously held by:", Person},
		{"The streaming service relaunched as a service called:", Entity},
		{"The tallest cat measures:", Number},
		{"", Any},
		{"?!...", Any},
		// The clause with the question mark decides, not the preamble.
		{"A record reptile was caught in the state. Which animal was it?", Entity},
		{"The U.S. Senate met on Tuesday. Where did the vote take place?", Place},
		// A relative "when" does not make a date
		{"Fans cheered when the trailer came out for which film?", Entity},
		{"Кто возглавляет делегацию?", Any},
		{"The court heard two challenges to which of the president's programs?", Entity},
	}
	for _, c := range cases {
		if got := TypeOf(c.q); got != c.want {
			t.Errorf("TypeOf(%q) = %v, want %v", c.q, got, c.want)
		}
	}
}

func TestYears(t *testing.T) {
	got := Years("Will the 2030 World Cup follow the 2026 one, not 1850 or 12024?")
	if len(got) != 2 || got[0] != "2030" || got[1] != "2026" {
		t.Errorf("Years = %q, want [2030 2026]", got)
	}
	if got := Years(""); len(got) != 0 {
		t.Errorf("Years(\"\") = %q, want none", got)
	}
}

func TestIsRecencyWord(t *testing.T) {
	for w, want := range map[string]bool{"latest": true, "news": true, "still": true, "treaty": false, "": false, "Latest": false} {
		if got := IsRecencyWord(w); got != want {
			t.Errorf("IsRecencyWord(%q) = %v, want %v", w, got, want)
		}
	}
}
