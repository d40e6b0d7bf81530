// Package openaitest is a fake OpenAI-compatible API server for tests: chat
// completions (plain JSON and streamed as server-sent events), embeddings and
// the model list, with scripted failures. Real clients (go-openai) talk to it
// over loopback exactly as they would to OpenAI, Ollama or vLLM.
//
// Typical use:
//
//	srv := openaitest.New(t)              // closed by t.Cleanup
//	srv.SetReply("Iran wants guarantees [1].")
//	srv.Script(openaitest.RateLimited(0)) // the next chat request gets a 429 first
//	cfg.BaseURL = srv.URL()               // ends in /v1
//	... run the code under test ...
//	reqs := srv.ChatRequests()            // what the client sent, decoded
//
// Chat requests consume the steps given to Script in order; once they are
// used up every chat request gets the reply set by SetReply. Embeddings
// requests do the same with ScriptEmbeddings and otherwise return
// deterministic bag-of-words vectors (texts that share words get similar
// vectors), so retrieval over them behaves sensibly.
//
// Nothing in the server sleeps: a Slow step blocks until the client gives up
// (its context ends), Release is called, or the server closes. Blocked
// signals each time a Slow step starts waiting, so a test can act at exactly
// that point.
package openaitest

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"

	"github.com/attache-bot/attache/vector"
)

// DefaultReply is the chat reply before SetReply is called.
const DefaultReply = "The articles report this [1]."

// DefaultEmbeddingDim is the length of the fake embedding vectors.
const DefaultEmbeddingDim = 64

// maxBody bounds a request body the fake reads (a hostile or runaway client
// must not exhaust the test's memory).
const maxBody = 32 << 20

// Server is a running fake. All methods are safe for concurrent use.
type Server struct {
	ts *httptest.Server

	mu        sync.Mutex
	reply     string
	chat      []Step
	embed     []Step
	requests  []Request
	apiKey    string
	models    []string
	strict    bool // reject models not in the list
	dim       int
	reverse   bool
	release   chan struct{}
	closed    chan struct{}
	closeOnce sync.Once
	blocked   chan struct{}
}

// New starts a fake server on loopback and closes it when the test ends.
func New(t testing.TB) *Server {
	t.Helper()
	s := NewServer()
	t.Cleanup(s.Close)
	return s
}

// NewServer starts a fake server that the caller must Close (for use outside
// tests, e.g. a benchmark harness or a demo).
func NewServer() *Server {
	s := &Server{
		reply:   DefaultReply,
		models:  []string{"gpt-4o-mini", "text-embedding-3-small"},
		dim:     DefaultEmbeddingDim,
		release: make(chan struct{}),
		closed:  make(chan struct{}),
		blocked: make(chan struct{}, 1024),
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/chat/completions", s.handleChat)
	mux.HandleFunc("POST /v1/embeddings", s.handleEmbeddings)
	mux.HandleFunc("GET /v1/models", s.handleModels)
	mux.HandleFunc("GET /v1/models/{id...}", s.handleModel)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.record(r, nil)
		writeError(w, http.StatusNotFound, "invalid_request_error", "unknown_url",
			"Unknown request URL: "+r.Method+" "+r.URL.Path)
	})
	s.ts = httptest.NewServer(mux)
	return s
}

// URL is the API base URL, ending in /v1 (what OpenAI clients call BaseURL).
func (s *Server) URL() string { return s.ts.URL + "/v1" }

// Close unblocks every waiting Slow step, drops open connections and stops
// the server. It is idempotent.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.closed)
		s.ts.CloseClientConnections()
		s.ts.Close()
	})
}

// SetReply sets the chat reply given when no scripted step is pending.
func (s *Server) SetReply(text string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reply = text
}

// Script queues steps for the next chat completion requests, one step per
// request, in order.
func (s *Server) Script(steps ...Step) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.chat = append(s.chat, steps...)
}

// ScriptEmbeddings queues steps for the next embeddings requests. Reply
// steps (any text) mean "answer normally".
func (s *Server) ScriptEmbeddings(steps ...Step) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.embed = append(s.embed, steps...)
}

// SetAPIKey makes the server require "Authorization: Bearer key". A wrong
// or missing key gets a 401 whose message repeats the key it was sent, as
// OpenAI's does, so tests can check that clients never surface it.
func (s *Server) SetAPIKey(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.apiKey = key
}

// SetModels sets the model list and makes requests for any other model fail
// with 404 model_not_found. Without it every model name is accepted.
func (s *Server) SetModels(ids ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.models = append([]string(nil), ids...)
	s.strict = true
}

// SetEmbeddingDim sets the length of the embedding vectors (default 64).
func (s *Server) SetEmbeddingDim(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dim = max(n, 1)
}

// ReverseEmbeddings makes embeddings responses list their items in reverse
// order (with correct indexes), to check that clients map results by index.
func (s *Server) ReverseEmbeddings(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reverse = on
}

// Release lets every currently blocked Slow step proceed.
func (s *Server) Release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	close(s.release)
	s.release = make(chan struct{})
}

// Blocked receives a value each time a Slow step starts waiting.
func (s *Server) Blocked() <-chan struct{} { return s.blocked }

// Requests returns every request received so far, in arrival order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// ChatRequests returns the chat completion requests received so far.
func (s *Server) ChatRequests() []Request { return s.filter("/v1/chat/completions") }

// EmbeddingRequests returns the embeddings requests received so far.
func (s *Server) EmbeddingRequests() []Request { return s.filter("/v1/embeddings") }

// EmbeddingBatchSizes returns the number of inputs of each embeddings
// request, in arrival order.
func (s *Server) EmbeddingBatchSizes() []int {
	var n []int
	for _, r := range s.EmbeddingRequests() {
		n = append(n, len(r.Input))
	}
	return n
}

func (s *Server) filter(path string) []Request {
	var out []Request
	for _, r := range s.Requests() {
		if r.Path == path {
			out = append(out, r)
		}
	}
	return out
}

// Request is one recorded request, decoded.
type Request struct {
	Method        string
	Path          string
	Authorization string // the raw Authorization header
	Model         string
	Stream        bool
	IncludeUsage  bool     // stream_options.include_usage
	Temperature   *float64 // nil when the client left it out
	MaxTokens     int      // max_completion_tokens, else max_tokens
	Messages      []Message
	Input         []string // embeddings input
	Dimensions    int      // embeddings dimensions
	Body          []byte   // the raw body
}

// Message is one chat message of a request.
type Message struct {
	Role    string
	Content string
}

// wireRequest is the subset of the chat and embeddings request bodies the
// fake understands.
type wireRequest struct {
	Model    string `json:"model"`
	Messages []struct {
		Role    string          `json:"role"`
		Content json.RawMessage `json:"content"`
	} `json:"messages"`
	Stream        bool `json:"stream"`
	StreamOptions *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
	Temperature         *float64        `json:"temperature"`
	MaxTokens           int             `json:"max_tokens"`
	MaxCompletionTokens int             `json:"max_completion_tokens"`
	Input               json.RawMessage `json:"input"`
	Dimensions          int             `json:"dimensions"`
	EncodingFormat      string          `json:"encoding_format"`
}

// record decodes and stores r. It returns the decoded body, or nil with an
// error already written to w when the body is not valid JSON.
func (s *Server) record(r *http.Request, w http.ResponseWriter) *wireRequest {
	rec := Request{Method: r.Method, Path: r.URL.Path, Authorization: r.Header.Get("Authorization")}
	var wr *wireRequest
	var bad error
	if r.Body != nil && r.Method == http.MethodPost {
		body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
		rec.Body = body
		wr = new(wireRequest)
		if err == nil {
			err = json.Unmarshal(body, wr)
		}
		if err != nil {
			bad = err
			wr = nil
		} else {
			rec.Model = wr.Model
			rec.Stream = wr.Stream
			rec.IncludeUsage = wr.StreamOptions != nil && wr.StreamOptions.IncludeUsage
			rec.Temperature = wr.Temperature
			rec.MaxTokens = wr.MaxCompletionTokens
			if rec.MaxTokens == 0 {
				rec.MaxTokens = wr.MaxTokens
			}
			for _, m := range wr.Messages {
				rec.Messages = append(rec.Messages, Message{Role: m.Role, Content: contentText(m.Content)})
			}
			rec.Input = inputTexts(wr.Input)
			rec.Dimensions = wr.Dimensions
		}
	}
	s.mu.Lock()
	s.requests = append(s.requests, rec)
	s.mu.Unlock()
	if bad != nil && w != nil {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "", "We could not parse the JSON body of your request.")
	}
	return wr
}

// contentText returns a message's content: a string, or the text parts of
// an array of content parts.
func contentText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var parts []struct {
		Text string `json:"text"`
	}
	if json.Unmarshal(raw, &parts) == nil {
		var b strings.Builder
		for _, p := range parts {
			b.WriteString(p.Text)
		}
		return b.String()
	}
	return string(raw)
}

// inputTexts decodes an embeddings input: a string or an array of strings.
func inputTexts(raw json.RawMessage) []string {
	if len(raw) == 0 {
		return nil
	}
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []string{one}
	}
	var many []string
	if json.Unmarshal(raw, &many) == nil {
		return many
	}
	return nil
}

// authorize checks the key and the model; it writes the error and returns
// false when the request must be refused.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request, model string) bool {
	s.mu.Lock()
	key, strict, models := s.apiKey, s.strict, s.models
	s.mu.Unlock()
	if key != "" {
		got := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		if got != key {
			writeError(w, http.StatusUnauthorized, "invalid_request_error", "invalid_api_key",
				"Incorrect API key provided: "+got+". You can find your API key in your account settings.")
			return false
		}
	}
	if strict && model != "" && !contains(models, model) {
		writeError(w, http.StatusNotFound, "invalid_request_error", "model_not_found",
			"The model `"+model+"` does not exist or you do not have access to it.")
		return false
	}
	return true
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// next pops the next scripted step of queue q (chat or embeddings).
func (s *Server) next(embeddings bool) (Step, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := &s.chat
	if embeddings {
		q = &s.embed
	}
	if len(*q) == 0 {
		return Step{}, false
	}
	st := (*q)[0]
	*q = (*q)[1:]
	return st, true
}

// wait blocks a Slow step until the client leaves, Release, or Close. It
// reports whether the step should go on to its inner behaviour.
func (s *Server) wait(r *http.Request) bool {
	s.mu.Lock()
	rel := s.release
	s.mu.Unlock()
	select {
	case s.blocked <- struct{}{}:
	default:
	}
	select {
	case <-rel:
		return true
	case <-r.Context().Done():
		return false
	case <-s.closed:
		return false
	}
}

func (s *Server) handleChat(w http.ResponseWriter, r *http.Request) {
	wr := s.record(r, w)
	if wr == nil {
		return
	}
	if !s.authorize(w, r, wr.Model) {
		return
	}
	st, ok := s.next(false)
	if !ok {
		s.mu.Lock()
		st = Reply(s.reply)
		s.mu.Unlock()
	}
	for st.kind == kindSlow {
		if !s.wait(r) {
			return
		}
		if st.then == nil {
			s.mu.Lock()
			st = Reply(s.reply)
			s.mu.Unlock()
		} else {
			st = *st.then
		}
	}
	if st.writeFailure(w) {
		return
	}
	prompt := 0
	for _, m := range wr.Messages {
		prompt += len(strings.Fields(contentText(m.Content)))
	}
	usage := map[string]int{
		"prompt_tokens":     prompt,
		"completion_tokens": len(strings.Fields(st.text)),
		"total_tokens":      prompt + len(strings.Fields(st.text)),
	}
	if wr.Stream {
		s.stream(w, wr, st, usage)
		return
	}
	switch st.kind {
	case kindEmptyChoices:
		writeJSON(w, http.StatusOK, map[string]any{
			"id": "chatcmpl-fake", "object": "chat.completion", "created": time.Now().Unix(),
			"model": wr.Model, "choices": []any{}, "usage": usage,
		})
		return
	case kindCutOff, kindDisconnect, kindStreamError:
		// Non-streamed: the connection drops before a complete body.
		hijackClose(w)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"id": "chatcmpl-fake", "object": "chat.completion", "created": time.Now().Unix(), "model": wr.Model,
		"choices": []any{map[string]any{
			"index":         0,
			"message":       map[string]any{"role": "assistant", "content": st.text},
			"finish_reason": st.finishReason(),
		}},
		"usage": usage,
	})
}

// stream writes a chat completion as server-sent events, the way OpenAI
// does: a role chunk, content chunks (one per word), a final chunk with the
// finish reason, the usage chunk (empty choices) if asked for, [DONE].
func (s *Server) stream(w http.ResponseWriter, wr *wireRequest, st Step, usage map[string]int) {
	flusher, _ := w.(http.Flusher)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	created := time.Now().Unix()
	chunk := func(choices []any, u map[string]int) {
		m := map[string]any{"id": "chatcmpl-fake", "object": "chat.completion.chunk",
			"created": created, "model": wr.Model, "choices": choices}
		if u != nil {
			m["usage"] = u
		}
		b, _ := json.Marshal(m)
		fmt.Fprintf(w, "data: %s\n\n", b)
		if flusher != nil {
			flusher.Flush()
		}
	}
	delta := func(d map[string]any, finish any) []any {
		return []any{map[string]any{"index": 0, "delta": d, "finish_reason": finish}}
	}
	if st.kind == kindEmptyChoices {
		chunk([]any{}, nil)
		fmt.Fprint(w, "data: [DONE]\n\n")
		return
	}
	chunk(delta(map[string]any{"role": "assistant", "content": ""}, nil), nil)
	text := st.text
	if st.kind == kindCutOff || st.kind == kindDisconnect || st.kind == kindStreamError {
		text = firstHalf(text)
	}
	for _, piece := range strings.SplitAfter(text, " ") {
		if piece != "" {
			chunk(delta(map[string]any{"content": piece}, nil), nil)
		}
	}
	switch st.kind {
	case kindCutOff:
		return // ends the body cleanly: no finish_reason, no [DONE]
	case kindDisconnect:
		hijackClose(w)
		return
	case kindStreamError:
		b, _ := json.Marshal(map[string]any{"error": map[string]any{
			"message": st.message, "type": "server_error", "param": nil, "code": nil}})
		fmt.Fprintf(w, "data: %s\n\n", b)
		return
	}
	chunk(delta(map[string]any{}, st.finishReason()), nil)
	if wr.StreamOptions != nil && wr.StreamOptions.IncludeUsage {
		chunk([]any{}, usage)
	}
	fmt.Fprint(w, "data: [DONE]\n\n")
}

// firstHalf returns about the first half of text, cut at a space.
func firstHalf(text string) string {
	words := strings.SplitAfter(text, " ")
	return strings.Join(words[:(len(words)+1)/2], "")
}

// hijackClose drops the connection without finishing the response.
func hijackClose(w http.ResponseWriter) {
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		return
	}
	conn, _, err := hj.Hijack()
	if err == nil {
		_ = conn.Close()
	}
}

func (s *Server) handleEmbeddings(w http.ResponseWriter, r *http.Request) {
	wr := s.record(r, w)
	if wr == nil {
		return
	}
	if !s.authorize(w, r, wr.Model) {
		return
	}
	st, ok := s.next(true)
	for ok && st.kind == kindSlow {
		if !s.wait(r) {
			return
		}
		if st.then == nil {
			ok = false
		} else {
			st = *st.then
		}
	}
	if ok && st.writeFailure(w) {
		return
	}
	inputs := inputTexts(wr.Input)
	if len(inputs) == 0 {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "", "'input' must be a non-empty string or array of strings.")
		return
	}
	s.mu.Lock()
	dim, reverse := s.dim, s.reverse
	s.mu.Unlock()
	if wr.Dimensions > 0 {
		dim = wr.Dimensions
	}
	data := make([]map[string]any, 0, len(inputs))
	tokens := 0
	for i, text := range inputs {
		tokens += len(strings.Fields(text))
		vec := Vector(text, dim)
		if ok && st.kind == kindZeroVector {
			vec = make([]float32, dim)
		}
		var emb any = vec
		if wr.EncodingFormat == "base64" {
			buf := make([]byte, 4*len(vec))
			for j, v := range vec {
				binary.LittleEndian.PutUint32(buf[4*j:], math.Float32bits(v))
			}
			emb = base64.StdEncoding.EncodeToString(buf)
		}
		data = append(data, map[string]any{"object": "embedding", "index": i, "embedding": emb})
	}
	if ok && st.kind == kindMissingItem && len(data) > 0 {
		data = data[:len(data)-1]
	}
	if reverse {
		for i, j := 0, len(data)-1; i < j; i, j = i+1, j-1 {
			data[i], data[j] = data[j], data[i]
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"object": "list", "data": data, "model": wr.Model,
		"usage": map[string]int{"prompt_tokens": tokens, "total_tokens": tokens},
	})
}

// Vector is the fake's embedding of text: hashed word counts (lower-cased
// letters and digits), unnormalised, so that clients must normalise. A text
// without words gets a vector with a single 1, never a zero vector.
func Vector(text string, dim int) vector.Vector {
	v := make(vector.Vector, dim)
	words := strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
	for _, w := range words {
		h := fnv.New32a()
		_, _ = h.Write([]byte(w))
		v[h.Sum32()%uint32(dim)]++
	}
	if len(words) == 0 {
		v[0] = 1
	}
	return v
}

func (s *Server) handleModels(w http.ResponseWriter, r *http.Request) {
	s.record(r, nil)
	if !s.authorize(w, r, "") {
		return
	}
	s.mu.Lock()
	ids := append([]string(nil), s.models...)
	s.mu.Unlock()
	data := make([]map[string]any, 0, len(ids))
	for _, id := range ids {
		data = append(data, map[string]any{"id": id, "object": "model", "created": 0, "owned_by": "openaitest"})
	}
	writeJSON(w, http.StatusOK, map[string]any{"object": "list", "data": data})
}

func (s *Server) handleModel(w http.ResponseWriter, r *http.Request) {
	s.record(r, nil)
	id := r.PathValue("id")
	if !s.authorize(w, r, id) {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": id, "object": "model", "created": 0, "owned_by": "openaitest"})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeError writes an OpenAI-shaped error body.
func writeError(w http.ResponseWriter, status int, typ, code, message string) {
	var c any
	if code != "" {
		c = code
	}
	writeJSON(w, status, map[string]any{"error": map[string]any{
		"message": message, "type": typ, "param": nil, "code": c}})
}
