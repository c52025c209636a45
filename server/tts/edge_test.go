package tts_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/clawgate/gateway/server/tts"
	"github.com/clawgate/gateway/server/tts/edgetest"
)

// edgeSettings are settings with edge the provider, against the fake service.
func edgeSettings(t *testing.T, srv *edgetest.Server, cfg map[string]any) tts.Settings {
	m := map[string]any{"/messages/tts/auto": "always", "/messages/tts/provider": "edge"}
	for k, v := range cfg {
		m[k] = v
	}
	return speakSettings(t.TempDir(), "http://127.0.0.1:1", m, map[string]string{tts.EnvEdgeEndpoint: srv.URL()})
}

// TestEdgeSpeech: the Edge client sends the speech.config (the output format) and the
// SSML with the configured voice, language, rate, pitch and volume (the text escaped),
// with the client token, a connection id and the time-bound token in the URL; the
// audio frames are joined into the file (mp3 by default; a voice note only for
// ogg/opus), and saveSubtitles writes the word timings next to it.
func TestEdgeSpeech(t *testing.T) {
	srv := edgetest.New(t)
	st := edgeSettings(t, srv, map[string]any{
		"/messages/tts/edge/voice": "de-DE-KatjaNeural", "/messages/tts/edge/lang": "de-DE",
		"/messages/tts/edge/rate": "+10%", "/messages/tts/edge/pitch": "-5Hz", "/messages/tts/edge/volume": "+20%",
		"/messages/tts/edge/saveSubtitles": true,
	})
	sp, lb := newSpeaker(t, st, nil)
	text := "Hallo <Welt> & \"Freunde\", wie geht's?"
	out := sp.Apply(context.Background(), tts.Reply{Text: text, Channel: "telegram"})
	if out.AudioPath == "" {
		t.Fatalf("not spoken; log %s", lb.String())
	}
	if got := readAudio(t, out.AudioPath); got != "ID3-edge-audio" || filepath.Ext(out.AudioPath) != ".mp3" || out.Voice {
		t.Fatalf("audio %q at %s voice %v", got, out.AudioPath, out.Voice)
	}
	reqs := srv.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests", len(reqs))
	}
	r := reqs[0]
	want := `<speak version="1.0" xmlns="http://www.w3.org/2001/10/synthesis" xmlns:mstts="https://www.w3.org/2001/mstts" xml:lang="de-DE">` +
		`<voice name="de-DE-KatjaNeural"><prosody rate="+10%" pitch="-5Hz" volume="+20%">` +
		`Hallo &lt;Welt&gt; &amp; &quot;Freunde&quot;, wie geht&apos;s?</prosody></voice></speak>`
	if r.SSML != want {
		t.Fatalf("ssml\n got %s\nwant %s", r.SSML, want)
	}
	if r.Format != tts.DefaultEdgeOutputFormat || !strings.Contains(r.Config, `"wordBoundaryEnabled":"true"`) {
		t.Fatalf("speech.config: %q", r.Config)
	}
	if r.Query.Get("TrustedClientToken") == "" || len(r.Query.Get("ConnectionId")) != 32 || len(r.Query.Get("Sec-MS-GEC")) != 64 || r.Header.Get("Origin") == "" {
		t.Fatalf("url/headers: %v %v", r.Query, r.Header)
	}
	b, err := os.ReadFile(out.AudioPath + ".json")
	if err != nil {
		t.Fatal(err)
	}
	var subs []tts.EdgeSubtitle
	if err := json.Unmarshal(b, &subs); err != nil || len(subs) != 1 || subs[0] != (tts.EdgeSubtitle{Part: "Hello", Start: 100, End: 500}) {
		t.Fatalf("subtitles %s (%v)", b, err)
	}

	// Defaults: the reference's voice and language, prosody "default", no subtitles.
	sp, _ = newSpeaker(t, edgeSettings(t, srv, nil), nil)
	out = sp.Apply(context.Background(), tts.Reply{Text: "Plain defaults here."})
	r = srv.Requests()[1]
	if !strings.Contains(r.SSML, `xml:lang="en-US"><voice name="en-US-MichelleNeural"><prosody rate="default" pitch="default" volume="default">`) {
		t.Fatalf("default ssml %s", r.SSML)
	}
	if _, err := os.Stat(out.AudioPath + ".json"); !os.IsNotExist(err) {
		t.Fatalf("subtitles written without saveSubtitles: %v", err)
	}
}

// TestEdgeOutputFormat: an ogg/opus format gives a voice note; a configured format
// the service refuses is retried once with the default one (mp3).
func TestEdgeOutputFormat(t *testing.T) {
	srv := edgetest.New(t)
	sp, _ := newSpeaker(t, edgeSettings(t, srv, map[string]any{"/messages/tts/edge/outputFormat": "ogg-24khz-16bit-mono-opus"}), nil)
	res, err := sp.Convert(context.Background(), "An ogg voice note.", "telegram")
	if err != nil || filepath.Ext(res.Path) != ".ogg" || !res.VoiceCompatible || res.OutputFormat != "ogg-24khz-16bit-mono-opus" || res.Provider != "edge" {
		t.Fatalf("ogg: %+v %v", res, err)
	}
	srv.SetReject(func(f string) bool { return f != tts.DefaultEdgeOutputFormat })
	res, err = sp.Convert(context.Background(), "Falls back to mp3.", "telegram")
	if err != nil || filepath.Ext(res.Path) != ".mp3" || res.OutputFormat != tts.DefaultEdgeOutputFormat {
		t.Fatalf("fallback: %+v %v", res, err)
	}
	reqs := srv.Requests()
	if n := len(reqs); n != 3 || reqs[1].Format != "ogg-24khz-16bit-mono-opus" || reqs[2].Format != tts.DefaultEdgeOutputFormat {
		t.Fatalf("%d requests: %+v", n, reqs)
	}
	// The default format refused too: edge fails, and says so.
	srv.SetReject(func(string) bool { return true })
	if _, err := sp.Convert(context.Background(), "Nothing works now.", ""); err == nil || !strings.Contains(err.Error(), "edge: connection closed") {
		t.Fatalf("refused: %v", err)
	}
}

// TestEdgeTimeout: a service that never ends the turn fails after edge.timeoutMs
// (which wins over messages.tts.timeoutMs) with "request timed out".
func TestEdgeTimeout(t *testing.T) {
	srv := edgetest.New(t)
	srv.SetHang(true)
	st := edgeSettings(t, srv, map[string]any{"/messages/tts/edge/timeoutMs": float64(150), "/messages/tts/timeoutMs": float64(60_000)})
	if st.Edge.Timeout.Milliseconds() != 150 {
		t.Fatalf("timeout %v", st.Edge.Timeout)
	}
	sp, _ := newSpeaker(t, st, nil)
	if _, err := sp.Convert(context.Background(), "This will hang.", ""); err == nil || !strings.Contains(err.Error(), "edge: request timed out") {
		t.Fatalf("hang: %v", err)
	}
	if st := edgeSettings(t, srv, map[string]any{"/messages/tts/timeoutMs": float64(700)}); st.Edge.Timeout.Milliseconds() != 700 {
		t.Fatalf("timeoutMs fallback %v", st.Edge.Timeout)
	}
	if st := edgeSettings(t, srv, nil); st.Edge.Timeout != tts.DefaultEdgeTimeout {
		t.Fatalf("default timeout %v", st.Edge.Timeout)
	}
}

// connectProxy is an HTTP CONNECT proxy on 127.0.0.1 that records its targets.
type connectProxy struct {
	ln      net.Listener
	mu      sync.Mutex
	targets []string
	auth    []string
}

func newConnectProxy(t *testing.T) *connectProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &connectProxy{ln: ln}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.serve(c)
		}
	}()
	return p
}

func (p *connectProxy) serve(c net.Conn) {
	defer c.Close()
	br := bufio.NewReader(c)
	req, err := http.ReadRequest(br)
	if err != nil || req.Method != http.MethodConnect {
		return
	}
	p.mu.Lock()
	p.targets = append(p.targets, req.Host)
	p.auth = append(p.auth, req.Header.Get("Proxy-Authorization"))
	p.mu.Unlock()
	up, err := net.Dial("tcp", req.Host)
	if err != nil {
		_, _ = io.WriteString(c, "HTTP/1.1 502 Bad Gateway\r\n\r\n")
		return
	}
	defer up.Close()
	_, _ = io.WriteString(c, "HTTP/1.1 200 Connection established\r\n\r\n")
	go func() { _, _ = io.Copy(up, br) }()
	_, _ = io.Copy(c, up)
}

// TestEdgeProxy: with edge.proxy the connection tunnels through the proxy (CONNECT
// to the service's host, credentials from the proxy URL); a proxy URL of another
// scheme is refused.
func TestEdgeProxy(t *testing.T) {
	srv := edgetest.New(t)
	px := newConnectProxy(t)
	sp, lb := newSpeaker(t, edgeSettings(t, srv, map[string]any{"/messages/tts/edge/proxy": "http://user:pw@" + px.ln.Addr().String()}), nil)
	res, err := sp.Convert(context.Background(), "Through the proxy.", "")
	if err != nil || readAudio(t, res.Path) != "ID3-edge-audio" {
		t.Fatalf("via proxy: %+v %v log %s", res, err, lb.String())
	}
	px.mu.Lock()
	targets, auth := px.targets, px.auth
	px.mu.Unlock()
	if len(targets) != 1 || targets[0] != srv.Addr() || auth[0] != "Basic dXNlcjpwdw==" {
		t.Fatalf("proxy saw %v %v", targets, auth)
	}
	sp, _ = newSpeaker(t, edgeSettings(t, srv, map[string]any{"/messages/tts/edge/proxy": "socks5://127.0.0.1:1"}), nil)
	if _, err := sp.Convert(context.Background(), "Bad proxy here.", ""); err == nil || !strings.Contains(err.Error(), "want an http:// or https:// URL") {
		t.Fatalf("socks proxy: %v", err)
	}
}
