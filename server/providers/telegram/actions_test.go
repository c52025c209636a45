package telegram_test

import (
	"errors"
	"testing"

	"github.com/clawgate/gateway/server/providers"
	"github.com/clawgate/gateway/server/providers/telegram/tgtest"
)

// React sets and clears (empty emoji) the bot's reaction; DeleteMessage deletes; the
// Bot API's refusals (a message deleted twice, an unknown chat) and a message id that
// is no number come back as input errors.
func TestReactAndDelete(t *testing.T) {
	srv := tgtest.New(t, token)
	srv.AddChat(42)
	p := newProvider(t, srv, token, nil, nil)
	ctx := ctx10(t)
	if err := p.React(ctx, providers.Reaction{ChatID: "42", MessageID: "7", Emoji: "🔥"}); err != nil {
		t.Fatal(err)
	}
	if err := p.React(ctx, providers.Reaction{ChatID: "42", MessageID: "7"}); err != nil {
		t.Fatal(err)
	}
	want := []tgtest.Reaction{{ChatID: "42", MessageID: 7, Emoji: "🔥"}, {ChatID: "42", MessageID: 7}}
	if got := srv.Reactions(); len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("reactions %+v", got)
	}
	if err := p.DeleteMessage(ctx, providers.MessageRef{ChatID: "42", MessageID: "9"}); err != nil {
		t.Fatal(err)
	}
	if got := srv.Deletions(); len(got) != 1 || got[0] != (tgtest.Deletion{ChatID: "42", MessageID: 9}) {
		t.Fatalf("deletions %+v", got)
	}
	var ie *providers.InputError
	for name, err := range map[string]error{
		"deleted twice": p.DeleteMessage(ctx, providers.MessageRef{ChatID: "42", MessageID: "9"}),
		"unknown chat":  p.React(ctx, providers.Reaction{ChatID: "43", MessageID: "1", Emoji: "🔥"}),
		"bad id":        p.DeleteMessage(ctx, providers.MessageRef{ChatID: "42", MessageID: "abc"}),
	} {
		if !errors.As(err, &ie) {
			t.Errorf("%s: %v, want an input error", name, err)
		}
	}
}
