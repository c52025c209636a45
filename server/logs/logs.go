// Package logs owns the gateway's log file: a JSONL file in the state dir that receives
// every record at logging.level (info unless configured, as in the original), rotated
// by size, and read back by the logs.tail method.
// Stdout gets a human-readable copy at info (debug with --verbose).
package logs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync"
)

// Defaults for the file and for logs.tail.
const (
	DefaultMaxFileBytes = 10 << 20
	DefaultMaxFiles     = 3
	DefaultTailLimit    = 500
	MaxTailLimit        = 5000
	DefaultTailBytes    = 250_000
	MaxTailBytes        = 1_000_000
)

// File is an append-only log file with size-based rotation: path, path.1 … path.N.
type File struct {
	mu       sync.Mutex
	path     string
	f        *os.File
	size     int64
	maxBytes int64
	maxFiles int
}

// Open opens (creating, 0600, parent 0700) the log file at path.
func Open(path string, maxBytes int64, maxFiles int) (*File, error) {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxFileBytes
	}
	if maxFiles <= 0 {
		maxFiles = DefaultMaxFiles
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("log dir: %w", err)
	}
	lf := &File{path: path, maxBytes: maxBytes, maxFiles: maxFiles}
	if err := lf.open(); err != nil {
		return nil, err
	}
	return lf, nil
}

func (l *File) open() error {
	f, err := os.OpenFile(l.path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("open log file: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("stat log file: %w", err)
	}
	l.f, l.size = f, st.Size()
	return nil
}

// Path is the current file's path.
func (l *File) Path() string { return l.path }

// Write appends one or more whole lines; it rotates first when the line would push the
// file over its size limit. Safe for concurrent use.
func (l *File) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return 0, os.ErrClosed
	}
	if l.size > 0 && l.size+int64(len(p)) > l.maxBytes {
		if err := l.rotate(); err != nil {
			return 0, err
		}
	}
	n, err := l.f.Write(p)
	l.size += int64(n)
	return n, err
}

func (l *File) rotate() error {
	_ = l.f.Close()
	_ = os.Remove(l.path + "." + strconv.Itoa(l.maxFiles))
	for i := l.maxFiles - 1; i >= 1; i-- {
		_ = os.Rename(l.path+"."+strconv.Itoa(i), l.path+"."+strconv.Itoa(i+1))
	}
	if err := os.Rename(l.path, l.path+".1"); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("rotate log: %w", err)
	}
	return l.open()
}

// Close closes the file.
func (l *File) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}

// TailResult is what logs.tail returns.
type TailResult struct {
	File      string
	Cursor    int64
	Size      int64
	Lines     []string
	Truncated bool
	Reset     bool
}

// Tail reads the log. Without a cursor (nil) it returns the last limit lines; with one,
// the lines after it. A cursor beyond the file's size means the file was rotated or
// truncated: reading restarts at the beginning and Reset says so. maxBytes bounds what
// is read; Truncated says more was available.
func Tail(path string, cursor *int64, limit, maxBytes int) (TailResult, error) {
	if limit <= 0 {
		limit = DefaultTailLimit
	}
	limit = min(limit, MaxTailLimit)
	if maxBytes <= 0 {
		maxBytes = DefaultTailBytes
	}
	maxBytes = min(maxBytes, MaxTailBytes)
	res := TailResult{File: path, Lines: []string{}}
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return res, nil
	}
	if err != nil {
		return res, fmt.Errorf("open log: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return res, fmt.Errorf("stat log: %w", err)
	}
	res.Size = st.Size()
	start := int64(0)
	fromEnd := cursor == nil
	if cursor != nil {
		if *cursor > res.Size {
			res.Reset = true
		} else {
			start = *cursor
		}
	}
	if fromEnd {
		start = max(0, res.Size-int64(maxBytes))
	}
	if _, err := f.Seek(start, io.SeekStart); err != nil {
		return res, fmt.Errorf("seek log: %w", err)
	}
	buf := make([]byte, min(int64(maxBytes), res.Size-start))
	n, err := io.ReadFull(f, buf)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return res, fmt.Errorf("read log: %w", err)
	}
	buf = buf[:n]
	off := 0 // bytes of buf consumed so far
	if fromEnd && start > 0 {
		// The window starts mid-line: skip to the next line.
		i := bytes.IndexByte(buf, '\n')
		if i < 0 {
			res.Cursor, res.Truncated = start+int64(len(buf)), true
			return res, nil
		}
		off, res.Truncated = i+1, true
	}
	var lines []string
	var ends []int // offset in buf after each line
	for off < len(buf) {
		i := bytes.IndexByte(buf[off:], '\n')
		if i < 0 {
			break // a partial last line waits for the next call
		}
		lines = append(lines, string(buf[off:off+i]))
		off += i + 1
		ends = append(ends, off)
	}
	res.Cursor = start
	if len(ends) > 0 {
		res.Cursor = start + int64(ends[len(ends)-1])
	}
	if len(lines) > limit {
		res.Truncated = true
		if fromEnd {
			lines = lines[len(lines)-limit:]
		} else {
			res.Cursor = start + int64(ends[limit-1])
			lines = lines[:limit]
		}
	}
	if !fromEnd && res.Cursor < res.Size {
		res.Truncated = true
	}
	res.Lines = append(res.Lines, lines...)
	return res, nil
}

// Handler sends records to two handlers: the console (its own level) and the file
// (at logging.level). It exists so one *slog.Logger feeds both.
type Handler struct{ hs []slog.Handler }

// NewHandler combines handlers.
func NewHandler(hs ...slog.Handler) *Handler { return &Handler{hs: hs} }

// Enabled reports whether any handler takes the level.
func (h *Handler) Enabled(ctx context.Context, l slog.Level) bool {
	for _, x := range h.hs {
		if x.Enabled(ctx, l) {
			return true
		}
	}
	return false
}

// Handle passes the record to every handler that takes its level.
func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	var errs []error
	for _, x := range h.hs {
		if x.Enabled(ctx, r.Level) {
			if err := x.Handle(ctx, r.Clone()); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// WithAttrs applies to every handler.
func (h *Handler) WithAttrs(as []slog.Attr) slog.Handler {
	out := make([]slog.Handler, len(h.hs))
	for i, x := range h.hs {
		out[i] = x.WithAttrs(as)
	}
	return &Handler{hs: out}
}

// WithGroup applies to every handler.
func (h *Handler) WithGroup(name string) slog.Handler {
	out := make([]slog.Handler, len(h.hs))
	for i, x := range h.hs {
		out[i] = x.WithGroup(name)
	}
	return &Handler{hs: out}
}
