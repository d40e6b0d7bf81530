package discordtest

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Validators return the offending field (a dotted path into the body) and the reason, or two
// empty strings. Lengths are counted in characters (runes), as Discord documents them.

var nameRe = regexp.MustCompile(`^[-_\p{L}\p{N}\p{Devanagari}\p{Thai}]{1,32}$`)

func runes(v any) int {
	s, _ := v.(string)
	return utf8.RuneCountInString(s)
}

// span is a length rule: the string at path has min to max characters.
type span struct {
	path     string
	min, max int
}

// checkSpans applies length rules to obj; p prefixes the reported field.
func checkSpans(p string, obj any, rules ...span) (string, string) {
	for _, r := range rules {
		n := runes(lookup(obj, r.path))
		switch {
		case n > r.max && r.min == 0:
			return p + r.path, fmt.Sprintf("must be %d or fewer in length (got %d)", r.max, n)
		case n < r.min || n > r.max:
			return p + r.path, fmt.Sprintf("must be between %d and %d in length (got %d)", r.min, r.max, n)
		}
	}
	return "", ""
}

func checkName(field string, v any) (string, string) {
	name, _ := v.(string)
	if !nameRe.MatchString(name) || strings.ToLower(name) != name {
		return field, fmt.Sprintf("%q must be 1-32 lowercase letters, digits, '-' or '_'", name)
	}
	return "", ""
}

// validateCommands checks a bulk overwrite body against Discord's command rules.
func validateCommands(body any) (string, string) {
	cmds, ok := body.([]any)
	if !ok {
		return "", "the body must be an array of application commands"
	}
	seen := map[string]bool{}
	chat := 0
	for i, c := range cmds {
		p := itoa(i) + "."
		cm, _ := c.(map[string]any)
		typ := 1
		if cm["type"] != nil {
			typ = int(num(cm["type"]))
		}
		field, reason := "", ""
		switch typ {
		case 1:
			chat++
			if field, reason = checkName(p+"name", cm["name"]); reason == "" {
				field, reason = checkSpans(p, cm, span{"description", 1, 100})
			}
		case 2, 3: // user and message commands: free-form names, no description
			field, reason = checkSpans(p, cm, span{"name", 1, 32}, span{"description", 0, 0})
		default:
			field, reason = p+"type", fmt.Sprintf("unknown command type %d", typ)
		}
		if reason != "" {
			return field, reason
		}
		if key := fmt.Sprint(typ, "/", cm["name"]); seen[key] {
			return p + "name", fmt.Sprintf("duplicate command name %q", cm["name"])
		} else {
			seen[key] = true
		}
		if v := cm["default_member_permissions"]; v != nil {
			if s, ok := v.(string); !ok || s == "" || strings.Trim(s, "0123456789") != "" {
				return p + "default_member_permissions", "must be a string of permission bits"
			}
		}
		if opts := cm["options"]; opts != nil && typ != 1 {
			return p + "options", "only chat input commands take options"
		} else if opts != nil {
			if field, reason := validateOptions(opts, p+"options.", 0); reason != "" {
				return field, reason
			}
		}
	}
	if chat > 100 {
		return "", fmt.Sprintf("at most 100 chat input commands (got %d)", chat)
	}
	return "", ""
}

// validateOptions checks a command's options; parent is 0 (command), 1 (subcommand) or 2 (group).
func validateOptions(v any, p string, parent int) (string, string) {
	opts, ok := v.([]any)
	if !ok || len(opts) > 25 {
		return p, fmt.Sprintf("options must be an array of at most 25 (got %d)", len(opts))
	}
	seen := map[any]bool{}
	subs, plain, optional := 0, 0, false
	for i, o := range opts {
		q := p + itoa(i) + "."
		typ := int(num(lookup(o, "type")))
		if field, reason := checkName(q+"name", lookup(o, "name")); reason != "" {
			return field, reason
		}
		if field, reason := checkSpans(q, o, span{"description", 1, 100}); reason != "" {
			return field, reason
		}
		if seen[lookup(o, "name")] {
			return q + "name", fmt.Sprintf("duplicate option name %q", lookup(o, "name"))
		}
		seen[lookup(o, "name")] = true
		switch {
		case typ == 1 || typ == 2:
			subs++
			if parent == 1 || (parent == 2 && typ == 2) {
				return q + "type", "subcommands and groups nest only as command → group → subcommand"
			}
			if sub := lookup(o, "options"); sub != nil {
				if field, reason := validateOptions(sub, q+"options.", typ); reason != "" {
					return field, reason
				}
			}
		case typ >= 3 && typ <= 11:
			plain++
			required := lookup(o, "required") == true
			if required && optional {
				return q + "required", "required options must be placed before non-required options"
			}
			optional = optional || !required
		default:
			return q + "type", fmt.Sprintf("unknown option type %d", typ)
		}
		if choices, _ := lookup(o, "choices").([]any); len(choices) > 0 {
			if typ != 3 && typ != 4 && typ != 10 {
				return q + "choices", "only string, integer and number options take choices"
			}
			if lookup(o, "autocomplete") == true {
				return q + "autocomplete", "autocomplete cannot be combined with choices"
			}
			if field, reason := validateChoiceList(q+"choices", choices); reason != "" {
				return field, reason
			}
		}
		for key, lim := range map[string][2]float64{"min_length": {0, 6000}, "max_length": {1, 6000}} {
			if v := lookup(o, key); v != nil && (typ != 3 || num(v) < lim[0] || num(v) > lim[1]) {
				return q + key, fmt.Sprintf("%s must be %g-%g, on string options", key, lim[0], lim[1])
			}
		}
	}
	if subs > 0 && plain > 0 || parent == 2 && plain > 0 {
		return p, "subcommands cannot be mixed with other options"
	}
	return "", ""
}

func validateChoiceList(p string, choices []any) (string, string) {
	if len(choices) > 25 {
		return p, fmt.Sprintf("at most 25 choices (got %d)", len(choices))
	}
	for i, c := range choices {
		if field, reason := checkSpans(p+"."+itoa(i)+".", c, span{"name", 1, 100}, span{"value", 0, 100}); reason != "" {
			return field, reason
		}
	}
	return "", ""
}

// validateChoices checks an autocomplete response (type 8).
func validateChoices(data map[string]any) (string, string) {
	choices, _ := data["choices"].([]any)
	return validateChoiceList("data.choices", choices)
}

// validateMessage checks message limits in a create or edit body; prefix locates the message in
// the body ("data." for interaction responses).
func validateMessage(m map[string]any, prefix string) (string, string) {
	if field, reason := checkSpans(prefix, m, span{"content", 0, 2000}); reason != "" {
		return field, reason
	}
	if field, reason := validateEmbeds(m["embeds"], prefix+"embeds"); reason != "" {
		return field, reason
	}
	if int64(num(m["flags"]))&(1<<15) == 0 { // components v2 are not checked
		if field, reason := validateComponents(m["components"], prefix+"components"); reason != "" {
			return field, reason
		}
	}
	if am, ok := m["allowed_mentions"].(map[string]any); ok {
		parse, _ := am["parse"].([]any)
		for _, kind := range parse {
			if kind != "users" && kind != "roles" && kind != "everyone" {
				return prefix + "allowed_mentions.parse", fmt.Sprintf("unknown mention type %v", kind)
			}
			if list, _ := am[kind.(string)].([]any); len(list) > 0 {
				return prefix + "allowed_mentions", fmt.Sprintf("parse %s is mutually exclusive with a %s list", kind, kind)
			}
		}
	}
	return "", ""
}

func validateEmbeds(v any, p string) (string, string) {
	embeds, ok := v.([]any)
	if v != nil && (!ok || len(embeds) > 10) {
		return p, fmt.Sprintf("must be an array of 10 or fewer embeds (got %d)", len(embeds))
	}
	total := 0
	for i, e := range embeds {
		q := p + "." + itoa(i) + "."
		if field, reason := checkSpans(q, e, span{"title", 0, 256}, span{"description", 0, 4096},
			span{"footer.text", 0, 2048}, span{"author.name", 0, 256}); reason != "" {
			return field, reason
		}
		total += runes(lookup(e, "title")) + runes(lookup(e, "description")) + runes(lookup(e, "footer.text")) + runes(lookup(e, "author.name"))
		fields, _ := lookup(e, "fields").([]any)
		if len(fields) > 25 {
			return q + "fields", fmt.Sprintf("must be 25 or fewer in length (got %d)", len(fields))
		}
		for j, fl := range fields {
			if field, reason := checkSpans(q+"fields."+itoa(j)+".", fl, span{"name", 1, 256}, span{"value", 1, 1024}); reason != "" {
				return field, reason
			}
			total += runes(lookup(fl, "name")) + runes(lookup(fl, "value"))
		}
	}
	if total > 6000 {
		return p, fmt.Sprintf("embeds must total 6000 or fewer characters (got %d)", total)
	}
	return "", ""
}

func validateComponents(v any, p string) (string, string) {
	rows, ok := v.([]any)
	if v != nil && (!ok || len(rows) > 5) {
		return p, fmt.Sprintf("must be an array of 5 or fewer action rows (got %d)", len(rows))
	}
	ids := map[any]bool{}
	for i, row := range rows {
		q := p + "." + itoa(i) + "."
		items, _ := lookup(row, "components").([]any)
		if num(lookup(row, "type")) != 1 || len(items) < 1 || len(items) > 5 {
			return q + "components", fmt.Sprintf("a top-level component is an action row (type 1) of 1 to 5 components (got %d)", len(items))
		}
		for j, c := range items {
			r := q + "components." + itoa(j) + "."
			typ, style, id := num(lookup(c, "type")), num(lookup(c, "style")), lookup(c, "custom_id")
			switch {
			case typ == 2 && style == 5:
				if runes(lookup(c, "url")) == 0 || runes(id) > 0 {
					return r + "url", "a link button has a url and no custom_id"
				}
			case typ == 2 && style == 6: // premium button: a sku_id, no custom_id
			case typ == 2 || typ == 3 || (typ >= 5 && typ <= 8):
				if field, reason := checkSpans(r, c, span{"custom_id", 1, 100}); reason != "" {
					return field, reason
				}
				if ids[id] {
					return r + "custom_id", fmt.Sprintf("custom_id %q is not unique in the message", id)
				}
				ids[id] = true
			case typ == 4:
				return r + "type", "text inputs are only allowed in modals"
			default:
				return r + "type", fmt.Sprintf("unknown component type %v", typ)
			}
			if field, reason := checkSpans(r, c, span{"label", 0, 80}, span{"placeholder", 0, 150}); reason != "" {
				return field, reason
			}
			if options, _ := lookup(c, "options").([]any); len(options) > 25 {
				return r + "options", fmt.Sprintf("must be 25 or fewer in length (got %d)", len(options))
			}
		}
	}
	return "", ""
}

// validateModal checks a modal response (type 9): 1 to 5 action rows of one text input each.
func validateModal(data map[string]any) (string, string) {
	if field, reason := checkSpans("data.", data, span{"custom_id", 1, 100}, span{"title", 1, 45}); reason != "" {
		return field, reason
	}
	rows, _ := data["components"].([]any)
	if len(rows) < 1 || len(rows) > 5 {
		return "data.components", fmt.Sprintf("a modal holds 1 to 5 action rows (got %d)", len(rows))
	}
	for i, row := range rows {
		q := "data.components." + itoa(i) + "."
		items, _ := lookup(row, "components").([]any)
		if num(lookup(row, "type")) != 1 || len(items) != 1 || num(lookup(items[0], "type")) != 4 {
			return q + "components", "each modal row is an action row holding one text input"
		}
		in, r := items[0], q+"components.0."
		if field, reason := checkSpans(r, in, span{"custom_id", 1, 100}, span{"label", 1, 45},
			span{"placeholder", 0, 100}, span{"value", 0, 4000}); reason != "" {
			return field, reason
		}
		if s := num(lookup(in, "style")); s != 1 && s != 2 {
			return r + "style", "style must be 1 (short) or 2 (paragraph)"
		}
		if lo, hi := lookup(in, "min_length"), lookup(in, "max_length"); lo != nil && (num(lo) < 0 || num(lo) > 4000) ||
			hi != nil && (num(hi) < 1 || num(hi) > 4000) {
			return r + "max_length", "min_length must be 0-4000 and max_length 1-4000"
		}
	}
	return "", ""
}
