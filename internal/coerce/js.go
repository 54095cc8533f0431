package coerce

import (
	"math"
	"strconv"
	"strings"
)

// JavaScript reads values by what it is asked for, not by what was sent:
// Number() (zod's z.coerce.number(), unary +, Express and MCP servers
// written without a schema) reads "0x9", "0b1001" and "0o11" as 9 and
// "Infinity" as a number above any bound. A rule on to == 9 sees the
// string. (Arrays and objects: see containers.go.)

// asJSNumber and asJSInteger are JavaScript's Number() of a string where
// it differs from a decimal parse: as a double, and, for rules that
// compare integers (type(x) == int), as an integer, a number beyond any
// integer's range (Infinity, 0x1p99...) as the largest one.
var (
	asJSNumber  = &Coercion{"a number", "JavaScript's Number() (zod's coerce, unary +)", toJSNumber}
	asJSInteger = &Coercion{"an integer", "JavaScript's Number() (zod's coerce, unary +)", toJSInteger}
)

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
