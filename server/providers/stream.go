package providers

import "context"

// ReplyStream shows one reply while the agent writes it (Telegram streamMode partial:
// one message edited in place, and a typing indicator meanwhile). The agent runtime
// opens it when a run that will be delivered starts and ends it with exactly one of
// Finish or Abort.
type ReplyStream interface {
	// Update gives the reply text so far (cumulative); it may show it or not
	// (throttled), and never fails the run.
	Update(ctx context.Context, text string)
	// Finish delivers the final text (split at the channel's limit), replacing what was
	// shown, and stops the typing indicator.
	Finish(ctx context.Context, final string) (Sent, error)
	// Abort stops the typing indicator; whatever was shown stays.
	Abort()
}

// ReplyStreamer is a provider that can stream replies. OpenReply returns nil when it
// does not stream for this recipient (streamMode off): the reply is then sent whole.
type ReplyStreamer interface {
	OpenReply(ctx context.Context, m Outbound) ReplyStream
}

// OpenReply opens a reply stream on channel's provider, or returns nil when the
// provider does not stream (or the channel is unknown: Send reports that).
func (r *Registry) OpenReply(ctx context.Context, channel string, m Outbound) ReplyStream {
	p, err := r.Provider(channel)
	if err != nil {
		return nil
	}
	s, ok := p.(ReplyStreamer)
	if !ok {
		return nil
	}
	return s.OpenReply(ctx, m)
}

// StreamShown reports whether a reply stream already put (part of) the reply on
// screen. A reply with media then finishes its text in the stream and sends the media
// without a caption; otherwise the stream is aborted and the first media carries the
// text. Streams that cannot tell are taken as showing nothing.
func StreamShown(s ReplyStream) bool {
	sh, ok := s.(interface{ Shown() bool })
	return ok && sh.Shown()
}

// StreamDelivered tells an aborted stream that its reply was delivered another way
// (a reply with media, sent through the Sender), so what waits on a delivered reply
// still happens: the acks are removed under removeAckAfterReply (AckReplyStream).
func StreamDelivered(ctx context.Context, s ReplyStream) {
	if d, ok := s.(interface{ Delivered(context.Context) }); ok {
		d.Delivered(ctx)
	}
}

// StreamTyping starts the typing indicator of a stream opened with Outbound.Typing
// TypingDeferred (session.typingMode message or thinking: the run's first text or tool
// call). It does nothing on other streams, once the indicator runs, or after Finish
// or Abort.
func StreamTyping(s ReplyStream) {
	if t, ok := s.(interface{ StartTyping() }); ok {
		t.StartTyping()
	}
}

// StreamReplyTo names the message a stream's reply answers (a reply tag's id), before
// or while the reply is shown: the provider threads what it sends from then on as its
// replyToMode says. A message already on screen stays as it is. Streams that cannot
// thread ignore it.
func StreamReplyTo(s ReplyStream, id string) {
	if t, ok := s.(interface{ ReplyTo(id string) }); ok {
		t.ReplyTo(id)
	}
}

// StreamBlock sends one block of a reply streamed as blocks (agent block streaming)
// through the stream, which threads it as its channel's replyToMode says and keeps
// its typing indicator going. ok is false when the stream cannot send blocks: the
// caller sends it through the Sender instead.
func StreamBlock(ctx context.Context, s ReplyStream, text string) (sent Sent, ok bool, err error) {
	if a, isAck := s.(*AckReplyStream); isAck {
		return StreamBlock(ctx, a.ReplyStream, text)
	}
	b, ok := s.(interface {
		Block(ctx context.Context, text string) (Sent, error)
	})
	if !ok {
		return Sent{}, false, nil
	}
	sent, err = b.Block(ctx, text)
	return sent, true, err
}
