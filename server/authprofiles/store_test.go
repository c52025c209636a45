package authprofiles

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }
func writeStore(t *testing.T, dir, body string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, FileName), []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
}

// The original's file, with an OAuth profile whose extra fields must survive updates.
const originalStore = `{
  "version": 1,
  "profiles": {
    "openai:work": {"type": "api_key", "provider": "openai", "key": "sk-work"},
    "openai:home": {"type": "api_key", "provider": "openai", "key": "sk-home", "email": "me@example.com"},
    "anthropic:claude-cli": {"type": "oauth", "provider": "anthropic", "access": "at-1", "refresh": "rt-1", "expires": 9999999999999, "clientId": "cid"},
    "anthropic:old": {"type": "token", "provider": "anthropic", "token": "tok", "expires": 1000},
    "broken": {"type": "password", "provider": "openai"}
  }
}`

// TestOrder: the original's ordering rules over an imported file.
func TestOrder(t *testing.T) {
	clk := &fakeClock{t: time.UnixMilli(1_700_000_000_000)}
	for _, tc := range []struct {
		name      string
		cfg       Config
		store     string
		provider  string
		preferred string
		want      []string
	}{
		{name: "all of the provider, least recently used first", store: originalStore, provider: "openai", want: []string{"openai:home", "openai:work"}},
		{name: "expired token dropped, oauth kept", store: originalStore, provider: "anthropic", want: []string{"anthropic:claude-cli"}},
		{name: "auth.order as written", store: originalStore, provider: "openai",
			cfg: Config{Order: map[string][]string{"OpenAI": {"openai:work", "openai:home", "missing"}}}, want: []string{"openai:work", "openai:home"}},
		{name: "auth.profiles narrows", store: originalStore, provider: "openai",
			cfg: Config{Profiles: map[string]ProfileConfig{"openai:work": {Provider: "openai", Mode: "api_key"}}}, want: []string{"openai:work"}},
		{name: "mode mismatch drops", store: originalStore, provider: "openai",
			cfg: Config{Profiles: map[string]ProfileConfig{"openai:work": {Provider: "openai", Mode: "oauth"}}}, want: nil},
		{name: "store order beats config", provider: "openai", cfg: Config{Order: map[string][]string{"openai": {"openai:work", "openai:home"}}},
			store: strings.Replace(originalStore, `"version": 1,`, `"version": 1, "order": {"openai": ["openai:home", "openai:work"]},`, 1),
			want:  []string{"openai:home", "openai:work"}},
		{name: "lastUsed round robin", provider: "openai",
			store: strings.Replace(originalStore, `"version": 1,`, `"version": 1, "usageStats": {"openai:home": {"lastUsed": 5}, "openai:work": {"lastUsed": 3}},`, 1),
			want:  []string{"openai:work", "openai:home"}},
		{name: "cooldown last", provider: "openai", cfg: Config{Order: map[string][]string{"openai": {"openai:work", "openai:home"}}},
			store: strings.Replace(originalStore, `"version": 1,`, `"version": 1, "usageStats": {"openai:work": {"cooldownUntil": 1700000060000}},`, 1),
			want:  []string{"openai:home", "openai:work"}},
		{name: "expired cooldown is usable", provider: "openai", cfg: Config{Order: map[string][]string{"openai": {"openai:work", "openai:home"}}},
			store: strings.Replace(originalStore, `"version": 1,`, `"version": 1, "usageStats": {"openai:work": {"cooldownUntil": 1600000000000}},`, 1),
			want:  []string{"openai:work", "openai:home"}},
		{name: "preferred first", store: originalStore, provider: "openai", preferred: "openai:work", want: []string{"openai:work", "openai:home"}},
		{name: "no file", provider: "openai", want: nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if tc.store != "" {
				writeStore(t, dir, tc.store)
			}
			s := Open(Options{Dir: dir, Config: tc.cfg, Now: clk.now})
			if got := s.Order(tc.provider, tc.preferred); !slices.Equal(got, tc.want) {
				t.Fatalf("order %v, want %v", got, tc.want)
			}
		})
	}
}

// TestCooldowns: failures start the original's cooldowns (1, 5, 25, 60 min), billing
// failures disable for billingBackoffHours doubling up to billingMaxHours (per-provider
// override), counts restart after the failure window, success clears it all; the
// file keeps the original's other members.
func TestCooldowns(t *testing.T) {
	start := time.UnixMilli(1_700_000_000_000)
	clk := &fakeClock{t: start}
	dir := t.TempDir()
	writeStore(t, dir, originalStore)
	s := Open(Options{Dir: dir, Now: clk.now, Config: Config{BillingBackoffHours: 2, BillingBackoffHoursByProvider: map[string]float64{"anthropic": 1},
		BillingMaxHours: 6, FailureWindowHours: 3}})
	stats := func(id string) UsageStats { return s.Snapshot().UsageStats[id] }
	for i, want := range []time.Duration{time.Minute, 5 * time.Minute, 25 * time.Minute, time.Hour, time.Hour} {
		if err := s.MarkFailure("openai:work", ReasonRateLimit); err != nil {
			t.Fatal(err)
		}
		st := stats("openai:work")
		if got := time.Duration(st.CooldownUntil-clk.t.UnixMilli()) * time.Millisecond; got != want || st.ErrorCount != i+1 || st.FailureCounts[ReasonRateLimit] != i+1 {
			t.Fatalf("failure %d: cooldown %v count %d, want %v", i+1, got, st.ErrorCount, want)
		}
		if !s.InCooldown("openai:work") {
			t.Fatal("not cooling down")
		}
	}
	clk.advance(time.Hour + time.Second)
	if s.InCooldown("openai:work") {
		t.Fatal("still cooling down after the cooldown")
	}
	// Past the failure window the count starts over.
	clk.advance(3 * time.Hour)
	_ = s.MarkFailure("openai:work", ReasonAuth)
	if st := stats("openai:work"); st.ErrorCount != 1 || st.FailureCounts[ReasonRateLimit] != 0 || st.CooldownUntil-clk.t.UnixMilli() != time.Minute.Milliseconds() {
		t.Fatalf("after the window %+v", st)
	}
	// Billing: 2 h, 4 h, then capped at 6 h.
	for _, want := range []time.Duration{2 * time.Hour, 4 * time.Hour, 6 * time.Hour} {
		_ = s.MarkFailure("openai:home", ReasonBilling)
		st := stats("openai:home")
		if got := time.Duration(st.DisabledUntil-clk.t.UnixMilli()) * time.Millisecond; got != want || st.DisabledReason != ReasonBilling {
			t.Fatalf("billing disable %v (%+v), want %v", got, st, want)
		}
	}
	_ = s.MarkFailure("anthropic:claude-cli", ReasonBilling)
	if st := stats("anthropic:claude-cli"); st.DisabledUntil-clk.t.UnixMilli() != time.Hour.Milliseconds() {
		t.Fatalf("per-provider billing backoff %+v", st)
	}
	// Success clears the failure state and records the last good profile.
	_ = s.MarkUsed("openai", "openai:home")
	if st := stats("openai:home"); st.DisabledUntil != 0 || st.ErrorCount != 0 || st.LastUsed != clk.t.UnixMilli() || s.Snapshot().LastGood["openai"] != "openai:home" {
		t.Fatalf("after success %+v", st)
	}
	// The original's members are kept.
	raw, _ := os.ReadFile(filepath.Join(dir, FileName))
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	cli := doc["profiles"].(map[string]any)["anthropic:claude-cli"].(map[string]any)
	if cli["clientId"] != "cid" || cli["refresh"] != "rt-1" || doc["version"] != float64(1) {
		t.Fatalf("file lost members: %s", raw)
	}
	if fi, _ := os.Stat(filepath.Join(dir, FileName)); fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", fi.Mode())
	}
}

// TestAgentStoreOverMain: another agent sees the main agent's profiles under its own,
// and its bookkeeping goes to its own file.
func TestAgentStoreOverMain(t *testing.T) {
	root := t.TempDir()
	mainDir, workDir := filepath.Join(root, "main"), filepath.Join(root, "work")
	writeStore(t, mainDir, originalStore)
	writeStore(t, workDir, `{"version":1,"profiles":{"openai:work":{"type":"api_key","provider":"openai","key":"sk-agent"}}}`)
	s := Open(Options{Dir: workDir, MainDir: mainDir})
	if k, ok := s.Credential("openai", "openai:work"); !ok || k != "sk-agent" {
		t.Fatalf("agent's own profile %q %v", k, ok)
	}
	if k, ok := s.Credential("openai", "openai:home"); !ok || k != "sk-home" {
		t.Fatalf("main's profile %q %v", k, ok)
	}
	before, _ := os.ReadFile(filepath.Join(mainDir, FileName))
	if err := s.MarkFailure("openai:home", ReasonRateLimit); err != nil {
		t.Fatal(err)
	}
	after, _ := os.ReadFile(filepath.Join(mainDir, FileName))
	if string(before) != string(after) {
		t.Fatal("the main agent's file was written")
	}
	if !s.InCooldown("openai:home") || Open(Options{Dir: mainDir}).InCooldown("openai:home") {
		t.Fatal("cooldown not kept in the agent's own file")
	}
}
