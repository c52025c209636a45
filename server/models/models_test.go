package models

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	genconfig "github.com/clawgate/gateway/gen/go/config"
)

// modelsServer is an OpenAI-compatible /models endpoint on 127.0.0.1.
func modelsServer(t *testing.T, handler http.HandlerFunc) *httptest.Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &httptest.Server{Listener: ln, Config: &http.Server{Handler: handler}}
	s.Start()
	t.Cleanup(s.Close)
	return s
}

func cfg(t *testing.T, js string) *genconfig.ClawdbotConfig {
	t.Helper()
	var c genconfig.ClawdbotConfig
	if err := json.Unmarshal([]byte(js), &c); err != nil {
		t.Fatal(err)
	}
	return &c
}

func summary(ms []Model) []string {
	var out []string
	for _, m := range ms {
		s := m.Provider + "/" + m.ID + "=" + m.Name
		if m.ContextWindow > 0 {
			s += "@" + itoa(m.ContextWindow)
		}
		if m.Reasoning != nil && *m.Reasoning {
			s += "+r"
		}
		out = append(out, s)
	}
	return out
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestListMergesConfiguredDiscoveredAndAgentModels(t *testing.T) {
	var auth atomic.Value
	srv := modelsServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/models" {
			http.NotFound(w, r)
			return
		}
		auth.Store(r.Header.Get("Authorization"))
		_, _ = w.Write([]byte(`{"object":"list","data":[{"id":"llama3","object":"model"},{"id":"qwen2"},{"id":""}]}`))
	})
	c := New(Options{})
	conf := cfg(t, `{"models":{"providers":{
		"local":{"baseUrl":"`+srv.URL+`/v1","apiKey":"sk-test","models":[{"id":"llama3","name":"Llama 3","contextWindow":8192,"reasoning":true}]},
		"anth":{"api":"anthropic-messages","baseUrl":"`+srv.URL+`","models":[{"id":"claude","name":"Claude"}]}}},
		"agents":{"defaults":{"model":{"primary":"openai/gpt-4o-mini","fallbacks":["local/llama3"]}}}}`)
	got := summary(c.List(context.Background(), conf))
	want := []string{"anth/claude=Claude", "local/llama3=Llama 3@8192+r", "local/qwen2=qwen2", "openai/gpt-4o-mini=gpt-4o-mini"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v\nwant %v", got, want)
	}
	if auth.Load() != "Bearer sk-test" {
		t.Fatalf("authorization %v", auth.Load())
	}
	if c.Queries() != 1 {
		t.Fatalf("queries %d (the anthropic provider must not be queried)", c.Queries())
	}
}

func TestCacheTTLAndFailures(t *testing.T) {
	var hits atomic.Int32
	var fail atomic.Bool
	srv := modelsServer(t, func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if fail.Load() {
			http.Error(w, "down", http.StatusBadGateway)
			return
		}
		_, _ = w.Write([]byte(`{"data":[{"id":"m1"}]}`))
	})
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := New(Options{Now: func() time.Time { return now }, TTL: time.Minute, FailTTL: 10 * time.Second})
	conf := cfg(t, `{"models":{"providers":{"p":{"baseUrl":"`+srv.URL+`"}}}}`)
	ctx := context.Background()
	if got := summary(c.List(ctx, conf)); !reflect.DeepEqual(got, []string{"p/m1=m1"}) {
		t.Fatalf("first %v", got)
	}
	c.List(ctx, conf)
	if hits.Load() != 1 {
		t.Fatalf("cached answer re-queried: %d", hits.Load())
	}
	now = now.Add(61 * time.Second)
	fail.Store(true)
	if got := c.List(ctx, conf); len(got) != 0 {
		t.Fatalf("failed provider listed %v", got)
	}
	c.List(ctx, conf)
	if hits.Load() != 2 {
		t.Fatalf("failure not remembered: %d", hits.Load())
	}
	now = now.Add(11 * time.Second)
	fail.Store(false)
	if got := summary(c.List(ctx, conf)); !reflect.DeepEqual(got, []string{"p/m1=m1"}) || hits.Load() != 3 {
		t.Fatalf("after fail TTL %v hits %d", got, hits.Load())
	}
}

func TestQueryTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := modelsServer(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	c := New(Options{Timeout: 200 * time.Millisecond})
	conf := cfg(t, `{"models":{"providers":{"slow":{"baseUrl":"`+srv.URL+`","models":[{"id":"known"}]}}}}`)
	start := time.Now()
	got := summary(c.List(context.Background(), conf))
	if !reflect.DeepEqual(got, []string{"slow/known=known"}) {
		t.Fatalf("got %v", got)
	}
	if el := time.Since(start); el > 10*time.Second {
		t.Fatalf("took %v", el)
	}
}

func TestBadResponses(t *testing.T) {
	big := make([]byte, MaxResponseBytes+10)
	for i := range big {
		big[i] = ' '
	}
	for name, body := range map[string][]byte{"not json": []byte("<html>"), "too big": big} {
		t.Run(name, func(t *testing.T) {
			srv := modelsServer(t, func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(body) })
			c := New(Options{})
			if got := c.List(context.Background(), cfg(t, `{"models":{"providers":{"p":{"baseUrl":"`+srv.URL+`"}}}}`)); len(got) != 0 {
				t.Fatalf("got %v", got)
			}
		})
	}
}
