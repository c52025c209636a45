//go:build !unix

package gateway

import "syscall"

// writevNonBlocking writes nothing where there is no writev: the writer goroutine
// (net.Buffers) does the job.
func writevNonBlocking(_ syscall.RawConn, segs [][]byte) (rest [][]byte, n int, err error) {
	return segs, 0, nil
}
