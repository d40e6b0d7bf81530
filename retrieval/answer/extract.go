package answer

import (
	"maps"
	"math"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/attache-bot/attache/clip"
	"github.com/attache-bot/attache/corpus"
	"github.com/attache-bot/attache/corpus/lang"
	"github.com/attache-bot/attache/retrieval/question"
)

// DefaultExtractChars is the length limit of an extractive answer when the
// caller gives none: short enough to read at a glance in a chat message.
const DefaultExtractChars = 700

// maxExtractSentences is how many sentences an extractive answer quotes at
// most, within DefaultExtractChars. Four rather than three since only
// whole sentences of the body are quoted: a headline that named the answer
// in a few words no longer takes a slot, and four short sentences fit the
// same length (dev split: answer_hit 0.844 with three, 0.876 with four).
const maxExtractSentences = 4

// Extraction is an extractive answer: sentences quoted from the passages, each
// followed by its citation.
type Extraction struct {
	// Text is the answer: one to four sentences separated by single spaces,
	// each followed by " [n]" where n is the index of its passage in the
	// slice given to Extract plus one. Empty when nothing answers the question.
	// Every sentence is a whole sentence of a passage's text, never its
	// headline, and is never cut short. Apart from whitespace, which is
	// collapsed to single spaces, the sentences are quoted verbatim, except
	// that bracketed numbers inside them ("[3]", footnote marks in scraped
	// pages) are written "(3)" so that every "[n]" in Text is a citation
	// added here.
	Text string
	// Cited lists the indexes (0-based, into the passages given to Extract) of
	// the passages that Text cites, in order of first citation. Empty when
	// Text is empty.
	Cited []int
	// Quotes are the sentences of Text in the same order, with their passage.
	Quotes []Quote
}

// Passage is a passage as the answerer reads it: the headline of its
// article and its text. The caller keeps what else it knows of the passage
// (its article, outlet, date) in a slice in the same order: quotes and
// citations name passages by their index.
type Passage struct {
	Title string
	Text  string
}

// Quote is one quoted sentence of an extraction.
type Quote struct {
	Passage int    // index into the passages given to Extract
	Text    string // the sentence as it appears in Extraction.Text, without its marker
}

// Extract answers question by quoting the best one to four sentences of
// passages (ordered best first) with their citations, in at most maxChars
// characters (Unicode code points) in total, markers and separating spaces
// included; maxChars <= 0 means DefaultExtractChars.
//
// The candidates are the sentences of each passage's Text (split with
// corpus.Sentences). Only complete sentences of prose are ever quoted (see
// quotable): never page furniture (captions, galleries, credits, teasers,
// prompts, bylines), a headline (the passage's title again, or a line that
// does not end like a sentence), a sentence cut off with "…", or one that
// merely restates the question. They are scored by how many of the
// question's rarer words they share (inverse document frequency over the
// candidates), by whether they contain a token of the kind the question
// asks for that the question does not already name (a new name for "who", a
// number for "how many", a date for "when", a place for "where" — see
// question.TypeOf), by their neighbours' overlap (a headline that restates the
// question still lends weight to the sentence after it), by the rank of
// their passage, and against softer signs of clutter (fragments, run-on
// lines, title case). Sentences scoring under a share of the best are left
// out. The chosen sentences are grouped by passage (best group first) and
// kept in reading order within a passage; near-duplicates (the same
// sentence from two outlets) are quoted once. A sentence that does not fit
// in the limit is left out, not cut.
//
// Extract returns an empty Extraction when there are no passages or when no
// sentence shares a content word with the question; the caller then says the
// corpus does not cover it. It is pure and safe for concurrent use.
func Extract(question string, passages []Passage, maxChars int) Extraction {
	if maxChars <= 0 {
		maxChars = DefaultExtractChars
	}
	if len(passages) == 0 {
		return Extraction{}
	}
	q := analyzeQuestion(question)
	if len(q.terms) == 0 {
		return Extraction{}
	}

	// Cut every passage into sentences and analyse them. Headlines are not
	// candidates: quoted as sentences they read as fragments, often cut
	// short ("… in …"), and the body states what they state.
	var sents []*scoredSentence
	for pi, p := range passages {
		title := analyzeSentence(p.Title).terms
		spans := splitSentences(p.Text)
		for si, sp := range spans {
			raw := p.Text[sp.start:sp.end]
			s := analyzeSentence(raw)
			s.passage = pi
			s.index = si
			s.unquotable = !quotableShape(s, title)
			sents = append(sents, s)
		}
	}
	if len(sents) == 0 {
		return Extraction{}
	}

	// Inverse document frequency of the question's terms over the sentences.
	df := make(map[string]int, len(q.terms))
	for _, s := range sents {
		for t := range q.terms {
			if s.terms[t] {
				df[t]++
			}
		}
	}
	// Sums run over the terms in sorted order: floating-point addition in
	// map order could flip nearly tied sentences from one run to the next.
	terms := slices.Sorted(maps.Keys(q.terms))
	n := float64(len(sents))
	idf := make(map[string]float64, len(df))
	var total float64
	for _, t := range terms {
		d := df[t]
		if d == 0 {
			continue
		}
		w := math.Log(1 + n/float64(d))
		if q.capital[t] {
			w *= extractWeights.capital
		}
		idf[t] = w
		total += w
	}
	if total == 0 {
		return Extraction{}
	}

	for _, s := range sents {
		for _, t := range terms {
			if s.terms[t] {
				s.overlap += idf[t]
			}
		}
		s.overlap /= total
		// Consecutive question words in the same order ("Stanley Cup",
		// "interest rate") are stronger evidence than scattered ones.
		s.overlap += extractWeights.bigram * float64(sharedBigrams(q.bigrams, s.seq))
	}

	// Score, with a little credit for sentences next to a strong match: the
	// answer is often the sentence after the one that restates the question.
	for i, s := range sents {
		if s.overlap == 0 {
			continue
		}
		ctx := 0.0
		if i > 0 && sents[i-1].passage == s.passage && !sents[i-1].title && !s.title {
			ctx = math.Max(ctx, sents[i-1].overlap)
		}
		if i+1 < len(sents) && sents[i+1].passage == s.passage && !sents[i+1].title && !s.title {
			ctx = math.Max(ctx, sents[i+1].overlap)
		}
		s.score = s.overlap + extractWeights.context*ctx
		s.score += extractWeights.typ * answerTypeMatch(q, s)
		s.score -= extractWeights.rank * float64(s.passage)
		s.score -= clutterPenalty(s)
		if !s.unquotable && echoesQuestion(q, s) {
			s.unquotable = true
		}
	}

	return selectSentences(sents, passages, maxChars)
}

// Digest quotes the first quotable sentence of each passage's text, in the
// order given (newest first for a question about a period without a
// topic: "What happened this week?"), each with its citation, up to
// maxExtractSentences sentences in at most maxChars characters (<= 0 means
// DefaultExtractChars). The same rules as Extract's decide what is
// quotable: whole sentences of prose, never headlines or furniture.
func Digest(passages []Passage, maxChars int) Extraction {
	if maxChars <= 0 {
		maxChars = DefaultExtractChars
	}
	var sents []*scoredSentence
	for pi, p := range passages {
		title := analyzeSentence(p.Title).terms
		for si, sp := range splitSentences(p.Text) {
			s := analyzeSentence(p.Text[sp.start:sp.end])
			if !quotableShape(s, title) {
				continue
			}
			// The first quotable sentence of each passage, the first
			// passage's highest: selectSentences takes the best scores.
			s.passage, s.index = pi, si
			s.overlap, s.score = 1, 1-0.01*float64(pi)
			sents = append(sents, s)
			break
		}
	}
	return selectSentences(sents, passages, maxChars)
}

// extractWeights are the scoring weights, tuned on a development set of
// news-quiz questions. A variable only so that the tuning test can vary them.
var extractWeights = struct {
	capital, bigram, context, typ, rank, keep, dup, title float64
}{
	capital: 1.3,  // question words written with a capital (names) weigh more
	bigram:  0.08, // per shared question word pair
	context: 0.15, // share of the best neighbour's overlap
	typ:     0.6,  // a new token of the asked-for kind
	rank:    0.25, // per passage rank
	keep:    0.3,  // further sentences must score at least this share of the best
	dup:     0.6,  // word-set similarity above which two sentences are the same
	title:   0.1,  // a headline counts a little less than a sentence (search's rerank)
}

// parsedQuestion is the analysed question.
type parsedQuestion struct {
	typ     question.Type
	terms   map[string]bool // stemmed content words
	capital map[string]bool // content words written with a capital
	words   map[string]bool // every lower-case word, stopwords included
	bigrams map[[2]string]bool
}

func analyzeQuestion(text string) parsedQuestion {
	text = clip.Bytes(text, maxQuestionBytes)
	q := parsedQuestion{
		typ:     question.TypeOf(text),
		terms:   make(map[string]bool),
		capital: make(map[string]bool),
		words:   make(map[string]bool),
		bigrams: make(map[[2]string]bool),
	}
	prev := ""
	for _, w := range lang.Words(text) {
		lw := strings.ToLower(w)
		q.words[lw] = true
		if question.Stopwords.Has(lw) || question.IsWord(lw) {
			prev = ""
			continue
		}
		st := lang.Stem(lw)
		q.terms[st] = true
		if startsUpperCase(w) {
			q.capital[st] = true
		}
		if prev != "" {
			q.bigrams[[2]string{prev, st}] = true
		}
		prev = st
	}
	return q
}

// maxQuestionBytes bounds the work on absurdly long questions.
const maxQuestionBytes = 2000

// scoredSentence is one analysed sentence of a passage.
type scoredSentence struct {
	raw     string
	words   []string // tokens as written
	terms   map[string]bool
	seq     []string // stemmed content words in order, "" where a stopword was
	passage int
	index   int  // position in the passage; -1 for the headline
	title   bool // the passage's headline, not a sentence of its text
	// unquotable: never quoted (furniture, a headline, a fragment, an echo
	// of the question), though it still lends context to its neighbours.
	unquotable bool
	overlap    float64
	score      float64
}

func analyzeSentence(raw string) *scoredSentence {
	s := &scoredSentence{raw: raw, terms: make(map[string]bool)}
	s.words = lang.Words(raw)
	for _, w := range s.words {
		lw := strings.ToLower(w)
		if question.Stopwords.Has(lw) {
			s.seq = append(s.seq, "")
			continue
		}
		st := lang.Stem(lw)
		s.terms[st] = true
		s.seq = append(s.seq, st)
	}
	return s
}

func sharedBigrams(q map[[2]string]bool, seq []string) int {
	if len(q) == 0 {
		return 0
	}
	n := 0
	for i := 1; i < len(seq); i++ {
		if seq[i-1] != "" && seq[i] != "" && q[[2]string{seq[i-1], seq[i]}] {
			n++
		}
	}
	return n
}

// answerTypeMatch is 1 when s contains a token of the kind q asks for that q
// does not already contain, a smaller share for weaker evidence, else 0.
func answerTypeMatch(q parsedQuestion, s *scoredSentence) float64 {
	switch q.typ {
	case question.Number:
		if hasNewNumber(q, s, false) {
			return 1
		}
	case question.Date:
		if hasNewDate(q, s) {
			return 1
		}
		if hasNewNumber(q, s, true) {
			return 0.3
		}
	case question.Place:
		if hasNewPlace(q, s) {
			return 1
		}
		if newNames(q, s) > 0 {
			return 0.4
		}
	case question.Person:
		if newNames(q, s) > 1 {
			return 1
		}
		if newNames(q, s) > 0 {
			return 0.5
		}
	case question.Entity:
		if newNames(q, s) > 0 || hasNewQuoted(q, s) {
			return 0.7
		}
	}
	return 0
}

// newNames is the length of the longest run of capitalised words in s none of
// which appears in q (a proxy for a person's, organisation's or place's name),
// ignoring capitalised function words and calendar words.
func newNames(q parsedQuestion, s *scoredSentence) int {
	best, run := 0, 0
	for i, w := range s.words {
		lw := strings.ToLower(w)
		ok := startsUpperCase(w) && !q.words[lw] && !q.terms[lang.Stem(lw)] && !question.Stopwords.Has(lw) &&
			!question.Months.Has(lw) && !question.Weekdays.Has(lw)
		if ok && i == 0 && commonInitial.Has(lw) {
			ok = false
		}
		if ok {
			run++
			if run > best {
				best = run
			}
		} else {
			run = 0
		}
	}
	return best
}

func hasNewNumber(q parsedQuestion, s *scoredSentence, allowYears bool) bool {
	for _, w := range s.words {
		lw := strings.ToLower(w)
		if q.words[lw] {
			continue
		}
		if quantityWords.Has(lw) {
			return true
		}
		if containsDigit(w) {
			if !allowYears && looksLikeYear(w) {
				continue
			}
			return true
		}
	}
	return false
}

func hasNewDate(q parsedQuestion, s *scoredSentence) bool {
	for _, w := range s.words {
		lw := strings.ToLower(w)
		if q.words[lw] {
			continue
		}
		if question.Months.Has(lw) || question.Weekdays.Has(lw) || looksLikeYear(w) {
			return true
		}
	}
	return false
}

func hasNewPlace(q parsedQuestion, s *scoredSentence) bool {
	for i, w := range s.words {
		lw := strings.ToLower(w)
		if !startsUpperCase(w) || q.words[lw] {
			continue
		}
		if placeNames.Has(lw) {
			return true
		}
		if i+1 < len(s.words) {
			two := lw + " " + strings.ToLower(s.words[i+1])
			if placeNames.Has(two) && !q.words[strings.ToLower(s.words[i+1])] {
				return true
			}
		}
	}
	return hasNewLocative(q, s)
}

// hasNewLocative reports a name the question does not hold right after a
// preposition of place ("in Tuscaloosa", "at the Peacock Theater", "in the
// Pacific Ocean"): places no list can hold, known by how news writes them.
func hasNewLocative(q parsedQuestion, s *scoredSentence) bool {
	for i := 0; i+1 < len(s.words); i++ {
		if !locativeWords.Has(strings.ToLower(s.words[i])) {
			continue
		}
		j := i + 1
		if strings.EqualFold(s.words[j], "the") && j+1 < len(s.words) {
			j++
		}
		w := s.words[j]
		lw := strings.ToLower(w)
		if startsUpperCase(w) && !q.words[lw] && !q.terms[lang.Stem(lw)] && !question.Stopwords.Has(lw) &&
			!question.Months.Has(lw) && !question.Weekdays.Has(lw) {
			return true
		}
	}
	return false
}

// locativeWords are the prepositions that introduce a place.
var locativeWords = lang.NewWordSet(`in at near outside inside across`)

// hasNewQuoted reports a quoted title ("Squid Game") not in the question.
func hasNewQuoted(q parsedQuestion, s *scoredSentence) bool {
	for _, open := range []string{"\"", "“", "'", "‘"} {
		i := strings.Index(s.raw, open)
		if i < 0 {
			continue
		}
		rest := s.raw[i+len(open):]
		j := strings.IndexAny(rest, "\"”'’")
		if j <= 0 || j > 60 {
			continue
		}
		for _, w := range lang.Words(rest[:j]) {
			if !q.words[strings.ToLower(w)] && !question.Stopwords.Has(strings.ToLower(w)) {
				return true
			}
		}
	}
	return false
}

// quotableShape reports whether s is a complete sentence of prose that may
// be quoted: not page furniture (see isFurniture), not cut off (a trailing
// or leading "…" or "..."), ending like a sentence (a line without a full
// stop is a headline, a label or a caption), and not the passage's headline
// again (title holds the headline's terms).
func quotableShape(s *scoredSentence, title map[string]bool) bool {
	if len(s.words) == 0 || isFurniture(s.raw) || cutOff(s.raw) || !endsLikeProse(s.raw) {
		return false
	}
	return !restates(s.terms, title, 0.8, 0.6)
}

// echoesQuestion reports a sentence that is the question restated ("the
// age limit is being raised" for "the age limit has been raised to:"): all
// of its content words are the question's and it holds no token of the
// kind asked for. Quoting it adds nothing. (A sentence with one word more
// may hold the answer: "… nearly equal in value to the euro".)
func echoesQuestion(q parsedQuestion, s *scoredSentence) bool {
	return restates(s.terms, q.terms, 1, 0) && answerTypeMatch(q, s) < 0.5
}

// restates reports whether at least share of the terms of s are in other
// and at least otherShare of the terms of other are in s.
func restates(s, other map[string]bool, share, otherShare float64) bool {
	if len(s) == 0 || len(other) == 0 {
		return false
	}
	inter := 0
	for t := range s {
		if other[t] {
			inter++
		}
	}
	return float64(inter) >= share*float64(len(s)) && float64(inter) >= otherShare*float64(len(other))
}

// isFurniture reports a sentence that is page furniture, not reporting:
// what corpus.IsBoilerplate recognises as a whole line, and the furniture
// that survives inside a line and so reaches a sentence (a photo credit run
// into its caption, a gallery counter, a labelled teaser, a link or an
// address, an editor's note, instructions planted for language models).
func isFurniture(raw string) bool {
	if corpus.IsBoilerplate(raw) || creditRe.MatchString(raw) {
		return true
	}
	low := strings.ToLower(raw)
	for _, c := range furniturePhrases {
		if strings.Contains(low, c) {
			return true
		}
	}
	return linkRe.MatchString(raw)
}

// cutOff reports a sentence that a page cut short ("… in …") or that
// continues a cut ("... and the rest").
func cutOff(raw string) bool {
	t := strings.TrimFunc(raw, func(r rune) bool {
		return unicode.IsSpace(r) || strings.ContainsRune("\"'”’)]»", r)
	})
	return strings.HasSuffix(t, "…") || strings.HasSuffix(t, "...") ||
		strings.HasPrefix(t, "…") || strings.HasPrefix(t, "...")
}

// clutterPenalty scores the softer signs that s is not the prose one wants
// to quote: words that prompts and widgets use but prose may too
// ("newsletter", "subscribe"), fragments and run-on lines, questions, bars
// and bullets, title case. Furniture proper is not penalised but excluded
// (quotableShape).
func clutterPenalty(s *scoredSentence) float64 {
	p := 0.0
	low := strings.ToLower(s.raw)
	for _, c := range clutterPhrases {
		if strings.Contains(low, c) {
			p += 0.5
			break
		}
	}
	n := len(s.words)
	switch {
	case n < 4:
		p += 0.4
	case n < 7:
		p += 0.15
	case n > 70:
		p += 0.3
	case n > 50:
		p += 0.1
	}
	// A question in the text ("So which are the top 20?") asks rather
	// than answers.
	if strings.HasSuffix(strings.TrimRight(s.raw, "\"'”’) "), "?") {
		p += 0.3
	}
	if strings.Contains(s.raw, " | ") || strings.Count(s.raw, "•") > 1 {
		p += 0.3
	}
	// Title-case runs (menus, headlines, link lists).
	if n >= 4 {
		caps := 0
		for _, w := range s.words {
			if startsUpperCase(w) {
				caps++
			}
		}
		if float64(caps)/float64(n) > 0.6 {
			p += 0.2
		}
	}
	return p
}

// endsLikeProse reports whether s ends with a sentence's terminal
// punctuation (closing quotes and brackets aside). An ellipsis is not one:
// it marks text cut short.
func endsLikeProse(s string) bool {
	s = strings.TrimRightFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || strings.ContainsRune("\"'”’)]»", r)
	})
	if strings.HasSuffix(s, "...") {
		return false
	}
	r, _ := utf8.DecodeLastRuneInString(s)
	return strings.ContainsRune(".!?。！？؟۔", r)
}

// creditRe matches a photo credit, "Name/Agency", wherever it sits: in
// scraped pages it runs into the caption it belongs to ("Jane Doe/AP A
// crowd gathers …").
var creditRe = regexp.MustCompile(`\p{Lu}[\p{L}'’.-]*\s?/\s?(?:AP|AFP|Getty|Reuters|Shutterstock|EPA|Bloomberg|CNN|USA TODAY|` +
	`Sipa|Zuma|NurPhoto|Anadolu|Xinhua|Alamy|Imagn|Pool|Handout)\b|` +
	`\b\p{Lu}[\p{L}'’.-]*\s\p{Lu}[\p{L}'’.-]*\s?/\s?\p{Lu}`)

// linkRe matches web and mail addresses: prose that carries one is a
// contact line, a correction note or a link list.
var linkRe = regexp.MustCompile(`(?i)\bhttps?://|\bwww\.\S|\b[\w.+-]+@[\w-]+\.[\w.]{2,}`)

// furniturePhrases never occur in reporting; a sentence with one is never
// quoted.
var furniturePhrases = []string{
	"hide caption", "photos:", "photo:", "image:", "credit:", "caption:", "ap photo/", "(photo",
	"click here", "read more", "read the full", "read full article", "related:", "watch:", "video:",
	"listen:", "gallery:", "all rights reserved", "©", "skip to", "download the app", "follow us",
	"you can now listen", "this story has been updated", "contributed to this report",
	"contributed reporting", "editor's note", "editor’s note", "sign up for our", "subscribe to our",
	"share this article", "share this story",
	// Instructions planted for language models are not news either.
	"ignore previous instructions", "ignore all previous", "disregard previous",
}

// clutterPhrases are words of prompts and widgets that prose uses too.
var clutterPhrases = []string{
	"sign up", "newsletter", "subscribe", "advertisement", "cookie", "terms of use", "privacy policy",
	"share this", "getty images", "copyright", "log in", "sign in", "listen to", "for the latest",
	"system prompt",
}

// selectSentences picks the answer from the scored sentences.
func selectSentences(sents []*scoredSentence, passages []Passage, maxChars int) Extraction {
	order := make([]*scoredSentence, 0, len(sents))
	for _, s := range sents {
		if s.overlap > 0 && !s.unquotable {
			order = append(order, s)
		}
	}
	if len(order) == 0 {
		return Extraction{}
	}
	sort.SliceStable(order, func(i, j int) bool { return order[i].score > order[j].score })

	type pick struct {
		s    *scoredSentence
		text string
	}
	var picks []pick
	used := 0
	best := order[0].score
	for _, s := range order {
		if len(picks) == maxExtractSentences {
			break
		}
		if len(picks) > 0 && (s.score < extractWeights.keep*best || s.score <= 0) {
			break
		}
		dup := false
		for _, p := range picks {
			if termJaccard(p.s.terms, s.terms) > extractWeights.dup {
				dup = true
				break
			}
		}
		if dup {
			continue
		}
		text := cleanSentence(s.raw)
		if text == "" {
			continue
		}
		cost := utf8.RuneCountInString(text) + len(citeMarker(s.passage))
		if len(picks) > 0 {
			cost++ // the space between sentences
		}
		if used+cost > maxChars {
			// A shorter sentence further down may still fit; a sentence
			// cut short is never quoted.
			continue
		}
		used += cost
		picks = append(picks, pick{s, text})
	}

	// Reading order: passages by their best pick, sentences in text order.
	groupRank := make(map[int]int)
	for i, p := range picks {
		if _, ok := groupRank[p.s.passage]; !ok {
			groupRank[p.s.passage] = i
		}
	}
	sort.SliceStable(picks, func(i, j int) bool {
		a, b := picks[i].s, picks[j].s
		if a.passage != b.passage {
			return groupRank[a.passage] < groupRank[b.passage]
		}
		return a.index < b.index
	})

	var ex Extraction
	var b strings.Builder
	seen := make(map[int]bool)
	for i, p := range picks {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(p.text)
		b.WriteString(citeMarker(p.s.passage))
		ex.Quotes = append(ex.Quotes, Quote{Passage: p.s.passage, Text: p.text})
		if !seen[p.s.passage] {
			seen[p.s.passage] = true
			ex.Cited = append(ex.Cited, p.s.passage)
		}
	}
	ex.Text = b.String()
	return ex
}

func citeMarker(passage int) string { return " [" + strconv.Itoa(passage+1) + "]" }

// cleanTitle readies a headline for scoring (search's rerank reads it as a
// sentence): whitespace collapsed, and the "..." of a headline cut short by
// a search page replaced by "…". Titles that are only a site name or a word
// or two are dropped.
func cleanTitle(t string) string {
	t = strings.Join(strings.Fields(t), " ")
	if u, ok := strings.CutSuffix(t, "..."); ok {
		t = strings.TrimSpace(u) + " …"
	}
	if len(lang.Words(t)) < 4 {
		return ""
	}
	return cleanSentence(t)
}

// cleanSentence collapses whitespace, drops control and bidirectional
// override characters (which could reorder the citation visually), and
// defuses bracketed numbers, so that the only "[n]" in an answer are its
// citations.
func cleanSentence(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) && !unicode.IsSpace(r) || isBidiControl(r) {
			return -1
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	return Defuse(stripDateline(bulletRe.ReplaceAllString(s, "")))
}

// bulletRe matches the bullet or dash a list item of a page starts with
// ("− Hurricane Helene made landfall …"): marks of the layout, not of the
// sentence. A sign stuck to a figure ("−5 degrees") is no bullet.
var bulletRe = regexp.MustCompile(`^[−–—•·*-]+\s+`)

// datelineRe matches the outlet of the dateline a report's first sentence
// starts with, in brackets after the place of a few capitalised words if
// any ("Colombo, Sri Lanka (CNN)", "(AP) —"), up to the capitalised word
// or quote where the sentence proper starts. Group 1 is the place.
var datelineRe = regexp.MustCompile(`^((?:\p{Lu}[\p{L}.'’-]*,? ){0,4})\(\p{Lu}[\p{L}.]*(?: \p{Lu}[\p{L}.]*){0,2}\)(?: ?[—–―-])? [\p{Lu}"“‘']`)

// stripDateline takes the outlet out of a leading dateline of a sentence
// to be quoted: the citation names the outlet already, and read in an
// answer "(CNN) Angry protesters …" looks like part of the quote. The
// place stays, as a dateline without an outlet does ("WASHINGTON — …"):
// it may be what the question asks. What is left must still be a
// sentence of a few words.
func stripDateline(s string) string {
	m := datelineRe.FindStringSubmatchIndex(s)
	if m == nil {
		return s
	}
	_, size := utf8.DecodeLastRuneInString(s[:m[1]])
	rest := s[m[1]-size:]
	if len(strings.Fields(rest)) < 4 {
		return s
	}
	if place := strings.TrimRight(s[m[2]:m[3]], ", "); place != "" {
		return place + " — " + rest
	}
	return rest
}

// isBidiControl reports the explicit embedding, override and isolate
// characters of Unicode's bidirectional algorithm.
func isBidiControl(r rune) bool {
	return r >= 0x202A && r <= 0x202E || r >= 0x2066 && r <= 0x2069
}

func termJaccard(a, b map[string]bool) float64 {
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	inter := 0
	for t := range a {
		if b[t] {
			inter++
		}
	}
	return float64(inter) / float64(len(a)+len(b)-inter)
}

func startsUpperCase(w string) bool {
	r, _ := utf8.DecodeRuneInString(w)
	return unicode.IsUpper(r)
}

func containsDigit(w string) bool {
	return strings.ContainsFunc(w, unicode.IsDigit)
}

func looksLikeYear(w string) bool {
	if len(w) != 4 {
		return false
	}
	y, err := strconv.Atoi(w)
	return err == nil && y >= 1800 && y <= 2100
}

// sentSpan is a sentence's byte range in its passage.
type sentSpan struct{ start, end int }

// splitSentences cuts text into sentences with the corpus's own rules, so
// that passages and quotes agree on where sentences end.
func splitSentences(text string) []sentSpan {
	spans := corpus.Sentences(text)
	out := make([]sentSpan, len(spans))
	for i, sp := range spans {
		out[i] = sentSpan{sp.Start, sp.End}
	}
	return out
}

// Matcher scores how well passages answer one question, the same way
// Extract scores sentences; search reranks its candidates with it.
type Matcher struct{ q parsedQuestion }

// NewMatcher analyses question once for Match. It returns nil when the
// question has no content word to match.
func NewMatcher(question string) *Matcher {
	q := analyzeQuestion(question)
	if len(q.terms) == 0 {
		return nil
	}
	return &Matcher{q}
}

// Match scores each of docs: the share of the question's rarer words
// (inverse document frequency over all the docs' sentences) a sentence
// holds, its consecutive question word pairs and a token of the asked-for
// kind; a doc scores its best sentence, its headline counting as a sentence
// less a little (a doc with no text scores 0). best is the highest score;
// Match returns nil and 0 when no doc shares a word with the question.
func (m *Matcher) Match(docs []Passage) (match []float64, best float64) {
	q := m.q
	sents := make([][]*scoredSentence, len(docs))
	df := make(map[string]int, len(q.terms))
	n := 0
	for i, d := range docs {
		// The headline counts as a sentence, less a little, as in
		// Extract: it often states the subject in the question's words
		// ("summit") that the passage leaves out. (As a full sentence it
		// cost recall@1 on the dev split; without it, a passage that
		// merely repeats the question's words beat the report it is
		// about.)
		raws := []string{cleanTitle(d.Title)}
		for _, sp := range splitSentences(d.Text) {
			raws = append(raws, d.Text[sp.start:sp.end])
		}
		for j, raw := range raws {
			if raw == "" {
				continue
			}
			s := analyzeSentence(raw)
			s.title = j == 0
			sents[i] = append(sents[i], s)
			n++
			for t := range q.terms {
				if s.terms[t] {
					df[t]++
				}
			}
		}
	}
	// Sums run over the terms in sorted order, as in Extract, so that the
	// same question always scores the same.
	terms := slices.Sorted(maps.Keys(q.terms))
	idf := make(map[string]float64, len(df))
	total := 0.0
	for _, t := range terms {
		d := df[t]
		if d == 0 {
			continue
		}
		w := math.Log(1 + float64(n)/float64(d))
		if q.capital[t] {
			w *= extractWeights.capital
		}
		idf[t], total = w, total+w
	}
	if total == 0 {
		return nil, 0
	}
	match = make([]float64, len(docs))
	for i, ss := range sents {
		for _, s := range ss {
			v := 0.0
			for _, t := range terms {
				if s.terms[t] {
					v += idf[t]
				}
			}
			v = v/total + extractWeights.bigram*float64(sharedBigrams(q.bigrams, s.seq))
			v += extractWeights.typ * answerTypeMatch(q, s)
			if s.title {
				v -= extractWeights.title
			}
			match[i] = max(match[i], v)
		}
		best = max(best, match[i])
	}
	if best <= 0 {
		return nil, 0
	}
	return match, best
}
