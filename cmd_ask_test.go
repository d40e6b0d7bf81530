package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/attache-bot/attache/retrieval"
)

const sampleQuestion = "What guarantees is Iran demanding from the European countries?"

// citationRE finds [n] citations.
var citationRE = regexp.MustCompile(`\[(\d+)\]`)

// TestAskSampleOffline is the README's quick start: a fresh data directory,
// no keys, no network, and an answer with a citation from the bundled
// sample corpus.
func TestAskSampleOffline(t *testing.T) {
	c := newCLI(t)
	r := c.mustRun(0, "ask", sampleQuestion)
	for _, want := range []string{"[1]", "Sources:", "1. ", "2025-07-27", "guarantees"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("ask output lacks %q:\n%s", want, r.stdout)
		}
	}
	// One line on stderr says the sample was added; nothing else.
	if strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, "added the bundled sample corpus") {
		t.Errorf("ask on a fresh data directory: stderr is not the one line saying it was seeded:\n%s", r.stderr)
	}
}

// askObject decodes "ask -json" strictly: every field of interface.md, and
// only the documented optional extras.
type askObject struct {
	Question string `json:"question"`
	AsOf     string `json:"asof"`
	Answer   string `json:"answer"`
	Mode     string `json:"mode"`
	Sources  []struct {
		N         int     `json:"n"`
		ArticleID string  `json:"article_id"`
		Title     string  `json:"title"`
		Source    string  `json:"source"`
		Published string  `json:"published"`
		URL       string  `json:"url"`
		ChunkID   string  `json:"chunk_id"`
		Score     float64 `json:"score"`
		Label     string  `json:"label"`
		StoryID   string  `json:"story_id"`
		Also      []struct {
			ArticleID string `json:"article_id"`
			Source    string `json:"source"`
			URL       string `json:"url"`
			Label     string `json:"label"`
		} `json:"also"`
	} `json:"sources"`
	Uncited bool   `json:"uncited"`
	Note    string `json:"note"`
}

func decodeAsk(t *testing.T, out string) (askObject, map[string]json.RawMessage) {
	t.Helper()
	var obj askObject
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&obj); err != nil {
		t.Fatalf("ask -json output does not decode: %v\n%s", err, out)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"question", "asof", "answer", "mode", "sources"} {
		if _, ok := raw[key]; !ok {
			t.Errorf("ask -json lacks %q:\n%s", key, out)
		}
	}
	return obj, raw
}

// checkCitations checks the invariant of interface.md: every [n] in the
// answer names a source, and every source is cited; sources are numbered
// 1..len.
func checkCitations(t *testing.T, obj askObject) {
	t.Helper()
	cited := map[int]bool{}
	for _, m := range citationRE.FindAllStringSubmatch(obj.Answer, -1) {
		n, _ := strconv.Atoi(m[1])
		cited[n] = true
	}
	have := map[int]bool{}
	for i, s := range obj.Sources {
		if s.N != i+1 {
			t.Errorf("source %d is numbered %d", i+1, s.N)
		}
		have[s.N] = true
		if !cited[s.N] {
			t.Errorf("source [%d] %q is not cited in %q", s.N, s.Title, obj.Answer)
		}
		if s.ArticleID == "" || s.ChunkID == "" || s.Title == "" {
			t.Errorf("source [%d] lacks an id, chunk id or title: %+v", s.N, s)
		}
		if s.Published != "" {
			if _, err := time.Parse("2006-01-02", s.Published); err != nil {
				t.Errorf("source [%d] published %q is not YYYY-MM-DD", s.N, s.Published)
			}
		}
	}
	for n := range cited {
		if !have[n] {
			t.Errorf("answer cites [%d], which is not a source: %q", n, obj.Answer)
		}
	}
}

func TestAskJSON(t *testing.T) {
	c := newCLI(t)
	r := c.mustRun(0, "ask", "-json", "-asof", "2025-07-28", sampleQuestion)
	obj, _ := decodeAsk(t, r.stdout)
	if obj.Question != sampleQuestion || obj.AsOf != "2025-07-28" || obj.Mode != "extractive" {
		t.Errorf("ask -json = question %q, asof %q, mode %q; want the question, 2025-07-28, extractive",
			obj.Question, obj.AsOf, obj.Mode)
	}
	if len(obj.Sources) == 0 {
		t.Fatalf("ask -json has no sources:\n%s", r.stdout)
	}
	checkCitations(t, obj)
	if s := obj.Sources[0]; s.Published != "2025-07-27" {
		t.Errorf("sample source published %q, want 2025-07-27", s.Published)
	}

	// Flags after the question work too.
	r2 := c.mustRun(0, "ask", sampleQuestion, "-json", "-asof", "2025-07-28")
	obj2, _ := decodeAsk(t, r2.stdout)
	if obj2.Answer != obj.Answer {
		t.Errorf("flags after the question changed the answer: %q vs %q", obj2.Answer, obj.Answer)
	}
}

// TestAskNotCovered asks before the sample was published and about
// something the corpus does not mention: "none", no sources (an empty
// array, not null), and an answer that says so.
func TestAskNotCovered(t *testing.T) {
	c := newCLI(t)
	for _, args := range [][]string{
		{"ask", "-json", "-asof", "2025-07-01", sampleQuestion},
		{"ask", "-json", "Who won the curling championship in Reykjavik?"},
	} {
		r := c.mustRun(0, args...)
		obj, raw := decodeAsk(t, r.stdout)
		if obj.Mode != "none" || len(obj.Sources) != 0 || strings.TrimSpace(obj.Answer) == "" {
			t.Errorf("%v: mode %q, %d sources, answer %q; want none, 0, a \"not covered\" answer",
				args, obj.Mode, len(obj.Sources), obj.Answer)
		}
		if string(raw["sources"]) != "[]" {
			t.Errorf("%v: sources = %s, want []", args, raw["sources"])
		}
	}
}

func TestAskUsageErrors(t *testing.T) {
	c := newCLI(t)
	for _, args := range [][]string{
		{"ask"},
		{"ask", ""},
		{"ask", "   \t\n "},
		{"ask", "-asof", "yesterday", sampleQuestion},
		{"ask", "-asof", "2025-13-45", sampleQuestion},
		{"ask", "-bogus", sampleQuestion},
		{"ask", "-guild", "two words", sampleQuestion},
		{"ask", strings.Repeat("why ", 2500)}, // 10,000 characters
	} {
		t.Run(strings.Join(args, " ")[:min(40, len(strings.Join(args, " ")))], func(t *testing.T) {
			r := c.mustRun(2, args...)
			if r.stdout != "" {
				t.Errorf("a usage error printed to stdout:\n%s", r.stdout)
			}
		})
	}
}

// TestAskHostileQuestions: punctuation only, control characters and
// markup are questions like any other: an answer or "not covered", never a
// crash, and never a terminal escape sequence echoed back.
func TestAskHostileQuestions(t *testing.T) {
	c := newCLI(t)
	for _, q := range []string{"?!?...", "\x1b[2J\x1b[31m Iran?", `"; DROP TABLE articles; --`, "NEAR(iran guarantees) OR *", "Iran\u202e guarantees"} {
		r := c.mustRun(0, "ask", q)
		if strings.Contains(r.stdout, "\x1b") {
			t.Errorf("ask %q echoed an escape sequence:\n%q", q, r.stdout)
		}
	}
}

// TestAskSecretsNeverPrinted points attache at a language model server that
// rejects the key and echoes it back, as real providers do, and checks the
// failure is one clear line that does not contain the key, also with debug
// logs on.
func TestAskSecretsNeverPrinted(t *testing.T) {
	const key = "sk-proj-SECRETSECRETSECRET0123456789"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprintf(w, `{"error":{"message":"Incorrect API key provided: %s. You can find your API key at https://platform.openai.com/account/api-keys.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}`, r.Header.Get("Authorization"))
	}))
	defer srv.Close()
	c := newCLI(t)
	c.env["LLM_BASE_URL"] = srv.URL + "/v1"
	c.env["LLM_API_KEY"] = key
	c.env["LLM_MAX_RETRIES"] = "0"
	c.env["LOG_LEVEL"] = "debug"
	r := c.mustRun(1, "ask", sampleQuestion)
	if strings.Contains(r.stdout+r.stderr, "SECRETSECRET") {
		t.Errorf("the API key was printed:\n%s", r)
	}
	if !strings.Contains(r.stderr, "LLM") && !strings.Contains(r.stderr, "language model") {
		t.Errorf("the error does not say the language model failed:\n%s", r.stderr)
	}
}

func TestWriteAnswerText(t *testing.T) {
	ans := retrieval.Answer{
		Question: "q",
		AsOf:     time.Date(2025, 7, 28, 0, 0, 0, 0, time.UTC),
		Text:     "Iran wants guarantees [1]. Talks continue [2].",
		Mode:     retrieval.ModeExtractive,
		Sources: []retrieval.Source{
			{N: 1, Title: "Talks in \x1b[31mIstanbul", Source: "Wire", URL: "https://example.com/a", Published: time.Date(2025, 7, 27, 0, 0, 0, 0, time.UTC)},
			{N: 2, ArticleID: "abc"},
		},
		Note: "the language model was unavailable",
	}
	var b strings.Builder
	if err := writeAnswerText(&b, ans, ""); err != nil {
		t.Fatal(err)
	}
	want := "Iran wants guarantees [1]. Talks continue [2].\n\n" +
		"1 outlet: Wire\n\n" +
		"Sources:\n" +
		"1. Talks in [31mIstanbul — Wire, 2025-07-27, https://example.com/a\n" +
		"2. abc\n\n" +
		"Note: the language model was unavailable\n\n" +
		"(extractive answer, as of 2025-07-28)\n"
	if b.String() != want {
		t.Errorf("writeAnswerText =\n%q\nwant\n%q", b.String(), want)
	}

	// A stream that broke off (the answer is then extractive) is marked,
	// and the quoted answer follows it.
	b.Reset()
	writeAnswerText(&b, ans, "Iran wants gua")
	if !strings.Contains(b.String(), "[the generated answer above broke off]\n\n"+ans.Text) {
		t.Errorf("writeAnswerText did not mark a broken stream:\n%s", b.String())
	}

	// After a stream, the checked answer is repeated only if it differs.
	ans.Mode = retrieval.ModeLLM
	b.Reset()
	writeAnswerText(&b, ans, ans.Text)
	if strings.Contains(b.String(), "Iran wants") {
		t.Errorf("writeAnswerText repeated an identical streamed answer:\n%s", b.String())
	}
	b.Reset()
	writeAnswerText(&b, ans, "Iran wants guarantees [3].")
	if !strings.Contains(b.String(), "Checked answer") || !strings.Contains(b.String(), ans.Text) {
		t.Errorf("writeAnswerText did not show the checked answer after a different stream:\n%s", b.String())
	}
	b.Reset()
	ans.Uncited = true
	writeAnswerText(&b, ans, "")
	if !strings.Contains(b.String(), "Warning") {
		t.Errorf("writeAnswerText did not warn about an uncited answer:\n%s", b.String())
	}
}

// TestWriteAnswerTextStories: labels, the story's other outlets and the
// outlets line, with hostile outlet names made printable on one line.
func TestWriteAnswerTextStories(t *testing.T) {
	ans := retrieval.Answer{
		AsOf: time.Date(2025, 7, 28, 0, 0, 0, 0, time.UTC),
		Text: "At least 12 were killed [1].\n\nReports differ: Coastal Wire (wire) reports 12 dead [1]; Plains Herald reports 15 dead [2].",
		Mode: retrieval.ModeExtractive,
		Sources: []retrieval.Source{
			{N: 1, Title: "Blast", Source: "Coastal Wire", Label: "wire", StoryID: "s1", Also: []retrieval.Also{
				{ArticleID: "b", Source: "The Week", Label: "opinion"}, {ArticleID: "c", Source: "Coastal  Wire"},
				{ArticleID: "d", Source: "Evil\x1b[2J\nOutlet"}}},
			{N: 2, Title: "Toll rises", Source: "Plains Herald", StoryID: "s1"},
		},
	}
	var b strings.Builder
	if err := writeAnswerText(&b, ans, ""); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"\n4 outlets: Coastal Wire (wire), Plains Herald, The Week (opinion), Evil[2J Outlet\n",
		"1. Blast — Coastal Wire (wire); also reported by The Week (opinion), Evil[2J Outlet\n",
		"2. Toll rises — Plains Herald\n",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, b.String())
		}
	}
	if strings.Contains(b.String(), "\x1b") {
		t.Errorf("a control character reached the terminal:\n%q", b.String())
	}

	var j strings.Builder
	if err := writeAnswerJSON(&j, ans); err != nil {
		t.Fatal(err)
	}
	obj, _ := decodeAsk(t, j.String())
	if s := obj.Sources[0]; s.Label != "wire" || s.StoryID != "s1" || len(s.Also) != 3 || s.Also[0].ArticleID != "b" || s.Also[0].Label != "opinion" {
		t.Errorf("ask -json source: %+v", s)
	}
	if s := obj.Sources[1]; s.Label != "" || len(s.Also) != 0 || strings.Contains(j.String(), `"also": null`) {
		t.Errorf("ask -json leaves out what a source does not have: %+v\n%s", s, j.String())
	}
}

// TestAskJSONAssignedStory: articles ingested from a file are assigned
// their stories at ingest, and ask -json shows the story and the other
// outlet's report of it.
func TestAskJSONAssignedStory(t *testing.T) {
	c := newCLI(t)
	path := writeFile(t, c.dir, "ferry.jsonl", strings.Join([]string{
		jsonlRecord("ferry-cw", "Ferry Marisol sinks off Port Calder, 38 missing", "Coastal Wire", "2025-07-21",
			"The passenger ferry Marisol sank off Port Calder in Veloria early on Monday with 214 people aboard, and 38 remain missing, the coast guard said. "+
				"Captain Tomas Ferreira radioed for help at 3:40 a.m. as the vessel took on water in heavy seas. "+
				"Rescuers from Port Calder and the island of Brenna pulled 176 survivors from the water."),
		jsonlRecord("ferry-nl", "Search goes on for 38 missing after Marisol ferry disaster", "Northern Ledger", "2025-07-22",
			"Divers searched the wreck of the Marisol off Port Calder on Tuesday for the 38 people still missing after the ferry went down with 214 aboard. "+
				"Captain Tomas Ferreira is among the 176 rescued, officials in Veloria said."),
		jsonlRecord("rates", "Tessaly central bank raises rates to 6.5 percent", "Coastal Wire", "2025-07-22",
			"The central bank of Tessaly raised its main interest rate to 6.5 percent on Tuesday. Governor Oren Malik said inflation of 9.2 percent left no choice."),
	}, "\n")+"\n")
	c.mustRun(0, "ingest", path)
	r := c.mustRun(0, "ask", "-json", "-asof", "2025-07-28", "How many people are missing after the ferry Marisol sank off Port Calder?")
	obj, _ := decodeAsk(t, r.stdout)
	checkCitations(t, obj)
	found := false
	for _, s := range obj.Sources {
		if s.ArticleID != "ferry-cw" && s.ArticleID != "ferry-nl" {
			continue
		}
		if found {
			t.Fatalf("both reports of the ferry story are cited:\n%s", r.stdout)
		}
		found = true
		other := map[string]string{"ferry-cw": "ferry-nl", "ferry-nl": "ferry-cw"}[s.ArticleID]
		if s.StoryID == "" || len(s.Also) != 1 || s.Also[0].ArticleID != other {
			t.Fatalf("source %s: story %q, also %+v; want a story and %s listed with it:\n%s", s.ArticleID, s.StoryID, s.Also, other, r.stdout)
		}
	}
	if !found {
		t.Fatalf("the ferry story is not cited:\n%s", r.stdout)
	}
}
