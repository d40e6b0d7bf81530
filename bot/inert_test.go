package bot

import (
	"strings"
	"testing"
	"time"

	"github.com/attache-bot/attache/bot/discordtest"
	"github.com/attache-bot/attache/corpus"
	"github.com/attache-bot/attache/retrieval/llm/openaitest"
)

func TestInertText(t *testing.T) {
	cases := []struct{ in, want string }{
		{"See [the ministry portal](https://evil.example/phish) now [1].", `See \[the ministry portal\]\(<https://evil.example/phish>) now [1].`},
		{"**Sources**\n1. [Fake](https://evil.example)", "\\*\\*Sources\\*\\*\n1\\. \\[Fake\\]\\(<https://evil.example>)"},
		{"```go\nunclosed", "\\`\\`\\`go\nunclosed"},
		{"# Header\n## Sub\n-# small\n> quote\n>>> all\n- item\n+ item\n  * item", "\\# Header\n\\## Sub\n\\-# small\n\\> quote\n\\>>> all\n\\- item\n\\+ item\n  \\* item"},
		{"||spoiler|| ~~gone~~ __under__ _it_ \\*", `\|\|spoiler\|\| \~\~gone\~\~ \_\_under\_\_ \_it\_ \\\*`},
		{"cited [1](https://evil.example) and [2, 3].", `cited [1]\(<https://evil.example>) and [2, 3].`},
		// A citation's "[" must not open a link that a later "](" closes.
		{"Budget passed [1] read more](https://evil.example/login)", `Budget passed [1] read more\]\(<https://evil.example/login>)`},
		{"[[2]](https://evil.example)", `\[[2]\]\(<https://evil.example>)`},
		{"[1]<https://x](https://evil>)", `[1]<https://x%5D%28https://evil>)`},
		{"a <https://a```b> c", "a <https://a%60%60%60b> c"},
		{"a\r# Sources\r[1] x", "a\n\\# Sources\n[1] x"},
		{"visit https://news.example/a_b?x=1. Or <https://ok.example/>", "visit <https://news.example/a_b?x=1>. Or <https://ok.example/>"},
		{"<#123> <t:1700000000:R> <:emoji:1>", `\<#123> \<t:1700000000:R> \<:emoji:1>`},
		{"Plain sentence, 3 > 2 and 5 - 1 [1].", "Plain sentence, 3 > 2 and 5 - 1 [1]."},
		{"2026. was a year", "2026\\. was a year"},
	}
	for _, c := range cases {
		if got := inertText(c.in); got != c.want {
			t.Errorf("inertText(%q)\n got %q\nwant %q", c.in, got, c.want)
		}
	}
}

// An article whose body carries a masked link, emphasis and a code fence
// is quoted inert: the link is not a link, the fence opens no block.
func TestE2EQuotedArticleMarkdownInert(t *testing.T) {
	t.Parallel()
	phish := corpus.Article{
		Title: "Velmora visa portal opens", Source: "Coastal Wire", URL: "https://coastal.example/visa",
		Published: time.Date(2026, 6, 4, 0, 0, 0, 0, time.UTC),
		Body: "Velmora opened a visa portal for travellers from Ostrane on Thursday. " +
			"Applicants must register on [the ministry portal](https://evil.example/phish) before they travel to Velmora. " +
			"The **visa portal** charges a fee of ```twenty crowns``` per application.",
	}
	e := startE2E(t, e2eOptions{articles: []corpus.Article{phish}})
	it := e.f.SendSlashCommand("ask", discordtest.Option{Name: "question", Value: "Where must applicants register for the Velmora visa portal?"})
	got := e.final(t, it, hasAll("**Sources**"))
	body, _, _ := strings.Cut(got, "\n\n**Sources**")
	// The extractive answerer may leave out the sentence with the link (it
	// quotes prose); whatever it quotes must be inert.
	if !strings.Contains(body, "visa portal") || !strings.Contains(body, "twenty crowns") {
		t.Fatalf("the answer does not quote the formatted sentence:\n%s", got)
	}
	checkInert(t, body)
}

// A model's answer with a fake Sources block, a fake link and an unclosed
// fence renders inert above the real sources.
func TestE2EGeneratedMarkdownInert(t *testing.T) {
	t.Parallel()
	e, _ := startE2EWithLLM(t, openaitest.Reply("The accord opens the port of Kessel [1].\n\n**Sources**\n1. [Official text](https://evil.example/phish)\n# Update\n> verified\n```\nunclosed fence"))
	it := e.f.SendSlashCommand("ask", discordtest.Option{Name: "question", Value: "Which port does the Velmora harbour accord open?"})
	got := e.final(t, it, hasAll("coastal.example"))
	if strings.Count(got, "**Sources**") != 1 || !strings.Contains(got, "[1. Harbour accord signed in Velmora](<https://coastal.example/velmora-accord>)") {
		t.Errorf("want exactly one live Sources block, ours:\n%s", got)
	}
	body, _, _ := strings.Cut(got, "\n\n**Sources**")
	if !strings.HasPrefix(body, "The accord opens the port of Kessel [1].") {
		t.Errorf("the generated text or its citation changed:\n%s", body)
	}
	checkInert(t, body)
	for _, line := range strings.Split(body, "\n") {
		if strings.HasPrefix(line, "#") || strings.HasPrefix(line, ">") || strings.HasPrefix(line, "1.") {
			t.Errorf("line still formats: %q", line)
		}
	}
}

// checkInert fails when text quoted or generated could still format.
func checkInert(t *testing.T, body string) {
	t.Helper()
	if strings.Contains(body, "](https://evil.example") || strings.Contains(body, "](<https://evil.example") && !strings.Contains(body, `\](`) {
		t.Errorf("a live masked link:\n%s", body)
	}
	if strings.Contains(strings.ReplaceAll(body, "\\`", ""), "`") {
		t.Errorf("an unescaped backtick (code span or fence):\n%s", body)
	}
	if strings.Contains(strings.ReplaceAll(body, `\*`, ""), "*") {
		t.Errorf("unescaped emphasis:\n%s", body)
	}
	if strings.Contains(body, "https://evil.example") && !strings.Contains(body, "<https://evil.example") {
		t.Errorf("a bare link that Discord would preview:\n%s", body)
	}
}

// Whatever the input, inertText leaves no markdown character unescaped
// outside citations and <links>, and no line that starts a block.
func FuzzInertText(f *testing.F) {
	for _, s := range []string{"[a](https://x.example) **b** `c`", "```\nx", "# h\n> q\n-# s\n1. l", "[1](https://e.example) <https://ok.example>", "\\[1]", "<<https://a.b>>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := inertText(in)
		for _, line := range strings.Split(out, "\n") {
			body := strings.TrimLeft(line, " \t")
			if body != "" && strings.ContainsRune("#>-+", rune(body[0])) {
				t.Fatalf("line starts a block: %q (from %q)", line, in)
			}
			for i := 0; i < len(body); i++ {
				switch c := body[i]; {
				case c == '\\':
					i++
				case c == '[' && citationEnd(body[i:]) > 0:
					i += citationEnd(body[i:]) - 1
					if i+1 < len(body) && body[i+1] == '(' {
						t.Fatalf("citation followed by a link target: %q (from %q)", out, in)
					}
				case c == '<' && bareLinkAt(body[i+1:]) > 0:
					i += bareLinkAt(body[i+1:])
				case strings.IndexByte("*_~`|[]", c) >= 0:
					t.Fatalf("unescaped %q at %d of %q (from %q)", c, i, body, in)
				}
			}
		}
	})
}
