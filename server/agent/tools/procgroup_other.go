//go:build !unix && !windows

package tools

import (
	"os"
	"os/exec"
)

func shellCommand(line string) (string, []string) { return "/bin/sh", []string{"-c", line} }

func setProcessGroup(*exec.Cmd) {}

func killProcessGroup(cmd *exec.Cmd) {
	if cmd.Process != nil {
		_ = cmd.Process.Kill()
	}
}

func exitSignal(*os.ProcessState) string { return "" }
