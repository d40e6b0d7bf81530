package retrieval

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/attache-bot/attache/corpus/lang"
	"github.com/attache-bot/attache/retrieval/answer"
	"github.com/attache-bot/attache/retrieval/llm"
)

// Follow-up rewriting bounds.
const (
	maxRewriteTokens = 80  // the rewritten query's length cap
	maxRewriteBytes  = 400 // longer model output is not a query
	maxFollowUpTerms = 10  // terms the heuristic borrows from earlier questions
)

// standaloneQuery turns question into a search query that stands on its own,
// using the conversation's earlier turns. A question that names its own
// subject (needsContext is false) is searched as it is, whatever came
// before: "and what happened to Castillo?" is about Castillo, not about the
// previous answer. Only a question that leans on the conversation is
// rewritten: by the language model when one is configured (a short call
// with its own timeout), else, or when that fails or its query copies an
// earlier answer, by rewriteFollowUp. Without history the question is
// returned as it is.
func (e *Engine) standaloneQuery(ctx context.Context, question string, history []Turn) string {
	if len(history) == 0 || !needsContext(question) {
		return question
	}
	if model := e.cfg.LLM; model != nil && !e.cfg.NoRewrite {
		q, err := rewrite(ctx, model, e.cfg.RewriteTimeout, question, history)
		if err == nil {
			return q
		}
		if ctx.Err() == nil {
			e.cfg.Logger.Warn("follow-up rewrite by the language model failed; using the heuristic", "error", err)
		}
	}
	return rewriteFollowUp(question, history)
}

// rewrite asks the model for a standalone version of question, waiting at
// most timeout.
func rewrite(ctx context.Context, model *llm.Client, timeout time.Duration, question string, history []Turn) (string, error) {
	sys, user, err := answer.RewritePrompt(clipQuery(question), promptTurns(history))
	if err != nil {
		return "", err
	}
	out, err := model.Complete(ctx, sys, user, maxRewriteTokens, timeout)
	if err != nil {
		return "", err
	}
	q, ok := cleanRewrite(out)
	if !ok || copiesAnswer(q, history) {
		return "", fmt.Errorf("%w: rewrite: %w", llm.ErrUnavailable, errBadRewrite)
	}
	return q, nil
}

// copiedAnswerWords is the run of an earlier answer's words that makes a
// rewritten query a copy of that answer rather than a question about it.
const copiedAnswerWords = 6

// copiesAnswer reports whether query repeats a run of copiedAnswerWords
// consecutive words of one of history's answers that the user's own
// questions do not contain: a query made of the previous answer's text
// finds that answer's sources again, whatever was asked.
func copiesAnswer(query string, history []Turn) bool {
	runs := func(text string) map[string]bool {
		ws := followUpWords(strings.ToLower(answer.StripCitations(text)))
		m := map[string]bool{}
		for i := 0; i+copiedAnswerWords <= len(ws); i++ {
			m[strings.Join(ws[i:i+copiedAnswerWords], " ")] = true
		}
		return m
	}
	asked := map[string]bool{}
	for _, t := range history {
		for r := range runs(t.Question) {
			asked[r] = true
		}
	}
	q := runs(query)
	for _, t := range history {
		for r := range runs(t.Answer) {
			if q[r] && !asked[r] {
				return true
			}
		}
	}
	return false
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
		line = strings.Trim(answer.StripCitations(line), "\"'`“”‘’ ")
		if line == "" || len(line) > maxRewriteBytes || !hasWord(line) {
			return "", false
		}
		return line, true
	}
	return "", false
}

// rewriteFollowUp is the heuristic follow-up rewrite used without a language
// model: when question leans on the conversation (needsContext), the key
// terms of the earlier questions (newest first) are put in front of it.
// The earlier answers are never used: their words would steer the search
// back to the sources already cited, and the user's questions are what name
// the subject. Otherwise question is returned unchanged. Pure.
func rewriteFollowUp(question string, history []Turn) string {
	question = strings.TrimSpace(question)
	if len(history) == 0 || !needsContext(question) {
		return question
	}
	have := map[string]bool{}
	for _, w := range followUpWords(question) {
		have[strings.ToLower(w)] = true
	}
	var terms []string
	// The most recent question first: it is what "they" most likely means.
	for i := len(history) - 1; i >= 0 && i >= len(history)-2; i-- {
		for _, w := range contentWords(history[i].Question) {
			if lw := strings.ToLower(w); !have[lw] && len(terms) < maxFollowUpTerms {
				have[lw] = true
				terms = append(terms, w)
			}
		}
	}
	if len(terms) == 0 {
		return question
	}
	return strings.Join(terms, " ") + " " + question
}

// pronouns that refer back to something named earlier.
var pronouns = termSet(`they them their theirs he him his she her hers it its this that these those
	there here such former latter`)

// needsContext reports whether question leans on the conversation for its
// subject: it names nothing (no content word: "and why?", "what else?"),
// or it refers back with a pronoun and names no name ("What did she
// demand?", "what happened to that deal?"). A question that names its own
// subject, even after a connective ("and what happened to Castillo?",
// "what about bread?"), stands alone.
func needsContext(question string) bool {
	if len(contentWords(question)) == 0 {
		return true
	}
	if len(nameWords(question)) > 0 {
		return false
	}
	for _, w := range followUpWords(question) {
		if pronouns[strings.ToLower(w)] {
			return true
		}
	}
	return false
}

// followUpWords splits text into words (letters, digits, inner apostrophes
// and hyphens).
func followUpWords(text string) []string { return lang.Fields(text, "-'") }

// contentWords returns the words of text that carry meaning: not stop words
// or question words, at least three letters or containing a digit.
func contentWords(text string) []string {
	var out []string
	for _, w := range followUpWords(text) {
		w = strings.Trim(w, "-'")
		lw := strings.ToLower(w)
		if lw == "" || followUpStopWords.Has(lw) || pronouns[lw] {
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
		isName := w != "" && !start && unicode.IsUpper(r) && !followUpStopWords.Has(strings.ToLower(w))
		if isName || (w != "" && strings.ContainsFunc(w, unicode.IsDigit)) {
			out = append(out, w)
		}
		start = strings.ContainsAny(f[len(f)-1:], ".!?")
	}
	return out
}

// followUpStopWords are function words and question words, which say
// nothing about the topic.
var followUpStopWords = lang.Stop.With(`else even among around without within upon done shall may might must need whether us yes every
	another much many less least told think thing things anything something nothing latest news
	today still ever`)

// termSet makes a set of the space-separated words of s.
func termSet(s string) map[string]bool {
	m := make(map[string]bool)
	for _, w := range strings.Fields(s) {
		m[w] = true
	}
	return m
}
