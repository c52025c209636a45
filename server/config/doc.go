// Package config loads, validates, saves and redacts the gateway config file
// (JSON5, schema schema/config/clawdbot.json) and resolves the effective
// settings the gateway starts with: paths (§8.1, §8.5), ports and bind
// (§8.2) and auth (§2.3) of the runbook.
//
// Nothing here reads the process environment directly: callers pass an [Env]
// ([OSEnv] in production, [MapEnv] in tests). The schema validator is compiled
// once from the embedded schema and shared; everything else is a plain function.
package config
