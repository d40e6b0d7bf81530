// Package corpus is what attache knows: news articles, the passages they are
// split into, and the durable library (SQLite) that keeps them, their vectors
// and their full-text index safe across crashes.
//
// Vocabulary:
//   - An Article is one news story from an outlet (Source), published on a
//     date, belonging to a Scope: a Discord guild id or SharedScope.
//   - A Chunk is a passage of a few sentences of an article's body, with byte
//     offsets into that body so that a citation points at exact text.
//   - The Library stores articles, chunks, one vector per chunk and an FTS5
//     index, one transaction per article, and records which embedder made the
//     vectors.
//   - A lock (Locker) is held by one process of all those sharing a library,
//     so that a job of the whole deployment (a feed's poll, a digest) runs
//     once; it goes with its process.
//
// corpus imports no other package of attache.
package corpus
