package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/attache-bot/attache/corpus"
	"github.com/attache-bot/attache/corpus/feed"
	"github.com/attache-bot/attache/redact"
)

// runFeed runs "feed add|list|remove|poll".
func runFeed(ctx context.Context, env *environment, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" {
		fmt.Fprint(env.io.err, `usage: attache feed add [-guild ID] [-retention-days N] URL
       attache feed list [-guild ID] [-json]
       attache feed remove [-guild ID] ID...
       attache feed poll [-guild ID] [-json] [-wait DURATION]
`)
		if len(args) == 0 {
			return usagef("feed: no subcommand given (add, list, remove or poll)")
		}
		// "attache help feed" runs the command with -h and expects this.
		return flag.ErrHelp
	}
	switch args[0] {
	case "add":
		return runFeedAdd(ctx, env, args[1:])
	case "list":
		return runFeedList(ctx, env, args[1:])
	case "remove":
		return runFeedRemove(ctx, env, args[1:])
	case "poll":
		return runFeedPoll(ctx, env, args[1:])
	}
	return usagef("feed: unknown subcommand %q (add, list, remove or poll)", cell(args[0], 40))
}

// feedClient is the client every feed command polls with: the address
// checks of URL ingest, the feed limits.
func feedClient(env *environment) (*feed.Client, *corpus.Fetcher) {
	f := corpus.NewFetcher(corpus.FetchOptions{AllowPrivate: env.cfg.AllowPrivateURLs, MaxBodyBytes: env.cfg.MaxArticleBytes})
	return feed.NewClient(f, feed.Options{}), f
}

func scopeName(scope string) string {
	if scope == corpus.SharedScope {
		return "the shared scope"
	}
	return "guild " + scope
}

// runFeedAdd subscribes after one successful fetch and parse; on any error
// nothing is stored.
func runFeedAdd(ctx context.Context, env *environment, args []string) error {
	fs := newFlagSet(env, "feed")
	guild := fs.String("guild", "", "the feed's articles go to this guild (default: the shared scope)")
	retention := fs.Int("retention-days", 0, "remove the feed's articles published more than N days ago (default: keep them, within ATTACHE_RETENTION_DAYS)")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		fs.Usage()
		return usagef("feed add: give exactly one feed URL")
	}
	if err := corpus.CheckRetentionDays(*retention); err != nil {
		return usagef("feed add: -retention-days: %v", err)
	}
	scope, err := validScope(*guild)
	if err != nil {
		return err
	}
	raw := strings.TrimSpace(rest[0])
	if !isURL(raw) {
		return fmt.Errorf("feed add: %q is not an http or https URL", cell(redact.Text(raw), 200))
	}
	lib, closeLib, err := openLibrary(ctx, env)
	if err != nil {
		return err
	}
	defer closeLib()
	client, _ := feedClient(env)
	f, res, err := feed.Subscribe(ctx, lib, client, scope, raw, env.cfg.MaxFeeds)
	switch {
	case errors.Is(err, corpus.ErrFeedExists):
		return fmt.Errorf("feed add: %s already subscribes to %s", scopeName(scope), cell(redact.Text(raw), 200))
	case errors.Is(err, corpus.ErrTooManyFeeds):
		return fmt.Errorf("feed add: %s already has %d feeds, the limit (ATTACHE_MAX_FEEDS); remove one first", scopeName(scope), env.cfg.MaxFeeds)
	case err != nil:
		return fmt.Errorf("feed add: %s", oneLine(redact.Text(err.Error())))
	}
	if err := lib.SetNewFeedRetention(ctx, f, *retention); err != nil {
		return fmt.Errorf("feed add: %w", err)
	}
	title := f.Title
	if title == "" {
		title = "(untitled)"
	}
	fmt.Fprintf(env.io.out, "added feed %s %q, %s, for %s; its articles arrive with the next poll\n",
		f.ID, printable(title), plural(len(res.Items)+res.Dropped, "item"), scopeName(scope))
	return nil
}

// feedListItem is one entry of "feed list -json" (interface.md), with the
// feed's retention window (0: its articles are kept).
type feedListItem struct {
	ID            string `json:"id"`
	URL           string `json:"url"`
	Title         string `json:"title"`
	Scope         string `json:"scope"`
	LastPolled    string `json:"last_polled"`
	LastOK        string `json:"last_ok"`
	Articles      int    `json:"articles"`
	Error         string `json:"error"`
	RetentionDays int    `json:"retention_days"`
}

func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// runFeedList lists feeds: with -guild that guild's, else every scope's.
func runFeedList(ctx context.Context, env *environment, args []string) error {
	guild, asJSON, err := listFlags(env, "feed", "feed list", "list this guild's feeds (default: every scope's)", args)
	if err != nil {
		return err
	}
	scope, err := filterScope(guild)
	if err != nil {
		return err
	}
	lib, closeLib, err := openLibrary(ctx, env)
	if err != nil {
		return err
	}
	defer closeLib()
	feeds, err := lib.Feeds(ctx, scope)
	if err != nil {
		return fmt.Errorf("listing feeds: %w", err)
	}
	if asJSON {
		out := make([]feedListItem, 0, len(feeds))
		for _, f := range feeds {
			out = append(out, feedListItem{f.ID, redact.Text(f.URL), f.Title, f.Scope, rfc3339(f.LastPolled), rfc3339(f.LastOK), f.Articles, f.LastError, f.RetentionDays})
		}
		enc := json.NewEncoder(env.io.out)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	if len(feeds) == 0 {
		fmt.Fprintln(env.io.out, "no feeds")
		return nil
	}
	tw := tabwriter.NewWriter(env.io.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tTITLE\tSCOPE\tARTICLES\tLAST OK\tERROR\tURL")
	for _, f := range feeds {
		ok := rfc3339(f.LastOK)
		if ok == "" {
			ok = "never"
		}
		errText := "-"
		if f.LastError != "" {
			errText = fmt.Sprintf("%s (%d in a row)", cell(f.LastError, 60), f.Failures)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%s\n", f.ID, cell(f.Title, 40), f.Scope, f.Articles, ok, errText, cell(redact.Text(f.URL), 80))
	}
	return tw.Flush()
}

// runFeedRemove unsubscribes; the articles stay.
func runFeedRemove(ctx context.Context, env *environment, args []string) error {
	fs := newFlagSet(env, "feed")
	guild := fs.String("guild", "", "remove only this guild's feeds (default: whatever scope the feed has)")
	ids, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(ids) == 0 {
		fs.Usage()
		return usagef("feed remove: no feed id given")
	}
	scope, err := filterScope(*guild)
	if err != nil {
		return err
	}
	lib, closeLib, err := openLibrary(ctx, env)
	if err != nil {
		return err
	}
	defer closeLib()
	missing := 0
	for _, id := range ids {
		err := lib.RemoveFeed(ctx, scope, id)
		switch {
		case errors.Is(err, corpus.ErrNotFound):
			missing++
			fmt.Fprintf(env.io.err, "%s: no such feed\n", cell(id, 80))
		case err != nil:
			return fmt.Errorf("removing feed %s: %w", cell(id, 80), err)
		default:
			fmt.Fprintf(env.io.out, "removed feed %s (its articles stay)\n", id)
		}
	}
	if missing > 0 {
		return fmt.Errorf("feed remove: %d of %d feed ids not found", missing, len(ids))
	}
	return nil
}

// feedPollItem is one feed of "feed poll -json" (interface.md).
type feedPollItem struct {
	ID        string `json:"id"`
	URL       string `json:"url"`
	Status    string `json:"status"`
	Added     int    `json:"added"`
	Updated   int    `json:"updated"`
	Unchanged int    `json:"unchanged"`
	Rejected  int    `json:"rejected"`
	Error     string `json:"error"`
}

// defaultFeedPollWait is how long "feed poll" waits for a feed that
// another process (serve) is polling: longer than most polls take.
const defaultFeedPollWait = 2 * time.Minute

// feedLockRetry is how often "feed poll" tries again the lock of a feed
// another process is polling: a held lock announces nothing.
const feedLockRetry = 500 * time.Millisecond

// runFeedPoll polls every feed (of -guild's scope) once, now, whatever its
// schedule, one after the other. A feed that another process is polling
// at that moment is polled once that poll is over (up to -wait), not at
// the same time, so that no two processes store one feed's items at once.
func runFeedPoll(ctx context.Context, env *environment, args []string) error {
	fs := newFlagSet(env, "feed")
	asJSON := fs.Bool("json", false, `print {"feeds": [...]}`)
	guild := fs.String("guild", "", "poll only this guild's feeds (default: every feed)")
	wait := fs.Duration("wait", defaultFeedPollWait, "how long to wait for a feed another process is polling before reporting it as an error (0: do not wait)")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("feed poll: unexpected argument %q", cell(rest[0], 40))
	}
	if *wait < 0 || *wait > 24*time.Hour {
		return usagef("feed poll: -wait must be between 0 and 24h")
	}
	scope, err := filterScope(*guild)
	if err != nil {
		return err
	}
	engine, lib, closeEngine, err := openEngine(ctx, env, engineOptions{})
	if err != nil {
		return err
	}
	defer closeEngine()
	feeds, err := lib.Feeds(ctx, scope)
	if err != nil {
		return fmt.Errorf("listing feeds: %w", err)
	}
	client, pages := feedClient(env)
	sync := &feed.Syncer{Library: lib, Client: client, Pages: pages, Add: ingestOne(engine),
		Logger: newLogger(env.cfg, env.io.err, false)}
	var reports []feed.Report
	for _, f := range feeds {
		if ctx.Err() != nil {
			break
		}
		reports = append(reports, pollWaiting(ctx, env, sync, f, *wait))
	}
	// Retention after the poll, so that what it just added past its window
	// goes too; by the engine, like remove.
	expired := 0
	if ctx.Err() == nil {
		expired, err = lib.ApplyRetention(ctx, scope, time.Now(), env.cfg.RetentionDays, engine.Remove)
		if err != nil {
			return fmt.Errorf("feed poll: retention: %w", err)
		}
	}
	failed, stored := printPollReports(env.io.out, reports, expired, *asJSON)
	if stored > 0 {
		if merr := markUsed(ctx, env, lib); merr != nil {
			fmt.Fprintf(env.io.err, "recording that the library is in use: %v\n", merr)
		}
	}
	switch {
	case ctx.Err() != nil:
		return errors.New("feed poll interrupted; the next poll continues where it stopped (stored articles are kept)")
	case failed > 0:
		return fmt.Errorf("feed poll: %d of %d feeds failed", failed, len(reports))
	}
	return nil
}

// pollWaiting polls f through PollOnce (under its lock), waiting up to
// wait for another process polling it to finish; a feed still locked
// after that, or removed meanwhile, is reported as an error saying so.
func pollWaiting(ctx context.Context, env *environment, sync *feed.Syncer, f corpus.Feed, wait time.Duration) feed.Report {
	deadline := time.Now().Add(wait)
	said := false
	for {
		rep, polled, err := sync.PollOnce(ctx, f, nil)
		if polled {
			return rep
		}
		locked := errors.Is(err, corpus.ErrLocked)
		if locked && ctx.Err() == nil && time.Now().Before(deadline) {
			if !said {
				fmt.Fprintf(env.io.err, "feed %s is being polled by another process (attache serve?); waiting up to %s for it to finish\n", f.ID, wait)
				said = true
			}
			t := time.NewTimer(feedLockRetry)
			select {
			case <-ctx.Done():
			case <-t.C:
			}
			t.Stop()
			continue
		}
		switch {
		case locked:
			err = fmt.Errorf("another process is polling this feed (still after %s); try again later", wait)
		case errors.Is(err, corpus.ErrNotFound):
			err = errors.New("the feed was removed before its poll")
		}
		return feed.Report{FeedID: f.ID, URL: f.URL, Title: f.Title, Status: feed.StatusFailed, Err: err}
	}
}

// printPollReports prints the reports and returns how many failed and how
// many articles were added or updated.
func printPollReports(w io.Writer, reports []feed.Report, expired int, asJSON bool) (failed, stored int) {
	items := make([]feedPollItem, 0, len(reports))
	for _, r := range reports {
		it := feedPollItem{ID: r.FeedID, URL: redact.Text(r.URL), Status: r.Status, Added: r.Added, Updated: r.Updated, Unchanged: r.Unchanged, Rejected: r.Rejected}
		if r.Err != nil {
			failed++
			it.Error = oneLine(redact.Text(r.Err.Error()))
		}
		stored += r.Added + r.Updated
		items = append(items, it)
	}
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.Encode(struct {
			Feeds   []feedPollItem `json:"feeds"`
			Expired int            `json:"expired"`
		}{items, expired})
		return failed, stored
	}
	defer func() {
		if expired > 0 {
			fmt.Fprintf(w, "removed %s past their retention window\n", plural(expired, "article"))
		}
	}()
	if len(items) == 0 {
		fmt.Fprintln(w, "no feeds")
	}
	for i, it := range items {
		switch it.Status {
		case feed.StatusNotModified:
			fmt.Fprintf(w, "%s %s: not modified\n", it.ID, printable(cell(reports[i].Title, 60)))
		case feed.StatusOK:
			fmt.Fprintf(w, "%s %s: %d added, %d updated, %d unchanged, %d rejected\n", it.ID, printable(cell(reports[i].Title, 60)),
				it.Added, it.Updated, it.Unchanged, it.Rejected)
		default:
			fmt.Fprintf(w, "%s %s: error: %s (%d added, %d updated before it)\n", it.ID, printable(cell(reports[i].Title, 60)),
				printable(cell(it.Error, 300)), it.Added, it.Updated)
		}
	}
	return failed, stored
}
