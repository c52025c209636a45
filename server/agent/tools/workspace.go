package tools

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/clawgate/gateway/server/agent/llm"
)

// Read limits (the original's defaults).
const (
	DefaultReadMaxLines = 2000
	DefaultReadMaxBytes = 50 * 1024
	// DefaultMaxImageBytes bounds an image file sent to the model.
	DefaultMaxImageBytes = 10 << 20
	// DefaultMaxWriteBytes bounds what write and edit put into one file.
	DefaultMaxWriteBytes = 10 << 20
)

// MaxPathBytes bounds a path given to the fs tools.
const MaxPathBytes = 4096

// ErrOutsideWorkspace is returned for a path that leaves the workspace.
var ErrOutsideWorkspace = errors.New("path is outside the workspace")

// Workspace is the agent's working directory, opened as an os.Root: every file
// operation of the fs tools goes through it, so "..", absolute paths elsewhere and
// symlinks pointing out of the directory cannot reach anything outside.
type Workspace struct {
	dir  string
	root *os.Root
	// MaxImageBytes and MaxWriteBytes override the defaults when positive.
	MaxImageBytes int64
	MaxWriteBytes int64
}

// OpenWorkspace opens dir (creating it, 0700, when missing).
func OpenWorkspace(dir string) (*Workspace, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("workspace: %w", err)
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return nil, fmt.Errorf("workspace: %w", err)
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	r, err := os.OpenRoot(abs)
	if err != nil {
		return nil, fmt.Errorf("workspace: %w", err)
	}
	return &Workspace{dir: abs, root: r}, nil
}

// Dir is the workspace's absolute path.
func (w *Workspace) Dir() string { return w.dir }

// Close releases the root.
func (w *Workspace) Close() error { return w.root.Close() }

// Rel maps a path given by the model to a path relative to the workspace root: relative
// paths are taken from the workspace, absolute ones must lie inside it. The root itself
// enforces the rest (.. and symlinks) when the path is used.
func (w *Workspace) Rel(p string) (string, error) {
	p = strings.TrimSpace(p)
	if p == "" {
		return "", errors.New("path is empty")
	}
	if strings.ContainsRune(p, 0) {
		return "", errors.New("path contains a NUL byte")
	}
	if len(p) > MaxPathBytes {
		return "", fmt.Errorf("path is %d bytes long, more than the %d-byte limit", len(p), MaxPathBytes)
	}
	if p == "~" || strings.HasPrefix(p, "~/") {
		return "", fmt.Errorf("%w: %s", ErrOutsideWorkspace, p)
	}
	if filepath.IsAbs(p) || strings.HasPrefix(p, "/") {
		rel, err := filepath.Rel(w.dir, filepath.Clean(p))
		if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(rel) {
			return "", fmt.Errorf("%w: %s", ErrOutsideWorkspace, p)
		}
		return filepath.ToSlash(rel), nil
	}
	return filepath.ToSlash(p), nil
}

// wrapFSErr turns the root's escape error into ErrOutsideWorkspace.
func wrapFSErr(display string, err error) error {
	if err == nil {
		return nil
	}
	var pe *fs.PathError
	if errors.As(err, &pe) && (strings.Contains(pe.Err.Error(), "escapes from parent") || strings.Contains(pe.Err.Error(), "path escapes")) {
		return fmt.Errorf("%w: %s", ErrOutsideWorkspace, display)
	}
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("file not found: %s", display)
	}
	return fmt.Errorf("%s: %w", display, err)
}

func (w *Workspace) maxImage() int64 {
	if w.MaxImageBytes > 0 {
		return w.MaxImageBytes
	}
	return DefaultMaxImageBytes
}

func (w *Workspace) maxWrite() int64 {
	if w.MaxWriteBytes > 0 {
		return w.MaxWriteBytes
	}
	return DefaultMaxWriteBytes
}

// pathArgs are the path spellings the fs tools accept (the original normalizes Claude
// Code's file_path / old_string / new_string to path / oldText / newText).
type pathArgs struct {
	Path      *string `json:"path"`
	FilePath  *string `json:"file_path"`
	OldText   *string `json:"oldText"`
	OldString *string `json:"old_string"`
	NewText   *string `json:"newText"`
	NewString *string `json:"new_string"`
}

func firstStr(vals ...*string) (string, bool) {
	for _, v := range vals {
		if v != nil {
			return *v, true
		}
	}
	return "", false
}

func requirePath(a pathArgs) (string, error) {
	p, _ := firstStr(a.Path, a.FilePath)
	if strings.TrimSpace(p) == "" {
		return "", errors.New("Missing required parameter: path (path or file_path)")
	}
	return p, nil
}

// ReadTool returns the read tool.
func ReadTool(w *Workspace) (*Tool, error) {
	return withSchema(&Tool{Name: "read", Label: "read",
		Description: fmt.Sprintf("Read a file in the workspace. Text files come back as text, cut at %d lines or %dKB (use offset and limit to page); images (png, jpeg, gif, webp) come back as attachments.", DefaultReadMaxLines, DefaultReadMaxBytes/1024),
		Execute: func(ctx context.Context, call Call) (Result, error) {
			var a struct {
				pathArgs
				Offset *float64 `json:"offset"`
				Limit  *float64 `json:"limit"`
			}
			if err := decodeArgs(call.Args, &a); err != nil {
				return Result{}, err
			}
			p, err := requirePath(a.pathArgs)
			if err != nil {
				return Result{}, err
			}
			offset, limit := 0, -1
			if a.Offset != nil && *a.Offset >= 1 {
				offset = int(*a.Offset)
			}
			if a.Limit != nil {
				limit = max(0, int(*a.Limit))
			}
			return w.read(ctx, p, offset, limit)
		}})
}

func (w *Workspace) read(ctx context.Context, display string, offset, limit int) (Result, error) {
	rel, err := w.Rel(display)
	if err != nil {
		return Result{}, err
	}
	f, err := w.root.Open(rel)
	if err != nil {
		return Result{}, wrapFSErr(display, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return Result{}, wrapFSErr(display, err)
	}
	if st.IsDir() {
		return Result{}, fmt.Errorf("%s is a directory", display)
	}
	br := bufio.NewReaderSize(f, readBufferSize(st.Size()))
	head, _ := br.Peek(sniffLen)
	if mime := imageMIME(head); mime != "" {
		if st.Size() > w.maxImage() {
			return Result{}, fmt.Errorf("image %s is %s, more than the %s limit", display, formatSize(st.Size()), formatSize(w.maxImage()))
		}
		b, err := io.ReadAll(io.LimitReader(br, w.maxImage()+1))
		if err != nil {
			return Result{}, wrapFSErr(display, err)
		}
		if int64(len(b)) > w.maxImage() {
			return Result{}, fmt.Errorf("image %s exceeds the %s limit", display, formatSize(w.maxImage()))
		}
		return Result{Content: []llm.Part{llm.TextPart("Read image file [" + mime + "]"), llm.ImagePart(mime, base64.StdEncoding.EncodeToString(b))}}, nil
	}
	return readText(ctx, br, display, offset, limit)
}

// maxReadBuffer is the read tool's buffer for files at least this large; a smaller
// file gets a buffer of its size (at least sniffLen): a 64 KiB buffer for every read
// of a small file was a quarter of the gateway's allocated bytes in a tool-turn
// benchmark. Lines longer than the buffer are read in pieces (readText), so the
// size changes nothing but the number of reads.
const maxReadBuffer = 64 << 10

// sniffLen is how much of a file decides whether it is an image (what
// http.DetectContentType looks at).
const sniffLen = 512

func readBufferSize(fileSize int64) int {
	if fileSize >= maxReadBuffer {
		return maxReadBuffer
	}
	return max(int(fileSize)+1, sniffLen)
}

func imageMIME(head []byte) string {
	switch ct := http.DetectContentType(head); ct {
	case "image/png", "image/jpeg", "image/gif", "image/webp":
		return ct
	}
	return ""
}

// readText returns lines [offset, offset+limit) (1-based offset) of the file, cut at
// DefaultReadMaxLines / DefaultReadMaxBytes, with the original's continuation notes.
// Memory stays bounded whatever the file's size: lines before the window and after it
// are counted, not kept.
func readText(ctx context.Context, r *bufio.Reader, display string, offset, limit int) (Result, error) {
	start := 0
	if offset > 0 {
		start = offset - 1
	}
	var (
		out        bytes.Buffer
		outLines   int
		lineNo     int  // 0-based index of the current line
		truncated  bool // stopped by a cap
		truncBy    string
		firstLarge int64 = -1
		userLines  int
		line       []byte
	)
	// readLine returns the next line (at most DefaultReadMaxBytes+1 bytes of it are
	// kept) and its true length without the newline.
	readLine := func() ([]byte, int64, bool, error) {
		line = line[:0]
		var n int64
		for {
			chunk, err := r.ReadSlice('\n')
			n += int64(len(chunk))
			if room := DefaultReadMaxBytes + 1 - len(line); room > 0 {
				line = append(line, chunk[:min(room, len(chunk))]...)
			}
			if err == bufio.ErrBufferFull {
				continue
			}
			if err == io.EOF {
				return line, n, true, nil
			}
			if err != nil {
				return nil, 0, false, err
			}
			return line, n, false, nil
		}
	}
	total := 0
	lineLen := int64(0)
	for {
		if lineNo%4096 == 0 && ctx.Err() != nil {
			return Result{}, ctx.Err()
		}
		l, n, eof, err := readLine()
		if err != nil {
			return Result{}, wrapFSErr(display, err)
		}
		total++
		content := bytes.TrimSuffix(l, []byte("\n"))
		lineLen = n
		if !eof { // the line ended with a newline
			lineLen = n - 1
		}
		if lineNo >= start && !truncated && (limit < 0 || userLines < limit) {
			switch {
			case outLines >= DefaultReadMaxLines:
				truncated, truncBy = true, "lines"
			case int64(out.Len())+lineLen+int64(btoi(outLines > 0)) > DefaultReadMaxBytes:
				if outLines == 0 {
					firstLarge = lineLen
				}
				truncated, truncBy = true, "bytes"
			default:
				if outLines > 0 {
					out.WriteByte('\n')
				}
				out.Write(content)
				outLines++
				userLines++
			}
		}
		lineNo++
		if eof {
			break
		}
	}
	if start >= total {
		return Result{}, fmt.Errorf("Offset %d is beyond end of file (%d lines total)", offset, total)
	}
	startDisp := start + 1
	text := strings.ToValidUTF8(out.String(), "\uFFFD")
	details := map[string]any{}
	switch {
	case firstLarge >= 0:
		text = fmt.Sprintf("[Line %d is %s, exceeds %s limit. Use bash: sed -n '%dp' %s | head -c %d]", startDisp, formatSize(firstLarge), formatSize(DefaultReadMaxBytes), startDisp, display, DefaultReadMaxBytes)
		details["truncation"] = map[string]any{"truncated": true, "truncatedBy": "bytes", "firstLineExceedsLimit": true}
	case truncated:
		end := startDisp + outLines - 1
		if truncBy == "lines" {
			text += fmt.Sprintf("\n\n[Showing lines %d-%d of %d. Use offset=%d to continue.]", startDisp, end, total, end+1)
		} else {
			text += fmt.Sprintf("\n\n[Showing lines %d-%d of %d (%s limit). Use offset=%d to continue.]", startDisp, end, total, formatSize(DefaultReadMaxBytes), end+1)
		}
		details["truncation"] = map[string]any{"truncated": true, "truncatedBy": truncBy, "outputLines": outLines, "totalLines": total}
	case limit >= 0 && start+userLines < total:
		rest := total - (start + userLines)
		text += fmt.Sprintf("\n\n[%d more lines in file. Use offset=%d to continue.]", rest, start+userLines+1)
	}
	if len(details) == 0 {
		return TextResult(text, nil), nil
	}
	return TextResult(text, details), nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// formatSize renders a byte count as the original does (B, KB, MB with one decimal).
func formatSize(n int64) string {
	switch {
	case n < 1024:
		return fmt.Sprintf("%dB", n)
	case n < 1024*1024:
		return fmt.Sprintf("%.1fKB", float64(n)/1024)
	default:
		return fmt.Sprintf("%.1fMB", float64(n)/(1024*1024))
	}
}

// writeFile replaces rel with data through a temp file and a rename inside the root, so
// a crash never leaves a half-written file; an existing file keeps its mode.
func (w *Workspace) writeFile(rel, display string, data []byte) error {
	if int64(len(data)) > w.maxWrite() {
		return fmt.Errorf("content for %s is %s, more than the %s limit", display, formatSize(int64(len(data))), formatSize(w.maxWrite()))
	}
	dir := path.Dir(rel)
	if dir != "." {
		if err := w.root.MkdirAll(dir, 0o755); err != nil {
			return wrapFSErr(display, err)
		}
	}
	mode := os.FileMode(0o644)
	if st, err := w.root.Stat(rel); err == nil {
		if st.IsDir() {
			return fmt.Errorf("%s is a directory", display)
		}
		mode = st.Mode().Perm()
	} else if !errors.Is(err, fs.ErrNotExist) {
		return wrapFSErr(display, err)
	}
	tmp := path.Join(dir, "."+path.Base(rel)+"."+randHex(6)+".tmp")
	f, err := w.root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return wrapFSErr(display, err)
	}
	_, werr := f.Write(data)
	if werr == nil {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = w.root.Rename(tmp, rel)
	}
	if werr != nil {
		_ = w.root.Remove(tmp)
		return wrapFSErr(display, werr)
	}
	return nil
}

// WriteTool returns the write tool.
func WriteTool(w *Workspace) (*Tool, error) {
	return withSchema(&Tool{Name: "write", Label: "write",
		Description: "Write a file in the workspace: creates it (and missing parent directories) or replaces its whole content.",
		Execute: func(ctx context.Context, call Call) (Result, error) {
			var a struct {
				pathArgs
				Content *string `json:"content"`
			}
			if err := decodeArgs(call.Args, &a); err != nil {
				return Result{}, err
			}
			p, err := requirePath(a.pathArgs)
			if err != nil {
				return Result{}, err
			}
			if a.Content == nil {
				return Result{}, errors.New("Missing required parameter: content")
			}
			rel, err := w.Rel(p)
			if err != nil {
				return Result{}, err
			}
			if err := w.writeFile(rel, p, []byte(*a.Content)); err != nil {
				return Result{}, err
			}
			return TextResult(fmt.Sprintf("Successfully wrote %d bytes to %s", len(*a.Content), p), nil), nil
		}})
}

// EditTool returns the edit tool: replace one exact occurrence of oldText.
func EditTool(w *Workspace) (*Tool, error) {
	return withSchema(&Tool{Name: "edit", Label: "edit",
		Description: "Edit a file in the workspace by replacing an exact piece of text (whitespace included) that occurs exactly once.",
		Execute: func(ctx context.Context, call Call) (Result, error) {
			var a pathArgs
			if err := decodeArgs(call.Args, &a); err != nil {
				return Result{}, err
			}
			p, err := requirePath(a)
			if err != nil {
				return Result{}, err
			}
			oldText, ok := firstStr(a.OldText, a.OldString)
			if !ok || strings.TrimSpace(oldText) == "" {
				return Result{}, errors.New("Missing required parameter: oldText (oldText or old_string)")
			}
			newText, ok := firstStr(a.NewText, a.NewString)
			if !ok {
				return Result{}, errors.New("Missing required parameter: newText (newText or new_string)")
			}
			rel, err := w.Rel(p)
			if err != nil {
				return Result{}, err
			}
			raw, err := w.readAll(rel, p)
			if err != nil {
				return Result{}, err
			}
			if !utf8.Valid(raw) {
				return Result{}, fmt.Errorf("%s is not a UTF-8 text file", p)
			}
			content := string(raw)
			bom := ""
			if strings.HasPrefix(content, "\uFEFF") {
				bom, content = "\uFEFF", content[3:]
			}
			crlf := detectCRLF(content)
			norm := toLF(content)
			normOld, normNew := toLF(oldText), toLF(newText)
			n := strings.Count(norm, normOld)
			if n == 0 {
				return Result{}, fmt.Errorf("Could not find the exact text in %s. The old text must match exactly including all whitespace and newlines.", p)
			}
			if n > 1 {
				return Result{}, fmt.Errorf("Found %d occurrences of the text in %s. The text must be unique. Please provide more context to make it unique.", n, p)
			}
			i := strings.Index(norm, normOld)
			updated := norm[:i] + normNew + norm[i+len(normOld):]
			if updated == norm {
				return Result{}, fmt.Errorf("No changes made to %s. The replacement produced identical content.", p)
			}
			final := updated
			if crlf {
				final = strings.ReplaceAll(updated, "\n", "\r\n")
			}
			if err := w.writeFile(rel, p, []byte(bom+final)); err != nil {
				return Result{}, err
			}
			diff, first := lineDiff(norm, updated, 4)
			return TextResult(fmt.Sprintf("Successfully replaced text in %s.", p), map[string]any{"diff": diff, "firstChangedLine": first}), nil
		}})
}

func (w *Workspace) readAll(rel, display string) ([]byte, error) {
	f, err := w.root.Open(rel)
	if err != nil {
		return nil, wrapFSErr(display, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, wrapFSErr(display, err)
	}
	if st.IsDir() {
		return nil, fmt.Errorf("%s is a directory", display)
	}
	if st.Size() > w.maxWrite() {
		return nil, fmt.Errorf("%s is %s, more than the %s edit limit", display, formatSize(st.Size()), formatSize(w.maxWrite()))
	}
	b, err := io.ReadAll(io.LimitReader(f, w.maxWrite()+1))
	if err != nil {
		return nil, wrapFSErr(display, err)
	}
	return b, nil
}

func detectCRLF(s string) bool {
	i := strings.IndexAny(s, "\r\n")
	return i >= 0 && s[i] == '\r' && i+1 < len(s) && s[i+1] == '\n'
}

func toLF(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
}

// lineDiff renders the changed region of a single replacement in the original's diff
// style ("+N line", "-N line", " N line", with "..." for skipped context) and returns the
// first changed line of the new text.
func lineDiff(oldS, newS string, ctxLines int) (string, int) {
	a, b := strings.Split(oldS, "\n"), strings.Split(newS, "\n")
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	width := len(fmt.Sprint(max(len(a), len(b))))
	num := func(n int) string { return fmt.Sprintf("%*d", width, n) }
	pad := strings.Repeat(" ", width)
	var out []string
	from := max(0, pre-ctxLines)
	if from > 0 {
		out = append(out, " "+pad+" ...")
	}
	for i := from; i < pre; i++ {
		out = append(out, " "+num(i+1)+" "+a[i])
	}
	for i := pre; i < len(a)-suf; i++ {
		out = append(out, "-"+num(i+1)+" "+a[i])
	}
	for i := pre; i < len(b)-suf; i++ {
		out = append(out, "+"+num(i+1)+" "+b[i])
	}
	end := min(len(a), len(a)-suf+ctxLines)
	for i := len(a) - suf; i < end; i++ {
		out = append(out, " "+num(i+1)+" "+a[i])
	}
	if end < len(a) {
		out = append(out, " "+pad+" ...")
	}
	return strings.Join(out, "\n"), pre + 1
}
