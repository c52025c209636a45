package telegram_test

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/jpeg"
	imgpng "image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/clawgate/gateway/server/providers"
	"github.com/clawgate/gateway/server/providers/telegram/tgtest"
)

// TestSendPictureReencoded: a picture the agent sends goes out as the original sends
// it: a sideways phone photo (EXIF orientation 6) upright, scaled to 2048 px, as JPEG
// without its EXIF block (and the position in it); an opaque PNG as JPEG with the
// name following; a transparent PNG stays PNG.
func TestSendPictureReencoded(t *testing.T) {
	srv := tgtest.New(t, token)
	srv.AddChat(777)
	p := newProvider(t, srv, token, nil, nil)
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		fp := filepath.Join(dir, name)
		if err := os.WriteFile(fp, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return fp
	}
	photo := image.NewRGBA(image.Rect(0, 0, 2200, 400))
	for i := range photo.Pix {
		photo.Pix[i] = byte(i * 7)
	}
	var jb bytes.Buffer
	if err := jpeg.Encode(&jb, photo, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	opaque, clear := image.NewRGBA(image.Rect(0, 0, 30, 20)), image.NewNRGBA(image.Rect(0, 0, 30, 20))
	for i := range opaque.Pix {
		opaque.Pix[i] = 0xff
	}
	clear.Set(2, 2, color.NRGBA{G: 0xff, A: 0x80})
	cases := []struct {
		file, wantName, wantType string
		data                     []byte
		w, h                     int
	}{
		{"photo.jpg", "photo.jpg", "jpeg", exifJPEG(jb.Bytes(), 6), 372, 2048},
		{"chart.png", "chart.jpg", "jpeg", pngOf(t, opaque), 30, 20},
		{"sticker.png", "sticker.png", "png", pngOf(t, clear), 30, 20},
	}
	for i, c := range cases {
		if _, err := p.Send(ctx10(t), providers.Outbound{To: "777", Text: c.file, MediaPath: write(c.file, c.data)}); err != nil {
			t.Fatalf("%s: %v", c.file, err)
		}
		s := srv.Sent()[i]
		img, typ, err := image.Decode(bytes.NewReader(s.File))
		if err != nil || s.Method != "sendPhoto" || typ != c.wantType || s.FileName != c.wantName {
			t.Fatalf("%s: sent %s %q as %s (%v)", c.file, s.Method, s.FileName, typ, err)
		}
		if b := img.Bounds(); b.Dx() != c.w || b.Dy() != c.h {
			t.Fatalf("%s: %dx%d, want %dx%d", c.file, b.Dx(), b.Dy(), c.w, c.h)
		}
		if bytes.Contains(s.File, []byte("Exif")) || bytes.Contains(s.File, []byte("GPS 52")) {
			t.Fatalf("%s: metadata sent along", c.file)
		}
	}
}

func pngOf(t *testing.T, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := imgpng.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// exifJPEG puts an EXIF block (orientation o, and a stand-in for GPS data) after the
// JPEG's start marker.
func exifJPEG(jpg []byte, o uint16) []byte {
	tiff := []byte("MM\x00\x2a\x00\x00\x00\x08\x00\x01\x01\x12\x00\x03\x00\x00\x00\x01")
	tiff = binary.BigEndian.AppendUint16(tiff, o)
	tiff = append(tiff, make([]byte, 6)...)
	tiff = append(tiff, "GPS 52.5200N 13.4050E"...)
	seg := append([]byte("Exif\x00\x00"), tiff...)
	app1 := binary.BigEndian.AppendUint16([]byte{0xFF, 0xE1}, uint16(len(seg)+2))
	return append(append(append([]byte{}, jpg[:2]...), append(app1, seg...)...), jpg[2:]...)
}
