// Package feed reads RSS 2.0, Atom and JSON feeds for the corpus: it polls a
// feed with a conditional GET through the corpus's address-checked Fetcher,
// parses it with gofeed under size, item and date limits, turns its items
// into articles, and tells a republished wire story from a new one by the
// word 5-grams the two texts share.
package feed
