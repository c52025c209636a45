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

	// Parsed is the JSON5 document as a generic tree (map[string]any, []any,
	// string, float64, bool, nil); nil when missing or unparsable. It is what
	// the user wrote, before any defaults: use IsSet/Lookup for keys whose
	// absence the generated struct can't show (see Features).
	Parsed any
	// Issues are the schema violations (also in the *InvalidError Load returns).
	Issues []Issue
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
	raw, err := readRegular(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &File{Path: path, Hash: hashRaw(nil)}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("config: read %s: %w", path, err)
	}
	return Parse(path, raw)
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
	f := &File{Path: path, Exists: true, Raw: raw, Hash: hashRaw(raw)}
	v, err := defaultValidator()
	if err != nil {
		return f, err
	}
	cfg, tree, issues, err := v.validate(raw)
	f.Parsed = tree
	if err != nil {
		var pe *ParseError
		if errors.As(err, &pe) {
			pe.Path = path
		}
		return f, err
	}
	if len(issues) > 0 {
		f.Issues = issues
		return f, &InvalidError{Path: path, Issues: issues}
	}
	f.Config = cfg
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
