package tts

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/lxzan/gws"
)

// Defaults of messages.tts.edge, as in the reference (and the node-edge-tts client
// it uses).
const (
	DefaultEdgeVoice        = "en-US-MichelleNeural"
	DefaultEdgeLang         = "en-US"
	DefaultEdgeOutputFormat = "audio-24khz-48kbitrate-mono-mp3"
	// DefaultEdgeTimeout applies when neither edge.timeoutMs nor timeoutMs is set
	// (node-edge-tts's own default); messages.tts.timeoutMs otherwise.
	DefaultEdgeTimeout = 10 * time.Second
	// DefaultEdgeEndpoint is Microsoft's read-aloud speech service. EnvEdgeEndpoint
	// replaces it (tests run a fake service on 127.0.0.1).
	DefaultEdgeEndpoint = "wss://speech.platform.bing.com/consumer/speech/synthesize/readaloud/edge/v1"
	EnvEdgeEndpoint     = "CLAWDBOT_EDGE_TTS_ENDPOINT"
	// edgeTrustedClientToken is the public client token every Edge read-aloud client sends.
	edgeTrustedClientToken = "6A5AA1D4EAFF4E9FB37E23D68491D6F4"
	edgeGECVersion         = "1-130.0.2849.68"
	edgeOrigin             = "chrome-extension://jdiccldimpdaibmpdkjnbmckianbfold"
	// maxEdgeMessageBytes bounds one WebSocket message from the service.
	maxEdgeMessageBytes = 1 << 20
)

// Edge are the resolved messages.tts.edge keys.
type Edge struct {
	Voice, Lang, OutputFormat string
	// OutputFormatConfigured: a configured format that fails is retried once with
	// the default one, as the reference.
	OutputFormatConfigured bool
	Pitch, Rate, Volume    string // prosody values; "" = "default"
	SaveSubtitles          bool   // word timings next to the audio, <audio>.json
	Proxy                  string // an http(s):// proxy the connection tunnels through (CONNECT)
	Timeout                time.Duration
	Endpoint               string // ws:// or wss:// URL of the service
}

func resolveEdge(s *Settings, get Lookup, getenv func(string) string) {
	str := func(p string) string {
		if v, ok := get(p); ok {
			if x, ok := v.(string); ok {
				return strings.TrimSpace(x)
			}
		}
		return ""
	}
	e := Edge{
		Voice: firstNonEmpty(str("/messages/tts/edge/voice"), DefaultEdgeVoice),
		Lang:  firstNonEmpty(str("/messages/tts/edge/lang"), DefaultEdgeLang),
		Pitch: str("/messages/tts/edge/pitch"), Rate: str("/messages/tts/edge/rate"), Volume: str("/messages/tts/edge/volume"),
		Proxy:    str("/messages/tts/edge/proxy"),
		Endpoint: firstNonEmpty(strings.TrimSpace(getenv(EnvEdgeEndpoint)), DefaultEdgeEndpoint),
		Timeout:  DefaultEdgeTimeout,
	}
	if f := str("/messages/tts/edge/outputFormat"); f != "" {
		e.OutputFormat, e.OutputFormatConfigured = f, true
	} else {
		e.OutputFormat = DefaultEdgeOutputFormat
	}
	if v, ok := get("/messages/tts/edge/saveSubtitles"); ok {
		e.SaveSubtitles, _ = v.(bool)
	}
	if v, ok := get("/messages/tts/timeoutMs"); ok {
		if n, ok := v.(float64); ok && n > 0 {
			e.Timeout = time.Duration(n) * time.Millisecond
		}
	}
	if v, ok := get("/messages/tts/edge/timeoutMs"); ok {
		if n, ok := v.(float64); ok && n > 0 {
			e.Timeout = time.Duration(n) * time.Millisecond
		}
	}
	s.Edge = e
}

// edgeExtension is the file extension of an Edge output format (the reference's rule).
func edgeExtension(format string) string {
	f := strings.ToLower(format)
	switch {
	case strings.Contains(f, "webm"):
		return ".webm"
	case strings.Contains(f, "ogg"):
		return ".ogg"
	case strings.Contains(f, "opus"):
		return ".opus"
	case strings.Contains(f, "wav"), strings.Contains(f, "riff"), strings.Contains(f, "pcm"):
		return ".wav"
	}
	return ".mp3"
}

// voiceExtension: audio a chat app plays as a voice note (ogg/opus), as the reference.
func voiceExtension(ext string) bool { return ext == ".ogg" || ext == ".opus" || ext == ".oga" }

// xmlEscaper escapes text placed in SSML. The reference passes the text through as
// is, so a reply with "<" or "&" breaks its request; here it is escaped.
var xmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&apos;")

// EdgeSSML is the SSML document sent for text.
func EdgeSSML(e Edge, text string) string {
	or := func(v string) string {
		if v == "" {
			return "default"
		}
		return xmlEscaper.Replace(v)
	}
	return `<speak version="1.0" xmlns="http://www.w3.org/2001/10/synthesis" xmlns:mstts="https://www.w3.org/2001/mstts" xml:lang="` +
		xmlEscaper.Replace(e.Lang) + `"><voice name="` + xmlEscaper.Replace(e.Voice) + `"><prosody rate="` + or(e.Rate) +
		`" pitch="` + or(e.Pitch) + `" volume="` + or(e.Volume) + `">` + xmlEscaper.Replace(text) + `</prosody></voice></speak>`
}

// EdgeSubtitle is one word's timing (saveSubtitles), in milliseconds.
type EdgeSubtitle struct {
	Part  string  `json:"part"`
	Start float64 `json:"start"`
	End   float64 `json:"end"`
}

// edgeResult is one synthesis: the audio and, when asked, the word timings.
type edgeResult struct {
	audio     []byte
	subtitles []EdgeSubtitle
}

// edgeSecMSGEC is the time-bound request token the service checks: SHA-256 of the
// Windows file time rounded down to five minutes followed by the client token.
func edgeSecMSGEC(now time.Time) string {
	ticks := (now.Unix() + 11644473600) / 300 * 300 * 10_000_000
	sum := sha256.Sum256([]byte(fmt.Sprintf("%d%s", ticks, edgeTrustedClientToken)))
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// edgeURL is the endpoint with the client token, a connection id and the request token.
func edgeURL(e Edge, now time.Time) (string, error) {
	u, err := url.Parse(e.Endpoint)
	if err != nil || (u.Scheme != "ws" && u.Scheme != "wss") {
		return "", fmt.Errorf("edge endpoint %q: want a ws:// or wss:// URL", e.Endpoint)
	}
	q := u.Query()
	q.Set("TrustedClientToken", edgeTrustedClientToken)
	q.Set("ConnectionId", randomHex(16))
	q.Set("Sec-MS-GEC", edgeSecMSGEC(now))
	q.Set("Sec-MS-GEC-Version", edgeGECVersion)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// dialEdge opens the TCP (and TLS) connection to the service, through the proxy
// when one is set, within ctx.
func dialEdge(ctx context.Context, e Edge, target *url.URL) (net.Conn, error) {
	host := target.Host
	if target.Port() == "" {
		if target.Scheme == "wss" {
			host = net.JoinHostPort(target.Hostname(), "443")
		} else {
			host = net.JoinHostPort(target.Hostname(), "80")
		}
	}
	var d net.Dialer
	var conn net.Conn
	var err error
	if e.Proxy != "" {
		conn, err = dialViaProxy(ctx, &d, e.Proxy, host)
	} else {
		conn, err = d.DialContext(ctx, "tcp", host)
	}
	if err != nil {
		return nil, err
	}
	if target.Scheme == "wss" {
		tc := tls.Client(conn, &tls.Config{ServerName: target.Hostname(), MinVersion: tls.VersionTLS12})
		if err := tc.HandshakeContext(ctx); err != nil {
			_ = conn.Close()
			return nil, fmt.Errorf("tls: %w", err)
		}
		conn = tc
	}
	return conn, nil
}

// dialViaProxy opens a tunnel to host through an HTTP proxy (CONNECT), as the
// reference's proxy agent does.
func dialViaProxy(ctx context.Context, d *net.Dialer, proxy, host string) (net.Conn, error) {
	pu, err := url.Parse(proxy)
	if err != nil || pu.Host == "" || (pu.Scheme != "http" && pu.Scheme != "https") {
		return nil, fmt.Errorf("edge proxy %q: want an http:// or https:// URL", proxy)
	}
	addr := pu.Host
	if pu.Port() == "" {
		port := "80"
		if pu.Scheme == "https" {
			port = "443"
		}
		addr = net.JoinHostPort(pu.Hostname(), port)
	}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("proxy: %w", err)
	}
	if pu.Scheme == "https" {
		tc := tls.Client(conn, &tls.Config{ServerName: pu.Hostname(), MinVersion: tls.VersionTLS12})
		if err := tc.HandshakeContext(ctx); err != nil {
			_ = conn.Close()
			return nil, fmt.Errorf("proxy tls: %w", err)
		}
		conn = tc
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	req := &http.Request{Method: http.MethodConnect, URL: &url.URL{Opaque: host}, Host: host, Header: http.Header{}}
	if pu.User != nil {
		req.SetBasicAuth(pu.User.Username(), func() string { p, _ := pu.User.Password(); return p }())
		req.Header.Set("Proxy-Authorization", req.Header.Get("Authorization"))
		req.Header.Del("Authorization")
	}
	if err := req.Write(conn); err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("proxy: %w", err)
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, req)
	if err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("proxy: %w", err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_ = conn.Close()
		return nil, fmt.Errorf("proxy CONNECT: %s", resp.Status)
	}
	if br.Buffered() > 0 {
		_ = conn.Close()
		return nil, errors.New("proxy sent data before the tunnel opened")
	}
	_ = conn.SetDeadline(time.Time{})
	return conn, nil
}

// edgeSession collects one synthesis from the service's messages.
type edgeSession struct {
	gws.BuiltinEventHandler
	subtitles bool

	mu    sync.Mutex
	audio bytes.Buffer
	subs  []EdgeSubtitle
	err   error
	done  chan struct{}
	once  sync.Once
}

func (s *edgeSession) finish(err error) {
	s.once.Do(func() {
		s.mu.Lock()
		s.err = err
		s.mu.Unlock()
		close(s.done)
	})
}

func (s *edgeSession) OnClose(_ *gws.Conn, err error) {
	s.finish(fmt.Errorf("connection closed before the audio ended: %w", err))
}

// edgeHeaders splits a text message into its headers and body.
func edgeHeaders(b []byte) (map[string]string, []byte) {
	head, body, _ := bytes.Cut(b, []byte("\r\n\r\n"))
	h := map[string]string{}
	for _, line := range strings.Split(string(head), "\r\n") {
		if k, v, ok := strings.Cut(line, ":"); ok {
			h[strings.ToLower(strings.TrimSpace(k))] = strings.TrimSpace(v)
		}
	}
	return h, body
}

func (s *edgeSession) OnMessage(_ *gws.Conn, m *gws.Message) {
	defer m.Close()
	b := m.Bytes()
	if m.Opcode == gws.OpcodeBinary {
		// Binary frames: a 2-byte big-endian header length, the headers, then audio.
		if len(b) < 2 {
			return
		}
		n := int(binary.BigEndian.Uint16(b[:2]))
		if 2+n > len(b) {
			s.finish(errors.New("malformed audio frame"))
			return
		}
		h, _ := edgeHeaders(append(append([]byte(nil), b[2:2+n]...), "\r\n\r\n"...))
		if !strings.EqualFold(h["path"], "audio") {
			return
		}
		s.mu.Lock()
		s.audio.Write(b[2+n:])
		over := s.audio.Len() > MaxAudioBytes
		s.mu.Unlock()
		if over {
			s.finish(fmt.Errorf("audio larger than %d bytes", MaxAudioBytes))
		}
		return
	}
	h, body := edgeHeaders(b)
	switch strings.ToLower(h["path"]) {
	case "turn.end":
		s.finish(nil)
	case "audio.metadata":
		if !s.subtitles {
			return
		}
		var md struct {
			Metadata []struct {
				Type string `json:"Type"`
				Data struct {
					Offset   float64 `json:"Offset"`
					Duration float64 `json:"Duration"`
					Text     struct {
						Text string `json:"Text"`
					} `json:"text"`
				} `json:"Data"`
			} `json:"Metadata"`
		}
		if json.Unmarshal(body, &md) != nil {
			return
		}
		s.mu.Lock()
		for _, x := range md.Metadata {
			if x.Type == "WordBoundary" {
				// Offsets are in 100 ns ticks.
				s.subs = append(s.subs, EdgeSubtitle{Part: x.Data.Text.Text, Start: x.Data.Offset / 10_000, End: (x.Data.Offset + x.Data.Duration) / 10_000})
			}
		}
		s.mu.Unlock()
	}
}

// edgeTimestamp is the X-Timestamp header's JavaScript-style date.
func edgeTimestamp(now time.Time) string {
	return now.UTC().Format("Mon Jan 02 2006 15:04:05 GMT+0000 (Coordinated Universal Time)")
}

// edge synthesises text with Microsoft Edge's read-aloud service: a WebSocket that
// takes a speech.config message (the output format) and an SSML message, and answers
// with binary audio frames and text frames (metadata, turn.end).
func (y *synth) edge(ctx context.Context, e Edge, text string) (edgeResult, error) {
	ctx, cancel := context.WithTimeout(ctx, e.Timeout)
	defer cancel()
	addr, err := edgeURL(e, y.now())
	if err != nil {
		return edgeResult{}, err
	}
	target, _ := url.Parse(addr)
	conn, err := dialEdge(ctx, e, target)
	if err != nil {
		if ctx.Err() != nil {
			return edgeResult{}, errors.New("request timed out")
		}
		return edgeResult{}, fmt.Errorf("connect: %w", err)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	sess := &edgeSession{subtitles: e.SaveSubtitles, done: make(chan struct{})}
	hdr := http.Header{}
	hdr.Set("Origin", edgeOrigin)
	hdr.Set("User-Agent", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 Edg/130.0.0.0")
	hdr.Set("Pragma", "no-cache")
	hdr.Set("Cache-Control", "no-cache")
	ws, _, err := gws.NewClientFromConn(sess, &gws.ClientOption{Addr: addr, RequestHeader: hdr, HandshakeTimeout: e.Timeout,
		ReadMaxPayloadSize: maxEdgeMessageBytes, Recovery: gws.Recovery}, conn)
	if err != nil {
		_ = conn.Close()
		if ctx.Err() != nil {
			return edgeResult{}, errors.New("request timed out")
		}
		return edgeResult{}, fmt.Errorf("handshake: %w", err)
	}
	defer ws.NetConn().Close()
	go ws.ReadLoop()
	now := y.now()
	cfg := "X-Timestamp:" + edgeTimestamp(now) + "\r\nContent-Type:application/json; charset=utf-8\r\nPath:speech.config\r\n\r\n" +
		`{"context":{"synthesis":{"audio":{"metadataoptions":{"sentenceBoundaryEnabled":"false","wordBoundaryEnabled":"true"},"outputFormat":"` + e.OutputFormat + `"}}}}`
	ssml := "X-RequestId:" + randomHex(16) + "\r\nContent-Type:application/ssml+xml\r\nX-Timestamp:" + edgeTimestamp(now) + "Z\r\nPath:ssml\r\n\r\n" + EdgeSSML(e, text)
	for _, msg := range []string{cfg, ssml} {
		if err := ws.WriteString(msg); err != nil {
			return edgeResult{}, fmt.Errorf("send: %w", err)
		}
	}
	select {
	case <-sess.done:
	case <-ctx.Done():
		return edgeResult{}, errors.New("request timed out")
	}
	_ = ws.WriteClose(1000, nil)
	sess.mu.Lock()
	defer sess.mu.Unlock()
	if sess.err != nil {
		return edgeResult{}, sess.err
	}
	if sess.audio.Len() == 0 {
		return edgeResult{}, errors.New("no audio received")
	}
	return edgeResult{audio: bytes.Clone(sess.audio.Bytes()), subtitles: sess.subs}, nil
}
