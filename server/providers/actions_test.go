package providers_test

import (
	"context"
	"errors"
	"testing"

	"github.com/clawgate/gateway/server/providers"
)

// actor is a stub that reacts and deletes.
type actor struct {
	stub
	reacts  []providers.Reaction
	deletes []providers.MessageRef
}

func (a *actor) React(_ context.Context, r providers.Reaction) error {
	a.reacts = append(a.reacts, r)
	return nil
}

func (a *actor) DeleteMessage(_ context.Context, m providers.MessageRef) error {
	a.deletes = append(a.deletes, m)
	return nil
}

// React and DeleteMessage route by channel and through an account set to the
// account's provider; a provider without the ability gets an input error.
func TestRegistryReactDelete(t *testing.T) {
	work := &actor{stub: stub{name: providers.Telegram}}
	tg := providers.NewAccountSet(providers.Telegram, "default", map[string]providers.Provider{
		"default": &actor{stub: stub{name: providers.Telegram}}, "work": work})
	wa := &stub{name: providers.WhatsApp}
	r := providers.NewRegistry(nil, wa, tg)
	ctx := context.Background()
	if err := r.React(ctx, providers.Telegram, providers.Reaction{ChatID: "1", MessageID: "2", Emoji: "👍", AccountID: "work"}); err != nil {
		t.Fatal(err)
	}
	if err := r.DeleteMessage(ctx, providers.Telegram, providers.MessageRef{ChatID: "1", MessageID: "3", AccountID: "work"}); err != nil {
		t.Fatal(err)
	}
	if len(work.reacts) != 1 || len(work.deletes) != 1 || work.deletes[0].MessageID != "3" {
		t.Fatalf("work account got %+v %+v", work.reacts, work.deletes)
	}
	var ie *providers.InputError
	if err := r.React(ctx, providers.WhatsApp, providers.Reaction{ChatID: "1", MessageID: "2"}); !errors.As(err, &ie) {
		t.Fatalf("react on a provider without reactions: %v", err)
	}
	if err := r.DeleteMessage(ctx, providers.WhatsApp, providers.MessageRef{ChatID: "1", MessageID: "2"}); !errors.As(err, &ie) {
		t.Fatalf("delete on a provider without it: %v", err)
	}
	if err := r.React(ctx, providers.Telegram, providers.Reaction{ChatID: "1", MessageID: "2", AccountID: "nope"}); !errors.As(err, &ie) {
		t.Fatalf("unknown account: %v", err)
	}
}
