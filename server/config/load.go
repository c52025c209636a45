package config

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"

	genconfig "github.com/clawgate/gateway/gen/go/config"
)

// File is one read of the config file.
type File struct {
	Path   string
	Exists bool
	Raw    []byte                   // the file's bytes as read (nil when missing)
	Config genconfig.ClawdbotConfig // decoded; zero unless the file is valid
	Hash   string                   // sha256 hex of Raw (of the empty string when missing)

	// Parsed is the effective document as a generic tree (map[string]any, []any,
	// string, float64, bool, nil): $include resolved, legacy keys migrated to the
	// current shape, ${VAR} substituted; nil when missing or unparsable. It has
	// no defaults applied: use IsSet/Lookup for keys whose absence the generated
	// struct can't show (see Features).
	Parsed any
	// Written is the document exactly as the file has it (nil when missing or
	// unparsable): the paths of Raw, for putting redacted secrets back.
	Written any
	// Issues are the schema violations (also in the *InvalidError Load returns).
	Issues []Issue
	// Migrated lists the legacy keys rewritten into the current shape on load
	// ("whatsapp → channels.whatsapp"); the file itself is unchanged until
	// `clawdbot doctor --fix`.
	Migrated []string
	// Unimplemented lists the keys set in the file that the original knows but
	// this gateway does not act on (dotted paths).
	Unimplemented []string
}

// Valid reports whether the file is missing or parsed and matched the schema.
func (f *File) Valid() bool {
	return !f.Exists || (f.Parsed != nil && len(f.Issues) == 0)
}

// MaxFileBytes bounds the config file read into memory.
const MaxFileBytes = 8 << 20

// ErrNotRegular is returned (wrapped) for a config path that is not a regular file.
var ErrNotRegular = errors.New("not a regular file")

// Load reads and validates the config file at path. A missing file is not an
// error: Exists=false and an empty config (callers that already run on a config
// must not take that for an edit: see File.Exists). A JSON5 syntax error is a
// *ParseError (with line and column); schema violations are an *InvalidError
// listing every one. On those two errors the returned *File is still non-nil
// and carries what was read (Raw, Hash, Parsed, Issues), e.g. for config.get.
// Only a regular file is read: a FIFO or a device at path is an error
// (ErrNotRegular) at once, never a read that blocks the caller.
func Load(path string) (*File, error) {
	return LoadWith(path, OSEnv())
}

// LoadWith is Load with the environment ${VAR} references are resolved from.
func LoadWith(path string, env Env) (*File, error) {
	raw, err := readRegular(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &File{Path: path, Hash: hashRaw(nil)}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("config: read %s: %w", path, err)
	}
	return ParseWith(path, raw, env)
}

// readRegular reads path if it is a regular file of at most MaxFileBytes. The file is
// opened without blocking and checked on the open descriptor, so a FIFO swapped in
// between a stat and the open cannot block the reader either.
func readRegular(path string) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|openNonBlock, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%w (%v)", ErrNotRegular, st.Mode().Type())
	}
	raw, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return nil, err
	}
	if len(raw) > MaxFileBytes {
		return nil, fmt.Errorf("larger than %d bytes", MaxFileBytes)
	}
	return raw, nil
}

// Parse is Load on bytes already in hand (e.g. config.set before Save): the
// result describes raw as if it were the file at path.
func Parse(path string, raw []byte) (*File, error) {
	return ParseWith(path, raw, OSEnv())
}

// ParseWith is Parse with the environment ${VAR} references are resolved from.
// The steps are the original's: parse JSON5, resolve $include (relative to
// path), migrate legacy keys, substitute ${VAR}, validate against the schema.
func ParseWith(path string, raw []byte, env Env) (*File, error) {
	f := &File{Path: path, Exists: true, Raw: raw, Hash: hashRaw(raw)}
	v, err := defaultValidator()
	if err != nil {
		return f, err
	}
	tree, err := parseJSON5(raw)
	if err != nil {
		var pe *ParseError
		if errors.As(err, &pe) {
			pe.Path = path
		}
		return f, err
	}
	f.Written = tree
	tree, err = parseJSON5(raw) // a second copy to transform
	if err != nil {
		return f, err
	}
	if tree, err = resolveIncludes(tree, path); err != nil {
		return f, fmt.Errorf("config %s: %w", path, err)
	}
	f.Migrated = migrateLegacy(tree)
	f.Parsed = tree // unsubstituted, for config.get should substitution fail
	if tree, err = substituteEnv(tree, env, ""); err != nil {
		return f, fmt.Errorf("config %s: %w", path, err)
	}
	cfg, tree, issues, err := v.validateTree(tree)
	f.Parsed = tree
	if err != nil {
		return f, err
	}
	if len(issues) > 0 {
		f.Issues = issues
		return f, &InvalidError{Path: path, Issues: issues}
	}
	f.Config = cfg
	f.Unimplemented = unimplementedKeys(v.tree, tree)
	return f, nil
}

func hashRaw(raw []byte) string {
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:])
}

// Lookup returns the value at a JSON Pointer ("/gateway/port") in the parsed
// file and whether it is present. A nil or missing File has nothing set.
func (f *File) Lookup(pointer string) (any, bool) {
	if f == nil || f.Parsed == nil {
		return nil, false
	}
	return lookup(f.Parsed, pointer)
}

// IsSet reports whether the key at pointer is present in the file (even as null).
func (f *File) IsSet(pointer string) bool {
	_, ok := f.Lookup(pointer)
	return ok
}

func lookup(tree any, pointer string) (any, bool) {
	if pointer == "" {
		return tree, true
	}
	if !strings.HasPrefix(pointer, "/") {
		return nil, false
	}
	cur := tree
	for _, tok := range strings.Split(pointer[1:], "/") {
		tok = strings.NewReplacer("~1", "/", "~0", "~").Replace(tok)
		switch t := cur.(type) {
		case map[string]any:
			v, ok := t[tok]
			if !ok {
				return nil, false
			}
			cur = v
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(t) {
				return nil, false
			}
			cur = t[i]
		default:
			return nil, false
		}
	}
	return cur, true
}
