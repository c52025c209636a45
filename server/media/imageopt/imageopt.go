// Package imageopt prepares the pictures the agent sends for a chat network, as the
// original does before every outbound image: the picture is decoded, turned upright
// (EXIF orientation), scaled down to at most 2048 px on its longer side and encoded
// again — JPEG at the first quality that fits the size cap, or PNG while it keeps a
// transparent picture within the cap. Re-encoding also drops what the file carried
// besides pixels (EXIF with GPS position, camera serials, comments), which a person
// sending their own photos through an assistant rarely means to share.
//
// GIFs (animations), SVGs and formats Go cannot decode (HEIC) go out as they are,
// within the cap.
package imageopt

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"image/png"

	_ "golang.org/x/image/bmp" // registers the BMP decoder for image.Decode
	xdraw "golang.org/x/image/draw"
	_ "golang.org/x/image/webp" // registers the WebP decoder
)

// Sides are the longer-side bounds tried in order, and Qualities the JPEG qualities
// tried at each: the original's grid. The first encoding within the cap wins.
var (
	Sides     = []int{2048, 1536, 1280, 1024, 800}
	Qualities = []int{80, 70, 60, 50, 40}
)

// MaxPixels bounds the pictures decoded (width × height, read from the header before
// decoding): 40 MP is a 160 MB RGBA buffer at worst, larger than any phone camera's
// photo. Larger pictures are refused rather than decoded.
const MaxPixels = 40_000_000

// ErrTooLarge: even the smallest encoding is over the cap (or the picture is one that
// is sent as it is and is over the cap).
var ErrTooLarge = errors.New("image over the size cap")

// ErrTooManyPixels: the picture's dimensions exceed MaxPixels.
var ErrTooManyPixels = errors.New("image dimensions over the decode limit")

// Result is a picture ready to send.
type Result struct {
	Data []byte
	// MIME is the type of Data ("image/jpeg" or "image/png" after re-encoding, else
	// the input's).
	MIME string
	// Side and Quality are the bounds of the encoding used (0 when the input went
	// out unchanged; Quality is 0 for PNG).
	Side, Quality int
	// Changed: Data is a new encoding, not the input.
	Changed bool
}

// Optimize prepares data (of type mimeType, as sniffed) for sending with at most
// maxBytes. See the package comment for what it does.
func Optimize(data []byte, mimeType string, maxBytes int64) (Result, error) {
	asIs := Result{Data: data, MIME: mimeType}
	switch mimeType {
	case "image/jpeg", "image/png", "image/webp", "image/bmp":
	default:
		// image/gif keeps its animation; svg, heic and others are not decoded here.
		if int64(len(data)) > maxBytes {
			return Result{}, fmt.Errorf("%w: %s of %d bytes, cap %d", ErrTooLarge, mimeType, len(data), maxBytes)
		}
		return asIs, nil
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return undecodable(data, mimeType, maxBytes, err)
	}
	if int64(cfg.Width)*int64(cfg.Height) > MaxPixels {
		return Result{}, fmt.Errorf("%w: %dx%d, limit %d pixels", ErrTooManyPixels, cfg.Width, cfg.Height, MaxPixels)
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return undecodable(data, mimeType, maxBytes, err)
	}
	o := 1
	if mimeType == "image/jpeg" {
		o = exifOrientation(data)
	}
	alpha := hasAlpha(img)
	var smallest Result
	for _, side := range Sides {
		// Each smaller side scales the previous step's picture, not the original:
		// the sides are descending, and a 12 MP source resampled five times cost
		// seconds.
		img = fit(img, side)
		scaled := orient(img, o)
		if alpha {
			// Transparency survives only in PNG; JPEG is the fallback when even the
			// smallest PNG is over the cap (the original does the same).
			var b bytes.Buffer
			if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&b, scaled); err != nil {
				return Result{}, fmt.Errorf("encode png: %w", err)
			}
			if int64(b.Len()) <= maxBytes {
				return Result{Data: b.Bytes(), MIME: "image/png", Side: side, Changed: true}, nil
			}
		}
		opaque := flatten(scaled)
		for _, q := range Qualities {
			var b bytes.Buffer
			if err := jpeg.Encode(&b, opaque, &jpeg.Options{Quality: q}); err != nil {
				return Result{}, fmt.Errorf("encode jpeg: %w", err)
			}
			r := Result{Data: b.Bytes(), MIME: "image/jpeg", Side: side, Quality: q, Changed: true}
			if int64(b.Len()) <= maxBytes {
				return r, nil
			}
			if smallest.Data == nil || len(r.Data) < len(smallest.Data) {
				smallest = r
			}
		}
	}
	return Result{}, fmt.Errorf("%w: smallest encoding %d bytes (side %d, quality %d), cap %d", ErrTooLarge, len(smallest.Data), smallest.Side, smallest.Quality, maxBytes)
}

// undecodable: a file whose type says picture but whose bytes do not decode goes as
// it is when it fits (the network may still show it), as the original sends what its
// image library cannot read.
func undecodable(data []byte, mimeType string, maxBytes int64, err error) (Result, error) {
	if int64(len(data)) > maxBytes {
		return Result{}, fmt.Errorf("%w: undecodable %s (%v) of %d bytes, cap %d", ErrTooLarge, mimeType, err, len(data), maxBytes)
	}
	return Result{Data: data, MIME: mimeType}, nil
}

// fit scales img down so that its longer side is at most side (never up).
func fit(img image.Image, side int) image.Image {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w <= side && h <= side {
		return img
	}
	nw, nh := side, side
	if w >= h {
		nh = max(1, int(int64(h)*int64(side)/int64(w)))
	} else {
		nw = max(1, int(int64(w)*int64(side)/int64(h)))
	}
	dst := image.NewRGBA(image.Rect(0, 0, nw, nh))
	xdraw.CatmullRom.Scale(dst, dst.Bounds(), img, b, draw.Src, nil)
	return dst
}

// hasAlpha reports whether any pixel of img is not fully opaque.
func hasAlpha(img image.Image) bool {
	switch m := img.(type) {
	case *image.YCbCr, *image.Gray, *image.CMYK:
		return false
	case *image.NRGBA:
		for i := 3; i < len(m.Pix); i += 4 {
			if m.Pix[i] != 0xff {
				return true
			}
		}
		return false
	case *image.RGBA:
		for i := 3; i < len(m.Pix); i += 4 {
			if m.Pix[i] != 0xff {
				return true
			}
		}
		return false
	}
	if o, ok := img.(interface{ Opaque() bool }); ok {
		return !o.Opaque()
	}
	return true
}

// flatten puts img on white: JPEG has no transparency, and white is how a
// transparent logo or sticker is usually meant to look.
func flatten(img image.Image) image.Image {
	if !hasAlpha(img) {
		return img
	}
	dst := image.NewRGBA(img.Bounds())
	draw.Draw(dst, dst.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	draw.Draw(dst, dst.Bounds(), img, img.Bounds().Min, draw.Over)
	return dst
}
