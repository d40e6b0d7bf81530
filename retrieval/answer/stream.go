package answer

import (
	"strings"
)

// Stream passes a streamed answer on with its citations checked as
// CheckAs (DropInvented) would check the whole text: what it has
// emitted is always a prefix of the final text. It holds back a possible
// citation until its bracket closes (or is clearly not a citation),
// trailing whitespace until more text follows (a removed citation takes
// the space before it), and each sentence until settledPrefix has decided
// it: a sentence shows once it cites a real source, or once it has ended
// without an invented citation. A sentence whose only citations were
// invented is dropped from the final text, so it must never have been
// shown; the price is that an uncited sentence appears when the next one
// begins rather than word by word.
type Stream struct {
	n       int             // sources in the prompt
	out     func(string)    // the caller's onDelta
	raw     strings.Builder // everything the model sent
	sent    string          // what out has been given, in total
	started bool            // any leading thinking block is over
	start   int             // where the answer starts in raw
}

// NewStream returns a Stream for an answer written from n numbered
// sources, passing what is settled to out.
func NewStream(n int, out func(string)) *Stream { return &Stream{n: n, out: out} }

// maxPendingCitation is how far back an unclosed bracket still holds text
// back: citation groups are short.
const maxPendingCitation = 64

// Write takes the next piece of the model's text and passes on to out what
// is now settled.
func (f *Stream) Write(delta string) {
	f.raw.WriteString(delta)
	all := f.raw.String()
	if !f.started {
		// Nothing shows while a leading thinking block is open.
		k := ThinkEnd(all)
		if k < 0 {
			return
		}
		f.start, f.started = k, true
	}
	// Re-check the whole decided prefix: a group may renumber or vanish,
	// and a sentence be dropped.
	raw := all[f.start:]
	cut := len(raw)
	if i := strings.LastIndexAny(raw, "[［【"); i >= 0 && len(raw)-i <= maxPendingCitation &&
		!strings.ContainsAny(raw[i:], "]］】") {
		cut = i
	}
	cut = settledPrefix(raw[:cut], f.n)
	checked, _ := CheckAs(raw[:cut], f.n, DropInvented)
	f.emit(checked, false)
}

// ThinkEnd returns where the answer starts in raw: after a leading
// <think>…</think> block, which some local reasoning models (served by
// Ollama or vLLM without a reasoning parser) put in the content; 0 without
// one; -1 while such a block is (or may yet be) open.
func ThinkEnd(raw string) int {
	const open, closing = "<think>", "</think>"
	t := strings.TrimLeft(raw, " \t\r\n")
	if !strings.HasPrefix(t, open) {
		if strings.HasPrefix(open, t) && len(t) < len(open) {
			return -1
		}
		return 0
	}
	i := strings.Index(t, closing)
	if i < 0 {
		return -1
	}
	return len(raw) - len(t) + i + len(closing)
}

// emit sends whatever of text (trimmed, as the final text is) extends
// what was sent before. Should a re-check ever change text already sent
// (it cannot for well-formed citations), it sends nothing more and leaves
// the final Answer to set things right.
func (f *Stream) emit(text string, final bool) {
	body := strings.TrimSpace(text)
	if !final {
		// An opening bracket left over in the checked text may yet close
		// into a group ("[" + removed groups + "1]"): hold it back too.
		if i := strings.LastIndexAny(body, "[［【"); i >= 0 && len(body)-i <= maxPendingCitation &&
			!strings.ContainsAny(body[i:], "]］】") {
			body = strings.TrimSpace(body[:i])
		}
	}
	if len(body) <= len(f.sent) || !strings.HasPrefix(body, f.sent) {
		return
	}
	f.out(body[len(f.sent):])
	f.sent = body
}

// End sends the rest of the final text, if it extends what was sent.
func (f *Stream) End(final string) { f.emit(final, true) }
