package corpus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/attache-bot/attache/clip"
	"github.com/attache-bot/attache/corpus/gazetteer"
	"github.com/attache-bot/attache/corpus/lang"
)

// This file holds what every library implementation (this package's
// SQLite library, package postgres) must do the same way, so that they
// accept the same articles and index the same terms.

// CheckPut verifies what a library's Put is given before it touches the
// database: a valid article with an id, its chunks as Split returns them,
// and one vector per chunk, all of one dimension (ErrEmbedderMismatch
// otherwise). a.Scope must already be set (SharedScope when empty).
func CheckPut(a Article, chunks []Chunk, vectors [][]float32) error {
	return checkPut(a, chunks, vectors)
}

// TermRows returns the full-text rows of an article: one per chunk (the
// title's terms titleRepeat times, then the chunk's) and one for the
// article (the title's terms and all its chunks'), each the analysed terms
// of package lang followed by a space, as the SQLite library's termWriter
// stores them. A row's length in terms is its number of spaces.
func TermRows(title string, texts []string) (article string, chunks []string) {
	t := lang.AppendIndexText(nil, title, titleRepeat)
	art := append([]byte(nil), t...)
	chunks = make([]string, len(texts))
	var buf []byte
	for i, text := range texts {
		buf = append(buf[:0], t...)
		n := len(buf)
		buf = lang.AppendIndexText(buf, text, 1)
		art = append(art, buf[n:]...)
		chunks[i] = string(buf)
	}
	return string(art), chunks
}

// FormatDate writes a publication date as the libraries store it:
// YYYY-MM-DD (DateLayout) in UTC, or "" when unknown, so that dates sort
// as text.
func FormatDate(t time.Time) string { return formatDate(t) }

// ParseDate reads what FormatDate wrote (the zero time for "" or anything
// unreadable).
func ParseDate(s string) time.Time { return parseDate(s) }

// CheckTerm returns ErrBadTerm (wrapped) for a string that is not an index
// term, before it reaches a query.
func CheckTerm(t string) error { return checkTerm(t) }

// FeedTitle is a feed's title as the libraries store it: one line,
// clipped to an article title's limit.
func FeedTitle(s string) string { return clip.Mark(oneLine(s), maxTitleBytes) }

// MaxFeedErrorBytes bounds a stored poll error.
const MaxFeedErrorBytes = 500

// FeedError is a poll's error as the libraries store it: one line,
// clipped to MaxFeedErrorBytes.
func FeedError(s string) string { return clip.Mark(oneLine(s), MaxFeedErrorBytes) }

// Entities returns what both libraries store as the countries and
// international organisations an article is about: the gazetteer ids that
// gazetteer.Recognize finds in its title and body, most prominent first.
func Entities(title, body string) (countries, orgs []string) {
	for _, m := range gazetteer.Default().Recognize(title, body) {
		switch m.Kind {
		case gazetteer.Country:
			countries = append(countries, m.ID)
		case gazetteer.Organisation:
			orgs = append(orgs, m.ID)
		}
	}
	return countries, orgs
}

// JoinIDs writes a list of gazetteer ids as the libraries store it: the
// ids separated by spaces (no id contains one), "" for none.
func JoinIDs(ids []string) string { return strings.Join(ids, " ") }

// SplitIDs reads what JoinIDs wrote (nil for "").
func SplitIDs(s string) []string { return strings.Fields(s) }

// StoryOf decides the story a Put stores for an article whose stored
// story id and data are oldID and oldData: the article's own StoryID and
// StoryData, except that an empty StoryID keeps the stored ones (a caller
// that assigns no stories never erases them). changed reports whether
// that differs from what is stored. The story is not content: an article
// whose content is unchanged but whose story changed is still Unchanged,
// and only its story is written (a change the feed reports as a put, so
// that followers read it again).
func StoryOf(a Article, oldID, oldData string) (id, data string, changed bool) {
	if a.StoryID == "" {
		return oldID, oldData, false
	}
	return a.StoryID, a.StoryData, a.StoryID != oldID || a.StoryData != oldData
}

// MaxStoryDataBytes bounds Article.StoryData, and MaxStoryIDBytes its
// StoryID: both are written by the engine, but a library never stores an
// unbounded field.
const (
	MaxStoryIDBytes   = 256
	MaxStoryDataBytes = 64 << 10
)

// AskedQuestion is one wording of a "not covered" question in a report's
// window and how often it was asked; GroupQuestions groups them.
type AskedQuestion struct {
	Text  string
	Count int
	Last  time.Time // when it was last asked
}

// CheckReportOptions returns opts with Now set (time.Now when zero), or an
// error when the window ends before it starts or is longer than
// MaxReportDays (questions are kept no longer).
func CheckReportOptions(opts ReportOptions) (ReportOptions, error) {
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	switch {
	case opts.Since.After(opts.Now):
		return opts, errors.New("the window starts after it ends")
	case opts.Now.Sub(opts.Since) > MaxReportDays*24*time.Hour+time.Minute:
		return opts, fmt.Errorf("at most %d days (questions are kept no longer)", MaxReportDays)
	}
	return opts, nil
}

// ReportSources reads the stored sources of a voted-down answer (the bot's
// JSON of its cited sources); whatever does not parse is shown as no
// sources rather than failing the report.
func ReportSources(stored string) []ReportSource {
	var out []ReportSource
	if json.Unmarshal([]byte(stored), &out) != nil {
		return nil
	}
	return out
}

// NotCoveredSources are the stored sources of an answer that cites
// nothing: the "not covered" answers the report counts (retrieval gives
// every other answer at least one cited source). They are JSON of the
// caller's choosing, so every empty form counts.
var NotCoveredSources = []string{"", "null", "[]"}

// RemoveExpired removes, with remove, the expired articles (as a
// library's Expired lists them) of scope (every scope's when ""), and
// returns how many it removed: ApplyRetention of every library. An
// article already gone is no error; any other failure stops the pass (the
// next one retries what is left).
func RemoveExpired(ctx context.Context, expired []ExpiredArticle, scope string, remove func(ctx context.Context, scope, id string) error) (int, error) {
	n := 0
	for _, e := range expired {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		if scope != "" && e.Scope != scope {
			continue
		}
		err := remove(ctx, e.Scope, e.ID)
		switch {
		case errors.Is(err, ErrNotFound):
		case err != nil:
			return n, fmt.Errorf("corpus: retention: removing %s: %w", e.ID, err)
		default:
			n++
		}
	}
	return n, nil
}

// RetentionSetter sets a feed's retention window and removes feeds.
type RetentionSetter interface {
	SetFeedRetention(ctx context.Context, feedID string, days int) error
	RemoveFeed(ctx context.Context, scope, id string) error
}

// SetNewFeedRetention gives a feed just subscribed its retention window
// through s; when that fails it removes the feed again, so that a failed
// subscription stores nothing: SetNewFeedRetention of every library.
func SetNewFeedRetention(ctx context.Context, s RetentionSetter, f Feed, days int) error {
	if days == 0 {
		return nil
	}
	if err := s.SetFeedRetention(ctx, f.ID, days); err != nil {
		if rerr := s.RemoveFeed(ctx, f.Scope, f.ID); rerr != nil {
			return errors.Join(err, rerr)
		}
		return err
	}
	return nil
}

// RetentionCutoff is the earliest publication date (YYYY-MM-DD) a window
// of days keeps at now; "" when days is 0 (no window: no date is before
// "").
func RetentionCutoff(now time.Time, days int) string {
	if days <= 0 {
		return ""
	}
	return now.UTC().AddDate(0, 0, -days).Format(DateLayout)
}

// SuggestQuery is what Suggest matches, prepared the same way by every
// library: Text is the lower-cased, trimmed text; Pattern a LIKE pattern
// (backslash escapes) for "contains" in which letters beyond ASCII are
// "_" (any one character), since LIKE compares their case exactly; Exact
// is false then, and the rows that pass must be checked with Matches.
// OK is false when the text can match no stored title (invalid UTF-8, a
// NUL, which would end a pattern early and match everything).
type SuggestQuery struct {
	Text, Pattern string
	Exact, OK     bool
	Limit         int // 1 to MaxSuggestions
}

// NewSuggestQuery prepares Suggest's text and limit.
func NewSuggestQuery(text string, limit int) SuggestQuery {
	q := SuggestQuery{Text: strings.ToLower(strings.TrimSpace(text)), Limit: min(max(limit, 1), MaxSuggestions)}
	if !utf8.ValidString(q.Text) || strings.ContainsRune(q.Text, 0) {
		return q
	}
	q.Pattern, q.Exact = likePattern(q.Text)
	q.OK = true
	return q
}

// Matches reports whether a title or id contains the text, ignoring case
// with Unicode case folding.
func (q SuggestQuery) Matches(title, id string) bool {
	return q.Exact || strings.Contains(strings.ToLower(title), q.Text) || strings.Contains(strings.ToLower(id), q.Text)
}
