package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/attache-bot/attache/corpus"
	"github.com/attache-bot/attache/corpus/postgres"
)

// config is everything attache reads from its environment (and .env).
// It holds what the user set and nothing more: a zero value means "not
// set", and the package that uses the setting applies its own default
// (bot for Discord, corpus for article sizes, retrieval/llm for the model
// APIs). Only what main itself uses gets its default here (the data
// directory, logs, the embedder choice).
type config struct {
	DiscordToken   string // secret; required by serve only
	DiscordAPIBase string // scheme://host[:port] of Discord's REST API
	DiscordGuildID string // register commands in this guild only
	ModeratorRole  string // role id or name of moderators
	ShardID        int    // this process's gateway shard, 0 ≤ ShardID < ShardCount
	ShardCount     int    // gateway shards of the deployment; 0 = not set (one shard)

	DataDir          string
	DatabaseURL      string // postgres://…: the PostgreSQL library instead of DataDir; its password is a secret
	MaxArticleBytes  int
	RateLimit        int           // questions per user per minute
	MaxConcurrent    int           // answers in progress at once
	AllowPrivateURLs bool          // URL ingest may reach loopback/private addresses
	MaxFeeds         int           // feeds per scope
	FeedInterval     time.Duration // how often serve polls each feed
	RetentionDays    int           // articles published longer ago are removed; 0 keeps everything

	LLMBaseURL    string // empty: extractive answers
	LLMAPIKey     string // secret
	LLMModel      string
	LLMTimeout    time.Duration
	LLMMaxRetries int // as llm.Config.MaxRetries: negative = none (LLM_MAX_RETRIES=0)

	EmbedProvider   string // "local" or "openai"
	EmbedBaseURL    string
	EmbedAPIKey     string // secret
	EmbedModel      string
	EmbedDimensions int // 0 = the model's own length
	EmbedBatchSize  int
	EmbedParallel   int

	LogLevel    slog.Level
	LogLevelSet bool   // LOG_LEVEL was given (commands other than serve default to warn otherwise)
	LogFormat   string // "text" or "json"
}

// Defaults of main's own settings, as documented in README.md and
// .env.example; the others are the using package's (bot.DefaultAPIBase,
// corpus.DefaultMaxBodyBytes, llm.DefaultModel, …).
const (
	defaultDataDir = "./data"
	// maxEmbedDimensions is well above any model's vector length
	// (text-embedding-3-large has 3,072): a larger value is a typo.
	maxEmbedDimensions = 16384

	// maxEnvValueBytes bounds every value we accept; anything longer is a
	// mistake (a pasted file) rather than a setting.
	maxEnvValueBytes = 4096

	// maxShardCount bounds ATTACHE_SHARD_COUNT. Discord wants a shard per
	// 2,500 servers at most, so this many serve 40 million servers; a larger
	// count is a typo, and each shard would cost a gateway connection.
	maxShardCount = 16384
)

// configError names the variable at fault and says what it should be. It
// never carries the offending value: values may be secrets, and URLs may
// hold credentials.
type configError struct {
	Var  string
	Want string
}

func (e *configError) Error() string { return e.Var + ": " + e.Want }

// envReader reads variables with the tolerance operators expect: surrounding
// spaces and one pair of matching quotes are ignored, and an empty value
// means "not set". It collects the first error so loadConfig stays linear.
type envReader struct {
	getenv func(string) string
	err    error
}

func (r *envReader) fail(name, want string) {
	if r.err == nil {
		r.err = &configError{Var: name, Want: want}
	}
}

// str returns the cleaned value of name, or def when unset.
func (r *envReader) str(name, def string) string {
	v := cleanValue(r.getenv(name))
	if v == "" {
		return def
	}
	if len(v) > maxEnvValueBytes {
		r.fail(name, fmt.Sprintf("value is too long (at most %d bytes)", maxEnvValueBytes))
		return def
	}
	if !utf8.ValidString(v) || strings.ContainsFunc(v, unicode.IsControl) {
		r.fail(name, "value contains control characters or invalid UTF-8")
		return def
	}
	return v
}

// integer returns name as an int in [lo, hi], or def when unset.
func (r *envReader) integer(name string, def, lo, hi int) int {
	v := r.str(name, "")
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(strings.ReplaceAll(v, "_", ""))
	if err != nil || n < lo || n > hi {
		r.fail(name, fmt.Sprintf("must be a whole number from %d to %d", lo, hi))
		return def
	}
	return n
}

// boolean accepts the usual spellings of yes and no.
func (r *envReader) boolean(name string, def bool) bool {
	switch strings.ToLower(r.str(name, "")) {
	case "":
		return def
	case "1", "t", "true", "yes", "y", "on":
		return true
	case "0", "f", "false", "no", "n", "off":
		return false
	}
	r.fail(name, "must be true or false")
	return def
}

// duration accepts Go durations ("90s", "2m") and bare seconds ("90").
func (r *envReader) duration(name string, def, hi time.Duration) time.Duration {
	v := r.str(name, "")
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		secs, aerr := strconv.Atoi(v)
		if aerr != nil || secs > int(hi/time.Second) {
			r.fail(name, "must be a duration such as 60s or 2m")
			return def
		}
		d = time.Duration(secs) * time.Second
	}
	if d <= 0 || d > hi {
		r.fail(name, fmt.Sprintf("must be a positive duration of at most %s", hi))
		return def
	}
	return d
}

// baseURL returns name as an http(s) URL, or def when unset. With noPath,
// the URL may not have a path (Discord's base is scheme://host[:port]).
func (r *envReader) baseURL(name, def string, noPath bool) string {
	v := r.str(name, "")
	if v == "" {
		return def
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" || u.Opaque != "" {
		r.fail(name, "must be an http:// or https:// URL")
		return def
	}
	if u.RawQuery != "" || u.Fragment != "" {
		r.fail(name, "must not have a query or fragment")
		return def
	}
	if noPath {
		if u.Path != "" && u.Path != "/" {
			r.fail(name, "must be scheme://host[:port] without a path")
			return def
		}
		return u.Scheme + "://" + u.Host
	}
	return strings.TrimRight(v, "/")
}

// databaseURL returns name as a PostgreSQL URL (postgres://…), or "" when
// unset. It is checked as the driver parses it, without connecting.
func (r *envReader) databaseURL(name string) string {
	v := r.str(name, "")
	if v == "" {
		return ""
	}
	if err := postgres.CheckURL(v); err != nil {
		r.fail(name, "must be a PostgreSQL URL such as postgres://user@host:5432/database?search_path=attache ("+err.Error()+")")
		return ""
	}
	return v
}

// shard returns the gateway shard named by idName and countName, which are
// set together or not at all: a shard id without a count (or the reverse)
// would connect as a shard of a deployment nobody described. Unset, it
// returns 0, 0 (one shard).
func (r *envReader) shard(idName, countName string) (id, count int) {
	idSet, countSet := r.str(idName, "") != "", r.str(countName, "") != ""
	switch {
	case idSet && !countSet:
		r.fail(countName, "must be set with "+idName+" (the number of shards of the deployment)")
		return 0, 0
	case countSet && !idSet:
		r.fail(idName, "must be set with "+countName+" (this process's shard, from 0)")
		return 0, 0
	case !idSet:
		return 0, 0
	}
	count = r.integer(countName, 0, 1, maxShardCount)
	if count == 0 {
		return 0, 0
	}
	id = r.integer(idName, -1, 0, count-1)
	if id < 0 {
		return 0, 0
	}
	return id, count
}

// oneOf returns the lower-cased value of name if it is one of allowed.
func (r *envReader) oneOf(name, def string, allowed ...string) string {
	v := strings.ToLower(r.str(name, ""))
	if v == "" {
		return def
	}
	for _, a := range allowed {
		if v == a {
			return v
		}
	}
	r.fail(name, "must be one of "+strings.Join(allowed, ", "))
	return def
}

// secret returns a key or token; it checks only that it is one printable
// token, and its errors never show it.
func (r *envReader) secret(name string, prefix ...string) string {
	v := cleanValue(r.getenv(name))
	for _, p := range prefix {
		if len(v) > len(p) && strings.EqualFold(v[:len(p)], p) {
			v = strings.TrimSpace(v[len(p):])
		}
	}
	if v == "" {
		return ""
	}
	if len(v) > maxEnvValueBytes || !utf8.ValidString(v) || strings.ContainsFunc(v, func(c rune) bool {
		return unicode.IsControl(c) || unicode.IsSpace(c)
	}) {
		r.fail(name, "is not a valid key (it must be one line without spaces)")
		return ""
	}
	return v
}

// cleanValue trims spaces and one pair of matching surrounding quotes.
func cleanValue(v string) string {
	v = strings.TrimSpace(v)
	if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
		v = strings.TrimSpace(v[1 : len(v)-1])
	}
	return v
}

// loadConfig reads the configuration through getenv. Every invalid value is
// an error naming the variable; no value is ever repeated in an error.
func loadConfig(getenv func(string) string) (config, error) {
	r := &envReader{getenv: getenv}
	var c config

	// Tokens are often pasted with the "Bot " prefix of the Authorization
	// header; the bot adds it itself.
	c.DiscordToken = r.secret("DISCORD_TOKEN", "Bot ")
	c.DiscordAPIBase = r.baseURL("DISCORD_API_BASE", "", true)
	c.DiscordGuildID = r.str("DISCORD_GUILD_ID", "")
	if c.DiscordGuildID != "" && !isSnowflake(c.DiscordGuildID) {
		r.fail("DISCORD_GUILD_ID", "must be a Discord guild id (digits)")
	}
	c.ModeratorRole = r.str("ATTACHE_MODERATOR_ROLE", "")
	c.ShardID, c.ShardCount = r.shard("ATTACHE_SHARD_ID", "ATTACHE_SHARD_COUNT")

	c.DataDir = r.str("ATTACHE_DATA_DIR", defaultDataDir)
	c.DatabaseURL = r.databaseURL("ATTACHE_DATABASE_URL")
	c.MaxArticleBytes = r.integer("ATTACHE_MAX_ARTICLE_BYTES", 0, 1, 1<<30)
	c.RateLimit = r.integer("ATTACHE_RATE_LIMIT", 0, 1, 10000)
	c.MaxConcurrent = r.integer("ATTACHE_MAX_CONCURRENT", 0, 1, 1024)
	c.AllowPrivateURLs = r.boolean("ATTACHE_ALLOW_PRIVATE_URLS", false)
	c.MaxFeeds = r.integer("ATTACHE_MAX_FEEDS", 0, 1, 10000)
	c.FeedInterval = r.duration("ATTACHE_FEED_INTERVAL", 0, 7*24*time.Hour)
	c.RetentionDays = r.integer("ATTACHE_RETENTION_DAYS", 0, 0, corpus.MaxRetentionDays)
	if c.FeedInterval != 0 && c.FeedInterval < time.Minute {
		// Polling faster than once a minute only burdens the feed servers.
		r.fail("ATTACHE_FEED_INTERVAL", "must be at least 1m")
		c.FeedInterval = 0
	}

	c.LLMBaseURL = r.baseURL("LLM_BASE_URL", "", false)
	c.LLMAPIKey = r.secret("LLM_API_KEY")
	if c.LLMAPIKey == "" {
		c.LLMAPIKey = r.secret("OPENAI_API_KEY")
	}
	c.LLMModel = r.str("LLM_MODEL", "")
	c.LLMTimeout = r.duration("LLM_TIMEOUT", 0, time.Hour)
	// The variable's 0 means no retries; the client's 0 is its default
	// and its negative none (-1 here: not set).
	switch n := r.integer("LLM_MAX_RETRIES", -1, 0, 20); {
	case n == 0:
		c.LLMMaxRetries = -1
	case n > 0:
		c.LLMMaxRetries = n
	}

	c.EmbedProvider = r.oneOf("EMBED_PROVIDER", "local", "local", "openai")
	c.EmbedBaseURL = r.baseURL("EMBED_BASE_URL", c.LLMBaseURL, false)
	c.EmbedAPIKey = r.secret("EMBED_API_KEY")
	if c.EmbedAPIKey == "" {
		c.EmbedAPIKey = c.LLMAPIKey
	}
	c.EmbedModel = r.str("EMBED_MODEL", "")
	c.EmbedDimensions = r.integer("EMBED_DIMENSIONS", 0, 0, maxEmbedDimensions)
	c.EmbedBatchSize = r.integer("EMBED_BATCH_SIZE", 0, 1, 2048)
	c.EmbedParallel = r.integer("EMBED_PARALLEL", 0, 1, 64)
	if c.EmbedProvider == "openai" && c.EmbedBaseURL == "" {
		r.fail("EMBED_BASE_URL", "is needed with EMBED_PROVIDER=openai (or set LLM_BASE_URL), e.g. https://api.openai.com/v1")
	}

	switch lvl := r.oneOf("LOG_LEVEL", "", "debug", "info", "warn", "warning", "error"); lvl {
	case "debug":
		c.LogLevel, c.LogLevelSet = slog.LevelDebug, true
	case "info":
		c.LogLevel, c.LogLevelSet = slog.LevelInfo, true
	case "warn", "warning":
		c.LogLevel, c.LogLevelSet = slog.LevelWarn, true
	case "error":
		c.LogLevel, c.LogLevelSet = slog.LevelError, true
	default:
		c.LogLevel = slog.LevelInfo
	}
	c.LogFormat = r.oneOf("LOG_FORMAT", "text", "text", "json")

	if r.err != nil {
		return config{}, r.err
	}
	return c, nil
}

// isSnowflake reports whether s looks like a Discord id.
func isSnowflake(s string) bool {
	if s == "" || len(s) > 20 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// maxDotEnvBytes bounds the .env file; a larger one is not a settings file.
const maxDotEnvBytes = 1 << 20

// readDotEnv reads path (a .env file) if it exists. A missing file is not an
// error. Errors carry the line number but never the line's text, which may
// hold a secret.
func readDotEnv(path string) (map[string]string, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, errors.Unwrap(err))
	}
	if len(data) > maxDotEnvBytes {
		return nil, fmt.Errorf("%s: file is too large to be a settings file", path)
	}
	vars, err := parseDotEnv(data)
	if err != nil {
		return nil, fmt.Errorf("%s:%w", path, err)
	}
	return vars, nil
}

// dotEnvError is a malformed line of a .env file.
type dotEnvError struct {
	Line   int
	Reason string
}

func (e *dotEnvError) Error() string { return fmt.Sprintf("%d: %s", e.Line, e.Reason) }

// parseDotEnv parses the common .env dialect: NAME=value lines, blank lines
// and # comments, an optional "export " prefix, values bare (a " #" starts a
// comment), in single quotes (literal) or in double quotes (\n, \t, \" and
// \\ escapes). Values are never expanded: a .env is data, not a script.
func parseDotEnv(data []byte) (map[string]string, error) {
	if !utf8.Valid(data) {
		return nil, &dotEnvError{Line: 1 + bytes.Count(data[:invalidUTF8At(data)], []byte("\n")), Reason: "not valid UTF-8"}
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // a BOM from Windows editors
	vars := make(map[string]string)
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), maxDotEnvBytes)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(strings.TrimSuffix(sc.Text(), "\r"))
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if rest, ok := strings.CutPrefix(line, "export"); ok && rest != "" && (rest[0] == ' ' || rest[0] == '\t') {
			line = strings.TrimSpace(rest)
		}
		name, value, ok := strings.Cut(line, "=")
		if !ok {
			return nil, &dotEnvError{Line: n, Reason: "expected NAME=value"}
		}
		name = strings.TrimSpace(name)
		if !isEnvName(name) {
			return nil, &dotEnvError{Line: n, Reason: "invalid variable name (letters, digits and _ only)"}
		}
		v, err := parseDotEnvValue(strings.TrimSpace(value))
		if err != nil {
			return nil, &dotEnvError{Line: n, Reason: err.Error()}
		}
		vars[name] = v
	}
	if err := sc.Err(); err != nil {
		return nil, &dotEnvError{Line: 0, Reason: "line too long"}
	}
	return vars, nil
}

func parseDotEnvValue(v string) (string, error) {
	if v == "" {
		return "", nil
	}
	switch q := v[0]; q {
	case '\'', '"':
		end := -1
		for i := 1; i < len(v); i++ {
			if q == '"' && v[i] == '\\' {
				i++
				continue
			}
			if v[i] == q {
				end = i
				break
			}
		}
		if end < 0 {
			return "", errors.New("unterminated quoted value")
		}
		if rest := strings.TrimSpace(v[end+1:]); rest != "" && !strings.HasPrefix(rest, "#") {
			return "", errors.New("unexpected text after the closing quote")
		}
		inner := v[1:end]
		if q == '"' {
			inner = strings.NewReplacer(`\n`, "\n", `\t`, "\t", `\"`, `"`, `\\`, `\`).Replace(inner)
		}
		return inner, nil
	}
	if i := strings.Index(v, " #"); i >= 0 {
		v = v[:i]
	}
	if i := strings.Index(v, "\t#"); i >= 0 {
		v = v[:i]
	}
	return strings.TrimSpace(v), nil
}

func isEnvName(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		switch {
		case c == '_', c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

func invalidUTF8At(b []byte) int {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size <= 1 {
			return i
		}
		i += size
	}
	return len(b)
}

// envWithDotEnv returns a getenv that prefers the real environment and falls
// back to the .env values. An empty real variable counts as unset, as it
// does everywhere else in the configuration.
func envWithDotEnv(getenv func(string) string, dotenv map[string]string) func(string) string {
	if len(dotenv) == 0 {
		return getenv
	}
	return func(name string) string {
		if v := getenv(name); strings.TrimSpace(v) != "" {
			return v
		}
		return dotenv[name]
	}
}
