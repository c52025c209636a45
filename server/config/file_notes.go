package config

import "strings"

// Notes returns the two start-up lines about a loaded file: the legacy keys migrated
// in memory (so the user knows to run `clawdbot doctor --fix`) and the keys this
// gateway accepts but does not act on. Either is empty when there is nothing to say.
func (f *File) Notes() (migrated, unimplemented string) {
	if f == nil {
		return "", ""
	}
	if len(f.Migrated) > 0 {
		migrated = "config uses legacy keys, migrated in memory (run `clawdbot doctor --fix` to rewrite the file): " + strings.Join(f.Migrated, "; ")
	}
	if len(f.Unimplemented) > 0 {
		unimplemented = "config keys accepted but not implemented by this gateway (ignored): " + strings.Join(f.Unimplemented, ", ")
	}
	return migrated, unimplemented
}
