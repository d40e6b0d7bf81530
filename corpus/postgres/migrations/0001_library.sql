-- The article library: articles, their chunks and vectors, the embedder
-- record, the full-text rows and the change log.
--
-- Text keys are COLLATE "C" so that they order and compare byte by byte,
-- as in the SQLite library (List's tie-break on id, exact id matches).
-- Dates are YYYY-MM-DD text ('' when unknown), which sorts as dates do and
-- puts undated articles last in a descending order, as in SQLite.

CREATE TABLE meta (
	key   text COLLATE "C" PRIMARY KEY,
	value text NOT NULL
);

CREATE TABLE articles (
	seq       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	id        text COLLATE "C" NOT NULL UNIQUE,
	scope     text COLLATE "C" NOT NULL,
	url       text NOT NULL DEFAULT '',
	title     text NOT NULL,
	source    text NOT NULL DEFAULT '',
	published text COLLATE "C" NOT NULL DEFAULT '',
	language  text NOT NULL DEFAULT '',
	body      text NOT NULL,
	hash      text NOT NULL,
	added_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX articles_scope_published ON articles (scope, published);
CREATE INDEX articles_published ON articles (published, added_at);

-- chunks repeats its article's scope and date (both fixed for the life of
-- a chunk) so that loading the index reads one table.
CREATE TABLE chunks (
	seq        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	id         text COLLATE "C" NOT NULL UNIQUE,
	article_id text COLLATE "C" NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
	idx        integer NOT NULL,
	start      integer NOT NULL,
	"end"      integer NOT NULL,
	text       text NOT NULL,
	scope      text COLLATE "C" NOT NULL,
	published  text COLLATE "C" NOT NULL DEFAULT ''
);
CREATE INDEX chunks_article ON chunks (article_id, idx);

-- Vectors (float32 little-endian, package vector's encoding) live apart
-- from the chunk rows a text lookup reads; search runs in-process.
CREATE TABLE chunk_vectors (
	seq    bigint PRIMARY KEY REFERENCES chunks (seq) ON DELETE CASCADE,
	vector bytea NOT NULL
);

-- The full-text rows hold the analysed terms of package lang (the same
-- rows as the SQLite library's FTS5 tables, see corpus.TermRows): terms is
-- the set of distinct terms as a tsvector of lexemes taken as they are
-- (array_to_tsvector: no dictionary, no parser), found through its GIN
-- index; tf maps each term to its count in the row and len is the row's
-- length in terms, which with text_stats give BM25 exactly as FTS5
-- computes it. Rows go with their chunk or article (ON DELETE CASCADE).
CREATE TABLE passage_terms (
	seq   bigint PRIMARY KEY REFERENCES chunks (seq) ON DELETE CASCADE,
	terms tsvector NOT NULL,
	tf    jsonb NOT NULL,
	len   integer NOT NULL
);
CREATE INDEX passage_terms_terms ON passage_terms USING gin (terms);
CREATE TABLE article_terms (
	seq   bigint PRIMARY KEY REFERENCES articles (seq) ON DELETE CASCADE,
	terms tsvector NOT NULL,
	tf    jsonb NOT NULL,
	len   integer NOT NULL
);
CREATE INDEX article_terms_terms ON article_terms USING gin (terms);

-- text_stats keeps each index's row count and total length (ix 0 is the
-- passage index, 1 the article index), kept by triggers in the writing
-- transaction so that no path (a cascade included) can leave them stale.
CREATE TABLE text_stats (
	ix    smallint PRIMARY KEY,
	docs  bigint NOT NULL,
	total bigint NOT NULL
);
INSERT INTO text_stats (ix, docs, total) VALUES (0, 0, 0), (1, 0, 0);

CREATE FUNCTION text_stats_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'INSERT' THEN
		UPDATE text_stats SET docs = docs + 1, total = total + NEW.len WHERE ix = TG_ARGV[0]::smallint;
		RETURN NEW;
	END IF;
	UPDATE text_stats SET docs = docs - 1, total = total - OLD.len WHERE ix = TG_ARGV[0]::smallint;
	RETURN OLD;
END
$$;
CREATE TRIGGER passage_terms_count AFTER INSERT OR DELETE ON passage_terms
	FOR EACH ROW EXECUTE FUNCTION text_stats_count('0');
CREATE TRIGGER article_terms_count AFTER INSERT OR DELETE ON article_terms
	FOR EACH ROW EXECUTE FUNCTION text_stats_count('1');

-- The change log. change_head holds the newest sequence number given out:
-- a writer takes the next one by updating that row as the last step of its
-- transaction, which holds the row's lock until the commit, so numbers are
-- given in commit order and without gaps (a sequence would give them in
-- start order, and a follower could read 6 before 5 commits). Writes are
-- logged by the library in the writing transaction.
CREATE TABLE change_head (
	one boolean PRIMARY KEY DEFAULT true CHECK (one),
	seq bigint NOT NULL
);
INSERT INTO change_head (seq) VALUES (0);
CREATE TABLE changes (
	seq        bigint PRIMARY KEY,
	article_id text COLLATE "C" NOT NULL,
	scope      text COLLATE "C" NOT NULL,
	kind       text NOT NULL CHECK (kind IN ('put', 'remove')),
	at         timestamptz NOT NULL DEFAULT clock_timestamp()
);
