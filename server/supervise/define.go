// Package supervise installs the gateway as a service of the platform's
// supervisor (issue "CLI … supervision"): a systemd unit on Linux (user unit by
// default, system unit with --system), a launchd agent on macOS and a Scheduled
// Task on Windows.
//
// Define renders the service definition (pure, golden-tested for every platform);
// Install, Uninstall, Stop and Restart write or remove it and drive the
// supervisor through a Runner, so tests can check the exact command lines without
// running them. When the supervisor is not reachable, Install still writes the
// definition and prints the commands to run by hand.
package supervise

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"

	"github.com/clawgate/gateway/server/config"
)

// Kind is the supervisor a definition is for.
type Kind string

// Kinds of service definitions.
const (
	SystemdUser   Kind = "systemd-user"
	SystemdSystem Kind = "systemd-system"
	Launchd       Kind = "launchd"
	Schtasks      Kind = "schtasks"
)

// Base names of the service for the default profile. A named profile gets its
// own service (suffix "-<profile>", ".<profile>", " (<profile>)") so that, e.g.,
// a --dev gateway can be installed next to the default one.
const (
	SystemdUnitBase = "clawdbot-gateway"
	LaunchdLabel    = "com.clawdbot.gateway"
	TaskName        = "Clawdbot Gateway"
)

// DefaultSystemUnitDir is where system units are written.
const DefaultSystemUnitDir = "/etc/systemd/system"

// Options describe the service to define and how to reach the supervisor.
type Options struct {
	// GOOS selects the platform: "darwin" → launchd, "windows" → Scheduled
	// Task, anything else → systemd. "" means runtime.GOOS.
	GOOS string
	// System selects a systemd system unit instead of a user unit (Linux only).
	System bool
	// Binary is the absolute path of the clawdbot executable the service runs.
	Binary string
	// Port is passed as `gateway --port N`.
	Port int
	// Profile "" (default), "dev" (adds --dev) or a --profile name.
	Profile string
	// Env is written into the definition (CLAWDBOT_STATE_DIR,
	// CLAWDBOT_CONFIG_PATH when the installer's environment sets them). Never
	// put secrets here: unit files are world-readable.
	Env map[string]string
	// Home is the user's home directory (user units, launch agents).
	Home string
	// StateDir holds launchd's stdout/stderr logs and the Windows task files.
	StateDir string
	// User is the account a system unit runs as, and the Windows logon user.
	User string
	// UID is the launchd GUI domain (gui/<uid>).
	UID int
	// SystemUnitDir overrides DefaultSystemUnitDir (tests).
	SystemUnitDir string

	// Runner runs the supervisor's commands (default ExecRunner).
	Runner Runner
	// Out receives progress and instructions (default io.Discard).
	Out io.Writer
}

// File is one file of a service definition.
type File struct {
	Path    string
	Content []byte
	// UTF16 asks for the file to be written as UTF-16LE with a BOM (schtasks
	// /XML wants that); Content itself is UTF-8.
	UTF16 bool
}

// Definition is a rendered service definition.
type Definition struct {
	Kind Kind
	// Name is the systemd unit name, the launchd label or the task name.
	Name string
	// Unit is the file the supervisor loads: the unit, the plist, the task XML.
	Unit File
	// Script is a wrapper that sets the environment on Windows (Scheduled Tasks
	// have no environment setting); nil elsewhere and when Env is empty.
	Script *File
}

func (o *Options) goos() string {
	if o.GOOS == "" {
		return runtime.GOOS
	}
	return o.GOOS
}

// kind maps the options to a supervisor.
func (o *Options) kind() Kind {
	switch o.goos() {
	case "darwin":
		return Launchd
	case "windows":
		return Schtasks
	default:
		if o.System {
			return SystemdSystem
		}
		return SystemdUser
	}
}

// profile returns the normalized profile ("" for the default one).
func (o *Options) profile() string {
	p := strings.TrimSpace(o.Profile)
	if strings.EqualFold(p, "default") {
		return ""
	}
	return p
}

// Name returns the service's name for the options' platform and profile:
// "clawdbot-gateway.service", "com.clawdbot.gateway" or "Clawdbot Gateway".
func (o *Options) Name() string {
	p := o.profile()
	switch o.kind() {
	case Launchd:
		if p != "" {
			return LaunchdLabel + "." + p
		}
		return LaunchdLabel
	case Schtasks:
		if p != "" {
			return TaskName + " (" + p + ")"
		}
		return TaskName
	default:
		if p != "" {
			return SystemdUnitBase + "-" + p + ".service"
		}
		return SystemdUnitBase + ".service"
	}
}

// Args are the gateway's command-line arguments after the binary.
func (o *Options) Args() []string {
	args := []string{"gateway", "--port", strconv.Itoa(o.Port)}
	switch p := o.profile(); p {
	case "":
	case config.DevProfile:
		args = append(args, "--dev")
	default:
		args = append(args, "--profile", p)
	}
	return args
}

// join joins path elements for the target platform: Windows paths use "\" even
// when rendered on another OS (golden tests), unless the base is a POSIX path
// (tests that install a Windows definition into a temp dir on Linux).
func (o *Options) join(elem ...string) string {
	switch {
	case o.goos() == runtime.GOOS:
		return filepath.Join(elem...)
	case o.goos() == "windows" && !(len(elem) > 0 && strings.HasPrefix(elem[0], "/")):
		parts := make([]string, 0, len(elem))
		for i, e := range elem {
			e = strings.ReplaceAll(e, "/", `\`)
			if i > 0 {
				e = strings.Trim(e, `\`)
			} else {
				e = strings.TrimRight(e, `\`)
			}
			if e != "" {
				parts = append(parts, e)
			}
		}
		return strings.Join(parts, `\`)
	default:
		return path.Join(elem...)
	}
}

func (o *Options) isAbs(p string) bool {
	if o.goos() == "windows" {
		return len(p) >= 3 && p[1] == ':' && (p[2] == '\\' || p[2] == '/') || strings.HasPrefix(p, `\\`)
	}
	return strings.HasPrefix(p, "/")
}

func (o *Options) validate(needBinary bool) error {
	if p := o.profile(); p != "" {
		if err := config.ValidProfile(p); err != nil {
			return err
		}
	}
	switch o.kind() {
	case SystemdUser, Launchd:
		if o.Home == "" {
			return errors.New("supervise: home directory unknown")
		}
	case Schtasks:
		if o.StateDir == "" {
			return errors.New("supervise: state directory unknown")
		}
	}
	if o.kind() == Launchd && o.StateDir == "" {
		return errors.New("supervise: state directory unknown")
	}
	if o.System && o.goos() != "linux" {
		return fmt.Errorf("supervise: --system is only supported with systemd (Linux), not on %s", o.goos())
	}
	if !needBinary {
		return nil
	}
	if !o.isAbs(o.Binary) {
		return fmt.Errorf("supervise: the binary path must be absolute, got %q", o.Binary)
	}
	if o.Port < 1 || o.Port > 65535 {
		return fmt.Errorf("supervise: invalid port %d", o.Port)
	}
	if o.kind() == SystemdSystem && o.User == "" {
		return errors.New("supervise: a system unit needs the user to run as")
	}
	for k := range o.Env {
		if k == "" || strings.ContainsAny(k, "= \t\r\n\"'") {
			return fmt.Errorf("supervise: invalid environment variable name %q", k)
		}
	}
	for k, v := range o.Env {
		if strings.ContainsAny(v, "\r\n\x00") {
			return fmt.Errorf("supervise: environment variable %s has a line break", k)
		}
	}
	return nil
}

// UnitPath is where the service definition lives for these options.
func (o *Options) UnitPath() string {
	switch o.kind() {
	case SystemdSystem:
		dir := o.SystemUnitDir
		if dir == "" {
			dir = DefaultSystemUnitDir
		}
		return o.join(dir, o.Name())
	case Launchd:
		return o.join(o.Home, "Library", "LaunchAgents", o.Name()+".plist")
	case Schtasks:
		return o.join(o.StateDir, o.fileBase()+".xml")
	default:
		return o.join(o.Home, ".config", "systemd", "user", o.Name())
	}
}

// fileBase is the base name of the Windows task files.
func (o *Options) fileBase() string {
	if p := o.profile(); p != "" {
		return SystemdUnitBase + "-" + p
	}
	return SystemdUnitBase
}

// Define renders the service definition for o.
func Define(o Options) (*Definition, error) {
	if err := o.validate(true); err != nil {
		return nil, err
	}
	d := &Definition{Kind: o.kind(), Name: o.Name()}
	d.Unit.Path = o.UnitPath()
	switch d.Kind {
	case SystemdUser, SystemdSystem:
		d.Unit.Content = systemdUnit(&o)
	case Launchd:
		d.Unit.Content = launchdPlist(&o)
	case Schtasks:
		var script *File
		if len(o.Env) > 0 {
			script = &File{Path: o.join(o.StateDir, o.fileBase()+".cmd"), Content: windowsScript(&o)}
		}
		d.Script = script
		d.Unit.Content = taskXML(&o, script)
		d.Unit.UTF16 = true
	}
	return d, nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func description(o *Options) string {
	if p := o.profile(); p != "" {
		return "Clawdbot Gateway (profile " + p + ")"
	}
	return "Clawdbot Gateway"
}

// ---- systemd ----

func systemdUnit(o *Options) []byte {
	var b bytes.Buffer
	system := o.kind() == SystemdSystem
	fmt.Fprintf(&b, "# Generated by `clawdbot gateway install`; reinstall rather than edit.\n")
	fmt.Fprintf(&b, "[Unit]\n")
	fmt.Fprintf(&b, "Description=%s\n", description(o))
	fmt.Fprintf(&b, "After=network-online.target\n")
	if system {
		// Only the system manager has network-online.target to pull in.
		fmt.Fprintf(&b, "Wants=network-online.target\n")
	}
	fmt.Fprintf(&b, "\n[Service]\n")
	fmt.Fprintf(&b, "Type=simple\n")
	if system {
		fmt.Fprintf(&b, "User=%s\n", o.User)
	}
	words := []string{systemdExecQuote(o.Binary)}
	for _, a := range o.Args() {
		words = append(words, systemdExecQuote(a))
	}
	fmt.Fprintf(&b, "ExecStart=%s\n", strings.Join(words, " "))
	fmt.Fprintf(&b, "Restart=always\n")
	fmt.Fprintf(&b, "RestartSec=5\n")
	for _, k := range sortedKeys(o.Env) {
		fmt.Fprintf(&b, "Environment=%s\n", systemdQuote(k+"="+o.Env[k], false))
	}
	fmt.Fprintf(&b, "\n[Install]\n")
	if system {
		fmt.Fprintf(&b, "WantedBy=multi-user.target\n")
	} else {
		fmt.Fprintf(&b, "WantedBy=default.target\n")
	}
	return b.Bytes()
}

// systemdExecQuote quotes one ExecStart word: specifiers (%) and variable
// expansion ($) are escaped, and words with spaces or quotes are double-quoted.
func systemdExecQuote(s string) string {
	return systemdQuote(strings.ReplaceAll(s, "$", "$$"), true)
}

// systemdQuote escapes "%" (a specifier in both ExecStart= and Environment=)
// and double-quotes s when it has whitespace, quotes or backslashes.
func systemdQuote(s string, exec bool) string {
	s = strings.ReplaceAll(s, "%", "%%")
	if s != "" && !strings.ContainsAny(s, " \t\"'\\;") {
		return s
	}
	if exec && s == ";" {
		return `"\;"`
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return `"` + r.Replace(s) + `"`
}

// ---- launchd ----

func xmlText(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// LaunchdLogPaths returns the stdout and stderr files of the launch agent (the
// gateway's own JSONL log is logs/gateway.log; these catch anything else).
func (o *Options) LaunchdLogPaths() (stdout, stderr string) {
	base := o.fileBase()
	return o.join(o.StateDir, "logs", base+".out.log"), o.join(o.StateDir, "logs", base+".err.log")
}

func launchdPlist(o *Options) []byte {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
`)
	str := func(indent, s string) { fmt.Fprintf(&b, "%s<string>%s</string>\n", indent, xmlText(s)) }
	key := func(indent, k string) { fmt.Fprintf(&b, "%s<key>%s</key>\n", indent, xmlText(k)) }
	key("\t", "Label")
	str("\t", o.Name())
	key("\t", "ProgramArguments")
	b.WriteString("\t<array>\n")
	str("\t\t", o.Binary)
	for _, a := range o.Args() {
		str("\t\t", a)
	}
	b.WriteString("\t</array>\n")
	key("\t", "RunAtLoad")
	b.WriteString("\t<true/>\n")
	key("\t", "KeepAlive")
	b.WriteString("\t<true/>\n")
	key("\t", "ThrottleInterval")
	b.WriteString("\t<integer>5</integer>\n")
	out, errPath := o.LaunchdLogPaths()
	key("\t", "StandardOutPath")
	str("\t", out)
	key("\t", "StandardErrorPath")
	str("\t", errPath)
	key("\t", "EnvironmentVariables")
	if len(o.Env) == 0 {
		b.WriteString("\t<dict/>\n")
	} else {
		b.WriteString("\t<dict>\n")
		for _, k := range sortedKeys(o.Env) {
			key("\t\t", k)
			str("\t\t", o.Env[k])
		}
		b.WriteString("\t</dict>\n")
	}
	b.WriteString("</dict>\n</plist>\n")
	return b.Bytes()
}

// ---- Windows Scheduled Task ----

// windowsQuote quotes one argument for the Windows command line
// (CommandLineToArgvW rules).
func windowsQuote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\"") {
		return s
	}
	var b strings.Builder
	b.WriteByte('"')
	slashes := 0
	for _, c := range s {
		switch c {
		case '\\':
			slashes++
		case '"':
			b.WriteString(strings.Repeat(`\`, 2*slashes+1))
			slashes = 0
			b.WriteRune(c)
			continue
		default:
			slashes = 0
		}
		b.WriteRune(c)
	}
	b.WriteString(strings.Repeat(`\`, slashes))
	b.WriteByte('"')
	return b.String()
}

func windowsArgs(o *Options) string {
	args := o.Args()
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = windowsQuote(a)
	}
	return strings.Join(q, " ")
}

// windowsScript is a .cmd wrapper that sets the environment and runs the gateway.
func windowsScript(o *Options) []byte {
	var b strings.Builder
	b.WriteString("@echo off\r\n")
	b.WriteString("rem Generated by `clawdbot gateway install`; reinstall rather than edit.\r\n")
	for _, k := range sortedKeys(o.Env) {
		// %% stops cmd from expanding %VAR% inside the value.
		fmt.Fprintf(&b, "set \"%s=%s\"\r\n", k, strings.ReplaceAll(o.Env[k], "%", "%%"))
	}
	fmt.Fprintf(&b, "%s %s\r\n", windowsQuote(o.Binary), strings.ReplaceAll(windowsArgs(o), "%", "%%"))
	return []byte(b.String())
}

// taskXML is the Task Scheduler definition: start at logon of the user, restart
// every minute on failure (up to 999 times), never time out, one instance.
func taskXML(o *Options, script *File) []byte {
	command, args := o.Binary, windowsArgs(o)
	if script != nil {
		command, args = script.Path, ""
	}
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-16"?>
<Task version="1.2" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">
  <RegistrationInfo>
`)
	fmt.Fprintf(&b, "    <Description>%s (generated by clawdbot gateway install)</Description>\n", xmlText(description(o)))
	fmt.Fprintf(&b, "    <URI>\\%s</URI>\n", xmlText(o.Name()))
	b.WriteString("  </RegistrationInfo>\n  <Triggers>\n    <LogonTrigger>\n      <Enabled>true</Enabled>\n")
	if o.User != "" {
		fmt.Fprintf(&b, "      <UserId>%s</UserId>\n", xmlText(o.User))
	}
	b.WriteString("    </LogonTrigger>\n  </Triggers>\n  <Principals>\n    <Principal id=\"Author\">\n")
	if o.User != "" {
		fmt.Fprintf(&b, "      <UserId>%s</UserId>\n", xmlText(o.User))
	}
	b.WriteString(`      <LogonType>InteractiveToken</LogonType>
      <RunLevel>LeastPrivilege</RunLevel>
    </Principal>
  </Principals>
  <Settings>
    <MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>
    <DisallowStartIfOnBatteries>false</DisallowStartIfOnBatteries>
    <StopIfGoingOnBatteries>false</StopIfGoingOnBatteries>
    <AllowHardTerminate>true</AllowHardTerminate>
    <StartWhenAvailable>true</StartWhenAvailable>
    <RunOnlyIfNetworkAvailable>false</RunOnlyIfNetworkAvailable>
    <IdleSettings>
      <StopOnIdleEnd>false</StopOnIdleEnd>
      <RestartOnIdle>false</RestartOnIdle>
    </IdleSettings>
    <AllowStartOnDemand>true</AllowStartOnDemand>
    <Enabled>true</Enabled>
    <Hidden>false</Hidden>
    <RunOnlyIfIdle>false</RunOnlyIfIdle>
    <WakeToRun>false</WakeToRun>
    <ExecutionTimeLimit>PT0S</ExecutionTimeLimit>
    <Priority>7</Priority>
    <RestartOnFailure>
      <Interval>PT1M</Interval>
      <Count>999</Count>
    </RestartOnFailure>
  </Settings>
  <Actions Context="Author">
    <Exec>
`)
	fmt.Fprintf(&b, "      <Command>%s</Command>\n", xmlText(command))
	if args != "" {
		fmt.Fprintf(&b, "      <Arguments>%s</Arguments>\n", xmlText(args))
	}
	b.WriteString("    </Exec>\n  </Actions>\n</Task>\n")
	return b.Bytes()
}
