package whatsapp

import (
	"encoding/base64"
	"fmt"
	"strings"

	qrcode "github.com/skip2/go-qrcode"
)

// QRPNGSize is the side of the PNG in web.login.start's data URL, in pixels.
const QRPNGSize = 256

// RenderQRText draws code for a terminal with Unicode half blocks (two modules per
// character row). Light modules are drawn, dark ones left blank, so on the usual dark
// terminal background the code has the right polarity; the quiet zone is included.
func RenderQRText(code string) (string, error) {
	q, err := qrcode.New(code, qrcode.Low)
	if err != nil {
		return "", fmt.Errorf("qr: %w", err)
	}
	bm := q.Bitmap() // true = dark module; includes a 4-module border
	var b strings.Builder
	for y := 0; y < len(bm); y += 2 {
		for x := range bm[y] {
			top := !bm[y][x]
			bottom := y+1 < len(bm) && !bm[y+1][x]
			if y+1 >= len(bm) {
				bottom = false
			}
			switch {
			case top && bottom:
				b.WriteRune('█')
			case top:
				b.WriteRune('▀')
			case bottom:
				b.WriteRune('▄')
			default:
				b.WriteRune(' ')
			}
		}
		b.WriteByte('\n')
	}
	return b.String(), nil
}

// QRDataURL returns code as a data:image/png;base64 URL.
func QRDataURL(code string) (string, error) {
	png, err := qrcode.Encode(code, qrcode.Medium, QRPNGSize)
	if err != nil {
		return "", fmt.Errorf("qr: %w", err)
	}
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(png), nil
}
