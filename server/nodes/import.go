package nodes

import (
	"maps"
	"strings"

	"github.com/clawgate/gateway/server/token"
)

// ImportedNode is a paired node carried over from the original gateway's
// nodes/paired.json, with its token in clear as that file holds it. Only its SHA-256
// is stored.
type ImportedNode struct {
	NodeID, Token             string
	Info                      NodeInfo
	CreatedAtMs, ApprovedAtMs int64
}

// ImportPaired adds a carried-over paired node so that it keeps connecting with its
// stored token. A node already paired here is left alone (false, nil): what this
// gateway knows wins, and importing twice changes nothing. Blank nodeId or token, or
// fields over the store's bounds → INVALID_REQUEST.
func (s *Store) ImportPaired(n ImportedNode) (added bool, err error) {
	id := strings.TrimSpace(n.NodeID)
	if id == "" {
		return false, invalid(MsgNodeIDRequired)
	}
	if n.Token == "" {
		return false, invalid("node " + id + ": no token")
	}
	f := nodeFields{
		DisplayName:     strings.TrimSpace(n.Info.DisplayName),
		Platform:        strings.TrimSpace(n.Info.Platform),
		Version:         strings.TrimSpace(n.Info.Version),
		DeviceFamily:    strings.TrimSpace(n.Info.DeviceFamily),
		ModelIdentifier: strings.TrimSpace(n.Info.ModelIdentifier),
		RemoteIP:        strings.TrimSpace(n.Info.RemoteIP),
		Caps:            normalizeList(n.Info.Caps),
		Commands:        normalizeList(n.Info.Commands),
		Permissions:     maps.Clone(n.Info.Permissions),
	}
	if err := checkFields(id, f); err != nil {
		return false, err
	}
	p := &pairedRecord{NodeID: id, TokenSHA256: token.Hash(n.Token), nodeFields: f, CreatedAtMs: n.CreatedAtMs, ApprovedAtMs: n.ApprovedAtMs}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.paired[id] != nil {
		return false, nil
	}
	paired := maps.Clone(s.paired)
	paired[id] = p
	if err := s.commitLocked(paired, nil); err != nil {
		return false, err
	}
	s.log.Info("node pairing imported", "node", id)
	return true, nil
}
