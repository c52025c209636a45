//go:build unix

package canvas

import "syscall"

// openNonBlock makes opening a FIFO return at once instead of waiting for a writer,
// so the type check after the open can refuse it.
const openNonBlock = syscall.O_NONBLOCK
