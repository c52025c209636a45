package config

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
)

// IncludeKey is the object key whose value names other config files to merge in
// ("$include": "a.json5" or ["a.json5", "b.json5"]), as in the original.
const IncludeKey = "$include"

// MaxIncludeDepth bounds nested $include chains (the original's limit).
const MaxIncludeDepth = 10

// IncludeError is a $include that cannot be resolved: unreadable, unparsable,
// circular, too deep or of the wrong type.
type IncludeError struct {
	Include string // the $include value at fault
	Msg     string
	Err     error
}

func (e *IncludeError) Error() string {
	s := fmt.Sprintf("config $include %q: %s", e.Include, e.Msg)
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *IncludeError) Unwrap() error { return e.Err }

// resolveIncludes replaces every object holding $include with the included
// files' content deep-merged (objects merge, arrays concatenate, scalars: the
// later wins), the object's sibling keys merged last. Paths are relative to the
// including file; each included file is read like the config itself (a regular
// file, at most MaxFileBytes).
func resolveIncludes(tree any, basePath string) (any, error) {
	return includeWalk(tree, basePath, []string{filepath.Clean(basePath)})
}

func includeWalk(v any, base string, chain []string) (any, error) {
	switch t := v.(type) {
	case []any:
		for i, e := range t {
			r, err := includeWalk(e, base, chain)
			if err != nil {
				return nil, err
			}
			t[i] = r
		}
		return t, nil
	case map[string]any:
		inc, has := t[IncludeKey]
		for k, e := range t {
			if k == IncludeKey {
				continue
			}
			r, err := includeWalk(e, base, chain)
			if err != nil {
				return nil, err
			}
			t[k] = r
		}
		if !has {
			return t, nil
		}
		delete(t, IncludeKey)
		var names []string
		switch iv := inc.(type) {
		case string:
			names = []string{iv}
		case []any:
			for _, e := range iv {
				s, ok := e.(string)
				if !ok {
					return nil, &IncludeError{Include: fmt.Sprint(e), Msg: "an array item is not a string"}
				}
				names = append(names, s)
			}
		default:
			return nil, &IncludeError{Include: fmt.Sprint(inc), Msg: "expected a path or an array of paths"}
		}
		var merged any
		for _, name := range names {
			got, err := includeFile(name, base, chain)
			if err != nil {
				return nil, err
			}
			if merged == nil {
				merged = got
			} else {
				merged = deepMerge(merged, got)
			}
		}
		if len(t) == 0 {
			if merged == nil {
				return map[string]any{}, nil
			}
			return merged, nil
		}
		if merged == nil {
			return t, nil
		}
		if _, ok := merged.(map[string]any); !ok {
			return nil, &IncludeError{Include: strings.Join(names, ", "), Msg: "keys beside $include need the included content to be an object"}
		}
		return deepMerge(merged, t), nil
	}
	return v, nil
}

func includeFile(name, base string, chain []string) (any, error) {
	p := name
	if !filepath.IsAbs(p) {
		p = filepath.Join(filepath.Dir(base), p)
	}
	p = filepath.Clean(p)
	if slices.Contains(chain, p) {
		return nil, &IncludeError{Include: name, Msg: "circular include: " + strings.Join(append(slices.Clone(chain), p), " -> ")}
	}
	if len(chain) > MaxIncludeDepth {
		return nil, &IncludeError{Include: name, Msg: fmt.Sprintf("more than %d nested includes", MaxIncludeDepth)}
	}
	raw, err := readRegular(p)
	if err != nil {
		return nil, &IncludeError{Include: name, Msg: "read " + p, Err: err}
	}
	tree, err := parseJSON5(raw)
	if err != nil {
		var pe *ParseError
		if errors.As(err, &pe) {
			pe.Path = p
		}
		return nil, &IncludeError{Include: name, Msg: "parse", Err: err}
	}
	return includeWalk(tree, p, append(slices.Clone(chain), p))
}

// deepMerge merges src into dst: objects key by key, arrays concatenated, any
// other value replaced by src's.
func deepMerge(dst, src any) any {
	switch d := dst.(type) {
	case map[string]any:
		s, ok := src.(map[string]any)
		if !ok {
			return src
		}
		out := make(map[string]any, len(d)+len(s))
		for k, v := range d {
			out[k] = v
		}
		for k, v := range s {
			if cur, ok := out[k]; ok {
				out[k] = deepMerge(cur, v)
			} else {
				out[k] = v
			}
		}
		return out
	case []any:
		if s, ok := src.([]any); ok {
			return append(slices.Clone(d), s...)
		}
	}
	return src
}
