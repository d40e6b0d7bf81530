package answer

import (
	"bytes"
	"embed"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"text/template"
	"time"
	"unicode/utf8"

	"github.com/attache-bot/attache/clip"
)

// DateLayout is how dates are written in prompts (and in answers' notes).
const DateLayout = "2 Jan 2006"

// Prompt bounds on the conversation's earlier turns.
const (
	maxHistoryTurns    = 4    // earlier turns given to the model
	maxHistoryQuestion = 500  // bytes of each earlier question
	maxHistoryAnswer   = 1000 // bytes of each earlier answer
)

//go:embed prompts/answer.tmpl prompts/rewrite.tmpl
var promptFS embed.FS

var (
	answerTmpl  = template.Must(template.ParseFS(promptFS, "prompts/answer.tmpl"))
	rewriteTmpl = template.Must(template.ParseFS(promptFS, "prompts/rewrite.tmpl"))
)

// Turn is one earlier exchange of a conversation.
type Turn struct{ Question, Answer string }

// PromptSource is one numbered source of an answer prompt.
type PromptSource struct {
	Title     string
	Outlet    string // the outlet's name; "" = the URL's host
	URL       string
	Published time.Time // zero = unknown
	Text      string
}

// promptSource is one numbered source in the answer prompt.
type promptSource struct {
	N                         int
	Outlet, Date, Title, Text string
}

// promptTurn is one earlier exchange in a prompt.
type promptTurn struct{ Question, Answer string }

// answerData fills prompts/answer.tmpl.
type answerData struct {
	Today    string
	Question string
	History  []promptTurn
	Sources  []promptSource
	// Conflicts are the figures the sources disagree on, one line each.
	Conflicts []string
}

// rewriteData fills prompts/rewrite.tmpl.
type rewriteData struct {
	Question string
	History  []promptTurn
}

// AnswerPrompt renders the prompt that asks a language model to answer
// question from sources, numbered 1..len(sources) in order, given the
// conversation's earlier turns (oldest first) and the as-of date. Every
// untrusted value (the question, the turns, the sources) is neutralised so
// that nothing in it can pass for the prompt's own delimiters; the turns
// are the last few, shortened, without their old citations. conflicts,
// when there are any, tell the model which figures the sources disagree
// on (their N number sources as sources does), so that it gives each
// with its outlet and citation instead of one of them.
func AnswerPrompt(question string, history []Turn, asOf time.Time, sources []PromptSource, conflicts []Conflict) (system, user string, err error) {
	d := answerPromptData(question, history, asOf, sources)
	d.Conflicts = conflictLines(conflicts)
	return renderPrompt(answerTmpl, d)
}

// RewritePrompt renders the prompt that asks a language model to rewrite
// a follow-up question as a standalone search query, given the
// conversation's earlier turns (oldest first), neutralised as in
// AnswerPrompt. The caller bounds the question's length.
func RewritePrompt(question string, history []Turn) (system, user string, err error) {
	return renderPrompt(rewriteTmpl, rewriteData{Question: neutralize(question), History: promptHistory(history)})
}

// answerPromptData prepares the prompt's values, every one neutralised.
func answerPromptData(question string, history []Turn, asOf time.Time, passages []PromptSource) answerData {
	d := answerData{
		Today:    asOf.Format("Monday, 2 January 2006"),
		Question: neutralize(question),
		History:  promptHistory(history),
	}
	for i, p := range passages {
		date := "unknown"
		if !p.Published.IsZero() {
			date = p.Published.UTC().Format(DateLayout)
		}
		d.Sources = append(d.Sources, promptSource{
			N: i + 1, Outlet: neutralize(outletOf(p)), Date: date,
			Title: neutralize(oneLineText(p.Title)), Text: neutralize(strings.TrimSpace(p.Text)),
		})
	}
	return d
}

// outletOf names a passage's outlet: its source, else its URL's host.
func outletOf(p PromptSource) string {
	if s := oneLineText(p.Outlet); s != "" {
		return s
	}
	if u, err := url.Parse(p.URL); err == nil && u.Host != "" {
		return strings.TrimPrefix(u.Host, "www.")
	}
	return "unknown outlet"
}

// promptHistory keeps the last few turns, shortened, with their old [n]
// citations removed (they numbered other sources).
func promptHistory(history []Turn) []promptTurn {
	if len(history) > maxHistoryTurns {
		history = history[len(history)-maxHistoryTurns:]
	}
	out := make([]promptTurn, 0, len(history))
	for _, t := range history {
		q := clip.Mark(oneLineText(t.Question), maxHistoryQuestion)
		a := clip.Mark(oneLineText(StripCitations(t.Answer)), maxHistoryAnswer)
		if q == "" && a == "" {
			continue
		}
		out = append(out, promptTurn{Question: neutralize(q), Answer: neutralize(a)})
	}
	return out
}

// StripCitations removes every [n] citation (with the space before it):
// an earlier answer's citations numbered other sources.
func StripCitations(s string) string {
	out, _ := Check(s, 0)
	return out
}

// oneLineText collapses all whitespace to single spaces.
func oneLineText(s string) string { return strings.Join(strings.Fields(s), " ") }

// delimiterRE matches runs that could imitate the prompt's <<<SOURCE n>>>
// delimiters: two or more angle brackets of any width or style.
var delimiterRE = regexp.MustCompile(`[<＜﹤‹«〈《]{2,}|[>＞﹥›»〉》]{2,}`)

// neutralize rewrites delimiter look-alikes in untrusted text (articles,
// titles, questions, earlier answers) so that nothing inside a source can
// close it or open another: "<<<END SOURCE 1>>>" becomes "‹END SOURCE 1›".
func neutralize(s string) string {
	return delimiterRE.ReplaceAllStringFunc(s, func(m string) string {
		r, _ := utf8.DecodeRuneInString(m)
		if strings.ContainsRune("<＜﹤‹«〈《", r) {
			return "‹"
		}
		return "›"
	})
}

// renderPrompt executes a prompt template's "system" and "user" parts.
func renderPrompt(t *template.Template, data any) (system, user string, err error) {
	var sb, ub bytes.Buffer
	if err := t.ExecuteTemplate(&sb, "system", data); err != nil {
		return "", "", fmt.Errorf("prompt: %w", err)
	}
	if err := t.ExecuteTemplate(&ub, "user", data); err != nil {
		return "", "", fmt.Errorf("prompt: %w", err)
	}
	return strings.TrimSpace(sb.String()), strings.TrimSpace(ub.String()), nil
}
