package coerce

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Binders coerce the scalars of a JSON body at every depth, not only at
// its top (see All): a rule on http.body.transfer.to == 9 or on
// items.exists(i, i.account == 9) sees the string "09" that Jackson binds
// as 9. So every scalar under a name the rules read, at any depth and in
// arrays, is also judged as each coercion reads it. A binder coerces the
// values of one field alike, so the scalars are grouped by their path,
// with array indexes and the keys no rule reads as wildcards
// (items[*].account), and each group is converted as a whole: one reading
// per group and coercion, bounded by the names the rules read rather than
// by the size of the body.

// Reading is a JSON body with one group of its scalars coerced, or
// (path "") every scalar under a name the rules compare with constants
// coerced to their type.
type Reading struct {
	Body       any
	Path       string
	Sent, Read any // the first scalar converted, and what it reads as
	C          *Coercion
}

// typedVariants is the number of typed readings: the likeliest coercion
// to each type, the next, and the one after.
const typedVariants = 3

// Tree returns the readings of body (see above and Types), for the
// scalars under the names the rules read (spelled reports them) and
// compare with constants of the types ct.
func Tree(body any, spelled func(string) bool, ct Types) []Reading {
	out := readings(body, spelled, ct)
	if r, ok := unwrapReading(body, spelled); ok {
		// Arrays of one element read as it (see unwrapReading), and then as
		// each coercion reads it.
		out = append(out, r)
		out = append(out, readings(r.Body, spelled, ct)...)
	}
	if r, ok := truthyReading(body, ct); ok {
		out = append(out, r)
	}
	return out
}

// readings are Tree's readings of body's scalars.
func readings(body any, spelled func(string) bool, ct Types) []Reading {
	groups := map[string]bool{}
	scalarGroups(body, "", "", spelled, groups)
	var out []Reading
	for _, g := range slices.Sorted(maps.Keys(groups)) {
		for _, c := range All {
			w := treeRewrite{target: g, spelled: spelled, conv: func(v any, _ string) (any, *Coercion, bool) {
				r, ok := c.conv(v)
				return r, c, ok
			}}
			if b, changed := w.rewrite(body, "", ""); changed {
				out = append(out, Reading{b, g, w.sent, w.read, w.c})
			}
		}
	}
	if len(groups) < 2 || len(ct) == 0 {
		return out // one group: its readings are the typed ones
	}
	for variant := range typedVariants {
		w := treeRewrite{spelled: spelled, all: true, conv: func(v any, key string) (any, *Coercion, bool) {
			ts := ct[key]
			if len(ts) == 0 {
				return nil, nil, false
			}
			cs := ByType[ts[variant%len(ts)]]
			for _, c := range []*Coercion{cs[variant%len(cs)], cs[0]} {
				if r, ok := c.conv(v); ok {
					return r, c, true
				}
			}
			return nil, nil, false
		}}
		if b, changed := w.rewrite(body, "", ""); changed {
			out = append(out, Reading{b, "", w.sent, w.read, w.c})
		}
	}
	return out
}

// childPath is the path of the member k of the object at path: the
// member's name when the rules read it, a wildcard when they do not.
func childPath(path, k string, spelled func(string) bool) string {
	if spelled(k) {
		return path + "." + k
	}
	return path + ".*"
}

// scalarGroups adds to groups the paths of the scalars of v (at path,
// under the member key) that sit under a name the rules read.
func scalarGroups(v any, path, key string, spelled func(string) bool, groups map[string]bool) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			scalarGroups(e, childPath(path, k, spelled), k, spelled, groups)
		}
	case []any:
		for _, e := range x {
			scalarGroups(e, path+"[*]", key, spelled, groups)
		}
	case nil:
	default:
		if key != "" && spelled(key) {
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
	spelled    func(string) bool
	conv       func(v any, key string) (any, *Coercion, bool)
	sent, read any
	c          *Coercion
}

func (w *treeRewrite) rewrite(v any, path, key string) (any, bool) {
	if !w.all && !strings.HasPrefix(w.target, path) {
		return v, false
	}
	switch x := v.(type) {
	case map[string]any:
		return rewriteMembers(x, func(k string) string { return childPath(path, k, w.spelled) }, w.rewrite)
	case []any:
		return rewriteElems(x, path+"[*]", key, w.rewrite)
	}
	if !w.all && path != w.target || key == "" || !w.spelled(key) {
		return v, false
	}
	r, c, ok := w.conv(v, key)
	if ok && w.c == nil {
		w.sent, w.read, w.c = v, r, c
	}
	return r, ok
}

// Why says what r reads, for a refusal: what the values are (what: "JSON
// value", "argument"), and in which shape of the body (in, or "").
func (r Reading) Why(what, in string) string {
	if r.Path == "" {
		return fmt.Sprintf("the %ss%s under the names the rules compare with constants are read as the types compared, all at once, by binders (%.64s as %s, %.64s, by %s)",
			what, in, jsonText(r.Sent), r.C.To, jsonText(r.Read), r.C.By)
	}
	return fmt.Sprintf("the %s %.64s at %.64s%s is read as %s (%.64s) by %s",
		what, jsonText(r.Sent), strings.TrimPrefix(r.Path, "."), in, r.C.To, jsonText(r.Read), r.C.By)
}

// jsonText is v as JSON text.
func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// rewriteMembers returns x with each member f changed (f is given the
// member, its path, pathOf(key), and its key), copying x only when f
// changed one; ok reports whether it did.
func rewriteMembers(x map[string]any, pathOf func(string) string, f func(v any, path, key string) (any, bool)) (any, bool) {
	var out map[string]any
	for k, e := range x {
		if ne, ok := f(e, pathOf(k), k); ok {
			if out == nil {
				out = maps.Clone(x)
			}
			out[k] = ne
		}
	}
	return out, out != nil
}

// rewriteElems is rewriteMembers for the elements of an array, each given
// path and key.
func rewriteElems(x []any, path, key string, f func(v any, path, key string) (any, bool)) (any, bool) {
	var out []any
	for i, e := range x {
		if ne, ok := f(e, path, key); ok {
			if out == nil {
				out = slices.Clone(x)
			}
			out[i] = ne
		}
	}
	return out, out != nil
}
