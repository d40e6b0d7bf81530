// Package discordtest is an in-process fake of Discord's REST API and gateway websocket that a
// real discordgo (v0.29.0) session connects to, for end-to-end tests of the bot.
//
// The fake speaks Discord's wire format (raw Discord JSON, never marshalled discordgo structs,
// so shape mismatches surface), enforces the rules of Discord a bot can break, and records every
// REST call and gateway operation so that tests can wait for them and assert on them.
//
// # Testing the bot
//
// The bot gets f.APIBase() ("http://127.0.0.1:PORT") as its DISCORD_API_BASE and DefaultToken as
// its token; GET /api/v9/gateway answers with the fake's ws:// URL.
//
//	f := discordtest.New(t, discordtest.Options{})    // registers t.Cleanup(f.Close) first
//	ctx, cancel := context.WithCancel(context.Background())
//	done := make(chan error, 1)
//	go func() { done <- b.Run(ctx) }()                 // b built with APIBase: f.APIBase()
//	t.Cleanup(func() { cancel(); <-done })             // runs before f.Close (LIFO)
//	f.WaitForCall(t, "PUT", "/api/v9/applications/*/guilds/*/commands", 5*time.Second)
//	it := f.SendSlashCommand("ask", discordtest.Option{Name: "question", Value: "Who met?"})
//	f.WaitUntil(t, func() bool { m, ok := f.Original(it.Token); return ok && !m.Loading() }, 5*time.Second)
//	if bad := f.MayPing(); len(bad) > 0 { t.Errorf("may ping: %v", bad) }
//
// A raw session needs f.HTTPClient() (it sends https://discord.com to the fake and refuses other
// hosts), ShouldReconnectOnError=false (unless the test is about reconnecting), every field and
// handler set before Open, and t.Cleanup(func() { s.Close() }) after New.
//
// Before a session closes, f.WaitHeartbeat: discordgo heartbeats right after each (re)connection,
// and a heartbeat that loses the race with Close fails on the closed socket, logs, and, with
// ShouldReconnectOnError, reconnects after Close (discord-fake.md, pitfall 3).
//
// The application id (DefaultAppID) differs from the bot's user id (DefaultBotID), so code that
// confuses them fails. Events dispatched before the bot's IDENTIFY are queued and delivered after
// READY and GUILD_CREATE; an interaction's acknowledgement clock starts when it is delivered.
//
// # Shards
//
// Several sessions may connect at once, one per shard: an IDENTIFY with "shard": [id, count]
// gets a READY and GUILD_CREATEs listing only the guilds whose ShardOf(guild, count) is id, and
// every later event goes to the session of its guild's shard (events without a guild, such as
// direct messages, to shard 0), or waits until that shard identifies. A shard that is not two
// whole numbers with 0 <= id < count is refused with close code 4010. Options.Shards is the
// count GET /gateway/bot recommends; GuildOnShard makes guild ids for a given shard.
//
// # Close order and goroutines
//
// Cleanups run last-in-first-out, so everything registered after New (the session, the bot's
// Run) stops before the fake. A fake that goes away under an open discordgo session makes it
// reconnect forever, so Close reports a gateway connection the client has not closed within
// 5 seconds. Close waits
// for the fake's goroutines and closes HTTPClient's idle connections: goleak finds nothing of
// the fake. discordgo's Session.Close sleeps one second; run end-to-end tests with t.Parallel.
// Handlers run in their own goroutines: wait for the last effect a test expects (WaitForCall,
// WaitUntil) before it returns, or a handler outlives it.
//
// # Driving
//
// Interaction dispatches any interaction: commands (subcommands, attachments served at a
// loopback URL with resolved data), autocomplete (a Focused option), component clicks on a
// stored message, modal submits with text inputs; SendSlashCommand, Autocomplete, Click and
// SubmitModal are shorthands. SendMessage dispatches MESSAGE_CREATE (mentions, replies with
// message_reference and referenced_message, bot authors); Dispatch sends any event as raw JSON.
// DropGateway cuts the websocket without a close frame; the fake then accepts RESUME (RESUMED,
// then the missed dispatches) or a new IDENTIFY. Dispatch helpers fail the test on a bad spec,
// so call them from the test's goroutine.
//
// # REST routes (under /api/v9)
//
//	GET  /gateway, /gateway/bot
//	PUT, GET /applications/{app}/commands, /applications/{app}/guilds/{guild}/commands
//	POST /interactions/{id}/{token}/callback                 (types 1, 4, 5, 6, 7, 8, 9)
//	POST /webhooks/{app}/{token}[?wait=true]                 (follow-ups)
//	GET, PATCH, DELETE /webhooks/{app}/{token}/messages/{@original|id}
//	POST /channels/{channel}/messages, /channels/{channel}/typing
//	GET, PATCH /channels/{channel}/messages/{id}             (every message is stored)
//	GET  /guilds/{guild}/roles
//	GET  /attachments/{id}/{name}                            (outside /api/v9: attachment bytes)
//
// Any other route gets a 404 and is reported at Close.
//
// # Rules enforced
//
//   - one response per interaction (40060); unknown interaction (10062); a response later than
//     Options.AckDeadline (default 3 s, on Options.Now's clock) → 10062, as on Discord;
//   - response types valid for the interaction type (50035); @original and follow-ups before
//     the acknowledgement → 10015; the first follow-up after a deferred response replaces the
//     loading message, as on Discord; interaction tokens expire after 15 minutes (50027);
//   - message limits: content 2000 characters, 10 embeds, title 256, description 4096, 25
//     fields of 256/1024, footer 2048, author 256, 6000 over all embeds, 5 rows of 5
//     components, button label 80, custom_id 1-100 and unique, modal and autocomplete limits
//     → 50035 naming the field; an empty message (or an edit emptying one) → 50006;
//   - command names, descriptions and options on bulk overwrite → 50035; a wrong application
//     id or guild → 50001;
//   - unknown channel 10003, unknown message 10008, editing another user's message 50005, REST
//     without "Authorization: Bot <token>" → 401;
//   - gateway: bad token → close 4004, Options.DisallowedIntents → 4014, an invalid shard
//     → 4010, malformed payloads
//     → 4002, payloads over 4096 bytes → 1009;
//   - intents: no MESSAGE_CREATE without GUILD_MESSAGES (DIRECT_MESSAGES in DMs), blank content
//     without MESSAGE_CONTENT unless the bot is mentioned, the message is a DM or the bot wrote
//     it; no GUILD_CREATE without GUILDS;
//   - the bot's own messages (channel messages, non-ephemeral interaction responses and
//     follow-ups) come back as MESSAGE_CREATE;
//   - at Close, an interaction never acknowledged, or deferred and never completed, is a
//     violation with code CodeUnfinished.
//
// Violations are recorded (Violations) and reported through t.Errorf at Close unless declared
// with ExpectViolations. FailNext injects a one-off failure (a 429 with retry_after, which
// discordgo retries; a 500; a 502, retried up to three times) that is not a violation; call it
// n times to fail a route n times in a row. StallNext makes a request hang until the client gives
// up.
//
// # Recording
//
// Calls returns every REST call (method, path, query, decoded JSON body — payload_json for
// multipart uploads — status, Discord error code, decoded response, time); the client's gateway
// operations are recorded too, with Method "GATEWAY" and Path "IDENTIFY", "RESUME",
// "HEARTBEAT" or "CLOSE". WaitFor, WaitForCall and WaitUntil wake on every change, without
// polling. Message, Messages, Original, FinalContent, Followups, InteractionResponses,
// AckLatency and Commands read the fake's state; MayPing lists the message-bearing calls whose
// allowed_mentions could ping someone.
//
// Not modelled: MESSAGE_UPDATE/DELETE events for edits, threads, reactions, other REST routes,
// rate-limit headers (discordgo then never waits on its own), zlib-stream transport
// compression.
package discordtest
