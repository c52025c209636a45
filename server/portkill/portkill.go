// Package portkill frees a TCP port for `clawdbot gateway --force` (runbook §8.5):
// it finds the processes listening on the port, SIGTERMs them, escalates to
// SIGKILL for survivors and waits until the port can be bound again.
//
// Listeners are found from /proc/net/tcp{,6} (LISTEN sockets on the port, by
// inode) and the /proc/<pid>/fd symlinks that point at those inodes, so no
// external tool is needed on Linux. Where /proc is absent (macOS, BSDs) it falls
// back to lsof; with neither it fails fast instead of guessing.
package portkill

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Proc is a process holding a listening socket.
type Proc struct {
	PID  int
	Name string // /proc/<pid>/comm or lsof's command name; "" when unknown
}

func (p Proc) String() string {
	if p.Name == "" {
		return fmt.Sprintf("pid %d", p.PID)
	}
	return fmt.Sprintf("pid %d (%s)", p.PID, p.Name)
}

// Timings of FreePort (§8.5: poll every 100 ms, SIGKILL after 700 ms, 2 s budget).
const (
	pollInterval = 100 * time.Millisecond
	killAfter    = 700 * time.Millisecond
	giveUpAfter  = 2 * time.Second
)

// finder locates listeners; its fields are seams for tests.
type finder struct {
	procRoot string                                      // "/proc"
	lookPath func(string) (string, error)                // exec.LookPath
	runLsof  func(path string, port int) ([]byte, error) // runs lsof
}

func defaultFinder() finder {
	return finder{procRoot: "/proc", lookPath: exec.LookPath, runLsof: runLsof}
}

// Listeners returns the processes with a TCP socket in LISTEN state on port
// (any local address, IPv4 or IPv6), sorted by pid. It reads /proc when
// available and otherwise runs `lsof -nP -iTCP:<port> -sTCP:LISTEN -FpFc`.
func Listeners(port int) ([]Proc, error) {
	return defaultFinder().listeners(port)
}

func (f finder) listeners(port int) ([]Proc, error) {
	if port < 1 || port > 65535 {
		return nil, fmt.Errorf("invalid port %d", port)
	}
	inodes, procOK, err := f.listenInodes(port)
	if err != nil {
		return nil, err
	}
	if procOK {
		if len(inodes) == 0 {
			return nil, nil
		}
		return f.procsForInodes(inodes)
	}
	lsof, err := f.lookPath("lsof")
	if err != nil {
		return nil, fmt.Errorf("cannot find listeners on port %d: neither /proc nor lsof is available", port)
	}
	out, err := f.runLsof(lsof, port)
	if err != nil {
		return nil, fmt.Errorf("cannot find listeners on port %d: lsof: %w", port, err)
	}
	return parseLsof(out)
}

// listenInodes reads <procRoot>/net/tcp and tcp6. ok is false when neither file
// exists (no /proc here).
func (f finder) listenInodes(port int) (map[uint64]bool, bool, error) {
	inodes := map[uint64]bool{}
	ok := false
	for _, name := range []string{"tcp", "tcp6"} {
		file, err := os.Open(filepath.Join(f.procRoot, "net", name))
		if errors.Is(err, os.ErrNotExist) {
			continue // e.g. IPv6 disabled, or no /proc at all
		}
		if err != nil {
			return nil, false, fmt.Errorf("cannot find listeners on port %d: %w", port, err)
		}
		ok = true
		found, err := parseProcNetTCP(file, port)
		file.Close()
		if err != nil {
			return nil, false, fmt.Errorf("cannot find listeners on port %d: %s: %w", port, file.Name(), err)
		}
		for _, ino := range found {
			inodes[ino] = true
		}
	}
	return inodes, ok, nil
}

// tcpListen is the kernel's TCP_LISTEN state as printed in /proc/net/tcp.
const tcpListen = "0A"

// parseProcNetTCP returns the socket inodes of LISTEN sockets whose local port is
// port, from the text of /proc/net/tcp or /proc/net/tcp6. Lines look like
//
//	sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
//	0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 12345 1 …
//
// with the local port in hex after the colon (IPv6 addresses are 32 hex digits).
// The header and malformed lines are skipped; inode 0 (no owner) is ignored.
func parseProcNetTCP(r io.Reader, port int) ([]uint64, error) {
	var out []uint64
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 10 || !strings.HasSuffix(fields[0], ":") {
			continue // header or junk
		}
		if fields[3] != tcpListen {
			continue
		}
		local := fields[1]
		i := strings.LastIndexByte(local, ':')
		if i < 0 {
			continue
		}
		p, err := strconv.ParseUint(local[i+1:], 16, 16)
		if err != nil || int(p) != port {
			continue
		}
		ino, err := strconv.ParseUint(fields[9], 10, 64)
		if err != nil || ino == 0 {
			continue
		}
		out = append(out, ino)
	}
	return out, sc.Err()
}

// procsForInodes maps socket inodes to the processes whose fds point at them.
// Processes we may not inspect (other users') are skipped; if an inode stays
// unowned the caller notices that the port does not free up.
func (f finder) procsForInodes(inodes map[uint64]bool) ([]Proc, error) {
	entries, err := os.ReadDir(f.procRoot)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", f.procRoot, err)
	}
	var out []Proc
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid <= 0 {
			continue
		}
		fdDir := filepath.Join(f.procRoot, e.Name(), "fd")
		fds, err := os.ReadDir(fdDir)
		if err != nil {
			continue // gone, or not ours to read
		}
		for _, fd := range fds {
			target, err := os.Readlink(filepath.Join(fdDir, fd.Name()))
			if err != nil {
				continue
			}
			ino, ok := socketInode(target)
			if !ok || !inodes[ino] {
				continue
			}
			out = append(out, Proc{PID: pid, Name: readComm(f.procRoot, pid)})
			break
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].PID < out[j].PID })
	return out, nil
}

// socketInode parses an fd link target "socket:[12345]".
func socketInode(target string) (uint64, bool) {
	s, ok := strings.CutPrefix(target, "socket:[")
	if !ok {
		return 0, false
	}
	s, ok = strings.CutSuffix(s, "]")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseUint(s, 10, 64)
	return n, err == nil
}

func readComm(procRoot string, pid int) string {
	b, err := os.ReadFile(filepath.Join(procRoot, strconv.Itoa(pid), "comm"))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

func runLsof(path string, port int) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, "-nP", "-iTCP:"+strconv.Itoa(port), "-sTCP:LISTEN", "-FpFc").Output()
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() == 1 && len(strings.TrimSpace(string(out))) == 0 {
		return nil, nil // lsof exits 1 when nothing matches
	}
	return out, err
}

// parseLsof reads lsof's -F output: "p<pid>" starts a process, "c<command>"
// names it; other field lines (f…, when lsof adds them) are ignored.
func parseLsof(out []byte) ([]Proc, error) {
	var procs []Proc
	seen := map[int]bool{}
	cur := -1
	for _, line := range strings.Split(string(out), "\n") {
		line = strings.TrimRight(line, "\r")
		if line == "" {
			continue
		}
		switch line[0] {
		case 'p':
			pid, err := strconv.Atoi(line[1:])
			if err != nil || pid <= 0 {
				return nil, fmt.Errorf("lsof: unexpected line %q", line)
			}
			if seen[pid] {
				cur = -1
				continue
			}
			seen[pid] = true
			procs = append(procs, Proc{PID: pid})
			cur = len(procs) - 1
		case 'c':
			if cur >= 0 {
				procs[cur].Name = line[1:]
			}
		}
	}
	sort.Slice(procs, func(i, j int) bool { return procs[i].PID < procs[j].PID })
	return procs, nil
}

// FreePort makes port available: every process listening on it (except this
// one) gets SIGTERM, and each kill is logged ("killed pid X (name)"). The port is
// polled every 100 ms; listeners still there after 700 ms get SIGKILL; after 2 s
// in all FreePort gives up with an error. A port that is already free returns nil
// at once. It fails fast when listeners can't be found (no /proc, no lsof).
func FreePort(ctx context.Context, port int, log *slog.Logger) error {
	return defaultFinder().freePort(ctx, port, log)
}

func (f finder) freePort(ctx context.Context, port int, log *slog.Logger) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	start := time.Now()
	self := os.Getpid()
	procs, err := f.listeners(port)
	if err != nil {
		return err
	}
	targets := withoutPID(procs, self)
	if len(targets) == 0 {
		if portFree(port) {
			return nil
		}
		if len(procs) > 0 {
			return fmt.Errorf("--force: port %d is held by this process", port)
		}
		return fmt.Errorf("--force: port %d is in use but no listening process could be identified (owned by another user?)%s", port, f.otherSockets(port))
	}
	for _, p := range targets {
		if err := sendSignal(p, syscall.SIGTERM); err != nil {
			return fmt.Errorf("--force: cannot stop %s on port %d: %w", p, port, err)
		}
		log.Info(fmt.Sprintf("killed %s", p), "pid", p.PID, "name", p.Name, "port", port, "signal", "SIGTERM")
	}
	killed := false
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
		if portFree(port) {
			return nil
		}
		elapsed := time.Since(start)
		if elapsed >= giveUpAfter {
			left, _ := f.listeners(port)
			left = withoutPID(left, self)
			if len(left) == 0 {
				return fmt.Errorf("--force: port %d is still in use after %s, by no listening process%s", port, giveUpAfter, f.otherSockets(port))
			}
			return fmt.Errorf("--force: port %d is still in use after %s by %s", port, giveUpAfter, procList(left))
		}
		if !killed && elapsed >= killAfter {
			killed = true
			left, err := f.listeners(port)
			if err != nil {
				return err
			}
			for _, p := range withoutPID(left, self) {
				if err := sendSignal(p, syscall.SIGKILL); err != nil {
					return fmt.Errorf("--force: cannot kill %s on port %d: %w", p, port, err)
				}
				log.Warn(fmt.Sprintf("killed %s with SIGKILL (it ignored SIGTERM)", p), "pid", p.PID, "name", p.Name, "port", port, "signal", "SIGKILL")
			}
		}
	}
}

// tcpStates names the /proc/net/tcp states other than LISTEN.
var tcpStates = map[string]string{"01": "ESTABLISHED", "02": "SYN_SENT", "03": "SYN_RECV", "04": "FIN_WAIT1",
	"05": "FIN_WAIT2", "06": "TIME_WAIT", "07": "CLOSE", "08": "CLOSE_WAIT", "09": "LAST_ACK", "0B": "CLOSING"}

// otherSockets describes the sockets other than listeners that have port as their
// local port ("" when there are none or /proc cannot tell). The one that blocks a
// bind with nobody listening is an outgoing connection that was given the port as
// its source port (the port is in the ephemeral range); closed, it stays in TIME_WAIT
// for a minute. Naming them turns "in use, no holder" into a diagnosis.
func (f finder) otherSockets(port int) string {
	counts := map[string]int{}
	for _, name := range []string{"tcp", "tcp6"} {
		b, err := os.ReadFile(filepath.Join(f.procRoot, "net", name))
		if err != nil {
			continue
		}
		for st, n := range parseProcNetStates(strings.NewReader(string(b)), port) {
			counts[st] += n
		}
	}
	if len(counts) == 0 {
		return ""
	}
	var parts []string
	for st, n := range counts {
		parts = append(parts, fmt.Sprintf("%d %s", n, st))
	}
	sort.Strings(parts)
	return fmt.Sprintf("; sockets with local port %d: %s (an outgoing connection given the port as its source port blocks the bind; in TIME_WAIT it frees within a minute)",
		port, strings.Join(parts, ", "))
}

// parseProcNetStates counts the non-listening sockets of /proc/net/tcp{,6} whose
// local port is port, by state name.
func parseProcNetStates(r io.Reader, port int) map[string]int {
	out := map[string]int{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 4 || !strings.HasSuffix(fields[0], ":") {
			continue
		}
		name, ok := tcpStates[fields[3]]
		if !ok {
			continue // LISTEN, or junk
		}
		local := fields[1]
		i := strings.LastIndexByte(local, ':')
		if i < 0 {
			continue
		}
		if p, err := strconv.ParseUint(local[i+1:], 16, 16); err == nil && int(p) == port {
			out[name]++
		}
	}
	return out
}

func withoutPID(procs []Proc, pid int) []Proc {
	var out []Proc
	for _, p := range procs {
		if p.PID != pid {
			out = append(out, p)
		}
	}
	return out
}

func procList(procs []Proc) string {
	s := make([]string, len(procs))
	for i, p := range procs {
		s[i] = p.String()
	}
	return strings.Join(s, ", ")
}

// sendSignal sends sig to p; a process that is already gone is not an error.
func sendSignal(p Proc, sig syscall.Signal) error {
	proc, err := os.FindProcess(p.PID)
	if err != nil {
		return nil
	}
	defer proc.Release()
	err = proc.Signal(sig)
	if err == nil || errors.Is(err, os.ErrProcessDone) || errors.Is(err, syscall.ESRCH) {
		return nil
	}
	return err
}

// portFree reports whether port can be bound on 127.0.0.1 and on the wildcard
// address (the latter conflicts with a listener on any specific address). Only
// "address in use" counts as busy: e.g. EACCES on a privileged port is not
// something killing processes can fix.
func portFree(port int) bool {
	for _, host := range []string{"127.0.0.1", ""} {
		ln, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
		if err != nil {
			if errors.Is(err, syscall.EADDRINUSE) {
				return false
			}
			continue
		}
		ln.Close()
	}
	return true
}
