package difftest

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/kaptinlin/jsonschema"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/tools/protogen/model"
)

// oracle is the reference validator: every schema file compiled by
// kaptinlin/jsonschema into one compiler, and one wrapper schema
// {"$ref": "https://schema.clawgate.dev/<ref>"} per ref the generated code knows.
type oracle struct {
	refs    []string                      // protocol.SchemaRefs()
	schemas map[string]*jsonschema.Schema // by ref
	model   *model.Model                  // the schema model (for generating instances)
}

var (
	oracleOnce sync.Once
	theOracle  *oracle
	oracleErr  error
)

// getOracle builds the oracle once per process (fuzz workers each build their own).
func getOracle(tb testing.TB) *oracle {
	tb.Helper()
	oracleOnce.Do(func() { theOracle, oracleErr = newOracle() })
	if oracleErr != nil {
		tb.Fatal(oracleErr)
	}
	return theOracle
}

// schemaDir returns the repository's schema/ directory.
func schemaDir() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "schema"), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("difftest: go.mod not found above the working directory")
		}
		dir = parent
	}
}

var errNoFetch = errors.New("difftest: fetching schemas over the network is disabled")

func newOracle() (*oracle, error) {
	dir, err := schemaDir()
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	// Every schema is local: a $ref that is not compiled must fail, never be fetched.
	for _, scheme := range []string{"http", "https"} {
		c.RegisterLoader(scheme, func(url string) (io.ReadCloser, error) {
			return nil, fmt.Errorf("%w: %s", errNoFetch, url)
		})
	}
	files := map[string][]byte{}
	err = filepath.WalkDir(dir, func(p string, de fs.DirEntry, err error) error {
		if err != nil || de.IsDir() || !strings.HasSuffix(p, ".json") {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		var head struct {
			ID string `json:"$id"`
		}
		if err := json.Unmarshal(b, &head); err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		if head.ID == "" { // manifest.json: data, not a schema
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		if want := model.IDBase + filepath.ToSlash(rel); head.ID != want {
			return fmt.Errorf("%s: $id %q, want %q", p, head.ID, want)
		}
		files[head.ID] = b
		return nil
	})
	if err != nil {
		return nil, err
	}
	compiled, err := c.CompileBatch(files)
	if err != nil {
		return nil, fmt.Errorf("kaptinlin: %w", err)
	}
	ids := slices.Sorted(func(yield func(string) bool) {
		for id := range compiled {
			if !yield(id) {
				return
			}
		}
	})
	for _, id := range ids {
		if un := compiled[id].UnresolvedReferenceURIs(); len(un) > 0 {
			return nil, fmt.Errorf("kaptinlin: %s: unresolved references %v", id, un)
		}
	}

	o := &oracle{refs: protocol.SchemaRefs(), schemas: map[string]*jsonschema.Schema{}}
	if len(o.refs) == 0 {
		return nil, errors.New("protocol.SchemaRefs() is empty")
	}
	for _, ref := range o.refs {
		w, err := c.Compile([]byte(fmt.Sprintf(`{"$schema":"https://json-schema.org/draft/2020-12/schema","$ref":%q}`, model.IDBase+ref)))
		if err != nil {
			return nil, fmt.Errorf("kaptinlin: wrapper for %s: %w", ref, err)
		}
		if un := w.UnresolvedReferenceURIs(); len(un) > 0 {
			return nil, fmt.Errorf("kaptinlin: wrapper for %s: unresolved references %v (is gen/ stale?)", ref, un)
		}
		o.schemas[ref] = w
	}
	// kaptinlin compiles `pattern` lazily, without locking, on first use. Compile
	// every pattern now, serially, so the oracle is safe for concurrent use.
	seen := map[*jsonschema.Schema]bool{}
	for _, id := range ids {
		warmPatterns(compiled[id], seen)
	}
	for _, ref := range o.refs {
		warmPatterns(o.schemas[ref], seen)
	}

	if o.model, err = loadModel(dir); err != nil {
		return nil, err
	}
	for _, ref := range o.refs {
		if o.model.Defs[ref] == nil {
			return nil, fmt.Errorf("protocol.SchemaRefs() lists %s, which schema/ does not define: gen/ is stale, regenerate it", ref)
		}
	}
	return o, nil
}

// warmPatterns walks a compiled schema and validates a string against every node
// with a pattern, which makes kaptinlin compile (and cache) the regexp.
func warmPatterns(s *jsonschema.Schema, seen map[*jsonschema.Schema]bool) {
	if s == nil || seen[s] {
		return
	}
	seen[s] = true
	if s.Pattern != nil {
		s.ValidateJSON([]byte(`""`))
	}
	for _, sub := range []*jsonschema.Schema{s.ResolvedRef, s.ResolvedDynamicRef, s.Not, s.If, s.Then, s.Else,
		s.Items, s.Contains, s.AdditionalProperties, s.PropertyNames, s.UnevaluatedItems, s.UnevaluatedProperties} {
		warmPatterns(sub, seen)
	}
	for _, list := range [][]*jsonschema.Schema{s.AllOf, s.AnyOf, s.OneOf, s.PrefixItems} {
		for _, sub := range list {
			warmPatterns(sub, seen)
		}
	}
	for _, k := range sortedKeys(s.Defs) {
		warmPatterns(s.Defs[k], seen)
	}
	for _, m := range []*jsonschema.SchemaMap{s.Properties, s.PatternProperties} {
		if m == nil {
			continue
		}
		for _, k := range sortedKeys(*m) {
			warmPatterns((*m)[k], seen)
		}
	}
	for _, k := range sortedKeys(s.DependentSchemas) {
		warmPatterns(s.DependentSchemas[k], seen)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// loadModel loads the schema model. While schema/ is being written the manifest
// may list files that do not exist yet; the model is then loaded from a copy
// whose manifest lists only the methods and events whose files exist (the same
// subset gen/ is generated from).
func loadModel(dir string) (*model.Model, error) {
	mb, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return nil, err
	}
	var man map[string]any
	if err := json.Unmarshal(mb, &man); err != nil {
		return nil, fmt.Errorf("manifest.json: %w", err)
	}
	missing := false
	for _, k := range []string{"methods", "events"} {
		list, _ := man[k].([]any)
		kept := list[:0:0]
		for _, e := range list {
			em, _ := e.(map[string]any)
			file, _ := em["schema"].(string)
			if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(file))); err != nil {
				missing = true
				continue
			}
			kept = append(kept, e)
		}
		man[k] = kept
	}
	if !missing {
		return model.Load(dir)
	}
	tmp, err := os.MkdirTemp("", "difftest-schema-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	err = filepath.WalkDir(dir, func(p string, de fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		dst := filepath.Join(tmp, rel)
		if de.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, b, 0o644)
	})
	if err != nil {
		return nil, err
	}
	nb, err := json.MarshalIndent(man, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(tmp, "manifest.json"), nb, 0o644); err != nil {
		return nil, err
	}
	return model.Load(tmp)
}

// verdicts returns the oracle's and the generated code's verdicts on doc.
func (o *oracle) verdicts(ref string, doc []byte) (oracleOK bool, genErr error) {
	res := o.schemas[ref].ValidateJSON(doc)
	err, known := protocol.Validate(ref, doc)
	if !known {
		panic("protocol.Validate does not know " + ref)
	}
	return res.IsValid(), err
}

// oracleErrors renders kaptinlin's leaf errors for a failure message.
func (o *oracle) oracleErrors(ref string, doc []byte) string {
	res := o.schemas[ref].ValidateJSON(doc)
	if res.IsValid() {
		return "valid"
	}
	var out []string
	for _, d := range res.ToList(false).Details {
		for _, k := range sortedKeys(d.Errors) {
			switch k {
			case "$ref", "properties", "items", "oneOf", "anyOf", "additionalProperties":
				continue // summaries of the errors below them
			}
			line := fmt.Sprintf("%q %s: %s", d.InstanceLocation, k, d.Errors[k])
			if !slices.Contains(out, line) {
				out = append(out, line)
			}
		}
	}
	if len(out) > 8 {
		out = append(out[:8], "…")
	}
	return "[" + strings.Join(out, "; ") + "]"
}
