package corpus

import "context"

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
	Chunks(ctx context.Context, fn func(StoredChunk) error) error
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
