//go:build unix

package gateway

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// writevNonBlocking writes as much of segs as the socket accepts right now and
// returns what is left (segs is consumed: its first element may be resliced).
func writevNonBlocking(rc syscall.RawConn, segs [][]byte) (rest [][]byte, n int, err error) {
	rest = segs
	werr := rc.Write(func(fd uintptr) bool {
		for len(rest) > 0 {
			m, e := unix.Writev(int(fd), rest[:min(len(rest), maxIovec)])
			if m > 0 {
				n += m
				rest = advance(rest, m)
			}
			if e == unix.EINTR {
				continue
			}
			if e != nil {
				if e != unix.EAGAIN {
					err = e
				}
				break
			}
			if m <= 0 {
				break
			}
		}
		return true // never wait for writability here
	})
	if err == nil {
		err = werr
	}
	return rest, n, err
}
