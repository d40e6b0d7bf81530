package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/attache-bot/attache/redact"
	"github.com/attache-bot/attache/retrieval/llm"
)

// Defaults of Config's zero fields.
const (
	DefaultAPIBase       = "https://discord.com" // Discord's REST API
	DefaultRatePerMinute = 5                     // questions per user per minute
	DefaultMaxConcurrent = 4                     // answers in progress at once
)

// Shutdown budget: answers in progress get answerGrace to finish, then they
// are cancelled and get finalGrace to send their final message; closing the
// gateway takes discordgo one more second. The sum stays well under the 10 s
// an operator waits after SIGTERM.
const (
	answerGrace = 4 * time.Second
	finalGrace  = 3 * time.Second
	replyBudget = 5 * time.Second // a final message's own deadline
)

// errShutdown is the cause of cancelled answers when the bot stops.
var errShutdown = errors.New("bot shutting down")

// Config configures a Bot. Zero fields mean the documented default.
type Config struct {
	Token         string       // bot token, without the "Bot " prefix; required
	APIBase       string       // scheme://host[:port] of Discord's REST API; DefaultAPIBase when empty
	GuildID       string       // register commands in this guild only; global when empty
	ModeratorRole string       // id or name of a role whose members may manage articles
	RatePerMinute int          // questions per user per minute; DefaultRatePerMinute when 0, unlimited when negative
	MaxConcurrent int          // answers in progress at once; DefaultMaxConcurrent when 0
	HTTPClient    *http.Client // transport and timeout for Discord's REST API; optional
	// ShardID and ShardCount are this process's gateway shard: Discord sends
	// it the events of the servers whose (id >> 22) % ShardCount is ShardID.
	// ShardCount 0 means 1, one process for every server.
	ShardID    int
	ShardCount int
}

// Deps are what the bot works with, each a small interface declared here;
// all are required. main wires them once: the retrieval engine answers and
// changes articles, its library lists them and keeps the answers, and a
// corpus.Fetcher reads pages and attachments.
type Deps struct {
	Answerer Answerer
	Articles Articles
	Catalog  Catalog
	Answers  AnswerStore
	Fetcher  Fetcher
	Feeds    Feeds   // nil: /feed says feeds are not available
	Reports  Reports // nil: /report says reports are not available
	Digests  Digests // nil: /feed digest says digests are not available
	Outlets  Outlets // nil: /outlet says labels are not available
	// Chronicler makes /timeline and /whatsnew; nil: they say they are not
	// available.
	Chronicler Chronicler
	// Places lists the countries and organisations present in a server's
	// articles for autocomplete; nil: the whole gazetteer is offered.
	Places Places
	// Holder holds the articles of the servers this shard receives; nil:
	// every server's are held (one process for all of them).
	Holder Holder
}

// deps are Deps as the handlers use them; tests may substitute any.
type deps struct {
	answerer Answerer
	articles Articles
	catalog  Catalog
	store    AnswerStore
	fetcher  Fetcher
	feeds    Feeds   // nil: /feed says feeds are not available
	reports  Reports // nil: /report says reports are not available
	digests  Digests // nil: /feed digest says digests are not available
	outlets  Outlets // nil: /outlet says labels are not available

	chronicler Chronicler // nil: /timeline and /whatsnew say they are not available
	places     Places     // nil: autocomplete offers the whole gazetteer
	holder     Holder     // nil: every guild's articles are held
}

// Bot is the Discord bot. Create it with New and run it with Run.
type Bot struct {
	cfg     Config
	apiBase *url.URL
	log     *slog.Logger
	deps

	limiter *userLimiter
	slots   *slots

	now          func() time.Time                                 // clock for rate limits and source ages
	editInterval time.Duration                                    // least time between two streaming edits of one answer
	answerGrace  time.Duration                                    // at shutdown, time answers get to finish before they are cancelled
	finalGrace   time.Duration                                    // then, time cancelled handlers get to send their final message
	delivery     deliveryPolicy                                   // retries of final messages
	sleep        func(ctx context.Context, d time.Duration) error // waits between retries; tests record instead
	syncEvents   bool                                             // run handlers one at a time on the gateway goroutine (tests that show something was ignored)
	digestWake   <-chan time.Time                                 // the moments to look for digests due; a ticker of digestEvery when nil
	onDigestPass func()                                           // called after each look for digests (tests wait on it)

	botID     atomic.Value // string: the bot user's id, from READY
	lastPrune atomic.Int64 // unix nanoseconds of the last pruning of stored answers

	mu       sync.Mutex
	closing  bool           // set at shutdown: no new work is accepted
	inflight sync.WaitGroup // handlers at work

	rolesMu sync.Mutex
	roles   map[string]roleCacheEntry // guild id → role names, for ModeratorRole given by name
}

// New returns a bot that logs to logger (nil discards logs), configured by
// cfg, working with d. It makes no network call: Run connects.
func New(logger *slog.Logger, cfg Config, d Deps) (*Bot, error) {
	return newBot(logger, cfg, deps{answerer: d.Answerer, articles: d.Articles, catalog: d.Catalog, store: d.Answers, fetcher: d.Fetcher, feeds: d.Feeds, reports: d.Reports, digests: d.Digests, outlets: d.Outlets,
		chronicler: d.Chronicler, places: d.Places, holder: d.Holder})
}

// newBot checks cfg, applies the defaults and builds a Bot over d.
func newBot(logger *slog.Logger, cfg Config, d deps) (*Bot, error) {
	if cfg.Token == "" {
		return nil, errors.New("discord token is empty")
	}
	if cfg.APIBase == "" {
		cfg.APIBase = DefaultAPIBase
	}
	base, err := url.Parse(cfg.APIBase)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("discord API base %q: want scheme://host[:port]", cfg.APIBase)
	}
	if cfg.RatePerMinute == 0 {
		cfg.RatePerMinute = DefaultRatePerMinute
	}
	if cfg.MaxConcurrent <= 0 {
		cfg.MaxConcurrent = DefaultMaxConcurrent
	}
	if cfg.ShardCount == 0 {
		cfg.ShardCount = 1
	}
	if cfg.ShardCount < 0 || cfg.ShardID < 0 || cfg.ShardID >= cfg.ShardCount {
		return nil, fmt.Errorf("discord shard %d of %d: want 0 <= id < count", cfg.ShardID, cfg.ShardCount)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	// Errors of Discord calls quote the webhook URL, whose path holds the
	// interaction token, and /article add logs the address it was given:
	// every line the bot (and discordgo, through it) logs is redacted.
	logger = slog.New(redact.Handler(logger.Handler(), cfg.Token))
	if d.answerer == nil || d.articles == nil || d.catalog == nil || d.store == nil || d.fetcher == nil {
		return nil, errors.New("bot needs an answerer, articles, a catalog, an answer store and a fetcher")
	}
	b := &Bot{
		cfg:          cfg,
		apiBase:      base,
		log:          logger,
		deps:         d,
		limiter:      newUserLimiter(cfg.RatePerMinute),
		slots:        newSlots(cfg.MaxConcurrent),
		now:          time.Now,
		editInterval: time.Second,
		answerGrace:  answerGrace,
		finalGrace:   finalGrace,
		delivery:     defaultDelivery,
		sleep:        llm.SleepContext,
		roles:        make(map[string]roleCacheEntry),
	}
	b.botID.Store("")
	return b, nil
}

// Run connects to Discord as gateway shard Config.ShardID, registers the
// slash commands (in Config.GuildID only, when set; shard 0 alone, for the
// whole deployment), holds the articles of the guilds the shard receives
// (Deps.Holder) and answers until ctx is done. Then it stops taking new
// questions, lets the answers in progress finish or cancels them, gives every
// open interaction a final message and closes the connection, within 10 s.
// It returns an error when it cannot connect or register the commands.
// A Bot runs once: after Run returns it takes no more questions.
func (b *Bot) Run(ctx context.Context) error {
	s, err := discordgo.New("Bot " + b.cfg.Token)
	if err != nil {
		return fmt.Errorf("create discord session: %w", err)
	}
	b.configureSession(s)

	// Work outlives ctx (so that answers in progress can finish) until
	// shutdown cancels it.
	workCtx, cancelWork := context.WithCancelCause(context.WithoutCancel(ctx))
	defer cancelWork(errShutdown)

	s.AddHandler(func(_ *discordgo.Session, r *discordgo.Ready) {
		if r.User != nil {
			b.botID.Store(r.User.ID)
		}
	})
	s.AddHandler(func(s *discordgo.Session, ic *discordgo.InteractionCreate) {
		b.handleInteraction(workCtx, s, ic)
	})
	s.AddHandler(func(s *discordgo.Session, m *discordgo.MessageCreate) {
		b.handleMessage(workCtx, s, m)
	})
	s.AddHandler(func(_ *discordgo.Session, g *discordgo.GuildCreate) {
		b.handleGuildCreate(workCtx, g)
	})
	s.AddHandler(func(_ *discordgo.Session, g *discordgo.GuildDelete) {
		b.handleGuildDelete(g)
	})

	if err := s.Open(); err != nil {
		return fmt.Errorf("connect to discord gateway: %w", err)
	}
	// Handlers run from here on, even while the commands are registered:
	// every way out goes through the graceful shutdown.
	regErr := b.register(ctx, s)
	if regErr == nil {
		b.log.Info("discord bot ready", "bot", b.botID.Load(), "guild", b.cfg.GuildID, "shard", b.cfg.ShardID, "shards", b.cfg.ShardCount)
		stopDigests := b.startDigests(ctx, s)
		<-ctx.Done()
		stopDigests()
	}
	b.shutdown(cancelWork)
	b.closeSession(s)
	s.Client.CloseIdleConnections()
	if regErr != nil && ctx.Err() == nil { // stopped during start-up is no error
		return regErr
	}
	b.log.Info("discord bot stopped")
	return nil
}

// startDigests posts the daily digests until ctx ends or the returned
// function is called; that function waits for a post in flight.
func (b *Bot) startDigests(ctx context.Context, s session) func() {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		wake := b.digestWake
		if wake == nil {
			t := time.NewTicker(digestEvery)
			defer t.Stop()
			wake = t.C
		}
		b.runDigests(ctx, s, wake)
	}()
	return func() {
		cancel()
		<-done
	}
}

// configureSession sets every session field before Open: discordgo's
// goroutines read them without locks.
func (b *Bot) configureSession(s *discordgo.Session) {
	hc := b.cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 20 * time.Second}
	}
	next := hc.Transport
	if next == nil {
		// A burst of questions means a burst of acknowledgements and edits
		// to one host: keep enough idle connections for it (the default
		// keeps 2, so a burst over HTTP/1.1 reconnects for nearly every call).
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = 64
		next = t
	}
	s.Client = &http.Client{
		Transport:     rewriteTransport{base: b.apiBase, next: next},
		Timeout:       hc.Timeout,
		CheckRedirect: hc.CheckRedirect,
	}
	// Mentions carry their text without the privileged Message Content
	// intent, so none is requested.
	s.Identify.Intents = discordgo.IntentsGuilds | discordgo.IntentsGuildMessages | discordgo.IntentsDirectMessages
	s.StateEnabled = true
	s.ShardID, s.ShardCount = b.cfg.ShardID, b.cfg.ShardCount
	s.SyncEvents = b.syncEvents
	// Warnings and errors only: discordgo's informational lines dump raw
	// gateway payloads, and its debug lines whole REST requests.
	s.LogLevel = discordgo.LogWarning
	routeDiscordgoLogs(b.log)
}

// register bulk-overwrites the commands, using the application id from
// READY; shards other than 0 leave that to shard 0.
func (b *Bot) register(ctx context.Context, s *discordgo.Session) error {
	if s.State == nil || s.State.Application == nil || s.State.Application.ID == "" {
		return errors.New("discord gateway sent no application id")
	}
	if s.State.User != nil {
		b.botID.Store(s.State.User.ID)
	}
	if b.cfg.ShardID != 0 {
		// Commands belong to the application, not to a shard: one
		// registration serves them all, and shards overwriting the same
		// list at once would only race each other.
		return nil
	}
	appID := s.State.Application.ID
	_, err := s.ApplicationCommandBulkOverwrite(appID, b.cfg.GuildID, commands(), discordgo.WithContext(ctx))
	if err != nil {
		return fmt.Errorf("register slash commands: %w", err)
	}
	return nil
}

// shutdown stops new work, waits for the handlers at work (cancelling them
// after answerGrace) and returns when all of them have sent their final
// message or the budget is spent.
func (b *Bot) shutdown(cancelWork context.CancelCauseFunc) {
	b.mu.Lock()
	b.closing = true
	b.mu.Unlock()

	done := make(chan struct{})
	go func() {
		b.inflight.Wait()
		close(done)
	}()
	grace := time.NewTimer(b.answerGrace)
	defer grace.Stop()
	select {
	case <-done:
		return
	case <-grace.C:
	}
	b.log.Info("cancelling answers in progress")
	cancelWork(errShutdown)
	final := time.NewTimer(b.finalGrace)
	defer final.Stop()
	select {
	case <-done:
	case <-final.C:
		b.log.Warn("handlers still running at shutdown")
	}
}

func (b *Bot) closeSession(s *discordgo.Session) {
	if err := s.Close(); err != nil {
		b.log.Warn("close discord session", "err", err)
	}
}

// begin registers a handler at work; false once shutdown has begun.
func (b *Bot) begin() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closing {
		return false
	}
	b.inflight.Add(1)
	return true
}

func (b *Bot) end() { b.inflight.Done() }

func (b *Bot) id() string { return b.botID.Load().(string) }

// discordgo logs through one package-level function. It is set once, to
// forward to the logger of the bot that started most recently.
var (
	dgLogger     atomic.Pointer[slog.Logger]
	dgLoggerOnce sync.Once
)

func routeDiscordgoLogs(l *slog.Logger) {
	dgLogger.Store(l)
	dgLoggerOnce.Do(func() {
		discordgo.Logger = func(level, _ int, format string, a ...any) {
			lg := dgLogger.Load()
			if lg == nil {
				return
			}
			lvl := slog.LevelDebug
			switch level {
			case discordgo.LogError:
				lvl = slog.LevelError
			case discordgo.LogWarning:
				lvl = slog.LevelWarn
			}
			lg.Log(context.Background(), lvl, "discordgo", "detail", fmt.Sprintf(format, a...))
		}
	})
}
