package config

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// MissingEnvError is a ${VAR} in a config string whose variable is unset or empty.
type MissingEnvError struct {
	Var  string
	Path string // JSON Pointer of the string
}

func (e *MissingEnvError) Error() string {
	return fmt.Sprintf("config: environment variable %s is not set (referenced at %s)", e.Var, displayPath(e.Path))
}

var envName = regexp.MustCompile(`^[A-Z_][A-Z0-9_]*$`)

// substituteEnv replaces ${VAR} in every string value (not keys) with the
// variable's value, as the original does: VAR is [A-Z_][A-Z0-9_]*, $${VAR} is a
// literal ${VAR}, anything else is kept as written, and an unset or empty variable
// is a *MissingEnvError.
func substituteEnv(v any, env Env, path string) (any, error) {
	switch t := v.(type) {
	case string:
		return substituteString(t, env, path)
	case []any:
		for i, e := range t {
			r, err := substituteEnv(e, env, path+"/"+strconv.Itoa(i))
			if err != nil {
				return nil, err
			}
			t[i] = r
		}
	case map[string]any:
		for k, e := range t {
			r, err := substituteEnv(e, env, path+"/"+escapePointer(k))
			if err != nil {
				return nil, err
			}
			t[k] = r
		}
	}
	return v, nil
}

func substituteString(s string, env Env, path string) (string, error) {
	if !strings.Contains(s, "${") {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '$' {
			b.WriteByte(c)
			continue
		}
		if strings.HasPrefix(s[i:], "$${") {
			if end := strings.IndexByte(s[i+3:], '}'); end >= 0 && envName.MatchString(s[i+3:i+3+end]) {
				b.WriteString("${" + s[i+3:i+3+end] + "}")
				i += 3 + end
				continue
			}
		}
		if strings.HasPrefix(s[i:], "${") {
			if end := strings.IndexByte(s[i+2:], '}'); end >= 0 && envName.MatchString(s[i+2:i+2+end]) {
				name := s[i+2 : i+2+end]
				val, ok := env.lookup(name)
				if !ok || val == "" {
					return "", &MissingEnvError{Var: name, Path: path}
				}
				b.WriteString(val)
				i += 2 + end
				continue
			}
		}
		b.WriteByte(c)
	}
	return b.String(), nil
}

// displayPath renders a JSON Pointer as the dotted path people type
// ("/channels/telegram/botToken" → channels.telegram.botToken).
func displayPath(ptr string) string {
	if ptr == "" {
		return "(root)"
	}
	toks := strings.Split(strings.TrimPrefix(ptr, "/"), "/")
	for i, t := range toks {
		toks[i] = strings.NewReplacer("~1", "/", "~0", "~").Replace(t)
	}
	return strings.Join(toks, ".")
}
