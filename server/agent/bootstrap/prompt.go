package bootstrap

import (
	"context"
	"slices"
	"strconv"
	"strings"
)

// Options shape one system prompt.
type Options struct {
	// SessionKey is the run's session; a sub-agent session gets only AGENTS.md and
	// TOOLS.md and no skills section.
	SessionKey string
	// MaxChars caps each file (agents.defaults.bootstrapMaxChars); ≤0: DefaultMaxChars.
	MaxChars int
	// MaxTotalChars caps all files together; ≤0: no cap beyond MaxChars per file.
	MaxTotalChars int
	// Skills is the eligible skills listing (skills.Prompt); "" leaves the skills
	// section out.
	Skills string
	// Extra is appended as its own section (agents.defaults.systemPrompt, or a
	// hook's note); "" adds nothing.
	Extra string
	// Warn, when set, hears about every file cut to the cap.
	Warn func(msg string)
}

// Intro is the prompt's first line.
const Intro = "You are a personal assistant running inside Clawdbot."

// SystemPrompt builds the system prompt of one run: the intro, the skills section
// (when Skills is set and the session is not a sub-agent), the workspace, the
// Extra section, then the workspace files under "# Project Context" in order
// (AGENTS.md, SOUL.md, TOOLS.md, IDENTITY.md, USER.md, HEARTBEAT.md, BOOTSTRAP.md),
// each under "## <name>". Files are re-read only when they changed.
//
// The last prompt built (one for sub-agent sessions, one for the others) is kept with
// the files and options it was built from: while no file changed (size, mtime,
// presence) and the options are the same, it is returned without building it again.
// Cut files are reported to Warn when the prompt is built, not on every run.
func (w *Workspace) SystemPrompt(ctx context.Context, o Options) (string, error) {
	files, err := w.Files(ctx, o.SessionKey)
	if err != nil {
		return "", err
	}
	return w.PromptFrom(files, o), nil
}

// PromptFrom is SystemPrompt over files a caller has just read with Files (to look at
// them first: which are missing), so they are not looked up twice.
func (w *Workspace) PromptFrom(files []File, o Options) string {
	sub := IsSubagentSessionKey(o.SessionKey)
	key := promptKey{maxChars: o.MaxChars, maxTotal: o.MaxTotalChars, skills: o.Skills, extra: o.Extra}
	slot := 0
	if sub {
		slot = 1
	}
	w.mu.Lock()
	m := w.memo[slot]
	w.mu.Unlock()
	if m != nil && m.key == key && slices.Equal(m.files, files) {
		return m.out
	}
	out := w.buildPrompt(files, sub, o)
	w.mu.Lock()
	w.memo[slot] = &promptMemo{key: key, files: files, out: out}
	w.mu.Unlock()
	return out
}

// promptKey is what a prompt depends on besides the workspace files.
type promptKey struct {
	maxChars, maxTotal int
	skills, extra      string
}

// promptMemo is a built prompt with what it was built from.
type promptMemo struct {
	key   promptKey
	files []File // compared by value: cached file contents are the same strings
	out   string
}

func (w *Workspace) buildPrompt(files []File, sub bool, o Options) string {
	cfs := Context(files, o.MaxChars, o.MaxTotalChars)
	if o.Warn != nil {
		for _, cf := range cfs {
			if cf.Truncated && cf.Chars > 0 {
				o.Warn("workspace file " + cf.Name + " was cut to fit the prompt (" + strconv.Itoa(cf.Chars) + " chars)")
			}
		}
	}
	var b strings.Builder
	b.WriteString(Intro)
	b.WriteString("\n")
	if s := strings.TrimSpace(o.Skills); s != "" && !sub {
		b.WriteString("\n")
		b.WriteString(SkillsSection(s))
	}
	b.WriteString("\n## Workspace\n")
	b.WriteString("Your working directory is: " + w.dir + "\n")
	b.WriteString("Use it for file work unless told otherwise. The files below are loaded from it on every run; edit them to change what you remember about yourself and the user.\n")
	if !sub {
		b.WriteString(replySections)
	}
	if e := strings.TrimSpace(o.Extra); e != "" {
		b.WriteString("\n## Instructions\n")
		b.WriteString(e)
		b.WriteString("\n")
	}
	if len(cfs) > 0 {
		b.WriteString("\n# Project Context\n\n")
		b.WriteString("These workspace files were loaded for this run:\n")
		for _, cf := range cfs {
			if cf.Name == SoulFile {
				b.WriteString("SOUL.md sets your persona and tone: take them on unless a higher-priority instruction says otherwise.\n")
				break
			}
		}
		for _, cf := range cfs {
			b.WriteString("\n## " + cf.Name + "\n\n")
			b.WriteString(cf.Content)
			b.WriteString("\n")
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

// SilentReplyToken is the whole reply that means "nothing to say": it stays in the
// transcript and is delivered nowhere.
const SilentReplyToken = "NO_REPLY"

// replySections tell the main agent (not sub-agents, as the original) how to thread a
// reply under a message and how to stay silent; the gateway strips both directives
// before anything reaches a chat.
const replySections = `
## Reply Tags
On channels that support it, a reply can be threaded under a message (a native reply or quote). Put one tag anywhere in your reply:
- [[reply_to_current]] answers the message that started this turn.
- [[reply_to:<id>]] answers the message with that id (inbound messages show theirs as [message_id: <id>]).
Spaces inside the brackets are fine ([[ reply_to: 123 ]]). The tag is removed before sending; whether the reply is threaded depends on the channel's settings.

## Silent Replies
When nothing needs saying, your whole reply must be exactly: ` + SilentReplyToken + `
- Nothing before or after it, no markdown, no code block around it.
- Never add it to a real answer: a reply that ends with it is not delivered at all.
- If you already sent the user-visible answer with the message tool (action send), reply with only ` + SilentReplyToken + ` so it is not sent twice.
`

// SkillsSection wraps an eligible-skills listing (the <available_skills> block of
// skills.Prompt) with the rule the original gives the model: pick at most one skill
// whose description fits, read its SKILL.md, follow it.
func SkillsSection(listing string) string {
	var b strings.Builder
	b.WriteString("## Skills\n")
	b.WriteString("Before answering, check the <description> of each skill in <available_skills>.\n")
	b.WriteString("- When exactly one skill fits the task, read the SKILL.md at its <location> with the read tool and follow it.\n")
	b.WriteString("- When several fit, pick the most specific one.\n")
	b.WriteString("- When none fits, read none.\n")
	b.WriteString("Read at most one skill before you start.\n")
	b.WriteString(strings.TrimSpace(listing))
	b.WriteString("\n")
	return b.String()
}
