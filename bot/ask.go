package bot

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/attache-bot/attache/corpus"
	"github.com/attache-bot/attache/retrieval"
)

// handleAsk answers /ask: validate, rate-limit, defer at once, wait for a
// free answer slot (saying so when queued), stream the answer into the
// deferred response, then edit it into the final rendering.
func (b *Bot) handleAsk(ctx context.Context, it *interaction, data discordgo.ApplicationCommandInteractionData) error {
	var question string
	private := false
	for _, o := range data.Options {
		switch {
		case o.Name == optQuestion && o.Type == discordgo.ApplicationCommandOptionString:
			question = o.StringValue()
		case o.Name == optPrivate && o.Type == discordgo.ApplicationCommandOptionBoolean:
			private = o.BoolValue()
		}
	}
	question, problem := checkQuestion(question)
	if problem != "" {
		it.outcome = "invalid question"
		return it.reply(ctx, problem)
	}
	country, org, problem := readPlaces(data.Options)
	if problem != "" {
		it.outcome = "invalid option"
		return it.reply(ctx, problem)
	}
	if ok, wait := b.limiter.allow(it.userID(), b.now()); !ok {
		it.outcome = "rate-limited"
		return it.reply(ctx, rateLimitMessage(wait))
	}
	if err := it.deferReply(ctx, private); err != nil {
		return fmt.Errorf("defer /ask: %w", err)
	}
	b.debugQuestion("ask", it.i.ID, question)

	job := answerJob{
		req: retrieval.Request{Question: question, Scope: scopeOf(it.i.GuildID), Country: country, Org: org},
		onQueued: func(ctx context.Context, ahead int) {
			if err := it.edit(ctx, queuedMessage(ahead), nil); err != nil {
				b.log.Warn("queued notice failed", "interaction", it.i.ID, "err", err)
			}
		},
		onPreview: func(ctx context.Context, text string) {
			if err := it.edit(ctx, renderPreview(text), nil); err != nil {
				b.log.Warn("streaming edit failed", "interaction", it.i.ID, "err", err)
			}
		},
	}
	ans, err := b.answer(ctx, job)
	if err != nil {
		return fmt.Errorf("answer: %w", err)
	}
	it.sources, it.outcome = len(ans.Sources), "answered: "+string(ans.Mode)

	return b.deliverAnswer(ctx, ans, it.i.GuildID, it.userID(),
		func(ctx context.Context, first bool, part string, comps []discordgo.MessageComponent) (string, error) {
			if first {
				return b.deliverFinal(ctx, it, part, comps)
			}
			return b.deliverFollowup(ctx, it, part, comps)
		})
}

// deliverAnswer saves ans (its buttons refer to it) and sends it in parts,
// the buttons under the last one; send delivers one part and returns its
// message's id, which is recorded with the stored answer so that a reply to
// any part finds the answer it follows up on. The answer is ready, so it
// goes out under a deadline of its own (the delivery policy's) even if
// shutdown has begun meanwhile.
func (b *Bot) deliverAnswer(ctx context.Context, ans retrieval.Answer, guildID, userID string,
	send func(ctx context.Context, first bool, part string, comps []discordgo.MessageComponent) (string, error)) error {
	dctx, cancel := b.deliveryCtx(ctx, b.delivery.total)
	defer cancel()
	id := b.saveAnswer(dctx, ans, guildID, userID)
	parts := renderAnswer(ans, b.now())
	buttons := answerButtons(id, len(ans.Sources) > 0)
	for n, part := range parts {
		var comps []discordgo.MessageComponent
		if n == len(parts)-1 {
			comps = buttons
		}
		msgID, err := send(dctx, n == 0, part, comps)
		if err != nil {
			return fmt.Errorf("deliver answer part %d of %d: %w", n+1, len(parts), err)
		}
		if id != "" && msgID != "" {
			if err := b.store.SaveAnswerMessage(dctx, msgID, id); err != nil {
				// The answer is out; only follow-ups to it lose their history.
				b.log.Warn("record answer message", "err", err)
			}
		}
	}
	return nil
}

// answerJob is one question to answer, with the hooks that show progress.
type answerJob struct {
	req       retrieval.Request
	onQueued  func(ctx context.Context, ahead int)   // no free slot: the user is told; may be nil
	onPreview func(ctx context.Context, text string) // a generated answer so far; nil = no streaming
}

// answer waits for an answer slot and asks the engine, streaming previews
// through job.onPreview at most once per b.editInterval. When it returns,
// no preview is being sent any more, so the caller's final edit comes last.
func (b *Bot) answer(ctx context.Context, job answerJob) (retrieval.Answer, error) {
	actx, cancel := context.WithTimeout(ctx, answerTimeout)
	defer cancel()
	err := b.slots.acquire(actx, func(ahead int) {
		if job.onQueued != nil {
			job.onQueued(actx, ahead)
		}
	})
	if err != nil {
		return retrieval.Answer{}, fmt.Errorf("wait for a free answer slot: %w", err)
	}
	defer b.slots.release()

	var onDelta func(string)
	if job.onPreview != nil {
		st := newStreamer(b.editInterval, func(text string) { job.onPreview(actx, text) })
		defer st.stop()
		onDelta = st.add
	}
	ans, err := b.answerer.Answer(actx, job.req, onDelta)
	if err != nil {
		return retrieval.Answer{}, err
	}
	return ans, nil
}

// saveAnswer stores an answer for its Sources and feedback buttons and
// returns its id, or "" when it could not be stored (the answer is then
// shown without buttons rather than not at all).
func (b *Bot) saveAnswer(ctx context.Context, ans retrieval.Answer, guildID, userID string) string {
	id := newAnswerID()
	sources, err := json.Marshal(ans.Sources)
	if err == nil {
		err = b.store.SaveAnswer(ctx, corpus.AnswerRecord{
			ID: id, GuildID: guildID, UserID: userID, Question: ans.Question,
			Answer: ans.Text, Sources: string(sources), Time: b.now().UTC(),
		})
	}
	if err != nil {
		b.log.Warn("store answer", "err", err)
		return ""
	}
	b.pruneAnswers(ctx)
	return id
}

// pruneAnswers deletes stored answers older than answerRetention, at most
// once a day, so that the table stays bounded. Votes are kept.
func (b *Bot) pruneAnswers(ctx context.Context) {
	now := b.now()
	last := b.lastPrune.Load()
	if last != 0 && now.Sub(time.Unix(0, last)) < 24*time.Hour {
		return
	}
	if !b.lastPrune.CompareAndSwap(last, now.UnixNano()) {
		return // another answer is pruning
	}
	n, err := b.store.PruneAnswers(ctx, now.Add(-answerRetention))
	if err != nil {
		b.log.Warn("prune stored answers", "err", err)
		return
	}
	if n > 0 {
		b.log.Info("pruned stored answers", "count", n)
	}
}

// answerButtons are the buttons under an answer: Sources (when it has any)
// and the two votes. Custom ids stay far below Discord's 100 characters.
func answerButtons(answerID string, hasSources bool) []discordgo.MessageComponent {
	if answerID == "" {
		return nil
	}
	var row []discordgo.MessageComponent
	if hasSources {
		row = append(row, discordgo.Button{Label: "Sources", Style: discordgo.SecondaryButton, CustomID: btnSources + answerID})
	}
	row = append(row,
		discordgo.Button{Emoji: &discordgo.ComponentEmoji{Name: "👍"}, Style: discordgo.SecondaryButton, CustomID: btnVoteUp + answerID},
		discordgo.Button{Emoji: &discordgo.ComponentEmoji{Name: "👎"}, Style: discordgo.SecondaryButton, CustomID: btnVoteDown + answerID},
	)
	return []discordgo.MessageComponent{discordgo.ActionsRow{Components: row}}
}

// newAnswerID returns 16 random hex characters.
func newAnswerID() string {
	var p [8]byte
	_, _ = rand.Read(p[:]) // crypto/rand.Read never fails
	return hex.EncodeToString(p[:])
}

// scopeOf is the corpus scope questions and articles of a guild belong to;
// outside guilds (direct messages) only the shared articles are used.
func scopeOf(guildID string) string {
	if guildID == "" {
		return corpus.SharedScope
	}
	return guildID
}

func rateLimitMessage(wait time.Duration) string {
	secs := int(math.Ceil(wait.Seconds()))
	return fmt.Sprintf("You're asking faster than I can answer carefully: please wait %d s before your next question.", max(secs, 1))
}

func queuedMessage(ahead int) string {
	if ahead == 0 {
		return "⏳ I'm answering other questions right now; yours is next in the queue."
	}
	return fmt.Sprintf("⏳ I'm answering other questions right now; yours is queued behind %d more.", ahead)
}
