package gogen_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/tools/protogen/model"
	"github.com/clawgate/gateway/tools/protogen/runtime/rpc"
)

// system serves the system group; health echoes the caller's context value.
type system struct {
	protocol.UnimplementedSystemHandler[string]
}

func (system) Health(_ context.Context, c string, p *protocol.HealthParams) (*protocol.HealthSummary, error) {
	return &protocol.HealthSummary{Ok: c == "conn-1" && p.GetProbe()}, nil
}

// nothing answers without a result: the dispatcher must not send a null payload.
type nothing struct{ system }

func (nothing) Status(context.Context, string, *protocol.StatusParams) (*protocol.StatusResult, error) {
	return nil, nil
}

// noBeat serves the heartbeat group before any heartbeat: last-heartbeat has no result.
type noBeat struct {
	protocol.UnimplementedHeartbeatHandler[string]
}

func (noBeat) LastHeartbeat(context.Context, string, *protocol.LastHeartbeatParams) (*protocol.LastHeartbeatResult, error) {
	return nil, nil
}

// TestMuxNullableResult: a nil result of a method whose result schema is nullable is
// answered as payload null (the original's "none yet"), which its schema accepts.
func TestMuxNullableResult(t *testing.T) {
	var m protocol.Mux[string]
	m.SetHeartbeat(noBeat{})
	r, err := m.Dispatch(context.Background(), "conn-1", nil, 3, "last-heartbeat", nil)
	if err != nil || r == nil {
		t.Fatalf("last-heartbeat: %v %v", r, err)
	}
	b := r.AppendJSON(nil)
	if string(b) != "null" {
		t.Fatalf("payload %s, want null", b)
	}
	if err, known := protocol.Validate("methods/last-heartbeat.json#/$defs/result", b); !known || err != nil {
		t.Fatalf("null result breaks its schema: %v %v", known, err)
	}
	// Null is only for nullable results: status still refuses it.
	if err, _ := protocol.Validate("methods/status.json#/$defs/result", b); err == nil {
		t.Fatal("status result accepts null")
	}
}

func rpcError(t *testing.T, err error) *rpc.Error {
	t.Helper()
	var re *rpc.Error
	if !errors.As(err, &re) {
		t.Fatalf("error %v (%T) is not an *rpc.Error", err, err)
	}
	return re
}

// TestMux: the generated Mux dispatches to the handler set for a group, answers an
// unset group with its Unimplemented handler, and maps the dispatcher's own failures to
// the schema's error codes.
func TestMux(t *testing.T) {
	ctx := context.Background()
	var m protocol.Mux[string] // the zero value is ready to use
	if _, err := m.Dispatch(ctx, "conn-1", nil, 3, "health", nil); rpcError(t, err).Code != "UNAVAILABLE" ||
		rpcError(t, err).Message != "health is not implemented by this gateway yet" {
		t.Fatalf("unset group: %v", err)
	}
	m.SetSystem(system{})
	if m.System() == nil || m.Agent() != nil {
		t.Fatal("getters do not report what was set")
	}
	r, err := m.Dispatch(ctx, "conn-1", nil, 3, "health", []byte(`{"probe":true}`))
	if err != nil || !r.(*protocol.HealthSummary).Ok {
		t.Fatalf("health: %v %+v", err, r)
	}
	// A method the handler leaves to its embedded Unimplemented handler.
	if _, err := m.Dispatch(ctx, "conn-1", nil, 3, "logs.tail", nil); rpcError(t, err).Code != "UNAVAILABLE" {
		t.Fatalf("logs.tail: %v", err)
	}
	_, err = m.Dispatch(ctx, "conn-1", nil, 3, "health", []byte(`{"probe":"yes"}`))
	re := rpcError(t, err)
	if d, _ := json.Marshal(re.Details); re.Code != "INVALID_REQUEST" || re.Message != "invalid health params: /probe: must be boolean" || string(d) != `{"path":"/probe"}` {
		t.Fatalf("bad params: %+v", re)
	}
	if p, ok := rpc.ParamsPath(err); !ok || p != "/probe" {
		t.Fatalf("ParamsPath: %q %v", p, ok)
	}
	// Unknown, the handshake's own method, and methods of the other protocol version.
	for _, tc := range []struct {
		method string
		v      int
	}{{"nope", 3}, {"connect", 3}, {"device.pair.list", 2}, {"channels.status", 2}, {"providers.status", 3}} {
		if _, err := m.Dispatch(ctx, "conn-1", nil, tc.v, tc.method, nil); rpcError(t, err).Message != "unknown method: "+tc.method {
			t.Fatalf("%s (v%d): %v", tc.method, tc.v, err)
		}
	}
	m.SetSystem(nothing{})
	if _, err := m.Dispatch(ctx, "conn-1", nil, 3, "status", nil); !errors.Is(err, rpc.ErrNoResult) {
		t.Fatalf("nil result: %v", err)
	}
	m.SetSystem(nil)
	if _, err := m.Dispatch(ctx, "conn-1", nil, 3, "health", nil); rpcError(t, err).Code != "UNAVAILABLE" {
		t.Fatalf("after SetSystem(nil): %v", err)
	}
}

// TestManifestTables: the generated tables say what schema/manifest.json says.
func TestManifestTables(t *testing.T) {
	m, err := model.Load(schemaDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, me := range m.Methods {
		mi := protocol.LookupMethod(me.Name)
		if mi == nil || mi.Group != me.Group || mi.Bridge != me.Bridge || mi.Advertise != me.Advertise {
			t.Fatalf("%s: table %+v, manifest %+v", me.Name, mi, me)
		}
		for _, role := range []string{protocol.RoleOperator, protocol.RoleNode} {
			if mi.AllowsRole(role) != slices.Contains(me.Roles, role) {
				t.Errorf("%s: AllowsRole(%s) = %v, manifest roles %v", me.Name, role, mi.AllowsRole(role), me.Roles)
			}
		}
		if protocol.BridgeAllowed(me.Name) != me.Bridge {
			t.Errorf("%s: BridgeAllowed = %v, manifest bridge %v", me.Name, !me.Bridge, me.Bridge)
		}
		for v := m.MinProtocol; v <= m.MaxProtocol; v++ {
			if mi.In(v) != slices.Contains(me.Protocols, v) {
				t.Errorf("%s: In(%d) disagrees with the manifest", me.Name, v)
			}
		}
	}
	for _, name := range m.BridgePending {
		if protocol.LookupMethod(name) != nil || !protocol.BridgeAllowed(name) {
			t.Errorf("%s: pending bridge method not allowed (or defined)", name)
		}
	}
	if protocol.BridgeAllowed("nope") || protocol.LookupMethod("nope") != nil {
		t.Error("an unknown method is allowed")
	}
	var codes []string
	for _, c := range m.ErrorCode.Schema.Enum {
		codes = append(codes, c)
		if !protocol.ErrorCode(c).Valid() {
			t.Errorf("%s is not a valid ErrorCode", c)
		}
	}
	if !slices.Equal(codes, []string{"NOT_LINKED", "NOT_PAIRED", "AGENT_TIMEOUT", "INVALID_REQUEST", "UNAVAILABLE"}) {
		t.Errorf("error codes %v, want the original's five in its order", codes)
	}
	if e := protocol.ErrorCodeNotLinked.Errorf("whatsapp %s", "down"); e.Code != "NOT_LINKED" || e.Message != "whatsapp down" {
		t.Errorf("Errorf: %+v", e)
	}
}
