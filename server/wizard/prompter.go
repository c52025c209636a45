package wizard

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/clawgate/gateway/gen/go/protocol"
)

// Limits on answers.
const (
	// MaxAnswerBytes bounds an answer's encoded value (wizard.next answer.value).
	MaxAnswerBytes = 64 << 10
	// MaxTextLen bounds a text answer, in characters.
	MaxTextLen = 4096
)

// Option is one choice of a select or multiselect step.
type Option struct {
	Value string // sent back as the answer
	Label string
	Hint  string
}

// Prompter is what a Flow asks through: each call shows one step and returns its
// checked answer, or ErrCancelled when the session was cancelled meanwhile.
type Prompter struct{ s *Session }

func str(v string) *string {
	if v == "" {
		return nil
	}
	return &v
}

func raw(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}

// isAbsent reports whether the client sent no value (absent or null).
func isAbsent(v json.RawMessage) bool {
	v = bytes.TrimSpace(v)
	return len(v) == 0 || bytes.Equal(v, []byte("null"))
}

// Note shows a message; any answer (none included) acknowledges it.
func (p *Prompter) Note(ctx context.Context, title, message string) error {
	_, err := p.s.ask(ctx, &step{
		wire:  protocol.WizardStep{Type: protocol.WizardStepTypeNote, Title: str(title), Message: &message},
		check: func(json.RawMessage) (any, error) { return nil, nil },
	})
	return err
}

// Confirm asks a yes/no question; the answer must be a boolean.
func (p *Prompter) Confirm(ctx context.Context, message string, initial bool) (bool, error) {
	v, err := p.s.ask(ctx, &step{
		wire: protocol.WizardStep{Type: protocol.WizardStepTypeConfirm, Message: &message, InitialValue: raw(initial)},
		check: func(r json.RawMessage) (any, error) {
			var b bool
			if isAbsent(r) || json.Unmarshal(r, &b) != nil {
				return nil, errors.New("wizard: a confirm step takes a boolean value")
			}
			return b, nil
		},
	})
	if err != nil {
		return false, err
	}
	return v.(bool), nil
}

// matchOption finds the option an answer names: by value, else by label (the
// macOS app sends the label when it cannot send the value).
func matchOption(opts []Option, r json.RawMessage) (string, bool) {
	var s string
	if json.Unmarshal(r, &s) != nil {
		return "", false
	}
	for _, o := range opts {
		if o.Value == s {
			return o.Value, true
		}
	}
	for _, o := range opts {
		if o.Label == s {
			return o.Value, true
		}
	}
	return "", false
}

func wireOptions(opts []Option) []protocol.WizardStepOption {
	out := make([]protocol.WizardStepOption, 0, len(opts))
	for _, o := range opts {
		out = append(out, protocol.WizardStepOption{Value: raw(o.Value), Label: o.Label, Hint: str(o.Hint)})
	}
	return out
}

// Select asks for one of opts; the answer must be one option's value.
func (p *Prompter) Select(ctx context.Context, message string, opts []Option, initial string) (string, error) {
	st := &step{wire: protocol.WizardStep{Type: protocol.WizardStepTypeSelect, Message: &message, Options: wireOptions(opts)}}
	if initial != "" {
		st.wire.InitialValue = raw(initial)
	}
	st.check = func(r json.RawMessage) (any, error) {
		if v, ok := matchOption(opts, r); ok {
			return v, nil
		}
		return nil, fmt.Errorf("wizard: %s is not one of the step's options", clip(r))
	}
	v, err := p.s.ask(ctx, st)
	if err != nil {
		return "", err
	}
	return v.(string), nil
}

// MultiSelect asks for any number of opts; the answer must be an array of option
// values (duplicates collapse; order follows opts).
func (p *Prompter) MultiSelect(ctx context.Context, message string, opts []Option, initial []string) ([]string, error) {
	if initial == nil {
		initial = []string{}
	}
	st := &step{wire: protocol.WizardStep{Type: protocol.WizardStepTypeMultiselect, Message: &message, Options: wireOptions(opts), InitialValue: raw(initial)}}
	st.check = func(r json.RawMessage) (any, error) {
		if isAbsent(r) {
			return []string{}, nil
		}
		var items []json.RawMessage
		if json.Unmarshal(r, &items) != nil {
			return nil, errors.New("wizard: a multiselect step takes an array of option values")
		}
		chosen := map[string]bool{}
		for _, it := range items {
			v, ok := matchOption(opts, it)
			if !ok {
				return nil, fmt.Errorf("wizard: %s is not one of the step's options", clip(it))
			}
			chosen[v] = true
		}
		out := []string{}
		for _, o := range opts {
			if chosen[o.Value] {
				out = append(out, o.Value)
			}
		}
		return out, nil
	}
	v, err := p.s.ask(ctx, st)
	if err != nil {
		return nil, err
	}
	return v.([]string), nil
}

// TextStep describes a text prompt.
type TextStep struct {
	Message, Initial, Placeholder string
	Sensitive                     bool // a secret: clients do not echo it
	// Validate checks the answer (already a string of at most MaxTextLen
	// characters); an error is returned to the client and the step stays pending.
	Validate func(string) error
}

// Text asks for a string; no value counts as "".
func (p *Prompter) Text(ctx context.Context, t TextStep) (string, error) {
	st := &step{wire: protocol.WizardStep{Type: protocol.WizardStepTypeText, Message: &t.Message, Placeholder: str(t.Placeholder)}}
	if t.Initial != "" {
		st.wire.InitialValue = raw(t.Initial)
	}
	if t.Sensitive {
		st.wire.Sensitive = new(true)
	}
	st.check = func(r json.RawMessage) (any, error) {
		s := ""
		if !isAbsent(r) && json.Unmarshal(r, &s) != nil {
			return nil, errors.New("wizard: a text step takes a string value")
		}
		if utf8.RuneCountInString(s) > MaxTextLen {
			return nil, fmt.Errorf("wizard: answer longer than %d characters", MaxTextLen)
		}
		if t.Validate != nil {
			if err := t.Validate(s); err != nil {
				return nil, err
			}
		}
		return s, nil
	}
	v, err := p.s.ask(ctx, st)
	if err != nil {
		return "", err
	}
	return v.(string), nil
}

// Commit runs the flow's final write unless the session has been cancelled.
func (p *Prompter) Commit(fn func() error) error { return p.s.commit(fn) }

// clip shortens a value for an error message.
func clip(r json.RawMessage) string {
	s := string(bytes.TrimSpace(r))
	if len(s) > 64 {
		s = s[:64] + "…"
	}
	if s == "" {
		return "no value"
	}
	return s
}
