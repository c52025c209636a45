package tts_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
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

	"github.com/clawgate/gateway/server/tts"
)

// fakeSpeech serves an OpenAI-compatible /v1/audio/speech and ElevenLabs'
// /v1/text-to-speech/{voice} on 127.0.0.1, recording requests.
type fakeSpeech struct {
	mu         sync.Mutex
	reqs       []speechReq
	failOpen   int // status for openai (0: ok)
	failEleven int
}

type speechReq struct {
	Path, Query string
	Header      http.Header
	Body        map[string]any
}

func (f *fakeSpeech) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body map[string]any
	_ = json.NewDecoder(r.Body).Decode(&body)
	f.mu.Lock()
	f.reqs = append(f.reqs, speechReq{Path: r.URL.Path, Query: r.URL.RawQuery, Header: r.Header.Clone(), Body: body})
	fo, fe := f.failOpen, f.failEleven
	f.mu.Unlock()
	switch {
	case r.URL.Path == "/v1/audio/speech":
		if fo != 0 {
			http.Error(w, "no", fo)
			return
		}
		_, _ = io.WriteString(w, "OggS-openai:"+body["response_format"].(string)+":"+body["input"].(string))
	case strings.HasPrefix(r.URL.Path, "/v1/text-to-speech/"):
		if fe != 0 {
			http.Error(w, "no", fe)
			return
		}
		_, _ = io.WriteString(w, "OggS-eleven:"+r.URL.Query().Get("output_format")+":"+body["text"].(string))
	default:
		http.NotFound(w, r)
	}
}

func (f *fakeSpeech) requests() []speechReq {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]speechReq(nil), f.reqs...)
}

// speakSettings resolves messages.tts from cfg (JSON pointers) with the fake server
// as both providers' base URL.
// closedEdge is an Edge endpoint nothing listens on.
const closedEdge = "ws://127.0.0.1:1/edge"

func speakSettings(dir, base string, cfg map[string]any, env map[string]string) tts.Settings {
	m := map[string]any{"/models/providers/openai/baseUrl": base + "/v1", "/messages/tts/elevenlabs/baseUrl": base}
	for k, v := range cfg {
		m[k] = v
	}
	get := func(p string) (any, bool) { v, ok := m[p]; return v, ok }
	return tts.Resolve(get, func(k string) string {
		if v, ok := env[k]; ok || k != tts.EnvEdgeEndpoint {
			return v
		}
		return closedEdge // never the real service from a test
	}, dir)
}

type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) { l.mu.Lock(); defer l.mu.Unlock(); return l.b.Write(p) }
func (l *logBuf) String() string              { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

func newSpeaker(t *testing.T, st tts.Settings, sum tts.Summarizer) (*tts.Speaker, *logBuf) {
	t.Helper()
	lb := &logBuf{}
	return tts.NewSpeaker(tts.SpeakerOptions{
		Settings: func() tts.Settings { return st }, Summarize: sum, TempDir: t.TempDir(),
		Log: slog.New(slog.NewTextHandler(lb, nil)), AfterFunc: func(time.Duration, func()) {},
	}), lb
}

func readAudio(t *testing.T, p string) string {
	t.Helper()
	if p == "" {
		return ""
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

const longEnough = "Hello there, this is the reply."

// TestSpeakerAutoModes: off speaks nothing; always speaks every final reply; inbound
// only replies to voice notes; tagged only replies with a [[tts]] tag (and the tag is
// removed from the text); block replies are spoken only under mode "all"; replies
// shorter than MinSpokenChars, with media, or empty are not spoken.
func TestSpeakerAutoModes(t *testing.T) {
	srv := &fakeSpeech{}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	env := map[string]string{"OPENAI_API_KEY": "sk-o"}
	cases := []struct {
		name   string
		cfg    map[string]any
		reply  tts.Reply
		spoken bool
		text   string
	}{
		{"default off", nil, tts.Reply{Text: longEnough}, false, longEnough},
		{"enabled means always", map[string]any{"/messages/tts/enabled": true}, tts.Reply{Text: longEnough}, true, longEnough},
		{"always", map[string]any{"/messages/tts/auto": "always"}, tts.Reply{Text: longEnough}, true, longEnough},
		{"auto off beats enabled", map[string]any{"/messages/tts/auto": "off", "/messages/tts/enabled": true}, tts.Reply{Text: longEnough}, false, longEnough},
		{"inbound text", map[string]any{"/messages/tts/auto": "inbound"}, tts.Reply{Text: longEnough}, false, longEnough},
		{"inbound voice", map[string]any{"/messages/tts/auto": "inbound"}, tts.Reply{Text: longEnough, InboundAudio: true}, true, longEnough},
		{"tagged without tag", map[string]any{"/messages/tts/auto": "tagged"}, tts.Reply{Text: longEnough}, false, longEnough},
		{"tagged with tag", map[string]any{"/messages/tts/auto": "tagged"}, tts.Reply{Text: "[[tts]] " + longEnough}, true, longEnough},
		{"block under final", map[string]any{"/messages/tts/auto": "always"}, tts.Reply{Text: longEnough, Kind: "block"}, false, longEnough},
		{"block under all", map[string]any{"/messages/tts/auto": "always", "/messages/tts/mode": "all"}, tts.Reply{Text: longEnough, Kind: "block"}, true, longEnough},
		{"too short", map[string]any{"/messages/tts/auto": "always"}, tts.Reply{Text: "ok"}, false, "ok"},
		{"has media", map[string]any{"/messages/tts/auto": "always"}, tts.Reply{Text: longEnough, HasMedia: true}, false, longEnough},
		{"directives off keep tags", map[string]any{"/messages/tts/auto": "always", "/messages/tts/modelOverrides/enabled": false}, tts.Reply{Text: "[[tts:voice=nova]] " + longEnough}, true, "[[tts:voice=nova]] " + longEnough},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sp, _ := newSpeaker(t, speakSettings(t.TempDir(), hs.URL, c.cfg, env), nil)
			out := sp.Apply(context.Background(), c.reply)
			if (out.AudioPath != "") != c.spoken || out.Text != c.text {
				t.Fatalf("Apply = %+v, want spoken %v text %q", out, c.spoken, c.text)
			}
		})
	}
}

// TestSpeakerProviders: the primary is picked as the reference does (a key decides
// when messages.tts.provider is unset), telegram gets opus (a voice note) and others
// mp3; ElevenLabs gets its request shape (voice in the path, output_format query,
// xi-api-key, voice_settings and the optional keys); a failing provider falls back to
// the next; edge (nothing listening) fails last; with every provider failing the reply
// stays text with a log line.
func TestSpeakerProviders(t *testing.T) {
	srv := &fakeSpeech{}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	el := map[string]any{
		"/messages/tts/auto": "always", "/messages/tts/provider": "elevenlabs",
		"/messages/tts/elevenlabs/voiceId": "abcdefghij12", "/messages/tts/elevenlabs/modelId": "eleven_turbo_v2_5",
		"/messages/tts/elevenlabs/seed": float64(42), "/messages/tts/elevenlabs/applyTextNormalization": "on",
		"/messages/tts/elevenlabs/languageCode": "DE", "/messages/tts/elevenlabs/voiceSettings/speed": 1.5,
		"/messages/tts/elevenlabs/voiceSettings/useSpeakerBoost": false,
		"/messages/tts/elevenlabs/voiceSettings/stability":       0.4, "/messages/tts/elevenlabs/voiceSettings/similarityBoost": 0.6,
		"/messages/tts/elevenlabs/voiceSettings/style": 0.1,
		"/messages/tts/elevenlabs/apiKey":              "xi-key",
	}

	// OpenAI by key when no provider is configured; opus for telegram.
	sp, _ := newSpeaker(t, speakSettings(t.TempDir(), hs.URL, map[string]any{"/messages/tts/auto": "always", "/messages/tts/openai/model": "tts-1-hd", "/messages/tts/openai/voice": "echo"}, map[string]string{"OPENAI_API_KEY": "sk-o"}), nil)
	out := sp.Apply(context.Background(), tts.Reply{Text: longEnough, Channel: "telegram"})
	if got := readAudio(t, out.AudioPath); got != "OggS-openai:opus:"+longEnough || !out.Voice || filepath.Ext(out.AudioPath) != ".opus" {
		t.Fatalf("openai telegram: %+v %q", out, got)
	}
	if r := srv.requests()[0]; r.Body["model"] != "tts-1-hd" || r.Body["voice"] != "echo" || r.Header.Get("Authorization") != "Bearer sk-o" {
		t.Fatalf("openai request: %+v", r)
	}
	out = sp.Apply(context.Background(), tts.Reply{Text: longEnough, Channel: "whatsapp"})
	if got := readAudio(t, out.AudioPath); got != "OggS-openai:mp3:"+longEnough || out.Voice {
		t.Fatalf("openai whatsapp: %+v %q", out, got)
	}

	// ElevenLabs with every key, and a [[tts:...]] override of the voice settings.
	sp, _ = newSpeaker(t, speakSettings(t.TempDir(), hs.URL, el, nil), nil)
	out = sp.Apply(context.Background(), tts.Reply{Text: "[[tts:stability=0.2 voiceId=zyxwvutsrq98]]" + longEnough, Channel: "telegram"})
	if got := readAudio(t, out.AudioPath); got != "OggS-eleven:opus_48000_64:"+longEnough || out.Text != longEnough {
		t.Fatalf("elevenlabs: %+v %q", out, got)
	}
	reqs := srv.requests()
	r := reqs[len(reqs)-1]
	vs, _ := r.Body["voice_settings"].(map[string]any)
	if r.Path != "/v1/text-to-speech/zyxwvutsrq98" || r.Query != "output_format=opus_48000_64" || r.Header.Get("xi-api-key") != "xi-key" ||
		r.Body["model_id"] != "eleven_turbo_v2_5" || r.Body["seed"] != float64(42) || r.Body["apply_text_normalization"] != "on" ||
		r.Body["language_code"] != "de" || vs["stability"] != 0.2 || vs["similarity_boost"] != 0.6 || vs["style"] != 0.1 || vs["speed"] != 1.5 || vs["use_speaker_boost"] != false {
		t.Fatalf("elevenlabs request: %+v", r)
	}

	// ElevenLabs fails: OpenAI (next in the order) answers.
	srv.mu.Lock()
	srv.failEleven = 500
	srv.mu.Unlock()
	sp, _ = newSpeaker(t, speakSettings(t.TempDir(), hs.URL, el, map[string]string{"OPENAI_API_KEY": "sk-o"}), nil)
	out = sp.Apply(context.Background(), tts.Reply{Text: longEnough})
	if got := readAudio(t, out.AudioPath); got != "OggS-openai:mp3:"+longEnough {
		t.Fatalf("fallback: %+v %q", out, got)
	}

	// Everything fails: text only, and the log says why (edge last).
	srv.mu.Lock()
	srv.failOpen = 503
	srv.mu.Unlock()
	sp, lb := newSpeaker(t, speakSettings(t.TempDir(), hs.URL, el, map[string]string{"OPENAI_API_KEY": "sk-o"}), nil)
	out = sp.Apply(context.Background(), tts.Reply{Text: longEnough})
	if out.AudioPath != "" || out.Text != longEnough || !strings.Contains(lb.String(), "tts: conversion failed") || !strings.Contains(lb.String(), "edge: connect") {
		t.Fatalf("all failed: %+v log %s", out, lb.String())
	}
	// Edge configured off: the last error is "edge: disabled".
	cfg := map[string]any{"/messages/tts/edge/enabled": false}
	for k, v := range el {
		cfg[k] = v
	}
	sp2, _ := newSpeaker(t, speakSettings(t.TempDir(), hs.URL, cfg, nil), nil)
	if _, err := sp2.Convert(context.Background(), longEnough, ""); err == nil || !strings.Contains(err.Error(), "edge: disabled") {
		t.Fatalf("edge disabled: %v", err)
	}
	// No keys and edge on: edge is the primary and reports itself unavailable.
	sp3, _ := newSpeaker(t, speakSettings(t.TempDir(), hs.URL, nil, nil), nil)
	if _, err := sp3.Convert(context.Background(), longEnough, ""); err == nil || !strings.Contains(err.Error(), "No API key") && !strings.Contains(err.Error(), "edge: connect") {
		t.Fatalf("no keys: %v", err)
	}
}

// TestSpeakerLengthLimits: maxTextLength refuses text to the providers; a reply over
// the preferences' maxLength is summarised first (the summary is spoken), not spoken
// when summarize is off, and stays text when the summary fails.
func TestSpeakerLengthLimits(t *testing.T) {
	srv := &fakeSpeech{}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	env := map[string]string{"OPENAI_API_KEY": "sk-o"}
	dir := t.TempDir()
	long := strings.Repeat("word ", 400) // 2000 chars > default maxLength 1500

	// maxTextLength: the hard limit of one conversion.
	st := speakSettings(dir, hs.URL, map[string]any{"/messages/tts/auto": "always", "/messages/tts/maxTextLength": float64(20)}, env)
	sp, lb := newSpeaker(t, st, nil)
	if out := sp.Apply(context.Background(), tts.Reply{Text: longEnough}); out.AudioPath != "" || !strings.Contains(lb.String(), "Text too long (31 chars, max 20)") {
		t.Fatalf("maxTextLength: %+v log %s", out, lb.String())
	}
	n := len(srv.requests())

	// A long reply is summarised with summaryModel and the summary spoken.
	st = speakSettings(dir, hs.URL, map[string]any{"/messages/tts/auto": "always", "/messages/tts/summaryModel": "fake/small"}, env)
	var gotModel string
	var gotTarget int
	sp, _ = newSpeaker(t, st, func(_ context.Context, model, text string, target int) (string, error) {
		gotModel, gotTarget = model, target
		return "The short version.", nil
	})
	out := sp.Apply(context.Background(), tts.Reply{Text: long})
	if got := readAudio(t, out.AudioPath); got != "OggS-openai:mp3:The short version." || gotModel != "fake/small" || gotTarget != tts.DefaultSpokenMaxLength || out.Text != long {
		t.Fatalf("summary: %+v %q model %q target %d", out, got, gotModel, gotTarget)
	}

	// The summary fails: text only.
	sp, lb = newSpeaker(t, st, func(context.Context, string, string, int) (string, error) { return "", errors.New("model down") })
	if out := sp.Apply(context.Background(), tts.Reply{Text: long}); out.AudioPath != "" || !strings.Contains(lb.String(), "model down") {
		t.Fatalf("summary failed: %+v log %s", out, lb.String())
	}

	// summarize off in the preferences file: long replies are not spoken at all.
	if err := os.MkdirAll(filepath.Join(dir, "settings"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(st.PrefsPath, []byte(`{"tts":{"summarize":false,"maxLength":200}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	called := false
	sp, _ = newSpeaker(t, st, func(context.Context, string, string, int) (string, error) { called = true; return "x", nil })
	if out := sp.Apply(context.Background(), tts.Reply{Text: long[:300]}); out.AudioPath != "" || called {
		t.Fatalf("summarize off: %+v called %v", out, called)
	}
	if len(srv.requests()) != n+1 {
		t.Fatalf("speech requests: %d, want %d (only the summary spoken)", len(srv.requests()), n+1)
	}
	// The preferences' auto beats the config.
	if err := os.WriteFile(st.PrefsPath, []byte(`{"tts":{"auto":"off"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if out := sp.Apply(context.Background(), tts.Reply{Text: longEnough}); out.AudioPath != "" {
		t.Fatalf("prefs auto off: %+v", out)
	}
}

// TestParseDirectives: the reference's [[tts:...]] keys, the policy switches and the
// warnings for refused values.
func TestParseDirectives(t *testing.T) {
	all := tts.OverridePolicy{Enabled: true, AllowText: true, AllowProvider: true, AllowVoice: true, AllowModelID: true, AllowVoiceSettings: true, AllowNormalization: true, AllowSeed: true}
	noVoice := all
	noVoice.AllowVoice = false
	cases := []struct {
		name     string
		in       string
		pol      tts.OverridePolicy
		cleaned  string
		found    bool
		check    func(tts.Directives) bool
		warnings int
	}{
		{"none", "hi", all, "hi", false, func(d tts.Directives) bool { return d == tts.Directives{} }, 0},
		{"text block", "Shown [[tts:text]]Spoken words[[/tts:text]]", all, "Shown ", true, func(d tts.Directives) bool { return d.Text == "Spoken words" }, 0},
		{"provider and voice", "[[tts:provider=openai voice=nova]]x", all, "x", true, func(d tts.Directives) bool { return d.Provider == "openai" && d.Voice == "nova" }, 0},
		{"bad provider", "[[tts:provider=polly]]x", all, "x", true, func(d tts.Directives) bool { return d.Provider == "" }, 1},
		{"bad openai voice", "[[tts:voice=bob]]x", all, "x", true, func(d tts.Directives) bool { return d.Voice == "" }, 1},
		{"voice not allowed", "[[tts:voice=nova]]x", noVoice, "x", true, func(d tts.Directives) bool { return d.Voice == "" }, 0},
		{"models", "[[tts:model=tts-1]][[tts:model=eleven_v3]]x", all, "x", true, func(d tts.Directives) bool { return d.Model == "tts-1" && d.ModelID == "eleven_v3" }, 0},
		{"settings", "[[tts:stability=0.3 speed=3 speakerBoost=no seed=7 language=FR normalize=off]]x", all, "x", true, func(d tts.Directives) bool {
			return *d.Stability == 0.3 && d.Speed == nil && !*d.SpeakerBoost && *d.Seed == 7 && d.Language == "fr" && d.Normalization == "off"
		}, 1},
		{"disabled", "[[tts:voice=nova]]x", tts.OverridePolicy{}, "[[tts:voice=nova]]x", false, func(d tts.Directives) bool { return d.Voice == "" }, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cleaned, found, d, w := tts.ParseDirectives(c.in, c.pol, false)
			if cleaned != c.cleaned || found != c.found || !c.check(d) || len(w) != c.warnings {
				t.Fatalf("ParseDirectives(%q) = %q %v %+v %v", c.in, cleaned, found, d, w)
			}
		})
	}
}

func TestProviderOrder(t *testing.T) {
	for primary, want := range map[string]string{"openai": "openai,elevenlabs,edge", "elevenlabs": "elevenlabs,openai,edge", "edge": "edge,openai,elevenlabs"} {
		if got := strings.Join(tts.ProviderOrder(primary), ","); got != want {
			t.Errorf("ProviderOrder(%s) = %s, want %s", primary, got, want)
		}
	}
}

// TestSpeakerTimeout: messages.tts.timeoutMs bounds a provider call; a provider that
// does not answer in time counts as failed ("request timed out").
func TestSpeakerTimeout(t *testing.T) {
	release := make(chan struct{}) // the handler holds the request until the test ends
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer hs.Close()
	defer close(release)
	st := speakSettings(t.TempDir(), hs.URL, map[string]any{"/messages/tts/provider": "openai", "/messages/tts/timeoutMs": float64(50), "/messages/tts/edge/enabled": false}, map[string]string{"OPENAI_API_KEY": "sk-o"})
	sp, _ := newSpeaker(t, st, nil)
	if _, err := sp.Convert(context.Background(), longEnough, ""); err == nil || !strings.Contains(err.Error(), "openai: request timed out") {
		t.Fatalf("Convert = %v", err)
	}
}

// TestDirectivePolicy: each modelOverrides.allow* switch off drops its directives
// (and only those); modelOverrides.enabled false leaves tags in the text.
func TestDirectivePolicy(t *testing.T) {
	const in = "[[tts:provider=openai voice=nova model=tts-1 stability=0.5 language=de seed=3]][[tts:text]]say this[[/tts:text]]hi"
	cases := []struct {
		key   string
		check func(tts.Directives) bool // true: the directive of key was dropped
	}{
		{"allowText", func(d tts.Directives) bool { return d.Text == "" }},
		{"allowProvider", func(d tts.Directives) bool { return d.Provider == "" }},
		{"allowVoice", func(d tts.Directives) bool { return d.Voice == "" }},
		{"allowModelId", func(d tts.Directives) bool { return d.Model == "" }},
		{"allowVoiceSettings", func(d tts.Directives) bool { return d.Stability == nil }},
		{"allowNormalization", func(d tts.Directives) bool { return d.Language == "" }},
		{"allowSeed", func(d tts.Directives) bool { return d.Seed == nil }},
	}
	for _, c := range cases {
		t.Run(c.key, func(t *testing.T) {
			on := speakSettings(t.TempDir(), "http://x", nil, nil).Overrides
			_, _, all, _ := tts.ParseDirectives(in, on, false)
			if c.check(all) {
				t.Fatalf("allowed by default yet dropped: %+v", all)
			}
			off := speakSettings(t.TempDir(), "http://x", map[string]any{"/messages/tts/modelOverrides/" + c.key: false}, nil).Overrides
			cleaned, found, d, _ := tts.ParseDirectives(in, off, false)
			if !c.check(d) || cleaned != "hi" || !found {
				t.Fatalf("%s false: %q %v %+v", c.key, cleaned, found, d)
			}
		})
	}
	off := speakSettings(t.TempDir(), "http://x", map[string]any{"/messages/tts/modelOverrides/enabled": false}, nil).Overrides
	if cleaned, found, _, _ := tts.ParseDirectives(in, off, false); cleaned != in || found {
		t.Fatalf("enabled false: %q %v", cleaned, found)
	}
}
