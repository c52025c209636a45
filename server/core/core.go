// Package core hands the gateway's core method groups — system, devices, nodes,
// config, wizard, voicewake and update — to a server's Mux, configured from the server's options. The transport
// (server/gateway) serves no group itself; whoever builds a server calls Serve, then
// hands it the other groups (agent, chat, send, ...).
package core

import (
	"os"

	"github.com/clawgate/gateway/gen/go/protocol"
	"github.com/clawgate/gateway/server/bridge"
	"github.com/clawgate/gateway/server/configapi"
	"github.com/clawgate/gateway/server/devices"
	"github.com/clawgate/gateway/server/gateway"
	"github.com/clawgate/gateway/server/nodeapi"
	"github.com/clawgate/gateway/server/system"
	"github.com/clawgate/gateway/server/update"
	"github.com/clawgate/gateway/server/voicewake"
	"github.com/clawgate/gateway/server/wizard"
)

// Serve sets the system, devices, nodes and config groups on s.Mux(). Call it before
// s.Serve; a group set on the Mux afterwards replaces the core one.
func Serve(s *gateway.Server) {
	o := s.Options()
	m := s.Mux()
	m.SetSystem(system.New[*gateway.Conn](s, system.Options{LogFile: o.LogFile}))
	m.SetDevices(devices.New[*gateway.Conn](s, devices.Options{Store: o.Devices, Now: o.Now}))
	m.SetNodes(nodeapi.New[*gateway.Conn](s, nodeapi.Options{Store: o.Nodes, Live: o.LiveNodes, Now: o.Now, Logger: o.Logger}))
	cfg := configapi.New[*gateway.Conn](configapi.Options{
		Path: o.ConfigPath, HasSecret: o.Secrets.HasSecret, Version: o.Version, GeneratedAt: o.ProcessStart,
	})
	m.SetConfig(cfg)
	m.SetWizard(NewWizard(s, cfg))
	m.SetUpdate(update.New[*gateway.Conn](update.Options{Version: o.Version, Commit: o.Commit, Now: o.Now}))
	m.SetVoicewake(voicewake.New[*gateway.Conn](s, voicewake.Options{StateDir: o.StateDir, Now: o.Now}))
}

// NewWizard returns the onboarding wizard group for s, writing the config file
// through cfg (the config group's writer, so the two take turns). Its sessions end
// with Close; the daemon keeps one across in-process restarts instead.
func NewWizard(s *gateway.Server, cfg wizard.ConfigStore) *wizard.Handler[*gateway.Conn] {
	o := s.Options()
	home, _ := os.UserHomeDir()
	return wizard.New[*gateway.Conn](wizard.Options{Now: o.Now,
		FlowOptions: wizard.FlowOptions{Config: cfg, Home: home, Version: o.Version, Now: o.Now}})
}

// BridgeMethods is the method table of the v2 TCP bridge's node req frames for s: the
// same core groups, over the bridge's caller. The manifest decides which methods a
// bridge node may call ("bridge": true); groups not built here (chat, sessions: the
// agent's, which serve WebSocket connections only) answer UNAVAILABLE.
func BridgeMethods(s *gateway.Server) *protocol.Mux[*bridge.Caller] {
	o := s.Options()
	m := protocol.NewMux[*bridge.Caller]()
	m.SetSystem(system.New[*bridge.Caller](s, system.Options{LogFile: o.LogFile}))
	m.SetNodes(nodeapi.New[*bridge.Caller](s, nodeapi.Options{Store: o.Nodes, Live: o.LiveNodes, Now: o.Now, Logger: o.Logger}))
	m.SetConfig(configapi.New[*bridge.Caller](configapi.Options{
		Path: o.ConfigPath, HasSecret: o.Secrets.HasSecret, Version: o.Version, GeneratedAt: o.ProcessStart,
	}))
	m.SetVoicewake(voicewake.New[*bridge.Caller](s, voicewake.Options{StateDir: o.StateDir, Now: o.Now}))
	return m
}
