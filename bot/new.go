package bot

import (
	"errors"

	"github.com/attache-bot/attache/corpus"
	"github.com/attache-bot/attache/corpus/feed"
	"github.com/attache-bot/attache/retrieval"
)

var (
	_ Answerer    = (*retrieval.Engine)(nil)
	_ Articles    = (*retrieval.Engine)(nil)
	_ Catalog     = (*corpus.Library)(nil)
	_ AnswerStore = (*corpus.Library)(nil)
	_ Fetcher     = (*corpus.Fetcher)(nil)
)

// New returns a bot that answers with engine, manages the articles of
// engine's library, and fetches pages and attachments with fetcher.
func New(cfg Config, engine *retrieval.Engine, fetcher *corpus.Fetcher) (*Bot, error) {
	if engine == nil || fetcher == nil {
		return nil, errors.New("bot needs an engine and a fetcher")
	}
	lib := engine.Library()
	feeds := feedStore{lib: lib, client: feed.NewClient(fetcher, feed.Options{}), max: cfg.MaxFeeds}
	return newBot(cfg, deps{answerer: engine, articles: engine, catalog: lib, store: lib, fetcher: fetcher, feeds: feeds})
}
