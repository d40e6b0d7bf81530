package question

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/attache-bot/attache/corpus/lang"
)

// Intent is what a question asks of the corpus, as read from its wording
// alone (no corpus statistics): whether it is a news question at all, and
// whether it asks for the newest coverage.
type Intent struct {
	// NotNews marks a request that is not a question about the news: a
	// recipe, code, arithmetic, a translation, a how-to, a recommendation.
	// It is answered ModeNone with one line on what attache answers.
	NotNews bool
	// Latest marks a question that asks for the newest coverage ("what's
	// the latest on…", "any news about…", "is … still …"): among the
	// relevant articles, the newest wins.
	Latest bool
	// Evergreen marks a question in the form of a timeless fact ("How many
	// calories are in an avocado?", "What are the rules of …?"): a present
	// copula, no event verb, no time. News articles mention such things in
	// passing, so the coverage gate asks more of the sources.
	Evergreen bool
}

// evergreenRe matches a question whose main verb is a present "is"/"are"
// not followed by an -ing form ("is facing", "are discussing" report
// events).
// ("What is the capital of…", "How many calories are…", "Which plants are
// safe…"); "who is" and "where is" questions ask about people and events.
var evergreenRe = regexp.MustCompile(`^(?:what|which|how many|how much)\b[^?]*?\b(?:is|are)\b(?:\s+(\w+))?`)

// eventCueRe matches the wording of events and times that makes a
// present-tense question a news question.
var eventCueRe = regexp.MustCompile(`\b(?:was|were|did|had|has|have|will|would|\w{3,}ed|this (?:week|month|year)|yesterday|today|last|next|recently|now|new|newly|set to|expected|planning|plans|take place|taking place|being held)\b`)

// recencyWords ask for the newest coverage. They also say nothing about
// the topic, so the coverage gate does not look for them in the sources.
var recencyWords = lang.NewWordSet(`latest newest now currently recent recently lately update
	updates updated news happening developments ongoing still today tonight nowadays presently`)

// recencyPhrases are the multi-word recency cues, as lower-case words.
var recencyPhrases = [][]string{{"right", "now"}, {"so", "far"}, {"at", "the", "moment"}, {"these", "days"},
	{"as", "of", "now"}, {"going", "on"}, {"what's", "new"}, {"whats", "new"}, {"anything", "new"},
	{"what", "is", "new"}, {"to", "date"}, {"up", "to", "date"}}

// wordSpan is one word of a text: its byte range and its lower-case form.
type wordSpan struct {
	start, end int
	lower      string
	capital    bool // written with a capital
}

// wordSpans splits text into words (letters, digits and inner apostrophes)
// with their byte ranges in text, so that words can be cut out of text
// without case folding moving any offset.
func wordSpans(text string) []wordSpan {
	var out []wordSpan
	start := -1
	flush := func(end int) {
		w := strings.TrimRight(text[start:end], "'’")
		if w != "" {
			r, _ := utf8.DecodeRuneInString(w)
			out = append(out, wordSpan{start: start, end: start + len(w), lower: strings.ToLower(w), capital: unicode.IsUpper(r)})
		}
		start = -1
	}
	for i, r := range text {
		word := unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) || start >= 0 && (r == '\'' || r == '’')
		switch {
		case word && start < 0:
			start = i
		case !word && start >= 0:
			flush(i)
		}
	}
	if start >= 0 {
		flush(len(text))
	}
	return out
}

// recencyCues returns the words of ws that ask for recency: recencyWords
// and recencyPhrases, except words written with a capital inside the
// question, which belong to a name ("Fox News", "Current Affairs").
func recencyCues(ws []wordSpan) []bool {
	cue := make([]bool, len(ws))
	for i, w := range ws {
		if recencyWords.Has(w.lower) && (i == 0 || !w.capital) {
			cue[i] = true
		}
	}
	for _, p := range recencyPhrases {
		for i := 0; i+len(p) <= len(ws); i++ {
			match := true
			for j, pw := range p {
				match = match && ws[i+j].lower == pw
			}
			if match {
				for j := range p {
					cue[i+j] = true
				}
			}
		}
	}
	return cue
}

// notNewsOpeners are imperative verbs that open a task rather than a
// question about events: "Write a function…", "Translate…", "Recommend…".
var notNewsOpeners = lang.NewWordSet(`write implement debug compile translate recommend suggest compose
	calculate compute solve convert generate rewrite paraphrase proofread conjugate recite`)

// howToRe matches a how-to request: "how do I…", "how can you…", "how to…",
// "how should we…" (not "how did…", "how has…", which ask about events).
var howToRe = regexp.MustCompile(`(?i)^\s*(?:(?:please|pls)\s+)?(?:(?:can|could) you (?:tell|show) me |tell me |show me |explain )?how\s+(?:(?:do|can|could|should|would|shall)\s+(?:i|you|we|one)\b|to\b)`)

// arithmeticRe matches arithmetic: two numbers joined by an operator or its
// word ("17 times 23", "3+4", "12 divided by 4", "square root of 81").
var arithmeticRe = regexp.MustCompile(`(?i)\d\s*(?:[-+*/×÷^x]|times|plus|minus|multiplied by|divided by|over|to the power of|squared|cubed)\s*\d|\b(?:square root|cube root|factorial)\s+of\s+\d|^\s*\d[\d\s.,]*[-+*/×÷^][\d\s.,+*/×÷^()-]*=?\s*\??\s*$`)

// requestNouns name an artefact a non-news request asks for ("a recipe
// for…", "a poem about…", "a joke").
var requestNouns = lang.NewWordSet(`recipe recipes poem poems joke jokes haiku limerick essay story
	song lyrics function script snippet regex sql`)

// requestLeadRe matches the lead-in that makes a request out of an
// artefact noun: "give me a…", "tell me a…", "can you write a…",
// "I need a…", "what's a good…".
var requestLeadRe = regexp.MustCompile(`(?i)^\s*(?:(?:please|pls|can you|could you|would you)\s+)*(?:(?:give me|tell me|send me|show me|find me|make me|i need|i want|i'd like|share)\s+(?:a|an|some|the|your|my)|(?:what'?s|what is)\s+(?:a|an))\s+(?:(?:good|nice|best|easy|quick|simple|funny|short)\s+)*`)

// recommendRe matches a request for a recommendation: "what's a good…",
// "which … should I read/buy/watch", "best … for …".
var recommendRe = regexp.MustCompile(`(?i)\b(?:should i (?:read|buy|watch|use|try|get|visit|cook|eat|listen to|play|wear)|do you recommend|would you recommend|can you recommend|what'?s a good|what is a good|what are some good)\b`)

// ReadIntent reads a question's intent from its wording.
func ReadIntent(question string) Intent {
	var in Intent
	lower := strings.ToLower(strings.TrimSpace(question))
	words := lowerQuestionWords(lower)
	for _, c := range recencyCues(wordSpans(question)) {
		in.Latest = in.Latest || c
	}
	in.NotNews = notNewsRequest(lower, words)
	if m := evergreenRe.FindStringSubmatch(lower); m != nil && !strings.HasSuffix(m[1], "ing") &&
		!eventCueRe.MatchString(lower) && !relativeOrProgressive(words) {
		in.Evergreen = true
	}
	return in
}

// relativeOrProgressive reports whether words (a question's, lower case)
// hold a relative clause after the first word ("the dog who is…", "the
// festival that Phish is hosting") or an -ing verb: the question then
// describes something happening, not a timeless fact. "-ing point" ("the
// boiling point") is a noun.
func relativeOrProgressive(words []string) bool {
	for i, w := range words {
		switch {
		case i > 0 && (w == "who" || w == "that" || w == "which" || w == "whose"):
			return true
		case len(w) >= 6 && strings.HasSuffix(w, "ing") && (i+1 == len(words) || words[i+1] != "point"):
			return true
		}
	}
	return false
}

// notNewsRequest reports whether a question (lower-cased, and as words) is a
// request that is not about the news. Only the request's form decides,
// never its topic: "How do I bake bread?" is a how-to whatever the corpus
// says about bread, while "Why did bakeries close?" is a news question.
func notNewsRequest(lower string, words []string) bool {
	if len(words) == 0 {
		return false
	}
	first := words[0]
	if first == "please" || first == "pls" || first == "kindly" {
		if len(words) == 1 {
			return false
		}
		first = words[1]
	}
	switch {
	case notNewsOpeners.Has(first):
		return true
	case howToRe.MatchString(lower):
		return true
	case arithmeticRe.MatchString(lower) && !hasLetterWordsBeyondMath(words):
		return true
	case recommendRe.MatchString(lower):
		return true
	}
	if requestLeadRe.MatchString(lower) {
		rest := requestLeadRe.ReplaceAllString(lower, "")
		if ws := lowerQuestionWords(rest); len(ws) > 0 && requestNouns.Has(ws[0]) {
			return true
		}
	}
	return false
}

// mathWords may surround numbers in an arithmetic question.
var mathWords = lang.NewWordSet(`what is whats what's the of and times plus minus multiplied divided by
	over to power squared cubed square cube root factorial calculate compute equals equal how much
	x sum product difference quotient`)

// hasLetterWordsBeyondMath reports whether words hold a word that is
// neither a number nor one of arithmetic's own, so that "What is 17 times
// 23?" is arithmetic but "Did the 2 to 1 vote pass in 2023?" is not.
func hasLetterWordsBeyondMath(words []string) bool {
	for _, w := range words {
		if mathWords.Has(w) || strings.IndexFunc(w, unicode.IsLetter) < 0 {
			continue
		}
		return true
	}
	return false
}

// WithoutRecencyWords removes the words that ask for recency ("latest",
// "news", "right now"; recencyCues) from text, so that they are not
// matched as topic words. Words are cut out by their byte ranges in text
// itself, so any script and any case folding is safe. text is returned
// unchanged when nothing else would be left.
func WithoutRecencyWords(text string) string {
	ws := wordSpans(text)
	cue := recencyCues(ws)
	var b strings.Builder
	last, kept := 0, false
	for i, w := range ws {
		if !cue[i] {
			kept = true
			continue
		}
		b.WriteString(text[last:w.start])
		last = w.end
	}
	if !kept {
		return text
	}
	b.WriteString(text[last:])
	return strings.Join(strings.Fields(b.String()), " ")
}

// IsRecencyWord reports whether w (lower case) is one of the words that ask
// for the newest coverage; they say nothing about a question's topic.
func IsRecencyWord(w string) bool { return recencyWords.Has(w) }
