// Package postgres is the article library on PostgreSQL: the same method
// set and guarantees as the SQLite library of package corpus (one
// transaction per article, scopes, the embedder record, the change feed,
// the full-text rows BM25 reads, the bot's answers and votes, feeds), for
// deployments where several processes on several machines share one
// corpus. The conformance suite in package librarytest holds both to
// those guarantees.
//
// The schema lives in the first schema of the connection's search_path
// (set it in the URL: ?search_path=attache) and is brought up to date by
// versioned migrations compiled into the binary. Vectors are stored as
// bytea and searched in-process; full text uses tsvector columns with GIN
// indexes holding the terms package lang analysed, scored like FTS5's
// bm25(); Watch is LISTEN/NOTIFY.
package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/attache-bot/attache/corpus"
	"github.com/attache-bot/attache/vector"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Library is the article library in one PostgreSQL schema. Safe for
// concurrent use, also by many processes on the same schema.
type Library struct {
	pool   *pgxpool.Pool
	schema string // the schema it works in: the payload of its notifications
	locks  corpus.HeldLocks
}

// connectTimeout bounds the first connection when the URL sets none, so
// that an unreachable server is reported promptly.
const connectTimeout = 10 * time.Second

// Open connects to the database at url (postgres://user@host:port/db?...),
// migrates the schema and returns the library.
func Open(ctx context.Context, url string) (*Library, error) {
	if strings.TrimSpace(url) == "" {
		return nil, errors.New("postgres: open: empty database URL")
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// pgx's message quotes the URL, password included: say only why.
		return nil, fmt.Errorf("postgres: open: the database URL is not valid (want postgres://user@host:port/database): %v", redact(err))
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = connectTimeout
	}
	where := fmt.Sprintf("%s:%d/%s", cfg.ConnConfig.Host, cfg.ConnConfig.Port, cfg.ConnConfig.Database)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: open %s: %w", where, err)
	}
	l := &Library{pool: pool}
	if err := l.prepare(ctx, where); err != nil {
		pool.Close()
		return nil, err
	}
	return l, nil
}

// prepare migrates the schema and learns its name, on one connection
// released before it returns (a pool closes only once all are).
func (l *Library) prepare(ctx context.Context, where string) error {
	conn, err := l.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("postgres: cannot reach PostgreSQL at %s: %w", where, err)
	}
	defer conn.Release()
	ms, err := loadMigrations(migrationFiles, "migrations")
	if err != nil {
		return fmt.Errorf("postgres: open %s: %w", where, err)
	}
	if _, err := migrate(ctx, conn.Conn(), ms); err != nil {
		return fmt.Errorf("postgres: open %s: %w", where, err)
	}
	if err := conn.QueryRow(ctx, "SELECT current_schema()").Scan(&l.schema); err != nil {
		return fmt.Errorf("postgres: open %s: %w", where, err)
	}
	if err := fillEntities(ctx, conn.Conn()); err != nil {
		return fmt.Errorf("postgres: open %s: recognising the entities of stored articles: %w", where, err)
	}
	return nil
}

// fillEntities recognises the countries and organisations of the
// articles stored before migration 0005 (countries IS NULL), as Put does
// for new ones, a batch per transaction. Several processes opening at
// once may both do a batch: each writes the same values, and the
// condition keeps a row from being written twice by one of them.
func fillEntities(ctx context.Context, conn *pgx.Conn) error {
	const batch = 200
	for {
		n := 0
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			rows, err := tx.Query(ctx, "SELECT seq, title, body FROM articles WHERE countries IS NULL ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED", batch)
			if err != nil {
				return err
			}
			var seqs []int64
			var cs, os []string
			for rows.Next() {
				var seq int64
				var title, body string
				if err := rows.Scan(&seq, &title, &body); err != nil {
					rows.Close()
					return err
				}
				c, o := corpus.Entities(title, body)
				seqs, cs, os = append(seqs, seq), append(cs, corpus.JoinIDs(c)), append(os, corpus.JoinIDs(o))
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			n = len(seqs)
			if n == 0 {
				return nil
			}
			_, err = tx.Exec(ctx, `UPDATE articles a SET countries = u.c, orgs = u.o
				FROM unnest($1::bigint[], $2::text[], $3::text[]) AS u(seq, c, o) WHERE a.seq = u.seq`, seqs, cs, os)
			return err
		})
		if err != nil {
			return err
		}
		if n < batch {
			return nil
		}
	}
}

// redact keeps a parse error's reason but not the URL it quotes.
func redact(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 {
		return s[i+2:]
	}
	return s
}

// Close releases the locks the library holds, then closes its
// connections.
func (l *Library) Close() error {
	l.locks.Close()
	l.pool.Close()
	return nil
}

// Schema returns the PostgreSQL schema the library works in.
func (l *Library) Schema() string { return l.schema }

// Embedder returns the embedder recorded in the library, if any.
func (l *Library) Embedder(ctx context.Context) (corpus.EmbedderInfo, bool, error) {
	info, ok, err := readEmbedder(ctx, l.pool)
	if err != nil {
		return corpus.EmbedderInfo{}, false, fmt.Errorf("postgres: embedder: %w", err)
	}
	return info, ok, nil
}

// querier is a pool or a transaction.
type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// embedderSQL reads the embedder record (NULLs when none).
const embedderSQL = `SELECT (SELECT value FROM meta WHERE key = 'embedder_name'),
	(SELECT value FROM meta WHERE key = 'embedder_dim')`

func readEmbedder(ctx context.Context, q querier) (corpus.EmbedderInfo, bool, error) {
	return scanEmbedder(q.QueryRow(ctx, embedderSQL))
}

func scanEmbedder(row pgx.Row) (corpus.EmbedderInfo, bool, error) {
	var name, dim *string
	if err := row.Scan(&name, &dim); err != nil {
		return corpus.EmbedderInfo{}, false, err
	}
	if name == nil || *name == "" {
		return corpus.EmbedderInfo{}, false, nil
	}
	d, err := strconv.Atoi(deref(dim))
	if err != nil {
		return corpus.EmbedderInfo{}, false, fmt.Errorf("bad embedder dimension %q in the library", deref(dim))
	}
	return corpus.EmbedderInfo{Name: *name, Dim: d}, true, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// storedDim returns the byte length of a stored vector, 0 when none is.
func storedDim(ctx context.Context, q querier) (int, error) {
	var n int
	err := q.QueryRow(ctx, "SELECT length(vector) FROM chunk_vectors LIMIT 1").Scan(&n)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	return n, err
}

// embedderLock serialises CheckEmbedder across processes: two first
// starts with different embedders must not both record theirs.
const embedderLock = "SELECT pg_advisory_xact_lock(hashtextextended('attache embedder ' || current_schema(), 0))"

// CheckEmbedder records info if the library has no embedder yet, and
// returns corpus.ErrEmbedderMismatch (with how to re-index) if its vectors
// were made by another embedder.
func (l *Library) CheckEmbedder(ctx context.Context, info corpus.EmbedderInfo) error {
	if info.Name == "" || info.Dim <= 0 {
		return fmt.Errorf("postgres: embedder needs a name and a positive dimension (got %q, %d)", info.Name, info.Dim)
	}
	err := pgx.BeginFunc(ctx, l.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, embedderLock); err != nil {
			return err
		}
		have, ok, err := readEmbedder(ctx, tx)
		if err != nil {
			return err
		}
		if ok {
			if have == info {
				return nil
			}
			return l.mismatch(have, info)
		}
		n, err := storedDim(ctx, tx)
		if err != nil {
			return err
		}
		if n > 0 && n != 4*info.Dim {
			return l.mismatch(corpus.EmbedderInfo{Name: "an unrecorded embedder", Dim: n / 4}, info)
		}
		_, err = tx.Exec(ctx, "INSERT INTO meta (key, value) VALUES ('embedder_name', $1), ('embedder_dim', $2)",
			info.Name, strconv.Itoa(info.Dim))
		return err
	})
	if err != nil {
		if errors.Is(err, corpus.ErrEmbedderMismatch) {
			return err
		}
		return fmt.Errorf("postgres: check embedder: %w", err)
	}
	return nil
}

func (l *Library) mismatch(have, want corpus.EmbedderInfo) error {
	return fmt.Errorf("%w: data in PostgreSQL schema %s was embedded with %s (dim %d) but the configured embedder is %s (dim %d): to re-index, ingest the articles again into a new schema or database (or configure the embedder that made the data)",
		corpus.ErrEmbedderMismatch, l.schema, have.Name, have.Dim, want.Name, want.Dim)
}

// ContentHash returns the stored content hash of article id, if present.
func (l *Library) ContentHash(ctx context.Context, id string) (hash string, found bool, err error) {
	err = l.pool.QueryRow(ctx, "SELECT hash FROM articles WHERE id = $1", id).Scan(&hash)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("postgres: content hash: %w", err)
	}
	return hash, true, nil
}

// Put stores a validated article with its chunks and one vector per chunk
// in one transaction, replacing any earlier version of the same id; see
// corpus.Library.Put for the contract. The transaction also writes the
// full-text rows and the change, and notifies the followers.
func (l *Library) Put(ctx context.Context, a corpus.Article, chunks []corpus.Chunk, vectors [][]float32) (corpus.PutStatus, error) {
	if a.Scope == "" {
		a.Scope = corpus.SharedScope
	}
	if err := corpus.CheckPut(a, chunks, vectors); err != nil {
		return 0, fmt.Errorf("postgres: put %s: %w", a.ID, err)
	}
	var st corpus.PutStatus
	err := pgx.BeginFunc(ctx, l.pool, func(tx pgx.Tx) error {
		var err error
		st, err = l.putTx(ctx, tx, a, chunks, vectors)
		if err == nil && st == corpus.Unchanged {
			return errUnchanged // roll back: nothing was written
		}
		return err
	})
	if errors.Is(err, errUnchanged) {
		return corpus.Unchanged, nil
	}
	if err != nil {
		return 0, fmt.Errorf("postgres: put %s: %w", a.ID, err)
	}
	if st == storyOnly {
		return corpus.Unchanged, nil
	}
	return st, nil
}

var errUnchanged = errors.New("unchanged")

// storyOnly is what putTx returns when it wrote only the article's story:
// Put commits it and reports Unchanged.
const storyOnly corpus.PutStatus = -1

// articleLock serialises writers of one article id (two processes adding
// the same new article: the second waits and finds it).
const articleLock = "SELECT pg_advisory_xact_lock(hashtextextended('attache article ' || current_schema() || ' ' || $1, 0))"

func (l *Library) putTx(ctx context.Context, tx pgx.Tx, a corpus.Article, chunks []corpus.Chunk, vectors [][]float32) (corpus.PutStatus, error) {
	// The lock, the current row and the embedder record in one round
	// trip; each statement reads what was committed when it runs, so the
	// row is read after the lock is held.
	hash := corpus.Hash(a)
	var oldScope, oldHash, oldStory, oldData string
	var artSeq int64
	batch := &pgx.Batch{}
	batch.Queue(articleLock, a.ID)
	batch.Queue("SELECT scope, hash, seq, story, story_data FROM articles WHERE id = $1", a.ID)
	batch.Queue(embedderSQL)
	br := tx.SendBatch(ctx, batch)
	_, err := br.Exec()
	var rowErr error
	if err == nil {
		rowErr = br.QueryRow().Scan(&oldScope, &oldHash, &artSeq, &oldStory, &oldData)
		if rowErr != nil && !errors.Is(rowErr, pgx.ErrNoRows) {
			err = rowErr
		}
	}
	var info corpus.EmbedderInfo
	var recorded bool
	if err == nil {
		info, recorded, err = scanEmbedder(br.QueryRow())
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, err
	}
	exists := rowErr == nil
	if exists && oldScope != a.Scope {
		return 0, corpus.ErrScopeConflict // the other scope is not named: the caller may be a guild
	}
	if len(vectors) > 0 {
		if err := checkDim(ctx, tx, len(vectors[0]), info, recorded); err != nil {
			return 0, err
		}
	}
	story, storyData, storyChanged := corpus.StoryOf(a, oldStory, oldData)
	if exists && oldHash == hash {
		if !storyChanged {
			return corpus.Unchanged, nil
		}
		// Only the story: written, logged as a put so that followers read
		// it again, and reported Unchanged (see corpus.StoryOf).
		batch = &pgx.Batch{}
		batch.Queue("UPDATE articles SET story = $1, story_data = $2 WHERE seq = $3", story, storyData, artSeq)
		queueChange(batch, a.ID, a.Scope, corpus.ChangePut)
		br = tx.SendBatch(ctx, batch)
		_, err = br.Exec()
		if err == nil {
			err = changeResults(br)
		}
		if cerr := br.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return 0, err
		}
		return storyOnly, nil
	}
	countries, orgs := corpus.Entities(a.Title, a.Body)
	published := corpus.FormatDate(a.Published)
	if exists {
		// The chunks go with their vectors and full-text rows (cascade).
		if _, err := tx.Exec(ctx, "DELETE FROM chunks WHERE article_id = $1", a.ID); err != nil {
			return 0, err
		}
		if _, err := tx.Exec(ctx, "DELETE FROM article_terms WHERE seq = $1", artSeq); err != nil {
			return 0, err
		}
		if _, err := tx.Exec(ctx, `UPDATE articles SET url = $1, title = $2, source = $3, published = $4,
			language = $5, body = $6, hash = $7, story = $9, story_data = $10, countries = $11, orgs = $12 WHERE seq = $8`,
			a.URL, a.Title, a.Source, published, a.Language, a.Body, hash, artSeq,
			story, storyData, corpus.JoinIDs(countries), corpus.JoinIDs(orgs)); err != nil {
			return 0, err
		}
	} else {
		if err := tx.QueryRow(ctx, `INSERT INTO articles (id, scope, url, title, source, published, language, body, hash,
			story, story_data, countries, orgs)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING seq`,
			a.ID, a.Scope, a.URL, a.Title, a.Source, published, a.Language, a.Body, hash,
			story, storyData, corpus.JoinIDs(countries), corpus.JoinIDs(orgs)).Scan(&artSeq); err != nil {
			return 0, err
		}
	}
	texts := make([]string, len(chunks))
	for i, c := range chunks {
		texts[i] = c.Text
	}
	artRow, chunkRows := corpus.TermRows(a.Title, texts)
	if len(chunks) > 0 {
		ids := make([]string, len(chunks))
		idx := make([]int32, len(chunks))
		starts := make([]int32, len(chunks))
		ends := make([]int32, len(chunks))
		vecs := make([][]byte, len(chunks))
		terms := make([][]string, len(chunks))
		tfs := make([]string, len(chunks))
		lens := make([]int32, len(chunks))
		for i, c := range chunks {
			ids[i], idx[i], starts[i], ends[i] = c.ID, int32(c.Index), int32(c.Start), int32(c.End)
			vecs[i] = vector.Vector(vectors[i]).Encode()
			var n int
			terms[i], tfs[i], n = termRow(chunkRows[i])
			lens[i] = int32(n)
		}
		// One statement writes the chunks, their vectors and their
		// full-text rows; the arrays are matched by position (ordinality).
		if _, err := tx.Exec(ctx, `WITH c AS (
				INSERT INTO chunks (id, article_id, idx, start, "end", text, scope, published)
				SELECT u.id, $1, u.idx, u.start, u."end", u.text, $2, $3
				FROM unnest($4::text[], $5::int[], $6::int[], $7::int[], $8::text[]) AS u(id, idx, start, "end", text)
				RETURNING seq, idx
			), v AS (
				INSERT INTO chunk_vectors (seq, vector)
				SELECT c.seq, u.vector FROM c JOIN unnest($9::bytea[]) WITH ORDINALITY AS u(vector, n) ON u.n = c.idx + 1
			)
			INSERT INTO passage_terms (seq, terms, tf, len)
			SELECT c.seq, array_to_tsvector(string_to_array(u.terms, ' ')), u.tf::jsonb, u.len
			FROM c JOIN unnest($10::text[], $11::text[], $12::int[]) WITH ORDINALITY AS u(terms, tf, len, n) ON u.n = c.idx + 1`,
			a.ID, a.Scope, published, ids, idx, starts, ends, texts, vecs, joinTerms(terms), tfs, lens); err != nil {
			return 0, err
		}
	}
	// The article's full-text row and the change go in one round trip.
	aTerms, aTF, aLen := termRow(artRow)
	batch = &pgx.Batch{}
	batch.Queue(`INSERT INTO article_terms (seq, terms, tf, len)
		VALUES ($1, array_to_tsvector($2::text[]), $3::jsonb, $4)`, artSeq, aTerms, aTF, aLen)
	queueChange(batch, a.ID, a.Scope, corpus.ChangePut)
	br = tx.SendBatch(ctx, batch)
	_, err = br.Exec()
	if err == nil {
		err = changeResults(br)
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, err
	}
	if exists {
		return corpus.Updated, nil
	}
	return corpus.Added, nil
}

// termRow turns a full-text row (terms each followed by a space, as
// corpus.TermRows writes them) into its distinct terms, the counts of the
// terms it holds more than once as a JSON object (a term of terms absent
// from it is there once) and its length in terms.
//
// Most terms of a row are there once: leaving them out keeps tf a few
// hundred bytes, stored in the row itself rather than compressed or
// apart (TOAST), which search would otherwise unpack for every row that
// holds a term. Rows written with every count read the same.
func termRow(row string) (distinct []string, tf string, n int) {
	distinct = []string{} // never NULL: array_to_tsvector of an empty row is an empty tsvector
	counts := map[string]int{}
	for _, t := range strings.Fields(row) {
		if counts[t] == 0 {
			distinct = append(distinct, t)
		}
		counts[t]++
		n++
	}
	for t, c := range counts {
		if c == 1 {
			delete(counts, t)
		}
	}
	b, _ := json.Marshal(counts) // a map of strings to ints always marshals
	return distinct, string(b), n
}

// joinTerms joins each row's distinct terms with spaces (terms hold none),
// since a text[][] must be rectangular.
func joinTerms(rows [][]string) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = strings.Join(r, " ")
	}
	return out
}

// checkDim compares a vector size with the recorded embedder (info, when
// ok), or (none recorded) with the vectors already stored.
func checkDim(ctx context.Context, tx pgx.Tx, dim int, info corpus.EmbedderInfo, ok bool) error {
	if ok {
		if info.Dim != dim {
			return fmt.Errorf("%w: vectors have %d dimensions but the library's embedder %s has %d", corpus.ErrEmbedderMismatch, dim, info.Name, info.Dim)
		}
		return nil
	}
	n, err := storedDim(ctx, tx)
	if err != nil {
		return err
	}
	if n > 0 && n != 4*dim {
		return fmt.Errorf("%w: vectors have %d dimensions but the library holds vectors of %d", corpus.ErrEmbedderMismatch, dim, n/4)
	}
	return nil
}

// Remove deletes article id of the given scope with its chunks, vectors
// and full-text rows; id is the stored id or, in a guild's scope, the
// record's own id (see Lookup). corpus.ErrNotFound if absent or in
// another scope.
func (l *Library) Remove(ctx context.Context, scope, id string) error {
	if scope == "" {
		scope = corpus.SharedScope
	}
	err := pgx.BeginFunc(ctx, l.pool, func(tx pgx.Tx) error {
		var stored string
		err := tx.QueryRow(ctx, `DELETE FROM articles WHERE seq = (SELECT seq FROM articles
			WHERE scope = $1 AND id IN ($2, $3) ORDER BY id = $2 DESC LIMIT 1) RETURNING id`,
			scope, id, corpus.ScopedID(scope, id)).Scan(&stored)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("%s in scope %s: %w", id, scope, corpus.ErrNotFound)
		}
		if err != nil {
			return err
		}
		batch := &pgx.Batch{}
		queueChange(batch, stored, scope, corpus.ChangeRemove)
		br := tx.SendBatch(ctx, batch)
		err = changeResults(br)
		if cerr := br.Close(); err == nil {
			err = cerr
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: remove %s: %w", id, err)
	}
	return nil
}

// Lookup returns the stored id of the article of scope that id names: id
// itself, or, for a guild's scope, the record id qualified with the guild
// (corpus.ScopedID). corpus.ErrNotFound when scope has no such article.
func (l *Library) Lookup(ctx context.Context, scope, id string) (string, error) {
	if scope == "" {
		scope = corpus.SharedScope
	}
	var stored string
	err := l.pool.QueryRow(ctx, `SELECT id FROM articles WHERE scope = $1 AND id IN ($2, $3)
		ORDER BY id = $2 DESC LIMIT 1`, scope, id, corpus.ScopedID(scope, id)).Scan(&stored)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", fmt.Errorf("postgres: %s in scope %s: %w", id, scope, corpus.ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("postgres: lookup %s: %w", id, err)
	}
	return stored, nil
}

// Get returns one article with its body.
func (l *Library) Get(ctx context.Context, id string) (corpus.Article, error) {
	var a corpus.Article
	var published string
	err := l.pool.QueryRow(ctx, `SELECT id, scope, url, title, source, published, language, body, story, story_data
		FROM articles WHERE id = $1`, id).Scan(&a.ID, &a.Scope, &a.URL, &a.Title, &a.Source, &published, &a.Language, &a.Body,
		&a.StoryID, &a.StoryData)
	if errors.Is(err, pgx.ErrNoRows) {
		return corpus.Article{}, fmt.Errorf("postgres: get %s: %w", id, corpus.ErrNotFound)
	}
	if err != nil {
		return corpus.Article{}, fmt.Errorf("postgres: get %s: %w", id, err)
	}
	a.Published = corpus.ParseDate(published)
	return a, nil
}

// Summary returns one article without its body.
func (l *Library) Summary(ctx context.Context, id string) (corpus.Summary, error) {
	s, err := l.list(ctx, "WHERE a.id = $1", id)
	if err != nil {
		return corpus.Summary{}, fmt.Errorf("postgres: summary %s: %w", id, err)
	}
	if len(s) == 0 {
		return corpus.Summary{}, fmt.Errorf("postgres: summary %s: %w", id, corpus.ErrNotFound)
	}
	return s[0], nil
}

// List returns the articles in any of scopes (all when empty), newest
// first; undated articles come last, most recently added first.
func (l *Library) List(ctx context.Context, scopes ...string) ([]corpus.Summary, error) {
	var s []corpus.Summary
	var err error
	if len(scopes) > 0 {
		s, err = l.list(ctx, "WHERE a.scope = ANY($1)", scopes)
	} else {
		s, err = l.list(ctx, "")
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: list: %w", err)
	}
	return s, nil
}

func (l *Library) list(ctx context.Context, where string, args ...any) ([]corpus.Summary, error) {
	rows, err := l.pool.Query(ctx, `SELECT a.seq, a.id, a.scope, a.url, a.title, a.source, a.published,
		(SELECT count(*) FROM chunks c WHERE c.article_id = a.id), a.story, a.story_data, COALESCE(a.countries, ''), a.orgs
		FROM articles a `+where+` ORDER BY a.published DESC, a.added_at DESC, a.id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []corpus.Summary
	for rows.Next() {
		var s corpus.Summary
		var published, countries, orgs string
		if err := rows.Scan(&s.Seq, &s.ID, &s.Scope, &s.URL, &s.Title, &s.Source, &published, &s.Chunks,
			&s.StoryID, &s.StoryData, &countries, &orgs); err != nil {
			return nil, err
		}
		s.Published = corpus.ParseDate(published)
		s.Countries, s.Orgs = corpus.SplitIDs(countries), corpus.SplitIDs(orgs)
		out = append(out, s)
	}
	return out, rows.Err()
}

// Count returns the number of articles.
func (l *Library) Count(ctx context.Context) (int, error) {
	var n int
	if err := l.pool.QueryRow(ctx, "SELECT count(*) FROM articles").Scan(&n); err != nil {
		return 0, fmt.Errorf("postgres: count: %w", err)
	}
	return n, nil
}

// ChunkCount returns the number of chunks.
func (l *Library) ChunkCount(ctx context.Context) (int, error) {
	var n int
	if err := l.pool.QueryRow(ctx, "SELECT count(*) FROM chunks").Scan(&n); err != nil {
		return 0, fmt.Errorf("postgres: chunk count: %w", err)
	}
	return n, nil
}

// vectorSlab is how many vectors share one allocation in Chunks (as in
// the SQLite library: fewer, larger allocations load faster).
const vectorSlab = 256

// storedColumns are the columns scanStored reads.
const storedColumns = `SELECT c.seq, c.id, c.article_id, c.idx, c.start, c."end", v.vector, c.scope, c.published
	FROM chunks c LEFT JOIN chunk_vectors v ON v.seq = c.seq `

// Chunks calls fn for every stored chunk with its vector but without its
// text, in storage order, from one snapshot read by a single query; with
// scopes, only for the chunks of those scopes. fn may keep the StoredChunk
// and use the library; an error from fn stops the iteration and is
// returned.
func (l *Library) Chunks(ctx context.Context, fn func(corpus.StoredChunk) error, scopes ...string) error {
	var rows pgx.Rows
	var err error
	if len(scopes) > 0 {
		rows, err = l.pool.Query(ctx, storedColumns+"WHERE c.scope = ANY($1) ORDER BY c.seq", scopes)
	} else {
		rows, err = l.pool.Query(ctx, storedColumns+"ORDER BY c.seq")
	}
	if err != nil {
		return fmt.Errorf("postgres: chunks: %w", err)
	}
	defer rows.Close()
	return scanStored(rows, vectorSlab, fn)
}

func scanStored(rows pgx.Rows, slabSize int, fn func(corpus.StoredChunk) error) error {
	var (
		slab     []float32
		blob     []byte
		lastPub  string
		lastTime time.Time
		scopes   = map[string]string{} // interned: thousands of chunks share a few scopes
		scope    string
		lastArt  string
		article  string
		pub      string
	)
	for rows.Next() {
		var sc corpus.StoredChunk
		if err := rows.Scan(&sc.Seq, &sc.ID, &article, &sc.Index, &sc.Start, &sc.End, &blob, &scope, &pub); err != nil {
			return fmt.Errorf("postgres: chunks: %w", err)
		}
		if article != lastArt {
			lastArt = article
		}
		sc.ArticleID = lastArt
		s, ok := scopes[scope]
		if !ok {
			scopes[scope] = scope
			s = scope
		}
		sc.Scope = s
		if pub != lastPub {
			lastPub, lastTime = pub, corpus.ParseDate(pub)
		}
		sc.Published = lastTime
		if len(blob) == 0 || len(blob)%4 != 0 {
			return fmt.Errorf("postgres: chunk %s has no readable vector (%d bytes)", sc.ID, len(blob))
		}
		n := len(blob) / 4
		if len(slab) < n {
			slab = make([]float32, n*max(slabSize, 1))
		}
		v := vector.Vector(slab[:0:n])
		v.Decode(blob)
		sc.Vector = v
		slab = slab[n:]
		if err := fn(sc); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("postgres: chunks: %w", err)
	}
	return nil
}

// readOnly is a consistent snapshot for reads of several statements.
var readOnly = pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}

// Stored reads one article's summary, hash and chunks with their vectors
// (no text) from one snapshot. corpus.ErrNotFound when absent.
func (l *Library) Stored(ctx context.Context, id string) (corpus.StoredArticle, error) {
	var s corpus.StoredArticle
	err := pgx.BeginTxFunc(ctx, l.pool, readOnly, func(tx pgx.Tx) error {
		var published, countries, orgs string
		err := tx.QueryRow(ctx, `SELECT seq, id, scope, url, title, source, published, hash, story, story_data,
			COALESCE(countries, ''), orgs FROM articles WHERE id = $1`, id).
			Scan(&s.Seq, &s.ID, &s.Scope, &s.URL, &s.Title, &s.Source, &published, &s.Hash, &s.StoryID, &s.StoryData, &countries, &orgs)
		if errors.Is(err, pgx.ErrNoRows) {
			return corpus.ErrNotFound
		}
		if err != nil {
			return err
		}
		s.Published = corpus.ParseDate(published)
		s.Countries, s.Orgs = corpus.SplitIDs(countries), corpus.SplitIDs(orgs)
		rows, err := tx.Query(ctx, storedColumns+"WHERE c.article_id = $1 ORDER BY c.idx", id)
		if err != nil {
			return err
		}
		defer rows.Close()
		// A slab of a few vectors: one article's share no more.
		return scanStored(rows, 8, func(c corpus.StoredChunk) error { s.Chunks = append(s.Chunks, c); return nil })
	})
	if err != nil {
		return corpus.StoredArticle{}, fmt.Errorf("postgres: stored %s: %w", id, err)
	}
	s.Summary.Chunks = len(s.Chunks)
	return s, nil
}

// ChunkTexts returns the text of each of the chunks ids that exists, by id.
func (l *Library) ChunkTexts(ctx context.Context, ids []string) (map[string]string, error) {
	out := make(map[string]string, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := l.pool.Query(ctx, "SELECT id, text FROM chunks WHERE id = ANY($1)", ids)
	if err != nil {
		return nil, fmt.Errorf("postgres: chunk texts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, text string
		if err := rows.Scan(&id, &text); err != nil {
			return nil, fmt.Errorf("postgres: chunk texts: %w", err)
		}
		out[id] = text
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: chunk texts: %w", err)
	}
	return out, nil
}

// ArticleChunks returns the chunks of one article in order;
// corpus.ErrNotFound when the article is absent.
func (l *Library) ArticleChunks(ctx context.Context, id string) ([]corpus.Chunk, error) {
	rows, err := l.pool.Query(ctx, `SELECT id, article_id, idx, start, "end", text
		FROM chunks WHERE article_id = $1 ORDER BY idx`, id)
	if err != nil {
		return nil, fmt.Errorf("postgres: chunks of %s: %w", id, err)
	}
	defer rows.Close()
	var out []corpus.Chunk
	for rows.Next() {
		var c corpus.Chunk
		if err := rows.Scan(&c.ID, &c.ArticleID, &c.Index, &c.Start, &c.End, &c.Text); err != nil {
			return nil, fmt.Errorf("postgres: chunks of %s: %w", id, err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: chunks of %s: %w", id, err)
	}
	if len(out) == 0 {
		if _, found, err := l.ContentHash(ctx, id); err != nil {
			return nil, err
		} else if !found {
			return nil, fmt.Errorf("postgres: chunks of %s: %w", id, corpus.ErrNotFound)
		}
	}
	return out, nil
}

// ArticleHashes returns the content hash of every stored article by id.
func (l *Library) ArticleHashes(ctx context.Context) (map[string]string, error) {
	rows, err := l.pool.Query(ctx, "SELECT id, hash FROM articles")
	if err != nil {
		return nil, fmt.Errorf("postgres: article hashes: %w", err)
	}
	defer rows.Close()
	out := make(map[string]string)
	for rows.Next() {
		var id, hash string
		if err := rows.Scan(&id, &hash); err != nil {
			return nil, fmt.Errorf("postgres: article hashes: %w", err)
		}
		out[id] = hash
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: article hashes: %w", err)
	}
	return out, nil
}

var _ corpus.Store = (*Library)(nil)
var _ corpus.Backend = (*Library)(nil)
