package httpgate

import (
	"maps"
	"slices"
	"strings"
)

// Binders coerce the scalars of a JSON body at every depth, not only at
// its top (see coercions): a rule on http.body.transfer.to == 9 or on
// items.exists(i, i.account == 9) sees the string "09" that Jackson binds
// as 9. So every scalar under a name the rules read, at any depth and in
// arrays, is also judged as each coercion reads it. A binder coerces the
// values of one field alike, so the scalars are grouped by their path,
// with array indexes and the keys no rule reads as wildcards
// (items[*].account), and each group is converted as a whole: one reading
// per group and coercion, bounded by the names the rules read rather than
// by the size of the body.

// treeReading is a JSON body with one group of its scalars coerced, or
// (path "") every scalar under a name the rules compare with constants
// coerced to their type.
type treeReading struct {
	body       any
	path       string
	sent, read any // the first scalar converted, and what it reads as
	c          *coercion
}

// typedVariants is the number of typed readings: the likeliest coercion
// to each type, and the next.
const typedVariants = 2

// jsonTreeReadings returns the readings of body (see above and
// comparedTypes), for the scalars under the names the rules read (names)
// and compare with constants of the types ct.
func jsonTreeReadings(body any, names readNames, ct comparedTypes) []treeReading {
	groups := map[string]bool{}
	scalarGroups(body, "", "", names, groups)
	var out []treeReading
	for _, g := range slices.Sorted(maps.Keys(groups)) {
		for _, c := range coercions {
			w := treeRewrite{target: g, names: names, conv: func(v any, _ string) (any, *coercion, bool) {
				r, ok := c.conv(v)
				return r, c, ok
			}}
			if b, changed := w.rewrite(body, "", ""); changed {
				out = append(out, treeReading{b, g, w.sent, w.read, w.c})
			}
		}
	}
	if len(groups) < 2 || len(ct) == 0 {
		return out // one group: its readings are the typed ones
	}
	for variant := range typedVariants {
		w := treeRewrite{names: names, all: true, conv: func(v any, key string) (any, *coercion, bool) {
			ts := ct[key]
			if len(ts) == 0 {
				return nil, nil, false
			}
			cs := typeCoercions[ts[variant%len(ts)]]
			for _, c := range []*coercion{cs[variant%len(cs)], cs[0]} {
				if r, ok := c.conv(v); ok {
					return r, c, true
				}
			}
			return nil, nil, false
		}}
		if b, changed := w.rewrite(body, "", ""); changed {
			out = append(out, treeReading{b, "", w.sent, w.read, w.c})
		}
	}
	return out
}

// childPath is the path of the member k of the object at path: the
// member's name when the rules read it, a wildcard when they do not.
func childPath(path, k string, names readNames) string {
	if names.spelled(k) {
		return path + "." + k
	}
	return path + ".*"
}

// scalarGroups adds to groups the paths of the scalars of v (at path,
// under the member key) that sit under a name the rules read.
func scalarGroups(v any, path, key string, names readNames, groups map[string]bool) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			scalarGroups(e, childPath(path, k, names), k, names, groups)
		}
	case []any:
		for _, e := range x {
			scalarGroups(e, path+"[*]", key, names, groups)
		}
	case nil:
	default:
		if key != "" && names.spelled(key) {
			groups[path] = true
		}
	}
}

// treeRewrite converts with conv the scalars of the group target, or of
// all groups, copying only the objects and arrays on the way to them.
// conv is given the name the scalar is under, and returns the coercion it
// applied.
type treeRewrite struct {
	target     string
	all        bool
	names      readNames
	conv       func(v any, key string) (any, *coercion, bool)
	sent, read any
	c          *coercion
}

func (w *treeRewrite) rewrite(v any, path, key string) (any, bool) {
	if !w.all && !strings.HasPrefix(w.target, path) {
		return v, false
	}
	switch x := v.(type) {
	case map[string]any:
		var out map[string]any
		for k, e := range x {
			if ne, ok := w.rewrite(e, childPath(path, k, w.names), k); ok {
				if out == nil {
					out = maps.Clone(x)
				}
				out[k] = ne
			}
		}
		return out, out != nil
	case []any:
		var out []any
		for i, e := range x {
			if ne, ok := w.rewrite(e, path+"[*]", key); ok {
				if out == nil {
					out = slices.Clone(x)
				}
				out[i] = ne
			}
		}
		return out, out != nil
	}
	if !w.all && path != w.target || key == "" || !w.names.spelled(key) {
		return v, false
	}
	r, c, ok := w.conv(v, key)
	if ok && w.c == nil {
		w.sent, w.read, w.c = v, r, c
	}
	return r, ok
}
