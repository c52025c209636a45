//go:build unix

package canvas

import (
	"net/http"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestFIFONotServed (issue 15 #10): a FIFO in the root is refused at once (404)
// instead of blocking the request — and an OS thread — in open(2).
func TestFIFONotServed(t *testing.T) {
	root := t.TempDir()
	must(t, syscall.Mkfifo(filepath.Join(root, "pipe.html"), 0o644))
	must(t, syscall.Mkfifo(filepath.Join(root, "index.html"), 0o644))
	_, srv := newHost(t, root, true)
	client := &http.Client{Timeout: 5 * time.Second}
	for _, p := range []string{"pipe.html", "", "index.html"} {
		res, err := client.Get(srv.URL + FilesPrefix + p)
		if err != nil {
			t.Fatalf("GET %q: %v (blocked on the FIFO?)", p, err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusNotFound {
			t.Fatalf("GET %q: %d, want 404", p, res.StatusCode)
		}
	}
}
