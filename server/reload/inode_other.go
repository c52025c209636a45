//go:build !unix

package reload

import "os"

// inode is 0 where the platform has none; size and mtime still tell changes apart.
func inode(os.FileInfo) uint64 { return 0 }
