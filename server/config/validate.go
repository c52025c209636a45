package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"

	"github.com/kaptinlin/jsonschema"

	genconfig "github.com/clawgate/gateway/gen/go/config"
)

// Issue is one schema violation: a JSON Pointer into the config ("" is the
// root) and what is wrong there.
type Issue struct {
	Path    string `json:"path"`
	Message string `json:"message"`
}

func (i Issue) String() string {
	p := i.Path
	if p == "" {
		p = "(root)"
	}
	return p + ": " + i.Message
}

// InvalidError reports every schema violation of a config file.
type InvalidError struct {
	Path   string // the file; "" for text that did not come from a file
	Issues []Issue
}

func (e *InvalidError) Error() string {
	var b strings.Builder
	b.WriteString("invalid config")
	if e.Path != "" {
		b.WriteString(" " + e.Path)
	}
	b.WriteString(":")
	for _, is := range e.Issues {
		b.WriteString("\n  " + is.String())
	}
	return b.String()
}

// Validator checks config documents against the embedded config schema
// (genconfig.SchemaJSON). It is safe for concurrent use once NewValidator returns.
type Validator struct {
	schema *jsonschema.Schema
	tree   schemaNode // the same schema as a generic tree, for key lookups
}

var errNoFetch = errors.New("config: fetching schemas over the network is disabled")

// NewValidator compiles the embedded config schema. $refs never go to the
// network (the http and https loaders fail), an unresolved $ref is a compile
// error, and every lazily-compiled part (patterns) is warmed up before the
// validator is shared, so later concurrent use does not race.
func NewValidator() (*Validator, error) {
	return newValidator(genconfig.SchemaJSON)
}

func newValidator(schemaJSON []byte) (*Validator, error) {
	c := jsonschema.NewCompiler()
	for _, scheme := range []string{"http", "https"} {
		c.RegisterLoader(scheme, func(url string) (io.ReadCloser, error) {
			return nil, fmt.Errorf("%w: %s", errNoFetch, url)
		})
	}
	s, err := c.Compile(schemaJSON)
	if err != nil {
		return nil, fmt.Errorf("config: compile schema: %w", err)
	}
	if un := s.UnresolvedReferenceURIs(); len(un) > 0 {
		return nil, fmt.Errorf("config: schema has unresolved references %v", un)
	}
	warm(s, map[*jsonschema.Schema]bool{})
	// One full validation, serially, before anyone shares the schema.
	s.ValidateJSON([]byte(`{}`))
	for _, ex := range s.Examples {
		if b, err := json.Marshal(ex); err == nil {
			s.ValidateJSON(b)
		}
	}
	var tree schemaNode
	if err := json.Unmarshal(schemaJSON, &tree); err != nil {
		return nil, fmt.Errorf("config: schema: %w", err)
	}
	return &Validator{schema: s, tree: tree}, nil
}

// warm walks a compiled schema and validates a string against every node with
// a pattern, which makes kaptinlin compile and cache the regexp now rather than
// lazily (without locking) during concurrent validations.
func warm(s *jsonschema.Schema, seen map[*jsonschema.Schema]bool) {
	if s == nil || seen[s] {
		return
	}
	seen[s] = true
	if s.Pattern != nil {
		s.ValidateJSON([]byte(`""`))
	}
	for _, sub := range []*jsonschema.Schema{s.ResolvedRef, s.ResolvedDynamicRef, s.Not, s.If, s.Then, s.Else,
		s.Items, s.Contains, s.AdditionalProperties, s.PropertyNames, s.UnevaluatedItems, s.UnevaluatedProperties} {
		warm(sub, seen)
	}
	for _, list := range [][]*jsonschema.Schema{s.AllOf, s.AnyOf, s.OneOf, s.PrefixItems} {
		for _, sub := range list {
			warm(sub, seen)
		}
	}
	for _, sub := range s.Defs {
		warm(sub, seen)
	}
	for _, m := range []*jsonschema.SchemaMap{s.Properties, s.PatternProperties} {
		if m != nil {
			for _, sub := range *m {
				warm(sub, seen)
			}
		}
	}
	for _, sub := range s.DependentSchemas {
		warm(sub, seen)
	}
}

var defaultValidator = sync.OnceValues(NewValidator)

// Validate parses raw (JSON5 text) as the config file (resolving $include
// relative to the working directory, migrating legacy keys and substituting
// ${VAR} from the process environment), validates it against the config schema
// and decodes it. A JSON5 syntax error is returned as *ParseError, a bad
// $include as *IncludeError, an unset ${VAR} as *MissingEnvError; schema
// violations come back as issues (every one, sorted by path) with a nil error
// and a zero config. Used by config.set.
func Validate(raw []byte) (genconfig.ClawdbotConfig, []Issue, error) {
	f, err := ParseWith("", raw, OSEnv())
	if err != nil && len(f.Issues) == 0 {
		return genconfig.ClawdbotConfig{}, nil, err
	}
	return f.Config, f.Issues, nil
}

// validateTree validates an effective tree (parsed, includes resolved, migrated,
// substituted) and decodes it.
func (v *Validator) validateTree(tree any) (genconfig.ClawdbotConfig, any, []Issue, error) {
	var cfg genconfig.ClawdbotConfig
	tree, issues := nonFinite(tree)
	doc, err := toJSON(tree)
	if err != nil { // cannot happen after nonFinite
		return cfg, tree, nil, fmt.Errorf("config: re-encode: %w", err)
	}
	res := v.schema.ValidateJSON(doc)
	if !res.IsValid() {
		issues = append(issues, resultIssues(res)...)
		if len(issues) == 0 { // never expected; never report "invalid" without a reason
			issues = append(issues, Issue{Message: "does not match the config schema"})
		}
	}
	if len(issues) > 0 {
		// kaptinlin also checks the properties of a missing required key against
		// null; the "missing required key" issue already says it.
		kept := issues[:0]
		for _, is := range issues {
			if _, ok := lookup(tree, is.Path); !ok && strings.HasSuffix(is.Message, "got null") {
				continue
			}
			kept = append(kept, is)
		}
		return cfg, tree, withSuggestions(v.tree, sortIssues(kept)), nil
	}
	if err := json.Unmarshal(doc, &cfg); err != nil {
		// Valid by the schema but not representable, e.g. an integer beyond int64.
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			p := ""
			if te.Field != "" {
				p = "/" + strings.ReplaceAll(te.Field, ".", "/")
			}
			return genconfig.ClawdbotConfig{}, tree, []Issue{{Path: p, Message: "value " + te.Value + " is out of range"}}, nil
		}
		return genconfig.ClawdbotConfig{}, tree, []Issue{{Message: err.Error()}}, nil
	}
	return cfg, tree, nil, nil
}

func sortIssues(in []Issue) []Issue {
	sort.SliceStable(in, func(i, j int) bool {
		if in[i].Path != in[j].Path {
			return in[i].Path < in[j].Path
		}
		return in[i].Message < in[j].Message
	})
	out := in[:0]
	for i, is := range in {
		if i == 0 || is != in[i-1] {
			out = append(out, is)
		}
	}
	return out
}

// summaryKeywords are errors that only say "something below me failed"; the
// details under them carry the real violations.
var summaryKeywords = map[string]bool{
	"properties": true, "patternProperties": true, "additionalProperties": true,
	"items": true, "prefixItems": true, "contains": true, "$ref": true, "$dynamicRef": true,
	"allOf": true, "dependentSchemas": true, "unevaluatedProperties": true, "unevaluatedItems": true,
	"if": true, "then": true, "else": true,
}

// resultIssues flattens kaptinlin's result tree into issues. Each node's
// InstanceLocation is relative to its parent (one unescaped reference token),
// so the absolute pointer is built while walking down.
func resultIssues(root *jsonschema.EvaluationResult) []Issue {
	var out []Issue
	var walk func(r *jsonschema.EvaluationResult, base string)
	walk = func(r *jsonschema.EvaluationResult, base string) {
		p := base
		if loc := r.InstanceLocation; loc != "" {
			p += "/" + escapePointer(strings.TrimPrefix(loc, "/"))
		}
		childFailed := false
		for _, d := range r.Details {
			if !d.Valid {
				childFailed = true
			}
		}
		keys := make([]string, 0, len(r.Errors))
		for k := range r.Errors {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if summaryKeywords[k] && childFailed {
				continue
			}
			out = append(out, Issue{Path: p, Message: issueMessage(r, r.Errors[k])})
		}
		for _, d := range r.Details {
			if !d.Valid {
				walk(d, p)
			}
		}
	}
	walk(root, "")
	return out
}

// issueMessage renders an error the way Ajv words it ("must be <= 65535").
func issueMessage(r *jsonschema.EvaluationResult, e *jsonschema.EvaluationError) string {
	param := func(k string) string { return fmt.Sprint(e.Params[k]) }
	switch e.Code {
	case "type_mismatch":
		return fmt.Sprintf("must be %s, got %s", param("expected"), param("received"))
	case "value_above_maximum":
		return "must be <= " + param("maximum")
	case "value_below_minimum":
		return "must be >= " + param("minimum")
	case "exclusive_maximum_mismatch":
		return "must be < " + param("exclusive_maximum")
	case "exclusive_minimum_mismatch":
		return "must be > " + param("exclusive_minimum")
	case "value_not_in_enum":
		return fmt.Sprintf("must be one of %s (got %q)", param("expected"), param("received"))
	case "string_too_short":
		return fmt.Sprintf("must NOT have fewer than %s characters", param("min_length"))
	case "string_too_long":
		return fmt.Sprintf("must NOT have more than %s characters", param("max_length"))
	case "missing_required_property":
		return "missing required key " + strings.Trim(param("property"), "'")
	case "missing_required_properties":
		return fmt.Sprintf("missing required keys %s", param("properties"))
	case "false_schema_mismatch":
		if strings.HasPrefix(r.EvaluationPath, "/additionalProperties/") {
			return "unknown key"
		}
		return "is not allowed"
	}
	return e.Error()
}
