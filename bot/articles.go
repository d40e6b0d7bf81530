package bot

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/attache-bot/attache/corpus"
	"github.com/attache-bot/attache/retrieval"
)

const (
	listPageSize    = 10
	maxChoices      = 25 // Discord's limit on autocomplete choices
	maxChoiceRunes  = 100
	maxRejectsShown = 10
	roleCacheTTL    = 5 * time.Minute
)

// handleArticle runs /article add|remove|list. Every subcommand first checks
// that the member is a moderator: a refusal comes before any modal, fetch or
// download.
func (b *Bot) handleArticle(ctx context.Context, it *interaction, data discordgo.ApplicationCommandInteractionData) error {
	if refused, err := b.refuseNonModerator(ctx, it); refused {
		return err
	}
	if len(data.Options) == 0 {
		return it.reply(ctx, "Use `/article add`, `/article remove` or `/article list`.")
	}
	sub := data.Options[0]
	switch sub.Name {
	case subAdd:
		return b.handleAdd(ctx, it, sub, data.Resolved)
	case subRemove:
		return b.handleRemove(ctx, it, sub)
	case subList:
		page := 1
		if o := findOption(sub.Options, optPage, discordgo.ApplicationCommandOptionInteger); o != nil {
			page = int(o.IntValue())
		}
		content, comps, err := b.listPage(ctx, it.i.GuildID, page)
		if err != nil {
			return err
		}
		it.outcome = "listed"
		return it.respond(ctx, &discordgo.InteractionResponse{
			Type: discordgo.InteractionResponseChannelMessageWithSource,
			Data: &discordgo.InteractionResponseData{Content: content, Components: comps, Flags: discordgo.MessageFlagsEphemeral},
		})
	}
	return it.reply(ctx, "I don't know that subcommand.")
}

func findOption(opts []*discordgo.ApplicationCommandInteractionDataOption, name string, typ discordgo.ApplicationCommandOptionType) *discordgo.ApplicationCommandInteractionDataOption {
	for _, o := range opts {
		if o != nil && o.Name == name && o.Type == typ {
			return o
		}
	}
	return nil
}

// isModerator: Manage Messages (or Administrator) in the member's computed
// permissions, or the configured moderator role, given by id or by name.
func (b *Bot) isModerator(ctx context.Context, s session, guildID string, m *discordgo.Member) bool {
	if m == nil {
		return false
	}
	if m.Permissions&(moderatorPerms|discordgo.PermissionAdministrator) != 0 {
		return true
	}
	role := strings.TrimSpace(b.cfg.ModeratorRole)
	if role == "" {
		return false
	}
	for _, r := range m.Roles {
		if r == role {
			return true
		}
	}
	names := b.roleNames(ctx, s, guildID)
	for _, r := range m.Roles {
		if n, ok := names[r]; ok && strings.EqualFold(n, role) {
			return true
		}
	}
	return false
}

type roleCacheEntry struct {
	names map[string]string // role id → name
	at    time.Time
}

// roleNames returns a guild's role names, fetched at most every roleCacheTTL.
func (b *Bot) roleNames(ctx context.Context, s session, guildID string) map[string]string {
	b.rolesMu.Lock()
	e, ok := b.roles[guildID]
	b.rolesMu.Unlock()
	if ok && b.now().Sub(e.at) < roleCacheTTL {
		return e.names
	}
	roles, err := s.GuildRoles(guildID, discordgo.WithContext(ctx))
	if err != nil {
		b.log.Warn("fetch guild roles", "guild", guildID, "err", err)
		return nil
	}
	names := make(map[string]string, len(roles))
	for _, r := range roles {
		if r != nil {
			names[r.ID] = r.Name
		}
	}
	b.rolesMu.Lock()
	b.roles[guildID] = roleCacheEntry{names: names, at: b.now()}
	b.rolesMu.Unlock()
	return names
}

// handleAdd adds articles from a URL, from an attached file, or (with
// neither) through the "Add article" modal.
func (b *Bot) handleAdd(ctx context.Context, it *interaction, sub *discordgo.ApplicationCommandInteractionDataOption, resolved *discordgo.ApplicationCommandInteractionDataResolved) error {
	urlOpt := findOption(sub.Options, optURL, discordgo.ApplicationCommandOptionString)
	fileOpt := findOption(sub.Options, optFile, discordgo.ApplicationCommandOptionAttachment)
	switch {
	case urlOpt != nil && fileOpt != nil:
		it.outcome = "invalid"
		return it.reply(ctx, "Give either a `url` or a `file`, not both.")
	case urlOpt != nil:
		return b.addFromURL(ctx, it, strings.TrimSpace(urlOpt.StringValue()))
	case fileOpt != nil:
		var att *discordgo.MessageAttachment
		if id, ok := fileOpt.Value.(string); ok && resolved != nil {
			att = resolved.Attachments[id]
		}
		return b.addFromFile(ctx, it, att)
	}
	it.outcome = "modal opened"
	return it.respond(ctx, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseModal, Data: addArticleModal()})
}

// addArticleModal is the "Add article" form. discordgo v0.29.0 predates
// Discord's Label component, so each input sits in an action row.
func addArticleModal() *discordgo.InteractionResponseData {
	row := func(in discordgo.TextInput) discordgo.MessageComponent {
		return discordgo.ActionsRow{Components: []discordgo.MessageComponent{in}}
	}
	return &discordgo.InteractionResponseData{
		CustomID: modalAddArticle,
		Title:    "Add article",
		Components: []discordgo.MessageComponent{
			row(discordgo.TextInput{CustomID: fieldTitle, Label: "Title", Style: discordgo.TextInputShort, Required: true, MaxLength: 300}),
			row(discordgo.TextInput{CustomID: fieldSource, Label: "Outlet", Style: discordgo.TextInputShort, Placeholder: "e.g. Reuters", MaxLength: 100}),
			row(discordgo.TextInput{CustomID: fieldURL, Label: "URL", Style: discordgo.TextInputShort, Placeholder: "https://…", MaxLength: 2000}),
			row(discordgo.TextInput{CustomID: fieldPublished, Label: "Published (YYYY-MM-DD)", Style: discordgo.TextInputShort, Placeholder: "2025-06-03", MinLength: 10, MaxLength: 10}),
			row(discordgo.TextInput{CustomID: fieldBody, Label: "Text of the article", Style: discordgo.TextInputParagraph, Required: true, MaxLength: maxModalBodyRunes}),
		},
	}
}

func (b *Bot) addFromURL(ctx context.Context, it *interaction, raw string) error {
	if msg := checkArticleURL(raw); msg != "" {
		it.outcome = "invalid url"
		return it.reply(ctx, msg)
	}
	if err := it.deferReply(ctx, true); err != nil {
		return fmt.Errorf("defer /article add: %w", err)
	}
	a, err := b.fetcher.Fetch(ctx, raw)
	if err != nil {
		it.outcome = "fetch failed"
		b.log.Warn("fetch article", "url", raw, "err", err)
		return it.edit(ctx, "I couldn't add that page: "+fetchProblem(err), nil)
	}
	a.Scope = it.i.GuildID
	stored, status, err := b.articles.Add(ctx, a)
	if err != nil {
		return b.addRejected(ctx, it, err)
	}
	it.outcome = "article " + status.String()
	return it.edit(ctx, addedMessage(stored, status), nil)
}

// checkArticleURL returns a message for the moderator when raw is not an
// absolute http(s) URL.
func checkArticleURL(raw string) string {
	u, err := url.Parse(raw)
	if raw == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "That doesn't look like a web address: give a full `https://…` URL."
	}
	return ""
}

// fetchProblem says why a page could not be fetched, without internals.
func fetchProblem(err error) string {
	switch {
	case errors.Is(err, corpus.ErrBlockedAddress):
		return "that address is not allowed (private or local network)."
	case errors.Is(err, corpus.ErrInvalidArticle):
		return "no article text could be extracted from it (" + oneLine(truncateRunes(reason(err), 300)) + ")."
	case errors.Is(err, corpus.ErrFetchTimeout), errors.Is(err, context.DeadlineExceeded):
		return "the site took too long to answer."
	}
	return "the page could not be fetched (" + oneLine(truncateRunes(reason(err), 300)) + ")."
}

// reason is an error's text for a moderator, mention syntax defused.
func reason(err error) string { return neutralise(err.Error()) }

func (b *Bot) addRejected(ctx context.Context, it *interaction, err error) error {
	switch {
	case errors.Is(err, corpus.ErrScopeConflict):
		it.outcome = "article rejected: other scope"
		return it.edit(ctx, "I couldn't add that article: an article with the same id (the same web address) already belongs to another server or to the shared articles.", nil)
	case errors.Is(err, corpus.ErrInvalidArticle):
		it.outcome = "article rejected"
		return it.edit(ctx, "I couldn't add that article: "+oneLine(truncateRunes(reason(err), 500)), nil)
	}
	return fmt.Errorf("add article: %w", err)
}

// addedMessage confirms an added article with what was extracted.
func addedMessage(a corpus.Article, status corpus.PutStatus) string {
	verb := map[corpus.PutStatus]string{corpus.Added: "Added", corpus.Updated: "Updated", corpus.Unchanged: "Already had (unchanged)"}[status]
	if verb == "" {
		verb = "Stored"
	}
	var meta []string
	if a.Source != "" {
		meta = append(meta, escapeMarkdown(neutralise(truncateRunes(oneLine(a.Source), 100))))
	}
	if !a.Published.IsZero() {
		meta = append(meta, a.Published.UTC().Format(corpus.DateLayout))
	} else {
		meta = append(meta, "date unknown")
	}
	msg := fmt.Sprintf("%s **%s** (%s)\nid: `%s`", verb, escapeMarkdown(neutralise(truncateRunes(oneLine(a.Title), 200))), strings.Join(meta, ", "), a.ID)
	if u := linkURL(a.URL); u != "" {
		msg += "\n<" + u + ">"
	}
	return msg
}

func (b *Bot) addFromFile(ctx context.Context, it *interaction, att *discordgo.MessageAttachment) error {
	switch {
	case att == nil || att.URL == "":
		it.outcome = "invalid file"
		return it.reply(ctx, "I couldn't find the attached file; please attach it again.")
	case att.Size > maxFileBytes:
		it.outcome = "file too large"
		return it.reply(ctx, fmt.Sprintf("That file is too large (%d KB); the limit is %d MB.", att.Size/1024, maxFileBytes>>20))
	case !supportedFile(att.Filename):
		it.outcome = "invalid file"
		return it.reply(ctx, msgFileTypes)
	case mediaType(att.ContentType):
		it.outcome = "invalid file"
		return it.reply(ctx, fmt.Sprintf("That file is %s, not text. %s", describeType(att.ContentType), msgFileTypes))
	}
	if err := it.deferReply(ctx, true); err != nil {
		return fmt.Errorf("defer /article add: %w", err)
	}
	data, _, err := b.fetcher.Download(ctx, att.URL, maxFileBytes)
	if err != nil {
		it.outcome = "download failed"
		b.log.Warn("download attachment", "file", att.Filename, "err", err)
		return it.edit(ctx, "I couldn't download that file: "+downloadProblem(err), nil)
	}
	// The name says nothing of what is inside: a picture renamed to .txt
	// would fail as "not UTF-8" at best. Unrecognised binary is left to
	// the importer, whose reason (and advice to convert) fits text in a
	// wrong encoding better.
	if ct := http.DetectContentType(data); !strings.HasPrefix(ct, "text/") && ct != "application/octet-stream" {
		it.outcome = "invalid file"
		return it.edit(ctx, fmt.Sprintf("That file is not text (its content looks like %s). %s", describeType(ct), msgFileTypes), nil)
	}
	res, err := corpus.ImportReader(bytes.NewReader(data), att.Filename, corpus.ImportOptions{Scope: it.i.GuildID, MaxFileBytes: maxFileBytes})
	if err != nil {
		it.outcome = "import failed"
		return it.edit(ctx, "I couldn't read that file: "+oneLine(truncateRunes(reason(err), 500)), nil)
	}
	rejected := append([]corpus.ImportError(nil), res.Rejected...)
	articles := make([]corpus.Article, len(res.Records))
	for i, rec := range res.Records {
		articles[i] = rec.Article
	}
	var failed error
	sum, err := b.articles.Ingest(ctx, it.i.GuildID, articles, func(i int, o retrieval.Outcome) {
		line := res.Records[i].Line
		switch {
		case errors.Is(o.Err, corpus.ErrScopeConflict):
			rejected = append(rejected, corpus.ImportError{Line: line, Reason: "its id belongs to another server or to the shared articles"})
		case o.Rejected():
			rejected = append(rejected, corpus.ImportError{Line: line, Reason: corpus.RejectReason(o.Err)})
		case o.Err != nil && failed == nil:
			failed = fmt.Errorf("add article of line %d: %w", line, o.Err)
		}
	})
	if err != nil {
		return fmt.Errorf("import %s: %w", att.Filename, err)
	}
	if failed != nil {
		return failed
	}
	counts := map[corpus.PutStatus]int{corpus.Added: sum.Added, corpus.Updated: sum.Updated, corpus.Unchanged: sum.Unchanged}
	it.outcome = fmt.Sprintf("imported: %d added, %d updated, %d unchanged, %d rejected",
		counts[corpus.Added], counts[corpus.Updated], counts[corpus.Unchanged], len(rejected)+res.MoreRejected)
	return it.edit(ctx, importSummary(att.Filename, counts, rejected, res.MoreRejected), nil)
}

// msgFileTypes lists the files /article add imports.
const msgFileTypes = "I can import .jsonl, .json, .md, .txt, .html and .htm files."

// mediaType reports whether a declared content type is a picture, a sound or
// a film: no article file, whatever its name.
func mediaType(ct string) bool {
	ct = strings.ToLower(strings.TrimSpace(ct))
	return strings.HasPrefix(ct, "image/") || strings.HasPrefix(ct, "audio/") || strings.HasPrefix(ct, "video/")
}

// describeType names a content type for a moderator: its media type only,
// without parameters, clipped and defused (a declared type is the
// uploader's text).
func describeType(ct string) string {
	mt, _, _ := strings.Cut(ct, ";")
	mt = strings.TrimSpace(mt)
	if mt == "" {
		return "of an unknown type"
	}
	return "`" + escapeCode(truncateRunes(oneLine(mt), 60)) + "`"
}

// downloadProblem says why an attachment could not be downloaded. It asks
// to try again only when that can help: a timeout, a dropped connection,
// the file server's own trouble. A refused address, a file over the limit
// or one the server no longer has fails the same way every time.
func downloadProblem(err error) string {
	const again = "; please try again in a moment."
	switch {
	case errors.Is(err, corpus.ErrBlockedAddress):
		return "its address is not allowed (private or local network)."
	case errors.Is(err, corpus.ErrTooLarge):
		return fmt.Sprintf("it is larger than the limit of %d MB.", maxFileBytes>>20)
	case errors.Is(err, corpus.ErrBadURL):
		return "its address is not a valid web address."
	case errors.Is(err, corpus.ErrTooManyRedirects):
		return "its address redirects too many times."
	case errors.Is(err, corpus.ErrHTTPStatus):
		code := httpStatus(err)
		switch {
		case code == 0:
			return "the file server had a problem" + again
		case code == http.StatusRequestTimeout || code == http.StatusTooManyRequests || code >= 500:
			return fmt.Sprintf("the file server had a problem (HTTP %d)%s", code, again)
		}
		return fmt.Sprintf("the file server refused it (HTTP %d): it may have expired or been deleted. Attach the file again.", code)
	case errors.Is(err, corpus.ErrFetchTimeout), errors.Is(err, context.DeadlineExceeded):
		return "the file server took too long to answer" + again
	}
	return "the download failed (" + oneLine(truncateRunes(reason(err), 200)) + ")" + again
}

// httpStatus is the status code in a corpus.ErrHTTPStatus error ("…:
// unexpected HTTP status: 404 Not Found"), or 0.
func httpStatus(err error) int {
	_, rest, ok := strings.Cut(err.Error(), corpus.ErrHTTPStatus.Error()+": ")
	if !ok || len(rest) < 3 {
		return 0
	}
	code, err := strconv.Atoi(rest[:3])
	if err != nil {
		return 0
	}
	return code
}

func supportedFile(name string) bool {
	name = strings.ToLower(name)
	for _, ext := range []string{".jsonl", ".json", ".md", ".txt", ".html", ".htm"} {
		if strings.HasSuffix(name, ext) {
			return true
		}
	}
	return false
}

// importSummary reports a file import: counts, then the first rejections
// with their line numbers and reasons.
func importSummary(name string, counts map[corpus.PutStatus]int, rejected []corpus.ImportError, more int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Imported **%s**: %d added, %d updated, %d unchanged, %d rejected.",
		escapeMarkdown(neutralise(truncateRunes(name, 100))), counts[corpus.Added], counts[corpus.Updated], counts[corpus.Unchanged], len(rejected)+more)
	for i, r := range rejected {
		if i == maxRejectsShown {
			fmt.Fprintf(&b, "\n…and %d more rejected.", len(rejected)-i+more)
			break
		}
		fmt.Fprintf(&b, "\n• %s", escapeMarkdown(neutralise(truncateRunes(oneLine(r.Error()), 150))))
		if i == len(rejected)-1 && more > 0 {
			fmt.Fprintf(&b, "\n…and %d more rejected.", more)
		}
	}
	return splitMessage(b.String(), maxContent)[0]
}

// handleAddModalSubmit validates the "Add article" form and adds it.
func (b *Bot) handleAddModalSubmit(ctx context.Context, it *interaction) error {
	if it.i.GuildID == "" || !b.isModerator(ctx, it.s, it.i.GuildID, it.i.Member) {
		it.outcome = "refused: not a moderator"
		return it.reply(ctx, msgNotModerator)
	}
	fields := modalValues(it.i.ModalSubmitData())
	a, problem := articleFromForm(fields)
	if problem != "" {
		it.outcome = "invalid form"
		return it.reply(ctx, problem)
	}
	a.Scope = it.i.GuildID
	if err := it.deferReply(ctx, true); err != nil {
		return fmt.Errorf("defer modal submit: %w", err)
	}
	stored, status, err := b.articles.Add(ctx, a)
	if err != nil {
		return b.addRejected(ctx, it, err)
	}
	it.outcome = "article " + status.String()
	return it.edit(ctx, addedMessage(stored, status), nil)
}

// modalValues maps a submitted modal's text input ids to their values.
func modalValues(data discordgo.ModalSubmitInteractionData) map[string]string {
	out := map[string]string{}
	var walk func(cs []discordgo.MessageComponent)
	walk = func(cs []discordgo.MessageComponent) {
		for _, c := range cs {
			switch c := c.(type) {
			case *discordgo.ActionsRow:
				walk(c.Components)
			case discordgo.ActionsRow:
				walk(c.Components)
			case *discordgo.TextInput:
				out[c.CustomID] = c.Value
			case discordgo.TextInput:
				out[c.CustomID] = c.Value
			}
		}
	}
	walk(data.Components)
	return out
}

// articleFromForm builds an article from the modal's fields, or says what
// is wrong with them.
func articleFromForm(f map[string]string) (corpus.Article, string) {
	a := corpus.Article{
		Title:  strings.TrimSpace(f[fieldTitle]),
		Source: strings.TrimSpace(f[fieldSource]),
		URL:    strings.TrimSpace(f[fieldURL]),
		Body:   strings.TrimSpace(f[fieldBody]),
	}
	for k, v := range f {
		if !utf8.ValidString(v) {
			return a, fmt.Sprintf("The %s field contains characters I can't read.", k)
		}
	}
	switch {
	case a.Title == "":
		return a, "The article needs a title."
	case a.Body == "":
		return a, "The article needs its text."
	case utf8.RuneCountInString(a.Title) > 300:
		return a, "The title is too long (300 characters at most)."
	case utf8.RuneCountInString(a.Body) > maxModalBodyRunes:
		return a, "The text is too long for the form; attach it as a file with `/article add file:` instead."
	}
	if a.URL != "" {
		if msg := checkArticleURL(a.URL); msg != "" {
			return a, msg
		}
	}
	if p := strings.TrimSpace(f[fieldPublished]); p != "" {
		t, err := time.Parse(corpus.DateLayout, p)
		if err != nil {
			return a, "The date must look like 2025-06-03 (year-month-day)."
		}
		a.Published = t
	}
	return a, ""
}

// handleRemove removes one of the guild's articles.
func (b *Bot) handleRemove(ctx context.Context, it *interaction, sub *discordgo.ApplicationCommandInteractionDataOption) error {
	o := findOption(sub.Options, optID, discordgo.ApplicationCommandOptionString)
	id := ""
	if o != nil {
		id = strings.TrimSpace(o.StringValue())
	}
	if id == "" || len(id) > 100 || !utf8.ValidString(id) {
		it.outcome = "invalid id"
		return it.reply(ctx, "Give the id of an article (pick it from the suggestions).")
	}
	if err := it.deferReply(ctx, true); err != nil {
		return fmt.Errorf("defer /article remove: %w", err)
	}
	err := b.articles.Remove(ctx, it.i.GuildID, id)
	switch {
	case errors.Is(err, corpus.ErrNotFound) && b.isShared(ctx, id):
		it.outcome = "refused: shared article"
		return it.edit(ctx, fmt.Sprintf("`%s` is a shared article: every server's answers use it, so it is not removed from a server. "+
			"The operator can remove it from the command line: `attache remove %s`.", escapeCode(id), escapeCode(id)), nil)
	case errors.Is(err, corpus.ErrNotFound):
		it.outcome = "not found"
		return it.edit(ctx, fmt.Sprintf("This server has no article with id `%s`.", escapeCode(id)), nil)
	case err != nil:
		return fmt.Errorf("remove article: %w", err)
	}
	it.outcome = "removed"
	return it.edit(ctx, fmt.Sprintf("Removed article `%s`. It no longer appears in answers.", escapeCode(id)), nil)
}

// isShared reports whether id is a shared article. Every guild sees the
// shared articles (their answers cite them), so saying so reveals nothing;
// an article of another guild gets the same answer as no article at all.
func (b *Bot) isShared(ctx context.Context, id string) bool {
	s, err := b.catalog.Summary(ctx, id)
	if err != nil && !errors.Is(err, corpus.ErrNotFound) {
		b.log.Warn("look up article", "id", id, "err", err)
	}
	return err == nil && s.Scope == corpus.SharedScope
}

// escapeCode makes s safe inside `inline code`.
func escapeCode(s string) string { return strings.ReplaceAll(neutralise(s), "`", "'") }

// handleAutocomplete suggests the guild's articles whose title or id
// contains what the moderator typed. Autocomplete cannot be deferred and
// comes on every keystroke, so it asks the library for the 25 choices
// only (an indexed query), never for the guild's whole list.
func (b *Bot) handleAutocomplete(ctx context.Context, it *interaction, data discordgo.ApplicationCommandInteractionData) error {
	choices := []*discordgo.ApplicationCommandOptionChoice{}
	if it.i.GuildID != "" && b.isModerator(ctx, it.s, it.i.GuildID, it.i.Member) {
		typed := ""
		if len(data.Options) > 0 {
			for _, o := range data.Options[0].Options {
				if o.Focused {
					typed, _ = o.Value.(string)
				}
			}
		}
		list, err := b.catalog.Suggest(ctx, it.i.GuildID, firstRunes(typed, maxTypedRunes), maxChoices)
		if err != nil {
			return fmt.Errorf("suggest articles: %w", err)
		}
		for _, s := range list {
			name := truncateRunes(oneLine(s.Title), maxChoiceRunes-13)
			if !s.Published.IsZero() {
				name += " (" + s.Published.UTC().Format(corpus.DateLayout) + ")"
			}
			choices = append(choices, &discordgo.ApplicationCommandOptionChoice{Name: name, Value: s.ID})
		}
	} else {
		it.outcome = "refused: not a moderator"
	}
	it.sources = len(choices)
	return it.respond(ctx, &discordgo.InteractionResponse{
		Type: discordgo.InteractionApplicationCommandAutocompleteResult,
		Data: &discordgo.InteractionResponseData{Choices: choices},
	})
}

// maxTypedRunes is the id option's max_length: a client may send more.
const maxTypedRunes = 100

// firstRunes is s cut to its first n runes (no ellipsis: it is searched).
func firstRunes(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}

// listPage renders page (1-based) of the guild's articles, newest first,
// with Previous/Next buttons.
func (b *Bot) listPage(ctx context.Context, guildID string, page int) (string, []discordgo.MessageComponent, error) {
	list, err := b.catalog.List(ctx, guildID)
	if err != nil {
		return "", nil, fmt.Errorf("list articles: %w", err)
	}
	if len(list) == 0 {
		return "This server has no articles of its own yet; answers use the shared articles. Add some with `/article add`.", nil, nil
	}
	pages := (len(list) + listPageSize - 1) / listPageSize
	page = min(max(page, 1), pages)
	var sb strings.Builder
	fmt.Fprintf(&sb, "**Articles of this server** (%d, page %d of %d, newest first)", len(list), page, pages)
	for _, s := range list[(page-1)*listPageSize : min(page*listPageSize, len(list))] {
		date := "no date"
		if !s.Published.IsZero() {
			date = s.Published.UTC().Format(corpus.DateLayout)
		}
		line := fmt.Sprintf("\n`%s` %s — %s", escapeCode(s.ID), escapeMarkdown(neutralise(truncateRunes(oneLine(s.Title), 100))), date)
		if s.Source != "" {
			line += ", " + escapeMarkdown(neutralise(truncateRunes(oneLine(s.Source), 40)))
		}
		sb.WriteString(line)
	}
	var comps []discordgo.MessageComponent
	if pages > 1 {
		comps = []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{
			discordgo.Button{Label: "◀ Previous", Style: discordgo.SecondaryButton, CustomID: btnListPage + strconv.Itoa(page-1), Disabled: page == 1},
			discordgo.Button{Label: "Next ▶", Style: discordgo.SecondaryButton, CustomID: btnListPage + strconv.Itoa(page+1), Disabled: page == pages},
		}}}
	}
	return splitMessage(sb.String(), maxContent)[0], comps, nil
}

// handleListPage turns the page of a /article list message.
func (b *Bot) handleListPage(ctx context.Context, it *interaction, arg string) error {
	if it.i.GuildID == "" || !b.isModerator(ctx, it.s, it.i.GuildID, it.i.Member) {
		it.outcome = "refused: not a moderator"
		return it.reply(ctx, msgNotModerator)
	}
	page, err := strconv.Atoi(arg)
	if err != nil || page < 1 || page > 1_000_000 {
		it.outcome = "invalid page"
		return it.reply(ctx, "That page button is broken; run `/article list` again.")
	}
	content, comps, err := b.listPage(ctx, it.i.GuildID, page)
	if err != nil {
		return err
	}
	if comps == nil {
		comps = []discordgo.MessageComponent{}
	}
	it.outcome = "listed"
	return it.respond(ctx, &discordgo.InteractionResponse{
		Type: discordgo.InteractionResponseUpdateMessage,
		Data: &discordgo.InteractionResponseData{Content: content, Components: comps},
	})
}
