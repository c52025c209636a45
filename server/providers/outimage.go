package providers

import (
	"errors"
	"path/filepath"
	"strings"

	"github.com/clawgate/gateway/server/media/imageopt"
)

// MaxImageSourceBytes bounds a picture read for sending. It is read even when it is
// over the channel's media cap, because re-encoding (PrepareImage) usually brings a
// phone photo far under it, as the original does; anything else over the cap is
// refused as before.
const MaxImageSourceBytes = 32 << 20

// PrepareImage makes an outbound picture ready for a chat network: upright, at most
// 2048 px, re-encoded within maxBytes and without its metadata (see
// server/media/imageopt). It returns the bytes to send, their type and the file name
// to use (the extension follows a change of type). A picture that cannot be brought
// under the cap is the caller's input error.
func PrepareImage(data []byte, mimeType, name string, maxBytes int64) ([]byte, string, string, error) {
	r, err := imageopt.Optimize(data, mimeType, maxBytes)
	if errors.Is(err, imageopt.ErrTooLarge) || errors.Is(err, imageopt.ErrTooManyPixels) {
		return nil, "", "", Inputf("media %s: %v", name, err)
	}
	if err != nil {
		return nil, "", "", err
	}
	if r.MIME != mimeType {
		name = renameFor(name, r.MIME)
	}
	return r.Data, r.MIME, name, nil
}

// renameFor gives name the extension of mimeType (photo.png → photo.jpg).
func renameFor(name, mimeType string) string {
	ext := map[string]string{"image/jpeg": ".jpg", "image/png": ".png"}[mimeType]
	if ext == "" {
		return name
	}
	base := strings.TrimSuffix(name, filepath.Ext(name))
	if base == "" {
		base = "image"
	}
	return base + ext
}
