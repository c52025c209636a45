package daemon

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/gatewaytest"
)

// nodeClient connects a role-node socket with a device identity (loopback pairs it
// automatically), as the apps and the node host do.
func (r *running) nodeClient(t *testing.T) (*gatewaytest.Client, string) {
	t.Helper()
	r.client(t) // waits until the gateway listens
	n := gatewaytest.Dial(t, fmt.Sprintf("ws://127.0.0.1:%d", r.port))
	dev := gatewaytest.NewDevice(t)
	nonce := n.Challenge()
	n.Handshake(map[string]any{
		"minProtocol": 3, "maxProtocol": 3, "role": "node",
		"client": map[string]any{"id": "clawdbot-ios", "version": "2026.1.24", "platform": "ios", "mode": "node"},
		"caps":   []string{"voiceWake"},
		"device": dev.Sign("clawdbot-ios", "node", "node", nil, time.Now(), "", nonce),
	})
	return n, dev.ID
}

// nodeEvent sends node.event the way the original's clients do (payloadJSON string).
func nodeEvent(t *testing.T, n *gatewaytest.Client, event string, payload any) {
	t.Helper()
	b, _ := json.Marshal(payload)
	var res protocol.NodeEventResult
	n.MustOK("node.event", map[string]any{"event": event, "payloadJSON": string(b)}, &res)
	if !res.Ok {
		t.Fatalf("node.event %s: %+v", event, res)
	}
}

// finalChat waits for the final chat event of session key on c; targeted: only the
// node's subscription stream (events sent to it alone carry no seq), not broadcasts.
func finalChat(t *testing.T, c *gatewaytest.Client, key string, targeted bool) protocol.ChatEvent {
	t.Helper()
	for {
		ev, seq := nextChat(t, c)
		if targeted && seq {
			continue
		}
		if ev.SessionKey == key && ev.State == protocol.ChatEventStateFinal {
			return ev
		}
	}
}

// nextChat is the next chat event and whether it was a broadcast (has a seq).
func nextChat(t *testing.T, c *gatewaytest.Client) (protocol.ChatEvent, bool) {
	t.Helper()
	f := c.NextEvent("chat")
	var ev protocol.ChatEvent
	if err := json.Unmarshal(f.Payload, &ev); err != nil {
		t.Fatal(err)
	}
	return ev, f.Seq != nil
}

func TestNodeEventsEndToEnd(t *testing.T) {
	model := newScriptedModel(t)
	r := start(t, fmt.Sprintf(`{
  gateway: { mode: "local" },
  models: { providers: { local: { baseUrl: %q, models: [] } } },
  agents: { defaults: { model: { primary: "local/m" } } },
}`, model.srv.URL+"/v1"))
	op := r.client(t)
	n, nodeID := r.nodeClient(t)

	// chat.subscribe + voice.transcript: the transcript runs in the main session and
	// its chat stream reaches the node.
	nodeEvent(t, n, "chat.subscribe", map[string]any{"sessionKey": "main"})
	nodeEvent(t, n, "voice.transcript", map[string]any{"text": "Will it rain?"})
	ev := finalChat(t, n, "agent:main:main", true)
	if !strings.HasPrefix(ev.RunID, "voice-") || !strings.Contains(string(ev.Message), "No rain today.") {
		t.Fatalf("node chat event: %+v %s", ev, ev.Message)
	}

	// agent.request: a turn in node-<id>, seen by operators (chat broadcast); the
	// node is not subscribed to that session.
	nodeEvent(t, n, "agent.request", map[string]any{"message": "hello from the node", "deliver": false})
	nodeKey := "agent:main:node-" + nodeID
	if ev := finalChat(t, op, nodeKey, false); !strings.Contains(string(ev.Message), "re: hello from the node") {
		t.Fatalf("agent.request answer: %s", ev.Message)
	}

	// exec.finished from a node host: a system note in the session.
	nodeEvent(t, n, "exec.finished", map[string]any{"runId": "r1", "exitCode": 0, "output": "done", "command": "ls"})
	deadline := time.Now().Add(10 * time.Second)
	for {
		f := op.Call("chat.history", map[string]any{"sessionKey": nodeKey})
		if f.OK && strings.Contains(string(f.Payload), "Exec finished (node="+nodeID+" id=r1, code 0)") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no exec note in history: %s", f.Payload)
		}
		time.Sleep(20 * time.Millisecond)
	}

	// Malformed payloads are acknowledged and dropped.
	var res protocol.NodeEventResult
	n.MustOK("node.event", map[string]any{"event": "agent.request", "payloadJSON": "{not json"}, &res)
	n.MustOK("node.event", map[string]any{"event": "voice.transcript", "payloadJSON": `{"text":"` + strings.Repeat("x", 20_001) + `"}`}, &res)

	// chat.unsubscribe: the next main-session run reaches operators, not the node.
	nodeEvent(t, n, "chat.unsubscribe", map[string]any{"sessionKey": "main"})
	nodeEvent(t, n, "voice.transcript", map[string]any{"text": "again"})
	finalChat(t, op, "agent:main:main", false)
	// The node's socket carries events in order: a chat.subscribe to another session
	// and a run there must arrive without any main-session event before it.
	nodeEvent(t, n, "chat.subscribe", map[string]any{"sessionKey": "other"})
	nodeEvent(t, n, "agent.request", map[string]any{"message": "last", "sessionKey": "other"})
	for {
		ev, broadcast := nextChat(t, n)
		if broadcast {
			continue // role-node sockets also see the chat broadcast, as in the original
		}
		if ev.SessionKey == "agent:main:main" {
			t.Fatalf("unsubscribed node got %+v", ev)
		}
		if ev.State == protocol.ChatEventStateFinal {
			break
		}
	}
}
