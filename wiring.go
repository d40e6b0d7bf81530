package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"unicode"

	"github.com/attache-bot/attache/corpus"
	"github.com/attache-bot/attache/redact"
	"github.com/attache-bot/attache/retrieval"
	"golang.org/x/term"
)

// newLogger builds the logger from LOG_LEVEL and LOG_FORMAT. Logs go to
// stderr so that stdout stays the command's output. Commands other than
// serve default to warnings only: their output is the answer or summary.
func newLogger(cfg config, w io.Writer, daemon bool) *slog.Logger {
	level := cfg.LogLevel
	if !cfg.LogLevelSet && !daemon {
		level = slog.LevelWarn
	}
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler = slog.NewTextHandler(w, opts)
	if cfg.LogFormat == "json" {
		h = slog.NewJSONHandler(w, opts)
	}
	// Every line passes through redaction: errors quote URLs (a webhook URL
	// holds an interaction token, a fetched URL may hold credentials) and
	// upstream servers may echo a key.
	return slog.New(redact.Handler(h, cfg.secrets()...))
}

// engineOptions says what a command needs from the engine.
type engineOptions struct {
	withLLM  bool // build the language model client when LLM_BASE_URL is set
	checkLLM bool // and check its key and model before answering
	daemon   bool // serve: info logs by default
}

// openEngine opens the data directory, seeds it with the sample corpus on
// first use, and builds the retrieval engine with the configured embedder
// and language model. The returned function closes everything it opened.
func openEngine(ctx context.Context, env *environment, opts engineOptions) (*retrieval.Engine, func(), error) {
	logger := newLogger(env.cfg, env.io.err, opts.daemon)
	var closers []func()
	closeAll := func() { closeReversed(closers) }
	rcfg, err := engineConfig(ctx, env.cfg, logger, opts, &closers)
	if err != nil {
		closeAll()
		return nil, nil, err
	}
	lib, err := openSeeded(ctx, env.cfg, logger, &closers, func() (retrieval.Config, error) { return rcfg, nil })
	if err != nil {
		closeAll()
		return nil, nil, err
	}
	engine, err := retrieval.New(ctx, lib, rcfg)
	if err != nil {
		closeAll()
		return nil, nil, err
	}
	return engine, closeAll, nil
}

// openLibrary opens the data directory without building an engine, for
// commands that only read or delete stored articles (list, remove): they
// work whatever embedder the directory was made with and make no API
// calls. Only a directory not yet seeded needs the embedder, to add the
// sample corpus. The returned function closes everything it opened.
func openLibrary(ctx context.Context, env *environment) (*corpus.Library, func(), error) {
	logger := newLogger(env.cfg, env.io.err, false)
	var closers []func()
	closeAll := func() { closeReversed(closers) }
	lib, err := openSeeded(ctx, env.cfg, logger, &closers, func() (retrieval.Config, error) {
		return engineConfig(ctx, env.cfg, logger, engineOptions{}, &closers)
	})
	if err != nil {
		closeAll()
		return nil, nil, err
	}
	return lib, closeAll, nil
}

// openSeeded opens the library in the data directory and adds the sample
// corpus when the directory is used for the first time; rcfg is called only
// then. The library's Close is added to closers.
func openSeeded(ctx context.Context, cfg config, logger *slog.Logger, closers *[]func(), rcfg func() (retrieval.Config, error)) (*corpus.Library, error) {
	lib, err := corpus.Open(ctx, cfg.DataDir)
	if err != nil {
		return nil, fmt.Errorf("data directory (ATTACHE_DATA_DIR): %w", err)
	}
	*closers = append(*closers, func() {
		if err := lib.Close(); err != nil {
			logger.Warn("closing the library", "err", err)
		}
	})
	marker := filepath.Join(cfg.DataDir, seededMarker)
	if _, err := os.Stat(marker); err == nil {
		return lib, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("adding the sample corpus: %w", err)
	}
	c, err := rcfg()
	if err != nil {
		return nil, err
	}
	if err := seedSample(ctx, lib, c, marker); err != nil {
		return nil, fmt.Errorf("adding the sample corpus: %w", err)
	}
	return lib, nil
}

// closeReversed calls closers last first.
func closeReversed(closers []func()) {
	for i := len(closers) - 1; i >= 0; i-- {
		closers[i]()
	}
}

// engineConfig builds the retrieval configuration: the embeddings API client
// when EMBED_PROVIDER=openai (nil = the built-in local embedder), and the
// language model when LLM_BASE_URL is set and opts ask for it. Clients it
// makes are added to closers.
func engineConfig(ctx context.Context, cfg config, logger *slog.Logger, opts engineOptions, closers *[]func()) (retrieval.Config, error) {
	rcfg := retrieval.Config{MaxBodyBytes: cfg.MaxArticleBytes, Logger: logger}
	if cfg.EmbedProvider == "openai" {
		emb, err := newOpenAIEmbedder(ctx, cfg, logger)
		if err != nil {
			return rcfg, err
		}
		*closers = append(*closers, emb.Close)
		rcfg.Embedder = emb
	}
	if opts.withLLM && cfg.LLMBaseURL != "" {
		llm, err := newLLM(ctx, cfg, logger, opts.checkLLM)
		if err != nil {
			return rcfg, err
		}
		*closers = append(*closers, llm.Close)
		rcfg.LLM = llm
	}
	return rcfg, nil
}

// seededMarker is the file, in the data directory, that records that the
// sample corpus was added once; after that the sample articles are ordinary
// articles, and removing them is final.
const seededMarker = "sample-seeded"

// seedSample adds the bundled sample corpus to a data directory used for the
// first time, then writes marker. "First time" means no marker yet (the
// caller checks) and nothing in the library but (possibly some of) the
// sample articles, so that a run killed half-way through seeding finishes
// it next time, and a library that already holds other articles is left
// alone. The sample is added by an engine of its own with the default body
// limit: ATTACHE_MAX_ARTICLE_BYTES limits what users ingest, not the
// bundled articles.
func seedSample(ctx context.Context, lib *corpus.Library, rcfg retrieval.Config, marker string) error {
	sample := corpus.Sample()
	sampleIDs := make(map[string]bool, len(sample))
	for _, a := range sample {
		a.Normalize()
		sampleIDs[corpus.ID(a)] = true
	}
	stored, err := lib.List(ctx)
	if err != nil {
		return err
	}
	onlySample := true
	for _, s := range stored {
		if !sampleIDs[s.ID] {
			onlySample = false
			break
		}
	}
	if onlySample {
		rcfg.MaxBodyBytes = 0
		seeder, err := retrieval.New(ctx, lib, rcfg)
		if err != nil {
			return err
		}
		for _, a := range sample {
			if _, _, err := seeder.Add(ctx, a); err != nil {
				return err
			}
		}
	}
	return writeFileSync(marker, []byte("The bundled sample corpus was added to this data directory.\n"+
		"Delete this file to have it added again the next time the directory is empty.\n"))
}

// writeFileSync writes a small file durably: a temporary file, fsync, then
// an atomic rename.
func writeFileSync(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// validScope checks a -guild value: the shared scope or a guild id. Guild
// ids from Discord are digits; anything printable without spaces is
// accepted so that scripts can use readable names.
func validScope(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return corpus.SharedScope, nil
	}
	if len(s) > 64 || strings.ContainsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) }) {
		return "", usagef("-guild must be a guild id (digits, at most 64 characters)")
	}
	return s, nil
}

// version is the module version the binary was built from, when known.
func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "(development build)"
}
