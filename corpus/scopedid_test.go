package corpus

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"testing"
)

func TestScopedID(t *testing.T) {
	for _, c := range []struct{ scope, id, want string }{
		{SharedScope, "ds-0001", "ds-0001"},
		{"", "ds-0001", "ds-0001"},
		{"111", "ds-0001", "ds-0001@111"},
		{"111", "ds-0001@111", "ds-0001@111"}, // a stored id given back
		{"222", "ds-0001@111", "ds-0001@111@222"},
	} {
		if got := ScopedID(c.scope, c.id); got != c.want {
			t.Errorf("ScopedID(%q, %q) = %q, want %q", c.scope, c.id, got, c.want)
		}
	}
	a := Article{ID: "x", Scope: "1@2", Title: "t", Body: "b"}
	if err := Validate(a, 0); !errors.Is(err, ErrInvalidArticle) {
		t.Errorf("a scope with @ = %v, want ErrInvalidArticle", err)
	}
}

// TestLookupAndRemoveByRecordID: in a guild's scope an article can be named
// by its record id or its stored id; another scope's article is never
// found, with the same error as an id nobody has.
func TestLookupAndRemoveByRecordID(t *testing.T) {
	ctx := context.Background()
	lib := libOpen(t, t.TempDir())
	a := libArticle(ScopedID("111", "ds-1"), "111", "Ministers meet", "2025-03-04", libBodyTreaty)
	libPut(t, lib, a)
	for _, id := range []string{"ds-1", "ds-1@111"} {
		if got, err := lib.Lookup(ctx, "111", id); err != nil || got != "ds-1@111" {
			t.Errorf("Lookup(111, %s) = %q, %v", id, got, err)
		}
	}
	for _, id := range []string{"ds-1", "ds-1@111", "nobody"} {
		if _, err := lib.Lookup(ctx, "222", id); !errors.Is(err, ErrNotFound) {
			t.Errorf("Lookup(222, %s) = %v, want ErrNotFound", id, err)
		}
		if err := lib.Remove(ctx, "222", id); !errors.Is(err, ErrNotFound) {
			t.Errorf("Remove(222, %s) = %v, want ErrNotFound", id, err)
		}
	}
	if err := lib.Remove(ctx, "111", "ds-1"); err != nil {
		t.Fatalf("Remove(111, ds-1): %v", err)
	}
	if n, _ := lib.Count(ctx); n != 0 {
		t.Errorf("%d articles left", n)
	}
}

// TestMigrateScopedIDs: a version 1 library, which stored a guild record's
// own id as the article id, opens with those articles renamed to id@GUILD
// (chunks and content hash included); derived ids and shared articles keep
// their ids. The explicit id is not ASCII: SQLite counts characters where
// Go counts bytes.
func TestMigrateScopedIDs(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	lib := libOpen(t, dir)
	explicit := libArticle("café-1", "111", "Ministers meet", "2025-03-04", libBodyTreaty)
	shared := libArticle("ds-1", SharedScope, "Ministers meet again", "2025-03-05", libBodyTreaty)
	derived := libArticle("", "111", "Envoys meet", "2025-03-06", libBodyTreaty)
	derived.ID = ID(derived)
	// The version 1 layout: what Put stored before ScopedID existed.
	libPut(t, lib, explicit)
	other := shared
	other.ID = "ds-2"
	libPut(t, lib, other)
	libPut(t, lib, derived)
	if _, err := lib.w.ExecContext(ctx, "UPDATE meta SET value = '1' WHERE key = 'schema_version'"); err != nil {
		t.Fatal(err)
	}
	lib.Close()

	lib = libOpen(t, dir)
	want := map[string]string{"café-1@111": "111", "ds-2": SharedScope, derived.ID: "111"}
	list, err := lib.List(ctx)
	if err != nil || len(list) != len(want) {
		t.Fatalf("List = %+v, %v", list, err)
	}
	for _, s := range list {
		if want[s.ID] != s.Scope {
			t.Errorf("after the upgrade: %s in scope %s; want %v", s.ID, s.Scope, want)
		}
	}
	chunks, err := lib.ArticleChunks(ctx, "café-1@111")
	if err != nil || len(chunks) == 0 || chunks[0].ID != ChunkID("café-1@111", 0) || chunks[0].ArticleID != "café-1@111" {
		t.Fatalf("chunks of the renamed article: %+v %v", chunks, err)
	}
	renamed := explicit
	renamed.ID = "café-1@111"
	if h, ok, err := lib.ContentHash(ctx, renamed.ID); err != nil || !ok || h != Hash(renamed) {
		t.Errorf("content hash of the renamed article: %q %v %v, want %q", h, ok, err, Hash(renamed))
	}
	var v string
	if err := lib.r.QueryRowContext(ctx, "SELECT value FROM meta WHERE key = 'schema_version'").Scan(&v); err != nil || v != strconv.Itoa(schemaVersion) {
		t.Errorf("schema_version = %q, %v", v, err)
	}
	// The renamed article's full-text rows still resolve to it.
	if got := libArticlesWith(t, lib, PassageIndex, "verification"); len(got) == 0 || !slices.Contains(got, "café-1@111") {
		t.Fatalf("passages with verification after the upgrade: %v", got)
	}
}

// TestValidateRefusesSeparatorInOwnID: a record's own id may not contain
// the scope separator, in any scope, so that no record can pose as another
// scope's stored article; a guild's stored id (id@GUILD) is valid in that
// guild.
func TestValidateRefusesSeparatorInOwnID(t *testing.T) {
	for _, c := range []struct {
		id, scope string
		ok        bool
	}{
		{"bad@id", SharedScope, false},
		{"g1@111", SharedScope, false},
		{"y@222", "111", false},
		{"y@222@111", "111", false},
		{"g1@111", "111", true},
		{"g1", "111", true},
		{"g1", SharedScope, true},
	} {
		a := libArticle(c.id, c.scope, "Ministers meet", "2025-03-04", libBodyTreaty)
		a.Normalize()
		err := Validate(a, 0)
		if (err == nil) != c.ok {
			t.Errorf("Validate(id %q, scope %q) = %v, want ok %v", c.id, c.scope, err, c.ok)
		}
	}
}
