-- Daily digests (a guild's channel, hour, last digest and the last
-- article it covered, by articles.seq), the feeds' own retention windows,
-- and the index autocomplete reads (Suggest: a scope's articles in List's
-- order, with id and title).

CREATE TABLE digests (
	guild_id   text COLLATE "C" PRIMARY KEY,
	channel_id text COLLATE "C" NOT NULL,
	hour       integer NOT NULL CHECK (hour BETWEEN 0 AND 23),
	last_sent  timestamptz NOT NULL,
	after_seq  bigint NOT NULL
);

CREATE TABLE feed_retention (
	feed_id text COLLATE "C" PRIMARY KEY REFERENCES feeds (id) ON DELETE CASCADE,
	days    integer NOT NULL CHECK (days > 0)
);

CREATE INDEX feed_items_article ON feed_items (article_id) WHERE article_id <> '';
CREATE INDEX articles_scope_titles ON articles (scope, published DESC, added_at DESC, id) INCLUDE (title);
