package telegram

import (
	"slices"
	"testing"

	"github.com/clawgate/gateway/server/agent/commands"
)

func TestResolveCustomCommands(t *testing.T) {
	cases := []struct {
		name   string
		in     []BotCommand
		want   []BotCommand
		issues int
	}{
		{"normalised", []BotCommand{{" /Deploy ", "  Ship it  "}}, []BotCommand{{"deploy", "Ship it"}}, 0},
		{"missing name", []BotCommand{{"  ", "x"}}, nil, 1},
		{"bad characters", []BotCommand{{"de-ploy", "x"}}, nil, 1},
		{"too long", []BotCommand{{"a234567890123456789012345678901x3", "x"}}, nil, 1},
		{"32 is fine", []BotCommand{{"a234567890123456789012345678901x", "x"}}, []BotCommand{{"a234567890123456789012345678901x", "x"}}, 0},
		{"native clash", []BotCommand{{"status", "x"}, {"/Whoami", "x"}, {"dock_telegram", "x"}}, nil, 3},
		{"duplicate keeps the first", []BotCommand{{"go", "one"}, {"GO", "two"}}, []BotCommand{{"go", "one"}}, 1},
		{"missing description", []BotCommand{{"go", " "}}, nil, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, issues := ResolveCustomCommands(c.in)
			if !slices.Equal(got, c.want) || len(issues) != c.issues {
				t.Fatalf("got %v, issues %q; want %v and %d issues", got, issues, c.want, c.issues)
			}
		})
	}
}

// TestNativeCommandNames: the menu's native entries are valid Telegram commands,
// reserved against custom ones, described, and answered by the gateway itself
// (commands.Parse), so none goes to the model as text.
func TestNativeCommandNames(t *testing.T) {
	for _, n := range NativeCommands {
		if !commandNameRE.MatchString(n.Command) || !reservedCommands[n.Command] || n.Description == "" {
			t.Errorf("native command %+v", n)
		}
		if _, ok := commands.Parse("/" + n.Command); !ok {
			t.Errorf("/%s is offered but not a gateway command", n.Command)
		}
	}
}
