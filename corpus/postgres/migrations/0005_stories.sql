-- Each article's story and the countries and international organisations
-- it is about, as in the SQLite library's schema 4: story is the story id
-- the engine assigned ('' for none yet: the engine assigns it when it next
-- opens the library), story_data what assignment keeps of the article
-- (opaque here), countries and orgs gazetteer ids separated by spaces.
--
-- countries is NULL for an article stored before this step: Open
-- recognises the entities of those articles (in Go, with the gazetteer
-- Put uses) and fills both columns.
ALTER TABLE articles
	ADD COLUMN story      text COLLATE "C" NOT NULL DEFAULT '',
	ADD COLUMN story_data text NOT NULL DEFAULT '',
	ADD COLUMN countries  text,
	ADD COLUMN orgs       text NOT NULL DEFAULT '';
