// Package memtest is a fake OpenAI-compatible /embeddings server for tests of the memory
// index: deterministic bag-of-words vectors in which a few words share a "concept"
// dimension, so a query can match a chunk by meaning without sharing a word with it.
package memtest

import (
	"encoding/json"
	"hash/fnv"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// Dims is the vectors' length.
const Dims = 64

// concepts maps words to shared dimensions (0..7): synonyms embed alike.
var concepts = map[string]int{
	"car": 0, "automobile": 0, "sedan": 0, "vehicle": 0,
	"dog": 1, "puppy": 1, "canine": 1,
	"birthday": 2, "anniversary": 2,
}

var word = regexp.MustCompile(`[a-z0-9]+`)

// Vector is the fake embedding of text.
func Vector(text string) []float32 {
	v := make([]float32, Dims)
	for _, w := range word.FindAllString(strings.ToLower(text), -1) {
		if d, ok := concepts[w]; ok {
			v[d]++
			continue
		}
		h := fnv.New32a()
		h.Write([]byte(w))
		v[8+int(h.Sum32()%(Dims-8))]++
	}
	return v
}

// Server is the fake endpoint.
type Server struct {
	*httptest.Server
	mu       sync.Mutex
	requests int
	inputs   []string
	auth     []string
	models   []string
	headers  []http.Header
	// Block, when set, holds every request until the client gives up (timeouts).
	Block chan struct{}
}

// New starts a fake /embeddings server on 127.0.0.1; it stops with the test.
func New(t testing.TB) *Server {
	s := &Server{}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/v1/embeddings" || r.Method != http.MethodPost {
		http.NotFound(w, r)
		return
	}
	if s.Block != nil {
		select {
		case <-s.Block:
		case <-r.Context().Done():
			return
		}
	}
	var req struct {
		Model string   `json:"model"`
		Input []string `json:"input"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.requests++
	s.inputs = append(s.inputs, req.Input...)
	s.auth = append(s.auth, r.Header.Get("Authorization"))
	s.models = append(s.models, req.Model)
	s.headers = append(s.headers, r.Header.Clone())
	s.mu.Unlock()
	type item struct {
		Object    string    `json:"object"`
		Index     int       `json:"index"`
		Embedding []float32 `json:"embedding"`
	}
	out := struct {
		Object string `json:"object"`
		Data   []item `json:"data"`
		Model  string `json:"model"`
	}{Object: "list", Model: req.Model}
	for i, in := range req.Input {
		out.Data = append(out.Data, item{Object: "embedding", Index: i, Embedding: Vector(in)})
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(out)
}

// BaseURL is the value for memorySearch.remote.baseUrl.
func (s *Server) BaseURL() string { return s.URL + "/v1" }

// Inputs returns the texts embedded so far and resets the record.
func (s *Server) Inputs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	in := s.inputs
	s.inputs = nil
	return in
}

// Auth returns the Authorization headers seen so far.
func (s *Server) Auth() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.auth...)
}

// Requests returns the model and headers of each request so far.
func (s *Server) Requests() (models []string, headers []http.Header) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.models...), append([]http.Header(nil), s.headers...)
}
