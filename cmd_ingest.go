package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/attache-bot/attache/corpus"
	"github.com/attache-bot/attache/redact"
	"github.com/attache-bot/attache/retrieval"
	"github.com/schollz/progressbar/v3"
)

// progressLogEvery is how often ingest logs its progress when stderr is not
// a terminal (no progress bar there).
const progressLogEvery = 100

// origin says where an article came from, for the summary: "file.jsonl:12"
// or a URL.
type origin struct {
	name string
	line int
}

func (o origin) String() string {
	if o.line > 0 {
		return o.name + ":" + strconv.Itoa(o.line)
	}
	return o.name
}

// ingestSummary counts what an ingest did.
type ingestSummary struct {
	added, updated, unchanged int
	rejected                  []string // "origin: reason", in input order: refused for their content
	notStored                 []string // "origin: reason": valid articles that could not be stored
	failedInputs              int      // inputs that could not be read at all
}

// runIngest adds articles from files and URLs. Every input is tried. The
// exit status is 0 when every input could be read and at least one article
// was stored or already present, even if some records were rejected (the
// summary lists them); 1 when an input could not be read at all, when
// nothing was importable, or when interrupted. Re-running the same ingest
// is safe: stored articles come back "unchanged".
func runIngest(ctx context.Context, env *environment, args []string) error {
	fs := newFlagSet(env, "ingest")
	guild := fs.String("guild", "", "add the articles to this guild only (default: shared by all guilds)")
	inputs, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(inputs) == 0 {
		fs.Usage()
		return usagef("ingest: no file or URL given")
	}
	scope, err := validScope(*guild)
	if err != nil {
		return err
	}

	engine, lib, closeEngine, err := openEngine(ctx, env, engineOptions{})
	if err != nil {
		return err
	}
	defer closeEngine()
	logger := newLogger(env.cfg, env.io.err, false)

	var sum ingestSummary
	var articles []corpus.Article
	var origins []origin
	fetcher := corpus.NewFetcher(corpus.FetchOptions{AllowPrivate: env.cfg.AllowPrivateURLs})
	for _, in := range inputs {
		if ctx.Err() != nil {
			break
		}
		if isURL(in) {
			a, err := fetcher.Fetch(ctx, in)
			if err != nil {
				sum.failedInputs++
				// The URL as given may carry credentials or a token.
				sum.rejected = append(sum.rejected, fmt.Sprintf("%s: %s", cell(redact.Text(in), 200), oneLine(redact.Text(err.Error()))))
				continue
			}
			articles = append(articles, a)
			origins = append(origins, origin{name: redact.Text(in)})
			continue
		}
		if scheme := otherURLScheme(in); scheme != "" {
			sum.failedInputs++
			sum.rejected = append(sum.rejected, fmt.Sprintf("%s: unsupported URL scheme %q (only http and https URLs can be fetched)", cell(in, 200), scheme))
			continue
		}
		res, err := corpus.ImportFile(in, corpus.ImportOptions{Scope: scope, MaxBodyBytes: env.cfg.MaxArticleBytes})
		if err != nil {
			sum.failedInputs++
			sum.rejected = append(sum.rejected, fileError(in, err))
			continue
		}
		for _, r := range res.Rejected {
			sum.rejected = append(sum.rejected, fmt.Sprintf("%s: %s", origin{name: in, line: r.Line}, oneLine(r.Reason)))
		}
		for _, r := range res.Records {
			articles = append(articles, r.Article)
			origins = append(origins, origin{name: in, line: r.Line})
		}
	}

	bar := newProgressBar(env.io.err, len(articles))
	start := time.Now()
	counts, err := engine.Ingest(ctx, scope, articles, func(i int, o retrieval.Outcome) {
		switch {
		case o.Rejected():
			sum.rejected = append(sum.rejected, fmt.Sprintf("%s: %s", origins[i], rejectReason(o.Err)))
		case o.Err != nil:
			sum.notStored = append(sum.notStored, fmt.Sprintf("%s: %s", origins[i], storeReason(o.Err)))
		}
		logger.Debug("ingest article", "n", i+1, "id", o.Article.ID, "status", o.Status.String())
		if bar != nil {
			bar.Add(1)
		} else if done := i + 1; done%progressLogEvery == 0 || done == len(articles) {
			logger.Info("ingest progress", "done", done, "total", len(articles))
		}
	})
	sum.added, sum.updated, sum.unchanged = counts.Added, counts.Updated, counts.Unchanged
	if bar != nil {
		bar.Finish()
		fmt.Fprintln(env.io.err)
	}
	logger.Debug("ingest finished", "articles", len(articles), "took", time.Since(start).Round(time.Millisecond))
	printIngestSummary(env.io.out, sum, scope)
	if err == nil && ctx.Err() == nil {
		// Articles stored by a release that assigned no stories come back
		// unchanged, still without one: give them theirs now.
		if n := storyBackfill(ctx, engine, logger); n > 0 {
			fmt.Fprintf(env.io.out, "stories assigned to %d article(s) stored without one\n", n)
		}
	}
	if sum.added+sum.updated+sum.unchanged > 0 {
		// The directory holds a real corpus now: never seed it later.
		if merr := markUsed(ctx, env, lib); merr != nil {
			logger.Warn("recording that the library is in use", "err", merr)
		}
	}

	switch {
	case err != nil || ctx.Err() != nil:
		return fmt.Errorf("ingest %w; run the same command again to finish (stored articles are kept)", errInterrupted)
	case len(sum.notStored) > 0:
		return fmt.Errorf("ingest: %d article(s) could not be stored (%s); fix that and run the same command again",
			len(sum.notStored), firstReason(sum.notStored[0]))
	case sum.failedInputs > 0:
		return fmt.Errorf("ingest: %d of %d input(s) could not be read", sum.failedInputs, len(inputs))
	case sum.added+sum.updated+sum.unchanged == 0:
		return errors.New("ingest: nothing could be imported")
	}
	return nil
}

func isURL(s string) bool {
	l := strings.ToLower(s)
	return strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://")
}

// otherURLScheme returns the scheme of an input that is a URL of another
// scheme than http or https ("ftp://host/x", "file:///x"), so that it is
// reported as such rather than as a missing file; "" for anything else,
// and for a file that exists under such a name.
func otherURLScheme(s string) string {
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok || rest == "" || scheme == "" || isURL(s) {
		return ""
	}
	for i, r := range scheme {
		letter := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
		if !letter && (i == 0 || !(r >= '0' && r <= '9' || r == '+' || r == '-' || r == '.')) {
			return ""
		}
	}
	if _, err := os.Stat(s); err == nil {
		return ""
	}
	return strings.ToLower(scheme)
}

// fileError renders an input that could not be read as "path: reason",
// without repeating the path when the error already starts with it.
func fileError(path string, err error) string {
	msg := oneLine(err.Error())
	if strings.HasPrefix(msg, path) {
		return msg
	}
	return path + ": " + msg
}

// rejectReason is why an article was refused ("missing title"), without
// the wrapping that names the article again.
func rejectReason(err error) string {
	if errors.Is(err, corpus.ErrScopeConflict) {
		return corpus.ErrScopeConflict.Error()
	}
	return oneLine(corpus.RejectReason(err))
}

// storeReason is the cause of a failure to store an article, without the
// wrapping that names the article again ("store article X: corpus: put X:
// database or disk is full (13)" becomes "database or disk is full (13)").
func storeReason(err error) string {
	msg := oneLine(err.Error())
	if i := strings.LastIndex(msg, ": "); i >= 0 {
		return msg[i+2:]
	}
	return msg
}

// firstReason is the reason part of an "origin: reason" line.
func firstReason(line string) string {
	if i := strings.LastIndex(line, ": "); i >= 0 {
		return line[i+2:]
	}
	return line
}

// newProgressBar returns a progress bar on w when w is a terminal, else nil.
func newProgressBar(w io.Writer, total int) *progressbar.ProgressBar {
	if total == 0 || !isTerminal(w) {
		return nil
	}
	return progressbar.NewOptions(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription("ingesting"),
		progressbar.OptionShowCount(),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionSetPredictTime(true),
	)
}

func printIngestSummary(w io.Writer, sum ingestSummary, scope string) {
	where := "shared scope"
	if scope != corpus.SharedScope {
		where = "guild " + scope
	}
	notStored := ""
	if len(sum.notStored) > 0 {
		notStored = fmt.Sprintf(", %d not stored", len(sum.notStored))
	}
	fmt.Fprintf(w, "%d added, %d updated, %d unchanged, %d rejected%s (%s)\n",
		sum.added, sum.updated, sum.unchanged, len(sum.rejected), notStored, where)
	if len(sum.rejected) > 0 {
		fmt.Fprintln(w, "rejected:")
		for _, r := range sum.rejected {
			fmt.Fprintln(w, "  "+printable(r))
		}
	}
	if len(sum.notStored) > 0 {
		fmt.Fprintln(w, "not stored:")
		for _, r := range sum.notStored {
			fmt.Fprintln(w, "  "+printable(r))
		}
	}
}
