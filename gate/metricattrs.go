package gate

import (
	"maps"
	"sync"
	"sync/atomic"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// Building an attribute set sorts and hashes its attributes; done for every
// decision it was a visible share of a gateway's CPU. The values that label
// the gate's measurements come from a small set (actions, rule names,
// protocols, event kinds, detectors), so each combination's set is built
// once and its measurement options kept.

// maxAttrSets bounds one cache. A label value outside the rule set (an
// interceptor's rule name, say) could make the combinations unbounded;
// beyond the bound a measurement builds its set as before.
const maxAttrSets = 1024

// measureOpts are the options of one combination of attribute values, in
// the two shapes the instruments take.
type measureOpts struct {
	add []metric.AddOption
	rec []metric.RecordOption
}

func newMeasureOpts(kv ...attribute.KeyValue) *measureOpts {
	o := metric.WithAttributeSet(attribute.NewSet(kv...))
	return &measureOpts{add: []metric.AddOption{o}, rec: []metric.RecordOption{o}}
}

// attrCache maps attribute values (K) to their options. Reads load an
// immutable map without a lock or an allocation; a new combination copies
// the map (rare, and bounded by maxAttrSets).
type attrCache[K comparable] struct {
	m     atomic.Pointer[map[K]*measureOpts]
	mu    sync.Mutex // serialises writers
	build func(K) *measureOpts
}

func newAttrCache[K comparable](build func(K) *measureOpts) *attrCache[K] {
	return &attrCache[K]{build: build}
}

// get returns the options of k, building them on first use.
func (c *attrCache[K]) get(k K) *measureOpts {
	if m := c.m.Load(); m != nil {
		if o, ok := (*m)[k]; ok {
			return o
		}
	}
	o := c.build(k)
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.m.Load()
	if old != nil && len(*old) >= maxAttrSets {
		return o
	}
	next := make(map[K]*measureOpts, 1+lenOf(old))
	if old != nil {
		maps.Copy(next, *old)
	}
	next[k] = o
	c.m.Store(&next)
	return o
}

func lenOf[K comparable](m *map[K]*measureOpts) int {
	if m == nil {
		return 0
	}
	return len(*m)
}
