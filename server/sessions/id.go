package sessions

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
)

// transcriptID is a new transcript (session) id: a version 7 UUID (RFC 9562), whose
// first 48 bits are the creation time in milliseconds. Still a UUID for clients, but
// new ids sort after older ones, so the indexes keyed by it (transcripts, sessions'
// session_id, messages by transcript) grow at their right edge: a batch of new
// sessions dirties one leaf page of each instead of one per session (random ids).
func transcriptID(ms int64) string {
	var b [16]byte
	_, _ = rand.Read(b[6:])
	var ts [8]byte
	binary.BigEndian.PutUint64(ts[:], uint64(ms))
	copy(b[:6], ts[2:])
	b[6] = b[6]&0x0f | 0x70
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
