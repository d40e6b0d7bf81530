package retrieval

import (
	"context"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/attache-bot/attache/vector"
)

func embedOne(t *testing.T, text string) []float32 {
	t.Helper()
	v, err := NewLocalEmbedder().EmbedQuery(context.Background(), text)
	if err != nil {
		t.Fatalf("EmbedQuery(%q): %v", text, err)
	}
	return v
}

func cosine(a, b []float32) float64 { return vector.Vector(a).Dot(b) }

func checkUnit(t *testing.T, name string, v []float32) {
	t.Helper()
	if len(v) != LocalEmbedderDim {
		t.Fatalf("%s: dim %d, want %d", name, len(v), LocalEmbedderDim)
	}
	var s float64
	for _, x := range v {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			t.Fatalf("%s: vector has %v", name, x)
		}
		s += float64(x) * float64(x)
	}
	if math.Abs(s-1) > 1e-4 {
		t.Fatalf("%s: norm² %v, want 1", name, s)
	}
}

func TestLocalEmbedderUnitAndDeterministic(t *testing.T) {
	e := NewLocalEmbedder()
	if e.Name() != LocalEmbedderName || e.Dim() != LocalEmbedderDim {
		t.Fatalf("Name/Dim = %q/%d", e.Name(), e.Dim())
	}
	texts := []string{
		"The foreign ministers of Norland and Vesteria met in Oslo on Tuesday.",
		"",
		"   \n\t ",
		"?!… — ;;; ...",
		"the of and which what",
		"Переговоры в Женеве завершились без соглашения.",
		"المفاوضات في جنيف انتهت دون اتفاق",
		"日内瓦的谈判没有达成协议",
		strings.Repeat("sanctions ", 20000),
		"\xff\xfe invalid utf-8 \xc3",
	}
	vs, err := e.Embed(context.Background(), texts)
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != len(texts) {
		t.Fatalf("%d vectors for %d texts", len(vs), len(texts))
	}
	for i, v := range vs {
		checkUnit(t, texts[i][:min(len(texts[i]), 30)], v)
	}
	again, _ := e.Embed(context.Background(), texts[:1])
	if !reflect.DeepEqual(again[0], vs[0]) {
		t.Fatal("embedding is not deterministic")
	}
	q := embedOne(t, texts[0])
	if !reflect.DeepEqual(q, vs[0]) {
		t.Fatal("EmbedQuery and Embed differ for the same text")
	}
}

func TestLocalEmbedderSimilarity(t *testing.T) {
	doc := embedOne(t, "Norland imposed new sanctions on Vesteria's shipping companies after the border incident.")
	related := embedOne(t, "Which country sanctioned Vesteria's shipping firms?")
	unrelated := embedOne(t, "The museum reopened its dinosaur gallery with a new skeleton.")
	if r, u := cosine(doc, related), cosine(doc, unrelated); r <= u+0.1 {
		t.Fatalf("related %.3f not clearly above unrelated %.3f", r, u)
	}
	// A misspelt name still shares most character n-grams.
	a := embedOne(t, "Ambassador Kowalczyk")
	b := embedOne(t, "Kowalczik")
	c := embedOne(t, "Ambassador")
	if cosine(b, a) <= 0.2 || cosine(b, a) <= cosine(b, c) {
		t.Fatalf("misspelling: cos %.3f (vs %.3f without the name)", cosine(b, a), cosine(b, c))
	}
}

func TestLocalEmbedderCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	e := NewLocalEmbedder()
	if _, err := e.Embed(ctx, []string{"a"}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Embed: %v", err)
	}
	if _, err := e.EmbedQuery(ctx, "a"); !errors.Is(err, context.Canceled) {
		t.Fatalf("EmbedQuery: %v", err)
	}
}

func BenchmarkLocalEmbed(b *testing.B) {
	text := strings.Repeat("The foreign ministers of Norland and Vesteria met in Oslo on Tuesday to discuss fishing quotas. ", 10)
	e := NewLocalEmbedder()
	ctx := context.Background()
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		if _, err := e.Embed(ctx, []string{text}); err != nil {
			b.Fatal(err)
		}
	}
}
