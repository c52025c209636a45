package backend

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"
)

const (
	defaultMaxResponseBytes = 8 << 20
	maxErrorBodyBytes       = 64 << 10
)

// OpenAIOptions configures an OpenAI-compatible Chat Completions backend.
type OpenAIOptions struct {
	// BaseURL is the API root, e.g. "https://api.openai.com/v1" or
	// "http://127.0.0.1:11434/v1"; "/chat/completions" is appended.
	BaseURL string
	// Model is used when Request.Model is empty.
	Model string
	// Temperature is sent when set (agent.openai.temperature).
	Temperature *float64
	// APIKey is sent as "Authorization: Bearer"; empty sends no header. Never logged.
	APIKey string
	// HTTPClient defaults to a client without an overall timeout (streams are long);
	// use IdleTimeout and Request.Timeout to bound a turn.
	HTTPClient *http.Client
	// MaxResponseBytes bounds the bytes read from one response (default 8 MiB).
	MaxResponseBytes int64
	// IdleTimeout fails the turn when no bytes arrive for this long (0 = none).
	IdleTimeout time.Duration
	// Logger defaults to a discarding logger.
	Logger *slog.Logger
}

// OpenAI is a Backend speaking the OpenAI Chat Completions streaming API.
type OpenAI struct {
	opts OpenAIOptions
	url  string
	log  *slog.Logger
}

// APIError is a non-2xx answer (or an error object in the stream) from the model server.
type APIError struct {
	Status  int // HTTP status; the response status for in-stream errors
	Message string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("openai: upstream status %d: %s", e.Status, e.Message)
}

// NewOpenAI returns an OpenAI-compatible backend.
func NewOpenAI(opts OpenAIOptions) (*OpenAI, error) {
	if opts.BaseURL == "" {
		return nil, errors.New("openai: BaseURL is required")
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{}
	}
	if opts.MaxResponseBytes <= 0 {
		opts.MaxResponseBytes = defaultMaxResponseBytes
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &OpenAI{
		opts: opts,
		url:  strings.TrimRight(opts.BaseURL, "/") + "/chat/completions",
		log:  log,
	}, nil
}

type chatRequest struct {
	Model         string        `json:"model"`
	Messages      []Message     `json:"messages"`
	Temperature   *float64      `json:"temperature,omitempty"`
	Stream        bool          `json:"stream"`
	StreamOptions streamOptions `json:"stream_options"`
}

type streamOptions struct {
	IncludeUsage bool `json:"include_usage"`
}

type chatChunk struct {
	Choices []struct {
		Index int `json:"index"`
		Delta struct {
			Content string `json:"content"`
		} `json:"delta"`
		FinishReason *string `json:"finish_reason"`
	} `json:"choices"`
	Usage *Usage          `json:"usage"`
	Error json.RawMessage `json:"error"`
}

// idleError is the cancellation cause when the upstream goes quiet.
type idleError struct{ d time.Duration }

func (e *idleError) Error() string { return fmt.Sprintf("openai: upstream idle for %s", e.d) }

// errTooLarge reports a response over MaxResponseBytes.
type tooLargeError struct{ max int64 }

func (e *tooLargeError) Error() string {
	return fmt.Sprintf("openai: response exceeds %d bytes", e.max)
}

// Run sends one streaming chat completion and reports content deltas as they arrive.
func (o *OpenAI) Run(ctx context.Context, req Request, onDelta func(Delta)) (Result, error) {
	if onDelta == nil {
		onDelta = func(Delta) {}
	}
	model := req.Model
	if model == "" {
		model = o.opts.Model
	}
	msgs := req.Messages
	if msgs == nil {
		msgs = []Message{}
	}
	body, err := json.Marshal(chatRequest{Model: model, Messages: msgs, Temperature: o.opts.Temperature, Stream: true, StreamOptions: streamOptions{IncludeUsage: true}})
	if err != nil {
		return Result{}, fmt.Errorf("openai: encode request: %w", err)
	}

	ctx, cancelTimeout := withTimeout(ctx, req.Timeout)
	defer cancelTimeout()
	runCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	idle := newIdleTimer(o.opts.IdleTimeout, func() { cancel(&idleError{o.opts.IdleTimeout}) })
	defer idle.stop()

	hreq, err := http.NewRequestWithContext(runCtx, http.MethodPost, o.url, bytes.NewReader(body))
	if err != nil {
		return Result{}, fmt.Errorf("openai: build request: %w", err)
	}
	hreq.Header.Set("Content-Type", "application/json")
	hreq.Header.Set("Accept", "text/event-stream")
	if o.opts.APIKey != "" {
		hreq.Header.Set("Authorization", "Bearer "+o.opts.APIKey)
	}
	o.log.DebugContext(ctx, "openai request", "url", o.url, "model", model, "messages", len(msgs))

	resp, err := o.opts.HTTPClient.Do(hreq)
	if err != nil {
		return Result{}, o.ctxErr(runCtx, fmt.Errorf("openai: request: %w", err))
	}
	defer resp.Body.Close()
	idle.reset()

	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return Result{}, o.ctxErr(runCtx, readAPIError(resp))
	}

	lr := &limitReader{r: resp.Body, max: o.opts.MaxResponseBytes, onRead: idle.reset}
	res, err := parseStream(bufio.NewReader(lr), o.opts.MaxResponseBytes, resp.StatusCode, onDelta)
	if err != nil {
		return res, o.ctxErr(runCtx, err)
	}
	o.log.DebugContext(ctx, "openai done", "model", model, "finish_reason", res.FinishReason, "chars", len(res.Text))
	return res, nil
}

// ctxErr prefers the reason the run context ended (idle timeout, caller
// cancellation, deadline) over the transport error it caused.
func (o *OpenAI) ctxErr(runCtx context.Context, err error) error {
	if runCtx.Err() == nil {
		return err
	}
	cause := context.Cause(runCtx)
	var ie *idleError
	if errors.As(cause, &ie) {
		return ie
	}
	return fmt.Errorf("openai: %w", cause)
}

// parseStream reads an SSE stream of chat completion chunks.
func parseStream(r *bufio.Reader, maxLine int64, status int, onDelta func(Delta)) (Result, error) {
	var (
		res  Result
		text strings.Builder
		sse  = sseReader{r: r, maxLine: maxLine}
	)
	for {
		data, err := sse.next()
		if err != nil {
			res.Text = text.String()
			if errors.Is(err, io.EOF) {
				if res.FinishReason != "" {
					return res, nil // some servers omit [DONE]
				}
				return res, errors.New("openai: stream ended early")
			}
			return res, err
		}
		if strings.TrimSpace(data) == "[DONE]" {
			res.Text = text.String()
			return res, nil
		}
		var c chatChunk
		if err := json.Unmarshal([]byte(data), &c); err != nil {
			res.Text = text.String()
			return res, fmt.Errorf("openai: decode chunk: %w", err)
		}
		if len(c.Error) > 0 && string(c.Error) != "null" {
			res.Text = text.String()
			return res, &APIError{Status: status, Message: errorMessage(c.Error)}
		}
		if c.Usage != nil {
			u := *c.Usage
			res.Usage = &u
		}
		for _, ch := range c.Choices {
			if ch.Index != 0 {
				continue
			}
			if ch.Delta.Content != "" {
				text.WriteString(ch.Delta.Content)
				onDelta(Delta{Text: ch.Delta.Content})
			}
			if ch.FinishReason != nil && *ch.FinishReason != "" {
				res.FinishReason = *ch.FinishReason
			}
		}
	}
}

// readAPIError turns a non-2xx response into an *APIError, reading a bounded
// amount of the body and preferring the JSON error.message when present.
func readAPIError(resp *http.Response) error {
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxErrorBodyBytes))
	msg := ""
	if err == nil {
		var env struct {
			Error   json.RawMessage `json:"error"`
			Message string          `json:"message"`
		}
		if json.Unmarshal(b, &env) == nil {
			if len(env.Error) > 0 && string(env.Error) != "null" {
				msg = errorMessage(env.Error)
			} else {
				msg = env.Message
			}
		}
		if msg == "" {
			msg = strings.TrimSpace(string(b))
		}
	}
	if msg == "" {
		msg = http.StatusText(resp.StatusCode)
	}
	return &APIError{Status: resp.StatusCode, Message: msg}
}

// errorMessage extracts a message from an "error" value that is either an
// object with "message" (OpenAI) or a plain string (Ollama and others).
func errorMessage(raw json.RawMessage) string {
	var obj struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(raw, &obj) == nil && obj.Message != "" {
		return obj.Message
	}
	var s string
	if json.Unmarshal(raw, &s) == nil && s != "" {
		return s
	}
	return string(raw)
}

// sseReader yields the data of each Server-Sent Event (WHATWG HTML §9.2.6):
// lines end in LF, CRLF or CR; ":" lines are comments; multiple data lines are
// joined with "\n"; a blank line dispatches; an unterminated event at EOF is dropped.
type sseReader struct {
	r       *bufio.Reader
	maxLine int64
	skipLF  bool
}

func (s *sseReader) next() (string, error) {
	var data strings.Builder
	hasData := false
	for {
		line, err := s.line()
		if err != nil {
			return "", err
		}
		if line == "" {
			if hasData {
				return data.String(), nil
			}
			continue
		}
		if line[0] == ':' {
			continue
		}
		field, value, found := strings.Cut(line, ":")
		if found {
			value = strings.TrimPrefix(value, " ")
		}
		if field != "data" {
			continue // event, id, retry: not used by chat completions
		}
		if hasData {
			data.WriteByte('\n')
		}
		data.WriteString(value)
		hasData = true
		if int64(data.Len()) > s.maxLine {
			return "", fmt.Errorf("openai: event exceeds %d bytes", s.maxLine)
		}
	}
}

func (s *sseReader) line() (string, error) {
	var b []byte
	for {
		c, err := s.r.ReadByte()
		if err != nil {
			return "", err // a partial line at EOF is discarded
		}
		if s.skipLF {
			s.skipLF = false
			if c == '\n' {
				continue
			}
		}
		switch c {
		case '\n':
			return string(b), nil
		case '\r':
			s.skipLF = true
			return string(b), nil
		}
		b = append(b, c)
		if int64(len(b)) > s.maxLine {
			return "", fmt.Errorf("openai: line exceeds %d bytes", s.maxLine)
		}
	}
}

// limitReader fails once more than max bytes have been read and reports every
// successful read (to reset the idle timer).
type limitReader struct {
	r      io.Reader
	n, max int64
	onRead func()
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.n > l.max {
		return 0, &tooLargeError{l.max}
	}
	n, err := l.r.Read(p)
	if n > 0 {
		l.n += int64(n)
		l.onRead()
		if l.n > l.max {
			return 0, &tooLargeError{l.max}
		}
	}
	return n, err
}

// idleTimer calls fire when reset has not been called for d; d <= 0 disables it.
type idleTimer struct {
	d  time.Duration
	mu sync.Mutex
	t  *time.Timer
}

func newIdleTimer(d time.Duration, fire func()) *idleTimer {
	it := &idleTimer{d: d}
	if d > 0 {
		it.t = time.AfterFunc(d, fire)
	}
	return it
}

func (it *idleTimer) reset() {
	if it.t == nil {
		return
	}
	it.mu.Lock()
	defer it.mu.Unlock()
	it.t.Reset(it.d)
}

func (it *idleTimer) stop() {
	if it.t != nil {
		it.t.Stop()
	}
}
