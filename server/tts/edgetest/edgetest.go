// Package edgetest is a fake of Microsoft Edge's read-aloud speech service for
// tests: a WebSocket server on 127.0.0.1 that records what a client sends (the
// speech.config and SSML messages, the URL and headers) and answers with word
// metadata, audio frames and turn.end, as the real service does.
package edgetest

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/lxzan/gws"
)

// Request is one synthesis a client asked for.
type Request struct {
	Query  url.Values
	Header http.Header
	Config string // the speech.config message
	SSML   string // the ssml message's body
	Format string // the output format the config asked for
}

// Server is the fake service.
type Server struct {
	srv *httptest.Server

	mu     sync.Mutex
	reqs   []Request
	audio  []byte
	reject func(format string) bool
	hang   bool
}

// SetAudio sets what the service answers, sent as two frames; default "ID3-edge-audio".
func (s *Server) SetAudio(b []byte) { s.mu.Lock(); s.audio = bytes.Clone(b); s.mu.Unlock() }

// SetReject: when f returns true for an output format, the connection is closed
// instead of answered (an unsupported format).
func (s *Server) SetReject(f func(format string) bool) { s.mu.Lock(); s.reject = f; s.mu.Unlock() }

// SetHang: the turn never ends (a stalled service).
func (s *Server) SetHang(on bool) { s.mu.Lock(); s.hang = on; s.mu.Unlock() }

// New starts the fake on 127.0.0.1; it stops when the test ends.
func New(t testing.TB) *Server {
	s := &Server{audio: []byte("ID3-edge-audio")}
	up := gws.NewUpgrader(&handler{s: s}, &gws.ServerOption{Recovery: gws.Recovery})
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.reqs = append(s.reqs, Request{Query: r.URL.Query(), Header: r.Header.Clone()})
		s.mu.Unlock()
		c, err := up.Upgrade(w, r)
		if err != nil {
			return
		}
		go c.ReadLoop()
	}))
	t.Cleanup(s.srv.Close)
	return s
}

// URL is the endpoint (ws://127.0.0.1:port/edge).
func (s *Server) URL() string { return "ws" + strings.TrimPrefix(s.srv.URL, "http") + "/edge" }

// Addr is the listener's host:port.
func (s *Server) Addr() string { return s.srv.Listener.Addr().String() }

// Requests are the syntheses asked for so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.reqs...)
}

type handler struct {
	gws.BuiltinEventHandler
	s *Server
}

func (h *handler) last(f func(r *Request)) {
	h.s.mu.Lock()
	defer h.s.mu.Unlock()
	if n := len(h.s.reqs); n > 0 {
		f(&h.s.reqs[n-1])
	}
}

func textFrame(path, body string) string {
	return "X-RequestId:abc\r\nContent-Type:application/json; charset=utf-8\r\nPath:" + path + "\r\n\r\n" + body
}

func audioFrame(chunk []byte) []byte {
	head := []byte("X-RequestId:abc\r\nContent-Type:audio/mpeg\r\nPath:audio\r\n")
	b := binary.BigEndian.AppendUint16(nil, uint16(len(head)))
	return append(append(b, head...), chunk...)
}

func (h *handler) OnMessage(c *gws.Conn, m *gws.Message) {
	defer m.Close()
	msg := m.Data.String()
	head, body, _ := strings.Cut(msg, "\r\n\r\n")
	switch {
	case strings.Contains(head, "Path:speech.config"):
		var cfg struct {
			Context struct {
				Synthesis struct {
					Audio struct {
						OutputFormat string `json:"outputFormat"`
					} `json:"audio"`
				} `json:"synthesis"`
			} `json:"context"`
		}
		_ = json.Unmarshal([]byte(body), &cfg)
		h.last(func(r *Request) { r.Config, r.Format = msg, cfg.Context.Synthesis.Audio.OutputFormat })
	case strings.Contains(head, "Path:ssml"):
		var format string
		h.last(func(r *Request) { r.SSML, format = body, r.Format })
		h.s.mu.Lock()
		reject, hang, audio := h.s.reject, h.s.hang, bytes.Clone(h.s.audio)
		h.s.mu.Unlock()
		if reject != nil && reject(format) {
			_ = c.WriteClose(1007, []byte("unsupported output format"))
			return
		}
		_ = c.WriteString(textFrame("turn.start", `{}`))
		md := `{"Metadata":[{"Type":"WordBoundary","Data":{"Offset":1000000,"Duration":4000000,"text":{"Text":"Hello","Length":5,"BoundaryType":"WordBoundary"}}}]}`
		_ = c.WriteString(textFrame("audio.metadata", md))
		if hang {
			return
		}
		half := len(audio) / 2
		_ = c.WriteMessage(gws.OpcodeBinary, audioFrame(audio[:half]))
		_ = c.WriteMessage(gws.OpcodeBinary, audioFrame(audio[half:]))
		_ = c.WriteString(textFrame("turn.end", `{}`))
	}
}
