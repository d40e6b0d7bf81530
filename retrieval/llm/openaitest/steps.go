package openaitest

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"
)

type stepKind int

const (
	kindReply stepKind = iota
	kindStatus
	kindPlain
	kindSlow
	kindCutOff
	kindDisconnect
	kindStreamError
	kindEmptyChoices
	kindMalformed
	kindZeroVector
	kindMissingItem
)

// Step is one scripted response (see Server.Script). Build steps with the
// functions below; the zero Step replies with the default reply text.
type Step struct {
	kind       stepKind
	text       string
	finish     string
	status     int
	message    string
	code       string
	retryAfter time.Duration
	hasRetry   bool
	then       *Step
}

// Reply answers with text and finish_reason "stop" (streamed if the request
// asks for a stream). For embeddings it means "answer normally".
func Reply(text string) Step { return Step{kind: kindReply, text: text} }

// Truncated answers with text and finish_reason "length", as when the
// model hit its token limit.
func Truncated(text string) Step { return Step{kind: kindReply, text: text, finish: "length"} }

// FinishWith answers with text and the given finish_reason (e.g.
// "content_filter").
func FinishWith(text, reason string) Step { return Step{kind: kindReply, text: text, finish: reason} }

// RateLimited fails with 429 and an OpenAI rate_limit_exceeded error,
// sending Retry-After (whole seconds, rounded up) and retry-after-ms.
func RateLimited(retryAfter time.Duration) Step {
	return Step{kind: kindStatus, status: http.StatusTooManyRequests, code: "rate_limit_exceeded",
		message: "Rate limit reached for requests.", retryAfter: retryAfter, hasRetry: true}
}

// QuotaExceeded fails with 429 insufficient_quota, which is not worth
// retrying.
func QuotaExceeded() Step {
	return Step{kind: kindStatus, status: http.StatusTooManyRequests, code: "insufficient_quota",
		message: "You exceeded your current quota, please check your plan and billing details."}
}

// Fail fails with status and an OpenAI-shaped error carrying message.
func Fail(status int, message string) Step {
	return Step{kind: kindStatus, status: status, message: message}
}

// ServerError fails with 500.
func ServerError() Step {
	return Fail(http.StatusInternalServerError, "The server had an error while processing your request.")
}

// Unauthorized fails with 401 invalid_api_key, whatever key was sent.
func Unauthorized() Step {
	return Step{kind: kindStatus, status: http.StatusUnauthorized, code: "invalid_api_key",
		message: "Incorrect API key provided."}
}

// FailPlain fails with status and a body that is not OpenAI-shaped JSON
// (e.g. a proxy's HTML 502 page).
func FailPlain(status int, body string) Step {
	return Step{kind: kindPlain, status: status, message: body}
}

// Slow blocks until the client's context ends, Server.Release is called or
// the server closes; after Release it behaves as then (or, with no step, as
// the default reply).
func Slow(then ...Step) Step {
	st := Step{kind: kindSlow}
	if len(then) > 0 {
		t := then[0]
		st.then = &t
	}
	return st
}

// CutOff streams about the first half of text and then ends the response
// cleanly but early: no finish_reason and no [DONE], which a client sees as
// an ordinary end of stream.
func CutOff(text string) Step { return Step{kind: kindCutOff, text: text} }

// Disconnect streams about the first half of text and then drops the
// connection mid-response.
func Disconnect(text string) Step { return Step{kind: kindDisconnect, text: text} }

// StreamError streams about the first half of text and then an in-stream
// error event with message.
func StreamError(text, message string) Step {
	return Step{kind: kindStreamError, text: text, message: message}
}

// EmptyChoices answers 200 with an empty choices array.
func EmptyChoices() Step { return Step{kind: kindEmptyChoices} }

// Malformed answers 200 with a body that is not JSON.
func Malformed() Step { return Step{kind: kindMalformed} }

// ZeroVectors (embeddings) answers with all-zero vectors.
func ZeroVectors() Step { return Step{kind: kindZeroVector} }

// MissingItem (embeddings) answers with one vector fewer than asked for.
func MissingItem() Step { return Step{kind: kindMissingItem} }

func (st Step) finishReason() string {
	if st.finish != "" {
		return st.finish
	}
	return "stop"
}

// writeFailure writes the step's failure response, if it is one.
func (st Step) writeFailure(w http.ResponseWriter) bool {
	switch st.kind {
	case kindStatus:
		if st.hasRetry {
			secs := int(math.Ceil(st.retryAfter.Seconds()))
			w.Header().Set("Retry-After", strconv.Itoa(secs))
			w.Header().Set("Retry-After-Ms", strconv.FormatInt(st.retryAfter.Milliseconds(), 10))
		}
		typ := "invalid_request_error"
		if st.status >= 500 {
			typ = "server_error"
		}
		if st.status == http.StatusTooManyRequests {
			typ = "requests"
		}
		writeError(w, st.status, typ, st.code, st.message)
		return true
	case kindPlain:
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(st.status)
		fmt.Fprint(w, st.message)
		return true
	case kindMalformed:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		fmt.Fprint(w, "{not json")
		return true
	}
	return false
}
