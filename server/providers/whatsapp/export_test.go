package whatsapp

import "go.mau.fi/whatsmeow/types"

// NewFakeLinkedStore is a device store in memory, linked to +user, for the external
// wire tests (package whatsapp_test), which cannot reach the unexported fakes.
func NewFakeLinkedStore(user string) Store {
	return &fakeStore{own: types.NewJID(user, types.DefaultUserServer)}
}
