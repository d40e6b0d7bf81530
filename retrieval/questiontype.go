package retrieval

import (
	"github.com/attache-bot/attache/corpus/lang"
	"strings"
)

// AnswerType is the kind of answer a question asks for, as guessed from its
// wording. The extractive answerer prefers sentences that contain a token of
// that kind which the question itself does not already contain.
type AnswerType int

const (
	AnswerAny    AnswerType = iota // no recognisable type ("why", "how", statements)
	AnswerPerson                   // who, whom, whose, which leader / actor / …
	AnswerPlace                    // where, which country / state / city / …
	AnswerDate                     // when, what year, which month / day / …
	AnswerNumber                   // how many, how much, how old, what percentage, …
	AnswerEntity                   // which / what + noun: a named thing (company, team, film, …)
)

// String names the type, for logs and test output.
func (t AnswerType) String() string {
	switch t {
	case AnswerPerson:
		return "person"
	case AnswerPlace:
		return "place"
	case AnswerDate:
		return "date"
	case AnswerNumber:
		return "number"
	case AnswerEntity:
		return "entity"
	default:
		return "any"
	}
}

// Nouns that, after "which" / "what", ask for a person, a place or a time.
var (
	personNouns = makeWordSet(`person people man woman men women actor actress singer rapper artist
		musician player athlete star leader president minister official politician senator governor
		lawmaker candidate judge justice king queen prince princess monarch ruler dictator ceo
		executive founder billionaire author writer director host comedian celebrity journalist
		reporter spokesperson spokesman ambassador diplomat envoy chancellor premier mayor
		secretary general commander pope cardinal rabbi imam scientist astronaut coach
		quarterback pitcher golfer boxer swimmer skater gymnast rival predecessor successor
		nominee suspect defendant victim designer chef model band cofounder co-founder heir
		champion winner medalist owner husband wife son daughter father mother`)
	placeNouns = makeWordSet(`country countries nation nations state states city cities town
		towns village region province territory island islands continent capital county
		place location sea ocean river lake mountain volcano border port airport site
		neighborhood district peninsula area park`)
	timeNouns   = makeWordSet(`year years month months day days date decade century season week`)
	numberHeads = makeWordSet(`many much old long far big large high tall often fast deep`)
)

// questionType guesses what kind of answer question asks for. It looks at the
// first wh-word (who, where, when, which, what, how) and, for which/what, at
// the noun that follows it ("which country" → place, "what year" → date).
//
// When the question has a preamble ("A record-breaking reptile was caught in
// Florida. Which animal was it?"), the clause that ends with the question
// mark decides.
func questionType(question string) AnswerType {
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
func blankType(words []string) AnswerType {
	if len(words) == 0 {
		return AnswerAny
	}
	last := words[len(words)-1]
	prev := ""
	if len(words) > 1 {
		prev = words[len(words)-2]
	}
	switch {
	case last == "since" || last == "until" || last == "on" && len(words) > 2:
		return AnswerDate
	case numberVerbs[last] || last == "to" && numberVerbs[prev]:
		return AnswerNumber
	case last == "by" && (prev == "held" || prev == "led" || prev == "won" || prev == "written" || prev == "directed"):
		return AnswerPerson
	case nameVerbs[last] || last == "to" && (prev == "renamed" || prev == "changed"):
		return AnswerEntity
	}
	return AnswerAny
}

// typeAt is the answer type asked by the wh-word words[i].
func typeAt(words []string, i int) AnswerType {
	next := ""
	if i+1 < len(words) {
		next = words[i+1]
	}
	switch words[i] {
	case "who", "whom", "whose":
		return AnswerPerson
	case "where":
		return AnswerPlace
	case "when":
		return AnswerDate
	case "how":
		if numberHeads[next] {
			return AnswerNumber
		}
		return AnswerAny
	case "why":
		return AnswerAny
	}
	// which / what: the noun that follows names the kind ("which European
	// country", "what is the world's happiest country", "what year").
	j := i + 1
	aux := false
	if j < len(words) && auxVerbs[words[j]] {
		aux = true
		if !copulas[words[j]] && words[i] == "what" {
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
		case personNouns[n]:
			return AnswerPerson
		case placeNouns[n]:
			return AnswerPlace
		case timeNouns[n] && seen == 1:
			// "what year", "which month"; not "which horse won this year's".
			return AnswerDate
		case numberNouns[n]:
			return AnswerNumber
		case nameVerbs[n] || entityNouns[n]:
			return AnswerEntity
		}
		if auxVerbs[n] || (extractStopwords.Has(n) && seen > 1) {
			break
		}
	}
	if aux && words[i] == "what" {
		return whatAux(words[i+1:])
	}
	return AnswerEntity
}

// whatAux types "what" + auxiliary questions whose noun gave no answer
// type: "what is it called?" asks for a name, "what did they ask for?" for
// anything.
func whatAux(rest []string) AnswerType {
	for _, w := range rest {
		if nameVerbs[w] {
			return AnswerEntity
		}
	}
	return AnswerAny
}

var (
	auxVerbs = makeWordSet(`is was are were did does do has have had will would can could should
		might may must`)
	copulas     = makeWordSet(`is was are were`)
	numberNouns = makeWordSet(`percentage percent number amount age price cost total sum figure rate
		fee fine salary`)
	entityNouns = makeWordSet(`movie film show series song album book novel company firm business
		brand product app team club horse dog animal species sport game event festival storm
		hurricane ship car vehicle drug vaccine virus disease organization organisation agency
		party group network channel platform award prize trophy bill law treaty word phrase
		retailer automaker airline bank university school restaurant chain`)
	numberVerbs = makeWordSet(`measures measured weighs weighed costs cost totals totaled totalled
		raised rose risen increased grew fell dropped declined ballooned climbed jumped
		soared surged reached lowered`)
	nameVerbs = makeWordSet(`called named titled dubbed known name title nickname word phrase`)
)

// questionClause is the last sentence of s that ends with a question mark,
// or s when none does (or it is too short to carry the question).
func questionClause(s string) string {
	spans := splitSentences(s)
	for k := len(spans) - 1; k >= 0; k-- {
		c := s[spans[k].start:spans[k].end]
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

func makeWordSet(s string) map[string]bool {
	m := make(map[string]bool)
	for _, w := range strings.Fields(s) {
		m[w] = true
	}
	return m
}

// extractStopwords are English function words and words too common in news to tell
// sentences apart. They count neither as question terms nor as names.
// The base list's "s" and "t" are left out: the question-type reader sees
// the "s" of "world's" as a word of its own.
var extractStopwords = lang.Stop.With(`aren't can't cannot couldn't didn't doesn't don't hadn't hasn't haven't he'd he'll he's here's
	how's i'd i'll i'm i've isn't it's let's mustn't ought shan't she'd she'll she's shouldn't
	that's there's they'd they'll they're they've wasn't we'd we'll we're we've weren't what's
	when's where's who's why's won't wouldn't you'd you'll you're you've new one ones may might
	must per via yet still even ever many much recently recent week weeks year last first told get
	got make made since like amid us u.s it’s become became across along among another around away
	back called come including mr mrs ms dr`).Without("s t")

// monthNames and weekdayNames mark dates.
var (
	monthNames = makeWordSet(`january february march april may june july august september october november
		december jan feb mar apr jun jul aug sep sept oct nov dec`)
	weekdayNames = makeWordSet(`monday tuesday wednesday thursday friday saturday sunday`)
)

// quantityWords are quantities written out.
var quantityWords = makeWordSet(`two three four five six seven eight nine ten eleven twelve thirteen
	fourteen fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy
	eighty ninety hundred hundreds thousand thousands million millions billion billions trillion
	dozen dozens half percent`)

// commonInitial are capitalised sentence openers that are not names.
var commonInitial = makeWordSet(`but and or so yet officials authorities police experts critics
	people residents analysts lawmakers some many most several others another it its there their
	they we he she i his her our in on at after before during while when if as since although though
	however meanwhile still now then today yesterday earlier later also despite according under
	over for with without from by to of the a an this that these those one two three all both each
	president former`)

// placeNames are country, US state and major city names, for "where" and
// "which country" questions; two-word names are joined by a space.
var placeNames = makeWordSet(`afghanistan albania algeria andorra angola argentina armenia australia austria
	azerbaijan bahamas bahrain bangladesh barbados belarus belgium belize benin bhutan bolivia bosnia
	botswana brazil brunei bulgaria burkina burundi cambodia cameroon canada chad chile china colombia
	comoros congo croatia cuba cyprus czechia czech denmark djibouti dominica ecuador egypt eritrea
	estonia eswatini ethiopia fiji finland france gabon gambia georgia germany ghana greece grenada
	guatemala guinea guyana haiti honduras hungary iceland india indonesia iran iraq ireland israel
	italy jamaica japan jordan kazakhstan kenya kiribati kosovo kuwait kyrgyzstan laos latvia lebanon
	lesotho liberia libya liechtenstein lithuania luxembourg madagascar malawi malaysia maldives mali
	malta mauritania mauritius mexico micronesia moldova monaco mongolia montenegro morocco mozambique
	myanmar burma namibia nauru nepal netherlands holland nicaragua niger nigeria norway oman pakistan
	palau palestine panama paraguay peru philippines poland portugal qatar romania russia rwanda samoa
	senegal serbia seychelles singapore slovakia slovenia somalia spain sudan suriname sweden
	switzerland syria taiwan tajikistan tanzania thailand togo tonga tunisia turkey türkiye
	turkmenistan tuvalu uganda ukraine uruguay uzbekistan vanuatu vatican venezuela vietnam yemen
	zambia zimbabwe scotland wales england britain greenland gaza crimea tibet hong kong macau
	alabama alaska arizona arkansas california colorado connecticut delaware florida hawaii idaho
	illinois indiana iowa kansas kentucky louisiana maine maryland massachusetts michigan minnesota
	mississippi missouri montana nebraska nevada ohio oklahoma oregon pennsylvania tennessee texas
	utah vermont virginia washington wisconsin wyoming
	london paris berlin moscow beijing tokyo delhi mumbai kyiv kiev tehran baghdad damascus cairo
	jerusalem riyadh dubai istanbul ankara rome madrid lisbon athens vienna warsaw brussels geneva
	seoul pyongyang taipei manila jakarta bangkok hanoi sydney melbourne toronto ottawa montreal
	vancouver havana caracas bogota lima santiago chicago houston boston atlanta miami seattle
	denver phoenix dallas detroit philadelphia baltimore nashville orleans angeles francisco
	kabul islamabad karachi lahore doha beirut khartoum nairobi lagos johannesburg kharkiv odesa
	odessa mariupol bakhmut kherson minsk tbilisi yerevan baku
	new_york new_jersey new_mexico new_hampshire north_carolina south_carolina north_dakota
	south_dakota west_virginia rhode_island north_korea south_korea south_africa south_sudan
	saudi_arabia sri_lanka new_zealand costa_rica el_salvador puerto_rico united_kingdom
	united_states ivory_coast east_timor sierra_leone papua_new dominican_republic
	los_angeles san_francisco las_vegas san_diego hong_kong tel_aviv abu_dhabi buenos_aires
	mexico_city cape_town`)

func init() {
	// Two-word place names are written with "_" above so that wordSet keeps
	// them whole; look-ups use a space.
	for p := range placeNames {
		if strings.Contains(p, "_") {
			delete(placeNames, p)
			placeNames[strings.ReplaceAll(p, "_", " ")] = true
		}
	}
}
