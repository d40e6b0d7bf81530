package main

import (
	"errors"
	"strings"
	"testing"

	"github.com/attache-bot/attache/retrieval/llm/openaitest"
)

// TestAskWithLLM points attache at a fake OpenAI-compatible server whose
// reply cites a source that does not exist: the answer is generated, the
// invented citation is gone, and the JSON invariants hold.
func TestAskWithLLM(t *testing.T) {
	srv := openaitest.New(t)
	srv.SetAPIKey("sk-test-key-1234567890")
	srv.SetReply("Iran demands guarantees that the United States will not leave the deal again [1]. It also wants sanctions relief [7].")
	c := newCLI(t)
	c.env["LLM_BASE_URL"] = srv.URL()
	c.env["OPENAI_API_KEY"] = "sk-test-key-1234567890" // the fallback for LLM_API_KEY
	r := c.mustRun(0, "ask", "-json", "-asof", "2025-07-28", sampleQuestion)
	obj, _ := decodeAsk(t, r.stdout)
	if obj.Mode != "llm" {
		t.Fatalf("mode %q, want llm:\n%s", obj.Mode, r)
	}
	if strings.Contains(obj.Answer, "[7]") {
		t.Errorf("the invented citation [7] survived: %q", obj.Answer)
	}
	checkCitations(t, obj)
	if len(srv.ChatRequests()) != 1 {
		t.Errorf("%d chat requests, want 1", len(srv.ChatRequests()))
	}

	// The text output shows the checked answer and its sources.
	r = c.mustRun(0, "ask", "-asof", "2025-07-28", sampleQuestion)
	if !strings.Contains(r.stdout, "Sources:") || !strings.Contains(r.stdout, "generated answer") {
		t.Errorf("ask with an LLM:\n%s", r)
	}
}

// TestAskLLMFailures: a bad key or an unknown model is one clear line at
// start-up (exit 1); a model that fails mid-way still gives an answer, the
// extractive one, with a note.
func TestAskLLMFailures(t *testing.T) {
	srv := openaitest.New(t)
	srv.SetAPIKey("sk-right-key-0000000000")
	c := newCLI(t)
	c.env["LLM_BASE_URL"] = srv.URL()
	c.env["LLM_MAX_RETRIES"] = "0"

	c.env["LLM_API_KEY"] = "sk-wrong-key-WRONGWRONG"
	r := c.mustRun(1, "ask", sampleQuestion)
	if strings.Contains(r.stdout+r.stderr, "WRONGWRONG") {
		t.Errorf("the wrong key was printed:\n%s", r)
	}

	c.env["LLM_API_KEY"] = "sk-right-key-0000000000"
	srv.SetModels("some-other-model")
	r = c.mustRun(1, "ask", sampleQuestion)
	if !strings.Contains(r.stderr, "gpt-4o-mini") {
		t.Errorf("an unknown model: the error does not name it:\n%s", r)
	}

	srv.SetModels("gpt-4o-mini")
	srv.Script(openaitest.ServerError())
	r = c.mustRun(0, "ask", "-json", "-asof", "2025-07-28", sampleQuestion)
	obj, _ := decodeAsk(t, r.stdout)
	if obj.Mode != "extractive" || obj.Note == "" || len(obj.Sources) == 0 {
		t.Errorf("after a failed generation: mode %q, note %q, %d sources; want extractive, a note, sources",
			obj.Mode, obj.Note, len(obj.Sources))
	}
	checkCitations(t, obj)
}

// TestEmbeddingsProvider ingests and asks with an OpenAI-compatible
// embeddings API, then refuses to mix embedders when the provider is
// switched back, saying how to re-index.
func TestEmbeddingsProvider(t *testing.T) {
	srv := openaitest.New(t)
	c := newCLI(t)
	c.env["EMBED_PROVIDER"] = "openai"
	c.env["EMBED_BASE_URL"] = srv.URL()
	c.env["EMBED_BATCH_SIZE"] = "16"
	path := writeFile(t, c.dir, "e.jsonl", jsonlRecord("emb", "Plorvane talks resume in Geneva", "Wire", "2025-07-20",
		"The plorvane talks resumed in Geneva on Friday after a pause of two months."))
	c.mustRun(0, "ingest", path)
	obj, _ := decodeAsk(t, c.mustRun(0, "ask", "-json", "-asof", "2025-07-28", "Where did the plorvane talks resume?").stdout)
	if len(obj.Sources) == 0 || obj.Sources[0].ArticleID != "emb" {
		t.Errorf("ask with API embeddings: %+v", obj)
	}
	if len(srv.EmbeddingRequests()) == 0 {
		t.Errorf("no embeddings requests reached the API")
	}

	delete(c.env, "EMBED_PROVIDER")
	r := c.mustRun(1, "ask", "Where did the plorvane talks resume?")
	if !strings.Contains(r.stderr, "re-index") {
		t.Errorf("switching embedders: the error does not say how to re-index:\n%s", r)
	}
	// list and remove need only the library: they work whatever embedder
	// made the data directory, which is how an operator cleans up before
	// re-indexing.
	if ids := listIDs(t, c); ids["emb"] != 1 {
		t.Errorf("list with another embedder configured: %v", ids)
	}
	c.mustRun(0, "remove", "emb")
	if ids := listIDs(t, c); ids["emb"] != 0 {
		t.Errorf("remove with another embedder configured left the article: %v", ids)
	}
}

// TestEmbedDimensions sends EMBED_DIMENSIONS with every embeddings request
// and records it with the data: the same model at another length is refused
// until the directory is re-indexed.
func TestEmbedDimensions(t *testing.T) {
	srv := openaitest.New(t)
	c := newCLI(t)
	c.env["EMBED_PROVIDER"] = "openai"
	c.env["EMBED_BASE_URL"] = srv.URL()
	c.env["EMBED_DIMENSIONS"] = "256"
	path := writeFile(t, c.dir, "d.jsonl", jsonlRecord("dims", "Plorvane talks resume in Geneva", "Wire", "2025-07-20",
		"The plorvane talks resumed in Geneva on Friday after a pause of two months."))
	c.mustRun(0, "ingest", path)
	obj, _ := decodeAsk(t, c.mustRun(0, "ask", "-json", "-asof", "2025-07-28", "Where did the plorvane talks resume?").stdout)
	if len(obj.Sources) == 0 || obj.Sources[0].ArticleID != "dims" {
		t.Errorf("ask with 256-dimension embeddings: %+v", obj)
	}
	reqs := srv.EmbeddingRequests()
	if len(reqs) == 0 {
		t.Fatal("no embeddings requests reached the API")
	}
	for _, r := range reqs {
		if r.Dimensions != 256 {
			t.Fatalf("an embeddings request asked for %d dimensions, want 256", r.Dimensions)
		}
	}

	c.env["EMBED_DIMENSIONS"] = "512"
	if r := c.mustRun(1, "ask", "Where did the plorvane talks resume?"); !strings.Contains(r.stderr, "re-index") {
		t.Errorf("another EMBED_DIMENSIONS over the same data: the error does not say how to re-index:\n%s", r)
	}
	delete(c.env, "EMBED_DIMENSIONS")
	if r := c.mustRun(1, "ask", "Where did the plorvane talks resume?"); !strings.Contains(r.stderr, "re-index") {
		t.Errorf("the model's own length over 256-dimension data: the error does not say how to re-index:\n%s", r)
	}
}

// TestListRemoveNeedNoEmbeddingsAPI checks that list and remove on a
// directory made with the local embedder neither fail nor call the
// embeddings API when EMBED_PROVIDER=openai.
func TestListRemoveNeedNoEmbeddingsAPI(t *testing.T) {
	srv := openaitest.New(t)
	c := newCLI(t)
	c.mustRun(0, "ingest", writeFile(t, c.dir, "l.jsonl", jsonlRecord("loc", "Quenbrel summit ends", "Wire", "2025-07-20",
		"The quenbrel summit ended on Sunday without a joint statement.")))
	c.env["EMBED_PROVIDER"] = "openai"
	c.env["EMBED_BASE_URL"] = srv.URL()
	if ids := listIDs(t, c); ids["loc"] != 1 {
		t.Errorf("list: %v", ids)
	}
	c.mustRun(0, "remove", " loc ")
	c.mustRun(1, "remove", "loc")
	if ids := listIDs(t, c); ids["loc"] != 0 {
		t.Errorf("after remove: %v", ids)
	}
	if n := len(srv.EmbeddingRequests()); n != 0 {
		t.Errorf("list and remove made %d embeddings requests, want none", n)
	}
	// Asking still needs the matching embedder.
	if r := c.mustRun(1, "ask", "How did the quenbrel summit end?"); !strings.Contains(r.stderr, "re-index") {
		t.Errorf("ask with another embedder: %s", r)
	}
}

// TestAskLLMUnreachable: a language model that cannot be reached gives the
// extractive answer with the same note as one that fails with a 500 while
// answering; serve still refuses to start without it.
func TestAskLLMUnreachable(t *testing.T) {
	srv := openaitest.New(t)
	c := newCLI(t)
	c.env["LLM_BASE_URL"] = srv.URL()
	c.env["LLM_MAX_RETRIES"] = "0"
	srv.Script(openaitest.ServerError())
	failed, _ := decodeAsk(t, c.mustRun(0, "ask", "-json", "-asof", "2025-07-28", sampleQuestion).stdout)

	c.env["LLM_BASE_URL"] = "http://127.0.0.1:1/v1" // nothing listens on port 1
	r := c.mustRun(0, "ask", "-json", "-asof", "2025-07-28", sampleQuestion)
	obj, _ := decodeAsk(t, r.stdout)
	if obj.Mode != "extractive" || len(obj.Sources) == 0 || obj.Note != failed.Note || failed.Mode != "extractive" {
		t.Errorf("unreachable model: mode %q, note %q; after a 500: mode %q, note %q; want the same extractive answer and note",
			obj.Mode, obj.Note, failed.Mode, failed.Note)
	}
	checkCitations(t, obj)

	c.env["DISCORD_TOKEN"] = "test-token"
	if r := c.mustRun(1, "serve"); !strings.Contains(r.stderr, "language model") {
		t.Errorf("serve with an unreachable model:\n%s", r)
	}
}

// The operator's logger redacts configured secrets and the credentials,
// query strings and Discord tokens of URLs, in text and in JSON.
func TestLoggerRedacts(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		var buf strings.Builder
		cfg := config{LogFormat: format, LLMAPIKey: "sk-abcdef123", DiscordToken: "MTIz.bot-token.xyz"}
		log := newLogger(cfg, &buf, true)
		log.Error("interaction", "err", errors.New(`Patch "https://discord.com/api/v9/webhooks/1/interaction-token-1/messages/@original": timeout`),
			"key", "sk-abcdef123", "token", "MTIz.bot-token.xyz", "url", "http://u:pw@h.example/?q=1")
		for _, leak := range []string{"interaction-token-1", "sk-abcdef123", "bot-token", "u:pw", "q=1"} {
			if strings.Contains(buf.String(), leak) {
				t.Errorf("%s log leaks %q: %s", format, leak, buf.String())
			}
		}
	}
}
