package main

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/attache-bot/attache/bot"
	"github.com/attache-bot/attache/corpus"
	"github.com/attache-bot/attache/corpus/feed"
	"github.com/attache-bot/attache/retrieval"
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
	defer startFeedPolls(ctx, env, engine, lib, logger)()
	defer startRetention(ctx, env.cfg.RetentionDays, engine, lib, logger)()
	defer startStoryBackfill(ctx, engine, logger)()

	fetcher := corpus.NewFetcher(corpus.FetchOptions{AllowPrivate: cfg.AllowPrivateURLs})
	feeds, _ := feedClient(env)
	b, err := bot.New(logger, bot.Config{
		Token:         cfg.DiscordToken,
		APIBase:       cfg.DiscordAPIBase,
		GuildID:       cfg.DiscordGuildID,
		ModeratorRole: cfg.ModeratorRole,
		RatePerMinute: cfg.RateLimit,
		MaxConcurrent: cfg.MaxConcurrent,
		ShardID:       cfg.ShardID,
		ShardCount:    cfg.ShardCount,
	}, bot.Deps{
		Answerer: engine,
		Articles: engine,
		Catalog:  lib,
		Answers:  lib,
		Fetcher:  fetcher,
		Feeds:    bot.LibraryFeeds(lib, feeds, cfg.MaxFeeds),
		Outlets:  lib,
		Reports:  lib,
		Digests:  lib,
		// Timelines, "what's new" and the places for autocomplete come
		// from the engine.
		Chronicler: engine,
		Places:     engine,
		// Each shard holds its servers' articles (all of them with one).
		Holder: engine,
	})
	if err != nil {
		return redactedf(cfg, "discord bot: %w", err)
	}
	if err := b.Run(ctx); err != nil {
		return redactedf(cfg, "discord bot: %w", err)
	}
	return nil
}

// startFeedPolls polls the library's feeds on their schedule
// (ATTACHE_FEED_INTERVAL) until serve stops, and returns the function that
// stops the polls and waits for the ones in flight (an interrupted poll is
// repeated in full next time). Each poll holds the feed's lock, so that
// several serve processes sharing the library poll each feed once.
func startFeedPolls(ctx context.Context, env *environment, engine *retrieval.Engine, lib corpus.Backend, logger *slog.Logger) func() {
	client, pages := feedClient(env)
	s := &feed.Scheduler{
		Syncer:   &feed.Syncer{Library: lib, Client: client, Pages: pages, Add: ingestOne(engine), Logger: logger},
		Interval: env.cfg.FeedInterval,
		Polls:    func(f corpus.Feed) bool { return engine.Holds(f.Scope) },
		Logger:   logger,
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		s.Run(ctx)
	}()
	return func() {
		cancel()
		wg.Wait()
	}
}

// retentionEvery is how often serve removes the articles past their
// retention window: windows are counted in days, so an hour is prompt
// enough, and the pass is one indexed query when nothing expired.
const retentionEvery = time.Hour

// startRetention removes the articles past their retention window
// (globalDays, and each feed's own) at once and then every retentionEvery,
// through the engine as remove does, until serve stops; it returns the
// function that stops it and waits for a pass in flight.
func startRetention(ctx context.Context, globalDays int, engine *retrieval.Engine, lib corpus.Backend, logger *slog.Logger) func() {
	return startPeriodic(ctx, retentionEvery, func(ctx context.Context) {
		retentionPass(ctx, globalDays, engine, lib, logger, time.Now())
	})
}

// startPeriodic runs pass in the background at once and then every
// period until ctx ends, and returns the function that stops it and
// waits for a pass in flight (pass is given a context that ends then).
func startPeriodic(ctx context.Context, period time.Duration, pass func(context.Context)) func() {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(period)
		defer t.Stop()
		for {
			pass(ctx)
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return func() {
		cancel()
		<-done
	}
}

// retentionLock is the lock a retention pass runs under: with several
// serve processes (shards) on one library, one of them removes the
// expired articles and the others skip the pass.
const retentionLock = "retention"

// retentionPass removes the articles past their retention window at now,
// unless another process holds the retention lock (it is doing the same),
// and returns how many it removed.
func retentionPass(ctx context.Context, globalDays int, engine *retrieval.Engine, lib corpus.Backend, logger *slog.Logger, now time.Time) int {
	held, unlock, err := lib.TryLock(ctx, retentionLock)
	if err != nil {
		if !errors.Is(err, corpus.ErrLocked) && ctx.Err() == nil {
			logger.Warn("retention", "err", err)
		} else {
			logger.Debug("retention pass left to the process holding its lock")
		}
		return 0
	}
	defer unlock()
	n, err := lib.ApplyRetention(held, "", now, globalDays, engine.Remove)
	switch {
	case err != nil && held.Err() == nil:
		logger.Warn("retention", "err", err, "removed", n)
	case n > 0:
		logger.Info("retention removed articles past their window", "removed", n)
	}
	return n
}

// storyBackfillEvery is how often serve looks again for stored articles
// without a story: a shard holds a server's articles only once the
// gateway gives it the server, after start, and a shard that found the
// lock held left its own servers' articles to a later pass. A pass with
// nothing to do is one walk over the index.
const storyBackfillEvery = time.Hour

// startStoryBackfill assigns, in the background, a story to every stored
// article without one that the engine holds (stored by a release that
// assigned none; see Engine.BackfillStories), at once and then every
// storyBackfillEvery, and returns the function that stops it and waits
// for a pass in flight: stopped mid-way, the articles assigned so far
// keep their story and the next pass assigns the rest. Another serve on
// the library doing the same holds its lock: this one then skips the
// pass.
func startStoryBackfill(ctx context.Context, engine *retrieval.Engine, logger *slog.Logger) func() {
	return startPeriodic(ctx, storyBackfillEvery, func(ctx context.Context) {
		storyBackfill(ctx, engine, logger)
	})
}

// storyBackfill runs Engine.BackfillStories once, logs what it did and
// returns how many articles it assigned: serve runs it at start, ingest
// after storing its articles.
func storyBackfill(ctx context.Context, engine *retrieval.Engine, logger *slog.Logger) int {
	start := time.Now()
	n, err := engine.BackfillStories(ctx)
	took := time.Since(start).Round(time.Millisecond)
	switch {
	case errors.Is(err, corpus.ErrLocked):
		logger.Debug("story backfill left to the process holding its lock")
	case err != nil && ctx.Err() != nil:
		logger.Info("story backfill stopped; the next pass assigns the rest", "assigned", n, "took", took)
	case err != nil:
		logger.Warn("story backfill", "err", err, "assigned", n, "took", took)
	case n > 0:
		logger.Info("stories assigned to articles stored without one", "assigned", n, "took", took)
	default:
		logger.Debug("story backfill: every article has a story", "took", took)
	}
	return n
}
