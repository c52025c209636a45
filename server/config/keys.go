package config

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// schemaNode is one node of the config schema as a generic JSON tree.
type schemaNode = map[string]any

// childSchemas returns the schemas an instance's key (or array index) may match
// under n: the named property, else the record's value schema, else the array's
// items; anyOf/oneOf branches are searched too.
func childSchemas(n schemaNode, key string) []schemaNode {
	var out []schemaNode
	if props, ok := n["properties"].(map[string]any); ok {
		if p, ok := props[key].(map[string]any); ok {
			return []schemaNode{p}
		}
	}
	if ap, ok := n["additionalProperties"].(map[string]any); ok {
		out = append(out, ap)
	}
	if it, ok := n["items"].(map[string]any); ok {
		if _, err := strconv.Atoi(key); err == nil {
			out = append(out, it)
		}
	}
	for _, k := range []string{"anyOf", "oneOf", "allOf"} {
		if arr, ok := n[k].([]any); ok {
			for _, b := range arr {
				if bn, ok := b.(map[string]any); ok {
					out = append(out, childSchemas(bn, key)...)
				}
			}
		}
	}
	return out
}

// schemasAt returns the schema nodes that may describe the instance at pointer.
func schemasAt(root schemaNode, pointer string) []schemaNode {
	cur := []schemaNode{root}
	if pointer == "" {
		return cur
	}
	for _, tok := range strings.Split(strings.TrimPrefix(pointer, "/"), "/") {
		tok = strings.NewReplacer("~1", "/", "~0", "~").Replace(tok)
		var next []schemaNode
		for _, n := range cur {
			next = append(next, childSchemas(n, tok)...)
		}
		if len(next) == 0 {
			return nil
		}
		cur = next
	}
	return cur
}

// knownKeys lists the property names the schemas at pointer define.
func knownKeys(root schemaNode, pointer string) []string {
	seen := map[string]bool{}
	var out []string
	var add func(n schemaNode)
	add = func(n schemaNode) {
		if props, ok := n["properties"].(map[string]any); ok {
			for k := range props {
				if !seen[k] {
					seen[k] = true
					out = append(out, k)
				}
			}
		}
		for _, k := range []string{"anyOf", "oneOf", "allOf"} {
			if arr, ok := n[k].([]any); ok {
				for _, b := range arr {
					if bn, ok := b.(map[string]any); ok {
						add(bn)
					}
				}
			}
		}
	}
	for _, n := range schemasAt(root, pointer) {
		add(n)
	}
	sort.Strings(out)
	return out
}

// suggestKey returns the known sibling nearest to key by edit distance (case
// folded), if it is close enough to be a plausible typo.
func suggestKey(key string, known []string) (string, bool) {
	best, bestD := "", -1
	for _, k := range known {
		d := editDistance(strings.ToLower(key), strings.ToLower(k))
		if bestD < 0 || d < bestD || d == bestD && k < best {
			best, bestD = k, d
		}
	}
	limit := max(2, len(key)/3)
	if bestD < 0 || bestD > limit {
		return "", false
	}
	return best, true
}

// editDistance is the Levenshtein distance between a and b (in bytes).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// withSuggestions adds "did you mean" to unknown-key issues.
func withSuggestions(root schemaNode, issues []Issue) []Issue {
	for i, is := range issues {
		if is.Message != "unknown key" {
			continue
		}
		j := strings.LastIndex(is.Path, "/")
		if j < 0 {
			continue
		}
		key := strings.NewReplacer("~1", "/", "~0", "~").Replace(is.Path[j+1:])
		if s, ok := suggestKey(key, knownKeys(root, is.Path[:j])); ok {
			issues[i].Message = fmt.Sprintf("unknown key (did you mean %q?)", s)
		}
	}
	return issues
}

// unimplementedKeys lists the dotted paths of keys set in tree that the schema
// knows but this gateway does not act on: walking down, a key stops the walk
// when its schema is marked x-implemented (fine) or when nothing at or below it
// is (reported).
func unimplementedKeys(root schemaNode, tree any) []string {
	var out []string
	var walk func(v any, nodes []schemaNode, path string)
	walk = func(v any, nodes []schemaNode, path string) {
		if len(nodes) == 0 {
			return // unknown: the validator reports it
		}
		anyMarked := false
		for _, n := range nodes {
			if n["x-implemented"] == true {
				return
			}
			if hasImplemented(n) {
				anyMarked = true
			}
		}
		if !anyMarked {
			if path != "" {
				out = append(out, displayPath(path))
			}
			return
		}
		switch t := v.(type) {
		case map[string]any:
			keys := make([]string, 0, len(t))
			for k := range t {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				var next []schemaNode
				for _, n := range nodes {
					next = append(next, childSchemas(n, k)...)
				}
				walk(t[k], next, path+"/"+escapePointer(k))
			}
		case []any:
			for i, e := range t {
				var next []schemaNode
				for _, n := range nodes {
					next = append(next, childSchemas(n, strconv.Itoa(i))...)
				}
				walk(e, next, path+"/"+strconv.Itoa(i))
			}
		}
	}
	walk(tree, []schemaNode{root}, "")
	return out
}

// hasImplemented reports whether n or anything below it is marked x-implemented.
func hasImplemented(n any) bool {
	switch t := n.(type) {
	case map[string]any:
		if t["x-implemented"] == true {
			return true
		}
		for k, v := range t {
			if k == "enum" || k == "const" || k == "default" || k == "examples" {
				continue
			}
			if hasImplemented(v) {
				return true
			}
		}
	case []any:
		for _, e := range t {
			if hasImplemented(e) {
				return true
			}
		}
	}
	return false
}
