package main

import (
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/attache-bot/attache/bot"
	"github.com/attache-bot/attache/corpus"
	"github.com/attache-bot/attache/corpus/feed"
	"github.com/attache-bot/attache/retrieval/llm"
)

// mapEnv is a getenv over a map.
func mapEnv(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestLoadConfigDefaults(t *testing.T) {
	c, err := loadConfig(mapEnv(nil))
	if err != nil {
		t.Fatalf("loadConfig(empty) error: %v", err)
	}
	// Only main's own settings get a default; the rest stay unset, for
	// the packages that use them to fill in.
	want := config{
		DataDir:       "./data",
		EmbedProvider: "local",
		LogLevel:      slog.LevelInfo,
		LogFormat:     "text",
	}
	if c != want {
		t.Errorf("loadConfig(empty) =\n%+v\nwant\n%+v", c, want)
	}
}

func TestLoadConfigValues(t *testing.T) {
	env := map[string]string{
		"DISCORD_TOKEN":              "  'Bot abc.def-123'  ",
		"DISCORD_API_BASE":           "http://127.0.0.1:8080/",
		"DISCORD_GUILD_ID":           `"123456789012345678"`,
		"ATTACHE_DATA_DIR":           " /var/lib/attache ",
		"ATTACHE_MODERATOR_ROLE":     "News Team",
		"ATTACHE_MAX_ARTICLE_BYTES":  "2_000_000",
		"ATTACHE_RATE_LIMIT":         "10",
		"ATTACHE_MAX_CONCURRENT":     "8",
		"ATTACHE_ALLOW_PRIVATE_URLS": "yes",
		"ATTACHE_MAX_FEEDS":          "5",
		"ATTACHE_FEED_INTERVAL":      "1h",
		"ATTACHE_RETENTION_DAYS":     "90",
		"LLM_BASE_URL":               "http://localhost:11434/v1/",
		"OPENAI_API_KEY":             "sk-fallback",
		"LLM_MODEL":                  "llama3.1",
		"LLM_TIMEOUT":                "90",
		"LLM_MAX_RETRIES":            "0",
		"EMBED_PROVIDER":             "OpenAI",
		"EMBED_MODEL":                "nomic-embed-text",
		"EMBED_BATCH_SIZE":           "64",
		"EMBED_DIMENSIONS":           "512",
		"EMBED_PARALLEL":             "2",
		"LOG_LEVEL":                  "DEBUG",
		"LOG_FORMAT":                 "json",
	}
	c, err := loadConfig(mapEnv(env))
	if err != nil {
		t.Fatalf("loadConfig error: %v", err)
	}
	want := config{
		DiscordToken:     "abc.def-123",
		DiscordAPIBase:   "http://127.0.0.1:8080",
		DiscordGuildID:   "123456789012345678",
		ModeratorRole:    "News Team",
		DataDir:          "/var/lib/attache",
		MaxArticleBytes:  2000000,
		RateLimit:        10,
		MaxConcurrent:    8,
		AllowPrivateURLs: true,
		MaxFeeds:         5,
		FeedInterval:     time.Hour,
		RetentionDays:    90,
		LLMBaseURL:       "http://localhost:11434/v1",
		LLMAPIKey:        "sk-fallback",
		LLMModel:         "llama3.1",
		LLMTimeout:       90 * time.Second,
		LLMMaxRetries:    -1, // LLM_MAX_RETRIES=0: none
		EmbedProvider:    "openai",
		EmbedBaseURL:     "http://localhost:11434/v1", // LLM's, by default
		EmbedAPIKey:      "sk-fallback",               // LLM's, by default
		EmbedModel:       "nomic-embed-text",
		EmbedBatchSize:   64,
		EmbedDimensions:  512,
		EmbedParallel:    2,
		LogLevel:         slog.LevelDebug,
		LogLevelSet:      true,
		LogFormat:        "json",
	}
	if c != want {
		t.Errorf("loadConfig =\n%+v\nwant\n%+v", c, want)
	}
}

func TestLoadConfigPrecedence(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		key  string // LLM key wanted
		ekey string // embeddings key wanted
		eurl string // embeddings base wanted
	}{
		{"LLM_API_KEY wins over OPENAI_API_KEY", map[string]string{"LLM_API_KEY": "k1", "OPENAI_API_KEY": "k2"}, "k1", "k1", ""},
		{"OPENAI_API_KEY is the fallback", map[string]string{"OPENAI_API_KEY": "k2"}, "k2", "k2", ""},
		{"empty LLM_API_KEY falls back", map[string]string{"LLM_API_KEY": "  ", "OPENAI_API_KEY": "k2"}, "k2", "k2", ""},
		{"embeddings have their own", map[string]string{
			"LLM_API_KEY": "k1", "EMBED_API_KEY": "e1",
			"LLM_BASE_URL": "https://llm.example/v1", "EMBED_BASE_URL": "https://emb.example/v1",
		}, "k1", "e1", "https://emb.example/v1"},
		{"embeddings default to the LLM's", map[string]string{"LLM_API_KEY": "k1", "LLM_BASE_URL": "https://llm.example/v1"},
			"k1", "k1", "https://llm.example/v1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := loadConfig(mapEnv(tt.env))
			if err != nil {
				t.Fatalf("loadConfig(%v) error: %v", tt.env, err)
			}
			if c.LLMAPIKey != tt.key || c.EmbedAPIKey != tt.ekey || c.EmbedBaseURL != tt.eurl {
				t.Errorf("loadConfig(%v): LLM key %q, embed key %q, embed URL %q; want %q, %q, %q",
					tt.env, c.LLMAPIKey, c.EmbedAPIKey, c.EmbedBaseURL, tt.key, tt.ekey, tt.eurl)
			}
		})
	}
}

func TestLoadConfigInvalid(t *testing.T) {
	long := strings.Repeat("x", maxEnvValueBytes+1)
	tests := []struct {
		name, key, value string
		extra            map[string]string
		wantVar          string // the variable the error must name
	}{
		{"api base with path", "DISCORD_API_BASE", "https://discord.com/api", nil, "DISCORD_API_BASE"},
		{"api base not a URL", "DISCORD_API_BASE", "discord.com", nil, "DISCORD_API_BASE"},
		{"api base ftp", "DISCORD_API_BASE", "ftp://discord.com", nil, "DISCORD_API_BASE"},
		{"api base with query", "DISCORD_API_BASE", "https://discord.com?x=1", nil, "DISCORD_API_BASE"},
		{"guild not digits", "DISCORD_GUILD_ID", "my-guild", nil, "DISCORD_GUILD_ID"},
		{"guild too long", "DISCORD_GUILD_ID", strings.Repeat("1", 21), nil, "DISCORD_GUILD_ID"},
		{"max bytes text", "ATTACHE_MAX_ARTICLE_BYTES", "lots", nil, "ATTACHE_MAX_ARTICLE_BYTES"},
		{"max bytes negative", "ATTACHE_MAX_ARTICLE_BYTES", "-1", nil, "ATTACHE_MAX_ARTICLE_BYTES"},
		{"max bytes zero", "ATTACHE_MAX_ARTICLE_BYTES", "0", nil, "ATTACHE_MAX_ARTICLE_BYTES"},
		{"max bytes overflow", "ATTACHE_MAX_ARTICLE_BYTES", "99999999999999999999999", nil, "ATTACHE_MAX_ARTICLE_BYTES"},
		{"max bytes float", "ATTACHE_MAX_ARTICLE_BYTES", "1e6", nil, "ATTACHE_MAX_ARTICLE_BYTES"},
		{"rate zero", "ATTACHE_RATE_LIMIT", "0", nil, "ATTACHE_RATE_LIMIT"},
		{"concurrency huge", "ATTACHE_MAX_CONCURRENT", "100000", nil, "ATTACHE_MAX_CONCURRENT"},
		{"bool", "ATTACHE_ALLOW_PRIVATE_URLS", "maybe", nil, "ATTACHE_ALLOW_PRIVATE_URLS"},
		{"feeds zero", "ATTACHE_MAX_FEEDS", "0", nil, "ATTACHE_MAX_FEEDS"},
		{"feeds text", "ATTACHE_MAX_FEEDS", "fifty", nil, "ATTACHE_MAX_FEEDS"},
		{"feed interval too short", "ATTACHE_FEED_INTERVAL", "10s", nil, "ATTACHE_FEED_INTERVAL"},
		{"feed interval words", "ATTACHE_FEED_INTERVAL", "hourly", nil, "ATTACHE_FEED_INTERVAL"},
		{"retention negative", "ATTACHE_RETENTION_DAYS", "-1", nil, "ATTACHE_RETENTION_DAYS"},
		{"retention huge", "ATTACHE_RETENTION_DAYS", "99999999", nil, "ATTACHE_RETENTION_DAYS"},
		{"retention words", "ATTACHE_RETENTION_DAYS", "a month", nil, "ATTACHE_RETENTION_DAYS"},
		{"llm url scheme", "LLM_BASE_URL", "javascript:alert(1)", nil, "LLM_BASE_URL"},
		{"llm url no host", "LLM_BASE_URL", "http://:8080", nil, "LLM_BASE_URL"},
		{"timeout words", "LLM_TIMEOUT", "a minute", nil, "LLM_TIMEOUT"},
		{"timeout negative", "LLM_TIMEOUT", "-5s", nil, "LLM_TIMEOUT"},
		{"timeout huge", "LLM_TIMEOUT", "9999999999999", nil, "LLM_TIMEOUT"},
		{"retries negative", "LLM_MAX_RETRIES", "-1", nil, "LLM_MAX_RETRIES"},
		{"provider", "EMBED_PROVIDER", "huggingface", nil, "EMBED_PROVIDER"},
		{"openai embeddings without a URL", "EMBED_PROVIDER", "openai", nil, "EMBED_BASE_URL"},
		{"batch zero", "EMBED_BATCH_SIZE", "0", nil, "EMBED_BATCH_SIZE"},
		{"dimensions negative", "EMBED_DIMENSIONS", "-256", nil, "EMBED_DIMENSIONS"},
		{"dimensions text", "EMBED_DIMENSIONS", "small", nil, "EMBED_DIMENSIONS"},
		{"dimensions huge", "EMBED_DIMENSIONS", "1000000", nil, "EMBED_DIMENSIONS"},
		{"parallel text", "EMBED_PARALLEL", "many", nil, "EMBED_PARALLEL"},
		{"log level", "LOG_LEVEL", "verbose", nil, "LOG_LEVEL"},
		{"log format", "LOG_FORMAT", "xml", nil, "LOG_FORMAT"},
		{"control characters", "ATTACHE_DATA_DIR", "data\x1b[2J", nil, "ATTACHE_DATA_DIR"},
		{"newline", "LLM_MODEL", "gpt\nrm -rf /", nil, "LLM_MODEL"},
		{"invalid UTF-8", "ATTACHE_MODERATOR_ROLE", "\xff\xfe", nil, "ATTACHE_MODERATOR_ROLE"},
		{"too long", "LLM_MODEL", long, nil, "LLM_MODEL"},
		{"token with spaces", "DISCORD_TOKEN", "two words", nil, "DISCORD_TOKEN"},
		{"key with newline", "LLM_API_KEY", "sk-abc\ndef", nil, "LLM_API_KEY"},
		{"database not a URL", "ATTACHE_DATABASE_URL", "host=db user=attache", nil, "ATTACHE_DATABASE_URL"},
		{"database other scheme", "ATTACHE_DATABASE_URL", "mysql://root:hunter2@db/attache", nil, "ATTACHE_DATABASE_URL"},
		{"database bad port", "ATTACHE_DATABASE_URL", "postgres://root:hunter2@db:99999/attache", nil, "ATTACHE_DATABASE_URL"},
		{"database bad sslmode", "ATTACHE_DATABASE_URL", "postgres://root:hunter2@db/attache?sslmode=bogus", nil, "ATTACHE_DATABASE_URL"},
		{"database opaque", "ATTACHE_DATABASE_URL", "postgres:root@db", nil, "ATTACHE_DATABASE_URL"},
		{"database control characters", "ATTACHE_DATABASE_URL", "postgres://db/x\x00;DROP SCHEMA public", nil, "ATTACHE_DATABASE_URL"},
		{"database too long", "ATTACHE_DATABASE_URL", "postgres://db/" + long, nil, "ATTACHE_DATABASE_URL"},
		{"shard id without a count", "ATTACHE_SHARD_ID", "1", nil, "ATTACHE_SHARD_COUNT"},
		{"shard count without an id", "ATTACHE_SHARD_COUNT", "4", nil, "ATTACHE_SHARD_ID"},
		{"shard id empty", "ATTACHE_SHARD_COUNT", "4", map[string]string{"ATTACHE_SHARD_ID": "  "}, "ATTACHE_SHARD_ID"},
		{"shard count empty", "ATTACHE_SHARD_ID", "0", map[string]string{"ATTACHE_SHARD_COUNT": "''"}, "ATTACHE_SHARD_COUNT"},
		{"shard count zero", "ATTACHE_SHARD_COUNT", "0", map[string]string{"ATTACHE_SHARD_ID": "0"}, "ATTACHE_SHARD_COUNT"},
		{"shard count negative", "ATTACHE_SHARD_COUNT", "-2", map[string]string{"ATTACHE_SHARD_ID": "0"}, "ATTACHE_SHARD_COUNT"},
		{"shard count huge", "ATTACHE_SHARD_COUNT", "99999999999999999999", map[string]string{"ATTACHE_SHARD_ID": "0"}, "ATTACHE_SHARD_COUNT"},
		{"shard count past the bound", "ATTACHE_SHARD_COUNT", "16385", map[string]string{"ATTACHE_SHARD_ID": "0"}, "ATTACHE_SHARD_COUNT"},
		{"shard count words", "ATTACHE_SHARD_COUNT", "four", map[string]string{"ATTACHE_SHARD_ID": "0"}, "ATTACHE_SHARD_COUNT"},
		{"shard id negative", "ATTACHE_SHARD_ID", "-1", map[string]string{"ATTACHE_SHARD_COUNT": "4"}, "ATTACHE_SHARD_ID"},
		{"shard id equal to the count", "ATTACHE_SHARD_ID", "4", map[string]string{"ATTACHE_SHARD_COUNT": "4"}, "ATTACHE_SHARD_ID"},
		{"shard id past the count", "ATTACHE_SHARD_ID", "17", map[string]string{"ATTACHE_SHARD_COUNT": "4"}, "ATTACHE_SHARD_ID"},
		{"shard id huge", "ATTACHE_SHARD_ID", "99999999999999999999", map[string]string{"ATTACHE_SHARD_COUNT": "4"}, "ATTACHE_SHARD_ID"},
		{"shard id float", "ATTACHE_SHARD_ID", "1.5", map[string]string{"ATTACHE_SHARD_COUNT": "4"}, "ATTACHE_SHARD_ID"},
		{"shard id words", "ATTACHE_SHARD_ID", "first", map[string]string{"ATTACHE_SHARD_COUNT": "4"}, "ATTACHE_SHARD_ID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{tt.key: tt.value}
			for k, v := range tt.extra {
				env[k] = v
			}
			_, err := loadConfig(mapEnv(env))
			if err == nil {
				t.Fatalf("loadConfig(%s=%q) succeeded, want an error", tt.key, tt.value)
			}
			var ce *configError
			if !errors.As(err, &ce) || ce.Var != tt.wantVar {
				t.Errorf("loadConfig(%s=%q) error %q does not name %s", tt.key, tt.value, err, tt.wantVar)
			}
			if len(tt.value) > 3 && tt.value != "openai" && strings.Contains(err.Error(), tt.value) {
				t.Errorf("loadConfig(%s=…) error %q repeats the value", tt.key, err)
			}
		})
	}
}

// TestLoadConfigShards: the shard pair is read as given, unset means one
// shard (the zero values, which bot reads as shard 0 of 1), and the last
// shard of a deployment is valid.
func TestLoadConfigShards(t *testing.T) {
	tests := []struct {
		id, count         string
		wantID, wantCount int
	}{
		{"", "", 0, 0},
		{"0", "1", 0, 1},
		{"0", "2", 0, 2},
		{" '3' ", "4", 3, 4},
		{"16383", "16_384", 16383, 16384},
	}
	for _, tt := range tests {
		c, err := loadConfig(mapEnv(map[string]string{"ATTACHE_SHARD_ID": tt.id, "ATTACHE_SHARD_COUNT": tt.count}))
		if err != nil {
			t.Errorf("ATTACHE_SHARD_ID=%q ATTACHE_SHARD_COUNT=%q: %v", tt.id, tt.count, err)
			continue
		}
		if c.ShardID != tt.wantID || c.ShardCount != tt.wantCount {
			t.Errorf("ATTACHE_SHARD_ID=%q ATTACHE_SHARD_COUNT=%q = shard %d of %d, want %d of %d",
				tt.id, tt.count, c.ShardID, c.ShardCount, tt.wantID, tt.wantCount)
		}
	}
}

// TestLoadConfigSecretsNeverInErrors puts a recognisable secret in every
// secret variable, breaks another variable, and checks the secret is not
// in the error.
func TestLoadConfigSecretsNeverInErrors(t *testing.T) {
	const secret = "sk-TOPSECRET-1234567890"
	for _, bad := range []string{"DISCORD_TOKEN", "LLM_API_KEY", "OPENAI_API_KEY", "EMBED_API_KEY"} {
		t.Run(bad, func(t *testing.T) {
			env := map[string]string{
				"DISCORD_TOKEN": secret, "LLM_API_KEY": secret, "OPENAI_API_KEY": secret, "EMBED_API_KEY": secret,
				"LOG_LEVEL": "loud",
			}
			env[bad] = secret + " with spaces\n" // invalid: must be rejected without echoing
			_, err := loadConfig(mapEnv(env))
			if err == nil {
				t.Fatalf("loadConfig with an invalid %s succeeded", bad)
			}
			if strings.Contains(err.Error(), "TOPSECRET") {
				t.Errorf("error %q contains the secret", err)
			}
		})
	}
}

// TestLoadConfigDatabaseURL: a PostgreSQL URL is taken as given (an
// empty one is unset), its password is a secret the logs redact, and an
// invalid one is refused without showing it.
func TestLoadConfigDatabaseURL(t *testing.T) {
	const u = "postgres://attache:pw-TOPSECRET@db.example:5432/news?search_path=attache&sslmode=disable"
	cfg, err := loadConfig(mapEnv(map[string]string{"ATTACHE_DATABASE_URL": " '" + u + "' "}))
	if err != nil || cfg.DatabaseURL != u {
		t.Fatalf("loadConfig = %q, %v; want %q", cfg.DatabaseURL, err, u)
	}
	if !slices.Contains(cfg.secrets(), "pw-TOPSECRET") {
		t.Errorf("secrets() = %q, want the database password among them", cfg.secrets())
	}
	if cfg, err := loadConfig(mapEnv(map[string]string{"ATTACHE_DATABASE_URL": "  "})); err != nil || cfg.DatabaseURL != "" {
		t.Errorf("an empty ATTACHE_DATABASE_URL = %q, %v; want unset", cfg.DatabaseURL, err)
	}
	_, err = loadConfig(mapEnv(map[string]string{"ATTACHE_DATABASE_URL": "postgres://attache:pw-TOPSECRET@db.example:notaport/news"}))
	if err == nil || strings.Contains(err.Error(), "TOPSECRET") || !strings.Contains(err.Error(), "ATTACHE_DATABASE_URL") {
		t.Errorf("an invalid URL gives %v; want an error naming the variable, without the password", err)
	}
}

func TestCleanValue(t *testing.T) {
	tests := map[string]string{
		"":                 "",
		"   ":              "",
		"abc":              "abc",
		"  abc  ":          "abc",
		`"abc"`:            "abc",
		`'abc'`:            "abc",
		`" abc "`:          "abc",
		`"abc'`:            `"abc'`,
		`"`:                `"`,
		`""`:               "",
		`"a "b" c"`:        `a "b" c`,
		"\t'x y'\n":        "x y",
		`"''"`:             "''",
		"'\"quoted\"'":     `"quoted"`,
		"\u00a0nbsp\u00a0": "nbsp",
	}
	for in, want := range tests {
		if got := cleanValue(in); got != want {
			t.Errorf("cleanValue(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseDotEnv(t *testing.T) {
	in := "# settings\n" +
		"\n" +
		"LLM_MODEL=llama3.1\n" +
		"export LLM_BASE_URL = http://localhost:11434/v1  # local Ollama\n" +
		"LLM_API_KEY='single # not a comment'\n" +
		"DISCORD_TOKEN=\"double \\\"quoted\\\" \\n value\"\r\n" +
		"EMPTY=\n" +
		"HASH=a#b\n" +
		"exported=lower\n" +
		"NO_EXPAND=${HOME}/x\n"
	got, err := parseDotEnv([]byte("\xef\xbb\xbf" + in))
	if err != nil {
		t.Fatalf("parseDotEnv error: %v", err)
	}
	want := map[string]string{
		"LLM_MODEL":     "llama3.1",
		"LLM_BASE_URL":  "http://localhost:11434/v1",
		"LLM_API_KEY":   "single # not a comment",
		"DISCORD_TOKEN": "double \"quoted\" \n value",
		"EMPTY":         "",
		"HASH":          "a#b",
		"exported":      "lower",
		"NO_EXPAND":     "${HOME}/x",
	}
	if len(got) != len(want) {
		t.Errorf("parseDotEnv = %q, want %q", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("parseDotEnv: %s = %q, want %q", k, got[k], v)
		}
	}
}

func TestParseDotEnvMalformed(t *testing.T) {
	const secret = "sk-TOPSECRET-1234567890"
	tests := []struct {
		name string
		in   string
		line int
	}{
		{"no equals", "A=1\nJUST_A_NAME\n", 2},
		{"bad name", "A=1\n\nMY-KEY=1\n", 3},
		{"name starts with digit", "1A=1\n", 1},
		{"empty name", "=value\n", 1},
		{"unterminated double quote", "A=1\nLLM_API_KEY=\"" + secret + "\n", 2},
		{"unterminated single quote", "LLM_API_KEY='" + secret + "\n", 1},
		{"text after quote", "LLM_API_KEY='" + secret + "' trailing\n", 1},
		{"invalid UTF-8", "A=1\nB=2\nC=\xff\n", 3},
		{"secret in a bad line", "DISCORD_TOKEN " + secret + "\n", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseDotEnv([]byte(tt.in))
			var de *dotEnvError
			if !errors.As(err, &de) {
				t.Fatalf("parseDotEnv(%q) error = %v, want a line error", tt.in, err)
			}
			if de.Line != tt.line {
				t.Errorf("parseDotEnv(%q) error on line %d, want %d", tt.in, de.Line, tt.line)
			}
			if strings.Contains(err.Error(), "TOPSECRET") {
				t.Errorf("parseDotEnv error %q contains the secret", err)
			}
		})
	}
}

func TestReadDotEnv(t *testing.T) {
	dir := t.TempDir()
	if vars, err := readDotEnv(filepath.Join(dir, "missing.env")); err != nil || vars != nil {
		t.Errorf("readDotEnv(missing) = %v, %v; want nil, nil", vars, err)
	}
	path := filepath.Join(dir, ".env")
	if err := os.WriteFile(path, []byte("A=1\nbroken line\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := readDotEnv(path)
	if err == nil || !strings.Contains(err.Error(), path+":2:") {
		t.Errorf("readDotEnv(malformed) error = %v, want it to name %s:2", err, path)
	}
	if err := os.WriteFile(path, []byte(strings.Repeat("#", maxDotEnvBytes+1)), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := readDotEnv(path); err == nil {
		t.Errorf("readDotEnv(oversized) succeeded, want an error")
	}
	if _, err := readDotEnv(dir); err == nil {
		t.Errorf("readDotEnv(directory) succeeded, want an error")
	}
}

func TestEnvWithDotEnv(t *testing.T) {
	real := mapEnv(map[string]string{"A": "real", "B": "  "})
	get := envWithDotEnv(real, map[string]string{"A": "file", "B": "file", "C": "file"})
	for k, want := range map[string]string{"A": "real", "B": "file", "C": "file", "D": ""} {
		if got := get(k); got != want {
			t.Errorf("getenv(%q) = %q, want %q", k, got, want)
		}
	}
}

// TestEnvExampleMatchesConfig checks .env.example against the code: it
// parses as a .env file, it names every variable loadConfig reads, and its
// commented defaults, uncommented, give the default configuration. README.md
// names every variable too.
func TestEnvExampleMatchesConfig(t *testing.T) {
	data, err := os.ReadFile(".env.example")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := parseDotEnv(data); err != nil {
		t.Errorf(".env.example does not parse: %v", err)
	}
	var uncommented strings.Builder
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "#"); ok && len(rest) > 0 && rest[0] >= 'A' && rest[0] <= 'Z' && strings.Contains(rest, "=") {
			uncommented.WriteString(rest + "\n")
		}
	}
	example, err := parseDotEnv([]byte(uncommented.String()))
	if err != nil {
		t.Fatalf("the commented settings of .env.example do not parse: %v", err)
	}
	read := map[string]bool{}
	defaults, err := loadConfig(func(k string) string { read[k] = true; return "" })
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	for k := range read {
		if _, ok := example[k]; !ok {
			t.Errorf(".env.example does not list %s", k)
		}
		if !strings.Contains(string(readme), "`"+k+"`") {
			t.Errorf("README.md does not document %s", k)
		}
	}
	for k := range example {
		if !read[k] {
			t.Errorf(".env.example lists %s, which attache does not read", k)
		}
	}
	got, err := loadConfig(mapEnv(example))
	if err != nil {
		t.Fatalf("the defaults of .env.example are invalid: %v", err)
	}
	got.LogLevelSet = false // LOG_LEVEL=info is explicit there
	// The example spells the defaults out; unset, each package applies its
	// own. Both must come to the same settings.
	if got, want := effective(got), effective(defaults); got != want {
		t.Errorf("the defaults of .env.example give\n%+v\nthe packages' defaults are\n%+v", got, want)
	}
}

// effective is c with every unset setting replaced by the default of the
// package that uses it.
func effective(c config) config {
	set := func(p *int, def int) {
		if *p == 0 {
			*p = def
		}
	}
	if c.DiscordAPIBase == "" {
		c.DiscordAPIBase = bot.DefaultAPIBase
	}
	set(&c.MaxArticleBytes, corpus.DefaultMaxBodyBytes)
	set(&c.RateLimit, bot.DefaultRatePerMinute)
	set(&c.MaxConcurrent, bot.DefaultMaxConcurrent)
	set(&c.ShardCount, 1)
	set(&c.MaxFeeds, corpus.DefaultMaxFeeds)
	if c.FeedInterval == 0 {
		c.FeedInterval = feed.DefaultInterval
	}
	if c.LLMModel == "" {
		c.LLMModel = llm.DefaultModel
	}
	if c.LLMTimeout == 0 {
		c.LLMTimeout = llm.DefaultTimeout
	}
	set(&c.LLMMaxRetries, llm.DefaultMaxRetries)
	if c.EmbedModel == "" {
		c.EmbedModel = llm.DefaultEmbedModel
	}
	set(&c.EmbedBatchSize, llm.DefaultEmbedBatchSize)
	set(&c.EmbedParallel, llm.DefaultEmbedParallel)
	return c
}
