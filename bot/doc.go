// Package bot is attache's Discord surface: the /ask and /article slash
// commands, questions asked by mentioning the bot or replying to it, the
// Sources and feedback buttons under each answer, and the limits that keep
// it responsive (a per-user rate limit, a bounded number of answers at once).
//
// Start with [New] and [Bot.Run]. Handlers talk to Discord through a narrow
// session interface and to the rest of attache through small interfaces
// ([Answerer], [Articles], [Catalog], [AnswerStore], [Fetcher]) that
// *retrieval.Engine, corpus.Backend (either library) and *corpus.Fetcher implement.
// Rendering an answer into Discord messages (renderAnswer) is a pure
// function with golden tests.
//
// bot is the only package of attache that imports discordgo.
package bot
