//go:build !unix

package daemon

import "os"

// restartSignals: there is no SIGUSR1 here; config changes still restart in process.
func restartSignals() []os.Signal { return nil }
