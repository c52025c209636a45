//go:build unix

package main

import "syscall"

// raiseNofile lifts the soft RLIMIT_NOFILE to the hard limit and returns the soft
// limit in force afterwards. (The Go runtime does the same at start-up since Go 1.19;
// doing it explicitly makes the limit visible in the results.)
func raiseNofile() uint64 {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0
	}
	if lim.Cur < lim.Max {
		lim.Cur = lim.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
		_ = syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim)
	}
	return lim.Cur
}
