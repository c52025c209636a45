package whatsapp

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/clawgate/gateway/server/providers"
)

// A reply's local media file (Outbound.MediaPath) goes through the same upload path
// as media by URL: sniffed type, the text as caption, the mediaMaxMb limit.
func TestSendLocalMediaFile(t *testing.T) {
	const limit = 1 << 20
	dir := t.TempDir()
	png := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{7}, 100)...)
	pdf := []byte("%PDF-1.4\n%fake\n")
	files := map[string][]byte{"chart.bin": png, "report.pdf": pdf, "big.bin": bytes.Repeat([]byte{0xff}, limit+1)}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	p, fs := linkedProvider(t, Config{MediaMaxMB: 1})
	ctx := ctx10(t)
	c := fs.last()

	_, err := p.Send(ctx, providers.Outbound{To: "+15551234567", Text: "x", MediaPath: filepath.Join(dir, "big.bin")})
	var ie *providers.InputError
	if !errors.As(err, &ie) || c.uploads != 0 || len(c.sentMsgs()) != 0 {
		t.Fatalf("over the limit: %v (%d uploads)", err, c.uploads)
	}
	if _, err := p.Send(ctx, providers.Outbound{To: "+15551234567", Text: "the chart", MediaPath: filepath.Join(dir, "chart.bin")}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Send(ctx, providers.Outbound{To: "+15551234567", MediaPath: filepath.Join(dir, "report.pdf")}); err != nil {
		t.Fatal(err)
	}
	got := c.sentMsgs()
	if len(got) != 2 || len(c.uploaded) != 2 {
		t.Fatalf("sent %d, uploaded %d", len(got), len(c.uploaded))
	}
	if im := got[0].msg.GetImageMessage(); im.GetMimetype() != "image/png" || im.GetCaption() != "the chart" || !bytes.Equal(c.uploaded[0], png) {
		t.Errorf("image message: %v", got[0].msg)
	}
	if dm := got[1].msg.GetDocumentMessage(); dm.GetMimetype() != "application/pdf" || dm.GetFileName() != "report.pdf" || !bytes.Equal(c.uploaded[1], pdf) {
		t.Errorf("document message: %v", got[1].msg)
	}
}
