package corpus

// Words splits text into the lower-case words the full-text search and the
// near-duplicate check both count: maximal runs of letters, digits and
// marks.
func Words(text string) []string { return words(text) }
