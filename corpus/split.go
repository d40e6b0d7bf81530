package corpus

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/attache-bot/attache/clip"
)

// Default passage sizes. About 600 bytes is three or four sentences of news
// prose: enough context for a citation to stand on its own, small enough
// that a passage is about one thing and fits an embedding model's window
// (roughly 150 tokens of English).
const (
	DefaultTargetBytes = 600
	DefaultMaxBytes    = 1000
	minMaxBytes        = 16 // so that any rune fits and splitting always advances
)

// SplitOptions tunes Split. Zero values mean the defaults.
type SplitOptions struct {
	TargetBytes int // passages grow sentence by sentence up to about this size
	MaxBytes    int // hard limit on a passage's size
}

func (o SplitOptions) withDefaults() SplitOptions {
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.MaxBytes < minMaxBytes {
		o.MaxBytes = minMaxBytes
	}
	if o.TargetBytes <= 0 {
		o.TargetBytes = DefaultTargetBytes
	}
	if o.TargetBytes > o.MaxBytes {
		o.TargetBytes = o.MaxBytes
	}
	return o
}

// Span is a byte range [Start, End) of a text.
type Span struct {
	Start, End int
}

// Split cuts an article's body into passages of a few whole sentences. It
// is pure: the same article and options always give the same chunks.
//
// Guarantees (checked by the property and fuzz tests):
//   - Text == Body[Start:End], with no leading or trailing whitespace;
//   - chunks are in order, do not overlap, and together cover every
//     non-space character of the body;
//   - no chunk is longer than MaxBytes;
//   - a chunk ends at a sentence boundary; only a sentence longer than the
//     target is cut inside, and then between words (at whitespace if there
//     is any, else at punctuation or between CJK characters); a single
//     "word" longer than MaxBytes (a pasted hash, a URL) is the one thing
//     cut at a rune boundary, since it has no other.
//
// For text that is not valid UTF-8 (which Validate refuses) only the offset,
// coverage and size guarantees hold.
//
// Chunk ids are ChunkID(a.ID, index).
func Split(a Article, opts SplitOptions) []Chunk {
	o := opts.withDefaults()
	body := a.Body
	var pieces []Span
	for _, s := range Sentences(body) {
		if s.End-s.Start <= o.TargetBytes {
			pieces = append(pieces, s)
			continue
		}
		pieces = appendCut(pieces, body, s, o)
	}
	var spans []Span
	for _, p := range pieces {
		if len(spans) == 0 {
			spans = append(spans, p)
			continue
		}
		cur := &spans[len(spans)-1]
		size := p.End - cur.Start
		// Grow up to the target; a passage still under half the target may
		// grow up to the maximum so that one long sentence after a short one
		// does not leave a fragment behind.
		if size <= o.TargetBytes || (cur.End-cur.Start < o.TargetBytes/2 && size <= o.MaxBytes) {
			cur.End = p.End
			continue
		}
		spans = mergeShortLast(spans, o)
		spans = append(spans, p)
	}
	spans = mergeShortLast(spans, o)
	chunks := make([]Chunk, len(spans))
	for i, s := range spans {
		chunks[i] = Chunk{
			ID:        ChunkID(a.ID, i),
			ArticleID: a.ID,
			Index:     i,
			Start:     s.Start,
			End:       s.End,
			Text:      body[s.Start:s.End],
		}
	}
	return chunks
}

// mergeShortLast joins a fragment (under a quarter of the target) that is
// the last of spans to the passage before it when they fit together: a
// short closing sentence, or the bit of a long sentence left before an
// unbreakable run, is better read with its context than alone.
func mergeShortLast(spans []Span, o SplitOptions) []Span {
	if n := len(spans); n >= 2 {
		last, prev := spans[n-1], spans[n-2]
		if last.End-last.Start < o.TargetBytes/4 && last.End-prev.Start <= o.MaxBytes {
			spans[n-2].End = last.End
			spans = spans[:n-1]
		}
	}
	return spans
}

// appendCut cuts the over-long sentence s into pieces of at most
// o.TargetBytes (o.MaxBytes when no boundary is found sooner), each trimmed.
func appendCut(out []Span, text string, s Span, o SplitOptions) []Span {
	pos := s.Start
	for pos < s.End {
		if s.End-pos <= o.TargetBytes {
			out = append(out, Span{pos, s.End})
			break
		}
		cut := cutPoint(text[:s.End], pos, pos+o.TargetBytes, pos+o.MaxBytes)
		if sp, ok := trim(text, pos, cut); ok {
			out = append(out, sp)
		}
		pos = cut
		for pos < s.End {
			r, n := utf8.DecodeRuneInString(text[pos:])
			if !unicode.IsSpace(r) {
				break
			}
			pos += n
		}
	}
	return out
}

// cutPoint finds where to end a piece that starts at pos: the last
// whitespace at or before target (not earlier than half-way), else the last
// whitespace at or before max, else the last boundary between a non-word
// character and anything, or between two CJK characters, at or before max;
// else the last rune boundary at or before max. The result is > pos.
func cutPoint(text string, pos, target, max int) int {
	if max > len(text) {
		max = len(text)
	}
	if target > max {
		target = max
	}
	// Whitespace in the second half of [pos, target].
	for i := clip.Index(text, target); i > pos+(target-pos)/2; i = prevRune(text, i) {
		r, _ := utf8.DecodeRuneInString(text[i:])
		if unicode.IsSpace(r) {
			return i
		}
	}
	// The last whitespace up to max, else any boundary that is not inside
	// a word.
	for i := clip.Index(text, max); i > pos; i = prevRune(text, i) {
		r, _ := utf8.DecodeRuneInString(text[i:])
		if unicode.IsSpace(r) {
			return i
		}
	}
	for i := clip.Index(text, max); i > pos; i = prevRune(text, i) {
		if canCut(text, i) {
			return i
		}
	}
	i := clip.Index(text, max)
	if i <= pos { // max is within the first rune: take it whole
		_, n := utf8.DecodeRuneInString(text[pos:])
		return pos + n
	}
	return i
}

// canCut reports whether a piece may end at byte i (a rune start): not
// between two characters of the same word. Characters of scripts written
// without spaces (Han, Kana) are each a word for this purpose.
func canCut(text string, i int) bool {
	if i <= 0 || i >= len(text) {
		return true
	}
	a, _ := utf8.DecodeLastRuneInString(text[:i])
	b, _ := utf8.DecodeRuneInString(text[i:])
	if unicode.IsSpace(a) || unicode.IsSpace(b) {
		return true
	}
	if isCJK(a) || isCJK(b) {
		return !unicode.IsMark(b)
	}
	if inWord(a) && inWord(b) {
		return false
	}
	// Inside a number: "1,211", "3.5".
	if (a == ',' || a == '.') && unicode.IsDigit(b) {
		if c, _ := utf8.DecodeLastRuneInString(text[:i-1]); unicode.IsDigit(c) {
			return false
		}
	}
	if (b == ',' || b == '.') && unicode.IsDigit(a) && i+1 < len(text) {
		if c, _ := utf8.DecodeRuneInString(text[i+1:]); unicode.IsDigit(c) {
			return false
		}
	}
	// After punctuation that is not glued to the next word ("a,b" may be
	// cut after the comma; "co-operate" and "don't" may not).
	if isJoiner(a) || isJoiner(b) {
		return false
	}
	return !unicode.IsMark(b)
}

// inWord reports characters that belong to a word: letters, digits, marks.
func inWord(r rune) bool { return isWordRune(r) }

// isJoiner reports punctuation that sits inside words: apostrophes,
// hyphens, the zero-width joiners used by Persian and Indic scripts.
func isJoiner(r rune) bool {
	switch r {
	case '\'', '’', '-', '‐', '_', '\u200c', '\u200d', '.', '@', '/':
		return true
	}
	return false
}

// isWordRune reports letters, digits and combining marks: the characters
// words are made of.
func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r) || unicode.IsNumber(r)
}

// isCJK reports characters of scripts written without spaces between words.
func isCJK(r rune) bool {
	return unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) ||
		unicode.Is(unicode.Katakana, r) || unicode.Is(unicode.Thai, r) ||
		(r >= 0x3000 && r <= 0x303F) || (r >= 0xFF00 && r <= 0xFFEF)
}

func prevRune(text string, i int) int {
	_, n := utf8.DecodeLastRuneInString(text[:i])
	return i - n
}

// trim returns [start, end) without surrounding whitespace, and false when
// nothing is left.
func trim(text string, start, end int) (Span, bool) {
	for start < end {
		r, n := utf8.DecodeRuneInString(text[start:end])
		if !unicode.IsSpace(r) {
			break
		}
		start += n
	}
	for end > start {
		r, n := utf8.DecodeLastRuneInString(text[start:end])
		if !unicode.IsSpace(r) {
			break
		}
		end -= n
	}
	return Span{start, end}, end > start
}

// titleAbbrevs never end a sentence: they stand before a name or a noun.
var titleAbbrevs = map[string]bool{
	"mr": true, "mrs": true, "ms": true, "mx": true, "dr": true, "prof": true, "sen": true,
	"rep": true, "gov": true, "gen": true, "lt": true, "col": true, "maj": true, "capt": true,
	"cmdr": true, "adm": true, "sgt": true, "cpl": true, "pvt": true, "amb": true, "pres": true,
	"sec": true, "hon": true, "rev": true, "fr": true, "st": true, "mt": true, "ft": true,
	"supt": true, "insp": true, "messrs": true, "mme": true, "mlle": true, "hr": true,
	"vs": true, "approx": true, "cf": true, "dept": true, "univ": true, "assn": true,
	"gov't": true, "sr": true, "jr": true, "ave": true, "blvd": true, "rd": true,
	"al": true, "ca": true, "viz": true, "v": true, "sens": true, "reps": true, "gens": true,
	"govs": true, "asst": true, "atty": true, "det": true, "brig": true, "spc": true,
	"pfc": true, "msgr": true,
	// Russian: "г." (year, city), "ул." (street), "им." (named after), "т." (see)
	"ул": true, "им": true, "тов": true, "гг": true, "проф": true, "акад": true,
}

// numberAbbrevs do not end a sentence when a number follows ("Jan. 5",
// "No. 10", "p. 12").
var numberAbbrevs = map[string]bool{
	"jan": true, "feb": true, "mar": true, "apr": true, "jun": true, "jul": true,
	"aug": true, "sep": true, "sept": true, "oct": true, "nov": true, "dec": true,
	"no": true, "nos": true, "nr": true, "vol": true, "p": true, "pp": true, "art": true,
	"fig": true, "ch": true, "sec": true, "para": true, "tel": true, "ver": true,
	"est": true, "ed": true, "inc": true, "co": true, "corp": true, "ltd": true,
	"млн": true, "млрд": true, "тыс": true, "руб": true, "см": true, "стр": true,
}

// placeAbbrevs (US states as news datelines write them) do not end a
// sentence before a dash, a number or a lower-case word ("SACRAMENTO,
// Calif. — The governor", "Calif. 95814").
var placeAbbrevs = map[string]bool{
	"ala": true, "ariz": true, "ark": true, "calif": true, "colo": true, "conn": true,
	"del": true, "fla": true, "ga": true, "ill": true, "ind": true, "kan": true, "ky": true,
	"la": true, "md": true, "mass": true, "mich": true, "minn": true, "miss": true, "mo": true,
	"mont": true, "neb": true, "nev": true, "okla": true, "ore": true, "pa": true,
	"tenn": true, "tex": true, "va": true, "vt": true, "wash": true, "wis": true, "wyo": true,
}

// sentenceStarters are capitalised words that begin a sentence far more
// often than they continue a name: after "U.S." or "p.m." they mark a new
// sentence ("…imposed by the U.S. The talks…"), while "U.S. Senate" or
// "9 p.m. Friday" go on.
var sentenceStarters = map[string]bool{
	"The": true, "A": true, "An": true, "He": true, "She": true, "It": true, "They": true,
	"We": true, "I": true, "In": true, "On": true, "At": true, "But": true, "And": true,
	"This": true, "That": true, "These": true, "Those": true, "His": true, "Her": true,
	"Their": true, "Its": true, "There": true, "When": true, "While": true, "After": true,
	"Before": true, "As": true, "If": true, "Some": true, "Many": true, "Most": true,
	"According": true, "However": true, "Meanwhile": true, "So": true, "Yet": true,
	"What": true, "Why": true, "How": true, "Where": true, "Our": true, "You": true,
}

// isHardTerminator reports sentence-ending marks that never occur inside a
// sentence: CJK and fullwidth stops, the Arabic question mark and the
// Urdu/Persian full stop, the Devanagari danda. They end a sentence even
// without a following space (CJK text has none).
func isHardTerminator(r rune) bool {
	switch r {
	case '。', '！', '？', '．', '｡', '؟', '۔', '।', '॥', '‼', '⁇', '⁈', '⁉':
		return true
	}
	return false
}

// isSoftTerminator reports marks that end a sentence only when followed by
// whitespace and not in an abbreviation, a decimal or an initial.
func isSoftTerminator(r rune) bool {
	switch r {
	case '.', '!', '?', '…':
		return true
	}
	return false
}

// isCloser reports closing quotes and brackets that belong to the sentence
// before them: `He said "no." Then` ends after the quote.
func isCloser(r rune) bool {
	switch r {
	case '"', '\'', '”', '’', '»', '›', ')', ']', '}', '」', '』', '》', '〉', '）', '］', '｝', '〕', '】', '〗', '〙', '〛', '‟':
		return true
	}
	return false
}

// Sentences returns the sentences of text as byte spans, trimmed of
// surrounding whitespace, in order, covering every non-space character.
//
// A sentence ends at . ! ? … followed by whitespace (with any closing quotes
// or brackets before it belonging to the sentence), at CJK 。！？, Arabic ؟
// and the Urdu/Persian ۔ whatever follows, and at a line break unless the
// next line starts with a lower-case letter (a hard-wrapped sentence).
// A period does not end a sentence after a title abbreviation (Mr., Dr.,
// Gen.), a dotted acronym (U.S., e.g.), a single capital initial (John F.
// Kennedy), a month or "No." before a number (Jan. 5, No. 10), a state
// in a dateline (Calif. —), inside a number (3.5), or when the next word
// begins with a lower-case letter. After a dotted acronym it ends only when
// a typical sentence opening follows ("the U.S. The talks" but "the U.S.
// Senate").
func Sentences(text string) []Span {
	var out []Span
	emit := func(start, end int) {
		if sp, ok := trim(text, start, end); ok {
			out = append(out, sp)
		}
	}
	start := 0
	for i := 0; i < len(text); {
		r, n := utf8.DecodeRuneInString(text[i:])
		switch {
		case r == '\n':
			if newlineEnds(text, i) {
				emit(start, i)
				start = i + 1
			}
			i += n
		case isHardTerminator(r) || isSoftTerminator(r):
			j := i + n
			for j < len(text) {
				r2, n2 := utf8.DecodeRuneInString(text[j:])
				if !isHardTerminator(r2) && !isSoftTerminator(r2) && !isCloser(r2) {
					break
				}
				j += n2
			}
			if sentenceEnds(text, i, r, j) {
				emit(start, j)
				start = j
			}
			i = j
		default:
			i += n
		}
	}
	emit(start, len(text))
	return out
}

// newlineEnds reports whether the line break at i ends a sentence.
func newlineEnds(text string, i int) bool {
	j := i + 1
	for j < len(text) {
		r, n := utf8.DecodeRuneInString(text[j:])
		if r == '\n' {
			return true // a blank line: a paragraph break
		}
		if !unicode.IsSpace(r) {
			return !unicode.IsLower(r)
		}
		j += n
	}
	return true
}

// sentenceEnds decides whether the terminator r at i, whose run of
// terminators and closers ends at j, ends a sentence.
func sentenceEnds(text string, i int, r rune, j int) bool {
	if j >= len(text) {
		return true
	}
	if isHardTerminator(r) {
		return true
	}
	next, _ := utf8.DecodeRuneInString(text[j:])
	if !unicode.IsSpace(next) {
		// "3.5", "example.com", "U.S.-led": no space, no boundary; but a
		// full stop directly followed by CJK text does end the sentence.
		return isCJK(next) && !unicode.Is(unicode.Han, prevRuneAt(text, i))
	}
	// The first non-space character after the run.
	k := j
	for k < len(text) {
		r2, n2 := utf8.DecodeRuneInString(text[k:])
		if !unicode.IsSpace(r2) {
			next = r2
			break
		}
		k += n2
	}
	if k >= len(text) {
		return true
	}
	if unicode.IsLower(next) {
		return false
	}
	if r != '.' || j != i+1 {
		return true // ! ? … or a period followed by a quote or bracket
	}
	word := wordBefore(text, i)
	if word == "" {
		return true
	}
	lw := strings.ToLower(word)
	if strings.Contains(word, ".") { // U.S., e.g., a.m.
		return sentenceStarters[wordAt(text, k)]
	}
	if utf8.RuneCountInString(word) == 1 {
		w, _ := utf8.DecodeRuneInString(word)
		if unicode.IsUpper(w) { // an initial
			return false
		}
	}
	if titleAbbrevs[lw] {
		return false
	}
	if numberAbbrevs[lw] && unicode.IsDigit(next) {
		return false
	}
	if placeAbbrevs[lw] && (unicode.IsDigit(next) || unicode.Is(unicode.Pd, next)) {
		return false
	}
	return true
}

// wordAt returns the run of letters that starts at k.
func wordAt(text string, k int) string {
	e := k
	for e < len(text) {
		r, n := utf8.DecodeRuneInString(text[e:])
		if !unicode.IsLetter(r) {
			break
		}
		e += n
	}
	return text[k:e]
}

func prevRuneAt(text string, i int) rune {
	r, _ := utf8.DecodeLastRuneInString(text[:i])
	return r
}

// wordBefore returns the run of letters and periods that ends at i.
func wordBefore(text string, i int) string {
	k := i
	for k > 0 {
		r, n := utf8.DecodeLastRuneInString(text[:k])
		if !unicode.IsLetter(r) && r != '.' && r != '\'' && r != '’' {
			break
		}
		k -= n
	}
	return strings.Trim(text[k:i], ".")
}
