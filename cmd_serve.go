package main

import (
	"context"

	"github.com/attache-bot/attache/bot"
	"github.com/attache-bot/attache/corpus"
)

// runServe runs the Discord bot until SIGINT or SIGTERM, then shuts it down
// gracefully (every open interaction gets a final message) and exits 0, also
// when the signal comes during start-up. A missing DISCORD_TOKEN is a
// configuration error (exit 2).
func runServe(ctx context.Context, env *environment, args []string) error {
	fs := newFlagSet(env, "serve")
	positional, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(positional) > 0 {
		return usagef("serve: unexpected argument %q", positional[0])
	}
	cfg := env.cfg
	if cfg.DiscordToken == "" {
		return usagef("serve: DISCORD_TOKEN is not set (the bot token from the Discord developer portal; see README.md)")
	}
	engine, lib, closeEngine, err := openEngine(ctx, env, engineOptions{withLLM: true, checkLLM: true, daemon: true, seed: true})
	if err != nil {
		if ctx.Err() != nil {
			// SIGTERM during start-up (a long language model check, say):
			// serve stopped as asked, and exits 0 like after any SIGTERM.
			return nil
		}
		return err
	}
	defer closeEngine()
	logger := newLogger(cfg, env.io.err, true)
	// What the command line (or another serve) ingests or removes reaches
	// this process's index within a second; stopped before the library
	// closes.
	defer followLibrary(ctx, engine, logger)()

	b, err := bot.New(logger, bot.Config{
		Token:         cfg.DiscordToken,
		APIBase:       cfg.DiscordAPIBase,
		GuildID:       cfg.DiscordGuildID,
		ModeratorRole: cfg.ModeratorRole,
		RatePerMinute: cfg.RateLimit,
		MaxConcurrent: cfg.MaxConcurrent,
	}, bot.Deps{
		Answerer: engine,
		Articles: engine,
		Catalog:  lib,
		Answers:  lib,
		Fetcher:  corpus.NewFetcher(corpus.FetchOptions{AllowPrivate: cfg.AllowPrivateURLs}),
	})
	if err != nil {
		return redactedf(cfg, "discord bot: %w", err)
	}
	if err := b.Run(ctx); err != nil {
		return redactedf(cfg, "discord bot: %w", err)
	}
	return nil
}
