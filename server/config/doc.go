// Package config loads, validates, migrates, saves and redacts the gateway config
// file and resolves the effective settings the gateway starts with: paths (§8.1,
// §8.5), ports and bind (§8.2), auth (§2.3), the agent (ResolveAgent).
//
// The file has the original's current shape (schema/config/clawdbot.json, exported
// from the original 2026.1.24 by tools/configschema). Loading follows the original:
// JSON5 → $include (includes.go) → legacy keys migrated in memory (legacy.go) →
// ${VAR} substitution (envsubst.go) → schema validation (validate.go, with "did
// you mean" for unknown keys, keys.go). Keys the original knows but this gateway
// does not act on (no x-implemented mark) are accepted and listed in
// File.Unimplemented; the migrations applied in File.Migrated. Fix rewrites a file
// in the current shape (clawdbot doctor --fix); ParseKeyPath/SetPath/UnsetPath
// serve clawdbot config get|set|unset; EnsureWorkspace writes the agent
// workspace's bootstrap files (clawdbot setup).
//
// Nothing here reads the process environment directly: callers pass an [Env]
// ([OSEnv] in production, [MapEnv] in tests); Load and Parse use OSEnv for ${VAR}.
// The schema validator is compiled once from the embedded schema and shared;
// everything else is a plain function.
package config
