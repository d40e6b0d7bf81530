package retrieval

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/attache-bot/attache/clip"
	"github.com/attache-bot/attache/corpus/lang"
	"github.com/attache-bot/attache/retrieval/question"
)

// The coverage gate decides, before any answer is written, whether the
// passages that would be cited cover what the question is about. Relevance
// scores are relative: the best passage for "Who is the new prime minister
// of Bhutan?" in a corpus that never mentions Bhutan still scores well,
// because "prime minister" is everywhere. So the gate looks at the
// question's telling terms (names, places, organisations, numbers and rare
// words), weighs each by how informative it is in this corpus (a term no
// article contains weighs most), and checks which of them the candidate
// sources contain.

// gateTerm is one content term of a question.
type gateTerm struct {
	word  string // as written in the question (for messages)
	stem  string // the index term
	name  bool   // written with a capital where a sentence does not start, or all caps
	upper bool   // written with a capital (anywhere)
	// lowerTyped: the question has no capital letters at all, so that
	// letter case says nothing about which words are names.
	lowerTyped bool
	number     bool // contains a digit
	cased      bool // in a script with letter case (Latin, Cyrillic, Greek, …)
	pos        int  // position among the question's words

	// Filled from the corpus (weigh).
	df     int     // articles containing the term (or its variant)
	idf    float64 // informativeness; the largest possible when df == 0
	key    bool    // a term the sources must cover
	soft   bool    // a key term that counts when found but not when missing
	lookup string  // the index term looked up: stem, or a near spelling found in the corpus
}

// gateTerms returns the question's distinct content terms in order: the
// index's own tokens (embedTokenize, stem), without stop words, question
// words or recency words, each with how it was written. Scripts without
// spaces between words (CJK, Thai) give no terms: their runs are not words,
// so the gate leaves such questions to the relevance threshold.
func gateTerms(q string) []gateTerm {
	var out []gateTerm
	lowerTyped := strings.IndexFunc(q, unicode.IsUpper) < 0
	seen := map[string]bool{}
	pos := 0
	sentenceStart := true
	for _, field := range strings.Fields(clipQuery(q)) {
		toks := lang.Tokenize(field, nil)
		letters := strings.TrimLeftFunc(field, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
		first, _ := utf8.DecodeRuneInString(letters)
		capital := unicode.IsUpper(first)
		allCaps := utf8.RuneCountInString(letters) > 1 && strings.ToUpper(letters) == letters && strings.ToLower(letters) != letters
		for _, t := range toks {
			pos++
			if len(t) > maxWordBytes || utf8.RuneCountInString(t) < 2 && !unicode.IsDigit(rune(t[0])) || lang.Stop.Has(t) || question.Stopwords.Has(t) || question.IsRecencyWord(t) ||
				question.IsWord(t) || gateFillerWords.Has(t) || question.Months.Has(t) || question.Weekdays.Has(t) || hasSpacelessScript(t) {
				continue
			}
			st := lang.Stem(t)
			if seen[st] {
				continue
			}
			seen[st] = true
			r, _ := utf8.DecodeRuneInString(t)
			cased := unicode.ToUpper(r) != unicode.ToLower(r)
			// A capital where a sentence starts is grammar, not a name;
			// such a word is still a key term when the corpus finds it rare
			// (weigh).
			name := cased && (allCaps || capital && !sentenceStart)
			out = append(out, gateTerm{word: displayWord(field), stem: st, name: name, upper: cased && (capital || allCaps), lowerTyped: lowerTyped,
				number: strings.IndexFunc(t, unicode.IsDigit) >= 0, cased: cased, pos: pos})
			capital = false // only a field's first token carries its capital
		}
		sentenceStart = strings.ContainsAny(field[len(field)-1:], ".?!:")
	}
	return out
}

// maxDisplayRunes bounds a word that a message repeats from the question.
const maxDisplayRunes = 40

// displayWord is a question's word as a message shows it: without the
// punctuation and markup around it or a possessive ending ("Bhutan's" →
// "Bhutan"), without control characters, and at most maxDisplayRunes long.
func displayWord(field string) string {
	w := strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, field)
	w = strings.Trim(w, "\"'“”‘’.,;:!?()[]{}«»*_~`|<>#@")
	for _, suf := range []string{"'s", "’s", "'", "’"} {
		if strings.HasSuffix(w, suf) && len(w) > len(suf) {
			w = w[:len(w)-len(suf)]
			break
		}
	}
	if utf8.RuneCountInString(w) > maxDisplayRunes {
		w = clip.Runes(w, maxDisplayRunes-1) + clip.Ellipsis
	}
	return w
}

// gateFillerWords are words of a question's frame that say nothing about
// its topic ("tell me about…", "what happened…").
var gateFillerWords = lang.NewWordSet(`happen happened happening happens go going goes went know
	anything something thing things give tell show explain`)

// hasSpacelessScript reports whether t holds a character of a script that
// writes words without spaces (Han, Hiragana, Katakana, Thai, Lao, Khmer,
// Myanmar).
func hasSpacelessScript(t string) bool {
	for _, r := range t {
		if lang.IsSpaceless(r) || unicode.In(r, unicode.Thai, unicode.Lao, unicode.Khmer, unicode.Myanmar) {
			return true
		}
	}
	return false
}

// Gate thresholds.
const (
	// maxMissingNamed is how many missing terms an answer names at most;
	// with more, it says the articles don't cover the question.
	maxMissingNamed = 3
	// gateRareShare: a term found in at most this share of the articles is
	// rare enough to be a key term even when written in lower case.
	gateRareShare = 0.02
	// gateNameWeight multiplies the weight of names: a question's names
	// are its subject.
	gateNameWeight = 1.5
	// gateMinCover is the least share of the key terms' weight that one
	// source must contain for the question to count as covered.
	gateMinCover = 0.5
	// gateEvergreenCover replaces gateMinCover for a question in the form
	// of a timeless fact (Intent.Evergreen).
	gateEvergreenCover = 0.75
	// gateFuzzyMinLen: absent words at least this long are looked up with
	// one typo (an edit of distance one) before they count as absent.
	gateFuzzyMinLen = 6
)

// typoVariants returns the spellings one typo away from w among the typos
// that names suffer most: two neighbouring letters swapped ("Zelenksyy"),
// a letter doubled or undoubled ("Zelenskyy", "Zelensky"), or one vowel for
// another ("Zelinskyy"). The first two letters are kept: typos rarely hit
// them, and keeping them spares "palau" from reading as "palace". Other
// edits are left alone: dropping a letter turns "Suriname" into "surname".
func typoVariants(w string) []string {
	r := []rune(w)
	if len(r) < 3 {
		return nil
	}
	var out []string
	add := func(v []rune) {
		if s := string(v); s != w {
			out = append(out, s)
		}
	}
	for i := 2; i < len(r); i++ {
		if i+1 < len(r) && r[i] != r[i+1] {
			v := slices.Clone(r)
			v[i], v[i+1] = v[i+1], v[i]
			add(v) // swapped with the next letter
		}
		add(slices.Insert(slices.Clone(r), i, r[i])) // doubled
		if r[i] == r[i-1] {
			add(slices.Delete(slices.Clone(r), i, i+1)) // undoubled
		}
		if isVowel(r[i]) {
			for _, o := range "aeiouy" {
				if o != r[i] {
					v := slices.Clone(r)
					v[i] = o
					add(v) // another vowel
				}
			}
		}
	}
	return out
}

func isVowel(r rune) bool { return strings.ContainsRune("aeiouy", r) }

// verdict is the coverage gate's decision about one question.
type verdict struct {
	// covered: answer from keep. Otherwise the answer is ModeNone.
	covered bool
	// notNews: the request is not a news question.
	notNews bool
	// missing are the key terms (as written, adjacent names joined) that
	// none of the retrieved passages' articles contains, relevant or not
	// (an answer saying "the articles here don't mention X" must be true
	// of every article it looked at): the subject of a ModeNone answer, or
	// what a partial answer says it does not cover.
	missing []string
	// future: the question asks what happened in a year after the as-of
	// date.
	future string
	// keep are the indexes of the passages to answer from.
	keep []int
}

// gate decides whether passages (search's, best first) cover question as of
// asOf; t is the question's topic as search weighed it (its terms without
// the period and recency words), which the sources must hold. A passage is kept when it is relevant
// (Engine.Relevant) and its article contains at least one key term; the
// question is covered when one kept article holds at least gateMinCover of
// the key terms' weight (keyCover; gateEvergreenCover for a timeless
// fact). Without key terms (a question of common words only), the
// relevance threshold alone decides.
func (e *Engine) gate(q string, t topic, asOf time.Time, passages []Passage) verdict {
	in := question.ReadIntent(q)
	if in.NotNews {
		return verdict{notNews: true}
	}
	if y := futureYear(q, asOf); y != "" {
		return verdict{future: y}
	}
	terms := slices.Clone(t.terms) // weighed by search; the flags may change below
	e.mu.RLock()
	defer e.mu.RUnlock()
	minCover := gateMinCover
	if in.Evergreen {
		// A timeless fact is covered only by a source about it: every key
		// term counts, found or not, and one source must hold nearly all
		// (not "avocados" in one article and "calories" in another).
		for i := range terms {
			terms[i].soft = false
		}
		minCover = gateEvergreenCover
	}
	keys := keyTerms(terms)
	v := verdict{}
	found := make([]bool, len(keys))
	for i, p := range passages {
		cover, hasKey := keyCover(e.ix, keys, p.ArticleID, found)
		if !hasKey || !e.Relevant(p) {
			continue
		}
		v.keep = append(v.keep, i)
		if cover >= minCover {
			v.covered = true
		}
	}
	v.missing = missingTerms(keys, found)
	if len(v.missing) > maxMissingNamed {
		// A question none of whose words the articles use (often one in
		// another language than theirs): naming them all reads badly.
		v.missing = nil
	}
	if !v.covered {
		v.keep = nil
	}
	return v
}

// titleTerms returns the index terms of a headline.
func titleTerms(title string) map[string]int {
	terms := map[string]int{}
	for _, t := range lang.Terms(title, nil) {
		terms[t]++
	}
	return terms
}

// keyTerms returns the key terms of weighed terms.
func keyTerms(terms []gateTerm) []gateTerm {
	var keys []gateTerm
	for _, t := range terms {
		if t.key {
			keys = append(keys, t)
		}
	}
	return keys
}

// keyWeight is a key term's weight in the coverage share.
func keyWeight(t gateTerm) float64 {
	if t.name {
		return gateNameWeight * t.idf
	}
	return t.idf
}

// missingTerms lists the key terms not found (soft ones aside), as written, joining
// neighbouring names ("Tshering Tobgay") into one.
func missingTerms(keys []gateTerm, found []bool) []string {
	var out []string
	lastPos := -10
	for i, t := range keys {
		if found[i] || t.soft {
			continue
		}
		switch {
		case len(out) > 0 && i > 0 && keys[i-1].word == t.word && t.pos == lastPos+1:
			// Another token of the same written word ("Zorblax-Quux").
		case t.name && len(out) > 0 && t.pos == lastPos+1 && keys[i-1].name && !found[i-1]:
			out[len(out)-1] += " " + t.word
		case !slices.Contains(out, t.word):
			out = append(out, t.word)
		}
		lastPos = t.pos
	}
	return out
}

// outcomeRe matches wording that asks what happened or who won.
var outcomeRe = regexp.MustCompile(`(?i)\b(?:won|win|wins|winner|winners|result|results|outcome|happened|agree|agreed|ended|final score)\b`)

// futureYear returns a year the question names that is after the as-of
// date's year, when the question asks what happened then ("Who won the
// 2030 World Cup?", "What did the 2031 summit agree?") or who will win it;
// "" otherwise. No article can have reported that yet, whatever it says of
// plans for that year; a question about the plans themselves ("Who will
// host the 2030 World Cup?") names no outcome and passes.
func futureYear(q string, asOf time.Time) string {
	if !outcomeRe.MatchString(q) {
		return ""
	}
	for _, y := range question.Years(q) {
		if n, _ := strconv.Atoi(y); n > asOf.Year() {
			return y
		}
	}
	return ""
}
