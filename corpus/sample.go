package corpus

import (
	"bytes"
	"embed"
	"fmt"
	"io/fs"
	"slices"
	"sync"
)

// sampleFiles is the bundled sample corpus: one file per article, in any
// format ImportReader reads, each with an explicit id so that its id stays
// the same when its text is corrected.
//
//go:embed sample
var sampleFiles embed.FS

// Sample returns the bundled sample corpus, which seeds an empty library:
// the articles in corpus/sample, parsed, normalised and validated, in the
// shared scope, with stable ids, ordered by file name. The slice is a fresh
// copy on every call.
func Sample() []Article {
	return slices.Clone(sampleArticles())
}

// sampleArticles parses the embedded files once. They are part of the
// program, so a file that does not import is a build defect and panics
// (the package's tests load it).
var sampleArticles = sync.OnceValue(func() []Article {
	arts, err := loadSample(sampleFiles)
	if err != nil {
		panic(err)
	}
	return arts
})

// loadSample reads every article file under "sample" in fsys.
func loadSample(fsys fs.FS) ([]Article, error) {
	var arts []Article
	err := fs.WalkDir(fsys, "sample", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(fsys, path)
		if err != nil {
			return err
		}
		res, err := ImportReader(bytes.NewReader(data), path, ImportOptions{Scope: SharedScope})
		if err != nil {
			return fmt.Errorf("sample corpus: %w", err)
		}
		if len(res.Rejected) > 0 {
			return fmt.Errorf("sample corpus: %s: %w", path, res.Rejected[0])
		}
		for _, r := range res.Records {
			if r.Article.ID == "" {
				return fmt.Errorf("sample corpus: %s line %d: the article has no id", path, r.Line)
			}
			arts = append(arts, r.Article)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, a := range arts {
		if seen[a.ID] {
			return nil, fmt.Errorf("sample corpus: id %q used twice", a.ID)
		}
		seen[a.ID] = true
	}
	return arts, nil
}
