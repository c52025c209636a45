package tts_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/core"
	"github.com/clawgate/gateway/server/gateway"
	"github.com/clawgate/gateway/server/gatewaytest"
	"github.com/clawgate/gateway/server/tts"
)

// speechServer is an OpenAI-compatible /v1/audio/speech endpoint on 127.0.0.1.
type speechServer struct {
	mu     sync.Mutex
	bodies []map[string]string
	auth   []string
	status int
}

func (f *speechServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/v1/audio/speech" || r.Method != http.MethodPost {
		http.NotFound(w, r)
		return
	}
	var body map[string]string
	_ = json.NewDecoder(r.Body).Decode(&body)
	f.mu.Lock()
	f.bodies = append(f.bodies, body)
	f.auth = append(f.auth, r.Header.Get("Authorization"))
	status := f.status
	f.mu.Unlock()
	if status != 0 {
		http.Error(w, "nope", status)
		return
	}
	w.Header().Set("Content-Type", "audio/mpeg")
	_, _ = io.WriteString(w, "AUDIO:"+body["response_format"]+":"+body["input"])
}

type env struct {
	c        *gatewaytest.Client
	settings tts.Settings
	mu       sync.Mutex
	timers   []func()
}

func start(t *testing.T, st tts.Settings) *env {
	t.Helper()
	e := &env{settings: st}
	s, err := gateway.New(gateway.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	core.Serve(s)
	s.Mux().SetTts(tts.New[*gateway.Conn](tts.Options{
		Settings: func() tts.Settings { e.mu.Lock(); defer e.mu.Unlock(); return e.settings },
		TempDir:  t.TempDir(),
		AfterFunc: func(_ time.Duration, f func()) {
			e.mu.Lock()
			e.timers = append(e.timers, f)
			e.mu.Unlock()
		},
	}))
	e.c = gatewaytest.Dial(t, gatewaytest.Start(t, s).URL)
	e.c.Handshake(gatewaytest.V3Connect(nil))
	return e
}

func settings(dir, base, key string) tts.Settings {
	get := func(p string) (any, bool) {
		m := map[string]any{"/messages/tts/openai/voice": "nova"}
		if base != "" {
			m["/models/providers/openai/baseUrl"] = base + "/v1/"
		}
		v, ok := m[p]
		return v, ok
	}
	env := func(k string) string {
		switch k {
		case "OPENAI_API_KEY":
			return key
		case tts.EnvEdgeEndpoint:
			return "ws://127.0.0.1:1/edge" // never the real service from a test
		}
		return ""
	}
	return tts.Resolve(get, env, dir)
}

// TestTTSWire: the reference's request and response shapes for every tts method
// (status, enable, setProvider, providers, convert, disable);
// convert speaks through the fake OpenAI-compatible server (mp3, opus for telegram),
// writes the audio file and schedules its removal; preferences land in
// <state>/settings/tts.json.
func TestTTSWire(t *testing.T) {
	fake := &speechServer{}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	dir := t.TempDir()
	e := start(t, settings(dir, srv.URL, "sk-test"))

	var st protocol.TtsStatusResult
	e.c.MustOK("tts.status", map[string]any{}, &st)
	// The reference's choice: no provider set, openai has a key; the configured rest of
	// the fallback order is edge (on by default; elevenlabs has no key).
	if st.Enabled || st.Auto != "off" || st.Provider != "openai" || fallback(st) != "edge" || len(st.FallbackProviders) != 1 ||
		!st.HasOpenAIKey || st.HasElevenLabsKey || !st.EdgeEnabled || st.PrefsPath != filepath.Join(dir, "settings", "tts.json") {
		t.Fatalf("tts.status = %+v", st)
	}
	var en protocol.TtsEnableResult
	e.c.MustOK("tts.enable", map[string]any{}, &en)
	var sp protocol.TtsSetProviderResult
	e.c.MustOK("tts.setProvider", map[string]any{"provider": " openai "}, &sp)
	if !en.Enabled || sp.Provider != "openai" {
		t.Fatalf("enable %+v setProvider %+v", en, sp)
	}
	e.c.MustOK("tts.status", nil, &st)
	if !st.Enabled || st.Auto != "always" || st.Provider != "openai" || fallback(st) != "edge" {
		t.Fatalf("status after enable/setProvider = %+v", st)
	}
	b, err := os.ReadFile(st.PrefsPath)
	if err != nil || !strings.Contains(string(b), `"provider": "openai"`) || !strings.Contains(string(b), `"auto": "always"`) || strings.Contains(string(b), `"enabled"`) {
		t.Fatalf("prefs file %s (%v)", b, err)
	}
	if f := e.c.Call("tts.setProvider", map[string]any{"provider": "azure"}); f.OK || f.Error.Message != "Invalid provider. Use openai, elevenlabs, or edge." {
		t.Fatalf("setProvider azure: %s", f.Raw)
	}
	// edge can be chosen (as in the reference); openai is then its fallback.
	e.c.MustOK("tts.setProvider", map[string]any{"provider": "edge"}, &sp)
	e.c.MustOK("tts.status", nil, &st)
	if st.Provider != "edge" || fallback(st) != "openai" {
		t.Fatalf("status with edge = %+v", st)
	}
	e.c.MustOK("tts.setProvider", map[string]any{"provider": "openai"}, &sp)
	var provs protocol.TtsProvidersResult
	e.c.MustOK("tts.providers", nil, &provs)
	if provs.Active != "openai" || len(provs.Providers) != 3 || !provs.Providers[0].Configured || provs.Providers[1].Configured ||
		provs.Providers[2].ID != "edge" || !provs.Providers[2].Configured || len(provs.Providers[0].Voices) != 9 {
		t.Fatalf("tts.providers = %+v", provs)
	}

	for _, tc := range []struct{ channel, format string }{{"", "mp3"}, {"telegram", "opus"}} {
		var r protocol.TtsConvertResult
		params := map[string]any{"text": "  Hello there "}
		if tc.channel != "" {
			params["channel"] = tc.channel
		}
		e.c.MustOK("tts.convert", params, &r)
		audio, err := os.ReadFile(r.AudioPath)
		if err != nil || string(audio) != "AUDIO:"+tc.format+":Hello there" || r.Provider != "openai" || r.OutputFormat != tc.format ||
			r.VoiceCompatible != (tc.format == "opus") || !strings.HasSuffix(r.AudioPath, "."+tc.format) {
			t.Fatalf("convert %q = %+v, file %q (%v)", tc.channel, r, audio, err)
		}
	}
	fake.mu.Lock()
	if len(fake.bodies) != 2 || fake.bodies[0]["model"] != "gpt-4o-mini-tts" || fake.bodies[0]["voice"] != "nova" || fake.auth[0] != "Bearer sk-test" {
		t.Fatalf("speech requests %v %v", fake.bodies, fake.auth)
	}
	fake.mu.Unlock()
	// The scheduled cleanup removes the files.
	e.mu.Lock()
	timers := e.timers
	e.mu.Unlock()
	if len(timers) != 2 {
		t.Fatalf("cleanups scheduled = %d", len(timers))
	}
	for _, f := range timers {
		f()
	}

	if f := e.c.Call("tts.convert", map[string]any{"text": "   "}); f.OK || f.Error.Message != "tts.convert requires text" {
		t.Fatalf("blank text: %s", f.Raw)
	}
	if f := e.c.Call("tts.convert", map[string]any{"text": strings.Repeat("a", 4001)}); f.OK || f.Error.Code != "UNAVAILABLE" || !strings.Contains(f.Error.Message, "max 4000") {
		t.Fatalf("long text: %s", f.Raw)
	}
	fake.mu.Lock()
	fake.status = 500
	fake.mu.Unlock()
	if f := e.c.Call("tts.convert", map[string]any{"text": "hi"}); f.OK || f.Error.Code != "UNAVAILABLE" || !strings.Contains(f.Error.Message, "OpenAI TTS API error (500)") {
		t.Fatalf("server error: %s", f.Raw)
	}

	// tts.disable answers {enabled: false} and keeps the chosen provider.
	f := e.c.Call("tts.disable", map[string]any{})
	if !f.OK || strings.TrimSpace(string(f.Payload)) != `{"enabled":false}` {
		t.Fatalf("tts.disable: %s", f.Raw)
	}
	e.c.MustOK("tts.status", nil, &st)
	if st.Enabled || st.Provider != "openai" {
		t.Fatalf("status after disable = %+v", st)
	}
	if b, err := os.ReadFile(st.PrefsPath); err != nil || !strings.Contains(string(b), `"auto": "off"`) || !strings.Contains(string(b), `"provider": "openai"`) {
		t.Fatalf("prefs file after disable %s (%v)", b, err)
	}
}

// TestTTSNotConfigured: with no key anywhere and Edge unreachable, convert is a
// clear UNAVAILABLE naming each provider's failure.
func TestTTSNotConfigured(t *testing.T) {
	e := start(t, settings(t.TempDir(), "", ""))
	f := e.c.Call("tts.convert", map[string]any{"text": "hi"})
	if f.OK || f.Error.Code != "UNAVAILABLE" || !strings.Contains(f.Error.Message, "No API key for openai") || !strings.Contains(f.Error.Message, "edge: connect") {
		t.Fatalf("convert without a provider: %s", f.Raw)
	}
}

// fallback is tts.status's fallbackProvider ("" for null).
func fallback(st protocol.TtsStatusResult) protocol.TtsProvider {
	if st.FallbackProvider == nil {
		return ""
	}
	return *st.FallbackProvider
}
