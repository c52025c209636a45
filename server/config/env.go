package config

import (
	"os"
	"strings"
)

// Env is the process environment as a lookup function (tests pass a map), so
// nothing in this package reads os.Getenv directly.
type Env func(key string) (string, bool)

// OSEnv returns the real process environment.
func OSEnv() Env { return os.LookupEnv }

// MapEnv returns an Env backed by m (nil means an empty environment).
func MapEnv(m map[string]string) Env {
	return func(key string) (string, bool) {
		v, ok := m[key]
		return v, ok
	}
}

// With returns an Env in which the overlay's entries take precedence over e,
// e.g. OSEnv().With(ProfileEnv(OSEnv(), home, "dev")).
func (e Env) With(overlay map[string]string) Env {
	return func(key string) (string, bool) {
		if v, ok := overlay[key]; ok {
			return v, true
		}
		return e.lookup(key)
	}
}

// lookup is e(key), tolerating a nil Env.
func (e Env) lookup(key string) (string, bool) {
	if e == nil {
		return "", false
	}
	return e(key)
}

// get returns the value of key with surrounding space trimmed; "" when unset.
func (e Env) get(key string) string {
	v, _ := e.lookup(key)
	return strings.TrimSpace(v)
}
