-- Moderators' labels of outlets ("wire", "state media"), per scope;
-- outlet_key is the outlet compared as corpus.OutletKey does.

CREATE TABLE outlet_labels (
	scope      text COLLATE "C" NOT NULL,
	outlet_key text COLLATE "C" NOT NULL,
	outlet     text NOT NULL,
	label      text NOT NULL,
	set_at     timestamptz NOT NULL,
	PRIMARY KEY (scope, outlet_key)
);
