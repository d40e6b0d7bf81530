// Package gazetteer knows the countries and international organisations of
// the news: their names, short forms, demonyms and codes. It recognises the
// ones an article is about (Recognize) and resolves what a member types in a
// country or org option (Lookup), suggesting the closest known names when
// nothing matches.
//
// The data is places.tsv, embedded in the binary; its header says where it
// comes from and how ambiguous names are marked.
package gazetteer

import (
	"bufio"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
)

//go:embed places.tsv
var placesTSV string

// Kind says whether an entity is a country or an organisation.
type Kind string

// The kinds of entity.
const (
	Country      Kind = "country"
	Organisation Kind = "org"
)

// Entity is one country or organisation.
type Entity struct {
	Kind    Kind
	ID      string   // ISO 3166-1 alpha-2 for countries ("GB"), the usual acronym for organisations ("NATO")
	Alpha3  string   // ISO 3166-1 alpha-3 for countries ("GBR"); empty for organisations
	Name    string   // the English short name, "United Kingdom"
	Aliases []string // other names recognised in text: short forms, demonyms, capitals
}

// alias is one name of an entity as it is matched in text.
type alias struct {
	entity int      // index into Gazetteer.entities; -1 for a "not" phrase
	words  []string // the name cut into words, case kept
	weak   bool     // ambiguous: needs support from the rest of the text
	word   bool     // spells an English word in capitals (US, WHO)
}

// Gazetteer is a parsed gazetteer. It is read-only after Parse and safe
// for concurrent use.
type Gazetteer struct {
	entities []Entity
	support  [][][]string // per entity: phrases (cut into words) that confirm a weak alias
	against  [][][]string // per entity: phrases that speak for another sense
	byFirst  map[string][]alias
	keys     map[Kind]map[string]int // normalised name/alias/code -> entity
}

// Default returns the gazetteer shipped with attache. The embedded data is
// checked by the package tests, so a parse failure is a build defect.
var Default = sync.OnceValue(func() *Gazetteer {
	g, err := Parse(strings.NewReader(placesTSV))
	if err != nil {
		panic("gazetteer: embedded places.tsv: " + err.Error())
	}
	return g
})

// maxLineBytes bounds one line of a gazetteer file.
const maxLineBytes = 16 << 10

// Parse reads a gazetteer in the places.tsv format.
func Parse(r io.Reader) (*Gazetteer, error) {
	g := &Gazetteer{
		byFirst: make(map[string][]alias),
		keys:    map[Kind]map[string]int{Country: {}, Organisation: {}},
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxLineBytes)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(text) == "" || strings.HasPrefix(text, "#") {
			continue
		}
		if err := g.addLine(text); err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("line %d: %w", line+1, err)
	}
	if len(g.entities) == 0 {
		return nil, errors.New("no entities")
	}
	for k, as := range g.byFirst {
		// Longest first, so "South Sudan" wins over "Sudan" and "New
		// Mexico" over "Mexico".
		sort.SliceStable(as, func(i, j int) bool { return len(as[i].words) > len(as[j].words) })
		g.byFirst[k] = as
	}
	return g, nil
}

func (g *Gazetteer) addLine(text string) error {
	f := strings.Split(text, "\t")
	if len(f) != 7 {
		return fmt.Errorf("want 7 tab-separated fields, got %d", len(f))
	}
	kind, id, alpha3, name := f[0], f[1], f[2], f[3]
	if name == "" || name == "-" {
		return errors.New("empty name")
	}
	if kind == "not" {
		return g.addAlias(-1, name)
	}
	k := Kind(kind)
	if k != Country && k != Organisation {
		return fmt.Errorf("unknown kind %q", kind)
	}
	if id == "" || id == "-" {
		return errors.New("empty id")
	}
	if _, dup := g.ByID(k, id); dup {
		// A duplicate id would make Lookup and stored mentions ambiguous.
		return fmt.Errorf("duplicate id %q", id)
	}
	e := Entity{Kind: k, ID: id, Name: name}
	if alpha3 != "-" {
		e.Alpha3 = alpha3
	}
	n := len(g.entities)
	var names []string
	own := true // the name is matched as itself unless an alias marks it
	for _, a := range list(f[4]) {
		names = append(names, a)
		bare := strings.TrimLeft(a, "~^")
		if bare == name {
			own = false
		} else {
			e.Aliases = append(e.Aliases, bare)
		}
	}
	if own {
		names = append(names, name)
	}
	g.entities = append(g.entities, e)
	g.support = append(g.support, phrases(f[5]))
	g.against = append(g.against, phrases(f[6]))
	for _, a := range names {
		if err := g.addAlias(n, a); err != nil {
			return err
		}
	}
	for _, key := range []string{id, e.Alpha3, name} {
		if key != "" {
			g.keys[k][normalise(key)] = n
		}
	}
	for _, a := range e.Aliases {
		if _, taken := g.keys[k][normalise(a)]; !taken {
			g.keys[k][normalise(a)] = n
		}
	}
	return nil
}

func (g *Gazetteer) addAlias(entity int, name string) error {
	a := alias{entity: entity}
	for len(name) > 0 && (name[0] == '~' || name[0] == '^') {
		if name[0] == '~' {
			a.weak = true
		} else {
			a.word = true
		}
		name = name[1:]
	}
	for _, t := range scan(name, nil) {
		a.words = append(a.words, t.text)
	}
	if len(a.words) == 0 {
		return fmt.Errorf("name %q has no words", name)
	}
	g.byFirst[a.words[0]] = append(g.byFirst[a.words[0]], a)
	return nil
}

// list splits a |-separated field; "-" is the empty list.
func list(field string) []string {
	if field == "-" || field == "" {
		return nil
	}
	var out []string
	for _, s := range strings.Split(field, "|") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func phrases(field string) [][]string {
	var out [][]string
	for _, p := range list(field) {
		var ws []string
		for _, t := range scan(p, nil) {
			ws = append(ws, t.text)
		}
		if len(ws) > 0 {
			out = append(out, ws)
		}
	}
	return out
}

// Entities returns every entity of kind, sorted by name: the choices of an
// option's autocomplete before it is narrowed to the ones present.
func (g *Gazetteer) Entities(kind Kind) []Entity {
	var out []Entity
	for _, e := range g.entities {
		if e.Kind == kind {
			out = append(out, e)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// ByID returns the entity of kind with id.
func (g *Gazetteer) ByID(kind Kind, id string) (Entity, bool) {
	for _, e := range g.entities {
		if e.Kind == kind && e.ID == id {
			return e, true
		}
	}
	return Entity{}, false
}
