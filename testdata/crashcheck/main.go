// Command crashcheck is the checker of attache's crash-safety test
// (crash_test.go at the module root): it opens a data directory the way
// attache does and checks every stored article of a synthetic .jsonl file
// for completeness. It is a separate program so that it runs without the
// race detector: SQLite's full-text queries are hundreds of times slower
// under -race.
//
// Usage: crashcheck DATA_DIR ARTICLES.jsonl
//
// It prints one JSON object, {"stored": N, "problems": [...]}, and exits 0
// whenever it could do the checks.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/attache-bot/attache/corpus"
)

// record is one line of the synthetic file.
type record struct {
	ID    string `json:"id"`
	Body  string `json:"body"`
	Token string `json:"token"`
}

type report struct {
	Stored   int      `json:"stored"`
	Problems []string `json:"problems"`
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: crashcheck DATA_DIR ARTICLES.jsonl")
		os.Exit(2)
	}
	rep, err := check(context.Background(), os.Args[1], os.Args[2])
	if err != nil {
		fmt.Fprintln(os.Stderr, "crashcheck:", err)
		os.Exit(1)
	}
	json.NewEncoder(os.Stdout).Encode(rep)
}

func readRecords(path string) (map[string]record, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	want := map[string]record{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, err
		}
		want[r.ID] = r
	}
	return want, sc.Err()
}

// check verifies, for every listed article of the file: chunks numbered
// 0..n-1 whose text is the body at their offsets and that together cover
// all of it, one vector per chunk, its unique token found by full-text
// search, one change-log entry (the file's articles are each written once);
// and that nothing (chunk, vector, full-text row, change) is left from an
// article that is not listed.
func check(ctx context.Context, dir, path string) (report, error) {
	var rep report
	problem := func(format string, args ...any) {
		rep.Problems = append(rep.Problems, fmt.Sprintf(format, args...))
	}
	want, err := readRecords(path)
	if err != nil {
		return rep, err
	}
	lib, err := corpus.Open(ctx, dir)
	if err != nil {
		problem("the data directory does not open: %v", err)
		return rep, nil
	}
	defer lib.Close()

	list, err := lib.List(ctx)
	if err != nil {
		return rep, err
	}
	listed := map[string]corpus.Summary{}
	for _, s := range list {
		if _, dup := listed[s.ID]; dup {
			problem("article %s listed twice", s.ID)
		}
		listed[s.ID] = s
	}
	byArticle := map[string][]corpus.StoredChunk{}
	chunkOf := map[int64]string{} // chunk seq -> article id
	var ids []string
	err = lib.Chunks(ctx, func(c corpus.StoredChunk) error {
		byArticle[c.ArticleID] = append(byArticle[c.ArticleID], c)
		chunkOf[c.Seq] = c.ArticleID
		ids = append(ids, c.ID)
		return nil
	})
	if err != nil {
		return rep, err
	}
	texts, err := lib.ChunkTexts(ctx, ids)
	if err != nil {
		return rep, err
	}
	for id, cs := range byArticle {
		if _, ok := listed[id]; !ok {
			problem("chunks of article %s are stored, but the article is not listed", id)
		}
		for i := range cs {
			cs[i].Text = texts[cs[i].ID]
		}
	}
	articleOf := map[int64]string{}
	for id, s := range listed {
		articleOf[s.Seq] = id
		w, ok := want[id]
		if !ok {
			continue // the sample corpus
		}
		rep.Stored++
		a, err := lib.Get(ctx, id)
		if err != nil || a.Body != w.Body {
			problem("article %s: stored body differs from the file (err %v)", id, err)
			continue
		}
		checkChunks(problem, s, w.Body, byArticle[id])
	}

	// Full text: one row per chunk and per article, and each article's
	// unique token in its own rows and no others.
	ft := lib.FullText()
	for _, ix := range []struct {
		name string
		ix   corpus.TextIndex
		rows int
		of   map[int64]string
	}{{"passage", corpus.PassageIndex, len(chunkOf), chunkOf}, {"article", corpus.ArticleIndex, len(listed), articleOf}} {
		st, err := ft.Stats(ctx, ix.ix)
		if err != nil {
			return rep, err
		}
		if st.Docs != int64(ix.rows) {
			problem("the %s index has %d rows for %d stored rows", ix.name, st.Docs, ix.rows)
		}
		for id, w := range want {
			_, stored := listed[id]
			found := false
			err := ft.Postings(ctx, ix.ix, w.Token, func(seq int64, _ float64) error {
				switch owner, ok := ix.of[seq]; {
				case !ok:
					problem("the %s index has a row %d for %s, which is not stored", ix.name, seq, w.Token)
				case owner != id:
					problem("the %s index finds %s in article %s", ix.name, w.Token, owner)
				default:
					found = true
				}
				return nil
			})
			if err != nil {
				return rep, err
			}
			if stored && !found {
				problem("article %s: its %s full-text rows are missing (no row for %s)", id, ix.name, w.Token)
			}
		}
	}
	if err := checkChanges(ctx, lib, listed, want, problem); err != nil {
		return rep, err
	}
	return rep, nil
}

// checkChanges reads the whole change log and checks it against the
// stored articles: sequence numbers strictly increasing with no gap up to
// the head (a killed transaction takes its numbers back with it, and the
// log holds fewer entries than it prunes at), the newest change of every
// stored article a put in its scope, no entry for an article that is not
// stored, and exactly one entry for each stored article of the file.
func checkChanges(ctx context.Context, lib *corpus.Library, listed map[string]corpus.Summary, want map[string]record, problem func(string, ...any)) error {
	head, err := lib.Head(ctx)
	if err != nil {
		return err
	}
	last := map[string]corpus.Change{}
	count := map[string]int{}
	var prev, first int64
	for {
		cs, err := lib.Changes(ctx, prev, corpus.MaxChangeBatch)
		if errors.Is(err, corpus.ErrFellBehind) {
			problem("the change log does not hold its changes from the start: %v", err)
			break
		}
		if err != nil {
			return err
		}
		if len(cs) == 0 {
			break
		}
		for _, c := range cs {
			switch {
			case first == 0:
				first = c.Seq
			case c.Seq != prev+1:
				problem("change log: change %d follows %d", c.Seq, prev)
			}
			prev = c.Seq
			last[c.ArticleID] = c
			count[c.ArticleID]++
		}
	}
	if prev != head {
		problem("change log: the last change read is %d, the head %d", prev, head)
	}
	for id, s := range listed {
		c, ok := last[id]
		switch {
		case !ok:
			problem("article %s is stored, but the change log has no entry for it", id)
		case c.Kind != corpus.ChangePut || c.Scope != s.Scope:
			problem("article %s is stored in scope %q, but its newest change is %s in %q", id, s.Scope, c.Kind, c.Scope)
		}
		if _, ok := want[id]; ok && count[id] != 1 {
			problem("article %s has %d changes, want 1", id, count[id])
		}
	}
	for id, c := range last {
		if _, ok := listed[id]; !ok && c.Kind != corpus.ChangeRemove {
			problem("the change log has a %s of %s (change %d), which is not stored", c.Kind, id, c.Seq)
		}
	}
	return nil
}

func checkChunks(problem func(string, ...any), s corpus.Summary, body string, chunks []corpus.StoredChunk) {
	if len(chunks) == 0 || len(chunks) != s.Chunks {
		problem("article %s: %d chunks stored, %d listed", s.ID, len(chunks), s.Chunks)
		return
	}
	covered := make([]bool, len(body))
	seen := make([]bool, len(chunks))
	for _, c := range chunks {
		if c.Index < 0 || c.Index >= len(chunks) || seen[c.Index] {
			problem("article %s: chunk index %d out of range or repeated", s.ID, c.Index)
			return
		}
		seen[c.Index] = true
		if len(c.Vector) == 0 {
			problem("article %s: chunk %s has no vector", s.ID, c.ID)
		}
		if c.Start < 0 || c.End > len(body) || c.Start > c.End || body[c.Start:c.End] != c.Text {
			problem("article %s: chunk %s is not the body at [%d:%d]", s.ID, c.ID, c.Start, c.End)
			return
		}
		for i := c.Start; i < c.End; i++ {
			covered[i] = true
		}
	}
	for i, ok := range covered {
		if !ok && body[i] != ' ' {
			problem("article %s: byte %d of the body is in no chunk", s.ID, i)
			return
		}
	}
}
