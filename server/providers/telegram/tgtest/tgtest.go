// Package tgtest is a Telegram Bot API server for tests: real HTTP on 127.0.0.1,
// speaking the subset the gateway uses, so the real telego client runs against it.
//
//	srv := tgtest.New(t, tgtest.DefaultToken)      // closed by t.Cleanup
//	bot, _ := telego.NewBot(srv.Token(), telego.WithAPIServer(srv.URL()), telego.WithHTTPClient(http.DefaultClient))
//	srv.PushUpdate(42, 42, "hello")                // a private message from user 42 in chat 42
//	sent, err := srv.WaitSent(ctx, 1)              // what the bot sent
//
// Methods: getMe, sendMessage, sendPhoto, sendDocument, sendVideo, sendAudio, sendVoice,
// sendAnimation (uploaded files are kept: see Sent.File), editMessageText (a streamed
// reply; see Edits), sendChatAction (typing; see Actions), getUpdates (long polling: waits
// up to the request's timeout for a pushed update), deleteWebhook, getFile (for files
// added with AddFile or the Push* media helpers, PushAlbum among them) and the file
// download path /file/bot<token>/<file_path>. A request with a token other than the
// server's gets 401 Unauthorized; a send to a chat that was never added (AddChat,
// PushUpdate) gets 400 "Bad Request: chat not found". Texts and captions sent with
// parse_mode HTML are checked as Telegram parses them (known tags, balanced, only the
// four entities): bad HTML gets 400 "can't parse entities" (html.go). Sent, Edit and
// Action record parse_mode and message_thread_id; PushTopicMessage queues a forum
// topic's message.
package tgtest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// DefaultToken is a well-formed fake token. telego checks the format locally
// (`<digits>:<35 characters of [A-Za-z0-9_-]>`), so hand-made tokens must match it.
const DefaultToken = "123456:TEST-abcdefghijklmnopqrstuvwxyz0123"

// BotUsername is the username getMe reports.
const BotUsername = "tgtest_bot"

// MaxPollWait caps how long one getUpdates waits, whatever timeout the client asks for.
const MaxPollWait = 30 * time.Second

// Sent is one message the bot sent.
type Sent struct {
	Method   string // sendMessage, sendPhoto, sendDocument, sendVideo, sendAudio, sendVoice, sendAnimation
	ChatID   string // chat_id as the bot sent it (number or @username)
	Text     string // sendMessage text
	Caption  string
	Photo    string // sendPhoto photo (URL or file id)
	Document string // sendDocument document (URL or file id)
	// Media is the media field of sendVideo/sendAudio/sendVoice/sendAnimation ("attach://…"
	// for an upload).
	Media string
	// File and FileName are the uploaded file of a multipart send (nil when the
	// media went by URL or file id).
	File      []byte
	FileName  string
	MessageID int64
	// NoLinkPreview: the text went with link_preview_options.is_disabled (an edit
	// updates it).
	NoLinkPreview bool
	// ParseMode is the parse_mode of the text or caption ("HTML", or "" for plain; an
	// edit updates it). HTML that Telegram would refuse is answered with 400 "can't
	// parse entities" (see checkHTML).
	ParseMode string
	// ThreadID is message_thread_id (a forum topic; 0 when none).
	ThreadID int64
	// ReplyTo is the message this one replies to (reply_parameters.message_id, or the
	// older reply_to_message_id); 0 when it is not a reply.
	ReplyTo int64
	// Buttons are the message's inline keyboard (reply_markup), row by row.
	Buttons [][]Button
}

// Edit is one editMessageText call that changed a message.
type Edit struct {
	ChatID        string
	MessageID     int64
	Text          string
	NoLinkPreview bool
	ParseMode     string
}

// previewOff reads link_preview_options.is_disabled of a send or edit.
// replyTo reads the message a send replies to.
func replyTo(p map[string]string) int64 {
	var o struct {
		MessageID int64 `json:"message_id"`
	}
	if err := json.Unmarshal([]byte(p["reply_parameters"]), &o); err == nil && o.MessageID != 0 {
		return o.MessageID
	}
	id, _ := strconv.ParseInt(p["reply_to_message_id"], 10, 64)
	return id
}

func previewOff(p map[string]string) bool {
	var o struct {
		IsDisabled bool `json:"is_disabled"`
	}
	_ = json.Unmarshal([]byte(p["link_preview_options"]), &o)
	return o.IsDisabled
}

// Action is one sendChatAction call.
type Action struct {
	ChatID   string
	Action   string // "typing", "record_voice", ...
	ThreadID int64  // message_thread_id (0 when none)
}

// User is a sender for PushMessage.
type User struct {
	ID        int64
	Username  string
	FirstName string
}

// Server is the fake Bot API.
type Server struct {
	t     testing.TB
	token string
	botID int64
	srv   *httptest.Server

	mu       sync.Mutex
	chats    map[string]bool
	updates  []json.RawMessage
	nextUpd  int64
	nextMsg  int64
	sent     []Sent
	edits    []Edit
	actions  []Action
	reacts   []Reaction
	deletes  []Deletion
	commands [][]BotCommand // setMyCommands lists (commands.go)
	calls    map[string]int
	files    map[string]*file // by file_id
	nextFile int64
	wake     chan struct{} // closed and replaced when updates or sends change
	quit     chan struct{}
	quitOnce sync.Once
	down     chan struct{} // closed by Stop: ends the long polls of this listener
	addr     string
	hook     Webhook // setWebhook (webhook.go)
	faults   map[string]*fault
	hookGen  int // bumped by setWebhook/deleteWebhook: ends the old delivery loop
	// allowed is the last allowed_updates list a client sent (nil: the Bot API's
	// default, every type but message_reaction, message_reaction_count and
	// chat_member); it sticks until a call names another (buttons.go).
	allowed []string
	answers []string            // answered callback query ids (buttons.go)
	pending map[string]bool     // callback query ids pushed and not yet answered
	buttons map[string][]Button // inline keyboards of sent messages by "chat/message"
}

// New starts a server for token (must look like "<digits>:<secret>") and closes it
// when the test ends.
func New(t testing.TB, token string) *Server {
	t.Helper()
	id, _, ok := strings.Cut(token, ":")
	botID, err := strconv.ParseInt(id, 10, 64)
	if !ok || err != nil {
		t.Fatalf("tgtest: token %q is not <digits>:<secret>", token)
	}
	s := &Server{t: t, token: token, botID: botID, chats: map[string]bool{}, calls: map[string]int{}, files: map[string]*file{},
		nextUpd: 1, nextMsg: 1, wake: make(chan struct{}), quit: make(chan struct{}), down: make(chan struct{})}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.addr = s.srv.Listener.Addr().String()
	t.Cleanup(s.Close)
	return s
}

// URL is the API server base URL (for telego.WithAPIServer / telegram.apiBaseUrl). It
// stays the same across Stop and Restart.
func (s *Server) URL() string { return "http://" + s.addr }

// Stop takes the server off the network like a dropped connection: pending long polls
// end, open connections are closed and new ones are refused. Queued updates, chats
// and sent messages are kept for Restart.
func (s *Server) Stop() {
	s.mu.Lock()
	close(s.down)
	srv := s.srv
	s.mu.Unlock()
	srv.CloseClientConnections()
	srv.Close()
}

// Restart listens again on the same address after Stop.
func (s *Server) Restart() error {
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		return fmt.Errorf("tgtest: listen again on %s: %w", s.addr, err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	s.mu.Lock()
	s.srv = srv
	s.down = make(chan struct{})
	s.mu.Unlock()
	return nil
}

// Token is the accepted bot token.
func (s *Server) Token() string { return s.token }

// BotID is the bot's user id (the token's number).
func (s *Server) BotID() int64 { return s.botID }

// Close ends pending long polls and stops the server. Safe to call twice.
func (s *Server) Close() {
	s.quitOnce.Do(func() {
		close(s.quit)
		s.mu.Lock()
		srv := s.srv
		s.mu.Unlock()
		srv.Close()
	})
}

// AddChat makes chatID a known chat (sends to unknown chats fail with 400).
func (s *Server) AddChat(chatID int64) {
	s.mu.Lock()
	s.chats[strconv.FormatInt(chatID, 10)] = true
	s.mu.Unlock()
}

// PushUpdate queues a private text message from user fromID in chat chatID (the chat
// becomes known) and returns its update id.
func (s *Server) PushUpdate(chatID, fromID int64, text string) int64 {
	return s.PushMessage(chatID, User{ID: fromID, FirstName: "User" + strconv.FormatInt(fromID, 10)}, text)
}

// PushMessage queues a text message from a user with a username.
func (s *Server) PushMessage(chatID int64, from User, text string) int64 {
	return s.push(chatID, from, text, nil)
}

// PushMessageWith queues a text message with extra Bot API fields merged into it
// (entities, reply_to_message, ...).
func (s *Server) PushMessageWith(chatID int64, from User, text string, extra map[string]any) int64 {
	return s.push(chatID, from, text, extra)
}

// push queues a message with extra fields (media) merged into it.
func (s *Server) push(chatID int64, from User, text string, extra map[string]any) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.chats[strconv.FormatInt(chatID, 10)] = true
	id := s.nextUpd
	s.nextUpd++
	msgID := s.nextMsg
	s.nextMsg++
	chatType := "private"
	if chatID < 0 {
		chatType = "group"
	}
	msg := map[string]any{
		"message_id": msgID,
		"date":       time.Now().Unix(),
		"chat":       map[string]any{"id": chatID, "type": chatType},
		"from":       map[string]any{"id": from.ID, "is_bot": false, "first_name": from.FirstName, "username": from.Username},
	}
	if text != "" {
		msg["text"] = text
	}
	for k, v := range extra {
		msg[k] = v
	}
	u := map[string]any{"update_id": id, "message": msg}
	b, _ := json.Marshal(u)
	s.updates = append(s.updates, b)
	s.notifyLocked()
	return id
}

// Sent returns the messages sent so far.
func (s *Server) Sent() []Sent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Sent(nil), s.sent...)
}

// Calls is how many times method was called (any outcome).
func (s *Server) Calls(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[method]
}

// Pending is the number of queued updates not yet confirmed by a later getUpdates offset.
func (s *Server) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.updates)
}

// WaitSent waits until at least n messages were sent and returns them.
func (s *Server) WaitSent(ctx context.Context, n int) ([]Sent, error) {
	for {
		s.mu.Lock()
		if len(s.sent) >= n {
			out := append([]Sent(nil), s.sent...)
			s.mu.Unlock()
			return out, nil
		}
		w := s.wake
		got := len(s.sent)
		s.mu.Unlock()
		select {
		case <-w:
		case <-ctx.Done():
			return nil, fmt.Errorf("tgtest: %d of %d messages sent: %w", got, n, ctx.Err())
		}
	}
}

func (s *Server) notifyLocked() {
	close(s.wake)
	s.wake = make(chan struct{})
}

type apiError struct {
	code int
	desc string
}

// fault is an injected failure (FailNext).
type fault struct {
	err        apiError
	retryAfter int // seconds; sent as parameters.retry_after
	n          int
}

// FailNext makes the next n calls of method fail with code and description (and, with
// retryAfter > 0, parameters.retry_after), as a rate limit or an outage would.
func (s *Server) FailNext(method string, code int, desc string, retryAfter, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.faults == nil {
		s.faults = map[string]*fault{}
	}
	s.faults[method] = &fault{err: apiError{code, desc}, retryAfter: retryAfter, n: n}
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if rest, ok := strings.CutPrefix(r.URL.Path, "/file/bot"); ok {
		s.download(w, rest)
		return
	}
	// /bot<token>/<method>
	rest, ok := strings.CutPrefix(r.URL.Path, "/bot")
	if !ok {
		http.NotFound(w, r)
		return
	}
	token, method, ok := strings.Cut(rest, "/")
	if !ok {
		http.NotFound(w, r)
		return
	}
	s.mu.Lock()
	s.calls[method]++
	s.notifyLocked()
	var injected *fault
	if f := s.faults[method]; f != nil && f.n > 0 {
		f.n--
		injected = &fault{err: f.err, retryAfter: f.retryAfter}
	}
	s.mu.Unlock()
	if injected != nil {
		writeFault(w, injected.err, injected.retryAfter)
		return
	}
	if token != s.token {
		writeErr(w, apiError{401, "Unauthorized"})
		return
	}
	params, files, err := readParams(r)
	if err != nil {
		writeErr(w, apiError{400, "Bad Request: " + err.Error()})
		return
	}
	var res any
	var aerr *apiError
	switch method {
	case "getMe":
		res = map[string]any{"id": s.botID, "is_bot": true, "first_name": "Test Bot", "username": BotUsername,
			"can_join_groups": true, "can_read_all_group_messages": false, "supports_inline_queries": false}
	case "deleteWebhook":
		s.deleteWebhook()
		res = true
	case "setWebhook":
		res, aerr = s.setWebhook(params)
	case "getUpdates":
		if s.webhookActive() {
			aerr = &apiError{409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"}
			break
		}
		res, aerr = s.getUpdates(r.Context(), params)
	case "sendMessage", "sendPhoto", "sendDocument", "sendVideo", "sendAudio", "sendVoice", "sendAnimation":
		res, aerr = s.send(method, params, files)
	case "editMessageText":
		res, aerr = s.edit(params)
	case "sendChatAction":
		res, aerr = s.chatAction(params)
	case "getFile":
		res, aerr = s.getFile(params)
	case "setMessageReaction":
		res, aerr = s.react(params)
	case "deleteMessage":
		res, aerr = s.deleteMessage(params)
	case "answerCallbackQuery":
		res, aerr = s.answerCallback(params)
	case "setMyCommands":
		res, aerr = s.setMyCommands(params)
	default:
		aerr = &apiError{404, "Not Found: method not found"}
	}
	if aerr != nil {
		writeErr(w, *aerr)
		return
	}
	b, _ := json.Marshal(map[string]any{"ok": true, "result": res})
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}

// mediaField is the file parameter of each media send method.
var mediaField = map[string]string{"sendPhoto": "photo", "sendDocument": "document", "sendVideo": "video", "sendAudio": "audio", "sendVoice": "voice", "sendAnimation": "animation"}

func (s *Server) send(method string, p map[string]string, files map[string]upload) (any, *apiError) {
	chat := p["chat_id"]
	if chat == "" {
		return nil, &apiError{400, "Bad Request: chat_id is empty"}
	}
	rec := Sent{Method: method, ChatID: chat, Text: p["text"], Caption: p["caption"], Photo: p["photo"], Document: p["document"], NoLinkPreview: previewOff(p),
		ParseMode: p["parse_mode"], ReplyTo: replyTo(p)}
	var kerr *apiError
	if rec.Buttons, kerr = parseKeyboard(p["reply_markup"]); kerr != nil {
		return nil, kerr
	}
	rec.ThreadID, _ = strconv.ParseInt(p["message_thread_id"], 10, 64)
	if err := checkParse(rec.ParseMode, rec.Text+rec.Caption); err != nil {
		return nil, err
	}
	if f := mediaField[method]; f != "" {
		if f != "photo" && f != "document" {
			rec.Media = p[f]
			if rec.Media == "" {
				return nil, &apiError{400, "Bad Request: there is no " + f + " in the request"}
			}
		}
		if up, ok := files[f]; ok {
			rec.File, rec.FileName = up.data, up.name
		}
	}
	switch method {
	case "sendMessage":
		if strings.TrimSpace(rec.Text) == "" {
			return nil, &apiError{400, "Bad Request: message text is empty"}
		}
	case "sendPhoto":
		if rec.Photo == "" {
			return nil, &apiError{400, "Bad Request: there is no photo in the request"}
		}
	case "sendDocument":
		if rec.Document == "" {
			return nil, &apiError{400, "Bad Request: there is no document in the request"}
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.chats[chat] {
		return nil, &apiError{400, "Bad Request: chat not found"}
	}
	rec.MessageID = s.nextMsg
	s.nextMsg++
	s.sent = append(s.sent, rec)
	s.keepButtonsLocked(chat, rec.MessageID, rec.Buttons)
	s.notifyLocked()
	chatID, _ := strconv.ParseInt(chat, 10, 64)
	msg := map[string]any{
		"message_id": rec.MessageID,
		"date":       time.Now().Unix(),
		"chat":       map[string]any{"id": chatID, "type": "private"},
		"from":       map[string]any{"id": s.botID, "is_bot": true, "first_name": "Test Bot", "username": BotUsername},
	}
	if rec.Text != "" {
		msg["text"] = rec.Text
	}
	if rec.Caption != "" {
		msg["caption"] = rec.Caption
	}
	return msg, nil
}

// edit applies editMessageText to a message the bot sent (Bot API errors: unknown
// message, unchanged text, empty text).
func (s *Server) edit(p map[string]string) (any, *apiError) {
	chat, text := p["chat_id"], p["text"]
	id, _ := strconv.ParseInt(p["message_id"], 10, 64)
	if strings.TrimSpace(text) == "" {
		return nil, &apiError{400, "Bad Request: message text is empty"}
	}
	if n := utf16Len(text); n > 4096 {
		return nil, &apiError{400, "Bad Request: MESSAGE_TOO_LONG"}
	}
	if err := checkParse(p["parse_mode"], text); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.sent {
		m := &s.sent[i]
		if m.ChatID != chat || m.MessageID != id || m.Method != "sendMessage" {
			continue
		}
		if m.Text == text {
			return nil, &apiError{400, "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message"}
		}
		m.Text, m.NoLinkPreview, m.ParseMode = text, previewOff(p), p["parse_mode"]
		s.edits = append(s.edits, Edit{ChatID: chat, MessageID: id, Text: text, NoLinkPreview: m.NoLinkPreview, ParseMode: m.ParseMode})
		s.notifyLocked()
		chatID, _ := strconv.ParseInt(chat, 10, 64)
		return map[string]any{
			"message_id": id, "date": time.Now().Unix(), "edit_date": time.Now().Unix(),
			"chat": map[string]any{"id": chatID, "type": "private"},
			"from": map[string]any{"id": s.botID, "is_bot": true, "first_name": "Test Bot", "username": BotUsername},
			"text": text,
		}, nil
	}
	return nil, &apiError{400, "Bad Request: message to edit not found"}
}

func (s *Server) chatAction(p map[string]string) (any, *apiError) {
	chat, action := p["chat_id"], p["action"]
	if action == "" {
		return nil, &apiError{400, "Bad Request: action is empty"}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.chats[chat] {
		return nil, &apiError{400, "Bad Request: chat not found"}
	}
	thread, _ := strconv.ParseInt(p["message_thread_id"], 10, 64)
	s.actions = append(s.actions, Action{ChatID: chat, Action: action, ThreadID: thread})
	s.notifyLocked()
	return true, nil
}

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n++
		if r >= 0x10000 {
			n++
		}
	}
	return n
}

// Edits returns the successful editMessageText calls so far.
func (s *Server) Edits() []Edit {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Edit(nil), s.edits...)
}

// Actions returns the successful sendChatAction calls so far.
func (s *Server) Actions() []Action {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Action(nil), s.actions...)
}

// WaitActions waits until at least n chat actions were sent and returns them.
func (s *Server) WaitActions(ctx context.Context, n int) ([]Action, error) {
	for {
		s.mu.Lock()
		if len(s.actions) >= n {
			out := append([]Action(nil), s.actions...)
			s.mu.Unlock()
			return out, nil
		}
		w, got := s.wake, len(s.actions)
		s.mu.Unlock()
		select {
		case <-w:
		case <-ctx.Done():
			return nil, fmt.Errorf("tgtest: %d of %d chat actions: %w", got, n, ctx.Err())
		}
	}
}

func (s *Server) getUpdates(ctx context.Context, p map[string]string) (any, *apiError) {
	allowed, aerr := parseAllowed(p)
	if aerr != nil {
		return nil, aerr
	}
	s.mu.Lock()
	s.setAllowedLocked(allowed)
	s.mu.Unlock()
	offset, _ := strconv.ParseInt(p["offset"], 10, 64)
	timeout, _ := strconv.ParseInt(p["timeout"], 10, 64)
	wait := min(time.Duration(timeout)*time.Second, MaxPollWait)
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		s.dropUnwantedLocked()
		// An offset confirms every update before it (Bot API semantics).
		kept := s.updates[:0]
		var out []json.RawMessage
		for _, u := range s.updates {
			var h struct {
				ID int64 `json:"update_id"`
			}
			_ = json.Unmarshal(u, &h)
			if h.ID < offset {
				continue
			}
			kept = append(kept, u)
			out = append(out, u)
		}
		s.updates = kept
		w, down := s.wake, s.down
		s.mu.Unlock()
		if len(out) > 0 || wait <= 0 {
			if out == nil {
				out = []json.RawMessage{}
			}
			return out, nil
		}
		select {
		case <-w:
		case <-deadline.C:
			return []json.RawMessage{}, nil
		case <-ctx.Done():
			return []json.RawMessage{}, nil
		case <-s.quit:
			return []json.RawMessage{}, nil
		case <-down:
			return []json.RawMessage{}, nil
		}
	}
}

// readParams flattens JSON, form or multipart parameters to strings (nested values
// stay JSON).
// upload is one file of a multipart request.
type upload struct {
	name string
	data []byte
}

func readParams(r *http.Request) (map[string]string, map[string]upload, error) {
	files := map[string]upload{}
	out := map[string]string{}
	for k, v := range r.URL.Query() {
		out[k] = v[0]
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "application/json":
		var m map[string]json.RawMessage
		if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
			return nil, nil, fmt.Errorf("can't parse JSON: %w", err)
		}
		for k, v := range m {
			var s string
			if json.Unmarshal(v, &s) == nil {
				out[k] = s
			} else {
				out[k] = string(v)
			}
		}
	case "multipart/form-data":
		if err := r.ParseMultipartForm(8 << 20); err != nil {
			return nil, nil, err
		}
		for k, v := range r.MultipartForm.Value {
			out[k] = v[0]
		}
		for k, fh := range r.MultipartForm.File {
			out[k] = "attach://" + k
			f, err := fh[0].Open()
			if err != nil {
				return nil, nil, err
			}
			data, err := io.ReadAll(f)
			f.Close()
			if err != nil {
				return nil, nil, err
			}
			files[k] = upload{name: fh[0].Filename, data: data}
		}
	default:
		if err := r.ParseForm(); err == nil {
			for k, v := range r.PostForm {
				out[k] = v[0]
			}
		}
	}
	return out, files, nil
}

func writeErr(w http.ResponseWriter, e apiError) {
	writeFault(w, e, 0)
}

// writeFault is writeErr with parameters.retry_after when retryAfter > 0.
func writeFault(w http.ResponseWriter, e apiError, retryAfter int) {
	body := map[string]any{"ok": false, "error_code": e.code, "description": e.desc}
	if retryAfter > 0 {
		body["parameters"] = map[string]any{"retry_after": retryAfter}
	}
	b, _ := json.Marshal(body)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.code)
	_, _ = w.Write(b)
}

// MaxDownloadBytes is the Bot API's getFile limit: larger files answer 400 "Bad
// Request: file is too big".
const MaxDownloadBytes = 20 << 20

type file struct {
	id, unique, path string
	data             []byte
	size             int // the size getFile and the message declare (len(data) unless set)
}

// AddFile stores data for getFile and download under a new file id and returns it.
// declaredSize, when positive, is the size the API reports instead of len(data) (a
// client must still enforce its cap while downloading).
func (s *Server) AddFile(data []byte, name string, declaredSize int) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextFile++
	n := s.nextFile
	f := &file{id: fmt.Sprintf("file-%d", n), unique: fmt.Sprintf("u%d", n), path: fmt.Sprintf("files/%d/%s", n, name), data: data, size: len(data)}
	if declaredSize > 0 {
		f.size = declaredSize
	}
	s.files[f.id] = f
	return f.id
}

func (s *Server) fileMeta(id string) map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.files[id]
	return map[string]any{"file_id": f.id, "file_unique_id": f.unique, "file_size": f.size}
}

// PushPhoto queues a photo message: Telegram sends several sizes; this sends a
// thumbnail (thumb, may be nil) and the full photo, largest last.
func (s *Server) PushPhoto(chatID int64, from User, caption string, thumb, photo []byte) int64 {
	var sizes []map[string]any
	if thumb != nil {
		m := s.fileMeta(s.AddFile(thumb, "thumb.jpg", 0))
		m["width"], m["height"] = 90, 90
		sizes = append(sizes, m)
	}
	m := s.fileMeta(s.AddFile(photo, "photo.jpg", 0))
	m["width"], m["height"] = 1280, 960
	sizes = append(sizes, m)
	extra := map[string]any{"photo": sizes}
	if caption != "" {
		extra["caption"] = caption
	}
	return s.push(chatID, from, "", extra)
}

// PushVoice queues a voice note (audio/ogg).
func (s *Server) PushVoice(chatID int64, from User, data []byte) int64 {
	m := s.fileMeta(s.AddFile(data, "voice.oga", 0))
	m["duration"], m["mime_type"] = 3, "audio/ogg"
	return s.push(chatID, from, "", map[string]any{"voice": m})
}

// PushDocument queues a document; declaredSize as in AddFile.
func (s *Server) PushDocument(chatID int64, from User, caption, fileName, mimeType string, data []byte, declaredSize int) int64 {
	m := s.fileMeta(s.AddFile(data, fileName, declaredSize))
	m["file_name"], m["mime_type"] = fileName, mimeType
	extra := map[string]any{"document": m}
	if caption != "" {
		extra["caption"] = caption
	}
	return s.push(chatID, from, "", extra)
}

// AlbumPart is one item of an album for PushAlbum: a photo, or a document when
// FileName is set.
type AlbumPart struct {
	Data     []byte
	FileName string // a document's name ("" = a photo)
	MimeType string // a document's declared type
	// DeclaredSize, when positive, is the size the message declares (as in AddFile).
	DeclaredSize int
	Caption      string
}

// PushAlbum queues an album as Telegram delivers one: each part its own message and
// update, all with media_group_id group. It returns the update ids.
func (s *Server) PushAlbum(chatID int64, from User, group string, parts ...AlbumPart) []int64 {
	var ids []int64
	for _, p := range parts {
		extra := map[string]any{"media_group_id": group}
		if p.FileName == "" {
			m := s.fileMeta(s.AddFile(p.Data, "photo.jpg", p.DeclaredSize))
			m["width"], m["height"] = 1280, 960
			extra["photo"] = []map[string]any{m}
		} else {
			m := s.fileMeta(s.AddFile(p.Data, p.FileName, p.DeclaredSize))
			m["file_name"], m["mime_type"] = p.FileName, p.MimeType
			extra["document"] = m
		}
		if p.Caption != "" {
			extra["caption"] = p.Caption
		}
		ids = append(ids, s.push(chatID, from, "", extra))
	}
	return ids
}

func (s *Server) getFile(p map[string]string) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.files[p["file_id"]]
	if f == nil {
		return nil, &apiError{400, "Bad Request: invalid file_id"}
	}
	if f.size > MaxDownloadBytes {
		return nil, &apiError{400, "Bad Request: file is too big"}
	}
	return map[string]any{"file_id": f.id, "file_unique_id": f.unique, "file_size": f.size, "file_path": f.path}, nil
}

// download serves /file/bot<token>/<file_path>.
func (s *Server) download(w http.ResponseWriter, rest string) {
	token, path, ok := strings.Cut(rest, "/")
	s.mu.Lock()
	s.calls["download"]++
	var data []byte
	found := false
	for _, f := range s.files {
		if f.path == path {
			data, found = f.data, true
			break
		}
	}
	s.mu.Unlock()
	switch {
	case !ok || token != s.token:
		http.Error(w, "Unauthorized", http.StatusUnauthorized)
	case !found:
		http.NotFound(w, nil)
	default:
		w.Header().Set("Content-Type", "application/octet-stream")
		_, _ = w.Write(data)
	}
}

// PushTopicMessage queues a text message in forum topic thread of supergroup chatID
// (a forum: chat.is_forum); thread 0 is a message of the General topic, which
// Telegram sends without message_thread_id.
func (s *Server) PushTopicMessage(chatID int64, thread int64, from User, text string) int64 {
	extra := map[string]any{"chat": map[string]any{"id": chatID, "type": "supergroup", "is_forum": true, "title": "Forum"}}
	if thread != 0 {
		extra["message_thread_id"] = thread
		extra["is_topic_message"] = true
	}
	return s.push(chatID, from, text, extra)
}
