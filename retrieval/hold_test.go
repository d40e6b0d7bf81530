package retrieval

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/attache-bot/attache/corpus"
	"go.uber.org/goleak"
)

// Guild scopes of the held-scope tests.
const (
	guildA = "111111111111111111"
	guildB = "222222222222222222"
)

// heldEngine opens dir's library again, as another serve process would,
// with an engine that holds only the scopes given to Hold.
func heldEngine(t *testing.T, dir string) *Engine {
	t.Helper()
	lib, err := corpus.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lib.Close() })
	e, err := New(context.Background(), lib, Config{HoldScopes: true, Now: func() time.Time { return testAsOf }})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// holdingA returns the fixture corpus in a library, an engine holding
// every scope as its other writer, and an engine holding the shared scope
// and guildA over it, as another process.
func holdingA(t *testing.T) (other *Engine, lib *corpus.Library, e *Engine) {
	t.Helper()
	other, lib = newTestEngine(t, Config{})
	mustAdd(t, other, fixtureCorpus()...)
	e = heldEngine(t, lib.Dir())
	if err := e.Hold(context.Background(), guildA); err != nil {
		t.Fatal(err)
	}
	return other, lib, e
}

// indexLen is the number of articles in e's index.
func indexLen(e *Engine) int {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.ix.Len()
}

// add stores a through e and returns its stored id (scoped by its guild).
func add(t *testing.T, e *Engine, a corpus.Article) string {
	t.Helper()
	got, _, err := e.Add(context.Background(), a)
	if err != nil {
		t.Fatalf("add %s: %v", a.ID, err)
	}
	return got.ID
}

var (
	qBeacon  = "Why did the Brellow beacon keepers protest?"
	qKestrel = "What did the Kestrel valley council decide about the dam?"
)

func beacon(scope string) corpus.Article {
	return art("beacon", scope, "2025-07-27", "Brellow beacon keepers protest automation",
		"Beacon keepers in Brellow protested on Saturday against plans to automate the last staffed beacons.")
}

func kestrel(scope string) corpus.Article {
	return art("kestrel", scope, "2025-07-26", "Kestrel valley council votes against the dam",
		"The Kestrel valley council voted on Friday against the planned dam, citing the farms it would flood.")
}

// TestHoldAndDrop: an engine holding scopes starts with the shared scope
// only; Hold loads a guild's articles (once), Drop removes them, and
// searches and answers of a scope not held find none of its articles.
func TestHoldAndDrop(t *testing.T) {
	ctx := context.Background()
	full, lib := newTestEngine(t, Config{})
	mustAdd(t, full, fixtureCorpus()...)
	aID := add(t, full, beacon(guildA))
	bID := add(t, full, kestrel(guildB))

	e := heldEngine(t, lib.Dir())
	shared := len(fixtureCorpus())
	if n := indexLen(e); n != shared {
		t.Fatalf("a new engine holding scopes indexes %d articles, want the %d shared ones", n, shared)
	}
	if !e.Holds("") || !e.Holds(corpus.SharedScope) || e.Holds(guildA) || e.Holds(guildB) {
		t.Fatalf("Holds: shared %v, A %v, B %v", e.Holds(""), e.Holds(guildA), e.Holds(guildB))
	}
	if ps := search(t, e, Query{Text: qBeacon, Scope: guildA, K: 5}); has(ps, aID) {
		t.Fatalf("a scope not held is searched: %v", ids(ps))
	}
	ans, err := e.Answer(ctx, Request{Question: qBeacon, Scope: guildA}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range ans.Sources {
		if s.ArticleID == aID {
			t.Fatalf("an answer for a scope not held cites its article: %+v", ans.Sources)
		}
	}
	if ps := search(t, e, Query{Text: "Norland Vesteria fishing accord", Scope: guildA, K: 5}); !has(ps, "fish-accord") {
		t.Errorf("the shared scope is not searched for a guild: %v", ids(ps))
	}

	// A load that fails (here: given up at once) leaves the scope not
	// held, for a later Hold to try again.
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := e.Hold(cancelled, guildA); !errors.Is(err, context.Canceled) || e.Holds(guildA) || indexLen(e) != shared {
		t.Fatalf("Hold with a cancelled context = %v, holds %v, %d articles", err, e.Holds(guildA), indexLen(e))
	}
	for range 2 { // idempotent
		if err := e.Hold(ctx, guildA); err != nil {
			t.Fatal(err)
		}
	}
	if n := indexLen(e); n != shared+1 || !e.Holds(guildA) || e.Holds(guildB) {
		t.Fatalf("after Hold(A) twice: %d articles, holds A %v, B %v", n, e.Holds(guildA), e.Holds(guildB))
	}
	if ps := search(t, e, Query{Text: qBeacon, Scope: guildA, K: 5}); !has(ps, aID) {
		t.Fatalf("a held scope's article is not found: %v", ids(ps))
	}
	ans, err = e.Answer(ctx, Request{Question: qBeacon, Scope: guildA}, nil)
	if err != nil || len(ans.Sources) == 0 || ans.Sources[0].ArticleID != aID {
		t.Fatalf("answer in the held scope: %+v, %v; want %s cited first", ans.Sources, err, aID)
	}
	if ps := search(t, e, Query{Text: qKestrel, Scope: guildB, K: 5}); has(ps, bID) {
		t.Errorf("holding A made B searchable: %v", ids(ps))
	}

	if err := e.Drop(guildA); err != nil {
		t.Fatal(err)
	}
	if err := e.Drop(guildA); err != nil { // not held any more: nothing to do
		t.Fatal(err)
	}
	if n := indexLen(e); n != shared || e.Holds(guildA) {
		t.Fatalf("after Drop(A): %d articles, holds A %v", n, e.Holds(guildA))
	}
	if ps := search(t, e, Query{Text: qBeacon, Scope: guildA, K: 5}); has(ps, aID) {
		t.Errorf("a dropped scope is searched: %v", ids(ps))
	}
	for _, s := range []string{"", corpus.SharedScope, "  "} {
		if err := e.Drop(s); !errors.Is(err, ErrSharedScope) {
			t.Errorf("Drop(%q) = %v, want ErrSharedScope", s, err)
		}
	}
	if n := indexLen(e); n != shared {
		t.Errorf("after refused drops of the shared scope: %d articles", n)
	}
	// The library keeps everything: dropping is the index's alone.
	if _, err := lib.Summary(ctx, aID); err != nil {
		t.Errorf("the dropped scope's article left the library: %v", err)
	}

	// This engine's own write to a scope it does not hold (a feed of
	// another shard's guild) is stored, not held.
	cID := add(t, e, art("own-c", guildB, "2025-07-27", "Kestrel valley farmers celebrate",
		"Farmers in the Kestrel valley celebrated the council's vote against the dam."))
	if _, err := lib.Summary(ctx, cID); err != nil {
		t.Errorf("a write to a scope not held was not stored: %v", err)
	}
	if n := indexLen(e); n != shared {
		t.Errorf("a write to a scope not held entered the index: %d articles", n)
	}
}

// TestHoldAllScopes: an engine that holds every scope (a single process)
// indexes everything at once; Hold and Drop change nothing.
func TestHoldAllScopes(t *testing.T) {
	ctx := context.Background()
	e, _ := newTestEngine(t, Config{})
	mustAdd(t, e, fixtureCorpus()...)
	aID := add(t, e, beacon(guildA))
	want := len(fixtureCorpus()) + 1
	if !e.Holds(guildA) || !e.Holds(guildB) || !e.Holds("") {
		t.Error("an engine holding every scope does not say so")
	}
	if err := e.Hold(ctx, guildB); err != nil {
		t.Fatal(err)
	}
	if err := e.Drop(guildA); err != nil {
		t.Fatal(err)
	}
	if n := indexLen(e); n != want {
		t.Errorf("index holds %d articles, want %d", n, want)
	}
	if ps := search(t, e, Query{Text: qBeacon, Scope: guildA, K: 5}); !has(ps, aID) {
		t.Errorf("Drop changed an engine holding every scope: %v", ids(ps))
	}
}

// TestHoldFollowsHeldScopesOnly: a change by another writer in a held
// scope reaches the index; one in a scope not held is not even read; a
// scope held later is loaded fresh, with the changes made meanwhile.
func TestHoldFollowsHeldScopesOnly(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
	ctx := context.Background()
	other, _, e := holdingA(t)
	log := startFollow(t, e)

	bID := add(t, other, kestrel(guildB))
	aID := add(t, other, beacon(guildA))
	log.waitFor(t, "put of "+aID, applied(aID, false))
	// Changes are applied in feed order: B's came first.
	for _, ev := range log.snapshot() {
		if ev.ArticleID == bID {
			t.Errorf("a change in a scope not held was applied: %+v", ev)
		}
	}
	if ps := search(t, e, Query{Text: qBeacon, Scope: guildA, K: 5}); !has(ps, aID) {
		t.Fatalf("another writer's article in a held scope is not found: %v", ids(ps))
	}
	if ps := search(t, e, Query{Text: qKestrel, Scope: guildB, K: 5}); has(ps, bID) {
		t.Fatalf("another writer's article in a scope not held is found: %v", ids(ps))
	}

	// Removed by the other writer: gone here too.
	if err := other.Remove(ctx, guildA, aID); err != nil {
		t.Fatal(err)
	}
	log.waitFor(t, "removal of "+aID, applied(aID, true))
	if ps := search(t, e, Query{Text: qBeacon, Scope: guildA, K: 5}); has(ps, aID) {
		t.Errorf("removed article still found: %v", ids(ps))
	}

	// B held later: its article, written while B was not held, is there.
	updated := kestrel(guildB)
	updated.Body += " The vote was eleven to two."
	if _, st, err := other.Add(ctx, updated); err != nil || st != corpus.Updated {
		t.Fatalf("update in B: %v %v", st, err)
	}
	if err := e.Hold(ctx, guildB); err != nil {
		t.Fatal(err)
	}
	findsVersion(t, e, Query{Text: qKestrel, Scope: guildB, K: 5}, bID, "eleven to two", "a scope held later, an article written before")
	// And it is followed from then on.
	dID := add(t, other, art("dam-2", guildB, "2025-07-28", "Kestrel dam plan withdrawn",
		"The ministry withdrew the Kestrel dam plan on Monday."))
	log.waitFor(t, "put of "+dID, applied(dID, false))
	if ps := search(t, e, Query{Text: "Kestrel dam plan withdrawn ministry", Scope: guildB, K: 5}); !has(ps, dID) {
		t.Errorf("a change in a scope held later is not followed: %v", ids(ps))
	}
}

// TestHoldReloadComparesHeldScopesOnly: an engine holding scopes that fell
// behind the change feed brings the held scopes in step and leaves the
// others out of its index.
func TestHoldReloadComparesHeldScopesOnly(t *testing.T) {
	ctx := context.Background()
	other, lib, e := holdingA(t)
	if err := lib.SetChangeRetention(ctx, 2); err != nil {
		t.Fatal(err)
	}
	var inA, inB []string
	for i := range 4 {
		inA = append(inA, add(t, other, art(fmt.Sprintf("a-%d", i), guildA, "2025-07-27", fmt.Sprintf("Brellow beacon story %d", i),
			fmt.Sprintf("Beacon keepers in Brellow met for the %d time.", i))))
		inB = append(inB, add(t, other, art(fmt.Sprintf("b-%d", i), guildB, "2025-07-27", fmt.Sprintf("Kestrel dam story %d", i),
			fmt.Sprintf("The Kestrel council met for the %d time.", i))))
	}
	log := startFollow(t, e)
	log.waitFor(t, "a reload", func(ev FollowEvent) bool { return ev.Reload })
	for _, id := range inA {
		log.waitFor(t, "put of "+id, applied(id, false))
	}
	for _, ev := range log.snapshot() {
		if ev.Err != nil {
			t.Errorf("error event: %+v", ev)
		}
		if strings.HasPrefix(ev.ArticleID, "b-") || (!ev.Reload && !strings.HasPrefix(ev.ArticleID, "a-")) {
			t.Errorf("the reload applied %+v", ev)
		}
	}
	if n := indexLen(e); n != len(fixtureCorpus())+len(inA) {
		t.Errorf("index holds %d articles, want the shared ones and A's %d", n, len(inA))
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	for _, id := range inB {
		if e.ix.Article(id) != nil {
			t.Errorf("the reload indexed %s of a scope not held", id)
		}
	}
}

// blockingList is a library whose List of one scope waits until release is
// closed, signalling listed when it starts: a Hold caught mid-load.
type blockingList struct {
	corpus.Store
	scope   string
	listed  chan struct{}
	release chan struct{}
}

func (l *blockingList) List(ctx context.Context, scopes ...string) ([]corpus.Summary, error) {
	if len(scopes) == 1 && scopes[0] == l.scope {
		close(l.listed)
		<-l.release
	}
	return l.Store.List(ctx, scopes...)
}

// TestHoldWhileLoading: while a scope is being loaded, a search of it waits
// for the whole scope instead of answering without it, and so does a
// second Hold (which gives up with its context).
func TestHoldWhileLoading(t *testing.T) {
	ctx := context.Background()
	full, lib := newTestEngine(t, Config{})
	mustAdd(t, full, fixtureCorpus()...)
	aID := add(t, full, beacon(guildA))
	blocking := &blockingList{Store: lib, scope: guildA, listed: make(chan struct{}), release: make(chan struct{})}
	waiting := make(chan struct{}, 4)
	e, err := New(ctx, blocking, Config{HoldScopes: true, Now: func() time.Time { return testAsOf },
		Logger: slog.New(signalHandler{msg: "waiting for the scope's articles to load", seen: waiting})})
	if err != nil {
		t.Fatal(err)
	}
	held := make(chan error, 1)
	go func() { held <- e.Hold(ctx, guildA) }()
	<-blocking.listed

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := e.Hold(cancelled, guildA); !errors.Is(err, context.Canceled) {
		t.Errorf("a second Hold while loading = %v, want it to wait (and give up with its context)", err)
	}
	<-waiting // the second Hold's
	searched := make(chan []Passage, 1)
	go func() {
		ps, err := e.Search(ctx, Query{Text: qBeacon, Scope: guildA, K: 5, AsOf: testAsOf})
		if err != nil {
			t.Error(err)
		}
		searched <- ps
	}()
	// Other scopes are searched meanwhile.
	if ps := search(t, e, Query{Text: "Norland Vesteria fishing accord", K: 5}); !has(ps, "fish-accord") {
		t.Errorf("the shared scope while a guild loads: %v", ids(ps))
	}
	select {
	case <-waiting: // the search waits for the load
	case <-time.After(30 * time.Second):
		t.Fatal("the search of the loading scope did not wait for it")
	}
	close(blocking.release)
	if err := <-held; err != nil {
		t.Fatal(err)
	}
	if ps := <-searched; !has(ps, aID) {
		t.Errorf("a search during the load answered without the scope's article: %v", ids(ps))
	}
	if err := e.Hold(ctx, guildA); err != nil || !e.Holds(guildA) {
		t.Errorf("Hold after the load: %v, holds %v", err, e.Holds(guildA))
	}
}

// chunksHook is a library that runs before, once, when the stored chunks
// of scope are first read: a change written by another process between a
// bulk load's listing and its chunk read.
type chunksHook struct {
	corpus.Store
	scope  string
	before func()
	once   sync.Once
}

func (l *chunksHook) Chunks(ctx context.Context, fn func(corpus.StoredChunk) error, scopes ...string) error {
	if len(scopes) == 1 && scopes[0] == l.scope {
		l.once.Do(l.before)
	}
	return l.Store.Chunks(ctx, fn, scopes...)
}

// TestHoldChangeDuringLoad: an article another writer updates, and one it
// removes, after Hold listed the scope and before it read the stored
// chunks, and which Follow applied meanwhile, are in step once Hold
// returns: the updated one indexed with its new summary and the hash of
// what is indexed (so that a later change back to the version listed is
// applied, not taken as already there), the removed one gone.
func TestHoldChangeDuringLoad(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
	ctx := context.Background()
	other, lib := newTestEngine(t, Config{})
	mustAdd(t, other, fixtureCorpus()...)
	original := beacon(guildA)
	aID := add(t, other, original)
	kID := add(t, other, kestrel(guildA))

	mine, err := corpus.Open(ctx, lib.Dir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mine.Close() })
	hook := &chunksHook{Store: mine, scope: guildA}
	e, err := New(ctx, hook, Config{HoldScopes: true, Now: func() time.Time { return testAsOf }})
	if err != nil {
		t.Fatal(err)
	}
	log := startFollow(t, e)
	updated := original
	updated.Title = "Brellow beacon keepers end their protest"
	updated.Body = "Beacon keepers in Brellow ended their protest on Sunday after the ministry kept two beacons staffed."
	var firstSeq int64
	hook.before = func() {
		if err := other.Remove(ctx, guildA, kID); err != nil {
			t.Error(err)
			return
		}
		if _, st, err := other.Add(ctx, updated); err != nil || st != corpus.Updated {
			t.Errorf("update during the load: %v %v", st, err)
			return
		}
		// Follow applies both, in feed order, before the chunks are read
		// (the removal of an article not indexed yet reports nothing):
		// the load's listing is older than what Follow indexed.
		firstSeq = log.waitFor(t, "put of "+aID, applied(aID, false)).Seq
	}
	if err := e.Hold(ctx, guildA); err != nil {
		t.Fatal(err)
	}
	if t.Failed() {
		t.FailNow()
	}
	stored, err := lib.Stored(ctx, aID)
	if err != nil {
		t.Fatal(err)
	}
	e.mu.RLock()
	a, k, hash := e.ix.Article(aID), e.ix.Article(kID), e.hashes[aID]
	e.mu.RUnlock()
	if a == nil || a.Title != updated.Title || hash != stored.Hash {
		t.Fatalf("after Hold, the article updated during the load is %+v with hash %q; want title %q and hash %q",
			a, hash, updated.Title, stored.Hash)
	}
	if k != nil {
		t.Errorf("the article removed during the load is indexed: %+v", k)
	}
	if n := indexLen(e); n != len(fixtureCorpus())+1 {
		t.Errorf("index holds %d articles, want the shared ones and %s", n, aID)
	}

	// Changed back to the version the load listed: applied, and searched.
	if _, st, err := other.Add(ctx, original); err != nil || st != corpus.Updated {
		t.Fatalf("change back: %v %v", st, err)
	}
	log.waitFor(t, "the change back of "+aID, func(ev FollowEvent) bool {
		return applied(aID, false)(ev) && ev.Seq > firstSeq
	})
	findsVersion(t, e, Query{Text: qBeacon, Scope: guildA, K: 5}, aID, "against plans to automate", "the article changed back")
}

// findsVersion fails the test unless a search of e for q finds article id
// and every passage of it found contains text (its version is the one
// expected); what names the article in the failure.
func findsVersion(t *testing.T, e *Engine, q Query, id, text, what string) {
	t.Helper()
	ps := search(t, e, q)
	if !has(ps, id) {
		t.Fatalf("%s: %s is not found: %v", what, id, ids(ps))
	}
	for _, p := range ps {
		if p.ArticleID == id && !strings.Contains(p.Text, text) {
			t.Errorf("%s: %s is searched in another version: %q", what, id, p.Text)
		}
	}
}

// failingHead is a library whose change feed's head can be read ok more
// times, then not: a feed lost after a bulk load indexed the scope.
type failingHead struct {
	corpus.Store
	ok int
}

var errFeedLost = errors.New("connection lost")

func (l *failingHead) Head(ctx context.Context) (int64, error) {
	if l.ok <= 0 {
		return 0, errFeedLost
	}
	l.ok--
	return l.Store.Head(ctx)
}

// TestHoldFailedLoad: a Hold that fails after its bulk load indexed the
// scope (it cannot read the feed to bring in step what was written
// meanwhile) leaves none of it indexed and the scope not held; a later
// Hold loads it whole.
func TestHoldFailedLoad(t *testing.T) {
	ctx := context.Background()
	full, lib := newTestEngine(t, Config{})
	mustAdd(t, full, fixtureCorpus()...)
	aID := add(t, full, beacon(guildA))
	kID := add(t, full, kestrel(guildA))
	feed := &failingHead{Store: lib, ok: 2} // New reads the head twice
	e, err := New(ctx, feed, Config{HoldScopes: true, Now: func() time.Time { return testAsOf }})
	if err != nil {
		t.Fatal(err)
	}
	feed.ok = 1 // the head before the load, not after it
	if err := e.Hold(ctx, guildA); !errors.Is(err, errFeedLost) {
		t.Fatalf("Hold losing the feed after its load = %v, want %v", err, errFeedLost)
	}
	e.mu.RLock()
	a, k, hashes := e.ix.Article(aID), e.ix.Article(kID), len(e.hashes)
	e.mu.RUnlock()
	if e.Holds(guildA) || a != nil || k != nil || indexLen(e) != len(fixtureCorpus()) || hashes != len(fixtureCorpus()) {
		t.Fatalf("after a failed load: holds %v, articles %v %v, %d indexed, %d hashes", e.Holds(guildA), a, k, indexLen(e), hashes)
	}
	feed.ok = 2
	if err := e.Hold(ctx, guildA); err != nil {
		t.Fatal(err)
	}
	if n := indexLen(e); n != len(fixtureCorpus())+2 || !e.Holds(guildA) {
		t.Errorf("a later Hold: %d articles, holds %v; want the shared ones and 2", n, e.Holds(guildA))
	}
}

// blockFirstList is a library whose first List of one scope waits until
// release is closed, signalling listed when it starts.
type blockFirstList struct {
	corpus.Store
	scope   string
	once    sync.Once
	listed  chan struct{}
	release chan struct{}
}

func (l *blockFirstList) List(ctx context.Context, scopes ...string) ([]corpus.Summary, error) {
	if len(scopes) == 1 && scopes[0] == l.scope {
		l.once.Do(func() {
			close(l.listed)
			<-l.release
		})
	}
	return l.Store.List(ctx, scopes...)
}

// signalHandler is a slog handler that sends on seen each record whose
// message is msg.
type signalHandler struct {
	msg  string
	seen chan struct{}
}

func (h signalHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h signalHandler) Handle(_ context.Context, r slog.Record) error {
	if r.Message == h.msg {
		h.seen <- struct{}{}
	}
	return nil
}
func (h signalHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h signalHandler) WithGroup(string) slog.Handler      { return h }

// TestHoldAgainAfterDropDuringLoad: the bot leaves a guild while its
// articles load and joins it again; the second Hold, waiting on the first
// load, then loads the guild itself rather than give up, and the guild is
// held with its articles.
func TestHoldAgainAfterDropDuringLoad(t *testing.T) {
	ctx := context.Background()
	full, lib := newTestEngine(t, Config{})
	mustAdd(t, full, fixtureCorpus()...)
	aID := add(t, full, beacon(guildA))
	blocking := &blockFirstList{Store: lib, scope: guildA, listed: make(chan struct{}), release: make(chan struct{})}
	waiting := make(chan struct{}, 4)
	e, err := New(ctx, blocking, Config{HoldScopes: true, Now: func() time.Time { return testAsOf },
		Logger: slog.New(signalHandler{msg: "waiting for the scope's articles to load", seen: waiting})})
	if err != nil {
		t.Fatal(err)
	}
	first := make(chan error, 1)
	go func() { first <- e.Hold(ctx, guildA) }()
	<-blocking.listed
	if err := e.Drop(guildA); err != nil {
		t.Fatal(err)
	}
	second := make(chan error, 1)
	go func() { second <- e.Hold(ctx, guildA) }()
	select {
	case <-waiting:
	case <-time.After(30 * time.Second):
		t.Fatal("the second Hold did not wait for the first load")
	}
	close(blocking.release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if err := <-second; err != nil {
		t.Fatalf("the Hold after the guild came back: %v", err)
	}
	if !e.Holds(guildA) {
		t.Fatal("the guild is not held after it came back")
	}
	if ps := search(t, e, Query{Text: qBeacon, Scope: guildA, K: 5, AsOf: testAsOf}); !has(ps, aID) {
		t.Errorf("the guild's article is not found after it came back: %v", ids(ps))
	}
}
