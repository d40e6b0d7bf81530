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
	"github.com/attache-bot/attache/corpus/feed"
	"github.com/attache-bot/attache/corpus/postgres"
	"github.com/attache-bot/attache/redact"
	"github.com/attache-bot/attache/retrieval"
	"github.com/attache-bot/attache/retrieval/llm"
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
	// llmDown, when not nil, makes an unreachable language model (no
	// connection, a timeout, a 5xx at the start-up check) no error: the
	// engine is built without it and *llmDown is set, so that the answer
	// is the extractive one with a note, as when the model fails while
	// answering. A rejected key or an unknown model is still an error.
	llmDown *bool
	// seed adds the bundled sample corpus to a data directory used for the
	// first time (ask and serve). Ingest never seeds: its articles are the
	// corpus, and a fictional sample among them would answer questions.
	seed bool
}

// openEngine opens the library (the data directory, or the PostgreSQL
// database of ATTACHE_DATABASE_URL), seeds it with the sample corpus on
// first use when opts ask for it, and builds the retrieval engine with the
// configured embedder and language model. It returns the library too, for
// the parts of serve that read it directly (the article list, stored
// answers). The returned function closes everything it opened.
func openEngine(ctx context.Context, env *environment, opts engineOptions) (*retrieval.Engine, corpus.Backend, func(), error) {
	logger := newLogger(env.cfg, env.io.err, opts.daemon)
	var closers []func()
	closeAll := func() { closeReversed(closers) }
	rcfg, err := engineConfig(ctx, env.cfg, logger, opts, &closers)
	if err != nil {
		closeAll()
		return nil, nil, nil, err
	}
	lib, err := openLib(ctx, env, logger, &closers)
	if err != nil {
		closeAll()
		return nil, nil, nil, err
	}
	if opts.seed {
		if err := seedOnFirstUse(ctx, env, lib, rcfg); err != nil {
			closeAll()
			return nil, nil, nil, err
		}
	}
	engine, err := retrieval.New(ctx, lib, rcfg)
	if err != nil {
		closeAll()
		return nil, nil, nil, err
	}
	return engine, lib, closeAll, nil
}

// followLibrary keeps engine's index in step with what other processes
// write to its library (retrieval.Engine.Follow) until ctx is done or the
// returned function is called; that function returns once following has
// stopped, so it must run before the library is closed.
func followLibrary(ctx context.Context, engine *retrieval.Engine, logger *slog.Logger) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := engine.Follow(ctx, retrieval.FollowOptions{}); err != nil {
			logger.Error("not following other processes' changes to the library", "err", err)
		}
	}()
	return func() {
		cancel()
		<-done
	}
}

// openLibrary opens the library without building an engine, for commands
// that only read or delete stored articles (list, remove): they work
// whatever embedder the library was made with, make no API calls and
// never seed. The returned function closes everything it opened.
func openLibrary(ctx context.Context, env *environment) (corpus.Backend, func(), error) {
	logger := newLogger(env.cfg, env.io.err, false)
	var closers []func()
	closeAll := func() { closeReversed(closers) }
	lib, err := openLib(ctx, env, logger, &closers)
	if err != nil {
		closeAll()
		return nil, nil, err
	}
	return lib, closeAll, nil
}

// openLib opens the library and adds its Close to closers: the
// PostgreSQL library when ATTACHE_DATABASE_URL is set, else the SQLite one
// in the data directory. An empty (zero-byte) database file is opened as a
// new library, as SQLite does, but with a warning: it may be what is left
// of a library lost to a full disk or a bad copy, and nobody should find
// out only from an empty list.
func openLib(ctx context.Context, env *environment, logger *slog.Logger, closers *[]func()) (corpus.Backend, error) {
	var lib corpus.Backend
	if dbURL := env.cfg.DatabaseURL; dbURL != "" {
		pg, err := postgres.Open(ctx, dbURL)
		if err != nil {
			return nil, redactedf(env.cfg, "database (ATTACHE_DATABASE_URL): %w", err)
		}
		lib = pg
	} else {
		dir := env.cfg.DataDir
		if fi, err := os.Stat(filepath.Join(dir, corpus.DBFile)); err == nil && fi.Mode().IsRegular() && fi.Size() == 0 {
			fmt.Fprintf(env.io.err, "attache: warning: %s is empty (0 bytes); starting a new library in it\n",
				filepath.Join(dir, corpus.DBFile))
		}
		sqlite, err := corpus.Open(ctx, dir)
		if err != nil {
			return nil, fmt.Errorf("data directory (ATTACHE_DATA_DIR): %w", err)
		}
		lib = sqlite
	}
	*closers = append(*closers, func() {
		if err := lib.Close(); err != nil {
			logger.Warn("closing the library", "err", err)
		}
	})
	return lib, nil
}

// firstUse records that a library was seeded with the sample corpus or
// used by ingest first, so that it is seeded at most once: a marker file
// in the data directory (SQLite, one process), or a row in the database
// (PostgreSQL), written under a lock so that two processes starting at
// once against a new database seed it once.
type firstUse interface {
	// seedOnce runs seed unless the library is marked, then marks it.
	seedOnce(ctx context.Context, seed func(ctx context.Context) error) error
	// markUsed marks the library without seeding it.
	markUsed(ctx context.Context) error
	// where names the library in messages.
	where() string
}

// firstUseOf returns the first-use record of lib, opened from env.
func firstUseOf(env *environment, lib corpus.Backend) firstUse {
	if pg, ok := lib.(*postgres.Library); ok {
		return dbMarker{pg}
	}
	return dirMarker(env.cfg.DataDir)
}

// dirMarker is the marker file in a data directory.
type dirMarker string

func (d dirMarker) where() string { return "the data directory " + string(d) }

func (d dirMarker) seedOnce(ctx context.Context, seed func(ctx context.Context) error) error {
	marker := filepath.Join(string(d), seededMarker)
	if _, err := os.Stat(marker); err == nil {
		return nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if err := seed(ctx); err != nil {
		return err
	}
	return writeFileSync(marker, []byte("The bundled sample corpus was added to this data directory.\n"+
		"Delete this file to have it added again the next time the directory is empty.\n"))
}

func (d dirMarker) markUsed(context.Context) error {
	marker := filepath.Join(string(d), seededMarker)
	if _, err := os.Stat(marker); err == nil || !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return writeFileSync(marker, []byte("This data directory was used by attache ingest first: it is not seeded with the sample corpus.\n"))
}

// dbMarker is the record in a PostgreSQL library's meta table.
type dbMarker struct{ lib *postgres.Library }

func (d dbMarker) where() string { return "the database (schema " + d.lib.Schema() + ")" }

func (d dbMarker) seedOnce(ctx context.Context, seed func(ctx context.Context) error) error {
	_, err := d.lib.Once(ctx, seededMarker, "the bundled sample corpus was added", seed)
	return err
}

func (d dbMarker) markUsed(ctx context.Context) error {
	return d.lib.MarkDone(ctx, seededMarker, "used by attache ingest first: not seeded with the sample corpus")
}

// seedOnFirstUse adds the sample corpus when the library is used for the
// first time (not marked yet), and says so in one line on stderr.
func seedOnFirstUse(ctx context.Context, env *environment, lib corpus.Backend, rcfg retrieval.Config) error {
	first := firstUseOf(env, lib)
	added := 0
	err := first.seedOnce(ctx, func(ctx context.Context) error {
		var err error
		added, err = seedSample(ctx, lib, rcfg)
		return err
	})
	if err != nil {
		return fmt.Errorf("adding the sample corpus: %w", err)
	}
	if added > 0 {
		fmt.Fprintf(env.io.err, "attache: %s was empty: added the bundled sample corpus (%s; remove with 'attache remove')\n",
			first.where(), plural(added, "article"))
	}
	return nil
}

// markUsed records that the library has been used (ingest stored articles
// in it), so that it is never seeded later, not even after all its
// articles are removed.
func markUsed(ctx context.Context, env *environment, lib corpus.Backend) error {
	return firstUseOf(env, lib).markUsed(ctx)
}

// plural writes "1 article", "2 articles".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
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
	// A gateway shard holds in memory only the shared scope and the guilds
	// Discord sends it (the bot calls Hold and Drop); a single serve, and
	// every other command, holds everything.
	rcfg.HoldScopes = opts.daemon && cfg.ShardCount > 1
	if cfg.EmbedProvider == "openai" {
		emb, err := newOpenAIEmbedder(ctx, cfg, logger)
		if err != nil {
			return rcfg, err
		}
		*closers = append(*closers, emb.Close)
		rcfg.Embedder = emb
	}
	if opts.withLLM && cfg.LLMBaseURL != "" {
		model, err := newLLM(ctx, cfg, logger, opts.checkLLM)
		switch {
		case err != nil && opts.llmDown != nil && ctx.Err() == nil && errors.Is(err, llm.ErrUnavailable):
			logger.Warn("language model unavailable; answering with quoted sentences", "error", err)
			*opts.llmDown = true
		case err != nil:
			return rcfg, err
		default:
			*closers = append(*closers, model.Close)
			rcfg.LLM = model
		}
	}
	return rcfg, nil
}

// seededMarker is the file, in the data directory (the step's name in a
// database), that records that the sample corpus was added once; after
// that the sample articles are ordinary articles, and removing them is
// final.
const seededMarker = "sample-seeded"

// seedSample adds the bundled sample corpus to a library used for the
// first time. "First time" means no marker yet (the caller checks) and nothing in the library but (possibly some of) the
// sample articles, so that a run killed half-way through seeding finishes
// it next time, and a library that already holds other articles is left
// alone. The sample is added by an engine of its own with the default body
// limit: ATTACHE_MAX_ARTICLE_BYTES limits what users ingest, not the
// bundled articles.
// It returns how many sample articles it added.
func seedSample(ctx context.Context, lib corpus.Store, rcfg retrieval.Config) (int, error) {
	sample := corpus.Sample()
	sampleIDs := make(map[string]bool, len(sample))
	for _, a := range sample {
		a.Normalize()
		sampleIDs[corpus.ID(a)] = true
	}
	stored, err := lib.List(ctx)
	if err != nil {
		return 0, err
	}
	added := 0
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
			return 0, err
		}
		for _, a := range sample {
			_, st, err := seeder.Add(ctx, a)
			if err != nil {
				return 0, err
			}
			if st == corpus.Added {
				added++
			}
		}
	}
	return added, nil
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
	// '@' is refused: it separates a record's id from its guild in stored
	// ids (corpus.ScopedID).
	if len(s) > 64 || strings.ContainsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) }) ||
		strings.Contains(s, corpus.ScopeSeparator) {
		return "", usagef("-guild must be a guild id (digits, at most 64 characters, no spaces or @)")
	}
	return s, nil
}

// filterScope is validScope for a -guild that filters: "" (no filter)
// when the flag is unset.
func filterScope(guild string) (string, error) {
	if guild == "" {
		return "", nil
	}
	return validScope(guild)
}

// version is the module version the binary was built from and, when the
// build recorded it, the version control revision (with its time, and
// "modified" for a working tree with uncommitted changes) and the Go
// version. "go build" in a git checkout records the revision; "go install
// module@version" records the module version.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "(no build information)"
	}
	return versionOf(bi)
}

// versionOf formats a build's version (see version).
func versionOf(bi *debug.BuildInfo) string {
	v := bi.Main.Version
	if v == "" {
		v = "(devel)"
	}
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	var details []string
	if rev := settings["vcs.revision"]; rev != "" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		details = append(details, "revision "+rev)
		if t := settings["vcs.time"]; t != "" {
			details = append(details, t)
		}
		if settings["vcs.modified"] == "true" {
			details = append(details, "modified")
		}
	} else if v == "(devel)" {
		details = append(details, "no version control information")
	}
	if bi.GoVersion != "" {
		details = append(details, bi.GoVersion)
	}
	if len(details) == 0 {
		return v
	}
	return v + " (" + strings.Join(details, ", ") + ")"
}

// ingestOne is the feeds' way in: one article through the engine's Ingest,
// the path the command line and the bot take too.
func ingestOne(engine *retrieval.Engine) feed.Adder {
	return func(ctx context.Context, a corpus.Article) (corpus.Article, corpus.PutStatus, error) {
		var o retrieval.Outcome
		if _, err := engine.Ingest(ctx, a.Scope, []corpus.Article{a}, func(_ int, got retrieval.Outcome) { o = got }); err != nil {
			return o.Article, o.Status, err
		}
		return o.Article, o.Status, o.Err
	}
}
