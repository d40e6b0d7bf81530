package openaitest_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	openai "github.com/sashabaranov/go-openai"
	"go.uber.org/goleak"

	"github.com/attache-bot/attache/retrieval/llm/openaitest"
)

func client(srv *openaitest.Server, key string) *openai.Client {
	cfg := openai.DefaultConfig(key)
	cfg.BaseURL = srv.URL()
	return openai.NewClientWithConfig(cfg)
}

func chatReq(stream bool) openai.ChatCompletionRequest {
	r := openai.ChatCompletionRequest{Model: "gpt-4o-mini", Messages: []openai.ChatCompletionMessage{
		{Role: "system", Content: "be brief"}, {Role: "user", Content: "hello there"}}}
	if stream {
		r.StreamOptions = &openai.StreamOptions{IncludeUsage: true}
	}
	return r
}

// The SSE stream has the shape OpenAI sends: a role chunk, content chunks,
// a finish chunk, a usage chunk with no choices, then [DONE].
func TestStreamWireFormat(t *testing.T) {
	srv := openaitest.New(t)
	srv.SetReply("one two three")
	body := `{"model":"m","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}`
	resp, err := http.Post(srv.URL()+"/chat/completions", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	var events []string
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if line := sc.Text(); line != "" {
			events = append(events, line)
		}
	}
	if len(events) != 7 || events[len(events)-1] != "data: [DONE]" {
		t.Fatalf("events:\n%s", strings.Join(events, "\n"))
	}
	var usage struct {
		Choices []any          `json:"choices"`
		Usage   map[string]int `json:"usage"`
	}
	if err := json.Unmarshal([]byte(strings.TrimPrefix(events[5], "data: ")), &usage); err != nil ||
		len(usage.Choices) != 0 || usage.Usage["completion_tokens"] != 3 {
		t.Fatalf("usage chunk %q (%v)", events[5], err)
	}
	if !strings.Contains(events[4], `"finish_reason":"stop"`) {
		t.Fatalf("finish chunk %q", events[4])
	}
}

func TestChatWithGoOpenAI(t *testing.T) {
	srv := openaitest.New(t)
	srv.SetAPIKey("k-123456")
	srv.SetReply("Plain answer [1].")
	c := client(srv, "k-123456")
	resp, err := c.CreateChatCompletion(context.Background(), chatReq(false))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Choices[0].Message.Content != "Plain answer [1]." || resp.Choices[0].FinishReason != "stop" {
		t.Fatalf("resp %+v", resp)
	}
	st, err := c.CreateChatCompletionStream(context.Background(), chatReq(true))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var text strings.Builder
	var usage *openai.Usage
	for {
		ch, err := st.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if ch.Usage != nil {
			usage = ch.Usage
		}
		if len(ch.Choices) > 0 {
			text.WriteString(ch.Choices[0].Delta.Content)
		}
	}
	if text.String() != "Plain answer [1]." || usage == nil {
		t.Fatalf("streamed %q, usage %v", text.String(), usage)
	}
	reqs := srv.ChatRequests()
	if len(reqs) != 2 || reqs[0].Stream || !reqs[1].Stream || !reqs[1].IncludeUsage ||
		reqs[1].Messages[1] != (openaitest.Message{Role: "user", Content: "hello there"}) {
		t.Fatalf("recorded %+v", reqs)
	}
}

func TestScriptOrderAndErrors(t *testing.T) {
	srv := openaitest.New(t)
	srv.Script(openaitest.RateLimited(2500*time.Millisecond), openaitest.Unauthorized(), openaitest.Reply("third"))
	body := `{"model":"m","messages":[{"role":"user","content":"hi"}]}`
	post := func() *http.Response {
		resp, err := http.Post(srv.URL()+"/chat/completions", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}
	if r := post(); r.StatusCode != 429 || r.Header.Get("Retry-After") != "3" || r.Header.Get("Retry-After-Ms") != "2500" {
		t.Fatalf("first: %d %v", r.StatusCode, r.Header)
	}
	if r := post(); r.StatusCode != 401 {
		t.Fatalf("second: %d", r.StatusCode)
	}
	r := post()
	b, _ := io.ReadAll(r.Body)
	if r.StatusCode != 200 || !strings.Contains(string(b), `"third"`) {
		t.Fatalf("third: %d %s", r.StatusCode, b)
	}
	// The script is used up: the default reply again.
	b2, _ := io.ReadAll(post().Body)
	if !strings.Contains(string(b2), openaitest.DefaultReply) {
		t.Fatalf("after the script: %s", b2)
	}
}

func TestKeyAndModelChecks(t *testing.T) {
	srv := openaitest.New(t)
	srv.SetAPIKey("right")
	srv.SetModels("m1")
	_, err := client(srv, "wrong-key-value").CreateChatCompletion(context.Background(), chatReq(false))
	var apiErr *openai.APIError
	if !errors.As(err, &apiErr) || apiErr.HTTPStatusCode != 401 || !strings.Contains(apiErr.Message, "wrong-key-value") {
		t.Fatalf("err = %v, want a 401 quoting the key (as OpenAI does)", err)
	}
	_, err = client(srv, "right").CreateChatCompletion(context.Background(), chatReq(false))
	if !errors.As(err, &apiErr) || apiErr.HTTPStatusCode != 404 || apiErr.Code != "model_not_found" {
		t.Fatalf("err = %v, want 404 model_not_found", err)
	}
	list, err := client(srv, "right").ListModels(context.Background())
	if err != nil || len(list.Models) != 1 || list.Models[0].ID != "m1" {
		t.Fatalf("models %+v, %v", list, err)
	}
}

func TestEmbeddings(t *testing.T) {
	srv := openaitest.New(t)
	srv.SetEmbeddingDim(8)
	srv.ReverseEmbeddings(true)
	c := client(srv, "")
	res, err := c.CreateEmbeddings(context.Background(), openai.EmbeddingRequestStrings{
		Input: []string{"alpha beta", "gamma"}, Model: "e"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Data) != 2 || res.Data[0].Index != 1 || len(res.Data[0].Embedding) != 8 {
		t.Fatalf("data %+v", res.Data)
	}
	want := openaitest.Vector("gamma", 8)
	for i := range want {
		if res.Data[0].Embedding[i] != want[i] {
			t.Fatalf("vector for index 1 = %v, want %v", res.Data[0].Embedding, want)
		}
	}
	b64, err := c.CreateEmbeddings(context.Background(), openai.EmbeddingRequestStrings{
		Input: []string{"gamma"}, Model: "e", EncodingFormat: openai.EmbeddingEncodingFormatBase64})
	if err != nil || len(b64.Data) != 1 || b64.Data[0].Embedding[0] != want[0] {
		t.Fatalf("base64: %+v, %v", b64.Data, err)
	}
	if got := srv.EmbeddingBatchSizes(); len(got) != 2 || got[0] != 2 || got[1] != 1 {
		t.Fatalf("batch sizes %v", got)
	}
	if v := openaitest.Vector("!!!", 4); v[0] != 1 {
		t.Fatalf("a text without words must not embed to zero: %v", v)
	}
}

func TestMalformedAndUnknown(t *testing.T) {
	srv := openaitest.New(t)
	resp, err := http.Post(srv.URL()+"/chat/completions", "application/json", strings.NewReader("{nope"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Fatalf("malformed body: %d, want 400", resp.StatusCode)
	}
	resp, err = http.Get(srv.URL() + "/files")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 || len(srv.Requests()) != 2 {
		t.Fatalf("unknown path: %d, %d recorded", resp.StatusCode, len(srv.Requests()))
	}
}

// Slow blocks until Release; Close unblocks whatever still waits, and the
// server leaves no goroutine behind.
func TestSlowReleaseAndClose(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	srv := openaitest.NewServer()
	hc := &http.Client{Transport: &http.Transport{}}
	defer hc.CloseIdleConnections()
	srv.Script(openaitest.Slow(openaitest.Reply("released")), openaitest.Slow())
	c := func() *openai.Client {
		cfg := openai.DefaultConfig("")
		cfg.BaseURL = srv.URL()
		cfg.HTTPClient = hc
		return openai.NewClientWithConfig(cfg)
	}()
	type result struct {
		text string
		err  error
	}
	first := make(chan result, 1)
	go func() {
		r, err := c.CreateChatCompletion(context.Background(), chatReq(false))
		if err != nil {
			first <- result{err: err}
			return
		}
		first <- result{text: r.Choices[0].Message.Content}
	}()
	<-srv.Blocked()
	srv.Release()
	if r := <-first; r.err != nil || r.text != "released" {
		t.Fatalf("after release: %+v", r)
	}
	second := make(chan error, 1)
	go func() {
		_, err := c.CreateChatCompletion(context.Background(), chatReq(false))
		second <- err
	}()
	<-srv.Blocked()
	srv.Close()
	select {
	case err := <-second:
		if err == nil {
			t.Fatal("a request cut by Close succeeded")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not unblock the slow request")
	}
	srv.Close() // idempotent
	hc.CloseIdleConnections()
}

// Example shows the fake serving a scripted failure and then an answer to
// a real go-openai client.
func Example() {
	srv := openaitest.NewServer()
	defer srv.Close()
	srv.Script(openaitest.ServerError())
	srv.SetReply("The talks resume on Monday [1].")

	cfg := openai.DefaultConfig("")
	cfg.BaseURL = srv.URL()
	c := openai.NewClientWithConfig(cfg)
	req := openai.ChatCompletionRequest{Model: "gpt-4o-mini", Messages: []openai.ChatCompletionMessage{{Role: "user", Content: "When?"}}}
	_, err := c.CreateChatCompletion(context.Background(), req)
	var apiErr *openai.APIError
	if errors.As(err, &apiErr) {
		fmt.Println("first call:", apiErr.HTTPStatusCode)
	}
	resp, _ := c.CreateChatCompletion(context.Background(), req)
	fmt.Println("second call:", resp.Choices[0].Message.Content)
	fmt.Println("requests:", len(srv.ChatRequests()))
	// Output:
	// first call: 500
	// second call: The talks resume on Monday [1].
	// requests: 2
}
