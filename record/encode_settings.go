package record

import (
	"slices"
	"sync/atomic"
)

// settingsKeys holds the sorted names of the last settings written: the
// PostgreSQL gateway sends the same two dozen with every request, and
// sorting them for each took a twentieth of the gateway's instructions.
var settingsKeys atomic.Pointer[[]string]

// appendSettings writes a request's SQL settings as encoding/json writes
// the map: an object with its keys sorted. When m has exactly the names of
// the last settings written, their order is reused.
func appendSettings(b []byte, m map[string]string) []byte {
	if p := settingsKeys.Load(); p != nil && len(*p) == len(m) {
		start := len(b)
		if out, ok := appendInOrder(b, m, *p); ok {
			return out
		}
		b = b[:start]
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	settingsKeys.Store(&keys)
	out, _ := appendInOrder(b, m, keys)
	return out
}

// appendInOrder writes m as an object with its keys in the order of keys,
// which must hold as many distinct names as m; ok is false (b garbage)
// when one of them is not in m, so that they are not m's keys.
func appendInOrder(b []byte, m map[string]string, keys []string) (out []byte, ok bool) {
	b = append(b, '{')
	for i, k := range keys {
		v, has := m[k]
		if !has {
			return b, false
		}
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, k)
		b = append(b, ':')
		b = appendString(b, v)
	}
	return append(b, '}'), true
}
