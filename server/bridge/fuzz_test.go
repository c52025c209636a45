package bridge

import (
	"bufio"
	"bytes"
	"testing"
)

// FuzzBridgeLine feeds arbitrary bytes to the line reader and parser: they never
// panic, a parsed frame re-encodes to a line that parses to the same type, and the
// reader never returns a line over its limit.
func FuzzBridgeLine(f *testing.F) {
	for _, s := range []string{
		`{"type":"hello","nodeId":"ios-1","token":"abc","caps":["camera"],"permissions":{"camera":true}}`,
		`{"type":"pair-request","nodeId":"n","silent":true}`,
		`{"type":"invoke-res","id":"1","ok":false,"error":{"code":"X","message":"y"}}`,
		`{"type":"req","id":"1","method":"health","paramsJSON":null}`,
		`{"type":"event","event":"voice.transcript","payloadJSON":"{\"text\":\"hi\"}"}`,
		`{"type":"ping","id":"1"}`,
		"", "   ", `{"type":`, `[]`, `{"type":1}`, `{"type":"x"} {"type":"y"}`, "\xff\xfe",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fr, err := ParseLine(data)
		if err == nil {
			again, err := ParseLine(encode(fr))
			if err != nil || again.Type != fr.Type {
				t.Fatalf("re-encoded frame does not parse back: %v %+v", err, again)
			}
		}
		const max = 64
		br := bufio.NewReaderSize(bytes.NewReader(data), max+2)
		for {
			line, err := readLine(br, func() int { return max })
			if len(line) > max {
				t.Fatalf("line of %d bytes over the %d limit", len(line), max)
			}
			if err != nil {
				return
			}
		}
	})
}
