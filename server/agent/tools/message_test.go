package tools

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type fakeSender struct {
	mu    sync.Mutex
	sent  []MessageSend
	fail  atomic.Int32 // fail this many sends first
	delay time.Duration
}

func (f *fakeSender) SendMessage(ctx context.Context, m MessageSend) (MessageSent, error) {
	if f.delay > 0 {
		time.Sleep(f.delay)
	}
	if f.fail.Load() > 0 {
		f.fail.Add(-1)
		return MessageSent{}, errors.New("telegram: network down")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sent = append(f.sent, m)
	return MessageSent{MessageID: "m1", ChatID: m.To}, nil
}

func (f *fakeSender) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.sent)
}

func msgCall(tl *Tool, id string, args map[string]any) (Result, error) {
	b, _ := json.Marshal(args)
	if err := tl.Validate(b); err != nil {
		return Result{}, err
	}
	return tl.Execute(context.Background(), Call{ID: id, Args: b})
}

// A retried tool call (same call id) delivers once, also when the retries race; the key
// handed to the gateway is stable so its durable dedupe covers restarts.
func TestMessageSendsOnceAcrossRetries(t *testing.T) {
	s := &fakeSender{delay: 20 * time.Millisecond}
	tl := mustTool(MessageTool(MessageOptions{Sender: s, Scope: "run-1", CurrentChannel: "telegram", CurrentTo: "42"}))
	args := map[string]any{"action": "send", "message": "hello"}
	var wg sync.WaitGroup
	results := make([]Result, 4)
	for i := range results {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			r, err := msgCall(tl, "call-7", args)
			if err != nil {
				t.Error(err)
			}
			results[i] = r
		}(i)
	}
	wg.Wait()
	if r, err := msgCall(tl, "call-7", args); err != nil || text(r) != text(results[0]) {
		t.Fatalf("retry %v", err)
	}
	if s.count() != 1 {
		t.Fatalf("sent %d times", s.count())
	}
	m := s.sent[0]
	if m.Channel != "telegram" || m.To != "42" || m.Text != "hello" || m.IdempotencyKey != messageKey("run-1", "call-7") || !strings.HasPrefix(m.IdempotencyKey, "agent-msg:") {
		t.Fatalf("sent %+v", m)
	}
	var payload map[string]any
	_ = json.Unmarshal([]byte(text(results[0])), &payload)
	if payload["channel"] != "telegram" || payload["via"] != "direct" || payload["result"].(map[string]any)["messageId"] != "m1" {
		t.Fatalf("payload %v", payload)
	}
	// A different call sends again; the same call id in another run too.
	_, _ = msgCall(tl, "call-8", args)
	other := mustTool(MessageTool(MessageOptions{Sender: s, Scope: "run-2", CurrentChannel: "telegram", CurrentTo: "42"}))
	_, _ = msgCall(other, "call-7", args)
	if s.count() != 3 || s.sent[2].IdempotencyKey == s.sent[0].IdempotencyKey {
		t.Fatalf("sent %d", s.count())
	}
}

// A failed send is not remembered: the retry after the outage delivers.
func TestMessageFailureIsRetried(t *testing.T) {
	s := &fakeSender{}
	s.fail.Store(1)
	tl := mustTool(MessageTool(MessageOptions{Sender: s, CurrentChannel: "whatsapp"}))
	args := map[string]any{"action": "send", "target": "+15550001", "message": "hi"}
	if _, err := msgCall(tl, "c", args); err == nil || !strings.Contains(err.Error(), "network down") {
		t.Fatalf("first: %v", err)
	}
	if _, err := msgCall(tl, "c", args); err != nil || s.count() != 1 {
		t.Fatalf("retry: %v (%d)", err, s.count())
	}
	s.fail.Store(1)
	r, err := msgCall(tl, "d", map[string]any{"action": "send", "target": "+1", "message": "x", "bestEffort": true})
	if err != nil || !strings.Contains(text(r), `"ok": false`) {
		t.Fatalf("best effort %q %v", text(r), err)
	}
}

func TestMessageValidation(t *testing.T) {
	s := &fakeSender{}
	tl := mustTool(MessageTool(MessageOptions{Sender: s, CurrentChannel: "whatsapp", CurrentTo: "+1"}))
	cases := map[string]map[string]any{
		"cross channel": {"action": "send", "channel": "telegram", "target": "9", "message": "x"},
		"unknown":       {"action": "send", "channel": "discord", "target": "9", "message": "x"},
		"empty":         {"action": "send"},
		"other action":  {"action": "react"},
	}
	for name, args := range cases {
		if _, err := msgCall(tl, name, args); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
	r, err := msgCall(tl, "dry", map[string]any{"action": "send", "message": "x", "dryRun": true})
	if err != nil || !strings.Contains(text(r), `"dryRun": true`) || s.count() != 0 {
		t.Fatalf("dry run %q %v", text(r), err)
	}
	across := mustTool(MessageTool(MessageOptions{Sender: s, CurrentChannel: "whatsapp", CurrentTo: "+1", CrossContext: CrossContext{AllowAcrossProviders: true}}))
	if _, err := msgCall(across, "x", map[string]any{"action": "send", "channel": "telegram", "to": "9", "message": "x"}); err != nil {
		t.Fatal(err)
	}
}

type fakeSessions struct {
	rows    []SessionRow
	hist    map[string][]json.RawMessage
	sent    []SessionSendRequest
	sendRes SessionSendResult
	spawned []SpawnRequest
}

func (f *fakeSessions) Spawn(ctx context.Context, req SpawnRequest) (SpawnResult, error) {
	f.spawned = append(f.spawned, req)
	return SpawnResult{RunID: req.RunID, ChildKey: req.ChildKey, ModelApplied: req.Model != ""}, nil
}

func (f *fakeSessions) List(ctx context.Context, q SessionQuery) ([]SessionRow, error) {
	return f.rows, nil
}
func (f *fakeSessions) History(ctx context.Context, key string, limit int) ([]json.RawMessage, error) {
	h, ok := f.hist[key]
	if !ok {
		return nil, errors.New("unknown session " + key)
	}
	if limit > 0 && len(h) > limit {
		h = h[len(h)-limit:]
	}
	return h, nil
}
func (f *fakeSessions) Send(ctx context.Context, req SessionSendRequest) (SessionSendResult, error) {
	f.sent = append(f.sent, req)
	return f.sendRes, nil
}
func (f *fakeSessions) ResolveLabel(ctx context.Context, label, agentID string) (string, error) {
	if label == "ops" {
		return "telegram:group:77", nil
	}
	return "", nil
}
func (f *fakeSessions) Status(ctx context.Context, key, model string) (SessionStatus, error) {
	return SessionStatus{Key: key, Text: "🦞 status of " + key, ChangedModel: model != ""}, nil
}

func TestSessionsTools(t *testing.T) {
	user := json.RawMessage(`{"role":"user","content":[{"type":"text","text":"hi"}],"timestamp":1}`)
	call := json.RawMessage(`{"role":"assistant","content":[{"type":"toolCall","id":"t","name":"read","arguments":{}}],"timestamp":2}`)
	res := json.RawMessage(`{"role":"toolResult","toolCallId":"t","toolName":"read","content":[],"isError":false,"timestamp":3}`)
	reply := json.RawMessage(`{"role":"assistant","content":[{"type":"text","text":"done"}],"timestamp":4}`)
	fs := &fakeSessions{
		rows: []SessionRow{{Key: "main"}, {Key: "telegram:group:77", DisplayName: "Ops"}, {Key: "cron:daily"}, {Key: "unknown"}},
		hist: map[string][]json.RawMessage{"main": {user, call, res, reply}, "telegram:group:77": {user}},
	}
	ts, err := SessionsTools(SessionsOptions{Sessions: fs, SessionKey: "main", Channel: "webchat", Scope: "run"})
	if err != nil {
		t.Fatal(err)
	}
	set, _ := NewSet(ts...)
	get := func(n string) *Tool { tl, _ := set.Get(n); return tl }

	r, err := run(t, get("sessions_list"), map[string]any{"kinds": []string{"group", "main"}, "messageLimit": 5})
	if err != nil {
		t.Fatal(err)
	}
	var list struct {
		Count    int          `json:"count"`
		Sessions []SessionRow `json:"sessions"`
	}
	_ = json.Unmarshal([]byte(text(r)), &list)
	if list.Count != 2 || list.Sessions[0].Kind != "main" || list.Sessions[1].Kind != "group" || len(list.Sessions[0].Messages) != 3 {
		t.Fatalf("list %+v", list)
	}

	r, _ = run(t, get("sessions_history"), map[string]any{"sessionKey": "main"})
	var h struct {
		Messages []json.RawMessage `json:"messages"`
	}
	_ = json.Unmarshal([]byte(text(r)), &h)
	if len(h.Messages) != 3 {
		t.Fatalf("history without tools: %d", len(h.Messages))
	}
	r, _ = run(t, get("sessions_history"), map[string]any{"sessionKey": "main", "includeTools": true})
	_ = json.Unmarshal([]byte(text(r)), &h)
	if len(h.Messages) != 4 {
		t.Fatalf("history with tools: %d", len(h.Messages))
	}
	if AssistantReply(fs.hist["main"]) != "done" {
		t.Fatal("assistant reply")
	}

	fs.sendRes = SessionSendResult{RunID: "r1", Status: "ok", Reply: "on it"}
	r, _ = run(t, get("sessions_send"), map[string]any{"label": "ops", "message": "restart the bot", "timeoutSeconds": 5})
	if !strings.Contains(text(r), `"reply": "on it"`) || fs.sent[0].SessionKey != "telegram:group:77" || fs.sent[0].Wait != 5*time.Second ||
		!strings.Contains(fs.sent[0].ExtraSystemPrompt, "Requester session: main") || fs.sent[0].IdempotencyKey == "" {
		t.Fatalf("send %q %+v", text(r), fs.sent)
	}
	r, _ = run(t, get("sessions_send"), map[string]any{"sessionKey": "a", "label": "ops", "message": "x"})
	if !strings.Contains(text(r), "Provide either sessionKey or label") {
		t.Fatalf("both %q", text(r))
	}
	r, _ = run(t, get("session_status"), map[string]any{})
	if text(r) != "🦞 status of main" {
		t.Fatalf("status %q", text(r))
	}
}
