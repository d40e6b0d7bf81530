// Package extractbench measures how well news pages are read: the corpus's
// own readability extraction against go-trafilatura (with go-htmldate for
// dates) on pages made to look like real news sites, scored on title,
// outlet, date and body. It holds only tests: nothing links trafilatura
// into attache.
package extractbench
