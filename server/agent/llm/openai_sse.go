package llm

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/http"
	"sync"

	"github.com/openai/openai-go/v3/packages/ssestream"
)

// The OpenAI step reads its event stream with sseDecoder, the SDK's text/event-stream
// decoder (ssestream.NewDecoder's eventStreamDecoder) line for line, except that the
// scanner's buffer comes from a pool: the SDK's decoder allocated a fresh 4 KiB
// buffer for every model step (≈ 12 % of the gateway's allocated bytes per text turn
// once the request body was pooled). TestSSEDecoderMatchesSDK holds the two to the
// same events and errors. The SDK's decoder registry (ssestream.RegisterDecoder,
// keyed by content type) is not consulted: nothing in the gateway registers one.

// sseScanBufferSize is the scanner buffer a step starts with (bufio's own start
// size); an event line longer than it grows the scanner past the pooled buffer.
const sseScanBufferSize = 4096

// sseMaxLine is the longest event line accepted, as the SDK's decoder sets it.
const sseMaxLine = bufio.MaxScanTokenSize << 9

var errDecoderClosed = errors.New("llm: event stream already closed")

// ssePool hands out scanner buffers. The zero value is ready to use.
type ssePool struct {
	pool sync.Pool // *[]byte of capacity sseScanBufferSize
}

// newDecoder is ssestream.NewDecoder for a text/event-stream body; nil without a
// response, as there.
func (p *ssePool) newDecoder(res *http.Response) ssestream.Decoder {
	if res == nil || res.Body == nil {
		return nil
	}
	buf, _ := p.pool.Get().(*[]byte)
	if buf == nil {
		b := make([]byte, sseScanBufferSize)
		buf = &b
	}
	scn := bufio.NewScanner(res.Body)
	scn.Buffer((*buf)[:0], sseMaxLine)
	return &sseDecoder{rc: res.Body, scn: scn, buf: buf, pool: p}
}

// sseDecoder is the SDK's eventStreamDecoder with a pooled scanner buffer, given back
// on Close; Next after Close reports errDecoderClosed and reads nothing.
type sseDecoder struct {
	evt  ssestream.Event
	rc   io.ReadCloser
	scn  *bufio.Scanner
	buf  *[]byte
	pool *ssePool
	err  error
}

func (s *sseDecoder) Next() bool {
	if s.err != nil {
		return false
	}
	event := ""
	var data []byte
	for s.scn.Scan() {
		txt := s.scn.Bytes()
		// Dispatch the event on an empty line.
		if len(txt) == 0 {
			if len(data) == 0 {
				event = ""
				continue
			}
			s.evt = ssestream.Event{Type: event, Data: data}
			return true
		}
		// "event: bar" → name "event", value " bar"; one space after the colon is dropped.
		name, value, _ := bytes.Cut(txt, []byte(":"))
		if len(value) > 0 && value[0] == ' ' {
			value = value[1:]
		}
		switch string(name) {
		case "": // a comment line
			continue
		case "event":
			event = string(value)
		case "data":
			data = append(data, value...)
			data = append(data, '\n')
		}
	}
	if err := s.scn.Err(); err != nil {
		s.err = err
	}
	return false
}

func (s *sseDecoder) Event() ssestream.Event { return s.evt }

func (s *sseDecoder) Err() error {
	if errors.Is(s.err, errDecoderClosed) {
		return nil
	}
	return s.err
}

// Close closes the body and gives the buffer back: event data is copied out of it
// line by line, so nothing handed out refers to it.
func (s *sseDecoder) Close() error {
	if s.buf != nil {
		s.scn = nil
		s.pool.pool.Put(s.buf)
		s.buf = nil
		if s.err == nil {
			s.err = errDecoderClosed
		}
	}
	return s.rc.Close()
}
