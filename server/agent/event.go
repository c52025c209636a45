package agent

import (
	"encoding/json"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/tools/protogen/runtime/wire"
)

// AgentEvent is an `agent` event whose data is already encoded JSON. The generated
// protocol.AgentEvent holds data as a map of encoded values, so a loop event (a Go
// struct) had to be marshalled, unmarshalled into that map and marshalled again per
// streamed delta; this type carries the one encoding to the wire. It encodes exactly
// as protocol.AgentEvent (same keys, same order) apart from the key order inside
// data, which JSON leaves free.
type AgentEvent struct {
	RunID      string
	Seq        int64
	Stream     protocol.AgentEventStream
	Ts         int64
	SessionKey string // "" = omitted (a run without a session)
	Data       json.RawMessage
}

// EventName returns "agent".
func (*AgentEvent) EventName() string { return "agent" }

// Droppable is false: agent events are never dropped (a slow consumer is disconnected).
func (*AgentEvent) Droppable() bool { return false }

// GetSessionKey returns the run's session key ("" for none).
func (v *AgentEvent) GetSessionKey() string { return v.SessionKey }

// AppendJSON appends the event's JSON encoding to b.
func (v *AgentEvent) AppendJSON(b []byte) []byte {
	b = append(b, `{"data":`...)
	if len(v.Data) == 0 {
		b = append(b, "{}"...)
	} else {
		b = append(b, v.Data...)
	}
	b = append(b, `,"runId":`...)
	b = wire.AppendString(b, v.RunID)
	b = append(b, `,"seq":`...)
	b = wire.AppendInt(b, v.Seq)
	if v.SessionKey != "" {
		b = append(b, `,"sessionKey":`...)
		b = wire.AppendString(b, v.SessionKey)
	}
	b = append(b, `,"stream":`...)
	b = v.Stream.AppendJSON(b)
	b = append(b, `,"ts":`...)
	b = wire.AppendInt(b, v.Ts)
	return append(b, '}')
}

// Field returns one top-level value of the event's data (nil when absent), for
// subscribers and tests that look into it.
func (v *AgentEvent) Field(name string) json.RawMessage {
	var m map[string]json.RawMessage
	if json.Unmarshal(v.Data, &m) != nil {
		return nil
	}
	return m[name]
}
