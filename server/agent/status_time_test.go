package agent

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/clawgate/gateway/server/envelope"
	"github.com/clawgate/gateway/server/sessions"
)

// TestSessionStatusTimeLine: session_status's card shows the user's current time in
// agents.defaults.userTimezone and timeFormat.
func TestSessionStatusTimeLine(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no tzdata:", err)
	}
	for _, tc := range []struct{ format, want string }{
		{"24", "Time: Monday, March 2nd, 2026 — 15:30 (Europe/Berlin)"},
		{"12", "Time: Monday, March 2nd, 2026 — 3:30 PM (Europe/Berlin)"},
	} {
		e := newEnv(t, envOpts{tweak: func(o *Options) {
			o.Now = func() time.Time { return time.Date(2026, 3, 2, 14, 30, 0, 0, time.UTC) }
			o.Envelope = func() envelope.Options { return envelope.Options{UserLocation: berlin, TimeFormat: tc.format} }
		}})
		if _, _, err := e.store.Append(context.Background(), "agent:main:main", sessions.Message{Role: "user", Text: "hi"}); err != nil {
			t.Fatal(err)
		}
		st, err := e.rt.SessionsAPI().Status(context.Background(), "main", "")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(st.Text, tc.want) {
			t.Errorf("format %s: card %q lacks %q", tc.format, st.Text, tc.want)
		}
	}
}
