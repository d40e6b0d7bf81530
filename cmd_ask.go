package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/attache-bot/attache/corpus"
	"github.com/attache-bot/attache/corpus/gazetteer"
	"github.com/attache-bot/attache/retrieval"
)

// maxQuestionChars bounds a question from the command line. Discord allows
// 1,000 characters; a longer question is a pasted article, not a question.
const maxQuestionChars = 4000

// askJSON is the "ask -json" object of interface.md.
type askJSON struct {
	Question string          `json:"question"`
	AsOf     string          `json:"asof"`
	Answer   string          `json:"answer"`
	Mode     string          `json:"mode"`
	Sources  []askJSONSource `json:"sources"`
	Uncited  bool            `json:"uncited,omitempty"`
	Note     string          `json:"note,omitempty"`
}

type askJSONSource struct {
	N         int     `json:"n"`
	ArticleID string  `json:"article_id"`
	Title     string  `json:"title"`
	Source    string  `json:"source"`
	Published string  `json:"published"`
	URL       string  `json:"url"`
	ChunkID   string  `json:"chunk_id"`
	Score     float64 `json:"score"`
	// Label is the outlet's label set by moderators ("wire").
	Label   string        `json:"label,omitempty"`
	StoryID string        `json:"story_id,omitempty"`
	Also    []askJSONAlso `json:"also,omitempty"`
}

// askJSONAlso is another outlet's article of a source's story.
type askJSONAlso struct {
	ArticleID string `json:"article_id"`
	Source    string `json:"source"`
	URL       string `json:"url"`
	Label     string `json:"label,omitempty"`
}

func runAsk(ctx context.Context, env *environment, args []string) error {
	fs := newFlagSet(env, "ask")
	asJSON := fs.Bool("json", false, "print the answer as one JSON object")
	asOfFlag := fs.String("asof", "", "answer as of this date (YYYY-MM-DD); later articles are invisible (default today)")
	guild := fs.String("guild", "", "answer for this guild: its articles and the shared ones (default shared only)")
	countryFlag := fs.String("country", "", "answer only from articles about this country (a name, short form, demonym or ISO code)")
	orgFlag := fs.String("org", "", "answer only from articles about this international organisation (e.g. NATO, UN, EU)")
	positional, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	question := strings.TrimSpace(strings.Join(positional, " "))
	if question == "" {
		fs.Usage()
		return usagef("ask: the question is empty")
	}
	if !utf8.ValidString(question) {
		return usagef("ask: the question is not valid UTF-8")
	}
	if n := utf8.RuneCountInString(question); n > maxQuestionChars {
		return usagef("ask: the question is too long (%d characters; at most %d)", n, maxQuestionChars)
	}
	scope, err := validScope(*guild)
	if err != nil {
		return err
	}
	var asOf time.Time
	if *asOfFlag != "" {
		asOf, err = time.Parse(corpus.DateLayout, strings.TrimSpace(*asOfFlag))
		if err != nil {
			return usagef("ask: -asof must be a date as YYYY-MM-DD")
		}
	}
	country, err := placeFlag("ask", gazetteer.Country, *countryFlag)
	if err != nil {
		return err
	}
	org, err := placeFlag("ask", gazetteer.Organisation, *orgFlag)
	if err != nil {
		return err
	}

	// On a terminal the generated text is shown as it arrives (see below),
	// and stderr is usually the same terminal: a log line written while a
	// line of the answer is open starts on a line of its own.
	out := env.io.out
	stream := !*asJSON && isTerminal(out)
	var guard *lineGuard
	if stream {
		guard = &lineGuard{out: out, log: env.io.err}
		env.io.err = guard
	}

	// An unreachable model gives the extractive answer with a note, as a
	// model failing mid-answer does; a bad key or model is still an error.
	var llmDown bool
	engine, _, closeEngine, err := openEngine(ctx, env, engineOptions{withLLM: true, checkLLM: true, seed: true, llmDown: &llmDown})
	if err != nil {
		return err
	}
	defer closeEngine()

	// On a terminal the generated text is shown as it arrives; the checked
	// answer (citations renumbered, invented ones removed) follows it.
	var streamed strings.Builder
	var onDelta func(string)
	if stream {
		onDelta = func(d string) {
			streamed.WriteString(d)
			guard.answer(printable(d))
		}
	}
	ans, err := engine.Answer(ctx, retrieval.Request{Question: question, Scope: scope, AsOf: asOf, Country: country, Org: org}, onDelta)
	if err != nil {
		if ctx.Err() != nil {
			return errInterrupted
		}
		return redactedf(env.cfg, "answering: %w", err)
	}
	if llmDown && ans.Mode == retrieval.ModeExtractive {
		ans.Note = strings.TrimSpace(retrieval.NoteLLMUnavailable + " " + ans.Note)
	}
	if *asJSON {
		return writeAnswerJSON(out, ans)
	}
	return writeAnswerText(out, ans, streamed.String())
}

func writeAnswerJSON(w io.Writer, ans retrieval.Answer) error {
	obj := askJSON{
		Question: ans.Question,
		AsOf:     formatDate(ans.AsOf),
		Answer:   ans.Text,
		Mode:     string(ans.Mode),
		Sources:  make([]askJSONSource, 0, len(ans.Sources)),
		Uncited:  ans.Uncited,
		Note:     ans.Note,
	}
	for _, s := range ans.Sources {
		src := askJSONSource{
			N: s.N, ArticleID: s.ArticleID, Title: s.Title, Source: s.Source,
			Published: formatDate(s.Published), URL: s.URL, ChunkID: s.ChunkID, Score: s.Score,
			Label: s.Label, StoryID: s.StoryID,
		}
		for _, a := range s.Also {
			src.Also = append(src.Also, askJSONAlso{ArticleID: a.ArticleID, Source: a.Source, URL: a.URL, Label: a.Label})
		}
		obj.Sources = append(obj.Sources, src)
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(obj)
}

// writeAnswerText prints the answer, its sources and how it was made.
// streamed is the generated text already shown on the terminal: when the
// checked answer differs from it, the checked one is printed as well.
func writeAnswerText(w io.Writer, ans retrieval.Answer, streamed string) error {
	var b strings.Builder
	switch {
	case streamed == "":
		b.WriteString(strings.TrimSpace(ans.Text) + "\n")
	case ans.Mode != retrieval.ModeLLM:
		// The generated answer broke off or failed after part of it was
		// shown: mark that part, then give the answer that replaces it.
		b.WriteString("\n[the generated answer above broke off]\n\n" + strings.TrimSpace(ans.Text) + "\n")
	case strings.TrimSpace(streamed) == strings.TrimSpace(ans.Text):
		b.WriteString("\n")
	default:
		b.WriteString("\n\nChecked answer (citations verified and renumbered):\n" + strings.TrimSpace(ans.Text) + "\n")
	}
	if ans.Uncited {
		b.WriteString("\nWarning: this answer cites none of the sources below; treat it as unverified.\n")
	}
	if line := retrieval.OutletsLine(ans.Outlets(), textOutlet); line != "" {
		b.WriteString("\n" + line + "\n")
	}
	if len(ans.Sources) > 0 {
		b.WriteString("\nSources:\n")
		for _, s := range ans.Sources {
			b.WriteString(fmt.Sprintf("%d. %s\n", s.N, sourceLine(s)))
		}
	}
	if ans.Note != "" {
		b.WriteString("\nNote: " + ans.Note + "\n")
	}
	b.WriteString(fmt.Sprintf("\n(%s answer, as of %s)\n", modeName(ans.Mode), formatDate(ans.AsOf)))
	_, err := io.WriteString(w, printable(b.String()))
	return err
}

// lineGuard keeps log lines off a line of answer text: ask streams the
// answer to out while logs go to log, and both are usually one terminal.
type lineGuard struct {
	mu   sync.Mutex
	out  io.Writer // where the answer streams
	log  io.Writer // where log lines go
	open bool      // out's last line has no newline yet
}

// answer writes streamed answer text.
func (g *lineGuard) answer(s string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if s == "" {
		return
	}
	io.WriteString(g.out, s)
	g.open = !strings.HasSuffix(s, "\n")
}

// Write writes a log line, first ending an open line of the answer.
func (g *lineGuard) Write(p []byte) (int, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.open {
		io.WriteString(g.out, "\n")
		g.open = false
	}
	return g.log.Write(p)
}

// printable removes control characters (terminal escape sequences above all)
// that article text scraped from the web may carry, keeping newlines and tabs.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' || !unicode.IsControl(r) {
			return r
		}
		return -1
	}, s)
}

// sourceLine renders "title — outlet, date, URL", leaving out what is unknown.
func sourceLine(s retrieval.Source) string {
	title := s.Title
	if title == "" {
		title = s.ArticleID
	}
	var parts []string
	if s.Source != "" {
		parts = append(parts, textOutlet(retrieval.Outlet{Name: s.Source, Label: s.Label}))
	}
	if d := formatDate(s.Published); d != "" {
		parts = append(parts, d)
	}
	if s.URL != "" {
		parts = append(parts, s.URL)
	}
	line := title
	if len(parts) > 0 {
		line += " — " + strings.Join(parts, ", ")
	}
	if also := retrieval.AlsoLine(s.AlsoOutlets(), textOutlet); also != "" {
		line += "; " + also
	}
	return line
}

// textOutlet is an outlet with its label on one line of text output.
func textOutlet(o retrieval.Outlet) string {
	o.Name = strings.Join(strings.Fields(o.Name), " ")
	return o.String()
}

func modeName(m retrieval.Mode) string {
	switch m {
	case retrieval.ModeLLM:
		return "generated"
	case retrieval.ModeExtractive:
		return "extractive"
	case retrieval.ModeNone:
		return "no-sources"
	}
	return string(m)
}

// formatDate renders a date as YYYY-MM-DD, or "" when unknown.
func formatDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(corpus.DateLayout)
}
