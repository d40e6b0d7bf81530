-- The bot's answers (so that their Sources and feedback buttons keep
-- working after a restart), the messages showing them, and the votes.
-- One vote per user per answer is the primary key; votes outlive the
-- answers they were given on.

CREATE TABLE answers (
	id          text COLLATE "C" PRIMARY KEY,
	guild_id    text COLLATE "C" NOT NULL,
	user_id     text COLLATE "C" NOT NULL,
	question    text NOT NULL,
	answer      text NOT NULL,
	sources     text NOT NULL,
	answered_at timestamptz NOT NULL
);
CREATE INDEX answers_time ON answers (answered_at);

CREATE TABLE answer_messages (
	message_id text COLLATE "C" PRIMARY KEY,
	answer_id  text COLLATE "C" NOT NULL
);
CREATE INDEX answer_messages_answer ON answer_messages (answer_id);

CREATE TABLE feedback (
	answer_id text COLLATE "C" NOT NULL,
	user_id   text COLLATE "C" NOT NULL,
	guild_id  text COLLATE "C" NOT NULL,
	vote      integer NOT NULL CHECK (vote IN (-1, 1)),
	question  text NOT NULL,
	answer    text NOT NULL,
	sources   text NOT NULL,
	voted_at  timestamptz NOT NULL,
	PRIMARY KEY (answer_id, user_id)
);
CREATE INDEX feedback_guild ON feedback (guild_id, voted_at);
