package stateimport

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"

	"github.com/clawgate/gateway/server/auth"
	"github.com/clawgate/gateway/server/nodes"
)

// originalDevice is PairedDevice of the original's devices/paired.json
// (src/infra/device-pairing.ts), a map by deviceId.
type originalDevice struct {
	DeviceID     string                   `json:"deviceId"`
	PublicKey    string                   `json:"publicKey"`
	DisplayName  string                   `json:"displayName"`
	Platform     string                   `json:"platform"`
	ClientID     string                   `json:"clientId"`
	ClientMode   string                   `json:"clientMode"`
	Role         string                   `json:"role"`
	Roles        []string                 `json:"roles"`
	Scopes       []string                 `json:"scopes"`
	RemoteIP     string                   `json:"remoteIp"`
	Tokens       map[string]originalToken `json:"tokens"`
	CreatedAtMs  float64                  `json:"createdAtMs"`
	ApprovedAtMs float64                  `json:"approvedAtMs"`
}

// originalToken is DeviceAuthToken: the token in clear.
type originalToken struct {
	Token       string   `json:"token"`
	Role        string   `json:"role"`
	Scopes      []string `json:"scopes"`
	CreatedAtMs float64  `json:"createdAtMs"`
	RotatedAtMs float64  `json:"rotatedAtMs"`
	RevokedAtMs float64  `json:"revokedAtMs"`
	// This gateway's own store format (moved away by relocateOwn) has sha256 here.
	SHA256 string `json:"sha256"`
}

// originalNode is NodePairingPairedNode of the original's nodes/paired.json
// (src/infra/node-pairing.ts), a map by nodeId.
type originalNode struct {
	NodeID          string          `json:"nodeId"`
	Token           string          `json:"token"`
	DisplayName     string          `json:"displayName"`
	Platform        string          `json:"platform"`
	Version         string          `json:"version"`
	DeviceFamily    string          `json:"deviceFamily"`
	ModelIdentifier string          `json:"modelIdentifier"`
	Caps            []string        `json:"caps"`
	Commands        []string        `json:"commands"`
	Permissions     map[string]bool `json:"permissions"`
	RemoteIP        string          `json:"remoteIp"`
	CreatedAtMs     float64         `json:"createdAtMs"`
	ApprovedAtMs    float64         `json:"approvedAtMs"`
}

// hashRaw hashes a JSON record independently of its layout and key order (the
// original rewrites its files with its own formatting; a JSON5 file is re-encoded), so
// only a change of content counts as a change.
func hashRaw(raw []byte) string {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	if d.Decode(&v) == nil {
		if b, err := json.Marshal(v); err == nil {
			raw = b
		}
	}
	s := sha256.Sum256(raw)
	return hex.EncodeToString(s[:])
}

// records reads a paired.json map and calls f for each record in key order; f returns
// the store's answer. It keeps the tally and the ledger.
func (im *importer) records(ctx context.Context, path, kind string, t *Tally, f func(id string, raw json.RawMessage) (added bool, err error)) error {
	recs, ok := im.readJSONMap(path)
	if !ok {
		return nil
	}
	if recs == nil {
		t.Failed++
		return nil
	}
	ids := make([]string, 0, len(recs))
	for id := range recs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		if err := ctx.Err(); err != nil {
			return err
		}
		t.Found++
		raw := recs[id]
		sum := hashRaw(raw)
		item := kind + "/" + id
		if li, ok := im.led.Items[item]; ok {
			if li.SHA256 == sum {
				t.Existing++
			} else {
				t.Changed++
			}
			continue
		}
		added, err := f(id, raw)
		var ae *auth.Error
		var ne *nodes.Error
		switch {
		case errors.As(err, &ae) || errors.As(err, &ne) || errors.Is(err, errRecord):
			t.Failed++
			im.rep.problem(Problem{Path: path, Item: id, Err: err.Error()})
			continue
		case err != nil:
			return fmt.Errorf("stateimport: %s %s: %w", kind, id, err)
		case added:
			t.Imported++
		default:
			t.Existing++
		}
		im.led.Items[item] = ledgerItem{Source: im.rel(path), SHA256: sum, AtMs: im.o.Now().UnixMilli(), Imported: added}
	}
	return nil
}

// errRecord marks a record that could not be decoded.
var errRecord = errors.New("bad record")

func (im *importer) devices(ctx context.Context) error {
	if im.st.Devices == nil {
		return nil
	}
	path := filepath.Join(im.stateDir, "devices", "paired.json")
	return im.records(ctx, path, "device", &im.rep.Devices, func(id string, raw json.RawMessage) (bool, error) {
		var d originalDevice
		if err := json.Unmarshal(raw, &d); err != nil {
			return false, fmt.Errorf("%w: %v", errRecord, err)
		}
		if d.DeviceID != id {
			return false, fmt.Errorf("%w: deviceId %q differs from its key", errRecord, d.DeviceID)
		}
		in := auth.ImportedDevice{
			DeviceID: d.DeviceID, PublicKey: d.PublicKey, DisplayName: d.DisplayName, Platform: d.Platform,
			ClientID: d.ClientID, ClientMode: d.ClientMode, RemoteIP: d.RemoteIP, Role: d.Role,
			Roles: d.Roles, Scopes: d.Scopes, Tokens: map[string]auth.ImportedToken{},
			CreatedAtMs: int64(d.CreatedAtMs), ApprovedAtMs: int64(d.ApprovedAtMs),
		}
		for role, t := range d.Tokens {
			if t.Token == "" && t.RevokedAtMs == 0 {
				if t.SHA256 != "" {
					return false, fmt.Errorf("%w: token for role %q is a hash (this gateway's own format), not the original's token", errRecord, role)
				}
				return false, fmt.Errorf("%w: token for role %q is empty", errRecord, role)
			}
			issued := t.RotatedAtMs
			if issued == 0 {
				issued = t.CreatedAtMs
			}
			in.Tokens[role] = auth.ImportedToken{Token: t.Token, Scopes: t.Scopes, CreatedAtMs: int64(t.CreatedAtMs),
				IssuedAtMs: int64(issued), RevokedAtMs: int64(t.RevokedAtMs)}
		}
		return im.st.Devices.ImportPaired(in)
	})
}

func (im *importer) nodes(ctx context.Context) error {
	if im.st.Nodes == nil {
		return nil
	}
	path := filepath.Join(im.stateDir, "nodes", "paired.json")
	return im.records(ctx, path, "node", &im.rep.Nodes, func(id string, raw json.RawMessage) (bool, error) {
		var n originalNode
		if err := json.Unmarshal(raw, &n); err != nil {
			return false, fmt.Errorf("%w: %v", errRecord, err)
		}
		if n.NodeID != id {
			return false, fmt.Errorf("%w: nodeId %q differs from its key", errRecord, n.NodeID)
		}
		return im.st.Nodes.ImportPaired(nodes.ImportedNode{
			NodeID: n.NodeID, Token: n.Token,
			Info: nodes.NodeInfo{DisplayName: n.DisplayName, Platform: n.Platform, Version: n.Version,
				DeviceFamily: n.DeviceFamily, ModelIdentifier: n.ModelIdentifier, RemoteIP: n.RemoteIP,
				Caps: n.Caps, Commands: n.Commands, Permissions: n.Permissions},
			CreatedAtMs: int64(n.CreatedAtMs), ApprovedAtMs: int64(n.ApprovedAtMs),
		})
	})
}
