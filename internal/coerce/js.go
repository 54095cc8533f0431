package coerce

import (
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
)

// JavaScript reads values by what it is asked for, not by what was sent:
// Number() (zod's z.coerce.number(), unary +, Express and MCP servers
// written without a schema) reads "0x9", "0b1001" and "0o11" as 9 and
// "Infinity" as a number above any bound, and String(), Number(),
// template literals and string concatenation read an array of one
// element as that element ([9] is "9" and 9, [["/etc/passwd"]] is
// "/etc/passwd"). A rule on to == 9 or on path == "/etc/passwd" sees the
// string or the array.

// asJSNumber and asJSInteger are JavaScript's Number() of a string where
// it differs from a decimal parse: as a double, and, for rules that
// compare integers (type(x) == int), as an integer, a number beyond any
// integer's range (Infinity, 0x1p99...) as the largest one.
var (
	asJSNumber  = &Coercion{"a number", "JavaScript's Number() (zod's coerce, unary +)", toJSNumber}
	asJSInteger = &Coercion{"an integer", "JavaScript's Number() (zod's coerce, unary +)", toJSInteger}
)

// asElement reads an array of one element as the element (see Unwrap).
var asElement = &Coercion{"its one element", "JavaScript's String() and Number() of an array (template literals, concatenation, zod's coerce)", nil}

// jsRadix are the prefixes of the integer literals Number() reads.
var jsRadix = map[string]int{"0x": 16, "0X": 16, "0b": 2, "0B": 2, "0o": 8, "0O": 8}

// toJSNumber reads a string as Number() does where a decimal parse
// (parseNumber) does not: a hexadecimal, binary or octal integer and
// Infinity, trimmed.
func toJSNumber(v any) (any, bool) {
	s, ok := v.(string)
	if !ok {
		return nil, false
	}
	if _, ok := parseNumber(s); ok || strings.TrimSpace(s) == "" {
		return nil, false
	}
	f := JSNumber(s)
	if math.IsNaN(f) {
		return nil, false
	}
	return f, true
}

// toJSInteger is toJSNumber as an integer: beyond the range of int64,
// the largest (or smallest) one.
func toJSInteger(v any) (any, bool) {
	r, ok := toJSNumber(v)
	if !ok {
		return nil, false
	}
	f := r.(float64)
	switch {
	case f >= math.MaxInt64:
		return int64(math.MaxInt64), true
	case f <= math.MinInt64:
		return int64(math.MinInt64), true
	case f != math.Trunc(f):
		return nil, false
	}
	return int64(f), true
}

// JSIntegerText returns the decimal digits of the integer JavaScript's
// Number() reads s as where a decimal parse does not ("0x9" is "9"), and
// whether it does.
func JSIntegerText(s string) (string, bool) {
	r, ok := toJSInteger(s)
	if !ok {
		return "", false
	}
	return strconv.FormatInt(r.(int64), 10), true
}

// JSNumber is JavaScript's Number() of a decoded JSON value (float64 for
// numbers): strings trimmed, "" is 0, hexadecimal, binary and octal
// integers and Infinity read, an array read through its String(), NaN
// for what it cannot read.
func JSNumber(v any) float64 {
	switch x := v.(type) {
	case nil:
		return 0
	case bool:
		if x {
			return 1
		}
		return 0
	case float64:
		return x
	case int64:
		return float64(x)
	case []any:
		return JSNumber(JSString(x))
	case string:
		return jsNumberOf(strings.TrimSpace(x))
	}
	return math.NaN()
}

// jsNumberOf is Number() of a trimmed string.
func jsNumberOf(s string) float64 {
	switch s {
	case "":
		return 0
	case "Infinity", "+Infinity":
		return math.Inf(1)
	case "-Infinity":
		return math.Inf(-1)
	}
	if len(s) > 2 {
		if base, ok := jsRadix[s[:2]]; ok {
			n, err := strconv.ParseUint(s[2:], base, 64)
			if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
				return math.Inf(1)
			}
			if err != nil {
				return math.NaN()
			}
			return float64(n)
		}
	}
	if f, ok := parseNumber(s); ok {
		return f
	}
	return math.NaN()
}

// JSString is JavaScript's String() of a decoded JSON value: an array is
// its elements' strings joined with ",", an object "[object Object]".
func JSString(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case int64:
		return strconv.FormatInt(x, 10)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			if e != nil {
				parts[i] = JSString(e)
			}
		}
		return strings.Join(parts, ",")
	}
	return "[object Object]"
}

// JSBoolean is JavaScript's Boolean() of a decoded JSON value: every
// object and array is true.
func JSBoolean(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case float64:
		return x != 0 && !math.IsNaN(x)
	case int64:
		return x != 0
	case string:
		return x != ""
	}
	return true
}

// Unwrap returns body with every array of one element (at any depth of
// nesting, [[x]]) that is the value of a name the rules read (spelled)
// replaced by that element, and whether any was: a JavaScript server
// reads them so. An array of one object is kept (String() of it is
// "[object Object]").
func Unwrap(body any, spelled func(string) bool) (any, bool) {
	u := unwrapper{spelled: spelled}
	return u.unwrap(body, "", "")
}

// unwrapReading is the reading of body by Unwrap, if any.
func unwrapReading(body any, spelled func(string) bool) (Reading, bool) {
	u := unwrapper{spelled: spelled}
	b, ok := u.unwrap(body, "", "")
	if !ok {
		return Reading{}, false
	}
	return Reading{Body: b, Path: u.path, Sent: u.sent, Read: u.read, C: asElement}, true
}

// unwrapper rewrites a body for Unwrap, noting the first array it reads
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
		var out map[string]any
		for k, e := range x {
			if ne, ok := u.unwrap(e, path+"."+k, k); ok {
				if out == nil {
					out = maps.Clone(x)
				}
				out[k] = ne
			}
		}
		return out, out != nil
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
		var out []any
		for i, e := range x {
			if ne, ok := u.unwrap(e, path+"[*]", key); ok {
				if out == nil {
					out = slices.Clone(x)
				}
				out[i] = ne
			}
		}
		return out, out != nil
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
	switch x := v.(type) {
	case map[string]any:
		var out map[string]any
		for k, e := range x {
			if ne, ok := truthy(e, path+"."+k, k, ct, r); ok {
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
			if ne, ok := truthy(e, path+"[*]", key, ct, r); ok {
				if out == nil {
					out = slices.Clone(x)
				}
				out[i] = ne
			}
		}
		return out, out != nil
	}
	return v, false
}
