package tools

import (
	"sync"
	"time"
)

// ttlCache keeps answers (web_search, web_fetch) until they expire, at most max of
// them; when full, the oldest entry goes first (the original's rule). Safe for
// concurrent use: a tool is shared by the runs of an engine.
type ttlCache[V any] struct {
	mu    sync.Mutex
	max   int
	order []string
	m     map[string]ttlEntry[V]
}

type ttlEntry[V any] struct {
	v       V
	expires time.Time
}

func newTTLCache[V any](max int) *ttlCache[V] {
	return &ttlCache[V]{max: max, m: make(map[string]ttlEntry[V])}
}

func (c *ttlCache[V]) get(key string, now time.Time) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[key]
	if !ok {
		var zero V
		return zero, false
	}
	if now.After(e.expires) {
		c.remove(key)
		var zero V
		return zero, false
	}
	return e.v, true
}

func (c *ttlCache[V]) put(key string, v V, expires time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[key]; ok {
		c.remove(key)
	}
	for len(c.m) >= c.max && len(c.order) > 0 {
		c.remove(c.order[0])
	}
	c.m[key] = ttlEntry[V]{v: v, expires: expires}
	c.order = append(c.order, key)
}

func (c *ttlCache[V]) remove(key string) {
	delete(c.m, key)
	for i, k := range c.order {
		if k == key {
			c.order = append(c.order[:i], c.order[i+1:]...)
			break
		}
	}
}

func (c *ttlCache[V]) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}
