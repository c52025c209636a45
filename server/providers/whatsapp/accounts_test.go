package whatsapp

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"

	"github.com/clawgate/gateway/server/providers"
)

// TestAccountsGetDistinctStores starts two accounts over the real whatsmeow device
// store: the default one under the state dir (where a single-account gateway keeps
// it) and a second under its own auth dir; each gets its own SQLite store and client.
func TestAccountsGetDistinctStores(t *testing.T) {
	state := t.TempDir()
	second := filepath.Join(t.TempDir(), "credentials", "whatsapp", "work")
	a := New(Config{StateDir: state})
	b := New(Config{StateDir: state, AccountID: "Work", AuthDir: second})
	for _, p := range []*Provider{a, b} {
		if err := p.Start(ctx10(t)); err != nil {
			t.Fatal(err)
		}
		defer p.Stop(context.Background())
	}
	if a.StorePath() != SessionPath(state) || b.StorePath() != filepath.Join(second, SessionDBName) {
		t.Fatalf("store paths %q %q", a.StorePath(), b.StorePath())
	}
	for _, path := range []string{a.StorePath(), b.StorePath()} {
		if fi, err := os.Stat(path); err != nil || fi.Size() == 0 {
			t.Fatalf("device store %s not created: %v", path, err)
		}
	}
	if a.AccountID() != "default" || b.AccountID() != "work" {
		t.Fatalf("account ids %q %q", a.AccountID(), b.AccountID())
	}
	a.mu.Lock()
	ca := a.client
	a.mu.Unlock()
	b.mu.Lock()
	cb := b.client
	b.mu.Unlock()
	if ca == nil || cb == nil || ca == cb {
		t.Fatal("accounts share a client")
	}
}

// TestAccountsInboundAndLogout: two linked numbers over fake devices; each inbound
// message carries its account, a send through the account set goes out on the named
// number, and logging one out leaves the other linked.
func TestAccountsInboundAndLogout(t *testing.T) {
	in := &inbox{}
	pa, fa := linkedProvider(t, Config{AllowFrom: []string{"*"}, Inbound: in})
	pb, fb := linkedProvider(t, Config{AllowFrom: []string{"*"}, Inbound: in, AccountID: "second"})
	set := providers.NewAccountSet(providers.WhatsApp, "default", map[string]providers.Provider{"default": pa, "second": pb})

	jid := types.NewJID("15551112222", types.DefaultUserServer)
	e := &events.Message{Message: &waE2E.Message{Conversation: proto.String("to second")}}
	e.Info.Sender, e.Info.Chat, e.Info.ID = jid, jid, "M1"
	fb.last().emit(e)
	in.mu.Lock()
	if len(in.got) != 1 || in.got[0].AccountID != "second" {
		t.Fatalf("inbound = %+v", in.got)
	}
	in.mu.Unlock()

	if _, err := set.Send(t.Context(), providers.Outbound{To: "+15551112222", Text: "hi", AccountID: "second"}); err != nil {
		t.Fatal(err)
	}
	if len(fb.last().sentMsgs()) != 1 || len(fa.last().sentMsgs()) != 0 {
		t.Fatalf("sent: default %d, second %d", len(fa.last().sentMsgs()), len(fb.last().sentMsgs()))
	}
	if _, err := set.Send(t.Context(), providers.Outbound{To: "+15551112222", Text: "hi", AccountID: "nope"}); err == nil {
		t.Fatal("send through an unknown account worked")
	}

	if cleared, err := pb.Logout(t.Context()); err != nil || !cleared {
		t.Fatalf("logout second: %v %v", cleared, err)
	}
	if st := pb.Status(t.Context(), false); st.Linked {
		t.Fatalf("second still linked: %+v", st)
	}
	if st := pa.Status(t.Context(), false); !st.Linked || !st.Connected {
		t.Fatalf("default account affected by the other's logout: %+v", st)
	}
}
