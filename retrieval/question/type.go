package question

import (
	"strings"

	"github.com/attache-bot/attache/corpus"
	"github.com/attache-bot/attache/corpus/lang"
)

// Type is the kind of answer a question asks for, as guessed from its
// wording. The extractive answerer prefers sentences that contain a token of
// that kind which the question itself does not already contain.
type Type int

const (
	Any    Type = iota // no recognisable type ("why", "how", statements)
	Person             // who, whom, whose, which leader / actor / …
	Place              // where, which country / state / city / …
	Date               // when, what year, which month / day / …
	Number             // how many, how much, how old, what percentage, …
	Entity             // which / what + noun: a named thing (company, team, film, …)
)

// String names the type, for logs and test output.
func (t Type) String() string {
	switch t {
	case Person:
		return "person"
	case Place:
		return "place"
	case Date:
		return "date"
	case Number:
		return "number"
	case Entity:
		return "entity"
	default:
		return "any"
	}
}

// Nouns that, after "which" / "what", ask for a person, a place or a time.
var (
	personNouns = lang.NewWordSet(`person people man woman men women actor actress singer rapper artist
		musician player athlete star leader president minister official politician senator governor
		lawmaker candidate judge justice king queen prince princess monarch ruler dictator ceo
		executive founder billionaire author writer director host comedian celebrity journalist
		reporter spokesperson spokesman ambassador diplomat envoy chancellor premier mayor
		secretary general commander pope cardinal rabbi imam scientist astronaut coach
		quarterback pitcher golfer boxer swimmer skater gymnast rival predecessor successor
		nominee suspect defendant victim designer chef model band cofounder co-founder heir
		champion winner medalist owner husband wife son daughter father mother`)
	placeNouns = lang.NewWordSet(`country countries nation nations state states city cities town
		towns village region province territory island islands continent capital county
		place location sea ocean river lake mountain volcano border port airport site
		neighborhood district peninsula area park`)
	timeNouns   = lang.NewWordSet(`year years month months day days date decade century season week`)
	numberHeads = lang.NewWordSet(`many much old long far big large high tall often fast deep`)
)

// TypeOf guesses what kind of answer question asks for. It looks at the
// first wh-word (who, where, when, which, what, how) and, for which/what, at
// the noun that follows it ("which country" → place, "what year" → date).
//
// When the question has a preamble ("A record-breaking reptile was caught in
// Florida. Which animal was it?"), the clause that ends with the question
// mark decides.
func TypeOf(question string) Type {
	words := lowerQuestionWords(questionClause(question))
	// A "when" or "where" inside the clause is usually relative ("fans were
	// thrilled when the trailer was released for which film?"): it decides
	// only when it opens the clause or no other wh-word is there.
	first := -1
	for i, w := range words {
		switch w {
		case "who", "whom", "whose", "which", "what", "how", "why":
			return typeAt(words, i)
		case "when", "where":
			if i == 0 {
				return typeAt(words, i)
			}
			if first < 0 {
				first = i
			}
		}
	}
	if first >= 0 {
		return typeAt(words, first)
	}
	return blankType(words)
}

// blankType types a fill-in-the-blank question ("… erupted for the first
// time since:") by its last words.
func blankType(words []string) Type {
	if len(words) == 0 {
		return Any
	}
	last := words[len(words)-1]
	prev := ""
	if len(words) > 1 {
		prev = words[len(words)-2]
	}
	switch {
	case last == "since" || last == "until" || last == "on" && len(words) > 2:
		return Date
	case numberVerbs.Has(last) || last == "to" && numberVerbs.Has(prev):
		return Number
	case last == "by" && (prev == "held" || prev == "led" || prev == "won" || prev == "written" || prev == "directed"):
		return Person
	case nameVerbs.Has(last) || last == "to" && (prev == "renamed" || prev == "changed"):
		return Entity
	}
	return Any
}

// typeAt is the answer type asked by the wh-word words[i].
func typeAt(words []string, i int) Type {
	next := ""
	if i+1 < len(words) {
		next = words[i+1]
	}
	switch words[i] {
	case "who", "whom", "whose":
		return Person
	case "where":
		return Place
	case "when":
		return Date
	case "how":
		if numberHeads.Has(next) {
			return Number
		}
		return Any
	case "why":
		return Any
	}
	// which / what: the noun that follows names the kind ("which European
	// country", "what is the world's happiest country", "what year").
	j := i + 1
	aux := false
	if j < len(words) && auxVerbs.Has(words[j]) {
		aux = true
		if !copulas.Has(words[j]) && words[i] == "what" {
			// "What did the bank decide?": the noun is the subject, not
			// the kind of answer.
			return whatAux(words[j+1:])
		}
		j++
	}
	for seen := 0; j < len(words) && seen < 4; j++ {
		w := words[j]
		if w == "the" || w == "a" || w == "an" || w == "its" || w == "his" || w == "her" || w == "their" {
			continue
		}
		if w == "of" {
			// "which of the president's programs": the kind is unknown.
			break
		}
		seen++
		n := singularNoun(w)
		switch {
		case personNouns.Has(n):
			return Person
		case placeNouns.Has(n):
			return Place
		case timeNouns.Has(n) && seen == 1:
			// "what year", "which month"; not "which horse won this year's".
			return Date
		case numberNouns.Has(n):
			return Number
		case nameVerbs.Has(n) || entityNouns.Has(n):
			return Entity
		}
		if auxVerbs.Has(n) || (Stopwords.Has(n) && seen > 1) {
			break
		}
	}
	if aux && words[i] == "what" {
		return whatAux(words[i+1:])
	}
	return Entity
}

// whatAux types "what" + auxiliary questions whose noun gave no answer
// type: "what is it called?" asks for a name, "what did they ask for?" for
// anything.
func whatAux(rest []string) Type {
	for _, w := range rest {
		if nameVerbs.Has(w) {
			return Entity
		}
	}
	return Any
}

var (
	auxVerbs = lang.NewWordSet(`is was are were did does do has have had will would can could should
		might may must`)
	copulas     = lang.NewWordSet(`is was are were`)
	numberNouns = lang.NewWordSet(`percentage percent number amount age price cost total sum figure rate
		fee fine salary`)
	entityNouns = lang.NewWordSet(`movie film show series song album book novel company firm business
		brand product app team club horse dog animal species sport game event festival storm
		hurricane ship car vehicle drug vaccine virus disease organization organisation agency
		party group network channel platform award prize trophy bill law treaty word phrase
		retailer automaker airline bank university school restaurant chain`)
	numberVerbs = lang.NewWordSet(`measures measured weighs weighed costs cost totals totaled totalled
		raised rose risen increased grew fell dropped declined ballooned climbed jumped
		soared surged reached lowered`)
	nameVerbs = lang.NewWordSet(`called named titled dubbed known name title nickname word phrase`)
)

// questionClause is the last sentence of s that ends with a question mark,
// or s when none does (or it is too short to carry the question).
func questionClause(s string) string {
	spans := corpus.Sentences(s)
	for k := len(spans) - 1; k >= 0; k-- {
		c := s[spans[k].Start:spans[k].End]
		if strings.ContainsAny(c, "?？؟") {
			if len(strings.Fields(c)) < 2 {
				return s
			}
			return c
		}
	}
	return s
}

// lowerQuestionWords splits s into lower-case words of letters and digits.
func lowerQuestionWords(s string) []string { return lang.Fields(strings.ToLower(s), "-") }

// singularNoun strips a plural ending from simple English nouns.
func singularNoun(w string) string {
	if len(w) > 4 && strings.HasSuffix(w, "ies") {
		return w[:len(w)-3] + "y"
	}
	if len(w) > 3 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") {
		return w[:len(w)-1]
	}
	return w
}

// Stopwords are English function words and words too common in news to tell
// sentences apart. They count neither as question terms nor as names.
// The base list's "s" and "t" are left out: the question-type reader sees
// the "s" of "world's" as a word of its own.
var Stopwords = lang.Stop.With(`aren't can't cannot couldn't didn't doesn't don't hadn't hasn't haven't he'd he'll he's here's
	how's i'd i'll i'm i've isn't it's let's mustn't ought shan't she'd she'll she's shouldn't
	that's there's they'd they'll they're they've wasn't we'd we'll we're we've weren't what's
	when's where's who's why's won't wouldn't you'd you'll you're you've new one ones may might
	must per via yet still even ever many much recently recent week weeks year last first told get
	got make made since like amid us u.s it’s become became across along among another around away
	back called come including mr mrs ms dr`).Without("s t")
