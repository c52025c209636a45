package auth

import (
	"errors"
	"slices"
	"testing"

	"github.com/clawgate/gateway/gen/go/protocol"
)

func TestAllowed(t *testing.T) {
	var (
		admin     = []string{ScopeAdmin}
		read      = []string{ScopeRead}
		write     = []string{ScopeWrite}
		pairing   = []string{ScopePairing}
		approvals = []string{ScopeApprovals}
		none      = []string{}
	)
	tests := []struct {
		granted []string
		need    string
		ok      bool
		missing string
	}{
		{admin, ScopeRead, true, ""},
		{admin, ScopeWrite, true, ""},
		{admin, ScopeAdmin, true, ""},
		{admin, ScopePairing, true, ""},
		{admin, ScopeApprovals, true, ""},
		{read, ScopeRead, true, ""},
		{write, ScopeRead, true, ""},
		{pairing, ScopeRead, false, ScopeRead},
		{none, ScopeRead, false, ScopeRead},
		{nil, ScopeRead, false, ScopeRead},
		{read, ScopeWrite, false, ScopeWrite},
		{write, ScopeWrite, true, ""},
		{read, ScopeAdmin, false, ScopeAdmin},
		{[]string{ScopeRead, ScopeWrite, ScopePairing, ScopeApprovals}, ScopeAdmin, false, ScopeAdmin},
		{pairing, ScopePairing, true, ""},
		{write, ScopePairing, false, ScopePairing},
		{approvals, ScopeApprovals, true, ""},
		{pairing, ScopeApprovals, false, ScopeApprovals},
		{none, "", true, ""},
		{none, "none", true, ""},
		{admin, "node", false, ""},
		{read, "read", true, ""},
		{write, "write", true, ""},
		{read, "admin", false, ScopeAdmin},
		{pairing, "pairing", true, ""},
		{approvals, "approvals", true, ""},
		{write, "operator.unknown", false, ScopeAdmin},
		{admin, "operator.unknown", true, ""},
		{read, string(protocol.ScopeRead), true, ""},
		{read, string(protocol.ScopeNone), true, ""},
	}
	for _, tc := range tests {
		ok, missing := Allowed(tc.granted, tc.need)
		if ok != tc.ok || missing != tc.missing {
			t.Errorf("Allowed(%v, %q) = %v %q, want %v %q", tc.granted, tc.need, ok, missing, tc.ok, tc.missing)
		}
	}
}

func TestAuthorizeMethod(t *testing.T) {
	tests := []struct {
		role    string
		granted []string
		need    string
		want    string
	}{
		{"operator", []string{ScopeAdmin}, string(protocol.ScopeAdmin), ""},
		{"", []string{ScopeRead}, string(protocol.ScopeRead), ""},
		{"operator", []string{ScopeRead}, string(protocol.ScopeWrite), "missing scope: operator.write"},
		{"operator", []string{ScopePairing}, string(protocol.ScopeRead), "missing scope: operator.read"},
		{"operator", []string{ScopeWrite}, string(protocol.ScopeAdmin), "missing scope: operator.admin"},
		{"operator", []string{ScopeRead}, string(protocol.ScopeNone), "missing scope: operator.admin"},
		{"operator", []string{ScopeAdmin}, string(protocol.ScopeNone), ""},
		{"operator", []string{ScopeAdmin}, string(protocol.ScopeNode), "unauthorized role: operator"},
		{"node", nil, string(protocol.ScopeNode), ""},
		{"node", nil, string(protocol.ScopeRead), "unauthorized role: node"},
		{"node", []string{ScopeAdmin}, string(protocol.ScopeAdmin), "unauthorized role: node"},
		{"bogus", []string{ScopeAdmin}, string(protocol.ScopeRead), "unauthorized role: bogus"},
	}
	for _, tc := range tests {
		err := AuthorizeMethod(tc.role, tc.granted, tc.need)
		if tc.want == "" {
			if err != nil {
				t.Errorf("AuthorizeMethod(%q, %v, %q) = %v, want nil", tc.role, tc.granted, tc.need, err)
			}
			continue
		}
		var ae *Error
		if !errors.As(err, &ae) || ae.Code != CodeInvalidRequest || ae.Message != tc.want {
			t.Errorf("AuthorizeMethod(%q, %v, %q) = %v, want INVALID_REQUEST %q", tc.role, tc.granted, tc.need, err, tc.want)
		}
	}
}

func TestEventAllowed(t *testing.T) {
	tests := []struct {
		role    string
		granted []string
		need    string
		want    bool
	}{
		{"operator", nil, "", true},
		{"node", nil, "", true},
		{"operator", []string{ScopeAdmin}, ScopePairing, true},
		{"operator", []string{ScopePairing}, ScopePairing, true},
		{"operator", []string{ScopeRead, ScopeWrite}, ScopePairing, false},
		{"operator", []string{ScopeApprovals}, "approvals", true},
		{"node", []string{ScopeAdmin}, ScopePairing, false},
	}
	for _, tc := range tests {
		if got := EventAllowed(tc.role, tc.granted, tc.need); got != tc.want {
			t.Errorf("EventAllowed(%q, %v, %q) = %v, want %v", tc.role, tc.granted, tc.need, got, tc.want)
		}
	}
}

func TestDefaultScopes(t *testing.T) {
	tests := []struct {
		role      string
		requested []string
		want      []string
	}{
		{"operator", nil, []string{ScopeAdmin}},
		{"operator", []string{}, []string{ScopeAdmin}},
		{"", nil, []string{ScopeAdmin}},
		{"operator", []string{ScopeRead}, []string{ScopeRead}},
		{"node", nil, []string{}},
		{"node", []string{ScopeRead}, []string{ScopeRead}},
	}
	for _, tc := range tests {
		got := DefaultScopes(tc.role, tc.requested)
		if got == nil || !slices.Equal(got, tc.want) {
			t.Errorf("DefaultScopes(%q, %v) = %#v, want %#v", tc.role, tc.requested, got, tc.want)
		}
	}
	req := []string{ScopeRead}
	DefaultScopes("operator", req)[0] = "x"
	if req[0] != ScopeRead {
		t.Fatal("DefaultScopes aliases its input")
	}
}

func TestValidRole(t *testing.T) {
	for role, want := range map[string]bool{"": true, "operator": true, "node": true, "admin": false, "Operator": false} {
		if ValidRole(role) != want {
			t.Errorf("ValidRole(%q) != %v", role, want)
		}
	}
}
