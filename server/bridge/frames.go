package bridge

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// Frame is one bridge line (§9): a union of every frame type's fields, told apart by
// Type. Payloads travel as JSON strings (paramsJSON, payloadJSON), unlike on the WS.
type Frame struct {
	Type string `json:"type"`

	// hello / pair-request
	NodeID          string          `json:"nodeId,omitempty"`
	Token           string          `json:"token,omitempty"`
	DisplayName     string          `json:"displayName,omitempty"`
	Platform        string          `json:"platform,omitempty"`
	Version         string          `json:"version,omitempty"`
	DeviceFamily    string          `json:"deviceFamily,omitempty"`
	ModelIdentifier string          `json:"modelIdentifier,omitempty"`
	Caps            []string        `json:"caps,omitempty"`
	Commands        []string        `json:"commands,omitempty"`
	Permissions     map[string]bool `json:"permissions,omitempty"`
	Silent          *bool           `json:"silent,omitempty"`
	RemoteAddress   string          `json:"remoteAddress,omitempty"` // ignored: the socket's address is used

	// hello-ok
	ServerName    string `json:"serverName,omitempty"`
	CanvasHostURL string `json:"canvasHostUrl,omitempty"`

	// error (Code, Message); res/invoke-res error object
	Code    string      `json:"code,omitempty"`
	Message string      `json:"message,omitempty"`
	Error   *FrameError `json:"error,omitempty"`

	// req / res / invoke / invoke-res / ping / pong
	ID          string  `json:"id,omitempty"`
	Method      string  `json:"method,omitempty"`
	Command     string  `json:"command,omitempty"`
	Ok          *bool   `json:"ok,omitempty"`
	ParamsJSON  *string `json:"paramsJSON,omitempty"`
	PayloadJSON *string `json:"payloadJSON,omitempty"`

	// event
	Event string `json:"event,omitempty"`
}

// FrameError is the error object of res and invoke-res.
type FrameError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Details any    `json:"details,omitempty"`
}

// Frame types.
const (
	TypeHello       = "hello"
	TypePairRequest = "pair-request"
	TypeHelloOk     = "hello-ok"
	TypePairOk      = "pair-ok"
	TypeError       = "error"
	TypeReq         = "req"
	TypeRes         = "res"
	TypeEvent       = "event"
	TypeInvoke      = "invoke"
	TypeInvokeRes   = "invoke-res"
	TypePing        = "ping"
	TypePong        = "pong"
)

// ErrBlank is returned for a blank line, which the protocol skips.
var ErrBlank = errors.New("blank line")

// ParseLine decodes one line (without or with its trailing newline). A blank line is
// ErrBlank; anything that is not a JSON object with a string "type" is an error whose
// text is sent back to the node. It never panics, whatever the input (FuzzBridgeLine).
func ParseLine(line []byte) (Frame, error) {
	line = bytes.TrimSpace(line)
	if len(line) == 0 {
		return Frame{}, ErrBlank
	}
	if line[0] != '{' {
		return Frame{}, errors.New("frame must be a JSON object")
	}
	var f Frame
	dec := json.NewDecoder(bytes.NewReader(line))
	if err := dec.Decode(&f); err != nil {
		return Frame{}, fmt.Errorf("invalid JSON: %w", err)
	}
	if dec.More() {
		return Frame{}, errors.New("invalid JSON: trailing data after the frame")
	}
	if f.Type == "" {
		return Frame{}, errors.New("type required")
	}
	return f, nil
}

// encode renders a frame as one line.
func encode(f Frame) []byte {
	b, err := json.Marshal(f)
	if err != nil {
		// Only an unencodable Details value gets here; drop it rather than the frame.
		if f.Error != nil {
			f.Error.Details = nil
		}
		b, _ = json.Marshal(f)
	}
	return append(b, '\n')
}
