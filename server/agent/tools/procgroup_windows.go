//go:build windows

package tools

import (
	"os"
	"os/exec"
	"strconv"
	"syscall"
)

// shellCommand runs line through cmd.exe.
func shellCommand(line string) (string, []string) { return "cmd.exe", []string{"/C", line} }

// setProcessGroup starts the command in a new process group so it can be killed with
// its children.
func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{CreationFlags: syscall.CREATE_NEW_PROCESS_GROUP}
}

// killProcessGroup kills the command and its child processes (taskkill /T).
func killProcessGroup(cmd *exec.Cmd) {
	if cmd.Process == nil {
		return
	}
	_ = exec.Command("taskkill", "/T", "/F", "/PID", strconv.Itoa(cmd.Process.Pid)).Run()
	_ = cmd.Process.Kill()
}

// exitSignal is always "" on Windows: processes end with an exit code.
func exitSignal(*os.ProcessState) string { return "" }
