-- Feeds a scope subscribes to, what their polls saw, and which article
-- each item became; feed_bands are the near-duplicate lookup keys of the
-- articles feeds brought. Times are NULL when they never happened.

CREATE TABLE feeds (
	id            text COLLATE "C" PRIMARY KEY,
	scope         text COLLATE "C" NOT NULL,
	url           text COLLATE "C" NOT NULL,
	title         text NOT NULL DEFAULT '',
	etag          text NOT NULL DEFAULT '',
	last_modified text NOT NULL DEFAULT '',
	last_polled   timestamptz,
	last_ok       timestamptz,
	failures      integer NOT NULL DEFAULT 0,
	last_error    text NOT NULL DEFAULT '',
	retry_at      timestamptz,
	added_at      timestamptz NOT NULL,
	UNIQUE (scope, url)
);

CREATE TABLE feed_items (
	feed_id    text COLLATE "C" NOT NULL REFERENCES feeds (id) ON DELETE CASCADE,
	guid       text COLLATE "C" NOT NULL,
	url        text COLLATE "C" NOT NULL DEFAULT '',
	article_id text COLLATE "C" NOT NULL DEFAULT '',
	signature  text NOT NULL DEFAULT '',
	bands      text NOT NULL DEFAULT '',
	seen_at    timestamptz NOT NULL,
	PRIMARY KEY (feed_id, guid)
);
CREATE INDEX feed_items_url ON feed_items (url) WHERE url <> '';

CREATE TABLE feed_bands (
	scope      text COLLATE "C" NOT NULL,
	band       text COLLATE "C" NOT NULL,
	article_id text COLLATE "C" NOT NULL,
	PRIMARY KEY (scope, band, article_id)
);
CREATE INDEX feed_bands_article ON feed_bands (scope, article_id);
