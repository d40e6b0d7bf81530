package question

import "testing"

func TestReadIntentNotNews(t *testing.T) {
	for _, c := range []struct {
		q    string
		want bool
	}{
		// Requests that are not news questions, whatever their topic.
		{"How do I bake sourdough bread at home?", true},
		{"how to reset my password", true},
		{"Can you tell me how to renew a passport?", true},
		{"Write a Python function that reverses a linked list.", true},
		{"Please translate 'good morning' into Japanese.", true},
		{"Recommend a good fantasy novel for a long flight.", true},
		{"What's a good book about diplomacy?", true},
		{"What is 17 times 23?", true},
		{"12*(3+4)=?", true},
		{"What is the square root of 81?", true},
		{"Give me a recipe for lentil soup", true},
		{"Tell me a joke", true},
		{"Compose a haiku about the summit", true},
		// News questions, also with the same words.
		{"How did the border talks end?", false},
		{"How has Veloria responded to the sanctions?", false},
		{"Why did bakeries in the capital close?", false},
		{"What did the 2 to 1 vote in the council decide?", false},
		{"Who won the election in 2024?", false},
		{"What's the latest on the ceasefire?", false},
		{"How many people were displaced by the floods?", false},
		{"Что решили на переговорах?", false},
		{"ماذا قال الوزير عن الحدود؟", false},
		{"What's the story with the Veloria border crossings?", false},
		{"What's the song that won Eurovision?", false},
		{"What is the function of the new agency?", false},
		{"Why should I care about the rate decision?", false},
		{"What are good signs in the jobs report?", false},
		{"Draft law on migration: what changed?", false},
		{"Code of conduct for the summit: who signed?", false},
		{"", false},
		{"???", false},
		{"please", false},
	} {
		if got := ReadIntent(c.q).NotNews; got != c.want {
			t.Errorf("ReadIntent(%q).NotNews = %v, want %v", c.q, got, c.want)
		}
	}
}

func TestReadIntentLatest(t *testing.T) {
	for _, c := range []struct {
		q    string
		want bool
	}{
		{"What's the latest on Ukraine?", true},
		{"Any news about China?", true},
		{"What is happening in Gaza right now?", true},
		{"Is the border still closed?", true},
		{"Who currently leads the talks?", true},
		{"Any updates on the grain deal?", true},
		{"What has been agreed so far?", true},
		{"What's new with the summit?", true},
		{"Recent developments in Sudan", true},
		{"Who won the election?", false},
		{"Where were the talks held?", false},
		{"What did the minister demand last week?", false},
		{"What did Fox News report about the talks?", false}, // a name, not a cue
		{"Why is the current account deficit growing?", false},
		{"Latest on Ukraine", true}, // a capital that opens the question is grammar
		{"ȺȺȺȺȺȺȺȺ Veloria right now", true},
	} {
		if got := ReadIntent(c.q).Latest; got != c.want {
			t.Errorf("ReadIntent(%q).Latest = %v, want %v", c.q, got, c.want)
		}
	}
}

func TestReadIntentEvergreen(t *testing.T) {
	for _, c := range []struct {
		q    string
		want bool
	}{
		{"how many calories are in an avocado?", true},
		{"What are the rules of pickleball doubles?", true},
		{"Which houseplants are safe for cats?", true},
		{"What is the boiling point of water at sea level?", true},
		{"What is the border dispute about?", true},
		// Events and news.
		{"Which two carmakers are discussing a merger?", false},
		{"What is the death toll after this week's earthquake?", false},
		{"Who is the new prime minister?", false},
		{"Where is the summit being held?", false},
		{"What was agreed in Geneva?", false},
		{"Which country is planning to tax farmers?", false},
		{"What is the name of the minister's dog who is in the doghouse?", false},
		{"What is the name of the festival that the band is hosting in Dover?", false},
	} {
		if got := ReadIntent(c.q).Evergreen; got != c.want {
			t.Errorf("ReadIntent(%q).Evergreen = %v, want %v", c.q, got, c.want)
		}
	}
}

func TestWithoutRecencyWords(t *testing.T) {
	for in, want := range map[string]string{
		"What's the latest on Ukraine?":            "What's the on Ukraine?",
		"Any news about the grain deal right now?": "Any about the grain deal ?",
		"latest news":        "latest news", // nothing else left
		"Who leads Veloria?": "Who leads Veloria?",
	} {
		if got := WithoutRecencyWords(in); got != want {
			t.Errorf("WithoutRecencyWords(%q) = %q, want %q", in, got, want)
		}
	}
}
