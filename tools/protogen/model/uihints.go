package model

import (
	"sort"
	"strings"
)

// uiHints checks config/uihints.json: groups name top-level config keys, fields
// name paths that exist in the config schema (a "*" segment is any map key or array
// item), and each hint carries only the keys the Control UI reads.
func (r *reader) uiHints() {
	doc, ok := r.docs[UIHintsFile]
	if !ok {
		return
	}
	root, ok := doc.(map[string]any)
	if !ok {
		r.add(UIHintsFile, "", "the file must hold a JSON object")
		return
	}
	cfg, _ := r.docs[ConfigFile].(map[string]any)
	if cfg == nil {
		r.add(UIHintsFile, "", "needs %s", ConfigFile)
		return
	}
	for _, k := range sortedKeys(root) {
		switch k {
		case "description", "groups", "fields":
		default:
			r.add(UIHintsFile, "/"+k, "unknown key (description, groups, fields)")
		}
	}
	hintKeys := map[string]bool{"label": true, "help": true, "group": true, "order": true, "advanced": true, "placeholder": true, "itemTemplate": true}
	for _, section := range []string{"groups", "fields"} {
		m, _ := root[section].(map[string]any)
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, path := range keys {
			ptr := "/" + section + "/" + strings.ReplaceAll(path, "/", "~1")
			if section == "groups" && strings.Contains(path, ".") {
				r.add(UIHintsFile, ptr, "a group is a top-level config key")
			}
			if !configHasPath(cfg, strings.Split(path, ".")) {
				r.add(UIHintsFile, ptr, "no such key in %s", ConfigFile)
			}
			hint, ok := m[path].(map[string]any)
			if !ok {
				r.add(UIHintsFile, ptr, "must be an object")
				continue
			}
			for _, hk := range sortedKeys(hint) {
				if !hintKeys[hk] {
					r.add(UIHintsFile, ptr+"/"+hk, "unknown hint key (sensitive is derived from the redaction rule)")
				}
			}
		}
	}
}

// configHasPath walks a config schema node along path: properties by name, "*" through
// additionalProperties or items, and into every anyOf/oneOf/allOf branch.
func configHasPath(node map[string]any, path []string) bool {
	if len(path) == 0 {
		return true
	}
	for _, k := range []string{"anyOf", "oneOf", "allOf"} {
		if bs, ok := node[k].([]any); ok {
			for _, b := range bs {
				if bm, ok := b.(map[string]any); ok && configHasPath(bm, path) {
					return true
				}
			}
		}
	}
	seg, rest := path[0], path[1:]
	if props, ok := node["properties"].(map[string]any); ok {
		if child, ok := props[seg].(map[string]any); ok && configHasPath(child, rest) {
			return true
		}
	}
	if seg == "*" {
		for _, k := range []string{"additionalProperties", "items"} {
			if child, ok := node[k].(map[string]any); ok && configHasPath(child, rest) {
				return true
			}
		}
	}
	return false
}
