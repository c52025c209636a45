package understand

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// cappedBuffer keeps at most max bytes and remembers that more came.
type cappedBuffer struct {
	buf  bytes.Buffer
	max  int
	over bool
}

func (c *cappedBuffer) Write(p []byte) (int, error) {
	if room := c.max - c.buf.Len(); len(p) > room {
		c.over = true
		if room > 0 {
			c.buf.Write(p[:room])
		}
		return 0, errors.New("output limit exceeded")
	}
	return c.buf.Write(p)
}

// ErrOutputTooLarge: a command printed more than CLIOutputMaxBytes.
var ErrOutputTooLarge = errors.New("understand: command output over the limit")

// runCommand runs argv without a shell, bounded by timeout, and returns its stdout.
// A non-zero exit, a timeout or output over the limit is an error (the original's
// execFile with maxBuffer).
func runCommand(ctx context.Context, argv []string, timeout time.Duration, dir string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.WaitDelay = time.Second
	stdout := &cappedBuffer{max: CLIOutputMaxBytes}
	stderr := &cappedBuffer{max: 4 << 10}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	err := cmd.Run()
	switch {
	case stdout.over:
		return "", fmt.Errorf("%w (%d bytes)", ErrOutputTooLarge, CLIOutputMaxBytes)
	case ctx.Err() == context.DeadlineExceeded:
		return "", fmt.Errorf("%s: timed out after %s", argv[0], timeout)
	case err != nil:
		msg := strings.TrimSpace(stderr.buf.String())
		if r := []rune(msg); len(r) > maxErrorChars {
			msg = string(r[:maxErrorChars]) + "…"
		}
		if msg != "" {
			return "", fmt.Errorf("%s: %w: %s", argv[0], err, msg)
		}
		return "", fmt.Errorf("%s: %w", argv[0], err)
	}
	return stdout.buf.String(), nil
}

// commandBase is the command's name without directory and extension.
func commandBase(command string) string {
	b := filepath.Base(command)
	return strings.TrimSuffix(b, filepath.Ext(b))
}

func argValue(args []string, keys ...string) string {
	for i := 0; i+1 < len(args); i++ {
		for _, k := range keys {
			if args[i] == k && args[i+1] != "" {
				return args[i+1]
			}
		}
	}
	return ""
}

func hasArg(args []string, keys ...string) bool {
	for _, a := range args {
		for _, k := range keys {
			if a == k {
				return true
			}
		}
	}
	return false
}

// cliOutput is a command's answer: for the well-known transcribers that write a
// file (whisper, whisper.cpp's whisper-cli) that file, for gemini the "response" of
// its JSON, for sherpa-onnx-offline the "text" of its JSON, else stdout.
func cliOutput(command string, args []string, stdout, mediaPath string) string {
	var file string
	switch commandBase(command) {
	case "whisper-cli":
		if hasArg(args, "-otxt", "--output-txt") {
			if base := argValue(args, "-of", "--output-file"); base != "" {
				file = base + ".txt"
			}
		}
	case "whisper":
		dir, format := argValue(args, "--output_dir", "-o"), argValue(args, "--output_format")
		if dir != "" && format != "" {
			for _, f := range strings.Split(format, ",") {
				if strings.TrimSpace(f) == "txt" {
					base := filepath.Base(mediaPath)
					file = filepath.Join(dir, strings.TrimSuffix(base, filepath.Ext(base))+".txt")
				}
			}
		}
	case "gemini":
		if s := geminiResponse(stdout); s != "" {
			return s
		}
	case "sherpa-onnx-offline":
		if s := sherpaText(stdout); s != "" {
			return s
		}
	}
	if file != "" {
		if b, err := os.ReadFile(file); err == nil && strings.TrimSpace(string(b)) != "" {
			return strings.TrimSpace(string(b))
		}
	}
	return strings.TrimSpace(stdout)
}

func geminiResponse(raw string) string {
	t := strings.TrimSpace(raw)
	i := strings.LastIndex(t, "{")
	if i < 0 {
		return ""
	}
	var v struct {
		Response *string `json:"response"`
	}
	if json.Unmarshal([]byte(t[i:]), &v) != nil || v.Response == nil {
		return ""
	}
	return strings.TrimSpace(*v.Response)
}

func sherpaText(raw string) string {
	var try func(s string, depth int) string
	try = func(s string, depth int) string {
		s = strings.TrimSpace(s)
		if s == "" || depth > 2 || (s[0] != '{' && s[0] != '"') {
			return ""
		}
		var str string
		if json.Unmarshal([]byte(s), &str) == nil {
			return try(str, depth+1)
		}
		var obj struct {
			Text string `json:"text"`
		}
		if json.Unmarshal([]byte(s), &obj) == nil {
			return strings.TrimSpace(obj.Text)
		}
		return ""
	}
	if s := try(raw, 0); s != "" {
		return s
	}
	lines := strings.Split(raw, "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if s := try(lines[i], 0); s != "" {
			return s
		}
	}
	return ""
}
