package coerce

import (
	"slices"
)

// JavaScript reads containers by what it is asked for too: String(),
// Number(), template literals and string concatenation read an array of
// one element as the element ([9] is "9" and 9, [["/etc/passwd"]] is
// "/etc/passwd"), and Boolean() reads every object and array as true ({}
// and [0] are true). A rule on to == 9, path == "/etc/passwd" or
// force == true sees the array or the object. So a body is also judged
// with such arrays under the names the rules read replaced by their
// element (unwrapReading), and with the objects and arrays under names
// the rules compare with a boolean read as true (truthyReading).

// asElement reads an array of one element as the element (see unwrapReading).
var asElement = &Coercion{"its one element", "JavaScript's String() and Number() of an array (template literals, concatenation, zod's coerce)", nil}

// unwrapReading is body with every array of one element (at any depth
// of nesting, [[x]]) that is the value of a name the rules read
// (spelled) replaced by that element, if any is. An array of one object
// is kept (String() of it is "[object Object]").
func unwrapReading(body any, spelled func(string) bool) (Reading, bool) {
	u := unwrapper{spelled: spelled}
	b, ok := u.unwrap(body, "", "")
	if !ok {
		return Reading{}, false
	}
	return Reading{Body: b, Path: u.path, Sent: u.sent, Read: u.read, C: asElement}, true
}

// unwrapper rewrites a body for unwrapReading, noting the first array it reads
// as its element.
type unwrapper struct {
	spelled    func(string) bool
	path       string
	sent, read any
	noted      bool
}

func (u *unwrapper) unwrap(v any, path, key string) (any, bool) {
	switch x := v.(type) {
	case map[string]any:
		return rewriteMembers(x, func(k string) string { return path + "." + k }, u.unwrap)
	case []any:
		if key != "" && u.spelled(key) {
			if e, ok := single(x); ok {
				ne, _ := u.unwrap(e, path, key)
				if !u.noted {
					u.path, u.sent, u.read, u.noted = path, x, ne, true
				}
				return ne, true
			}
		}
		return rewriteElems(x, path+"[*]", key, u.unwrap)
	}
	return v, false
}

// single returns the one element of an array that JavaScript reads as
// its element: a scalar or another such array.
func single(x []any) (any, bool) {
	if len(x) != 1 {
		return nil, false
	}
	switch e := x[0].(type) {
	case map[string]any, nil:
		return nil, false
	case []any:
		_, ok := single(e)
		return e, ok
	}
	return x[0], true
}

// asTruthyContainer is JavaScript's Boolean() of an object or an array:
// true, empty or not ({}, [], [0]).
var asTruthyContainer = &Coercion{"a boolean", "JavaScript's Boolean() of an object or array (zod's coerce, if (x))", nil}

// truthyReading is body with every object and array under a name the
// rules compare with a boolean (ct) read as true, as Boolean() reads it,
// if any is.
func truthyReading(body any, ct Types) (Reading, bool) {
	r := Reading{C: asTruthyContainer}
	b, ok := truthy(body, "", "", ct, &r)
	r.Body = b
	return r, ok
}

func truthy(v any, path, key string, ct Types, r *Reading) (any, bool) {
	switch v.(type) {
	case map[string]any, []any:
		if key != "" && slices.Contains(ct[key], "bool") {
			if r.Sent == nil {
				r.Path, r.Sent, r.Read = path, v, true
			}
			return true, true
		}
	}
	next := func(e any, path, key string) (any, bool) { return truthy(e, path, key, ct, r) }
	switch x := v.(type) {
	case map[string]any:
		return rewriteMembers(x, func(k string) string { return path + "." + k }, next)
	case []any:
		return rewriteElems(x, path+"[*]", key, next)
	}
	return v, false
}
