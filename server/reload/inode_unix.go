//go:build unix

package reload

import (
	"os"
	"syscall"
)

// inode is the file's inode number: a save by rename changes it.
func inode(fi os.FileInfo) uint64 {
	if sys, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(sys.Ino)
	}
	return 0
}
