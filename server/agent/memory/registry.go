package memory

import (
	"context"
	"errors"
	"sync"
)

// Registry keeps the open indexes of a gateway, one per agent, workspace and settings,
// shared by all runs: an index owns a file watcher and a SQLite file, which a run must
// not open again.
type Registry struct {
	mu      sync.Mutex
	indexes map[string]*Index
	closed  bool
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{indexes: map[string]*Index{}} }

// errRegistryClosed is Get after Close.
var errRegistryClosed = errors.New("memory: registry closed")

// Get returns the index under key, opening it with open on first use. A failed open is
// not remembered: the next Get tries again.
func (r *Registry) Get(ctx context.Context, key string, open func(context.Context) (*Index, error)) (*Index, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil, errRegistryClosed
	}
	if x, ok := r.indexes[key]; ok {
		return x, nil
	}
	x, err := open(ctx)
	if err != nil {
		return nil, err
	}
	r.indexes[key] = x
	return x, nil
}

// Close closes every index.
func (r *Registry) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
	var errs []error
	for k, x := range r.indexes {
		errs = append(errs, x.Close())
		delete(r.indexes, k)
	}
	return errors.Join(errs...)
}
