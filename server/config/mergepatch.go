package config

import (
	"errors"
	"fmt"
)

// ErrPatchNotObject is returned by PatchFile for a patch that is not a JSON object.
var ErrPatchNotObject = errors.New("config patch must be an object")

// MergePatch applies an RFC 7396 JSON merge patch to target and returns the result:
// an object patch merges key by key (a null value removes the key), anything else
// replaces target. target is not modified; the result may share unchanged subtrees.
func MergePatch(target, patch any) any {
	pm, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	tm, ok := target.(map[string]any)
	out := make(map[string]any, len(tm)+len(pm))
	if ok {
		for k, v := range tm {
			out[k] = v
		}
	}
	for k, v := range pm {
		if v == nil {
			delete(out, k)
			continue
		}
		out[k] = MergePatch(out[k], v)
	}
	return out
}

// PatchFile merges patchRaw (JSON5 text holding an object) into the file as written
// — $include and ${VAR} references outside the patched keys stay as they are, not
// resolved — and returns the new file text in the form Format writes, keeping the
// file's leading comments. A patch that does not parse is a *ParseError (line and
// column); one that is not an object is ErrPatchNotObject. The result is not
// validated: callers Parse it.
func PatchFile(cur *File, patchRaw []byte) ([]byte, error) {
	patch, err := parseJSON5(patchRaw)
	if err != nil {
		return nil, err
	}
	if _, ok := patch.(map[string]any); !ok {
		return nil, ErrPatchNotObject
	}
	var base any = map[string]any{}
	var lead []byte
	if cur != nil && cur.Exists {
		if cur.Written == nil {
			return nil, fmt.Errorf("config: %s does not parse; fix it before patching", cur.Path)
		}
		base = cur.Written
		lead = LeadingComments(cur.Raw)
	}
	out, err := Format(MergePatch(base, patch))
	if err != nil {
		return nil, err
	}
	return append(lead, out...), nil
}
