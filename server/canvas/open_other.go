//go:build !unix

package canvas

const openNonBlock = 0
