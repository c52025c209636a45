package gatewayclient

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/tools/protogen/runtime/wire"
)

// Call sends one request and waits for its response.
//
// params may be nil (no params, which the gateway reads as {}), a protocol.Payload (the
// generated params types; on a protocol-2 connection their AppendJSONV2 encoding is
// used when they have one), json.RawMessage, or anything encoding/json can marshal.
// result may be nil (the payload is discarded), a protocol.Decodable (the generated
// result types, decoded and validated without reflection), *json.RawMessage, or any
// encoding/json target.
//
// Idempotency: for methods whose params carry an idempotencyKey (send, poll, agent,
// chat.send, node.invoke — protocol.LookupMethod(method).IdempotencyKey), an empty key
// is filled with a fresh UUID before the request is sent. The key is written into
// params itself (a pointer to a struct with an IdempotencyKey field, or a
// map[string]any), so calling again with the same params after a retryable error
// reuses the key and the gateway deduplicates the request.
//
// Errors: a *ProtocolError for an error answer; a *ProtocolError wrapping
// ErrDisconnected (Retryable) when the connection was lost with the request in flight,
// or was down and ctx ended before it came back; one wrapping ErrClosed after Close;
// a *DecodeError when the answer does not fit result. Calls made while the client is
// reconnecting wait for the connection (bounded by ctx).
func (c *Client) Call(ctx context.Context, method string, params any, result any) error {
	if isNilPointer(params) {
		params = nil
	}
	if result != nil && isNilPointer(result) {
		return fmt.Errorf("gatewayclient: %s: result must be nil or a non-nil pointer, not %T", method, result)
	}
	return c.call(ctx, method, params, result)
}

func isNilPointer(v any) bool {
	if v == nil {
		return false
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice:
		return rv.IsNil()
	}
	return false
}

func (c *Client) call(ctx context.Context, method string, params any, result any) error {
	if mi := protocol.LookupMethod(method); mi != nil && mi.IdempotencyKey {
		fillIdempotencyKey(params)
	}
	resp, err := c.roundTrip(ctx, method, params, nil)
	if err != nil {
		return err
	}
	return decodeResult(method, resp, result)
}

// roundTrip sends a request on the live connection (waiting for one) and returns its
// first response. For an agent request (run != nil) the pending entry stays registered
// for the final res.
func (c *Client) roundTrip(ctx context.Context, method string, params any, run *AgentRun) (*protocol.ResponseFrame, error) {
	for {
		cn, err := c.waitConn(ctx, method)
		if err != nil {
			return nil, err
		}
		id := c.newID()
		buf := wire.GetBuffer()
		buf.B, err = appendRequest(buf.B, id, method, params, cn.proto)
		if err != nil {
			wire.PutBuffer(buf)
			return nil, err
		}
		if max := cn.maxPayload; max > 0 && len(buf.B) > max {
			wire.PutBuffer(buf)
			return nil, &ProtocolError{Method: method, Code: CodeInvalidRequest,
				Message: fmt.Sprintf("request of %d bytes exceeds the gateway's maxPayload of %d bytes", len(buf.B), max)}
		}
		p := &pending{method: method, ch: make(chan response, 1), agent: run}
		sent := cn.send(id, p, buf.B)
		wire.PutBuffer(buf)
		if !sent {
			// The connection died before the frame left: nothing reached the gateway, so
			// the request can go out again on the next connection.
			select {
			case <-cn.done:
			case <-ctx.Done():
				return nil, disconnected(method, "still reconnecting", ctx.Err())
			}
			continue
		}
		if run != nil {
			run.attach(cn, id)
		}
		select {
		case r := <-p.ch:
			if r.err != nil {
				return nil, r.err
			}
			return r.frame, nil
		case <-ctx.Done():
			cn.forget(id)
			return nil, ctx.Err()
		}
	}
}

// appendRequest encodes a req frame.
func appendRequest(b []byte, id, method string, params any, proto int) ([]byte, error) {
	b = append(b, `{"type":"req","id":`...)
	b = wire.AppendString(b, id)
	b = append(b, `,"method":`...)
	b = wire.AppendString(b, method)
	if params != nil {
		b = append(b, `,"params":`...)
		switch p := params.(type) {
		case v2Payload:
			if proto == 2 {
				b = p.AppendJSONV2(b)
			} else {
				b = p.AppendJSON(b)
			}
		case protocol.Payload:
			b = p.AppendJSON(b)
		case json.RawMessage:
			if len(p) == 0 {
				b = append(b, "{}"...)
			} else {
				b = append(b, p...)
			}
		default:
			j, err := json.Marshal(params)
			if err != nil {
				return nil, fmt.Errorf("gatewayclient: encoding %s params: %w", method, err)
			}
			b = append(b, j...)
		}
	}
	return append(b, '}'), nil
}

// v2Payload is a params type whose protocol-2 encoding differs from protocol 3.
type v2Payload interface {
	protocol.Payload
	AppendJSONV2([]byte) []byte
}

// decodeResult turns a res into result or an error.
func decodeResult(method string, res *protocol.ResponseFrame, result any) error {
	if !res.Ok {
		return fromShape(method, res.Error, res.Payload)
	}
	if result == nil || len(res.Payload) == 0 {
		return nil
	}
	switch r := result.(type) {
	case protocol.Decodable:
		var d wire.Decoder
		d.Reset(res.Payload)
		d.BorrowRaw = true // the payload was copied off the socket for this response alone
		if err := r.DecodeJSON(&d, nil); err != nil {
			return &DecodeError{Method: method, Err: err}
		}
		if err := d.End(); err != nil {
			return &DecodeError{Method: method, Err: err}
		}
	case *json.RawMessage:
		*r = res.Payload
	default:
		if err := json.Unmarshal(res.Payload, result); err != nil {
			return &DecodeError{Method: method, Err: err}
		}
	}
	return nil
}

// fillIdempotencyKey sets an empty idempotencyKey in params to a new UUID and returns
// the key in use ("" when params has no place for one).
func fillIdempotencyKey(params any) string {
	switch p := params.(type) {
	case nil:
		return ""
	case map[string]any:
		if k, ok := p["idempotencyKey"].(string); ok && k != "" {
			return k
		}
		k := newUUID()
		p["idempotencyKey"] = k
		return k
	}
	rv := reflect.ValueOf(params)
	if rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Kind() != reflect.Struct {
		return ""
	}
	f := rv.Elem().FieldByName("IdempotencyKey")
	switch {
	case !f.IsValid() || !f.CanSet():
		return ""
	case f.Kind() == reflect.String:
		if f.String() == "" {
			f.SetString(newUUID())
		}
		return f.String()
	case f.Kind() == reflect.Pointer && f.Type().Elem().Kind() == reflect.String:
		if f.IsNil() || f.Elem().String() == "" {
			k := newUUID()
			f.Set(reflect.ValueOf(&k))
		}
		return f.Elem().String()
	}
	return ""
}
