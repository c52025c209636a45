package openaihttp

import (
	"encoding/json"
	"net/http"
)

// sse writes server-sent events, each flushed at once under a fresh write deadline.
// After a failed write (the caller is gone or stalled) every later write is a no-op.
type sse struct {
	w      http.ResponseWriter
	rc     *http.ResponseController
	h      *Handler
	broken bool
}

func newSSE(w http.ResponseWriter, h *Handler) *sse {
	w.Header().Set("Content-Type", "text/event-stream; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("Connection", "keep-alive")
	s := &sse{w: w, rc: http.NewResponseController(w), h: h}
	h.writeDeadline(w)
	w.WriteHeader(http.StatusOK)
	s.flush()
	return s
}

func (s *sse) flush() bool {
	if s.broken {
		return false
	}
	if err := s.rc.Flush(); err != nil {
		s.broken = true
	}
	return !s.broken
}

func (s *sse) write(b []byte) bool {
	if s.broken {
		return false
	}
	s.h.writeDeadline(s.w)
	if _, err := s.w.Write(b); err != nil {
		s.broken = true
		return false
	}
	return s.flush()
}

// data writes one unnamed event (chat completions).
func (s *sse) data(v any) bool { return s.event("", v) }

// event writes one event; name "" leaves out the event line.
func (s *sse) event(name string, v any) bool {
	b, err := json.Marshal(v)
	if err != nil {
		s.broken = true
		return false
	}
	out := make([]byte, 0, len(b)+len(name)+16)
	if name != "" {
		out = append(append(append(out, "event: "...), name...), '\n')
	}
	out = append(append(append(out, "data: "...), b...), "\n\n"...)
	return s.write(out)
}

// done writes the final "data: [DONE]".
func (s *sse) done() bool { return s.write([]byte("data: [DONE]\n\n")) }
