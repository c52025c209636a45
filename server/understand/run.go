package understand

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
)

// Options configure a Runner.
type Options struct {
	// Media is tools.media (nil: no section; understanding still runs with the
	// automatic entries for providers whose key is known).
	Media *Config
	// Links is tools.links (nil: off).
	Links *LinksConfig
	// Endpoint resolves a provider id to its OpenAI-compatible endpoint
	// (models.providers.<id>, then the built-in base URLs; the key from the provider's
	// config or environment). ok false: the provider is unknown.
	Endpoint func(provider string) (ep Endpoint, ok bool)
	// HTTPClient talks to the providers (nil: http.DefaultClient).
	HTTPClient *http.Client
	// TempDir holds the per-run output directories of commands (""; the system's).
	TempDir string
	Log     *slog.Logger
}

// Runner runs understanding for inbound messages; safe for concurrent use.
type Runner struct {
	opts Options
	log  *slog.Logger
}

// New returns a Runner.
func New(opts Options) *Runner {
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if opts.Media == nil {
		opts.Media = &Config{}
	}
	return &Runner{opts: opts, log: log}
}

// Message is what understanding needs to know about an inbound message.
type Message struct {
	Channel    string // e.g. "telegram": scope rules' match.channel
	ChatType   string // direct, group or channel: match.chatType
	SessionKey string // match.keyPrefix
	// ModelSeesImages: the model that will answer takes images, so pictures go to it
	// as they are and image understanding is skipped (as the original).
	ModelSeesImages bool
	// Vars are the template variables of command arguments ({{From}}, {{Body}}, …);
	// the runner adds MediaPath, MediaDir, OutputDir, OutputBase, Prompt, MaxChars and
	// LinkUrl.
	Vars map[string]string
}

// Outcome of a capability or an attempt.
type Outcome string

// Outcomes, as the original records them.
const (
	Success      Outcome = "success"
	Skipped      Outcome = "skipped"
	Failed       Outcome = "failed"
	Disabled     Outcome = "disabled"
	NoAttachment Outcome = "no-attachment"
	ScopeDeny    Outcome = "scope-deny"
)

// Attempt is one model tried for one attachment.
type Attempt struct {
	Type     string // provider or cli
	Provider string
	Model    string
	Outcome  Outcome
	Reason   string
}

// AttachmentDecision is what happened to one selected attachment.
type AttachmentDecision struct {
	Index    int
	Attempts []Attempt
}

// Decision is what a capability did with a message.
type Decision struct {
	Capability  Capability
	Outcome     Outcome
	Attachments []AttachmentDecision
}

// Result of Media: outputs in capability order (images, audio, video), then by
// attachment; one decision per capability.
type Result struct {
	Outputs   []Output
	Decisions []Decision
}

// Decision returns the decision of a capability.
func (r Result) Decision(c Capability) (Decision, bool) {
	for _, d := range r.Decisions {
		if d.Capability == c {
			return d, true
		}
	}
	return Decision{}, false
}

// Output returns the output for an attachment, if it was understood.
func (r Result) Output(index int) (Output, bool) {
	for _, o := range r.Outputs {
		if o.Attachment == index {
			return o, true
		}
	}
	return Output{}, false
}

// Media understands a message's attachments: each capability (at most
// tools.media.concurrency at once) selects its attachments, checks enabled and
// scope, and tries its model entries in order per attachment until one answers.
func (r *Runner) Media(ctx context.Context, msg Message, atts []Attachment) Result {
	limit := r.opts.Media.Concurrency
	if limit <= 0 {
		limit = DefaultConcurrency
	}
	type capResult struct {
		outs []Output
		dec  Decision
	}
	results := make([]capResult, len(Capabilities))
	sem := make(chan struct{}, limit)
	var wg sync.WaitGroup
	for i, c := range Capabilities {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			outs, dec := r.capability(ctx, c, msg, atts)
			results[i] = capResult{outs, dec}
		}()
	}
	wg.Wait()
	var res Result
	for _, cr := range results {
		res.Outputs = append(res.Outputs, cr.outs...)
		res.Decisions = append(res.Decisions, cr.dec)
		if cr.dec.Outcome != NoAttachment {
			r.log.Info("media understanding "+summary(cr.dec), "channel", msg.Channel, "session", msg.SessionKey)
		}
	}
	return res
}

func (r *Runner) capability(ctx context.Context, c Capability, msg Message, atts []Attachment) ([]Output, Decision) {
	cfg := r.opts.Media.For(c)
	if cfg == nil {
		cfg = &CapConfig{}
	}
	dec := Decision{Capability: c}
	if cfg.Enabled != nil && !*cfg.Enabled {
		dec.Outcome = Disabled
		return nil, dec
	}
	selected := Select(c, atts, cfg.Attachments)
	if len(selected) == 0 {
		dec.Outcome = NoAttachment
		return nil, dec
	}
	for _, a := range selected {
		dec.Attachments = append(dec.Attachments, AttachmentDecision{Index: a.Index})
	}
	if !cfg.Scope.Allowed(msg.Channel, msg.ChatType, msg.SessionKey) {
		dec.Outcome = ScopeDeny
		return nil, dec
	}
	if c == Image && msg.ModelSeesImages {
		dec.Outcome = Skipped
		for i := range dec.Attachments {
			dec.Attachments[i].Attempts = []Attempt{{Type: "provider", Outcome: Skipped, Reason: "primary model supports vision natively"}}
		}
		return nil, dec
	}
	entries := r.entries(c, cfg)
	if len(entries) == 0 {
		dec.Outcome = Skipped
		return nil, dec
	}
	var outs []Output
	for i, a := range selected {
		out, attempts := r.attachment(ctx, c, cfg, msg, a, entries)
		dec.Attachments[i].Attempts = attempts
		if out != nil {
			outs = append(outs, *out)
		}
	}
	dec.Outcome = Skipped
	if len(outs) > 0 {
		dec.Outcome = Success
	}
	return outs, dec
}

// entries are the capability's models then the shared ones that apply to it (by
// their capabilities, else their provider's); with none configured, the automatic
// entries.
func (r *Runner) entries(c Capability, cfg *CapConfig) []Entry {
	var out []Entry
	for _, e := range cfg.Models {
		if len(e.Capabilities) == 0 || hasCap(e.Capabilities, c) {
			out = append(out, e)
		}
	}
	for _, e := range r.opts.Media.Models {
		caps := e.Capabilities
		if len(caps) == 0 && e.kind() == "provider" {
			caps = ProviderCapabilities[providerID(e.Provider)]
		}
		if len(caps) == 0 {
			r.log.Debug("media understanding: shared model without capabilities skipped", "provider", e.Provider, "command", e.Command)
			continue
		}
		if hasCap(caps, c) {
			out = append(out, e)
		}
	}
	if len(out) > 0 {
		return out
	}
	return r.auto(c, cfg)
}

// autoProviders are tried, in order, when a capability names no models: the first
// whose API key is known is used with its default model (the original also probes
// local binaries and other vendors' APIs; see DIFFERENCES.md).
var autoProviders = map[Capability][]struct{ provider, model string }{
	Audio: {{"openai", ""}, {"groq", ""}},
	Image: {{"openai", "gpt-5-mini"}},
}

func (r *Runner) auto(c Capability, cfg *CapConfig) []Entry {
	for _, p := range autoProviders[c] {
		ep, ok := r.endpoint(p.provider)
		// A section baseUrl with no models points the first provider at that server
		// (a local OpenAI-compatible transcriber needs no key).
		if ok && (ep.APIKey != "" || strings.TrimSpace(cfg.BaseURL) != "") {
			return []Entry{{Type: "provider", Provider: p.provider, Model: p.model}}
		}
	}
	return nil
}

func hasCap(caps []Capability, c Capability) bool {
	for _, x := range caps {
		if Capability(norm(string(x))) == c {
			return true
		}
	}
	return false
}

// providerID normalises a provider id as the original does for media ("gemini" is
// Google).
func providerID(p string) string {
	p = norm(p)
	if p == "gemini" {
		return "google"
	}
	return p
}

func (r *Runner) endpoint(provider string) (Endpoint, bool) {
	if r.opts.Endpoint != nil {
		if ep, ok := r.opts.Endpoint(provider); ok {
			return ep, true
		}
	}
	if base, ok := BuiltinBaseURLs[provider]; ok {
		return Endpoint{BaseURL: base}, true
	}
	return Endpoint{}, false
}

// attachment tries entries in order for one attachment; the first output wins.
func (r *Runner) attachment(ctx context.Context, c Capability, cfg *CapConfig, msg Message, a Attachment, entries []Entry) (*Output, []Attempt) {
	var attempts []Attempt
	for _, e := range entries {
		at := Attempt{Type: e.kind(), Provider: providerID(e.Provider), Model: e.Model}
		if at.Type == "cli" {
			at.Provider, at.Model = "cli", strings.TrimSpace(e.Command)
		}
		var (
			out *Output
			err error
		)
		if at.Type == "cli" {
			out, err = r.runCLI(ctx, c, cfg, e, msg, a)
		} else {
			out, err = r.runProvider(ctx, c, cfg, e, a)
		}
		switch {
		case err == nil && out != nil:
			at.Outcome, at.Model = Success, out.Model
			attempts = append(attempts, at)
			return out, attempts
		case err == nil:
			at.Outcome, at.Reason = Skipped, "empty output"
		case errors.Is(err, errSkip):
			at.Outcome, at.Reason = Skipped, err.Error()
		default:
			at.Outcome, at.Reason = Failed, err.Error()
		}
		r.log.Info("media understanding attempt "+string(at.Outcome), "capability", c, "type", at.Type, "provider", at.Provider, "model", at.Model, "reason", at.Reason)
		attempts = append(attempts, at)
	}
	return nil, attempts
}

type limits struct {
	maxBytes int64
	maxChars int
	prompt   string
}

func resolveLimits(c Capability, cfg *CapConfig, e Entry) limits {
	l := limits{maxBytes: DefaultMaxBytes[c]}
	switch {
	case e.MaxBytes > 0:
		l.maxBytes = e.MaxBytes
	case cfg.MaxBytes > 0:
		l.maxBytes = cfg.MaxBytes
	}
	switch {
	case e.MaxChars > 0:
		l.maxChars = e.MaxChars
	case cfg.MaxChars > 0:
		l.maxChars = cfg.MaxChars
	case c != Audio:
		l.maxChars = DefaultMaxChars
	}
	l.prompt = Prompt(c, firstNonEmpty(e.Prompt, cfg.Prompt), l.maxChars)
	return l
}

// Prompt is the instruction sent for a capability: the configured one or the
// default, with the length limit appended for descriptions.
func Prompt(c Capability, prompt string, maxChars int) string {
	base := strings.TrimSpace(prompt)
	if base == "" {
		base = DefaultPrompt[c]
	}
	if maxChars <= 0 || c == Audio {
		return base
	}
	return fmt.Sprintf("%s Respond in at most %d characters.", base, maxChars)
}

func firstNonEmpty(v ...string) string {
	for _, s := range v {
		if t := strings.TrimSpace(s); t != "" {
			return t
		}
	}
	return ""
}

// checkSize refuses (as a skip) an attachment over maxBytes.
func checkSize(a Attachment, maxBytes int64) error {
	st, err := os.Stat(a.Path)
	if err != nil {
		return fmt.Errorf("attachment %d: %w", a.Index+1, err)
	}
	if st.Size() > maxBytes {
		return fmt.Errorf("%w: maxBytes: attachment %d (%d bytes) exceeds maxBytes %d", errSkip, a.Index+1, st.Size(), maxBytes)
	}
	return nil
}

func (r *Runner) runProvider(ctx context.Context, c Capability, cfg *CapConfig, e Entry, a Attachment) (*Output, error) {
	id := providerID(e.Provider)
	if id == "" {
		return nil, fmt.Errorf("provider entry missing provider for %s", c)
	}
	if c == Video {
		// Only Gemini's own API describes video in the original; it is not spoken here.
		return nil, fmt.Errorf("video understanding provider %q not available", id)
	}
	l := resolveLimits(c, cfg, e)
	model := strings.TrimSpace(e.Model)
	if c == Image && model == "" {
		return nil, errors.New("image understanding requires model id")
	}
	ep, ok := r.endpoint(id)
	base := firstNonEmpty(e.BaseURL, cfg.BaseURL, ep.BaseURL)
	if !ok && base == "" {
		return nil, fmt.Errorf("media provider not available: %s", id)
	}
	if base == "" {
		return nil, fmt.Errorf("provider %s has no baseUrl", id)
	}
	ep.BaseURL = base
	ep.Headers = merge(ep.Headers, cfg.Headers, e.Headers)
	if err := checkSize(a, l.maxBytes); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(a.Path)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, timeoutOf(DefaultTimeout[c], e.TimeoutSeconds, cfg.TimeoutSeconds))
	defer cancel()
	var text string
	if c == Audio {
		if model == "" {
			model = DefaultAudioModels[id]
		}
		if model == "" {
			model = FallbackAudioModel
		}
		text, err = r.transcribe(ctx, ep, data, fileName(a), a.MIME, model, firstNonEmpty(e.Language, cfg.Language), l.prompt)
	} else {
		text, err = r.describeImage(ctx, ep, data, a.MIME, model, l.prompt)
	}
	if err != nil {
		return nil, err
	}
	return &Output{Kind: kindFor(c), Attachment: a.Index, Text: trimOutput(text, l.maxChars), Provider: id, Model: model}, nil
}

func merge(maps ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range maps {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

func (r *Runner) runCLI(ctx context.Context, c Capability, cfg *CapConfig, e Entry, msg Message, a Attachment) (*Output, error) {
	command := strings.TrimSpace(e.Command)
	if command == "" {
		return nil, fmt.Errorf("cli entry missing command for %s", c)
	}
	l := resolveLimits(c, cfg, e)
	if err := checkSize(a, l.maxBytes); err != nil {
		return nil, err
	}
	outDir, err := os.MkdirTemp(r.opts.TempDir, "clawdbot-media-cli-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(outDir)
	base := filepath.Base(a.Path)
	vars := map[string]string{}
	for k, v := range msg.Vars {
		vars[k] = v
	}
	vars["MediaPath"] = a.Path
	vars["MediaDir"] = filepath.Dir(a.Path)
	vars["MediaType"] = a.MIME
	vars["OutputDir"] = outDir
	vars["OutputBase"] = filepath.Join(outDir, strings.TrimSuffix(base, filepath.Ext(base)))
	vars["Prompt"] = l.prompt
	if l.maxChars > 0 {
		vars["MaxChars"] = strconv.Itoa(l.maxChars)
	}
	argv := []string{command}
	for _, arg := range e.Args {
		argv = append(argv, ApplyTemplate(arg, vars))
	}
	stdout, err := runCommand(ctx, argv, timeoutOf(DefaultTimeout[c], e.TimeoutSeconds, cfg.TimeoutSeconds), "")
	if err != nil {
		return nil, err
	}
	text := trimOutput(cliOutput(command, argv[1:], stdout, a.Path), l.maxChars)
	if text == "" {
		return nil, nil
	}
	return &Output{Kind: kindFor(c), Attachment: a.Index, Text: text, Provider: "cli", Model: command}, nil
}

// summary is a one-line account of a decision, as the original's verbose log.
func summary(d Decision) string {
	total, ok := len(d.Attachments), 0
	via, reason := "", ""
	for _, a := range d.Attachments {
		for _, at := range a.Attempts {
			if at.Outcome == Success {
				ok++
				if via == "" {
					via = at.Provider
					if at.Model != "" {
						via += "/" + at.Model
					}
				}
			}
			if reason == "" && at.Reason != "" {
				reason = strings.TrimSpace(strings.SplitN(at.Reason, ":", 2)[0])
			}
		}
	}
	s := fmt.Sprintf("%s: %s", d.Capability, d.Outcome)
	if total > 0 {
		s += fmt.Sprintf(" (%d/%d)", ok, total)
	}
	if via != "" {
		s += " via " + via
	}
	if reason != "" {
		s += " reason=" + reason
	}
	return s
}
