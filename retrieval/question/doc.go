// Package question reads what a question asks from its wording alone, with
// no index and no corpus statistics: the kind of answer it wants (TypeOf:
// a person, a place, a date, a number, a named thing), the period it names
// (ParseTimeWindow: "this week", "in March 2024"), and its intent
// (ReadIntent: not a news question at all, asking for the newest coverage,
// or a timeless fact), with the recency cues that search leaves out of the
// topic (WithoutRecencyWords).
//
// Search and the answerers in package retrieval build on these readings;
// this package imports nothing of attache's above corpus.
package question
