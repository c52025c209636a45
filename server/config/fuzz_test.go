package config

import (
	"encoding/json"
	"testing"
)

// FuzzValidate feeds arbitrary text to the config parser and validator: never a panic;
// a config it accepts survives a JSON round trip and is accepted again.
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
		cfg, issues, err := Validate(raw)
		if err != nil || len(issues) > 0 {
			return
		}
		b, err := json.Marshal(cfg)
		if err != nil {
			t.Fatalf("accepted config does not marshal: %v", err)
		}
		if _, issues, err := Validate(b); err != nil || len(issues) > 0 {
			t.Fatalf("accepted config %s fails after a round trip as %s: %v %v", raw, b, err, issues)
		}
	})
}
