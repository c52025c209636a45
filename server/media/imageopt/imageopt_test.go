package imageopt

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"testing"
)

// noisy is a w×h picture of random pixels (compresses badly, so caps bite), with
// a red top-left corner to follow through rotations.
func noisy(w, h int, seed uint64) *image.RGBA {
	r := rand.New(rand.NewPCG(seed, seed))
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := range m.Pix {
		m.Pix[i] = byte(r.IntN(256))
	}
	for i := 3; i < len(m.Pix); i += 4 {
		m.Pix[i] = 0xff
	}
	return m
}

func encJPEG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func encPNG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// withExif inserts an APP1 EXIF segment (orientation o, and a marker string standing
// for GPS data) right after the JPEG's SOI.
func withExif(jpg []byte, o uint16) []byte {
	tiff := []byte("MM\x00\x2a\x00\x00\x00\x08")
	tiff = binary.BigEndian.AppendUint16(tiff, 1) // one entry
	tiff = binary.BigEndian.AppendUint16(tiff, 0x0112)
	tiff = binary.BigEndian.AppendUint16(tiff, 3) // SHORT
	tiff = binary.BigEndian.AppendUint32(tiff, 1)
	tiff = binary.BigEndian.AppendUint16(tiff, o)
	tiff = append(tiff, 0, 0, 0, 0, 0, 0)
	tiff = append(tiff, []byte("GPS 52.5200N 13.4050E")...)
	seg := append([]byte("Exif\x00\x00"), tiff...)
	app1 := []byte{0xFF, 0xE1}
	app1 = binary.BigEndian.AppendUint16(app1, uint16(len(seg)+2))
	app1 = append(app1, seg...)
	return append(append(append([]byte{}, jpg[:2]...), app1...), jpg[2:]...)
}

func decode(t *testing.T, data []byte) image.Image {
	t.Helper()
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("output does not decode: %v", err)
	}
	return img
}

func TestOptimize(t *testing.T) {
	big := encJPEG(t, noisy(2100, 400, 1))
	// A transparent sticker: alpha survives as PNG.
	sticker := image.NewNRGBA(image.Rect(0, 0, 64, 32))
	sticker.Set(1, 1, color.NRGBA{R: 200, A: 128})
	opaquePNG := encPNG(t, noisy(300, 200, 2))
	var gifBuf bytes.Buffer
	pal := image.NewPaletted(image.Rect(0, 0, 8, 8), []color.Color{color.Black, color.White})
	if err := gif.Encode(&gifBuf, pal, nil); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name     string
		data     []byte
		mime     string
		cap      int64
		wantMIME string
		wantW    int // 0: not checked
		wantH    int
		wantQ    int
		changed  bool
		err      error
	}{
		{"big jpeg is scaled to 2048 at q80", big, "image/jpeg", 6 << 20, "image/jpeg", 2048, 390, 80, true, nil},
		{"a tight cap walks the grid down", big, "image/jpeg", 100 << 10, "image/jpeg", 0, 0, 0, true, nil},
		{"nothing fits", big, "image/jpeg", 1000, "", 0, 0, 0, false, ErrTooLarge},
		{"transparent png stays png", encPNG(t, sticker), "image/png", 1 << 20, "image/png", 64, 32, 0, true, nil},
		{"opaque png becomes jpeg", opaquePNG, "image/png", 1 << 20, "image/jpeg", 300, 200, 80, true, nil},
		{"gif goes as it is", gifBuf.Bytes(), "image/gif", 1 << 20, "image/gif", 0, 0, 0, false, nil},
		{"gif over the cap", gifBuf.Bytes(), "image/gif", 10, "", 0, 0, 0, false, ErrTooLarge},
		{"undecodable jpeg goes as it is", []byte("\xff\xd8\xff\xe0 not really"), "image/jpeg", 1 << 20, "image/jpeg", 0, 0, 0, false, nil},
		{"svg is not decoded", []byte("<svg/>"), "image/svg+xml", 1 << 20, "image/svg+xml", 0, 0, 0, false, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r, err := Optimize(c.data, c.mime, c.cap)
			if c.err != nil {
				if !errors.Is(err, c.err) {
					t.Fatalf("err = %v, want %v", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if r.MIME != c.wantMIME || r.Changed != c.changed || int64(len(r.Data)) > c.cap {
				t.Fatalf("got %s changed=%t %d bytes (cap %d), want %s changed=%t", r.MIME, r.Changed, len(r.Data), c.cap, c.wantMIME, c.changed)
			}
			if !c.changed && !bytes.Equal(r.Data, c.data) {
				t.Fatal("unchanged result differs from the input")
			}
			if c.wantQ != 0 && r.Quality != c.wantQ {
				t.Fatalf("quality %d, want %d", r.Quality, c.wantQ)
			}
			if c.name == "a tight cap walks the grid down" && r.Side == Sides[0] && r.Quality == Qualities[0] {
				t.Fatal("a tight cap took the first grid step")
			}
			if c.wantW != 0 {
				b := decode(t, r.Data).Bounds()
				if b.Dx() != c.wantW || b.Dy() != c.wantH {
					t.Fatalf("size %dx%d, want %dx%d", b.Dx(), b.Dy(), c.wantW, c.wantH)
				}
			}
			if c.wantMIME == "image/png" && c.changed {
				if _, _, _, a := decode(t, r.Data).At(1, 1).RGBA(); a == 0xffff {
					t.Fatal("transparency lost")
				}
			}
		})
	}
}

// TestOrientationAndMetadata: a phone photo stored sideways (EXIF orientation 6) comes
// out upright (its red top-left corner at the top right), and the EXIF block with
// its position data is gone.
func TestOrientationAndMetadata(t *testing.T) {
	for _, c := range []struct {
		o          uint16
		w, h       int
		redX, redY int // where the stored top-left pixel must end up
	}{
		{1, 40, 20, 0, 0},
		{3, 40, 20, 39, 19},
		{6, 20, 40, 19, 0},
		{8, 20, 40, 0, 39},
	} {
		src := image.NewRGBA(image.Rect(0, 0, 40, 20))
		for i := range src.Pix {
			src.Pix[i] = 0xff // white
		}
		for y := range 6 {
			for x := range 6 {
				src.Set(x, y, color.RGBA{R: 0xff, A: 0xff})
			}
		}
		in := withExif(encJPEG(t, src), c.o)
		r, err := Optimize(in, "image/jpeg", 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(r.Data, []byte("Exif")) || bytes.Contains(r.Data, []byte("GPS 52")) {
			t.Fatalf("orientation %d: metadata kept", c.o)
		}
		img := decode(t, r.Data)
		if b := img.Bounds(); b.Dx() != c.w || b.Dy() != c.h {
			t.Fatalf("orientation %d: %dx%d, want %dx%d", c.o, b.Dx(), b.Dy(), c.w, c.h)
		}
		if red, g, _, _ := img.At(c.redX, c.redY).RGBA(); red < 0xc000 || g > 0x4000 {
			t.Fatalf("orientation %d: pixel (%d,%d) is not red: %v", c.o, c.redX, c.redY, img.At(c.redX, c.redY))
		}
	}
}

// TestTooManyPixels: a header claiming 10000×5000 is refused before decoding.
func TestTooManyPixels(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := binary.BigEndian.AppendUint32([]byte("IHDR"), 10000)
	ihdr = binary.BigEndian.AppendUint32(ihdr, 5000)
	ihdr = append(ihdr, 8, 2, 0, 0, 0)
	_ = binary.Write(&b, binary.BigEndian, uint32(len(ihdr)-4))
	b.Write(ihdr)
	_ = binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(ihdr))
	if _, err := Optimize(b.Bytes(), "image/png", 1<<30); !errors.Is(err, ErrTooManyPixels) {
		t.Fatalf("err = %v, want ErrTooManyPixels", err)
	}
}

// BenchmarkOptimize12MP: a 4000×3000 phone photo to the 2048 px JPEG the networks get.
func BenchmarkOptimize12MP(b *testing.B) {
	in := encJPEG(b, noisy(4000, 3000, 3))
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		if _, err := Optimize(in, "image/jpeg", 6<<20); err != nil {
			b.Fatal(err)
		}
	}
}
