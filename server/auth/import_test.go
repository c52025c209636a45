package auth

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestImportPaired(t *testing.T) {
	clk := newClock()
	dir := t.TempDir()
	s := openTestStore(t, dir, clk)
	d := testDevice(t, RoleOperator)
	d2 := testDevice(t, RoleOperator)
	in := ImportedDevice{
		DeviceID: d.DeviceID, PublicKey: d.PublicKey, DisplayName: "Mac", Role: RoleOperator, Scopes: []string{ScopeAdmin},
		Tokens: map[string]ImportedToken{
			RoleOperator: {Token: "op-token", Scopes: []string{ScopeAdmin}, CreatedAtMs: 1},
			RoleNode:     {Token: "old-node-token", RevokedAtMs: 2},
		},
		CreatedAtMs: 1, ApprovedAtMs: 2,
	}
	added, err := s.ImportPaired(in)
	if err != nil || !added {
		t.Fatalf("ImportPaired: %v %v", added, err)
	}
	if !s.VerifyToken(d.DeviceID, RoleOperator, "op-token") || s.VerifyToken(d.DeviceID, RoleNode, "old-node-token") {
		t.Fatal("imported tokens: the live one must verify, the revoked one must not")
	}
	// A token's scopes are approved scopes of the device even when the record's own
	// list lacks them (the original authorised by the token's scopes).
	in2 := ImportedDevice{DeviceID: d2.DeviceID, PublicKey: d2.PublicKey, Tokens: map[string]ImportedToken{RoleOperator: {Token: "t2", Scopes: []string{ScopeRead, ScopeWrite}}}}
	if added, err := s.ImportPaired(in2); err != nil || !added {
		t.Fatalf("ImportPaired without device scopes: %v %v", added, err)
	}
	d2.Scopes = []string{ScopeRead, ScopeWrite}
	if dec, err := s.Authorize(d2, false); err != nil || !dec.Paired {
		t.Fatalf("Authorize with the token's scopes: %+v %v", dec, err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "devices", "paired.json"))
	if strings.Contains(string(b), "op-token") {
		t.Fatal("token stored in clear")
	}
	// Reopened from disk, the same.
	s2 := openTestStore(t, dir, clk)
	if !s2.VerifyToken(d.DeviceID, RoleOperator, "op-token") {
		t.Fatal("imported token lost on reopen")
	}
	// Already paired here: left alone.
	in.Tokens = map[string]ImportedToken{RoleOperator: {Token: "other"}}
	if added, err := s2.ImportPaired(in); err != nil || added || s2.VerifyToken(d.DeviceID, RoleOperator, "other") {
		t.Fatalf("second import: %v %v", added, err)
	}

	other := testDevice(t, RoleOperator)
	for _, tc := range []struct {
		name string
		d    ImportedDevice
		msg  string
	}{
		{"no id", ImportedDevice{PublicKey: other.PublicKey}, MsgDeviceIDRequired},
		{"bad key", ImportedDevice{DeviceID: other.DeviceID, PublicKey: "nope"}, MsgDevicePublicKeyInvalid},
		{"key of another device", ImportedDevice{DeviceID: other.DeviceID, PublicKey: d.PublicKey}, MsgDeviceIdentityMismatch},
		{"empty live token", ImportedDevice{DeviceID: other.DeviceID, PublicKey: other.PublicKey,
			Tokens: map[string]ImportedToken{RoleOperator: {}}}, "token for role \"operator\" is empty"},
		{"display name over the bound", ImportedDevice{DeviceID: other.DeviceID, PublicKey: other.PublicKey,
			DisplayName: strings.Repeat("x", MaxImportedFieldLen+1)}, "displayName longer than 1024 bytes"},
		{"too many scopes", ImportedDevice{DeviceID: other.DeviceID, PublicKey: other.PublicKey,
			Scopes: manyScopes(MaxImportedListLen + 1)}, "more than 64 scopes"},
		{"too many token scopes", ImportedDevice{DeviceID: other.DeviceID, PublicKey: other.PublicKey,
			Tokens: map[string]ImportedToken{RoleOperator: {Token: "t", Scopes: manyScopes(MaxImportedListLen + 1)}}}, "more than 64 scopes of the operator token"},
		{"token over the bound", ImportedDevice{DeviceID: other.DeviceID, PublicKey: other.PublicKey,
			Tokens: map[string]ImportedToken{RoleOperator: {Token: strings.Repeat("t", MaxImportedFieldLen+1)}}}, "token longer than 1024 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s2.ImportPaired(tc.d)
			var ae *Error
			if err == nil || !strings.Contains(err.Error(), tc.msg) || !errors.As(err, &ae) || ae.Code != CodeInvalidRequest {
				t.Fatalf("err %v, want INVALID_REQUEST %q", err, tc.msg)
			}
		})
	}
	if _, ok := s2.Paired(other.DeviceID); ok {
		t.Fatal("a refused import left a record")
	}
}

func manyScopes(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("scope.%d", i)
	}
	return out
}
