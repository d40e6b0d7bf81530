package bot

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/attache-bot/attache/corpus"
	"github.com/attache-bot/attache/retrieval"
)

// session is the part of *discordgo.Session the handlers use. Handlers talk
// to Discord only through it, so their tests can record the calls instead.
type session interface {
	InteractionRespond(i *discordgo.Interaction, r *discordgo.InteractionResponse, opts ...discordgo.RequestOption) error
	InteractionResponseEdit(i *discordgo.Interaction, e *discordgo.WebhookEdit, opts ...discordgo.RequestOption) (*discordgo.Message, error)
	FollowupMessageCreate(i *discordgo.Interaction, wait bool, p *discordgo.WebhookParams, opts ...discordgo.RequestOption) (*discordgo.Message, error)
	ChannelMessageSendComplex(channelID string, m *discordgo.MessageSend, opts ...discordgo.RequestOption) (*discordgo.Message, error)
	ChannelMessage(channelID, messageID string, opts ...discordgo.RequestOption) (*discordgo.Message, error)
	ChannelTyping(channelID string, opts ...discordgo.RequestOption) error
	GuildRoles(guildID string, opts ...discordgo.RequestOption) ([]*discordgo.Role, error)
}

var _ session = (*discordgo.Session)(nil)

// Answerer answers a question from the corpus. onDelta, when not nil,
// receives the text of a generated answer piece by piece as it streams; the
// returned Answer is final. An error means no answer at all (a failing
// language model is not an error: the answer is then extractive, with a
// note). *retrieval.Engine implements it.
type Answerer interface {
	Answer(ctx context.Context, req retrieval.Request, onDelta func(string)) (retrieval.Answer, error)
}

// Articles changes the corpus: Add normalises, validates, stores and indexes
// an article (corpus.ErrInvalidArticle when it is rejected); Ingest does
// the same for the articles of an imported file, in a scope, reporting
// each one's outcome; Remove deletes one of a scope's articles
// (corpus.ErrNotFound when the scope has no such article).
// *retrieval.Engine implements it.
type Articles interface {
	Add(ctx context.Context, a corpus.Article) (corpus.Article, corpus.PutStatus, error)
	Ingest(ctx context.Context, scope string, articles []corpus.Article, each func(i int, o retrieval.Outcome)) (retrieval.IngestCounts, error)
	Remove(ctx context.Context, scope, id string) error
}

// Holder keeps in memory the articles of the guilds this process serves: a
// gateway shard receives only some guilds, and holds only theirs and the
// shared ones. Hold loads a scope (a guild that became available to the
// shard; holding one held already does nothing), Drop frees it (the bot left
// the guild), Holds reports whether a scope is held. *retrieval.Engine
// implements it; an engine of a single process holds every scope.
type Holder interface {
	Hold(ctx context.Context, scope string) error
	Drop(scope string) error
	Holds(scope string) bool
}

// Catalog lists a scope's articles, newest first; Suggest gives at most
// limit of them whose title or id contains a text, in the same order, for
// autocomplete; Summary looks one up by id (corpus.ErrNotFound when there
// is none). corpus.Backend (either library) implements it.
type Catalog interface {
	List(ctx context.Context, scopes ...string) ([]corpus.Summary, error)
	Suggest(ctx context.Context, scope, text string, limit int) ([]corpus.Summary, error)
	Summary(ctx context.Context, id string) (corpus.Summary, error)
}

// Fetcher fetches web pages for /article add: Fetch extracts an article from
// an HTML page, Download reads any file (an attachment) up to maxBytes.
// Both refuse private addresses unless configured otherwise.
// *corpus.Fetcher implements it.
type Fetcher interface {
	Fetch(ctx context.Context, rawURL string) (corpus.Article, error)
	Download(ctx context.Context, rawURL string, maxBytes int64) ([]byte, string, error)
}

// AnswerStore keeps answers, so that their Sources and feedback buttons work
// after a restart, and the votes on them. Answer returns corpus.ErrNotFound
// for an unknown id; SaveAnswerMessage records which message shows an
// answer, and AnswerByMessage finds the answer again from a message id
// (corpus.ErrNotFound when none was recorded), for the history of a reply;
// SaveFeedback stores a user's vote on an answer, replacing an earlier one,
// and returns the vote it replaced (0 for none); PruneAnswers deletes
// answers older than a time. corpus.Backend (either library) implements it.
type AnswerStore interface {
	SaveAnswer(ctx context.Context, a corpus.AnswerRecord) error
	Answer(ctx context.Context, id string) (corpus.AnswerRecord, error)
	SaveAnswerMessage(ctx context.Context, messageID, answerID string) error
	AnswerByMessage(ctx context.Context, messageID string) (corpus.AnswerRecord, error)
	SaveFeedback(ctx context.Context, f corpus.Feedback) (prev int, err error)
	PruneAnswers(ctx context.Context, before time.Time) (int, error)
}

// rewriteTransport sends requests for https://discord.com to base instead
// (DISCORD_API_BASE: a REST proxy or a local test server). Other hosts pass
// through unchanged. It changes no global state, so several sessions with
// different bases can live in one process.
type rewriteTransport struct {
	base *url.URL
	next http.RoundTripper
}

func (t rewriteTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Host != "discord.com" || r.URL.Scheme != "https" {
		return t.next.RoundTrip(r)
	}
	r2 := r.Clone(r.Context())
	r2.URL.Scheme = t.base.Scheme
	r2.URL.Host = t.base.Host
	if p := strings.TrimRight(t.base.Path, "/"); p != "" {
		r2.URL.Path = p + r2.URL.Path
		if r2.URL.RawPath != "" {
			r2.URL.RawPath = p + r2.URL.RawPath
		}
	}
	r2.Host = ""
	return t.next.RoundTrip(r2)
}

// CloseIdleConnections closes the idle connections of the transport
// underneath, when it has any (called when the bot stops).
func (t rewriteTransport) CloseIdleConnections() {
	if c, ok := t.next.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}
