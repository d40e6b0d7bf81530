package answer

import (
	"fmt"
	"regexp"
	"strings"
)

// Conflict is one fact that two numbered sources state with different
// figures ("12 dead" in [1], "15 dead" in [2]). An answer shows both
// figures, each with its outlet and citation, rather than one of them or a
// blend.
type Conflict struct {
	// Fact is what the figures count, as package disagree names it:
	// "deaths", "injuries", "votes", "money: settlement", "count: home"...
	Fact string
	A, B Side
}

// Side is one outlet's figure in a Conflict.
type Side struct {
	N      int    // the source's number (1-based) among the passages
	Outlet string // as shown, label included: "Reuters (wire)"
	Figure string // as written in the source: "1,200", "$3.5 million"
}

// Sentence is the line an answer carries for c: "Reports differ: CNN
// reports 12 dead [1]; USA Today reports 15 dead [2]." The outlets are
// made plain text (one line, no citation look-alikes, no delimiters): they
// come from article metadata.
func (c Conflict) Sentence() string {
	return fmt.Sprintf("Reports differ: %s reports %s [%d]; %s reports %s [%d].",
		plainOutlet(c.A.Outlet), FactPhrase(c.Fact, c.A.Figure), c.A.N,
		plainOutlet(c.B.Outlet), FactPhrase(c.Fact, c.B.Figure), c.B.N)
}

// promptLine is c as the answer prompt states it to the model.
func (c Conflict) promptLine() string {
	return fmt.Sprintf("source %d (%s) gives %s; source %d (%s) gives %s",
		c.A.N, plainOutlet(c.A.Outlet), FactPhrase(c.Fact, c.A.Figure),
		c.B.N, plainOutlet(c.B.Outlet), FactPhrase(c.Fact, c.B.Figure))
}

// FactPhrase words a figure for a fact: "12 dead", "40 injured", "a
// settlement of $26 million", "turnout of 61 percent", "300 homes".
func FactPhrase(fact, figure string) string {
	figure = plainOutlet(figure)
	kind, thing, _ := strings.Cut(fact, ": ")
	switch kind {
	case "deaths":
		return figure + " dead"
	case "injuries":
		return figure + " injured"
	case "missing":
		return figure + " missing"
	case "arrests":
		return figure + " arrested"
	case "displaced":
		return figure + " displaced"
	case "votes":
		if strings.Contains(figure, "-") {
			return "a vote of " + figure
		}
		return figure + " votes"
	case "count":
		if thing != "" {
			return figure + " " + plural(thing)
		}
	case "percent":
		if thing != "" {
			return thing + " of " + figure
		}
	}
	if strings.HasPrefix(kind, "money") && thing != "" {
		return "a " + thing + " of " + figure
	}
	return figure
}

// plural is the plural of a singular noun as package disagree names
// counted things: "home" → "homes", "casualty" → "casualties".
func plural(w string) string {
	switch {
	case strings.HasSuffix(w, "y") && len(w) > 2 && !strings.ContainsRune("aeiou", rune(w[len(w)-2])):
		return w[:len(w)-1] + "ies"
	case strings.HasSuffix(w, "s"), strings.HasSuffix(w, "x"), strings.HasSuffix(w, "ch"), strings.HasSuffix(w, "sh"):
		return w + "es"
	}
	return w + "s"
}

// citationLike matches anything that could be read as a citation group.
var citationLike = regexp.MustCompile(`[\[［【\]］】]`)

// plainOutlet is an outlet name or figure fit to stand in generated text:
// one line, delimiter look-alikes and brackets (citation look-alikes)
// removed.
func plainOutlet(s string) string {
	s = neutralize(oneLineText(s))
	s = citationLike.ReplaceAllString(s, "")
	if s == "" {
		return "an unnamed outlet"
	}
	return s
}

// conflictLines are the conflicts as the prompt lists them.
func conflictLines(cs []Conflict) []string {
	out := make([]string, 0, len(cs))
	for _, c := range cs {
		out = append(out, c.promptLine())
	}
	return out
}
