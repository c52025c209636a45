package auth

import (
	"net/http"
	"testing"
)

func sp(s string) *string { return &s }

func TestSecretsCheck(t *testing.T) {
	tok := Secrets{Mode: ModeToken, Token: "s3cret"}
	pw := Secrets{Mode: ModePassword, Password: "hunter2"}
	tests := []struct {
		name      string
		s         Secrets
		token, pw *string
		ok        bool
		reason    string
	}{
		{"none accepts nothing", Secrets{Mode: ModeNone}, nil, nil, true, ""},
		{"none accepts anything", Secrets{Mode: ModeNone, Token: "x"}, sp("wrong"), sp("wrong"), true, ""},
		{"token ok", tok, sp("s3cret"), nil, true, ""},
		{"token ok ignores password", tok, sp("s3cret"), sp("junk"), true, ""},
		{"token missing nil", tok, nil, nil, false, MsgTokenMissing},
		{"token missing empty", tok, sp(""), nil, false, MsgTokenMissing},
		{"token missing password given", tok, nil, sp("s3cret"), false, MsgTokenMissing},
		{"token mismatch", tok, sp("s3cre"), nil, false, MsgTokenMismatch},
		{"token mismatch longer", tok, sp("s3cret "), nil, false, MsgTokenMismatch},
		{"token mismatch case", tok, sp("S3CRET"), nil, false, MsgTokenMismatch},
		{"token not configured", Secrets{Mode: ModeToken}, sp("x"), nil, false, MsgTokenNotConfigured},
		{"token not configured empty client", Secrets{Mode: ModeToken}, sp(""), nil, false, MsgTokenNotConfigured},
		{"password ok", pw, nil, sp("hunter2"), true, ""},
		{"password missing nil", pw, nil, nil, false, MsgPasswordMissing},
		{"password missing empty", pw, nil, sp(""), false, MsgPasswordMissing},
		{"password missing token given", pw, sp("hunter2"), nil, false, MsgPasswordMissing},
		{"password mismatch", pw, nil, sp("hunter3"), false, MsgPasswordMismatch},
		{"password not configured", Secrets{Mode: ModePassword}, nil, sp("x"), false, MsgPasswordNotConfigured},
		{"zero value fails closed", Secrets{}, nil, nil, false, MsgUnauthorized},
		{"unknown mode", Secrets{Mode: "magic", Token: "x"}, sp("x"), nil, false, MsgUnauthorized},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ok, reason := tc.s.Check(tc.token, tc.pw)
			if ok != tc.ok || reason != tc.reason {
				t.Fatalf("Check = %v %q, want %v %q", ok, reason, tc.ok, tc.reason)
			}
		})
	}
}

func TestSecretMessages(t *testing.T) {
	// Wire facts from the reference (v2026.1.24 formatGatewayAuthFailureMessage).
	want := map[string]string{
		MsgTokenMissing:          "unauthorized: gateway token missing (set gateway.remote.token to match gateway.auth.token)",
		MsgTokenMismatch:         "unauthorized: gateway token mismatch (set gateway.remote.token to match gateway.auth.token)",
		MsgTokenNotConfigured:    "unauthorized: gateway token not configured on gateway (set gateway.auth.token)",
		MsgPasswordMissing:       "unauthorized: gateway password missing (set gateway.remote.password to match gateway.auth.password)",
		MsgPasswordMismatch:      "unauthorized: gateway password mismatch (set gateway.remote.password to match gateway.auth.password)",
		MsgPasswordNotConfigured: "unauthorized: gateway password not configured on gateway (set gateway.auth.password)",
	}
	for got, w := range want {
		if got != w {
			t.Errorf("message %q, want %q", got, w)
		}
	}
}

func TestHasSecretAndValidate(t *testing.T) {
	tests := []struct {
		s       Secrets
		has     bool
		wantErr bool
	}{
		{Secrets{Mode: ModeNone}, false, false},
		{Secrets{Mode: ModeNone, Token: "t"}, false, false},
		{Secrets{Mode: ModeToken, Token: "t"}, true, false},
		{Secrets{Mode: ModeToken}, false, true},
		{Secrets{Mode: ModeToken, Password: "p"}, false, true},
		{Secrets{Mode: ModePassword, Password: "p"}, true, false},
		{Secrets{Mode: ModePassword, Token: "t"}, false, true},
		{Secrets{}, false, true},
	}
	for _, tc := range tests {
		if got := tc.s.HasSecret(); got != tc.has {
			t.Errorf("%+v HasSecret = %v, want %v", tc.s, got, tc.has)
		}
		if err := tc.s.Validate(); (err != nil) != tc.wantErr {
			t.Errorf("%+v Validate = %v, wantErr %v", tc.s, err, tc.wantErr)
		}
	}
}

func TestResolveMode(t *testing.T) {
	tests := []struct {
		mode            Mode
		token, password string
		want            Mode
	}{
		{"", "", "", ModeNone},
		{"", "t", "", ModeToken},
		{"", "t", "p", ModePassword},
		{ModeToken, "", "p", ModeToken},
	}
	for _, tc := range tests {
		if got := ResolveMode(tc.mode, tc.token, tc.password); got != tc.want {
			t.Errorf("ResolveMode(%q,%q,%q) = %q, want %q", tc.mode, tc.token, tc.password, got, tc.want)
		}
	}
}

func TestCheckConnectTailscale(t *testing.T) {
	proxied := http.Header{
		"X-Forwarded-For":      {"100.64.0.7"},
		"X-Forwarded-Proto":    {"https"},
		"X-Forwarded-Host":     {"gw.tail1234.ts.net"},
		"Tailscale-User-Login": {"alice@example.com"},
	}
	noLogin := proxied.Clone()
	noLogin.Del("Tailscale-User-Login")
	noProto := proxied.Clone()
	noProto.Del("X-Forwarded-Proto")
	tests := []struct {
		name   string
		s      Secrets
		remote string
		host   string
		h      http.Header
		token  *string
		want   ConnectResult
	}{
		{"tailscale user via proxy", Secrets{Mode: ModeToken, Token: "t", AllowTailscale: true}, "127.0.0.1:5555", "gw.tail1234.ts.net", proxied, nil,
			ConnectResult{OK: true, Method: MethodTailscale, User: "alice@example.com"}},
		{"tailscale off falls to token", Secrets{Mode: ModeToken, Token: "t"}, "127.0.0.1:5555", "gw.tail1234.ts.net", proxied, nil,
			ConnectResult{Reason: MsgTokenMissing}},
		{"token still works", Secrets{Mode: ModeToken, Token: "t", AllowTailscale: true}, "10.0.0.2:5555", "gw", nil, sp("t"),
			ConnectResult{OK: true, Method: MethodToken}},
		{"none without login", Secrets{Mode: ModeNone, AllowTailscale: true}, "127.0.0.1:5555", "gw", noLogin, nil,
			ConnectResult{Reason: MsgTailscaleIdentityMissing}},
		{"none without proxy headers", Secrets{Mode: ModeNone, AllowTailscale: true}, "127.0.0.1:5555", "gw", noProto, nil,
			ConnectResult{Reason: MsgTailscaleProxyMissing}},
		{"none login from remote peer", Secrets{Mode: ModeNone, AllowTailscale: true}, "10.1.1.1:5555", "gw", proxied, nil,
			ConnectResult{Reason: MsgTailscaleProxyMissing}},
		{"none local direct", Secrets{Mode: ModeNone, AllowTailscale: true}, "127.0.0.1:5555", "localhost:18789", nil, nil,
			ConnectResult{OK: true, Method: MethodNone}},
		{"password", Secrets{Mode: ModePassword, Password: "p"}, "10.0.0.2:1", "gw", nil, nil,
			ConnectResult{Reason: MsgPasswordMissing}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.s.CheckConnect(tc.remote, tc.host, tc.h, tc.token, nil)
			if got != tc.want {
				t.Fatalf("CheckConnect = %+v, want %+v", got, tc.want)
			}
		})
	}
}
