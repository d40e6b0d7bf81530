package llm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/attache-bot/attache/clip"
	"github.com/attache-bot/attache/redact"
	openai "github.com/sashabaranov/go-openai"
)

// Chat client defaults.
const (
	DefaultModel     = "gpt-4o-mini"
	DefaultTimeout   = 60 * time.Second // one answer, retries included
	DefaultMaxTokens = 800              // answer length cap, in tokens
	// DefaultTemperature is sent when Config.Temperature is 0. go-openai
	// omits a temperature of exactly 0 from the request (the field is
	// "omitempty"), and servers then use their own default (often 0.7–1),
	// so "as deterministic as possible" has to be a small positive number.
	DefaultTemperature float32 = 0.01
	// checkTimeout bounds the start-up check.
	checkTimeout = 20 * time.Second
	// maxReplyBytes stops reading a runaway generation (a local server that
	// ignores the token limit); the text so far is kept as a truncated answer.
	maxReplyBytes = 32 << 10
)

// Sentinel errors of the language model client. Errors returned by Client
// and Embedder methods wrap one of them; their text never contains the API key.
var (
	// ErrAuth: the API rejected the key (401/403).
	ErrAuth = errors.New("the API rejected the API key")
	// ErrModel: the API does not know the model (404).
	ErrModel = errors.New("the API does not know the model")
	// ErrUnavailable: any other failure (unreachable, 5xx after retries,
	// rate limited, malformed or cut-off responses, timeouts).
	ErrUnavailable = errors.New("the language model is unavailable")
)

// ErrCutOff marks a stream that ended without a finish_reason: the server
// or the connection stopped it midway, and the text is incomplete. Errors
// that wrap it wrap ErrUnavailable too.
var ErrCutOff = errors.New("the answer stream was cut off")

// Config configures a Client. Only BaseURL is required.
type Config struct {
	// BaseURL is the root of an OpenAI-compatible API, e.g.
	// https://api.openai.com/v1 or Ollama's http://localhost:11434/v1.
	BaseURL string
	// APIKey is sent as a bearer token; empty sends none (local servers).
	APIKey string
	// Model is the chat model; "" = DefaultModel.
	Model string
	// Timeout bounds one answer's generation, retries included; 0 =
	// DefaultTimeout.
	Timeout time.Duration
	// MaxRetries is how many times a failed call is retried (429, 500, 502,
	// 503, 504, connection errors); 0 = DefaultMaxRetries, negative = none.
	MaxRetries int
	// MaxTokens caps the answer's length in tokens; 0 = DefaultMaxTokens.
	MaxTokens int
	// Temperature; 0 = DefaultTemperature (near-deterministic).
	Temperature float32
	// HTTPClient sends the requests (proxies, custom TLS, tests); nil = a
	// client of its own. It needs no overall Timeout: every call carries a
	// context deadline, and a Client.Timeout would cut long streams.
	HTTPClient *http.Client
	// Logger receives retry and failure logs (never the key); nil =
	// slog.Default().
	Logger *slog.Logger

	// Sleep waits between retries until d has passed or ctx is done,
	// returning ctx.Err() then; nil = SleepContext. Tests replace it to
	// skip the waits.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Client is a chat-model client for generated answers over any OpenAI-compatible
// API (OpenAI, Ollama, vLLM, LM Studio, llama.cpp server), through go-openai
// with retries, timeouts and secret-free errors. Safe for concurrent use.
type Client struct {
	apiClient
	cfg  Config
	host string // for messages: the API's host, never credentials
}

// New checks cfg and makes a client. It makes no network call; use Check
// to verify the key and the model at start-up.
func New(cfg Config) (*Client, error) {
	host, err := apiHost(cfg.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("language model: %w", err)
	}
	if cfg.Model == "" {
		cfg.Model = DefaultModel
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.MaxTokens <= 0 {
		cfg.MaxTokens = DefaultMaxTokens
	}
	if cfg.Temperature <= 0 {
		cfg.Temperature = DefaultTemperature
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	c := newAPIClient(cfg.BaseURL, cfg.APIKey, cfg.HTTPClient, cfg.MaxRetries, cfg.Logger, cfg.Sleep)
	return &Client{apiClient: c, cfg: cfg, host: host}, nil
}

// apiClient is the go-openai client shared by the chat model and the
// embedder: one configuration, requests retried by a retryDoer.
type apiClient struct {
	client *openai.Client
	hc     *http.Client
	owned  bool // hc was made here, so closeIdle may close its connections
}

// newAPIClient configures a go-openai client for an OpenAI-compatible API at
// base. hc nil means a connection pool of the client's own; sleep nil means
// the real retry wait.
func newAPIClient(base, key string, hc *http.Client, maxRetries int, logger *slog.Logger, sleep func(context.Context, time.Duration) error) apiClient {
	c := apiClient{hc: hc}
	if c.hc == nil {
		c.hc = newHTTPClient()
		c.owned = true
	}
	oc := openai.DefaultConfig(key)
	oc.BaseURL = strings.TrimRight(base, "/")
	rd := newRetryDoer(c.hc, maxRetries, logger)
	if sleep != nil {
		rd.sleep = sleep
	}
	oc.HTTPClient = rd
	c.client = openai.NewClientWithConfig(oc)
	return c
}

// closeIdle releases idle connections, but only of a pool made here: a
// caller's HTTP client is the caller's to manage.
func (c *apiClient) closeIdle() {
	if c.owned {
		c.hc.CloseIdleConnections()
	}
}

// newHTTPClient is a client with its own connection pool (so Close can
// release it) and the usual proxy settings, but no overall timeout.
func newHTTPClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.ResponseHeaderTimeout = 0 // a slow first token is bounded by the call's context
	return &http.Client{Transport: tr}
}

// apiHost validates an API base URL and returns its host for messages.
func apiHost(base string) (string, error) {
	if strings.TrimSpace(base) == "" {
		return "", errors.New("no API base URL")
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("API base URL %q is not an http(s) URL", redact.Text(base))
	}
	return u.Host, nil
}

// Model returns the chat model's name.
func (l *Client) Model() string { return l.cfg.Model }

// Close releases idle connections of the client's own connection pool.
func (l *Client) Close() { l.closeIdle() }

// Check verifies at start-up that the API accepts the key and knows the
// model. It returns nil, or one line wrapping ErrAuth, ErrModel or
// ErrUnavailable. It lists the models first (free); when the list does
// not settle it (servers without /models, aliases such as Ollama's
// "llama3.2" for "llama3.2:latest", Azure deployments), it asks the model
// for a one-token reply.
func (l *Client) Check(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, checkTimeout)
	defer cancel()
	list, err := l.client.ListModels(ctx)
	if err == nil && modelListed(list, l.cfg.Model) {
		return nil
	}
	if err != nil {
		// Only an HTTP answer other than "bad key" (e.g. 404: no /models
		// here) is worth a second try; an unreachable server is not.
		var apiErr *openai.APIError
		var reqErr *openai.RequestError
		httpAnswer := errors.As(err, &apiErr) || errors.As(err, &reqErr)
		if e := l.wrap("check", err); !httpAnswer || errors.Is(e, ErrAuth) || ctx.Err() != nil {
			return e
		}
	}
	req := l.request([]openai.ChatCompletionMessage{{Role: openai.ChatMessageRoleUser, Content: "Reply with OK."}}, 1)
	_, err = l.client.CreateChatCompletion(ctx, req)
	if err != nil {
		return l.wrap("check", err)
	}
	return nil
}

// modelListed reports whether model is in list, allowing for Ollama's
// implicit ":latest" tag.
func modelListed(list openai.ModelsList, model string) bool {
	for _, m := range list.Models {
		if m.ID == model || m.ID == model+":latest" || m.ID+":latest" == model {
			return true
		}
	}
	return false
}

// request builds a chat request. It sends the length cap as max_tokens,
// which every OpenAI-compatible server understands (some local servers
// read only max_tokens, not the newer max_completion_tokens), except to reasoning
// models (o1, o3, o4, gpt-5, …), which reject max_tokens and a temperature.
func (l *Client) request(msgs []openai.ChatCompletionMessage, maxTokens int) openai.ChatCompletionRequest {
	req := openai.ChatCompletionRequest{
		Model:       l.cfg.Model,
		Messages:    msgs,
		Temperature: l.cfg.Temperature,
	}
	//lint:ignore SA1019 max_tokens is the field local servers read; see above.
	req.MaxTokens = maxTokens
	if openai.NewReasoningValidator().Validate(req) != nil {
		//lint:ignore SA1019 cleared for reasoning models, which reject it.
		req.MaxTokens = 0
		req.Temperature = 0
		// Reasoning tokens count against the limit too.
		req.MaxCompletionTokens = 4*maxTokens + 16
	}
	return req
}

// Finish is why the model stopped generating.
type Finish string

// The finish reasons a caller acts on; servers may send others.
const (
	FinishStop          Finish = Finish(openai.FinishReasonStop)
	FinishLength        Finish = Finish(openai.FinishReasonLength)        // the token cap cut the text
	FinishContentFilter Finish = Finish(openai.FinishReasonContentFilter) // the provider withheld the text
)

// Usage is the token usage a server reported for one call, when it did.
type Usage struct {
	PromptTokens, CompletionTokens int
}

// Generation is what one streamed chat completion produced.
type Generation struct {
	Text   string
	Finish Finish
	Usage  Usage
}

// messages is the conversation of one call: instructions, then the user's
// turn.
func messages(system, user string) []openai.ChatCompletionMessage {
	return []openai.ChatCompletionMessage{
		{Role: openai.ChatMessageRoleSystem, Content: system},
		{Role: openai.ChatMessageRoleUser, Content: user},
	}
}

// Stream runs a streamed chat completion of the system and user messages,
// bounded by Config.Timeout, passing each piece of text to onDelta (which
// may be nil) as it arrives. It returns ErrCutOff (wrapped in
// ErrUnavailable) when the stream ends without a finish_reason, with the
// partial text in the Generation.
func (l *Client) Stream(ctx context.Context, system, user string, onDelta func(string)) (Generation, error) {
	return l.stream(ctx, messages(system, user), onDelta)
}

func (l *Client) stream(ctx context.Context, msgs []openai.ChatCompletionMessage, onDelta func(string)) (Generation, error) {
	ctx, cancel := context.WithTimeout(ctx, l.cfg.Timeout)
	defer cancel()
	req := l.request(msgs, l.cfg.MaxTokens)
	req.StreamOptions = &openai.StreamOptions{IncludeUsage: true}
	st, err := l.client.CreateChatCompletionStream(ctx, req)
	if err != nil {
		return Generation{}, l.wrap("answer", err)
	}
	defer st.Close()
	var (
		g  Generation
		sb strings.Builder
	)
	for {
		chunk, err := st.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			g.Text = sb.String()
			return g, l.wrap("answer", err)
		}
		if chunk.Usage != nil {
			g.Usage = Usage{PromptTokens: chunk.Usage.PromptTokens, CompletionTokens: chunk.Usage.CompletionTokens}
		}
		// The usage chunk has no choices; other servers may send empty
		// keep-alive chunks too.
		if len(chunk.Choices) == 0 {
			continue
		}
		c := chunk.Choices[0]
		if c.Delta.Content != "" {
			sb.WriteString(c.Delta.Content)
			if onDelta != nil {
				onDelta(c.Delta.Content)
			}
		}
		if c.FinishReason != "" {
			g.Finish = Finish(c.FinishReason)
		}
		if sb.Len() > maxReplyBytes {
			g.Finish = FinishLength
			break
		}
	}
	g.Text = sb.String()
	if g.Finish == "" {
		return g, l.wrap("answer", ErrCutOff)
	}
	return g, nil
}

// Complete runs a short non-streamed chat completion of the system and user
// messages, at most maxTokens long and bounded by timeout (a rewrite, say,
// that must not hold up the answer).
func (l *Client) Complete(ctx context.Context, system, user string, maxTokens int, timeout time.Duration) (string, error) {
	return l.complete(ctx, messages(system, user), maxTokens, timeout)
}

func (l *Client) complete(ctx context.Context, msgs []openai.ChatCompletionMessage, maxTokens int, timeout time.Duration) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	resp, err := l.client.CreateChatCompletion(ctx, l.request(msgs, maxTokens))
	if err != nil {
		return "", l.wrap("rewrite", err)
	}
	if len(resp.Choices) == 0 {
		return "", l.wrap("rewrite", errors.New("the reply had no choices"))
	}
	return resp.Choices[0].Message.Content, nil
}

// wrap turns a go-openai or transport error into one secret-free line that
// wraps a sentinel (and context errors, so callers can tell a cancellation).
func (l *Client) wrap(op string, err error) error {
	return wrapAPIError(op, "language model API at "+l.host, l.cfg.Model, l.cfg.APIKey, err)
}

// wrapAPIError is Client.wrap for any OpenAI-compatible API: where names it,
// model and key are for the message and the redaction.
func wrapAPIError(op, where, model, key string, err error) error {
	var apiErr *openai.APIError
	var reqErr *openai.RequestError
	status, msg, unknownModel := 0, "", false
	switch {
	case errors.As(err, &apiErr):
		status, msg = apiErr.HTTPStatusCode, apiErr.Message
		if code, ok := apiErr.Code.(string); ok && code == "model_not_found" {
			status, unknownModel = http.StatusNotFound, true
		}
	case errors.As(err, &reqErr):
		status, msg = reqErr.HTTPStatusCode, bodyMessage(reqErr.Body, reqErr.HTTPStatusCode)
	}
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		// The server's message may quote the key (OpenAI's does, partly
		// masked): leave it out altogether.
		return fmt.Errorf("%w (HTTP %d from %s)", ErrAuth, status, where)
	case status == http.StatusNotFound && (unknownModel || aboutModel(msg, model)):
		return fmt.Errorf("%w %q (HTTP 404 from %s)", ErrModel, model, where)
	case status == http.StatusNotFound:
		return fmt.Errorf("%w: %s: HTTP 404 from %s: no such endpoint (OpenAI-compatible base URLs usually end in /v1)",
			ErrUnavailable, op, where)
	case status != 0:
		return fmt.Errorf("%w: %s: HTTP %d from %s: %s", ErrUnavailable, op, status, where, redact.Text(oneLine(msg), key))
	case errors.Is(err, context.Canceled):
		return fmt.Errorf("%w: %s: %w", ErrUnavailable, op, context.Canceled)
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("%w: %s: no reply from %s in time: %w", ErrUnavailable, op, where, context.DeadlineExceeded)
	case errors.Is(err, ErrCutOff):
		return fmt.Errorf("%w: %s: %w", ErrUnavailable, op, ErrCutOff)
	}
	var uerr *url.Error
	if errors.As(err, &uerr) {
		err = uerr.Err // its text repeats the URL
	}
	return fmt.Errorf("%w: %s: %s: %s", ErrUnavailable, op, where, redact.Text(oneLine(err.Error()), key))
}

// aboutModel reports whether a 404's message is about the model (OpenAI's
// model_not_found, Ollama's "model … not found", vLLM's "The model `x` does
// not exist") rather than about the URL (a base URL without /v1).
func aboutModel(msg, model string) bool {
	if model != "" && strings.Contains(msg, model) {
		return true
	}
	lower := strings.ToLower(msg)
	return strings.Contains(lower, "model") && !strings.Contains(lower, "url") && !strings.Contains(lower, "path")
}

// bodyMessage extracts a readable message from an error body that is not
// OpenAI-shaped, e.g. vLLM's {"object":"error","message":…} or a proxy's
// HTML page (then just the status text).
func bodyMessage(body []byte, status int) string {
	var v struct {
		Message string `json:"message"`
		Detail  string `json:"detail"`
		Error   string `json:"error"`
	}
	if json.Unmarshal(body, &v) == nil {
		for _, m := range []string{v.Message, v.Detail, v.Error} {
			if m != "" {
				return m
			}
		}
	}
	return http.StatusText(status)
}

// oneLine collapses whitespace and bounds the length of a server message.
func oneLine(s string) string {
	return clip.Mark(strings.Join(strings.Fields(s), " "), 200)
}
