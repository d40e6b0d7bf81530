package bot

import "github.com/bwmarrin/discordgo"

// Command, option and component names. Custom ids of buttons and modals
// carry their state after a colon and stay under Discord's 100 characters.
const (
	cmdAsk     = "ask"
	cmdArticle = "article"

	subAdd    = "add"
	subRemove = "remove"
	subList   = "list"

	optQuestion = "question"
	optPrivate  = "private"
	optURL      = "url"
	optFile     = "file"
	optID       = "id"
	optPage     = "page"

	optRetentionDays = "retention_days"

	modalAddArticle = "article_add" // the "Add article" modal

	// Text inputs of the modal, as interface.md names them.
	fieldTitle     = "title"
	fieldSource    = "source"
	fieldURL       = "url"
	fieldPublished = "published"
	fieldBody      = "body"

	btnSources  = "src:"       // + answer id
	btnVoteUp   = "vote:up:"   // + answer id
	btnVoteDown = "vote:down:" // + answer id
	btnListPage = "list:"      // + page number
)

// moderatorPerms is Manage Messages, the permission that makes a moderator.
const moderatorPerms = int64(discordgo.PermissionManageMessages)

// commands are the slash commands, registered with one bulk overwrite.
//
// /ask works in guilds and in direct messages with the bot (answered from
// the shared articles there). /article is for moderators and guilds only:
// default_member_permissions hides it from other members, and the handlers
// check the member's permissions again because server admins can change
// who sees a command.
func commands() []*discordgo.ApplicationCommand {
	perm := moderatorPerms
	minPage := 1.0
	return append([]*discordgo.ApplicationCommand{
		{
			Name:        cmdAsk,
			Description: "Ask a question about the news articles this server follows",
			Contexts: &[]discordgo.InteractionContextType{
				discordgo.InteractionContextGuild, discordgo.InteractionContextBotDM,
			},
			Options: append([]*discordgo.ApplicationCommandOption{
				{
					Type:        discordgo.ApplicationCommandOptionString,
					Name:        optQuestion,
					Description: "Your question, e.g. What did the summit agree on?",
					Required:    true,
					MaxLength:   maxQuestionRunes,
				},
				{
					Type:        discordgo.ApplicationCommandOptionBoolean,
					Name:        optPrivate,
					Description: "Show the answer only to you",
				},
			}, placeOptions()...),
		},
		{
			Name:                     cmdArticle,
			Description:              "Manage the articles this server's answers come from (moderators)",
			DefaultMemberPermissions: &perm,
			Contexts:                 &[]discordgo.InteractionContextType{discordgo.InteractionContextGuild},
			Options: []*discordgo.ApplicationCommandOption{
				{
					Type:        discordgo.ApplicationCommandOptionSubCommand,
					Name:        subAdd,
					Description: "Add an article from a web page, a file, or a form",
					Options: []*discordgo.ApplicationCommandOption{
						{
							Type:        discordgo.ApplicationCommandOptionString,
							Name:        optURL,
							Description: "The article's web page",
							MaxLength:   2000,
						},
						{
							Type:        discordgo.ApplicationCommandOptionAttachment,
							Name:        optFile,
							Description: "A .jsonl, .json, .md, .txt or .html file of articles",
						},
					},
				},
				{
					Type:        discordgo.ApplicationCommandOptionSubCommand,
					Name:        subRemove,
					Description: "Remove an article",
					Options: []*discordgo.ApplicationCommandOption{
						{
							Type:         discordgo.ApplicationCommandOptionString,
							Name:         optID,
							Description:  "The article (start typing its title)",
							Required:     true,
							Autocomplete: true,
							MaxLength:    100,
						},
					},
				},
				{
					Type:        discordgo.ApplicationCommandOptionSubCommand,
					Name:        subList,
					Description: "List this server's articles, newest first",
					Options: []*discordgo.ApplicationCommandOption{
						{
							Type:        discordgo.ApplicationCommandOptionInteger,
							Name:        optPage,
							Description: "Page number",
							MinValue:    &minPage,
						},
					},
				},
			},
		},
		feedCommand(),
		outletCommand(),
		reportCommand(),
	}, timelineCommands()...)
}
