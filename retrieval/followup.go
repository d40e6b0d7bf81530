package retrieval

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/attache-bot/attache/retrieval/answer"
	"github.com/attache-bot/attache/retrieval/llm"
)

// Follow-up rewriting bounds.
const (
	maxRewriteTokens = 80  // the rewritten query's length cap
	maxRewriteBytes  = 400 // longer model output is not a query
)

// standaloneQuery turns question into a search query that stands on its own,
// using the conversation's earlier turns. A question that names its own
// subject (needsContext is false) is searched as it is, whatever came
// before: "and what happened to Castillo?" is about Castillo, not about the
// previous answer. Only a question that leans on the conversation is
// rewritten: by the language model when one is configured (a short call
// with its own timeout), else, or when that fails or its query copies an
// earlier answer, by answer.FollowUpQuery. Without history the question is
// returned as it is.
func (e *Engine) standaloneQuery(ctx context.Context, question string, history []Turn) string {
	if len(history) == 0 || !answer.NeedsContext(question) {
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
	return answer.FollowUpQuery(question, answerTurns(history))
}

// rewrite asks the model for a standalone version of question, waiting at
// most timeout.
func rewrite(ctx context.Context, model *llm.Client, timeout time.Duration, question string, history []Turn) (string, error) {
	sys, user, err := answer.RewritePrompt(clipQuery(question), answerTurns(history))
	if err != nil {
		return "", err
	}
	out, err := model.Complete(ctx, sys, user, maxRewriteTokens, timeout)
	if err != nil {
		return "", err
	}
	q, ok := cleanRewrite(out)
	if !ok || answer.CopiesAnswer(q, answerTurns(history)) {
		return "", fmt.Errorf("%w: rewrite: %w", llm.ErrUnavailable, errBadRewrite)
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
		line = strings.Trim(answer.StripCitations(line), "\"'`“”‘’ ")
		if line == "" || len(line) > maxRewriteBytes || !hasWord(line) {
			return "", false
		}
		return line, true
	}
	return "", false
}
