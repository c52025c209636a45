package config

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

// FuzzValidate feeds arbitrary text to the config parser and validator: never a panic;
// a config it accepts, rendered as its effective tree (includes, legacy keys and
// ${VAR} resolved), is accepted again and decodes to the same settings.
func FuzzValidate(f *testing.F) {
	for _, seed := range []string{
		`{}`,
		`{ gateway: { mode: "local", port: 18789, bind: 'loopback', }, // comment
		}`,
		`{ gateway: { port: 99999 } }`,
		`{ hooks: { enabled: true, token: "t", mappings: [{ match: { path: "x" }, action: "wake" }] } }`,
		`{ agent: { openai: { temperature: 0.5 } } }`,
		`[1,2]`, `nul`, `{a:}`, `{"telegram":{"allowFrom":["1",2]}}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		if bytes.Contains(raw, []byte("$$")) || bytes.Contains(raw, []byte(IncludeKey)) {
			return // an escaped ${VAR} is literal only once; includes read files
		}
		f, err := ParseWith("", raw, MapEnv(nil))
		if err != nil {
			return
		}
		b, err := json.Marshal(f.Parsed)
		if err != nil {
			t.Fatalf("accepted config does not marshal: %v", err)
		}
		g, err := ParseWith("", b, MapEnv(nil))
		if err != nil {
			t.Fatalf("accepted config %s fails after a round trip as %s: %v", raw, b, err)
		}
		if !reflect.DeepEqual(f.Config, g.Config) {
			t.Fatalf("round trip of %s changed the settings: %+v vs %+v", raw, f.Config, g.Config)
		}
	})
}
