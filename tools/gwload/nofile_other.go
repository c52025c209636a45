//go:build !unix

package main

// raiseNofile has nothing to raise where there is no RLIMIT_NOFILE; 0 means unknown.
func raiseNofile() uint64 { return 0 }
