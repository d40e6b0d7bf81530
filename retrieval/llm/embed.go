package llm

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/attache-bot/attache/clip"
	"github.com/attache-bot/attache/vector"
	openai "github.com/sashabaranov/go-openai"
)

// OpenAI embedder defaults.
const (
	DefaultEmbedModel     = "text-embedding-3-small"
	DefaultEmbedBatchSize = 128
	DefaultEmbedParallel  = 4
	DefaultEmbedTimeout   = 60 * time.Second // one request, retries included
	// maxEmbedInputBytes bounds one text: OpenAI refuses inputs over 8,192
	// tokens, and 16 KB stays under that even for scripts that take a token
	// per character. Passages are far shorter; this guards odd input.
	maxEmbedInputBytes = 16 << 10
	// maxEmbedBatch is OpenAI's limit of inputs per request.
	maxEmbedBatch = 2048
)

// EmbedderConfig configures an Embedder. Only BaseURL is
// required.
type EmbedderConfig struct {
	// BaseURL is the root of an OpenAI-compatible API (ends in /v1 for
	// OpenAI, Ollama, vLLM, LM Studio).
	BaseURL string
	// APIKey is sent as a bearer token; empty sends none.
	APIKey string
	// Model is the embeddings model; "" = DefaultEmbedModel.
	Model string
	// Dimensions asks the API for vectors of this length (only models that
	// support it, e.g. text-embedding-3-*); 0 = the model's own.
	Dimensions int
	// BatchSize is how many texts go in one request; 0 =
	// DefaultEmbedBatchSize, at most 2048.
	BatchSize int
	// Parallel is how many requests run at once; 0 = DefaultEmbedParallel.
	Parallel int
	// Timeout bounds one request, retries included; 0 = DefaultEmbedTimeout.
	Timeout time.Duration
	// MaxRetries as in Config: 0 = DefaultMaxRetries, negative = none.
	MaxRetries int
	// QueryPrefix and DocumentPrefix are put before questions and passages,
	// for models trained with them (e.g. nomic-embed-text's
	// "search_query: " and "search_document: ").
	QueryPrefix, DocumentPrefix string
	// HTTPClient sends the requests; nil = a client of its own.
	HTTPClient *http.Client
	// Logger receives retry logs; nil = slog.Default().
	Logger *slog.Logger

	// Sleep waits between retries until d has passed or ctx is done,
	// returning ctx.Err() then; nil = SleepContext. Tests replace it to
	// skip the waits.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Embedder embeds with any OpenAI-compatible embeddings API: batched,
// several requests at once, results mapped back by index and normalised to
// unit length. Its Name is "openai:<model>" and its Dim is discovered from
// the API when it is made, so the library records both with the vectors.
// Safe for concurrent use.
type Embedder struct {
	apiClient
	cfg  EmbedderConfig
	host string
	dim  int
}

// NewEmbedder checks cfg and makes one small embeddings request to
// learn the vector length (and so that a wrong key or model fails at
// start-up, wrapping ErrAuth or ErrModel, in one line without the key).
func NewEmbedder(ctx context.Context, cfg EmbedderConfig) (*Embedder, error) {
	host, err := apiHost(cfg.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("embeddings: %w", err)
	}
	if cfg.Model == "" {
		cfg.Model = DefaultEmbedModel
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = DefaultEmbedBatchSize
	}
	cfg.BatchSize = min(cfg.BatchSize, maxEmbedBatch)
	if cfg.Parallel <= 0 {
		cfg.Parallel = DefaultEmbedParallel
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultEmbedTimeout
	}
	if cfg.Dimensions < 0 {
		return nil, fmt.Errorf("embeddings: negative dimensions %d", cfg.Dimensions)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	e := &Embedder{
		apiClient: newAPIClient(cfg.BaseURL, cfg.APIKey, cfg.HTTPClient, cfg.MaxRetries, cfg.Logger, cfg.Sleep),
		cfg:       cfg,
		host:      host,
	}

	vecs, err := e.request(ctx, []string{"dimension probe"})
	if err != nil {
		e.Close()
		return nil, err
	}
	e.dim = len(vecs[0])
	if cfg.Dimensions > 0 && e.dim != cfg.Dimensions {
		e.Close()
		return nil, fmt.Errorf("embeddings: asked %s for %d dimensions, got %d", cfg.Model, cfg.Dimensions, e.dim)
	}
	return e, nil
}

// Name is "openai:<model>", plus "@<dimensions>" when a length was asked for
// (the same model at two lengths makes incompatible vectors).
func (e *Embedder) Name() string {
	if e.cfg.Dimensions > 0 {
		return fmt.Sprintf("openai:%s@%d", e.cfg.Model, e.cfg.Dimensions)
	}
	return "openai:" + e.cfg.Model
}

// Dim is the vector length the API returned when the embedder was made.
func (e *Embedder) Dim() int { return e.dim }

// Close releases idle connections of the embedder's own connection pool.
func (e *Embedder) Close() { e.closeIdle() }

// EmbedQuery embeds one search query.
func (e *Embedder) EmbedQuery(ctx context.Context, text string) ([]float32, error) {
	vecs, err := e.request(ctx, []string{e.cfg.QueryPrefix + text})
	if err != nil {
		return nil, err
	}
	return vecs[0], nil
}

// Embed embeds passages: BatchSize texts per request, up to Parallel
// requests at once. The first failure cancels the rest.
func (e *Embedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	if len(texts) == 0 {
		return nil, nil
	}
	out := make([][]float32, len(texts))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg       sync.WaitGroup
		once     sync.Once
		firstErr error
		sem      = make(chan struct{}, e.cfg.Parallel)
	)
	for start := 0; start < len(texts); start += e.cfg.BatchSize {
		end := min(start+e.cfg.BatchSize, len(texts))
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func(start, end int) {
			defer wg.Done()
			defer func() { <-sem }()
			batch := make([]string, end-start)
			for i, t := range texts[start:end] {
				batch[i] = e.cfg.DocumentPrefix + t
			}
			vecs, err := e.request(ctx, batch)
			if err != nil {
				once.Do(func() { firstErr = err; cancel() })
				return
			}
			copy(out[start:end], vecs)
		}(start, end)
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// request embeds one batch and checks the response: one vector per text,
// mapped by index, all of the same length, none zero; each normalised.
func (e *Embedder) request(ctx context.Context, texts []string) ([][]float32, error) {
	ctx, cancel := context.WithTimeout(ctx, e.cfg.Timeout)
	defer cancel()
	input := make([]string, len(texts))
	for i, t := range texts {
		input[i] = embedInput(t)
	}
	res, err := e.client.CreateEmbeddings(ctx, openai.EmbeddingRequestStrings{
		Input:          input,
		Model:          openai.EmbeddingModel(e.cfg.Model),
		Dimensions:     e.cfg.Dimensions,
		EncodingFormat: openai.EmbeddingEncodingFormatFloat,
	})
	if err != nil {
		return nil, e.wrap(err)
	}
	if len(res.Data) != len(texts) {
		return nil, fmt.Errorf("%w: embeddings: asked for %d vectors, got %d", ErrUnavailable, len(texts), len(res.Data))
	}
	out := make([][]float32, len(texts))
	want := e.dim
	for _, d := range res.Data {
		if d.Index < 0 || d.Index >= len(texts) || out[d.Index] != nil {
			return nil, fmt.Errorf("%w: embeddings: bad or repeated index %d in the response", ErrUnavailable, d.Index)
		}
		v, err := unit(d.Embedding)
		if err != nil {
			return nil, fmt.Errorf("embeddings: text %d: %w", d.Index, err)
		}
		if want == 0 {
			want = len(v) // the probe: the first vector sets the length
		}
		if len(v) != want {
			return nil, fmt.Errorf("%w: embeddings: a vector of length %d where %d was expected", ErrUnavailable, len(v), want)
		}
		out[d.Index] = v
	}
	return out, nil
}

// errZeroVector: a zero vector has no direction, so it cannot be compared.
var errZeroVector = errors.New("the API returned a zero vector")

// unit returns v at unit length (an error for an empty, zero or
// non-finite vector, which has no direction to compare).
func unit(v []float32) ([]float32, error) {
	if len(v) == 0 {
		return nil, errors.New("the API returned an empty vector")
	}
	u, ok := vector.Vector(v).Unit()
	switch {
	case ok:
		return u, nil
	case vector.Vector(v).Dot(v) == 0:
		return nil, errZeroVector
	}
	return nil, errors.New("the API returned a vector with non-finite values")
}

// embedInput makes a text acceptable to embeddings APIs: never empty (they
// refuse ""), never longer than maxEmbedInputBytes (cut at a character).
func embedInput(t string) string {
	if strings.TrimSpace(t) == "" {
		return "."
	}
	return clip.Bytes(t, maxEmbedInputBytes)
}

// wrap turns an embeddings error into one secret-free line (see LLM.wrap).
func (e *Embedder) wrap(err error) error {
	return wrapAPIError("embed", "embeddings API at "+e.host, e.cfg.Model, e.cfg.APIKey, err)
}
