package bot

import (
	"github.com/attache-bot/attache/corpus"
	"github.com/attache-bot/attache/retrieval"
)

// The implementations main wires in.
var (
	_ Answerer    = (*retrieval.Engine)(nil)
	_ Articles    = (*retrieval.Engine)(nil)
	_ Holder      = (*retrieval.Engine)(nil)
	_ Catalog     = corpus.Backend(nil)
	_ AnswerStore = corpus.Backend(nil)
	_ Reports     = corpus.Backend(nil)
	_ Digests     = corpus.Backend(nil)
	_ FeedLibrary = corpus.Backend(nil)
	_ Fetcher     = (*corpus.Fetcher)(nil)
)
