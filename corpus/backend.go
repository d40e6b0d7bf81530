package corpus

import (
	"strings"
	"time"

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
