package retrieval

import (
	"context"
	"strings"
	"unicode"
	"unicode/utf8"

	openai "github.com/sashabaranov/go-openai"
)

// Follow-up rewriting bounds.
const (
	maxHistoryTurns     = 4    // earlier turns given to the model
	maxHistoryQuestion  = 500  // bytes of each earlier question
	maxHistoryAnswer    = 1000 // bytes of each earlier answer
	maxRewriteTokens    = 80   // the rewritten query's length cap
	maxRewriteBytes     = 400  // longer model output is not a query
	maxFollowUpTerms    = 10   // terms the heuristic borrows from earlier turns
	maxAnswerEntityTerm = 4    // of which names from the last answer
)

// standaloneQuery turns question into a search query that stands on its own,
// using the conversation's earlier turns: by the language model when one is
// configured (a short call with its own timeout), else, or when that fails,
// by rewriteFollowUp. Without history the question is returned as it is.
func (e *Engine) standaloneQuery(ctx context.Context, question string, history []Turn) string {
	if len(history) == 0 {
		return question
	}
	if llm := e.cfg.LLM; llm != nil && !llm.cfg.NoRewrite {
		q, err := llm.rewrite(ctx, question, history)
		if err == nil {
			return q
		}
		if ctx.Err() == nil {
			e.cfg.Logger.Warn("follow-up rewrite by the language model failed; using the heuristic", "error", err)
		}
	}
	return rewriteFollowUp(question, history)
}

// rewrite asks the model for a standalone version of question.
func (l *LLM) rewrite(ctx context.Context, question string, history []Turn) (string, error) {
	data := rewriteData{Question: neutralize(clipQuery(question)), History: promptHistory(history)}
	sys, user, err := renderPrompt(rewriteTmpl, data)
	if err != nil {
		return "", err
	}
	out, err := l.complete(ctx, []openai.ChatCompletionMessage{
		{Role: openai.ChatMessageRoleSystem, Content: sys},
		{Role: openai.ChatMessageRoleUser, Content: user},
	}, maxRewriteTokens, l.cfg.RewriteTimeout)
	if err != nil {
		return "", err
	}
	q, ok := cleanRewrite(out)
	if !ok {
		return "", l.wrap("rewrite", errBadRewrite)
	}
	return q, nil
}

// cleanRewrite takes the first non-empty line of the model's reply, strips
// quotes and a "Query:" label, and rejects what cannot be a query (empty,
// no letters, too long).
func cleanRewrite(s string) (string, bool) {
	for line := range strings.SplitSeq(s, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		for _, label := range []string{"standalone query:", "search query:", "query:", "rewritten question:"} {
			if len(line) >= len(label) && strings.EqualFold(line[:len(label)], label) {
				line = strings.TrimSpace(line[len(label):])
			}
		}
		line = strings.Trim(stripCitations(line), "\"'`“”‘’ ")
		if line == "" || len(line) > maxRewriteBytes || !hasWord(line) {
			return "", false
		}
		return line, true
	}
	return "", false
}

// rewriteFollowUp is the heuristic follow-up rewrite used without a language
// model: when question looks like it leans on the conversation — it starts
// with a connective ("and …", "what about …", "but …"), uses a pronoun
// without naming anything, or has fewer than two content words — the key
// terms of the earlier questions (newest first) and the names in the last
// answer are put in front of it. Otherwise it is returned unchanged. Pure.
func rewriteFollowUp(question string, history []Turn) string {
	question = strings.TrimSpace(question)
	if len(history) == 0 || !needsContext(question) {
		return question
	}
	have := map[string]bool{}
	for _, w := range words(question) {
		have[strings.ToLower(w)] = true
	}
	var terms []string
	add := func(w string) bool {
		lw := strings.ToLower(w)
		if have[lw] || len(terms) >= maxFollowUpTerms {
			return false
		}
		have[lw] = true
		terms = append(terms, w)
		return true
	}
	// The most recent question first: it is what "they" most likely means.
	for i := len(history) - 1; i >= 0 && i >= len(history)-2; i-- {
		for _, w := range contentWords(history[i].Question) {
			add(w)
		}
	}
	// Names in the last answer ("Who leads the talks?" → "Kaja Kallas …"
	// → "What did she say?").
	names := 0
	last := stripCitations(history[len(history)-1].Answer)
	for _, w := range nameWords(last) {
		if names >= maxAnswerEntityTerm {
			break
		}
		if add(w) {
			names++
		}
	}
	if len(terms) == 0 {
		return question
	}
	return strings.Join(terms, " ") + " " + question
}

// connectives are openings that make a question lean on the previous one.
var connectives = []string{
	"and ", "and,", "but ", "also ", "so ", "then ", "or ", "what about", "how about", "what else",
	"anything else", "why not", "why?", "how so", "same for", "and?", "what then",
}

// pronouns that refer back to something named earlier.
var pronouns = termSet(`they them their theirs he him his she her hers it its this that these those
	there here such former latter`)

// needsContext reports whether question seems incomplete on its own.
func needsContext(question string) bool {
	q := strings.ToLower(strings.TrimSpace(question))
	for _, c := range connectives {
		if strings.HasPrefix(q, c) {
			return true
		}
	}
	content := contentWords(question)
	if len(content) < 2 {
		return true
	}
	hasPronoun := false
	for _, w := range words(question) {
		if pronouns[strings.ToLower(w)] {
			hasPronoun = true
			break
		}
	}
	return hasPronoun && len(nameWords(question)) == 0
}

// words splits text into words (letters, digits, inner apostrophes and
// hyphens).
func words(text string) []string {
	return strings.FieldsFunc(text, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '-' && r != '\''
	})
}

// contentWords returns the words of text that carry meaning: not stop words
// or question words, at least three letters or containing a digit.
func contentWords(text string) []string {
	var out []string
	for _, w := range words(text) {
		w = strings.Trim(w, "-'")
		lw := strings.ToLower(w)
		if lw == "" || followUpStopWords[lw] || pronouns[lw] {
			continue
		}
		if utf8.RuneCountInString(w) < 3 && !strings.ContainsFunc(w, unicode.IsDigit) {
			continue
		}
		out = append(out, w)
	}
	return out
}

// nameWords returns capitalised words that are not the first word of a
// sentence, and words with digits: the names, places and figures of text.
func nameWords(text string) []string {
	var out []string
	start := true
	for _, f := range strings.Fields(text) {
		w := strings.Trim(f, "\"'“”‘’()[],;:.!?")
		r, _ := utf8.DecodeRuneInString(w)
		isName := w != "" && !start && unicode.IsUpper(r) && !followUpStopWords[strings.ToLower(w)]
		if isName || (w != "" && strings.ContainsFunc(w, unicode.IsDigit)) {
			out = append(out, w)
		}
		start = strings.ContainsAny(f[len(f)-1:], ".!?")
	}
	return out
}

// followUpStopWords are function words and question words, which say
// nothing about the topic.
var followUpStopWords = termSet(`a an the and or but if then else so also too very just only even
	of to in on at by for from with about into over after before under between through during
	against among around without within upon than as
	is are was were be been being am do does did done doing have has had having will would shall
	should can could may might must need
	what which who whom whose when where why how whether
	i me my we us our you your it its not no yes any some all each every other another more most
	much many few less least own same such
	say said says tell told know think thing things anything something nothing
	latest news now today still again ever please`)

// termSet makes a set of the space-separated words of s.
func termSet(s string) map[string]bool {
	m := make(map[string]bool)
	for _, w := range strings.Fields(s) {
		m[w] = true
	}
	return m
}
