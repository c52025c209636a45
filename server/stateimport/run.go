package stateimport

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/clawgate/gateway/server/auth"
	"github.com/clawgate/gateway/server/nodes"
	"github.com/clawgate/gateway/server/providers/whatsapp"
	"github.com/clawgate/gateway/server/sessions"
	"github.com/clawgate/gateway/server/statefile"
)

// ErrRelocate marks a Run that could not move this gateway's own device or node store
// files into OwnDir. The daemon must not start then: its stores in OwnDir would be
// missing the devices and nodes paired with it.
var ErrRelocate = errors.New("stateimport: moving this gateway's pairing stores")

// RunOptions configure Run.
type RunOptions struct {
	// StateDir is the state dir (the original's and ours).
	StateDir string
	// SessionsDB is this gateway's session database; "" means <StateDir>/sessions.db.
	SessionsDB string
	// SessionStore is the original's session.store setting (see Options).
	SessionStore string
	Now          func() time.Time
	Logger       *slog.Logger
}

// Run is the daemon's start-up step: it moves device/node store files this gateway
// wrote next to the original's into OwnDir (older builds kept them there), opens the
// stores, imports, closes what it opened and logs one line. Call it after the state
// dir exists and before the device and node stores are opened (they keep their files
// in memory, so records written behind their back would be lost); open those with
// OwnDir(StateDir). A failed run leaves committed imports in place for the next one;
// the caller logs the error and starts anyway.
func Run(ctx context.Context, o RunOptions) (Report, error) {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if o.StateDir == "" {
		return Report{}, errors.New("stateimport: no state dir")
	}
	moved, err := relocateOwn(o.StateDir)
	if err != nil {
		return Report{StateDir: o.StateDir, Relocated: moved}, err
	}
	own := OwnDir(o.StateDir)
	devs, err := auth.OpenStore(auth.StoreOptions{Dir: own, Now: o.Now, Logger: log})
	if err != nil {
		return Report{StateDir: o.StateDir, Relocated: moved}, fmt.Errorf("stateimport: %w", err)
	}
	nds, err := nodes.OpenStore(nodes.StoreOptions{StateDir: own, Now: o.Now, Logger: log})
	if err != nil {
		return Report{StateDir: o.StateDir, Relocated: moved}, fmt.Errorf("stateimport: %w", err)
	}
	dbPath := o.SessionsDB
	if dbPath == "" {
		dbPath = filepath.Join(o.StateDir, "sessions.db")
	}
	ss, err := sessions.Open(ctx, sessions.Options{Path: dbPath, Now: o.Now, Logger: log})
	if err != nil {
		return Report{StateDir: o.StateDir, Relocated: moved}, fmt.Errorf("stateimport: %w", err)
	}
	defer ss.Close()
	rep, err := Import(ctx, o.StateDir, Stores{Sessions: ss, Devices: devs, Nodes: nds},
		Options{SessionStore: o.SessionStore, Now: o.Now, Logger: log})
	rep.Relocated = append(moved, rep.Relocated...)
	switch {
	case err != nil:
		log.Error("state import from the original gateway stopped", "stateDir", o.StateDir, "err", err, "summary", rep.Summary())
	case len(rep.Problems) > 0:
		log.Warn("state carried over from the original gateway, with problems", "stateDir", o.StateDir, "summary", rep.Summary())
	case rep.Original() || rep.NeedsRelink || len(moved) > 0:
		log.Info("state carried over from the original gateway", "stateDir", o.StateDir, "summary", rep.Summary())
	}
	return rep, err
}

// relocateOwn moves devices/ and nodes/ store files in this gateway's own format
// (hashed tokens) from the state dir, where builds before OwnDir kept them, into
// OwnDir, unless OwnDir already has them. The original's files (tokens in clear) stay.
func relocateOwn(stateDir string) ([]string, error) {
	var moved []string
	for _, sub := range []string{"devices", "nodes"} {
		src := filepath.Join(stateDir, sub, "paired.json")
		dstDir := filepath.Join(OwnDir(stateDir), sub)
		if !ownFormat(src, sub) || exists(filepath.Join(dstDir, "paired.json")) {
			continue
		}
		if err := statefile.PrivateDir(dstDir, 0o700); err != nil {
			return moved, fmt.Errorf("%w: %w", ErrRelocate, err)
		}
		// pending.json first: paired.json is what marks the directory as ours, so a
		// crash in between leaves it to be moved by the next run.
		for _, name := range []string{"pending.json", "paired.json"} {
			from, to := filepath.Join(stateDir, sub, name), filepath.Join(dstDir, name)
			if err := os.Rename(from, to); err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					continue
				}
				return moved, fmt.Errorf("%w: move %s: %w", ErrRelocate, from, err)
			}
			moved = append(moved, from+" → "+to)
		}
		if err := statefile.SyncDir(dstDir); err != nil {
			return moved, fmt.Errorf("%w: %w", ErrRelocate, err)
		}
	}
	return moved, nil
}

// ownFormat reports whether a paired.json was written by this gateway: it holds token
// hashes and no token in clear.
func ownFormat(path, sub string) bool {
	data, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	hashes, clear := 0, 0
	switch sub {
	case "devices":
		var m map[string]originalDevice
		if json.Unmarshal(data, &m) != nil {
			return false
		}
		for _, d := range m {
			for _, t := range d.Tokens {
				if t.SHA256 != "" {
					hashes++
				}
				if t.Token != "" {
					clear++
				}
			}
		}
	case "nodes":
		var m map[string]struct {
			Token       string `json:"token"`
			TokenSHA256 string `json:"tokenSha256"`
		}
		if json.Unmarshal(data, &m) != nil {
			return false
		}
		for _, n := range m {
			if n.TokenSHA256 != "" {
				hashes++
			}
			if n.Token != "" {
				clear++
			}
		}
	}
	return hashes > 0 && clear == 0
}

// NeedsRelink reports whether WhatsApp was linked by the original gateway (Baileys
// credentials, <stateDir>/credentials/whatsapp/<account>/creds.json or the older
// <stateDir>/credentials/creds.json) but not by this gateway (no device in its
// whatsmeow store). Baileys' keys cannot be turned into a whatsmeow session, so the
// phone must be linked again: doctor says "re-link needed".
func NeedsRelink(stateDir string) bool {
	return len(OriginalWhatsAppCreds(stateDir)) > 0 && !whatsmeowLinked(whatsapp.SessionPath(stateDir))
}

// OriginalWhatsAppCreds lists the original's WhatsApp credential files in stateDir.
func OriginalWhatsAppCreds(stateDir string) []string {
	cred := filepath.Join(stateDir, "credentials")
	cands := []string{filepath.Join(cred, "creds.json")}
	if ents, err := os.ReadDir(filepath.Join(cred, "whatsapp")); err == nil {
		for _, e := range ents {
			if e.IsDir() {
				cands = append(cands, filepath.Join(cred, "whatsapp", e.Name(), "creds.json"))
			}
		}
	}
	var out []string
	for _, p := range cands {
		// The original counts a creds.json of more than one byte as linked.
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Size() > 1 {
			out = append(out, p)
		}
	}
	return out
}

// whatsmeowLinked reports whether the whatsmeow store at path holds a device.
func whatsmeowLinked(path string) bool {
	if fi, err := os.Stat(path); err != nil || fi.Size() == 0 {
		return false
	}
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(2000)")
	if err != nil {
		return false
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM whatsmeow_device`).Scan(&n); err != nil {
		return false
	}
	return n > 0
}
