package bridge

import "testing"

func TestBindHost(t *testing.T) {
	with := func() (string, bool) { return "100.101.102.103", true }
	without := func() (string, bool) { return "", false }
	for _, c := range []struct {
		mode    string
		tailnet func() (string, bool)
		host    string
		ok      bool
	}{
		{BindLoopback, with, "127.0.0.1", true},
		{BindLAN, with, "0.0.0.0", true},
		{"", with, "0.0.0.0", true},
		{BindTailnet, with, "100.101.102.103", true},
		{BindTailnet, without, "", false},
		{BindAuto, with, "100.101.102.103", true},
		{BindAuto, without, "0.0.0.0", true},
	} {
		if h, ok := BindHost(c.mode, c.tailnet); h != c.host || ok != c.ok {
			t.Errorf("%q: %q %v, want %q %v", c.mode, h, ok, c.host, c.ok)
		}
	}
}
