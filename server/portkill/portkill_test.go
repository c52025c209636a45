package portkill

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/clawgate/gateway/server/gatewaytest"
)

// helperEnv makes the test binary act as a plain TCP listener (see TestMain).
const (
	helperEnv       = "PORTKILL_TEST_LISTEN"
	helperIgnoreEnv = "PORTKILL_TEST_IGNORE_TERM"
)

func TestMain(m *testing.M) {
	if addr := os.Getenv(helperEnv); addr != "" {
		listenHelper(addr)
		return
	}
	os.Exit(m.Run())
}

// listenHelper listens on addr, says "ready" and serves until killed.
func listenHelper(addr string) {
	if os.Getenv(helperIgnoreEnv) == "1" {
		signal.Ignore(syscall.SIGTERM)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Println("listen:", err)
		os.Exit(3)
	}
	fmt.Println("ready")
	for {
		c, err := ln.Accept()
		if err != nil {
			os.Exit(4)
		}
		c.Close()
	}
}

// freePort is a port outside the ephemeral range (gatewaytest.FreePort says why):
// the tests free it by killing its holder and bind it again.
func freePort(t *testing.T) int {
	t.Helper()
	return gatewaytest.FreePort(t)
}

// startListener re-executes the test binary as a listener on addr and waits
// until it is listening. The returned channel yields its exit error.
func startListener(t *testing.T, addr string, ignoreTERM bool) (*exec.Cmd, <-chan error) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+addr)
	if ignoreTERM {
		cmd.Env = append(cmd.Env, helperIgnoreEnv+"=1")
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(stdout).ReadString('\n')
		line <- s
		done <- cmd.Wait()
	}()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	select {
	case s := <-line:
		if strings.TrimSpace(s) != "ready" {
			t.Fatalf("helper: %q", s)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("helper did not start")
	}
	return cmd, done
}

func requireProc(t *testing.T) {
	t.Helper()
	if _, err := os.Stat("/proc/net/tcp"); err != nil {
		t.Skip("no /proc/net/tcp here")
	}
}

func TestListenersFindsChild(t *testing.T) {
	requireProc(t)
	for _, addr := range []string{"127.0.0.1", "[::1]", ""} {
		t.Run("addr="+addr, func(t *testing.T) {
			port := freePort(t)
			bind := addr + ":" + strconv.Itoa(port)
			if addr == "[::1]" {
				if ln, err := net.Listen("tcp", bind); err != nil {
					t.Skip("no IPv6 loopback")
				} else {
					ln.Close()
				}
			}
			cmd, _ := startListener(t, bind, false)
			procs, err := Listeners(port)
			if err != nil {
				t.Fatal(err)
			}
			if len(procs) != 1 || procs[0].PID != cmd.Process.Pid {
				t.Fatalf("Listeners = %v, want pid %d", procs, cmd.Process.Pid)
			}
			want := filepath.Base(os.Args[0])
			if len(want) > 15 { // comm is truncated to TASK_COMM_LEN-1
				want = want[:15]
			}
			if procs[0].Name != want {
				t.Fatalf("name = %q, want %q", procs[0].Name, want)
			}
		})
	}
}

func TestListenersNone(t *testing.T) {
	requireProc(t)
	procs, err := Listeners(freePort(t))
	if err != nil || len(procs) != 0 {
		t.Fatalf("Listeners = %v, %v; want none", procs, err)
	}
}

func TestFreePortKillsListener(t *testing.T) {
	requireProc(t)
	port := freePort(t)
	cmd, done := startListener(t, "127.0.0.1:"+strconv.Itoa(port), false)
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	if err := FreePort(context.Background(), port, log); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("killed pid %d (", cmd.Process.Pid)
	if !strings.Contains(logs.String(), want) {
		t.Fatalf("log %q lacks %q", logs.String(), want)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		t.Fatalf("port still busy: %v", err)
	}
	ln.Close()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGTERM {
			t.Fatalf("helper exit = %v, want SIGTERM", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("helper still running")
	}
}

func TestFreePortEscalatesToSIGKILL(t *testing.T) {
	requireProc(t)
	port := freePort(t)
	_, done := startListener(t, "127.0.0.1:"+strconv.Itoa(port), true)
	var logs bytes.Buffer
	start := time.Now()
	if err := FreePort(context.Background(), port, slog.New(slog.NewTextHandler(&logs, nil))); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < killAfter || d > giveUpAfter {
		t.Fatalf("took %s, want between %s and %s", d, killAfter, giveUpAfter)
	}
	if !strings.Contains(logs.String(), "with SIGKILL") {
		t.Fatalf("log lacks the SIGKILL: %s", logs.String())
	}
	select {
	case err := <-done:
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
			t.Fatalf("helper exit = %v, want SIGKILL", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("helper still running")
	}
}

func TestFreePortFreeAlready(t *testing.T) {
	requireProc(t)
	if err := FreePort(context.Background(), freePort(t), nil); err != nil {
		t.Fatal(err)
	}
}

func TestFreePortNeverKillsSelf(t *testing.T) {
	requireProc(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	err = FreePort(context.Background(), ln.Addr().(*net.TCPAddr).Port, nil)
	if err == nil || !strings.Contains(err.Error(), "held by this process") {
		t.Fatalf("err = %v", err)
	}
	t.Log(err)
}

const procNetTCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:4965 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 111 1 0000000000000000 100 0 0 10 0
   1: 00000000:4965 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 222 1 0000000000000000 100 0 0 10 0
   2: 0100007F:4965 0100007F:C350 01 00000000:00000000 00:00000000 00000000  1000        0 333 1 0000000000000000 20 4 30 10 -1
   3: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 444 1 0000000000000000 100 0 0 10 0
   4: 0100007F:4965 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 0 1 0000000000000000 100 0 0 10 0
   5: garbage
`

const procNetTCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:4965 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 555 1 0000000000000000 100 0 0 10 0
   1: 00000000000000000000000001000000:4966 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 666 1 0000000000000000 100 0 0 10 0
   2: 00000000000000000000000001000000:4965 00000000000000000000000001000000:D431 06 00000000:00000000 03:00000F2F 00000000     0        0 0 3 0000000000000000
`

func TestParseProcNetTCP(t *testing.T) {
	for _, tc := range []struct {
		name string
		text string
		port int
		want []uint64
	}{
		{"ipv4 loopback and wildcard listeners; established, other port and inode 0 skipped", procNetTCP, 0x4965, []uint64{111, 222}},
		{"ipv4 other port", procNetTCP, 8080, []uint64{444}},
		{"ipv4 nothing", procNetTCP, 1, nil},
		{"ipv6 wildcard; time-wait skipped", procNetTCP6, 0x4965, []uint64{555}},
		{"ipv6 loopback", procNetTCP6, 0x4966, []uint64{666}},
		{"empty", "", 80, nil},
		{"header only", strings.SplitN(procNetTCP, "\n", 2)[0], 80, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseProcNetTCP(strings.NewReader(tc.text), tc.port)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestSocketInode(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"socket:[12345]", 12345, true},
		{"socket:[]", 0, false},
		{"pipe:[12345]", 0, false},
		{"/dev/null", 0, false},
		{"socket:[12x]", 0, false},
	} {
		got, ok := socketInode(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("socketInode(%q) = %d, %v", tc.in, got, ok)
		}
	}
}

// fakeProc builds a /proc-like tree: net/tcp{,6} and pids with fd links and comm.
func fakeProc(t *testing.T, tcp, tcp6 string, pids map[int][]string, comm map[int]string) string {
	t.Helper()
	root := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(root, "net"), 0o755))
	if tcp != "" {
		must(os.WriteFile(filepath.Join(root, "net", "tcp"), []byte(tcp), 0o644))
	}
	if tcp6 != "" {
		must(os.WriteFile(filepath.Join(root, "net", "tcp6"), []byte(tcp6), 0o644))
	}
	must(os.MkdirAll(filepath.Join(root, "self"), 0o755)) // non-numeric entries are skipped
	for pid, links := range pids {
		dir := filepath.Join(root, strconv.Itoa(pid), "fd")
		must(os.MkdirAll(dir, 0o755))
		for i, l := range links {
			must(os.Symlink(l, filepath.Join(dir, strconv.Itoa(i))))
		}
		if c, ok := comm[pid]; ok {
			must(os.WriteFile(filepath.Join(root, strconv.Itoa(pid), "comm"), []byte(c+"\n"), 0o644))
		}
	}
	return root
}

func TestListenersFromFakeProc(t *testing.T) {
	root := fakeProc(t, procNetTCP, procNetTCP6, map[int][]string{
		10: {"/dev/null", "socket:[111]", "socket:[222]"}, // two sockets, listed once
		20: {"socket:[555]"},
		30: {"socket:[333]", "pipe:[111]"}, // established socket and a pipe: not listeners
		40: {"socket:[444]"},               // other port
	}, map[int]string{10: "clawdbot", 20: "node"})
	f := finder{procRoot: root, lookPath: func(string) (string, error) { t.Fatal("lsof used although /proc works"); return "", nil }}
	got, err := f.listeners(0x4965)
	if err != nil {
		t.Fatal(err)
	}
	want := []Proc{{10, "clawdbot"}, {20, "node"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	// Only tcp6 present still counts as /proc.
	root6 := fakeProc(t, "", procNetTCP6, map[int][]string{7: {"socket:[666]"}}, nil)
	got, err = finder{procRoot: root6}.listeners(0x4966)
	if err != nil || !reflect.DeepEqual(got, []Proc{{PID: 7}}) {
		t.Fatalf("tcp6 only: %v, %v", got, err)
	}
}

func TestListenersFallsBackToLsof(t *testing.T) {
	var ran []string
	f := finder{
		procRoot: filepath.Join(t.TempDir(), "nonexistent"),
		lookPath: func(name string) (string, error) { return "/usr/sbin/" + name, nil },
		runLsof: func(path string, port int) ([]byte, error) {
			ran = append(ran, fmt.Sprint(path, " ", port))
			return []byte("p812\ncnode\np90\ncclawdbot gw\np812\ncnode\n"), nil
		},
	}
	got, err := f.listeners(18789)
	if err != nil {
		t.Fatal(err)
	}
	if want := []Proc{{90, "clawdbot gw"}, {812, "node"}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	if !reflect.DeepEqual(ran, []string{"/usr/sbin/lsof 18789"}) {
		t.Fatalf("ran %v", ran)
	}
}

func TestListenersNeitherProcNorLsof(t *testing.T) {
	f := finder{
		procRoot: filepath.Join(t.TempDir(), "nonexistent"),
		lookPath: func(name string) (string, error) { return "", exec.ErrNotFound },
	}
	_, err := f.listeners(18789)
	if err == nil || err.Error() != "cannot find listeners on port 18789: neither /proc nor lsof is available" {
		t.Fatalf("err = %v", err)
	}
	if err := f.freePort(context.Background(), 18789, nil); err == nil || !strings.Contains(err.Error(), "neither /proc nor lsof") {
		t.Fatalf("FreePort err = %v", err)
	}
}

func TestParseLsof(t *testing.T) {
	for _, tc := range []struct {
		name string
		out  string
		want []Proc
		err  bool
	}{
		{"empty", "", nil, false},
		{"one", "p123\ncnode\n", []Proc{{123, "node"}}, false},
		{"fd fields ignored, CRLF", "p5\r\ncsshd\r\nf3\r\n", []Proc{{5, "sshd"}}, false},
		{"no command", "p9\n", []Proc{{PID: 9}}, false},
		{"bad pid", "pabc\n", nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseLsof([]byte(tc.out))
			if (err != nil) != tc.err || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %v, %v; want %v (err %v)", got, err, tc.want, tc.err)
			}
		})
	}
}

// TestRealLsof checks the lsof command line against the real tool when present.
func TestRealLsof(t *testing.T) {
	path, err := exec.LookPath("lsof")
	if err != nil {
		t.Skip("no lsof")
	}
	port := freePort(t)
	cmd, _ := startListener(t, "127.0.0.1:"+strconv.Itoa(port), false)
	f := finder{procRoot: filepath.Join(t.TempDir(), "none"), lookPath: func(string) (string, error) { return path, nil }, runLsof: runLsof}
	got, err := f.listeners(port)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].PID != cmd.Process.Pid {
		t.Fatalf("lsof listeners = %v, want pid %d", got, cmd.Process.Pid)
	}
	none, err := f.listeners(freePort(t))
	if err != nil || len(none) != 0 {
		t.Fatalf("lsof on a free port: %v, %v", none, err)
	}
}

func TestInvalidPort(t *testing.T) {
	for _, p := range []int{0, -1, 65536} {
		if _, err := Listeners(p); err == nil {
			t.Errorf("Listeners(%d): no error", p)
		}
	}
}

func TestParseProcNetStates(t *testing.T) {
	got := parseProcNetStates(strings.NewReader(procNetTCP), 0x4965)
	if len(got) != 1 || got["ESTABLISHED"] != 1 {
		t.Fatalf("tcp: %v", got)
	}
	got = parseProcNetStates(strings.NewReader(procNetTCP6), 0x4965)
	if len(got) != 1 || got["TIME_WAIT"] != 1 {
		t.Fatalf("tcp6: %v", got)
	}
}

// The flaky take-over's mechanism: an outgoing connection that got the port as its
// source port blocks a listener's bind (even with SO_REUSEADDR) while nobody listens,
// also after it closed (TIME_WAIT). FreePort has nobody to kill and says what holds
// the port instead of "no holder".
func TestFreePortNamesANonListeningHolder(t *testing.T) {
	requireProc(t)
	srv, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	go func() {
		for {
			c, err := srv.Accept()
			if err != nil {
				return
			}
			go func() { _, _ = io.Copy(io.Discard, c); c.Close() }()
		}
	}()
	port := freePort(t)
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port}}
	c, err := d.Dial("tcp", srv.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c.Close() // the client closes first: its socket stays in TIME_WAIT on port
	err = FreePort(context.Background(), port, nil)
	if err == nil || !strings.Contains(err.Error(), "no listening process could be identified") ||
		!strings.Contains(err.Error(), fmt.Sprintf("sockets with local port %d: ", port)) {
		t.Fatalf("err = %v", err)
	}
	t.Log(err)
}
