package tools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
)

type fakeActions struct {
	mu      sync.Mutex
	reacts  []MessageReact
	deletes []MessageDelete
	polls   []MessagePoll
}

func (f *fakeActions) React(_ context.Context, r MessageReact) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reacts = append(f.reacts, r)
	return nil
}

func (f *fakeActions) Delete(_ context.Context, d MessageDelete) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deletes = append(f.deletes, d)
	return nil
}

func (f *fakeActions) Poll(_ context.Context, p MessagePoll) (MessageSent, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.polls = append(f.polls, p)
	return MessageSent{MessageID: "poll-1", ToJID: p.To + "@s.whatsapp.net"}, nil
}

func (f *fakeActions) calls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.reacts) + len(f.deletes) + len(f.polls)
}

func resultJSON(t *testing.T, r Result) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(r.Content[0].Text), &m); err != nil {
		t.Fatalf("result %q: %v", r.Content[0].Text, err)
	}
	return m
}

// react, delete and poll reach the channel with the reference's parameters and come
// back in its result shapes; combinations a channel does not support are refused
// before anything is done.
func TestMessageActions(t *testing.T) {
	cases := []struct {
		name    string
		current string
		args    map[string]any
		want    string // result JSON subset, or the error's text
		wantErr bool
		check   func(t *testing.T, f *fakeActions)
	}{
		{"telegram react", "telegram", map[string]any{"action": "react", "messageId": "17", "emoji": "👍"}, `"added":"👍"`, false,
			func(t *testing.T, f *fakeActions) {
				if r := f.reacts[0]; r.Channel != "telegram" || r.To != "42" || r.MessageID != "17" || r.Emoji != "👍" {
					t.Fatalf("react %+v", r)
				}
			}},
		{"empty emoji removes", "telegram", map[string]any{"action": "react", "messageId": "17", "emoji": ""}, `"removed":true`, false,
			func(t *testing.T, f *fakeActions) {
				if f.reacts[0].Emoji != "" {
					t.Fatalf("react %+v", f.reacts[0])
				}
			}},
		{"remove with emoji", "telegram", map[string]any{"action": "react", "messageId": "17", "emoji": "👍", "remove": true}, `"removed":true`, false,
			func(t *testing.T, f *fakeActions) {
				if f.reacts[0].Emoji != "" {
					t.Fatalf("react %+v", f.reacts[0])
				}
			}},
		{"remove without emoji", "telegram", map[string]any{"action": "react", "messageId": "17", "remove": true}, "Emoji is required to remove a Telegram reaction.", true, nil},
		{"emoji missing", "whatsapp", map[string]any{"action": "react", "messageId": "AB"}, "emoji required", true, nil},
		{"react needs messageId", "telegram", map[string]any{"action": "react", "emoji": "👍"}, "messageId required", true, nil},
		{"whatsapp group react", "whatsapp", map[string]any{"action": "react", "chatJid": "123@g.us", "messageId": "AB", "emoji": "🔥", "participant": "+15550001111"}, `"added":"🔥"`, false,
			func(t *testing.T, f *fakeActions) {
				if r := f.reacts[0]; r.To != "123@g.us" || r.Participant != "+15550001111" || r.Channel != "whatsapp" {
					t.Fatalf("react %+v", r)
				}
			}},
		{"telegram delete", "telegram", map[string]any{"action": "delete", "chatId": "77", "messageId": "5"}, `"deleted":true`, false,
			func(t *testing.T, f *fakeActions) {
				if d := f.deletes[0]; d.To != "77" || d.MessageID != "5" {
					t.Fatalf("delete %+v", d)
				}
			}},
		{"whatsapp delete", "whatsapp", map[string]any{"action": "delete", "messageId": "AB"}, "Action delete is not supported for provider whatsapp.", true, nil},
		{"telegram poll", "telegram", map[string]any{"action": "poll", "pollQuestion": "q", "pollOption": []string{"a", "b"}}, "Action poll is not supported for provider telegram.", true, nil},
		{"whatsapp poll", "whatsapp", map[string]any{"action": "poll", "pollQuestion": "Lunch?", "pollOption": []string{"pizza", " ", "sushi", "tacos"}, "pollMulti": true},
			`"maxSelections":3`, false,
			func(t *testing.T, f *fakeActions) {
				if p := f.polls[0]; p.Question != "Lunch?" || len(p.Options) != 3 || p.MaxSelections != 3 || p.IdempotencyKey == "" {
					t.Fatalf("poll %+v", p)
				}
			}},
		{"poll one option", "whatsapp", map[string]any{"action": "poll", "pollQuestion": "q", "pollOption": []string{"a"}}, "pollOption requires at least two values", true, nil},
		{"unknown action", "telegram", map[string]any{"action": "pin"}, "", true, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := &fakeActions{}
			to := "42"
			if c.current == "whatsapp" {
				to = "+15551234567"
			}
			tl := mustTool(MessageTool(MessageOptions{Sender: &fakeSender{}, Actions: f, Scope: "r", CurrentChannel: c.current, CurrentTo: to}))
			b, _ := json.Marshal(c.args)
			res, err := tl.Execute(context.Background(), Call{ID: "c1", Args: b})
			if c.wantErr {
				if err == nil || !strings.Contains(err.Error(), c.want) || f.calls() != 0 {
					t.Fatalf("err %v, calls %d; want error %q and nothing done", err, f.calls(), c.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if txt := strings.ReplaceAll(strings.ReplaceAll(res.Content[0].Text, " ", ""), "\n", ""); !strings.Contains(txt, c.want) {
				t.Fatalf("result %s, want %s", txt, c.want)
			}
			c.check(t, f)
		})
	}
}

// The poll result has the reference's shape.
func TestMessagePollResultShape(t *testing.T) {
	tl := mustTool(MessageTool(MessageOptions{Sender: &fakeSender{}, Actions: &fakeActions{}, CurrentChannel: "whatsapp", CurrentTo: "+1555"}))
	res, err := msgCall(tl, "p1", map[string]any{"action": "poll", "pollQuestion": "Q", "pollOption": []string{"a", "b"}})
	if err != nil {
		t.Fatal(err)
	}
	m := resultJSON(t, res)
	for _, k := range []string{"channel", "to", "question", "options", "maxSelections", "durationHours", "via", "result"} {
		if _, ok := m[k]; !ok {
			t.Fatalf("poll result %v lacks %s", m, k)
		}
	}
	if m["maxSelections"] != float64(1) || m["via"] != "gateway" || m["durationHours"] != nil {
		t.Fatalf("poll result %v", m)
	}
}

// A gate refuses an action with its error (nothing is done) and leaves it out of the
// description; without Actions only send is offered.
func TestMessageGate(t *testing.T) {
	f := &fakeActions{}
	gate := func(channel, action, _ string) error {
		if channel == "telegram" && action == "react" {
			return errors.New("Telegram reactions are disabled via actions.reactions.")
		}
		return nil
	}
	tl := mustTool(MessageTool(MessageOptions{Sender: &fakeSender{}, Actions: f, Gate: gate, CurrentChannel: "telegram", CurrentTo: "42"}))
	_, err := msgCall(tl, "g1", map[string]any{"action": "react", "messageId": "1", "emoji": "👍"})
	if err == nil || err.Error() != "Telegram reactions are disabled via actions.reactions." || f.calls() != 0 {
		t.Fatalf("err %v, calls %d", err, f.calls())
	}
	if !strings.Contains(tl.Description, "telegram: send, delete)") || !strings.Contains(tl.Description, "whatsapp: send, react, poll") {
		t.Fatalf("description %q", tl.Description)
	}
	plain := mustTool(MessageTool(MessageOptions{Sender: &fakeSender{}, CurrentChannel: "telegram", CurrentTo: "42"}))
	if _, err := msgCall(plain, "g2", map[string]any{"action": "delete", "messageId": "1"}); err == nil {
		t.Fatal("delete without actions succeeded")
	}
	if !strings.Contains(plain.Description, "Supports actions: send (") {
		t.Fatalf("description %q", plain.Description)
	}
}

// send takes a local file by media, path or filePath (file:// too) through
// ResolveMedia, whose refusal is the model's error; URLs stay URLs; without
// ResolveMedia local files are refused.
func TestMessageSendLocalMedia(t *testing.T) {
	resolve := func(ref string) (string, error) {
		if strings.HasPrefix(ref, "/etc/") {
			return "", fmt.Errorf("media file is outside the allowed folders: %s", ref)
		}
		return "/real" + strings.TrimPrefix(ref, "."), nil
	}
	cases := []struct {
		args           map[string]any
		wantPath, wURL string
		wantErr        string
	}{
		{map[string]any{"media": "./out/chart.png"}, "/real/out/chart.png", "", ""},
		{map[string]any{"path": "/ws/a.pdf", "message": "report"}, "/real/ws/a.pdf", "", ""},
		{map[string]any{"filePath": "file:///ws/b.ogg"}, "/real/ws/b.ogg", "", ""},
		{map[string]any{"media": "https://example.com/x.png"}, "", "https://example.com/x.png", ""},
		{map[string]any{"filePath": "/etc/passwd"}, "", "", "outside the allowed folders"},
	}
	for i, c := range cases {
		s := &fakeSender{}
		tl := mustTool(MessageTool(MessageOptions{Sender: s, ResolveMedia: resolve, CurrentChannel: "telegram", CurrentTo: "42"}))
		c.args["action"] = "send"
		_, err := msgCall(tl, fmt.Sprint("s", i), c.args)
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) || s.count() != 0 {
				t.Fatalf("%v: err %v, sent %d", c.args, err, s.count())
			}
			continue
		}
		if err != nil || s.count() != 1 || s.sent[0].MediaPath != c.wantPath || s.sent[0].MediaURL != c.wURL {
			t.Fatalf("%v: err %v, sent %+v", c.args, err, s.sent)
		}
	}
	tl := mustTool(MessageTool(MessageOptions{Sender: &fakeSender{}, CurrentChannel: "telegram", CurrentTo: "42"}))
	if _, err := msgCall(tl, "n", map[string]any{"action": "send", "path": "./a.png"}); err == nil || !strings.Contains(err.Error(), "local files cannot be sent") {
		t.Fatalf("err %v", err)
	}
}
