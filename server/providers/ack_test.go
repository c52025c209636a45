package providers

import (
	"fmt"
	"testing"
)

func TestShouldAck(t *testing.T) {
	dm := AckFacts{}
	mention := AckFacts{Group: true, Mentioned: true, RequireMention: true}
	chatty := AckFacts{Group: true, Mentioned: true} // group answering everything
	plain := AckFacts{Group: true, RequireMention: false}
	tests := []struct {
		scope string
		f     AckFacts
		want  bool
	}{
		{"", dm, false}, {"", mention, true}, {"", chatty, false},
		{AckGroupMentions, mention, true}, {AckGroupAll, plain, true}, {AckGroupAll, dm, false},
		{AckDirect, dm, true}, {AckDirect, mention, false}, {AckAll, dm, true}, {AckAll, plain, true},
		{AckOff, mention, false}, {"none", dm, false}, {"bogus", mention, false},
	}
	for _, tt := range tests {
		if got := ShouldAck(tt.scope, tt.f); got != tt.want {
			t.Errorf("ShouldAck(%q, %+v) = %v", tt.scope, tt.f, got)
		}
	}
	wa := []struct {
		direct bool
		mode   string
		f      AckFacts
		want   bool
	}{
		{true, "", dm, true}, {false, "", dm, false},
		{true, "", mention, true}, {true, "", AckFacts{Group: true, RequireMention: true}, false},
		{true, "", plain, true}, // requireMention false: the group is activated
		{true, AckModeAlways, AckFacts{Group: true, RequireMention: true}, true},
		{true, AckModeNever, mention, false},
	}
	for _, tt := range wa {
		if got := ShouldAckWhatsApp(tt.direct, tt.mode, tt.f); got != tt.want {
			t.Errorf("ShouldAckWhatsApp(%v, %q, %+v) = %v", tt.direct, tt.mode, tt.f, got)
		}
	}
}

// The tracker keeps at most MaxAcksPerChat per chat (the newest) and MaxAckChats
// chats (dropping the oldest chat); Take empties a chat.
func TestAckTrackerBounds(t *testing.T) {
	var tr AckTracker
	for i := range MaxAcksPerChat + 5 {
		tr.Add("c", fmt.Sprint(i))
	}
	ids := tr.Take("c")
	if len(ids) != MaxAcksPerChat || ids[0] != "5" || tr.Len() != 0 || tr.Take("c") != nil {
		t.Fatalf("ids %v len %d", ids, tr.Len())
	}
	for i := range MaxAckChats + 1 {
		tr.Add(fmt.Sprint("chat", i), "1")
	}
	if tr.Len() != MaxAckChats || tr.Take("chat0") != nil || tr.Take(fmt.Sprint("chat", MaxAckChats)) == nil {
		t.Fatalf("len %d", tr.Len())
	}
}
