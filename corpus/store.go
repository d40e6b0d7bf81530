package corpus

import (
	"context"
	"time"
)

// TextReader is what search reads of a library's full-text indexes: the
// statistics, document frequencies and postings that BM25 needs. FullText
// (SQLite's FTS5 tables) and the PostgreSQL library's tsvector rows are
// two.
type TextReader interface {
	Stats(ctx context.Context, ix TextIndex) (TextStats, error)
	DocFreq(ctx context.Context, terms []string) (map[string]int, error)
	Postings(ctx context.Context, ix TextIndex, term string, fn func(seq int64, score float64) error) error
}

// Store is the article library as the search engine and its change-feed
// follower use it. *Library (the embedded SQLite library, the default) is
// one; the PostgreSQL library in package corpus/postgres, which several
// processes share, is the other. Both pass the conformance suite in
// package corpus/librarytest.
type Store interface {
	ChangeFeed
	Put(ctx context.Context, a Article, chunks []Chunk, vectors [][]float32) (PutStatus, error)
	Remove(ctx context.Context, scope, id string) error
	Lookup(ctx context.Context, scope, id string) (string, error)
	Get(ctx context.Context, id string) (Article, error)
	Summary(ctx context.Context, id string) (Summary, error)
	List(ctx context.Context, scopes ...string) ([]Summary, error)
	Count(ctx context.Context) (int, error)
	ChunkCount(ctx context.Context) (int, error)
	Chunks(ctx context.Context, fn func(StoredChunk) error, scopes ...string) error
	Stored(ctx context.Context, id string) (StoredArticle, error)
	ChunkTexts(ctx context.Context, ids []string) (map[string]string, error)
	ArticleChunks(ctx context.Context, id string) ([]Chunk, error)
	ContentHash(ctx context.Context, id string) (hash string, found bool, err error)
	Embedder(ctx context.Context) (EmbedderInfo, bool, error)
	CheckEmbedder(ctx context.Context, info EmbedderInfo) error
	ArticleHashes(ctx context.Context) (map[string]string, error)
	SetChangeRetention(ctx context.Context, n int) error
	// OutletLabels are the moderators' labels of outlets in the scopes.
	OutletLabels(ctx context.Context, scopes ...string) ([]OutletLabel, error)
	// Text returns the reader of the library's full-text indexes.
	Text() TextReader
}

// Text returns the library's full-text reader as a TextReader.
func (l *Library) Text() TextReader { return l.FullText() }

var _ Store = (*Library)(nil)

// FeedStore is what feed polling keeps in a library: subscriptions, their
// polls, the items they carried and the near-duplicate bands of the
// articles they became.
type FeedStore interface {
	AddFeed(ctx context.Context, f Feed, max int) (Feed, error)
	Feeds(ctx context.Context, scope string) ([]Feed, error)
	Feed(ctx context.Context, scope, id string) (Feed, error)
	RemoveFeed(ctx context.Context, scope, id string) error
	FeedItem(ctx context.Context, feedID, guid string) (FeedItem, bool, error)
	FeedItemByURL(ctx context.Context, scope, canonicalURL string) (FeedItem, bool, error)
	BandCandidates(ctx context.Context, scope string, bands []string) ([]string, error)
	SaveFeedItem(ctx context.Context, it FeedItem, at time.Time) error
	SaveFeedPoll(ctx context.Context, id string, p FeedPoll) error
}

// Backend is a whole library as the commands and the bot use it: the
// engine's Store, feeds, the bot's answers and votes, digests, the
// moderators' report, retention, autocomplete, and the locks that keep
// a deployment's processes from doing one job twice. *Library (SQLite, in
// a data directory) and the PostgreSQL library of package corpus/postgres
// are the two; the conformance suite in package librarytest holds both to
// the same behaviour.
type Backend interface {
	Store
	FeedStore

	SaveAnswer(ctx context.Context, a AnswerRecord) error
	Answer(ctx context.Context, id string) (AnswerRecord, error)
	SaveAnswerMessage(ctx context.Context, messageID, answerID string) error
	AnswerByMessage(ctx context.Context, messageID string) (AnswerRecord, error)
	SaveFeedback(ctx context.Context, f Feedback) (prev int, err error)
	Feedback(ctx context.Context, guildID string) ([]Feedback, error)
	PruneAnswers(ctx context.Context, before time.Time) (int, error)

	SetDigest(ctx context.Context, d Digest) error
	RemoveDigest(ctx context.Context, guildID string) error
	Digests(ctx context.Context) ([]Digest, error)
	DigestSent(ctx context.Context, guildID string, sent time.Time, afterSeq int64) error
	NewStories(ctx context.Context, guildID string, afterSeq int64, max int) ([]Story, int, int64, error)

	Report(ctx context.Context, opts ReportOptions) (Report, error)
	Suggest(ctx context.Context, scope, text string, limit int) ([]Summary, error)

	SetFeedRetention(ctx context.Context, feedID string, days int) error
	SetNewFeedRetention(ctx context.Context, f Feed, days int) error
	Expired(ctx context.Context, now time.Time, globalDays int) ([]ExpiredArticle, error)
	ApplyRetention(ctx context.Context, scope string, now time.Time, globalDays int, remove func(ctx context.Context, scope, id string) error) (int, error)

	SetOutletLabel(ctx context.Context, scope, outlet, label string, at time.Time) error
	Outlets(ctx context.Context, scopes ...string) ([]OutletCount, error)

	// Locker makes a job that every process could do happen once in the
	// deployment (a feed's poll, a digest).
	Locker

	Close() error
}

var _ Backend = (*Library)(nil)
