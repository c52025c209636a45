package agent

import (
	"context"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/clawgate/gateway/server/agent/tools"
	"github.com/clawgate/gateway/server/chunk"
	"github.com/clawgate/gateway/server/clock"
	"github.com/clawgate/gateway/server/providers"
	"github.com/clawgate/gateway/server/tts"
)

// Block streaming: a channel reply sent as several messages while the model writes
// it (agents.defaults.blockStreamingDefault, channels.<id>.blockStreaming), instead of
// one message at the end. The streamed text is cut into blocks at paragraph (or line,
// or sentence) breaks (chunk.Blocker: blockStreamingChunk), small blocks are merged
// until they reach a size or the model pauses (blockStreamingCoalesce), and the
// blocks after the first wait a human-like moment (humanDelay). A reply that went out
// as blocks is not sent again at the end.

// Block streaming breaks (agents.defaults.blockStreamingBreak).
const (
	// BlockBreakTextEnd sends blocks as soon as they are cut, while the text streams
	// (the default).
	BlockBreakTextEnd = "text_end"
	// BlockBreakMessageEnd holds a model message's text until the message ends (before
	// its tool calls run, or at the end of the run), then sends it as blocks.
	BlockBreakMessageEnd = "message_end"
)

// The original's defaults, and our bound.
const (
	DefaultBlockMinChars     = 800
	DefaultBlockMaxChars     = 1200
	DefaultBlockCoalesceIdle = time.Second
	DefaultHumanDelayMin     = 800 * time.Millisecond
	DefaultHumanDelayMax     = 2500 * time.Millisecond
	// MaxBlockQueue bounds the blocks waiting to be sent for one run; past it the
	// model's stream waits for the channel (blocks are never dropped).
	MaxBlockQueue = 64
)

// BlockStreaming is how one run's reply goes out as blocks (Options.BlockStreaming;
// the daemon resolves it from the config). Sizes are UTF-16 units, as chunk counts.
type BlockStreaming struct {
	Break string // BlockBreakTextEnd ("" too) or BlockBreakMessageEnd
	// MinChars, MaxChars and Preference cut the streamed text (chunk.Blocker).
	MinChars, MaxChars int
	Preference         string
	// CoalesceMin and CoalesceMax merge cut blocks: a merged block is sent once it
	// reaches CoalesceMin (or would pass CoalesceMax), or when nothing was added for
	// CoalesceIdle and it reached CoalesceMin; the rest goes at the end of the text.
	CoalesceMin, CoalesceMax int
	CoalesceIdle             time.Duration
	// DelayMin and DelayMax bound the random pause before each block after the first
	// (humanDelay; both 0: none).
	DelayMin, DelayMax time.Duration
}

// joiner separates the text of two model messages when their blocks are merged (the
// preference's break; the original joins every two blocks with it).
func (b *BlockStreaming) joiner() string {
	switch b.Preference {
	case chunk.BreakSentence:
		return " "
	case chunk.BreakNewline:
		return "\n"
	}
	return "\n\n"
}

// blockItem is one message of a block-streamed reply.
type blockItem struct {
	text    string
	sep     string   // the break after it (chunk.Block.Sep): how a merge joins the next
	refs    []string // MEDIA: references
	voice   bool     // [[audio_as_voice]]
	replyTo string
}

// blockPipe streams one run's reply as blocks. The run's goroutine feeds it (text,
// stepEnd); one goroutine of its own merges blocks, keeps the idle timer and sends
// them in order. Not reused across runs.
type blockPipe struct {
	rt     *Runtime
	r      *Run
	cfg    BlockStreaming
	stream providers.ReplyStream // the run's reply stream (nil: none)

	// Fed from the run's goroutine only.
	cut      *chunk.Blocker
	full     string // raw text of the current step so far
	fed      string // the part of it given to cut
	stepText bool   // the current step streamed text
	replyTo  string // the message a reply tag named (applies from its block on)
	last     string // the last block queued (a repeated block is dropped)

	in    chan pipeMsg
	done  chan struct{}
	ended bool // finish or stop was called

	mu          sync.Mutex
	sent        int             // messages delivered
	first       *providers.Sent // the first one
	failed      bool            // a send failed: later blocks are kept, not sent
	stopped     bool            // the run failed: nothing more is sent
	undelivered []blockItem     // blocks not sent after a failure
	repliedTo   bool            // the reply tag's message was threaded (sender fallback)
}

type pipeMsg struct {
	item *blockItem
}

// blockStreaming is the run's block streaming, or nil: only replies to channel
// messages stream as blocks (as in the original, whose auto-reply path alone does).
func (rt *Runtime) blockStreaming(r *Run) *BlockStreaming {
	if rt.opts.BlockStreaming == nil || r.channel == "" || r.req.Source != "inbound" || rt.opts.Sender == nil {
		return nil
	}
	return rt.opts.BlockStreaming(r.laneKey, r.channel, r.req.AccountID)
}

func (rt *Runtime) newBlockPipe(r *Run, cfg BlockStreaming, stream providers.ReplyStream) *blockPipe {
	if cfg.MaxChars <= 0 {
		cfg.MaxChars = DefaultBlockMaxChars
	}
	if cfg.MinChars <= 0 {
		cfg.MinChars = DefaultBlockMinChars
	}
	cfg.MinChars = min(cfg.MinChars, cfg.MaxChars)
	if cfg.CoalesceMax <= 0 {
		cfg.CoalesceMax = chunk.LimitFor(r.channel, 0)
	}
	if cfg.CoalesceMin <= 0 {
		cfg.CoalesceMin = cfg.MinChars
	}
	cfg.CoalesceMin = min(cfg.CoalesceMin, cfg.CoalesceMax)
	p := &blockPipe{rt: rt, r: r, cfg: cfg, stream: stream,
		cut: chunk.NewBlocker(cfg.MinChars, cfg.MaxChars, cfg.Preference),
		in:  make(chan pipeMsg, MaxBlockQueue), done: make(chan struct{})}
	go p.loop()
	return p
}

// text takes the current step's raw text so far (inc: its increment; equal to text
// at a step's first delta). A line still being written that is a MEDIA: reference,
// or a reply tag not yet closed, is held back until it is complete, so a block never
// cuts one in two.
func (p *blockPipe) text(text, inc string) {
	if text == inc || !strings.HasPrefix(text, p.full) {
		// A new step, or the model's text started over (a fallback model): what was
		// not yet cut is dropped.
		p.cut.Reset()
		p.fed = ""
	}
	p.full = text
	p.stepText = p.stepText || strings.TrimSpace(text) != ""
	ready := text[:holdBack(text)]
	if len(ready) > len(p.fed) && strings.HasPrefix(ready, p.fed) {
		p.cut.Append(ready[len(p.fed):])
		p.fed = ready
	}
	if p.cfg.Break != BlockBreakMessageEnd {
		p.queue(p.cut.Drain(false))
	}
}

// holdBack is how much of streamed text may be cut now: up to an unfinished last
// line that is a MEDIA: reference, or an unclosed "[[" (a reply tag being written).
func holdBack(text string) int {
	end := len(text)
	if i := strings.LastIndex(text, "[["); i >= 0 && !strings.Contains(text[i:], "]]") {
		end = i
	}
	line := strings.LastIndexByte(text[:end], '\n') + 1
	if strings.HasPrefix(strings.TrimSpace(text[line:end]), "MEDIA:") {
		end = line
	}
	return end
}

// stepEnd ends a model message (its tool calls are about to run, or the run ended):
// its text goes out whole.
func (p *blockPipe) stepEnd() {
	if len(p.full) > len(p.fed) && strings.HasPrefix(p.full, p.fed) {
		p.cut.Append(p.full[len(p.fed):])
	}
	blocks := p.cut.Drain(true)
	if n := len(blocks); n > 0 && blocks[n-1].Sep == "" {
		blocks[n-1].Sep = p.cfg.joiner() // a message ended: the next starts apart
	}
	p.queue(blocks)
	p.cut.Reset()
	p.fed, p.full = "", ""
}

// toolStart is a tool call of the current step: the step's text is complete.
func (p *blockPipe) toolStart() {
	p.stepEnd()
	p.stepText = false
}

// queue turns cut blocks into messages: reply tags resolved and removed, MEDIA: lines
// taken out, silent blocks dropped.
func (p *blockPipe) queue(blocks []chunk.Block) {
	for _, b := range blocks {
		body, refs := providers.SplitReplyMedia(b.Text)
		tags := ParseReplyTags(body, p.r.req.MessageID)
		if tags.ReplyTo != "" {
			p.replyTo = tags.ReplyTo
		}
		body = tags.Text
		voice := strings.Contains(body, tools.AudioAsVoiceTag)
		if voice {
			body = strings.ReplaceAll(body, tools.AudioAsVoiceTag, "")
		}
		body = strings.TrimSpace(body)
		if IsSilentReply(body) {
			body = ""
		}
		if body == "" && len(refs) == 0 {
			continue
		}
		if len(refs) == 0 && body == p.last {
			continue
		}
		p.last = body
		p.in <- pipeMsg{item: &blockItem{text: body, sep: b.Sep, refs: refs, voice: voice, replyTo: p.replyTo}}
	}
}

// finish sends what is left of the reply and waits until every block is delivered.
func (p *blockPipe) finish() {
	if p.ended {
		return
	}
	p.ended = true
	p.stepEnd()
	close(p.in)
	<-p.done
}

// stop ends the pipe without sending what was not sent yet (the run failed); after
// finish it does nothing.
func (p *blockPipe) stop() {
	if p.ended {
		return
	}
	p.ended = true
	p.cut.Reset()
	p.mu.Lock()
	p.stopped = true // nothing more goes out
	p.mu.Unlock()
	close(p.in)
	<-p.done
}

// outcome tells, after finish, how the reply went: covered when the blocks delivered
// the run's final text (some were sent, none failed, and the final message's text went
// through the pipe); failed when a send failed, rest then being the text not sent.
func (p *blockPipe) outcome() (covered, failed bool, rest string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var b strings.Builder
	for _, it := range p.undelivered {
		b.WriteString(it.text + it.sep)
	}
	return p.sent > 0 && !p.failed && p.stepText, p.failed, strings.TrimSpace(b.String())
}

// loop merges blocks (the coalescer) and sends them, in order.
func (p *blockPipe) loop() {
	defer close(p.done)
	var (
		buf     *blockItem // merged text waiting (text only)
		idle    clock.Timer
		idleC   <-chan time.Time
		clk     = p.rt.clock()
		stopIdl = func() {
			if idle != nil {
				idle.Stop()
				idle, idleC = nil, nil
			}
		}
	)
	defer stopIdl()
	arm := func() {
		stopIdl()
		if p.cfg.CoalesceIdle > 0 {
			idle = clk.NewTimer(p.cfg.CoalesceIdle)
			idleC = idle.C()
		}
	}
	flush := func(force bool) {
		stopIdl()
		if buf == nil {
			return
		}
		if !force && chunk.Units(buf.text) < p.cfg.CoalesceMin {
			arm()
			return
		}
		it := buf
		buf = nil
		p.send(it)
	}
	for {
		select {
		case m, ok := <-p.in:
			if !ok {
				flush(true)
				return
			}
			it := m.item
			if len(it.refs) > 0 {
				flush(true)
				p.send(it)
				continue
			}
			if buf != nil && buf.replyTo != it.replyTo {
				flush(true)
			}
			if buf != nil {
				if next := buf.text + buf.sep + it.text; chunk.Units(next) <= p.cfg.CoalesceMax {
					buf.text, buf.sep = next, it.sep
					if chunk.Units(buf.text) >= p.cfg.CoalesceMax {
						flush(true)
						continue
					}
					arm()
					continue
				}
				flush(true) // the block does not fit: what is held goes first
			}
			if chunk.Units(it.text) >= p.cfg.CoalesceMax {
				p.send(it)
				continue
			}
			cp := *it
			buf = &cp
			arm()
		case <-idleC:
			idle, idleC = nil, nil
			flush(false)
		}
	}
}

// delay is the human-like pause before a block after the first (uniform in
// [DelayMin, DelayMax] at millisecond steps, as the original).
func (p *blockPipe) delay() time.Duration {
	lo, hi := p.cfg.DelayMin, p.cfg.DelayMax
	if lo <= 0 && hi <= 0 {
		return 0
	}
	if hi <= lo {
		return lo
	}
	span := int64((hi-lo)/time.Millisecond) + 1
	return lo + time.Duration(p.rt.randN(span))*time.Millisecond
}

// send delivers one message (waiting the human delay first when one went out before).
// After a failure nothing more is sent: the texts are kept for the final delivery.
func (p *blockPipe) send(it *blockItem) {
	p.mu.Lock()
	failed, stopped, sentBefore := p.failed, p.stopped, p.sent > 0
	p.mu.Unlock()
	if stopped {
		return
	}
	if failed {
		p.keep(it)
		return
	}
	if sentBefore {
		if d := p.delay(); d > 0 {
			t := p.rt.clock().NewTimer(d)
			select {
			case <-t.C():
			case <-p.rt.base.Done():
				t.Stop()
				p.keep(it)
				return
			}
		}
	}
	sent, err := p.deliver(it)
	p.mu.Lock()
	defer p.mu.Unlock()
	if err != nil {
		p.rt.log.Warn("agent: block reply not delivered; the rest goes at the end", "run", p.r.ID, "channel", p.r.channel, "err", err)
		p.failed = true
		if it.text != "" {
			p.undelivered = append(p.undelivered, *it)
		}
		return
	}
	if sent != nil {
		p.sent++
		if p.first == nil {
			p.first = sent
		}
	}
}

func (p *blockPipe) keep(it *blockItem) {
	if it.text == "" {
		return
	}
	p.mu.Lock()
	p.undelivered = append(p.undelivered, *it)
	p.mu.Unlock()
}

// deliver sends one block: the response prefix before its text, spoken when
// messages.tts says so for blocks, its media with the text as the first caption.
func (p *blockPipe) deliver(it *blockItem) (*providers.Sent, error) {
	rt, r := p.rt, p.r
	body := it.text
	var voice []providers.Outbound
	if rt.opts.Speech != nil && body != "" {
		sp := rt.opts.Speech.Apply(rt.base, tts.Reply{Text: body, Channel: r.channel, Kind: "block", InboundAudio: r.req.InboundAudio, HasMedia: len(it.refs) > 0})
		body = sp.Text
		if sp.AudioPath != "" {
			voice = append(voice, providers.Outbound{MediaPath: sp.AudioPath, AudioAsVoice: sp.Voice})
		}
	}
	body = withPrefix(rt.replyPrefix(r), body)
	ctx, cancel := context.WithTimeout(rt.base, rt.opts.DeliverTimeout)
	defer cancel()
	items := rt.replyMedia(r, it.refs)
	for i := range items {
		items[i].AudioAsVoice = it.voice
	}
	items = append(items, voice...)
	replyTo := p.threadTo(it.replyTo)
	if len(items) == 0 {
		if strings.TrimSpace(body) == "" {
			return nil, nil
		}
		if p.stream != nil {
			if it.replyTo != "" {
				providers.StreamReplyTo(p.stream, it.replyTo)
			}
			if sent, ok, err := providers.StreamBlock(ctx, p.stream, body); ok {
				if err != nil {
					return nil, err
				}
				return &sent, nil
			}
		}
		sent, err := rt.opts.Sender.Send(ctx, r.channel, providers.Outbound{To: r.to, Text: body, AccountID: r.req.AccountID, ReplyTo: replyTo})
		if err != nil {
			return nil, err
		}
		return &sent, nil
	}
	return providers.SendWithMedia(ctx, rt.opts.Sender, r.channel, providers.Outbound{To: r.to, AccountID: r.req.AccountID, ReplyTo: replyTo}, body, items, rt.log.With("run", r.ID))
}

// threadTo is the ReplyTo of a block sent through the Sender: the tag's message for
// the first block that names it only (a stream threads by the channel's replyToMode).
func (p *blockPipe) threadTo(id string) string {
	if id == "" {
		return ""
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.repliedTo {
		return ""
	}
	p.repliedTo = true
	return id
}

// clock is the runtime's clock (Options.Clock; real time when unset).
func (rt *Runtime) clock() clock.Clock {
	if rt.opts.Clock != nil {
		return rt.opts.Clock
	}
	return clock.Real()
}

// randN is a random number in [0, n) (Options.Rand; math/rand/v2 when unset).
func (rt *Runtime) randN(n int64) int64 {
	if rt.opts.Rand != nil {
		return rt.opts.Rand(n)
	}
	return rand.Int64N(n)
}

// blocksDelivered ends the run's reply stream once its reply went out as blocks: what
// waits on a delivered reply happens (ack removal), and the typing indicator stops.
func (rt *Runtime) blocksDelivered(r *Run) {
	r.mu.Lock()
	stream := r.stream
	r.stream = nil
	r.mu.Unlock()
	if stream == nil {
		return
	}
	ctx, cancel := context.WithTimeout(rt.base, rt.opts.DeliverTimeout)
	defer cancel()
	providers.StreamDelivered(ctx, stream)
	stream.Abort()
}

// detachStream ends the run's reply stream (its typing indicator) without a reply
// through it: what follows goes through the Sender.
func (rt *Runtime) detachStream(r *Run) {
	r.mu.Lock()
	stream := r.stream
	r.stream = nil
	r.mu.Unlock()
	if stream != nil {
		stream.Abort()
	}
}
