//go:build unix

package daemon

import (
	"os"
	"syscall"
)

// restartSignals restart the gateway in process (SIGUSR1, as the original).
func restartSignals() []os.Signal { return []os.Signal{syscall.SIGUSR1} }
