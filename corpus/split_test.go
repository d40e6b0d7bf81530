package corpus

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

var updateSplitGolden = flag.Bool("update-split", false, "rewrite corpus/testdata/split_*.golden")

// renderSplit shows sentences and chunks of body in a reviewable form.
func renderSplit(body string, opts SplitOptions) string {
	var b strings.Builder
	b.WriteString("## sentences\n")
	for _, s := range Sentences(body) {
		fmt.Fprintf(&b, "[%d,%d) %s\n", s.Start, s.End, strings.ReplaceAll(body[s.Start:s.End], "\n", "⏎"))
	}
	for _, o := range []SplitOptions{opts, {}} {
		fmt.Fprintf(&b, "## chunks target=%d max=%d\n", o.withDefaults().TargetBytes, o.withDefaults().MaxBytes)
		for _, c := range Split(Article{ID: "g", Body: body}, o) {
			fmt.Fprintf(&b, "--- %s [%d,%d) %d bytes\n%s\n", c.ID, c.Start, c.End, c.End-c.Start, c.Text)
		}
	}
	return b.String()
}

// TestSplitGolden compares Sentences and Split on the sample texts in
// testdata/split_*.txt with the reviewed output in split_*.golden.
// Run with -update-split to rewrite the golden files after a deliberate change.
func TestSplitGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "split_*.txt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no split_*.txt test data: %v", err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".txt")
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			a := Article{ID: "g", Title: "t", Body: string(raw)}
			a.Normalize()
			opts := SplitOptions{TargetBytes: 200, MaxBytes: 300}
			got := renderSplit(a.Body, opts)
			golden := filepath.Join("testdata", name+".golden")
			if *updateSplitGolden {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -run TestSplitGolden -update-split ./corpus/ to create it)", err)
			}
			if got != string(want) {
				t.Errorf("Split output differs from %s:\n%s", golden, splitFirstDiff(got, string(want)))
			}
			checkSplit(t, a.Body, opts)
			checkSplit(t, a.Body, SplitOptions{})
		})
	}
}

func splitFirstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return fmt.Sprintf("line %d:\n got: %s\nwant: %s", i+1, gl, wl)
		}
	}
	return ""
}

func TestSentences(t *testing.T) {
	cases := []struct {
		text string
		want []string
	}{
		{"", nil},
		{"   \n\t ", nil},
		{"One. Two.", []string{"One.", "Two."}},
		{"The U.S. envoy arrived. Talks began.", []string{"The U.S. envoy arrived.", "Talks began."}},
		{"Mr. Smith and Dr. Jones met Gen. Ortiz. They left.", []string{"Mr. Smith and Dr. Jones met Gen. Ortiz.", "They left."}},
		{"It rose 3.5 percent. Then it fell.", []string{"It rose 3.5 percent.", "Then it fell."}},
		{"Talks resume on Jan. 5 in Rome. Good.", []string{"Talks resume on Jan. 5 in Rome.", "Good."}},
		{"He spoke to John F. Kennedy Jr. at length. Fine.", []string{"He spoke to John F. Kennedy Jr. at length.", "Fine."}},
		{`He said "no." Then he left.`, []string{`He said "no."`, "Then he left."}},
		{"(It was late.) Everyone slept.", []string{"(It was late.)", "Everyone slept."}},
		{"Really?! Yes.", []string{"Really?!", "Yes."}},
		{"Wait... what happened? Nobody knows.", []string{"Wait... what happened?", "Nobody knows."}},
		{"Visit example.com today. Now.", []string{"Visit example.com today.", "Now."}},
		{"At 9 a.m. the talks began.", []string{"At 9 a.m. the talks began."}},
		{"Headline\nFirst sentence of the story.", []string{"Headline", "First sentence of the story."}},
		{"A wrapped\nsentence continues.", []string{"A wrapped\nsentence continues."}},
		{"Para one.\n\nPara two", []string{"Para one.", "Para two"}},
		{"no punctuation at all here", []string{"no punctuation at all here"}},
		{"Встреча прошла в Москве. Стороны договорились!", []string{"Встреча прошла в Москве.", "Стороны договорились!"}},
		{"هل انتهت المحادثات؟ نعم، انتهت.", []string{"هل انتهت المحادثات؟", "نعم، انتهت."}},
		{"گفت\u200cوگو ادامه دارد. آیا توافق می\u200cشود؟ هنوز نه۔", []string{"گفت\u200cوگو ادامه دارد.", "آیا توافق می\u200cشود؟", "هنوز نه۔"}},
		{"会谈结束了。双方满意！下次呢？", []string{"会谈结束了。", "双方满意！", "下次呢？"}},
		{"「前進している」と述べた。次へ。", []string{"「前進している」と述べた。", "次へ。"}},
		{"English first.中文第二。", []string{"English first.", "中文第二。"}},
		{"Ends without a stop", []string{"Ends without a stop"}},
		{"Sanctions were imposed by the U.S. The talks ended.", []string{"Sanctions were imposed by the U.S.", "The talks ended."}},
		{"The U.S. Open starts. U.S. Senate votes.", []string{"The U.S. Open starts.", "U.S. Senate votes."}},
		{"It ended at 9 p.m. The crowd left.", []string{"It ended at 9 p.m.", "The crowd left."}},
		{"It starts at 9 p.m. Friday.", []string{"It starts at 9 p.m. Friday."}},
		{"Bezos v. Musk went to court.", []string{"Bezos v. Musk went to court."}},
		{"Democratic Sens. Joe Manchin and Reps. Ann Lee voted.", []string{"Democratic Sens. Joe Manchin and Reps. Ann Lee voted."}},
		{"SACRAMENTO, Calif. — The governor spoke. He left.", []string{"SACRAMENTO, Calif. — The governor spoke.", "He left."}},
		{"She moved to Calif. Then she wrote.", []string{"She moved to Calif.", "Then she wrote."}},
	}
	for _, c := range cases {
		var got []string
		for _, s := range Sentences(c.text) {
			got = append(got, c.text[s.Start:s.End])
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("Sentences(%q)\n got %q\nwant %q", c.text, got, c.want)
		}
	}
}

func TestSplitBasics(t *testing.T) {
	if got := Split(Article{ID: "x", Body: ""}, SplitOptions{}); len(got) != 0 {
		t.Fatalf("empty body: %v", got)
	}
	if got := Split(Article{ID: "x", Body: " \n\t "}, SplitOptions{}); len(got) != 0 {
		t.Fatalf("blank body: %v", got)
	}
	got := Split(Article{ID: "art", Body: "  One sentence.  "}, SplitOptions{})
	want := []Chunk{{ID: "art#0", ArticleID: "art", Index: 0, Start: 2, End: 15, Text: "One sentence."}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("single sentence: %+v", got)
	}
	// Sentences are kept whole and grouped up to the target.
	body := strings.Repeat("This sentence has exactly fifty bytes in it, yes. ", 40)
	chunks := Split(Article{ID: "a", Body: body}, SplitOptions{TargetBytes: 200, MaxBytes: 300})
	for _, c := range chunks[:len(chunks)-1] {
		if !strings.HasSuffix(c.Text, "yes.") || len(c.Text) > 200 || len(c.Text) < 150 {
			t.Fatalf("chunk %q: want whole sentences, 150..200 bytes", c.Text)
		}
	}
	// Defaults give passages of a few sentences, within 500..700 bytes for ordinary prose.
	chunks = Split(Article{ID: "a", Body: body}, SplitOptions{})
	for _, c := range chunks[:len(chunks)-1] {
		if n := len(c.Text); n < 500 || n > 700 {
			t.Fatalf("default chunk of %d bytes", n)
		}
	}
	checkSplit(t, body, SplitOptions{})
	// A long sentence without spaces is cut after punctuation, not inside
	// words or numbers.
	csv := strings.Repeat("alpha,1,234,beta;", 200)
	for _, c := range Split(Article{ID: "a", Body: csv}, SplitOptions{TargetBytes: 100, MaxBytes: 150}) {
		if last := c.Text[len(c.Text)-1]; c.End < len(csv) && last != ',' && last != ';' {
			t.Fatalf("piece %q not cut after punctuation", c.Text)
		}
		if strings.HasSuffix(c.Text, "1,") && c.End < len(csv) {
			t.Fatalf("piece %q cut inside the number 1,234", c.Text)
		}
	}
	checkSplit(t, csv, SplitOptions{TargetBytes: 100, MaxBytes: 150})
	// Silly options are clamped, not obeyed into an endless loop.
	for _, o := range []SplitOptions{{TargetBytes: 1, MaxBytes: 1}, {TargetBytes: 5000, MaxBytes: 10}, {TargetBytes: -3, MaxBytes: -1}} {
		checkSplit(t, "Ünïcödé wörds everywhere, 中文字符也在这里。"+body, o)
	}
}

// checkSplit asserts the guarantees of Split and Sentences on body.
func checkSplit(t testing.TB, body string, opts SplitOptions) {
	t.Helper()
	o := opts.withDefaults()
	chunks := Split(Article{ID: "p", Body: body}, opts)
	if !reflect.DeepEqual(chunks, Split(Article{ID: "p", Body: body}, opts)) {
		t.Fatal("Split is not deterministic")
	}
	var spans []Span
	for i, c := range chunks {
		if c.ID != ChunkID("p", i) || c.ArticleID != "p" || c.Index != i {
			t.Fatalf("chunk %d has id %q article %q index %d", i, c.ID, c.ArticleID, c.Index)
		}
		if c.End-c.Start > o.MaxBytes {
			t.Fatalf("chunk %d is %d bytes, max %d", i, c.End-c.Start, o.MaxBytes)
		}
		spans = append(spans, Span{c.Start, c.End})
		if c.Text != body[c.Start:c.End] {
			t.Fatalf("chunk %d text != body[%d:%d]", i, c.Start, c.End)
		}
	}
	splitCheckSpans(t, body, spans, "chunk")
	// A boundary is between two sentences, or between two words; only a
	// word longer than MaxBytes may be cut.
	sentenceEdge := map[int]bool{}
	for _, s := range Sentences(body) {
		sentenceEdge[s.Start], sentenceEdge[s.End] = true, true
	}
	validText := utf8.ValidString(body) // words are only defined for valid text (Validate refuses the rest)
	for _, c := range chunks {
		if !validText {
			break
		}
		for _, at := range []int{c.Start, c.End} {
			if !sentenceEdge[at] && !canCut(body, at) {
				if n := unbreakableRun(body, at, o.MaxBytes); n < o.MaxBytes {
					t.Fatalf("chunk boundary %d is inside a %d-byte word of %q (only words longer than MaxBytes=%d may be cut)",
						at, n, body[max(0, at-20):min(len(body), at+20)], o.MaxBytes)
				}
			}
		}
	}
	splitCheckSpans(t, body, Sentences(body), "sentence")
}

// checkSpans asserts that spans are ordered, non-empty, trimmed, at rune
// boundaries, valid UTF-8 when body is, and cover every non-space
// character of body.
func splitCheckSpans(t testing.TB, body string, spans []Span, what string) {
	t.Helper()
	prev := 0
	valid := utf8.ValidString(body)
	for i, s := range spans {
		if s.Start < prev || s.End <= s.Start || s.End > len(body) {
			t.Fatalf("%s %d: bad span %v after %d (len %d)", what, i, s, prev, len(body))
		}
		if gap := body[prev:s.Start]; strings.TrimFunc(gap, unicode.IsSpace) != "" {
			t.Fatalf("%s %d: non-space text %q not covered", what, i, gap)
		}
		text := body[s.Start:s.End]
		if strings.TrimFunc(text, unicode.IsSpace) != text {
			t.Fatalf("%s %d: %q not trimmed", what, i, text)
		}
		if valid && !utf8.ValidString(text) {
			t.Fatalf("%s %d: %q cuts a rune", what, i, text)
		}
		prev = s.End
	}
	if tail := body[prev:]; strings.TrimFunc(tail, unicode.IsSpace) != "" {
		t.Fatalf("%s: trailing text %q not covered", what, tail)
	}
}

// unbreakableRun measures the run of positions around at where canCut
// forbids a cut: the length of the word at, or at least limit when the
// word is that long (the scan stops there to keep the check linear).
func unbreakableRun(body string, at, limit int) int {
	l := at
	for l > 0 && at-l < limit && !canCut(body, l) {
		l = prevRune(body, l)
	}
	r := at
	for r < len(body) && r-l < limit && !canCut(body, r) {
		_, n := utf8.DecodeRuneInString(body[r:])
		r += n
	}
	return r - l
}

// splitFragments build random texts that mix scripts, punctuation and spacing.
var splitFragments = []string{
	"talks", "the", "U.S.", "Mr.", "3.5", "Jan.", "5", "envoy", "co-operate", "don't",
	"Москва", "переговоры", "ещё", "المحادثات", "هل", "؟", "۔", "گفت\u200cوگو", "می\u200cشود",
	"会谈", "结束了", "。", "！", "？", "「", "」", "Ünïcödé", "e\u0301", "👍🏽", "\u200d",
	".", "!", "?", "...", "…", ",", ";", ":", `"`, "'", "(", ")", "-", "—", "/",
	" ", " ", " ", " ", "  ", "\n", "\n\n", "\t", "https://example.com/a?b=c",
	strings.Repeat("y", 130), strings.Repeat("长", 60),
}

func splitRandomText(rng *rand.Rand, n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.WriteString(splitFragments[rng.IntN(len(splitFragments))])
		if rng.IntN(3) > 0 {
			b.WriteByte(' ')
		}
	}
	return b.String()
}

func TestSplitProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(42, 7))
	optsList := []SplitOptions{{}, {TargetBytes: 50, MaxBytes: 80}, {TargetBytes: 120, MaxBytes: 120}, {TargetBytes: 16, MaxBytes: 16}}
	for i := 0; i < 400; i++ {
		text := splitRandomText(rng, 1+rng.IntN(600))
		for _, o := range optsList {
			checkSplit(t, text, o)
		}
	}
}

func FuzzSplit(f *testing.F) {
	for _, s := range []string{
		"", "One. Two.", "U.S. envoy. Mr. X.", "会谈结束了。双方满意！", "هل انتهت؟ نعم.",
		strings.Repeat("word ", 300), strings.Repeat("z", 2000), "a\n\nb\nc", "\xff\xfe bad utf8 \xc3",
	} {
		f.Add(s, 0, 0)
		f.Add(s, 40, 60)
	}
	f.Fuzz(func(t *testing.T, body string, target, maxBytes int) {
		if len(body) > 1<<16 {
			return
		}
		// Keep sizes in a range where a run finishes quickly.
		target, maxBytes = target%2000, maxBytes%2000
		checkSplit(t, body, SplitOptions{TargetBytes: target, MaxBytes: maxBytes})
	})
}

func BenchmarkSplit(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	body := splitRandomText(rng, 20000)
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		Split(Article{ID: "b", Body: body}, SplitOptions{})
	}
}
