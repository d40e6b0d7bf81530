package corpus

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	readability "codeberg.org/readeck/go-readability/v2"
	"github.com/attache-bot/attache/clip"
	"golang.org/x/net/html"
	"golang.org/x/net/html/charset"
)

// DefaultMaxFileBytes is the size limit ImportFile and ImportReader apply to
// one file when ImportOptions.MaxFileBytes is not positive (64 MiB: a
// corpus file of tens of thousands of articles, far more than one upload).
const DefaultMaxFileBytes int64 = 64 << 20

// maxHTMLElements bounds the DOM that readability scores: extraction walks
// the tree several times, and a page with millions of elements is an attack
// on CPU, not an article.
const maxHTMLElements = 250_000

// Errors for a file that cannot be imported at all. Each is wrapped with the
// file's name and the details, so errors.Is works and the message reads as
// one line.
var (
	// ErrUnsupportedFormat: the name's extension is not one of .jsonl,
	// .ndjson, .json, .md, .markdown, .txt, .html, .htm.
	ErrUnsupportedFormat = errors.New("unsupported file format")
	// ErrNotAFile: a directory or a device, pipe or socket given as a path.
	ErrNotAFile = errors.New("not a regular file")
	// ErrEmptyFile: no bytes, or only white space.
	ErrEmptyFile = errors.New("empty file")
	// ErrNotUTF8: the text is in another encoding (or is binary); importing
	// it would store mojibake.
	ErrNotUTF8 = errors.New("not UTF-8 text")
	// ErrTooLarge: a file or a download over its size limit.
	ErrTooLarge = errors.New("too large")
)

// ImportOptions configures ImportFile and ImportReader.
type ImportOptions struct {
	Scope        string // scope of every imported article; "" = SharedScope
	MaxBodyBytes int    // per-article body limit; <= 0 = DefaultMaxBodyBytes
	MaxFileBytes int64  // whole-file limit; <= 0 = DefaultMaxFileBytes
}

// Record is one article read from a file, with the line it starts on
// (1-based; 1 for formats that hold a single article).
type Record struct {
	Article Article
	Line    int
}

// ImportError is one record that was not imported and why.
type ImportError struct {
	Line   int
	Reason string
}

// Error returns "line N: reason".
func (e ImportError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Reason) }

// ImportResult is what a file yielded: the articles that passed Normalize and
// Validate, in file order, and the records that did not.
type ImportResult struct {
	Records  []Record
	Rejected []ImportError // the first MaxListedRejections rejected records
	// MoreRejected counts rejected records beyond MaxListedRejections: a
	// file of a million bad lines must not turn into a million messages.
	MoreRejected int
}

// MaxListedRejections is how many rejected records an ImportResult lists.
const MaxListedRejections = 1000

// format is a supported file format.
type format int

const (
	formatJSONL format = iota + 1
	formatJSON
	formatMarkdown
	formatText
	formatHTML
)

var formatsByExt = map[string]format{
	".jsonl":    formatJSONL,
	".ndjson":   formatJSONL,
	".json":     formatJSON,
	".md":       formatMarkdown,
	".markdown": formatMarkdown,
	".txt":      formatText,
	".html":     formatHTML,
	".htm":      formatHTML,
}

func formatOf(name string) (format, error) {
	ext := strings.ToLower(filepath.Ext(name))
	if f, ok := formatsByExt[ext]; ok {
		return f, nil
	}
	if ext == "" {
		return 0, fmt.Errorf("%s: %w: the name has no extension (use .jsonl, .json, .md, .txt or .html)", name, ErrUnsupportedFormat)
	}
	return 0, fmt.Errorf("%s: %w %q (use .jsonl, .json, .md, .txt or .html)", name, ErrUnsupportedFormat, ext)
}

// ImportFile reads the articles in the file at path; the format comes from
// its extension (see ImportReader). A missing path, a directory, an unknown
// extension, an empty file, a file over MaxFileBytes or one that is not
// UTF-8 is an error and nothing is imported; problems with single records
// (no title, no body, a bad date, invalid JSON on one line, a body over
// MaxBodyBytes) go to ImportResult.Rejected and the other records still
// import.
func ImportFile(path string, opts ImportOptions) (ImportResult, error) {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return ImportResult{}, fmt.Errorf("%s: %w", path, fs.ErrNotExist)
	case err != nil:
		return ImportResult{}, err // *PathError already names the path and the cause
	case fi.IsDir():
		return ImportResult{}, fmt.Errorf("%s: %w: it is a directory (name the files in it)", path, ErrNotAFile)
	case !fi.Mode().IsRegular():
		return ImportResult{}, fmt.Errorf("%s: %w", path, ErrNotAFile)
	}
	if _, err := formatOf(path); err != nil {
		return ImportResult{}, err
	}
	limit := opts.maxFileBytes()
	if fi.Size() > limit {
		return ImportResult{}, fmt.Errorf("%s: %w: %d bytes, over the limit of %s", path, ErrTooLarge, fi.Size(), byteSize(limit))
	}
	f, err := os.Open(path)
	if err != nil {
		return ImportResult{}, err
	}
	defer f.Close()
	return ImportReader(f, path, opts)
}

// ImportReader reads the articles in r; name (a file name or path) gives the
// format by its extension:
//
//   - .jsonl (.ndjson): one JSON object per line with the fields id, title,
//     source, url, published, body and language (other fields are ignored).
//     Blank lines are skipped; a malformed line is rejected with its number
//     and the other lines still import.
//   - .json: an array of such objects, or one object. A record's Line is the
//     line its object starts on. A syntax error ends the reading: the records
//     before it are kept and the error is reported at its line.
//   - .md: optional front matter between "---" lines with title, source,
//     url, published (or date), id and language; without a title there, the
//     first "# " heading is the title. The body is the rest, made readable as
//     plain text: heading markers, link and image syntax and bold markers are
//     removed, the words are kept.
//   - .txt: the first non-empty line is the title; a date line such as
//     "2025-07-27" or "Sun. Jul 27th, 2025" before or right after it is the
//     publication date. The body is the rest.
//   - .html (.htm): the main text, title, outlet (site name), date and
//     language as readability finds them; the page's canonical URL when it
//     declares an absolute http(s) one.
//
// In .md and .txt files a last line that only says "Source" is a dangling
// label and is dropped, and a last line "Source: Outlet" (short) sets the
// outlet unless the front matter names one. An .html file may declare
// another encoding than UTF-8 (meta charset), which is decoded. A record's id, when it has one, is the article's id; other
// articles get their id when they are stored (ID depends on the scope). A
// published date may be YYYY-MM-DD, RFC 3339, or a written date such as
// "July 27, 2025"; a date with a time keeps the calendar day as written. A
// UTF-8 byte order mark and CRLF line ends are accepted. See ImportFile for
// what is an error and what is a rejected record.
func ImportReader(r io.Reader, name string, opts ImportOptions) (ImportResult, error) {
	f, err := formatOf(name)
	if err != nil {
		return ImportResult{}, err
	}
	limit := opts.maxFileBytes()
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return ImportResult{}, fmt.Errorf("%s: %w", name, err)
	}
	if int64(len(data)) > limit {
		return ImportResult{}, fmt.Errorf("%s: %w: over the limit of %s", name, ErrTooLarge, byteSize(limit))
	}
	data = bytes.TrimPrefix(data, utf8BOM)
	if len(bytes.TrimSpace(data)) == 0 {
		return ImportResult{}, fmt.Errorf("%s: %w", name, ErrEmptyFile)
	}
	if f != formatHTML { // HTML may declare its own encoding; see htmlToUTF8
		if err := checkText(data, f != formatJSONL && f != formatJSON); err != nil {
			return ImportResult{}, fmt.Errorf("%s: %w", name, err)
		}
	}
	im := importer{opts: opts}
	switch f {
	case formatJSONL:
		im.jsonl(data)
	case formatJSON:
		im.json(data)
	case formatMarkdown:
		im.markdown(string(data))
	case formatText:
		im.text(string(data))
	case formatHTML:
		a, err := htmlArticle(data, "", nil, true)
		if err != nil {
			if errors.Is(err, ErrNotUTF8) {
				return ImportResult{}, fmt.Errorf("%s: %w", name, err)
			}
			im.reject(1, err.Error())
		} else {
			im.add(a, 1)
		}
	}
	return im.res, nil
}

func (o ImportOptions) maxFileBytes() int64 {
	if o.MaxFileBytes <= 0 {
		return DefaultMaxFileBytes
	}
	return o.MaxFileBytes
}

var utf8BOM = []byte("\xEF\xBB\xBF")

// checkText refuses text that is not UTF-8 (naming the line of the first
// bad byte) and, when noNUL is set, text with NUL bytes: a NUL never occurs
// in a text file, so the file is binary. In JSON a raw NUL is a syntax
// error of its line, which the JSON readers report themselves.
func checkText(data []byte, noNUL bool) error {
	switch {
	case bytes.HasPrefix(data, []byte("\xFF\xFE")), bytes.HasPrefix(data, []byte("\xFE\xFF")):
		return fmt.Errorf("%w: the file is UTF-16 (save it as UTF-8)", ErrNotUTF8)
	}
	if !utf8.Valid(data) {
		off := 0
		for off < len(data) {
			r, n := utf8.DecodeRune(data[off:])
			if r == utf8.RuneError && n == 1 {
				break
			}
			off += n
		}
		return fmt.Errorf("%w: invalid byte 0x%02X at line %d (convert the file to UTF-8)", ErrNotUTF8, data[off], lineAt(data, off))
	}
	if noNUL {
		if i := bytes.IndexByte(data, 0); i >= 0 {
			return fmt.Errorf("%w: NUL byte at line %d (a binary file?)", ErrNotUTF8, lineAt(data, i))
		}
	}
	return nil
}

// lineAt returns the 1-based line of byte offset off.
func lineAt(data []byte, off int) int {
	off = min(max(off, 0), len(data))
	return 1 + bytes.Count(data[:off], []byte{'\n'})
}

// importer collects records and rejections for one file.
type importer struct {
	opts ImportOptions
	res  ImportResult
}

func (im *importer) reject(line int, reason string) {
	if len(im.res.Rejected) >= MaxListedRejections {
		im.res.MoreRejected++
		return
	}
	im.res.Rejected = append(im.res.Rejected, ImportError{Line: line, Reason: reason})
}

// add normalises and validates a, then keeps it or rejects it.
func (im *importer) add(a Article, line int) {
	a.Scope = im.opts.Scope
	a.Normalize()
	if err := Validate(a, im.opts.MaxBodyBytes); err != nil {
		im.reject(line, RejectReason(err))
		return
	}
	im.res.Records = append(im.res.Records, Record{Article: a, Line: line})
}

// jsonRecord is one article in .jsonl and .json files. Fields it does not
// name (dataset, author, …) are ignored.
type jsonRecord struct {
	ID        string `json:"id"`
	Title     string `json:"title"`
	Source    string `json:"source"`
	URL       string `json:"url"`
	Published string `json:"published"`
	Language  string `json:"language"`
	Body      string `json:"body"`
}

func (im *importer) jsonl(data []byte) {
	for line := 1; len(data) > 0; line++ {
		var l []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			l, data = data[:i], data[i+1:]
		} else {
			l, data = data, nil
		}
		l = bytes.TrimSpace(l) // also drops the \r of CRLF
		if len(l) == 0 {
			continue
		}
		a, err := decodeRecord(l)
		if err != nil {
			im.reject(line, err.Error())
			continue
		}
		im.add(a, line)
	}
}

func (im *importer) json(data []byte) {
	start := skipSpace(data, 0)
	switch data[start] {
	case '{':
		dec := json.NewDecoder(bytes.NewReader(data))
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			im.reject(jsonErrLine(data, err, start), jsonErrReason(err))
			return
		}
		if end := skipSpace(data, int(dec.InputOffset())); end < len(data) {
			im.reject(lineAt(data, end), "unexpected text after the JSON object")
		}
		im.addRaw(raw, lineAt(data, start))
	case '[':
		dec := json.NewDecoder(bytes.NewReader(data))
		if _, err := dec.Token(); err != nil {
			im.reject(lineAt(data, start), jsonErrReason(err))
			return
		}
		for dec.More() {
			// The next value starts after the separator that follows the
			// previous token.
			at := skipSpace(data, int(dec.InputOffset()))
			if at < len(data) && data[at] == ',' {
				at = skipSpace(data, at+1)
			}
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				im.reject(jsonErrLine(data, err, at), jsonErrReason(err)+"; the rest of the file was not read")
				return
			}
			im.addRaw(raw, lineAt(data, at))
		}
		if _, err := dec.Token(); err != nil {
			im.reject(jsonErrLine(data, err, int(dec.InputOffset())), jsonErrReason(err))
			return
		}
		if end := skipSpace(data, int(dec.InputOffset())); end < len(data) {
			im.reject(lineAt(data, end), "unexpected text after the JSON array")
		}
	default:
		im.reject(lineAt(data, start), "expected a JSON object or an array of objects")
	}
}

func (im *importer) addRaw(raw json.RawMessage, line int) {
	a, err := decodeRecord(raw)
	if err != nil {
		im.reject(line, err.Error())
		return
	}
	im.add(a, line)
}

func skipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	return i
}

// decodeRecord turns one JSON object into an article (not yet normalised).
func decodeRecord(raw []byte) (Article, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			return Article{}, errors.New(jsonErrReason(err))
		}
		return Article{}, errors.New("not a JSON object")
	}
	var rec jsonRecord
	if err := json.Unmarshal(raw, &rec); err != nil {
		return Article{}, errors.New(jsonErrReason(err))
	}
	a := Article{
		ID:       rec.ID,
		URL:      rec.URL,
		Title:    rec.Title,
		Source:   rec.Source,
		Language: rec.Language,
		Body:     rec.Body,
	}
	if strings.TrimSpace(rec.Published) != "" {
		t, err := parsePublished(rec.Published)
		if err != nil {
			return Article{}, err
		}
		a.Published = t
	}
	return a, nil
}

// jsonErrReason says what is wrong with a JSON record in words.
func jsonErrReason(err error) string {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te) && te.Field != "":
		return fmt.Sprintf("invalid JSON: field %q must be a %s, not a %s", te.Field, te.Type.Kind(), te.Value)
	case errors.As(err, &te):
		return fmt.Sprintf("invalid JSON: expected an object, not a %s", te.Value)
	case errors.As(err, &se):
		return "invalid JSON: " + strings.TrimPrefix(se.Error(), "json: ")
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "invalid JSON: unexpected end of file"
	}
	return "invalid JSON: " + strings.TrimPrefix(err.Error(), "json: ")
}

// jsonErrLine is the line of a syntax error, or fallback's line.
func jsonErrLine(data []byte, err error, fallback int) int {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return lineAt(data, int(se.Offset))
	}
	return lineAt(data, fallback)
}

// published dates: layouts tried as they are, then written dates after
// cleanWrittenDate. Times keep their calendar day as written (a story
// published at 23:30 in New York is dated that day, not the next UTC day).
var (
	machineDateLayouts = []string{
		DateLayout,
		time.RFC3339, // also accepts fractional seconds
		"2006-01-02T15:04:05-0700",
		"2006-01-02T15:04:05",
		"2006-01-02T15:04",
		"2006-01-02 15:04:05Z07:00",
		"2006-01-02 15:04:05 -0700",
		"2006-01-02 15:04:05",
		"2006-01-02 15:04",
		"2006/01/02",
		time.RFC1123Z,
		time.RFC1123,
		"Mon, 2 Jan 2006 15:04:05 -0700",
		"Mon, 2 Jan 2006 15:04:05 MST",
	}
	writtenDateLayouts = []string{
		"January 2 2006",
		"Jan 2 2006",
		"2 January 2006",
		"2 Jan 2006",
	}
	weekdayPrefix = regexp.MustCompile(`^(?i)(mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(day|nesday|sday|rsday|urday)?\b\.?,?\s*`)
	ordinal       = regexp.MustCompile(`(?i)\b(\d{1,2})(st|nd|rd|th)\b`)
	datePrefix    = regexp.MustCompile(`^(?i)(published|posted|date|updated)\s*:\s*`)
)

// parsePublished reads a publication date and returns it as midnight UTC of
// the calendar day written.
func parsePublished(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, l := range machineDateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return dayOf(t), nil
		}
	}
	w := cleanWrittenDate(s)
	for _, l := range writtenDateLayouts {
		if t, err := time.Parse(l, w); err == nil {
			return dayOf(t), nil
		}
	}
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return time.Time{}, fmt.Errorf("published date %q is not a date (use YYYY-MM-DD)", s)
}

func plausibleYear(t time.Time) bool { return t.Year() >= 1900 && t.Year() <= 9999 }

func dayOf(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// cleanWrittenDate turns "Sun. Jul 27th, 2025" into "Jul 27 2025".
func cleanWrittenDate(s string) string {
	s = weekdayPrefix.ReplaceAllString(strings.TrimSpace(s), "")
	s = ordinal.ReplaceAllString(s, "$1")
	s = strings.NewReplacer(",", " ", ".", " ").Replace(s)
	f := strings.Fields(s)
	for i, w := range f {
		if strings.EqualFold(w, "sept") {
			f[i] = "Sep"
		}
	}
	return strings.Join(f, " ")
}

// dateLine reports whether a line of a text file is only a date (optionally
// "Published: …"), and that date.
func dateLine(line string) (time.Time, bool) {
	line = strings.TrimSpace(line)
	if line == "" || len(line) > 48 {
		return time.Time{}, false
	}
	t, err := parsePublished(datePrefix.ReplaceAllString(line, ""))
	return t, err == nil
}

// textLines splits text into lines with CRLF and CR line ends made LF.
func textLines(s string) []string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return strings.Split(s, "\n")
}

// maxTitleLine is the longest line (in characters) a .txt file's title may
// be: a longer first line is a paragraph, and making it the title would
// hide the body.
const maxTitleLine = 300

var sourceLine = regexp.MustCompile(`^(?i)sources?\s*:?\s*(.*)$`)

// trailingSource drops a last line that is a "Source" label, and returns the
// outlet it names ("Source: Reuters"), if any.
func trailingSource(lines []string) ([]string, string) {
	last := len(lines) - 1
	for last >= 0 && strings.TrimSpace(lines[last]) == "" {
		last--
	}
	if last < 0 {
		return lines, ""
	}
	m := sourceLine.FindStringSubmatch(strings.TrimSpace(lines[last]))
	if m == nil {
		return lines, ""
	}
	outlet := strings.TrimSpace(m[1])
	if outlet != "" && (len(outlet) > 80 || !strings.Contains(strings.TrimSpace(lines[last]), ":")) {
		return lines, "" // a sentence that starts with "Sources say", not a label
	}
	return lines[:last], outlet
}

func (im *importer) text(s string) {
	lines, outlet := trailingSource(textLines(s))
	a := Article{Source: outlet}
	next := func(i int) int {
		for i < len(lines) && strings.TrimSpace(lines[i]) == "" {
			i++
		}
		return i
	}
	i := next(0)
	if i < len(lines) {
		if t, ok := dateLine(lines[i]); ok {
			a.Published = t
			i = next(i + 1)
		}
	}
	if i < len(lines) {
		title := strings.TrimSpace(lines[i])
		if n := utf8.RuneCountInString(title); n > maxTitleLine {
			im.reject(i+1, fmt.Sprintf("missing title: line %d has %d characters, a paragraph rather than a title (put the title on a line of its own)", i+1, n))
			return
		}
		a.Title = title
		i++
		if j := next(i); j < len(lines) && a.Published.IsZero() {
			if t, ok := dateLine(lines[j]); ok {
				a.Published = t
				i = j + 1
			}
		}
	}
	if i < len(lines) {
		a.Body = strings.Join(lines[i:], "\n")
	}
	im.add(a, 1)
}

func (im *importer) markdown(s string) {
	lines, outlet := trailingSource(textLines(s))
	a := Article{Source: outlet}
	i := 0
	if strings.TrimSpace(lines[0]) == "---" {
		end := 0
		for j := 1; j < len(lines) && end == 0; j++ {
			if l := strings.TrimSpace(lines[j]); l == "---" || l == "..." {
				end = j
			}
		}
		if end == 0 {
			im.reject(1, "front matter opened with --- on line 1 is not closed with ---")
			return
		}
		i = end + 1
		for j := 1; j < end; j++ {
			l := strings.TrimSpace(lines[j])
			if l == "" || strings.HasPrefix(l, "#") || strings.HasPrefix(l, "- ") || l != strings.TrimLeft(lines[j], " \t") {
				continue // blank, a comment, or part of a list or nested value (tags, authors)
			}
			k, v, ok := strings.Cut(l, ":")
			if !ok {
				im.reject(j+1, fmt.Sprintf("front matter: expected \"key: value\", got %q", clip.Mark(l, 60)))
				return
			}
			v = unquote(strings.TrimSpace(v))
			switch strings.ToLower(strings.TrimSpace(k)) {
			case "title":
				a.Title = v
			case "source", "outlet":
				a.Source = v
			case "url", "link":
				a.URL = v
			case "id":
				a.ID = v
			case "language", "lang":
				a.Language = v
			case "published", "date":
				if v == "" {
					continue
				}
				t, err := parsePublished(v)
				if err != nil {
					im.reject(j+1, err.Error())
					return
				}
				a.Published = t
			}
		}
	}
	body := lines[i:]
	// The first level-1 heading is the title when the front matter has
	// none, and is dropped when it repeats the title.
	for j, l := range body {
		if strings.TrimSpace(l) == "" {
			continue
		}
		if h, ok := strings.CutPrefix(strings.TrimSpace(l), "# "); ok {
			h = strings.TrimSpace(strings.TrimRight(h, "#"))
			if a.Title == "" {
				a.Title = h
			}
			if a.Title == h {
				body = append(body[:j:j], body[j+1:]...)
			}
		}
		break
	}
	if a.Title == "" {
		for _, l := range body {
			if h, ok := strings.CutPrefix(strings.TrimSpace(l), "# "); ok {
				a.Title = strings.TrimSpace(strings.TrimRight(h, "#"))
				break
			}
		}
	}
	a.Title = plainMarkdown(a.Title)
	a.Body = plainMarkdown(strings.Join(body, "\n"))
	im.add(a, 1)
}

var (
	mdHeading = regexp.MustCompile(`(?m)^[ \t]{0,3}#{1,6}[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$`)
	mdImage   = regexp.MustCompile(`!\[([^\]\n]*)\]\([^)\n]*\)`)
	mdLink    = regexp.MustCompile(`\[([^\]\n]+)\]\([^)\n]*\)`)
	mdBold    = regexp.MustCompile(`(\*\*|__)(\S(?:[^\n]*?\S)?)(\*\*|__)`)
)

// plainMarkdown keeps the words of markdown and drops the syntax that would
// otherwise be quoted in answers: heading markers, link and image syntax
// (the text or alt text stays) and bold markers. Lists, quotes and code are
// left as they are: they read well as text.
func plainMarkdown(s string) string {
	s = mdHeading.ReplaceAllString(s, "$1")
	s = mdImage.ReplaceAllString(s, "$1")
	s = mdLink.ReplaceAllString(s, "$1")
	return mdBold.ReplaceAllStringFunc(s, func(m string) string {
		sm := mdBold.FindStringSubmatch(m)
		if sm[1] != sm[3] {
			return m
		}
		return sm[2]
	})
}

func unquote(v string) string {
	if len(v) >= 2 && (v[0] == '"' && v[len(v)-1] == '"' || v[0] == '\'' && v[len(v)-1] == '\'') {
		return v[1 : len(v)-1]
	}
	return v
}

// htmlArticle extracts an article from an HTML page with readability.
// pageURL is where the page was fetched from ("" for a file); it becomes the
// article's URL. For a file the page's own canonical link (or og:url) is
// used instead when it is an absolute http(s) URL. contentType is the HTTP
// Content-Type, if any. With strict, text that is not UTF-8 and declares no
// other encoding is refused (ErrNotUTF8); otherwise it is decoded the way a
// browser would (windows-1252).
func htmlArticle(data []byte, contentType string, pageURL *url.URL, strict bool) (Article, error) {
	data, err := htmlToUTF8(data, contentType, strict)
	if err != nil {
		return Article{}, err
	}
	if strict {
		// A NUL byte after decoding means a binary file, not a page.
		if err := checkText(data, true); err != nil {
			return Article{}, err
		}
	}
	doc, err := html.Parse(bytes.NewReader(data))
	if err != nil {
		return Article{}, fmt.Errorf("cannot parse HTML: %w", err)
	}
	meta := pageMeta(doc)
	news := readNewsPage(doc)
	if meta.published == "" {
		meta.published = news.date()
	}
	removeFurniture(doc)
	p := readability.NewParser()
	p.MaxElemsToParse = maxHTMLElements
	ra, err := p.ParseAndMutate(doc, pageURL)
	if err != nil {
		return Article{}, fmt.Errorf("no article found in the page: %w", err)
	}
	a := Article{
		Title:    ra.Title(),
		Source:   ra.SiteName(),
		Language: ra.Language(),
	}
	switch {
	case pageURL != nil && meta.canonical != "" && sameSite(pageURL, meta.canonical):
		// The page's own canonical link (or og:url) names it the way a
		// saved copy of it does, without the query strings and paths that
		// lead to the same page; it makes the id, so a page ingested by URL
		// and as a file is one article. Only on the page's own site: a page
		// must not claim another site's article.
		a.URL = meta.canonical
	case pageURL != nil:
		// The canonical form: no fragment, no tracking parameters, so the
		// link shown with a citation is clean.
		a.URL, err = CanonicalURL(pageURL.String())
		if err != nil {
			return Article{}, fmt.Errorf("page URL: %w", err)
		}
	case meta.canonical != "":
		a.URL = meta.canonical
	}
	a.Title, a.Source = splitSiteSuffix(a.Title, a.Source, a.URL)
	if a.Source == "" {
		a.Source = news.outlet(a.Title, a.URL)
	}
	if a.Source == "" && a.URL != "" {
		if u, err := url.Parse(a.URL); err == nil {
			a.Source = strings.TrimPrefix(strings.ToLower(u.Hostname()), "www.")
		}
	}
	// Page metadata is often wrong; a date outside plausible years is
	// dropped rather than failing the whole page.
	if t, err := ra.PublishedTime(); err == nil && plausibleYear(t) {
		a.Published = dayOf(t)
	} else if meta.published != "" {
		if t, err := parsePublished(meta.published); err == nil && plausibleYear(t) {
			a.Published = t
		}
	}
	var body strings.Builder
	if ra.Node != nil {
		if err := ra.RenderText(&body); err != nil {
			return Article{}, fmt.Errorf("cannot render the page's text: %w", err)
		}
	}
	a.Body = body.String()
	if strings.TrimSpace(a.Body) == "" {
		return Article{}, errors.New("no article text found in the page")
	}
	return a, nil
}

// sameSite reports whether canonical (an absolute URL) is on page's site:
// the same host, "www." aside.
func sameSite(page *url.URL, canonical string) bool {
	c, err := url.Parse(canonical)
	if err != nil {
		return false
	}
	host := func(h string) string { return strings.TrimPrefix(strings.ToLower(h), "www.") }
	return host(c.Hostname()) != "" && host(c.Hostname()) == host(page.Hostname())
}

// titleSeparators separate a page title from the site's name appended to
// it ("Finland joins NATO | HTML Herald").
var titleSeparators = []string{" | ", " — ", " – ", " - ", " :: ", " · ", " • "}

// splitSiteSuffix removes the site's name from the end of a page title and
// returns the title and the outlet. The suffix is taken for the site's name
// when it is the site name the page declares (og:site_name), when it spells
// the host ("HTML Herald" on htmlherald.example), or, after a "|" and with
// no declared site name, when it is short (at most five words) and shorter
// than the rest. A title that is all suffix, or whose last part is only a
// subtitle ("Talks resume - again"), is left alone.
func splitSiteSuffix(title, site, pageURL string) (string, string) {
	var host string
	if u, err := url.Parse(pageURL); err == nil {
		host = squash(u.Hostname())
	}
	for _, sep := range titleSeparators {
		i := strings.LastIndex(title, sep)
		if i < 0 {
			continue
		}
		head, tail := strings.TrimSpace(title[:i]), strings.TrimSpace(title[i+len(sep):])
		if head == "" || tail == "" {
			continue
		}
		t := squash(tail)
		named := t != "" && (t == squash(site) || (len(t) >= 4 && strings.Contains(host, t)))
		short := sep == " | " && site == "" && len(strings.Fields(tail)) <= 5 &&
			len(strings.Fields(tail)) < len(strings.Fields(head))
		if named || short {
			if site == "" {
				site = tail
			}
			return head, site
		}
	}
	return title, site
}

// squash lower-cases s and keeps its letters and digits only, so that
// "HTML Herald" and "htmlherald.example" can be compared.
func squash(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// htmlToUTF8 returns HTML as UTF-8, decoding a declared (or, when not
// strict, guessed) legacy encoding.
func htmlToUTF8(data []byte, contentType string, strict bool) ([]byte, error) {
	if utf8.Valid(data) {
		return data, nil
	}
	enc, name, certain := charset.DetermineEncoding(data, contentType)
	if !certain && name != "utf-8" {
		// DetermineEncoding calls an encoding read from a <meta> tag
		// uncertain, like its windows-1252 fallback; a declaration is what
		// tells the two apart (the prescan reads the first 1024 bytes).
		certain = bytes.Contains(bytes.ToLower(data[:min(len(data), 1024)]), []byte("charset"))
	}
	if name == "utf-8" || (strict && !certain) {
		if strict {
			return nil, checkText(data, false)
		}
		return bytes.ToValidUTF8(data, []byte("\uFFFD")), nil
	}
	out, err := enc.NewDecoder().Bytes(data)
	if err != nil {
		return nil, fmt.Errorf("%w: cannot decode %s text: %v", ErrNotUTF8, name, err)
	}
	return out, nil
}

// htmlMeta is what readability does not expose: the page's canonical URL
// and dates in meta tags it does not read.
type htmlMeta struct {
	canonical string
	published string
}

// publishedMeta are meta names (lower case) that carry a publication date.
var publishedMeta = map[string]bool{
	"date": true, "pubdate": true, "publishdate": true, "publish-date": true, "publish_date": true,
	"article.published": true, "article:published_time": true, "og:published_time": true,
	"dc.date": true, "dc.date.issued": true, "dcterms.date": true, "sailthru.date": true,
	"citation_publication_date": true, "parsely-pub-date": true, "datepublished": true,
}

func pageMeta(doc *html.Node) htmlMeta {
	var m htmlMeta
	var timeTag string
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			attr := func(k string) string {
				for _, a := range n.Attr {
					if strings.EqualFold(a.Key, k) {
						return strings.TrimSpace(a.Val)
					}
				}
				return ""
			}
			switch n.Data {
			case "link":
				if m.canonical == "" && strings.EqualFold(attr("rel"), "canonical") {
					m.canonical = absoluteHTTP(attr("href"))
				}
			case "meta":
				key := strings.ToLower(attr("property") + attr("name") + attr("itemprop"))
				switch {
				case key == "og:url" && m.canonical == "":
					m.canonical = absoluteHTTP(attr("content"))
				case publishedMeta[key] && m.published == "":
					m.published = attr("content")
				}
			case "time":
				if timeTag == "" && (hasAttr(n, "pubdate") || strings.EqualFold(attr("itemprop"), "datePublished")) {
					timeTag = attr("datetime")
				}
			case "script", "style":
				return
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	if m.published == "" {
		m.published = timeTag
	}
	return m
}

func hasAttr(n *html.Node, k string) bool {
	for _, a := range n.Attr {
		if strings.EqualFold(a.Key, k) {
			return true
		}
	}
	return false
}

// absoluteHTTP returns the canonical form of s when it is an absolute
// http(s) URL, else "".
func absoluteHTTP(s string) string {
	c, err := CanonicalURL(s)
	if err != nil {
		return ""
	}
	return c
}

// byteSize writes a limit in bytes for people: "64 MiB", "1000 bytes".
func byteSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
