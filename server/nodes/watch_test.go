package nodes

import (
	"testing"

	"github.com/clawgate/gateway/gen/go/protocol"
)

func TestRequestWatchDeliversDecisions(t *testing.T) {
	st, err := OpenStore(StoreOptions{StateDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	req, created, ch, cancel, err := st.RequestWatch(protocol.NodePairRequestParams{NodeID: "n1"}, "", "")
	if err != nil || !created {
		t.Fatal(err, created)
	}
	defer cancel()
	// A second watcher on the same (reused) request gets the decision too.
	req2, created2, ch2, cancel2, _ := st.RequestWatch(protocol.NodePairRequestParams{NodeID: "n1"}, "", "")
	defer cancel2()
	if created2 || req2.RequestID != req.RequestID {
		t.Fatalf("reuse: %+v %v", req2, created2)
	}
	_, tok, err := st.Approve(req.RequestID)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []<-chan Decision{ch, ch2} {
		d, ok := <-c
		if !ok || !d.Approved || d.Token != tok {
			t.Fatalf("decision %+v %v", d, ok)
		}
		if _, open := <-c; open {
			t.Fatal("channel not closed after the decision")
		}
	}

	rq, _, rch, rcancel, _ := st.RequestWatch(protocol.NodePairRequestParams{NodeID: "n2"}, "", "")
	defer rcancel()
	if _, err := st.Reject(rq.RequestID); err != nil {
		t.Fatal(err)
	}
	if d := <-rch; d.Approved || d.Token != "" {
		t.Fatalf("reject: %+v", d)
	}

	// A cancelled watcher is forgotten (no send on an abandoned channel).
	cq, _, cch, ccancel, _ := st.RequestWatch(protocol.NodePairRequestParams{NodeID: "n3"}, "", "")
	ccancel()
	if _, _, err := st.Approve(cq.RequestID); err != nil {
		t.Fatal(err)
	}
	select {
	case d := <-cch:
		t.Fatalf("cancelled watcher got %+v", d)
	default:
	}
	if len(st.watchers) != 0 {
		t.Fatalf("watchers left: %d", len(st.watchers))
	}
	// Invalid input: no watch, no request.
	if _, _, _, _, err := st.RequestWatch(protocol.NodePairRequestParams{NodeID: " "}, "", ""); err == nil {
		t.Fatal("blank node id accepted")
	}
}
