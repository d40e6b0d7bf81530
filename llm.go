package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/attache-bot/attache/redact"
	"github.com/attache-bot/attache/retrieval/llm"
)

// llmCheckTimeout bounds the start-up check of the language model.
const llmCheckTimeout = 20 * time.Second

// newLLM builds the language model client from LLM_*; with check, it asks
// the server once so that a bad key or an unknown model is one clear line
// at start-up rather than a failure at the first question.
func newLLM(ctx context.Context, cfg config, logger *slog.Logger, check bool) (*llm.Client, error) {
	model, err := llm.New(llm.Config{
		BaseURL:    cfg.LLMBaseURL,
		APIKey:     cfg.LLMAPIKey,
		Model:      cfg.LLMModel,
		Timeout:    cfg.LLMTimeout,
		MaxRetries: cfg.LLMMaxRetries,
		Logger:     logger,
	})
	if err != nil {
		return nil, redactedf(cfg, "LLM_BASE_URL: %w", err)
	}
	if check {
		cctx, cancel := context.WithTimeout(ctx, llmCheckTimeout)
		defer cancel()
		if err := model.Check(cctx); err != nil {
			model.Close()
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, redactedf(cfg, "language model check failed (LLM_BASE_URL, LLM_API_KEY, LLM_MODEL=%s): %w", model.Model(), err)
		}
	}
	return model, nil
}

// newOpenAIEmbedder builds the embeddings API client from EMBED_*.
// It makes one small request to learn the vector length, so a bad key or
// model fails here, in one line.
func newOpenAIEmbedder(ctx context.Context, cfg config, logger *slog.Logger) (*llm.Embedder, error) {
	emb, err := llm.NewEmbedder(ctx, llm.EmbedderConfig{
		BaseURL:    cfg.EmbedBaseURL,
		APIKey:     cfg.EmbedAPIKey,
		Model:      cfg.EmbedModel,
		Dimensions: cfg.EmbedDimensions,
		BatchSize:  cfg.EmbedBatchSize,
		Parallel:   cfg.EmbedParallel,
		Timeout:    cfg.LLMTimeout,
		MaxRetries: cfg.LLMMaxRetries,
		Logger:     logger,
	})
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		model := cfg.EmbedModel
		if model == "" {
			model = llm.DefaultEmbedModel
		}
		return nil, redactedf(cfg, "embeddings API check failed (EMBED_BASE_URL, EMBED_API_KEY, EMBED_MODEL=%s): %w", model, err)
	}
	return emb, nil
}

// redactedf formats an error and removes every configured secret from its
// text (upstream servers sometimes echo the key they were sent), with the
// credentials, query strings and Discord tokens of any URL in it.
func redactedf(cfg config, format string, args ...any) error {
	err := fmt.Errorf(format, args...)
	msg := redact.Text(err.Error(), cfg.secrets()...)
	if msg == err.Error() {
		return err
	}
	return errors.New(msg)
}

// secrets are the configured values that must never appear in a log line or
// an error message.
func (c config) secrets() []string {
	return []string{c.LLMAPIKey, c.EmbedAPIKey, c.DiscordToken, databasePassword(c.DatabaseURL)}
}

// databasePassword is the password in a database URL ("" when none).
func databasePassword(dbURL string) string {
	u, err := url.Parse(dbURL)
	if err != nil || u.User == nil {
		return ""
	}
	p, _ := u.User.Password()
	return p
}
