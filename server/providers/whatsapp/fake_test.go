package whatsapp

import (
	"bytes"
	"context"
	"errors"
	"sync"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
)

// fakeStore is a device store in memory: one device, linked or not.
type fakeStore struct {
	mu      sync.Mutex
	own     types.JID // empty = not linked
	clients []*fakeClient
	// connectErrs are returned by the next Connect calls (any client), in order.
	connectErrs []error
	qrCodes     []string
}

func (s *fakeStore) Client(context.Context) (Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := &fakeClient{store: s, own: s.own}
	s.clients = append(s.clients, c)
	return c, nil
}
func (s *fakeStore) Close() error { return nil }

func (s *fakeStore) last() *fakeClient {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.clients[len(s.clients)-1]
}

type sentMsg struct {
	to  types.JID
	msg *waE2E.Message
}

type fakeClient struct {
	store *fakeStore

	mu        sync.Mutex
	own       types.JID
	lid       types.JID
	presence  []string // "<jid> composing|paused"
	connected bool
	handlers  []func(any)
	sent      []sentMsg
	uploads   int
	uploaded  [][]byte // the bytes of each Upload
	qr        chan whatsmeow.QRChannelItem
	connects  int
	loggedOut bool
	// media answers Download by the message's direct path.
	media     map[string][]byte
	downloads int
	reads     []string // MarkRead calls: "<chat> <sender> <id>" (ack_test.go)
}

func (c *fakeClient) Linked() bool { c.mu.Lock(); defer c.mu.Unlock(); return !c.own.IsEmpty() }
func (c *fakeClient) OwnJID() types.JID {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.own
}
func (c *fakeClient) OwnLID() types.JID {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lid
}
func (c *fakeClient) Connect() error {
	c.store.mu.Lock()
	var err error
	if len(c.store.connectErrs) > 0 {
		err, c.store.connectErrs = c.store.connectErrs[0], c.store.connectErrs[1:]
	}
	codes := c.store.qrCodes
	c.store.mu.Unlock()
	c.mu.Lock()
	c.connects++
	if err != nil {
		c.mu.Unlock()
		return err
	}
	c.connected = true
	qr := c.qr
	c.mu.Unlock()
	if qr != nil {
		for _, code := range codes {
			qr <- whatsmeow.QRChannelItem{Event: whatsmeow.QRChannelEventCode, Code: code}
		}
		return nil
	}
	c.emit(&events.Connected{})
	return nil
}
func (c *fakeClient) Disconnect() {
	c.mu.Lock()
	was := c.connected
	c.connected = false
	c.mu.Unlock()
	if was {
		c.emit(&events.Disconnected{})
	}
}
func (c *fakeClient) IsConnected() bool { c.mu.Lock(); defer c.mu.Unlock(); return c.connected }
func (c *fakeClient) GetQRChannel(context.Context) (<-chan whatsmeow.QRChannelItem, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.own.IsEmpty() {
		return nil, whatsmeow.ErrQRStoreContainsID
	}
	c.qr = make(chan whatsmeow.QRChannelItem, 8)
	return c.qr, nil
}

// pair simulates the phone scanning the code.
func (c *fakeClient) pair(own types.JID) {
	c.store.mu.Lock()
	c.store.own = own
	c.store.mu.Unlock()
	c.mu.Lock()
	c.own = own
	qr := c.qr
	c.mu.Unlock()
	c.emit(&events.PairSuccess{ID: own})
	qr <- whatsmeow.QRChannelSuccess
	close(qr)
	c.emit(&events.Connected{})
}

func (c *fakeClient) SendMessage(_ context.Context, to types.JID, msg *waE2E.Message) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.connected {
		return "", errors.New("fake: not connected")
	}
	c.sent = append(c.sent, sentMsg{to, msg})
	return "MSG" + string(rune('A'+len(c.sent)-1)), nil
}
func (c *fakeClient) SendChatPresence(_ context.Context, to types.JID, state types.ChatPresence) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.presence = append(c.presence, to.String()+" "+string(state))
	return nil
}
func (c *fakeClient) presences() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.presence...)
}
func (c *fakeClient) Upload(_ context.Context, data []byte, _ whatsmeow.MediaType) (whatsmeow.UploadResponse, error) {
	c.mu.Lock()
	c.uploads++
	c.uploaded = append(c.uploaded, bytes.Clone(data))
	c.mu.Unlock()
	return whatsmeow.UploadResponse{URL: "https://mmg.invalid/x", DirectPath: "/x", MediaKey: []byte("k"), FileLength: uint64(len(data))}, nil
}
func (c *fakeClient) Download(_ context.Context, msg whatsmeow.DownloadableMessage) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.downloads++
	b, ok := c.media[msg.GetDirectPath()]
	if !ok {
		return nil, errors.New("fake: media not found")
	}
	return b, nil
}
func (c *fakeClient) BuildPollCreation(q string, opts []string, max int) *waE2E.Message {
	sel := uint32(max)
	m := &waE2E.PollCreationMessage{Name: &q, SelectableOptionsCount: &sel}
	for _, o := range opts {
		m.Options = append(m.Options, &waE2E.PollCreationMessage_Option{OptionName: &o})
	}
	return &waE2E.Message{PollCreationMessage: m}
}
func (c *fakeClient) Logout(ctx context.Context) error {
	c.mu.Lock()
	c.loggedOut = true
	c.mu.Unlock()
	return c.DeleteLocal(ctx)
}
func (c *fakeClient) DeleteLocal(context.Context) error {
	c.store.mu.Lock()
	c.store.own = types.EmptyJID
	c.store.mu.Unlock()
	c.mu.Lock()
	c.own = types.EmptyJID
	c.mu.Unlock()
	return nil
}
func (c *fakeClient) AddEventHandler(h func(any)) {
	c.mu.Lock()
	c.handlers = append(c.handlers, h)
	c.mu.Unlock()
}
func (c *fakeClient) emit(evt any) {
	c.mu.Lock()
	hs := append([]func(any){}, c.handlers...)
	c.mu.Unlock()
	for _, h := range hs {
		h(evt)
	}
}
func (c *fakeClient) sentMsgs() []sentMsg {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]sentMsg(nil), c.sent...)
}
