package daemon

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/execapprove"
)

// The approvals service is built before the agent (whose exec gate asks through
// s.approvals) and serves the approvals group on every server, across restarts.
func TestApprovalsService(t *testing.T) {
	pos := map[uintptr]int{}
	for i, b := range builders() {
		pos[reflect.ValueOf(b).Pointer()] = i
	}
	if pos[reflect.ValueOf(buildApprovals).Pointer()] >= pos[reflect.ValueOf(buildAgent).Pointer()] {
		t.Fatal("buildApprovals must come before buildAgent")
	}

	r := start(t, "")
	for round := 0; round < 2; round++ {
		approver, requester := r.client(t), r.client(t)
		var snap protocol.ExecApprovalsGetResult
		if err := snap.UnmarshalJSON(approver.Call("exec.approvals.get", map[string]any{}).Payload); err != nil {
			t.Fatal(err)
		}
		if want := execapprove.DefaultPath(r.home); snap.Path != want || !snap.Exists || snap.File.Socket.GetPath() != filepath.Join(r.home, execapprove.DefaultSocketRel) {
			t.Fatalf("exec.approvals.get: %+v (want path %s)", snap, want)
		}
		_, ch := requester.Request("exec.approval.request", map[string]any{"command": "echo hi", "timeoutMs": 60000})
		var ev protocol.ExecApprovalRequestedEvent
		if err := ev.UnmarshalJSON(approver.NextEvent("exec.approval.requested").Payload); err != nil {
			t.Fatal(err)
		}
		approver.MustOK("exec.approval.resolve", map[string]any{"id": ev.ID, "decision": "deny"}, nil)
		if f := <-ch; !f.OK || !strings.Contains(string(f.Payload), `"decision":"deny"`) {
			t.Fatalf("round %d: request answered %s %+v", round, f.Payload, f.Error)
		}
		if round == 0 {
			r.restart <- struct{}{}
			expectShutdown(t, approver, "gateway restarting", true)
			r.waitOutput(t, "restarting in process")
		}
	}
}
