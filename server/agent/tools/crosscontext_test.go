package tools

import (
	"strings"
	"testing"
)

// TestMessageCrossContext: tools.message's cross-context rules for a run answering
// telegram chat 42: another telegram chat is allowed unless allowWithinProvider is
// false, another channel is refused unless allowAcrossProviders, allowCrossContextSend
// allows everything, a run without a current chat is never checked, react is not
// guarded; a send to another chat carries the marker when one is configured.
func TestMessageCrossContext(t *testing.T) {
	marker := &CrossContextMarker{Prefix: "[from {channel}] ", Suffix: " (via {channel})"}
	for _, tc := range []struct {
		name    string
		cc      CrossContext
		curTo   string
		args    map[string]any
		wantErr string
		wantTxt string
	}{
		{"same chat", CrossContext{DenyWithinProvider: true, Marker: marker}, "42",
			map[string]any{"action": "send", "target": "telegram:42", "message": "hi"}, "", "hi"},
		{"other chat allowed", CrossContext{}, "42",
			map[string]any{"action": "send", "target": "77", "message": "hi"}, "", "hi"},
		{"other chat marked", CrossContext{Marker: marker}, "42",
			map[string]any{"action": "send", "target": "77", "message": "hi"}, "", "[from 42] hi (via 42)"},
		{"other chat denied", CrossContext{DenyWithinProvider: true}, "42",
			map[string]any{"action": "send", "target": "77", "message": "hi"}, `Cross-context messaging denied: action=send target="77" while bound to "42"`, ""},
		{"other provider denied", CrossContext{}, "42",
			map[string]any{"action": "send", "channel": "whatsapp", "target": "+1555", "message": "hi"}, `target provider "whatsapp" while bound to "telegram"`, ""},
		{"other provider allowed and marked", CrossContext{AllowAcrossProviders: true, Marker: marker}, "42",
			map[string]any{"action": "send", "channel": "whatsapp", "target": "+1555", "message": "hi"}, "", "[from 42] hi (via 42)"},
		{"allow all", CrossContext{AllowAll: true, DenyWithinProvider: true}, "42",
			map[string]any{"action": "send", "channel": "whatsapp", "target": "+1555", "message": "hi"}, "", "hi"},
		{"no current chat", CrossContext{DenyWithinProvider: true, Marker: marker}, "",
			map[string]any{"action": "send", "target": "77", "message": "hi"}, "", "hi"},
		{"react not guarded", CrossContext{DenyWithinProvider: true}, "42",
			map[string]any{"action": "react", "target": "77", "messageId": "5", "emoji": "👍"}, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &fakeSender{}
			act := &fakeActions{}
			tl := mustTool(MessageTool(MessageOptions{Sender: s, Actions: act, Scope: "r", CurrentChannel: "telegram", CurrentTo: tc.curTo, CrossContext: tc.cc}))
			_, err := msgCall(tl, "c1", tc.args)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want %q", err, tc.wantErr)
				}
				if s.count() != 0 {
					t.Fatal("a refused send was delivered")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.wantTxt != "" && (s.count() != 1 || s.sent[0].Text != tc.wantTxt) {
				t.Fatalf("sent %+v, want text %q", s.sent, tc.wantTxt)
			}
		})
	}
}

// TestMessageBroadcast: broadcast sends to every target on the named channel, each
// under the cross-context rules (a refused one is reported in results, the others
// still go), and is refused as a whole when tools.message.broadcast.enabled is false.
func TestMessageBroadcast(t *testing.T) {
	s := &fakeSender{}
	tl := mustTool(MessageTool(MessageOptions{Sender: s, Scope: "r", CurrentChannel: "telegram", CurrentTo: "42"}))
	r, err := msgCall(tl, "b1", map[string]any{"action": "broadcast", "channel": "telegram", "targets": []string{"42", "77"}, "message": "news"})
	if err != nil {
		t.Fatal(err)
	}
	if s.count() != 2 || s.sent[0].To != "42" || s.sent[1].To != "77" || s.sent[0].IdempotencyKey == s.sent[1].IdempotencyKey {
		t.Fatalf("sent %+v", s.sent)
	}
	if !strings.Contains(text(r), `"ok": true`) {
		t.Fatalf("result %s", text(r))
	}
	// Every channel: whatsapp is another provider, refused per target.
	s2 := &fakeSender{}
	tl = mustTool(MessageTool(MessageOptions{Sender: s2, Scope: "r", CurrentChannel: "telegram", CurrentTo: "42"}))
	r, err = msgCall(tl, "b2", map[string]any{"action": "broadcast", "targets": []string{"77"}, "message": "news"})
	if err != nil {
		t.Fatal(err)
	}
	if s2.count() != 1 || s2.sent[0].Channel != "telegram" || !strings.Contains(text(r), "Cross-context messaging denied") {
		t.Fatalf("sent %+v, result %s", s2.sent, text(r))
	}
	off := mustTool(MessageTool(MessageOptions{Sender: s, CrossContext: CrossContext{BroadcastDisabled: true}}))
	if _, err := msgCall(off, "b3", map[string]any{"action": "broadcast", "targets": []string{"1"}, "message": "x"}); err == nil || !strings.Contains(err.Error(), "Broadcast is disabled") {
		t.Fatalf("disabled broadcast: %v", err)
	}
	if _, err := msgCall(tl, "b4", map[string]any{"action": "broadcast", "message": "x"}); err == nil {
		t.Fatal("broadcast without targets accepted")
	}
}
