package bot

import (
	"github.com/attache-bot/attache/corpus"
	"github.com/attache-bot/attache/retrieval"
)

// The implementations main wires in.
var (
	_ Answerer    = (*retrieval.Engine)(nil)
	_ Articles    = (*retrieval.Engine)(nil)
	_ Catalog     = (*corpus.Library)(nil)
	_ AnswerStore = (*corpus.Library)(nil)
	_ Fetcher     = (*corpus.Fetcher)(nil)
)
