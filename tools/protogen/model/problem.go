package model

import (
	"fmt"
	"strings"
)

// Problem is one thing wrong with a schema directory: the file (relative to the
// schema directory), a JSON Pointer into it ("" for the whole file) and what is wrong.
// The reader reports every problem it finds instead of stopping at the first, so
// schemacheck lint can list them all.
type Problem struct {
	File    string
	Pointer string
	Message string
}

func (p Problem) String() string {
	return fmt.Sprintf("%s: %s: %s", p.File, showPtr(p.Pointer), p.Message)
}

// Problems is the error Load returns when the schemas are wrong.
type Problems []Problem

// maxShown bounds the problems Error lists; schemacheck lint prints them all.
const maxShown = 20

func (ps Problems) Error() string {
	var b strings.Builder
	for i, p := range ps {
		if i == maxShown {
			fmt.Fprintf(&b, "\n… and %d more (run schemacheck lint)", len(ps)-maxShown)
			break
		}
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(p.String())
	}
	return b.String()
}

func showPtr(p string) string {
	if p == "" {
		return "/"
	}
	return p
}
