package record

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/airlock-sdk/airlock/internal/jsontext"
)

// maxEncodeDepth bounds the nesting of decoded JSON values the encoder
// writes itself; deeper values go to encoding/json.
const maxEncodeDepth = 200

// closeObj ends an object whose fields may all be omitted: such an object
// is started with b = append(b, '{'); start := len(b), every field is
// written with a leading comma, and closeObj drops the first one.
func closeObj(b []byte, start int) []byte {
	if len(b) > start && b[start] == ',' {
		b = append(b[:start], b[start+1:]...)
	}
	return append(b, '}')
}

func optStr(b []byte, key, s string) []byte {
	if s == "" {
		return b
	}
	b = append(b, key...)
	return appendString(b, s)
}

func appendBool(b []byte, key string, v bool) []byte {
	b = append(b, key...)
	if v {
		return append(b, "true"...)
	}
	return append(b, "false"...)
}

func optTrue(b []byte, key string, v bool) []byte {
	if !v {
		return b
	}
	b = append(b, key...)
	return append(b, "true"...)
}

func appendInt(b []byte, key string, v int64) []byte {
	b = append(b, key...)
	return strconv.AppendInt(b, v, 10)
}

func optInt(b []byte, key string, v int64) []byte {
	if v == 0 {
		return b
	}
	return appendInt(b, key, v)
}

func optStrings(b []byte, key string, ss []string) []byte {
	if len(ss) == 0 {
		return b
	}
	b = append(b, key...)
	return appendStrings(b, ss)
}

// appendStrings writes a string slice; nil is null, as encoding/json has it.
func appendStrings(b []byte, ss []string) []byte {
	if ss == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, s)
	}
	return append(b, ']')
}

// appendStringsMap writes a header or query map, keys sorted.
func appendStringsMap(b []byte, m map[string][]string) []byte {
	return appendSortedMap(b, m, appendStrings)
}

// appendSortedMap writes m as a JSON object with its keys sorted, as
// encoding/json does, each value written by value.
func appendSortedMap[V any](b []byte, m map[string]V, value func([]byte, V) []byte) []byte {
	var arr [32]string // the PostgreSQL gateway's settings: 24
	keys := arr[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, k)
		b = append(b, ':')
		b = value(b, m[k])
	}
	return append(b, '}')
}

// time writes t as time.Time.MarshalJSON does, and gives up where that
// fails (a year outside 0-9999, a zone offset of 24 hours or more).
func (e *encoder) time(b []byte, t time.Time) []byte {
	// A time at the instant and in the location of the first one written
	// (the event's, which is its decision's) is written as it was: that
	// is all formatting reads (not the monotonic reading, which the
	// event's time has lost to UTC and the decision's may keep).
	if e.firstLen > 0 && t.Unix() == e.firstTime.Unix() && t.Nanosecond() == e.firstTime.Nanosecond() &&
		t.Location() == e.firstTime.Location() {
		return append(b, e.first[:e.firstLen]...)
	}
	start := len(b)
	b = append(b, '"')
	if fast, ok := appendUTC(b, t); ok {
		b = append(fast, '"')
		if e.firstLen == 0 && len(b)-start <= len(e.first) {
			e.firstTime, e.firstLen = t, copy(e.first[:], b[start:])
		}
		return b
	}
	n0 := len(b)
	b = t.AppendFormat(b, time.RFC3339Nano)
	s := b[n0:]
	if s[4] != '-' {
		e.bad = true
	} else if n := len(s); s[n-1] != 'Z' {
		c := s[n-6]
		if ('0' <= c && c <= '9') || 10*(s[n-5]-'0')+(s[n-4]-'0') >= 24 {
			e.bad = true
		}
	}
	return append(b, '"')
}

// value writes a decoded JSON value (a request body, tool arguments,
// identity claims) as encoding/json does; it gives up on any other type.
func (e *encoder) value(b []byte, v any, depth int) []byte {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...)
	case string:
		return appendString(b, x)
	case bool:
		return appendBool(b, "", x)
	case float64:
		return e.float(b, x)
	case json.Number:
		return e.number(b, x)
	case map[string]any:
		return e.object(b, x, depth+1)
	case []any:
		return e.array(b, x, depth+1)
	case []string:
		return appendStrings(b, x)
	case int:
		return strconv.AppendInt(b, int64(x), 10)
	case int64:
		return strconv.AppendInt(b, x, 10)
	}
	e.bad = true
	return b
}

// object writes a map with its keys sorted, as encoding/json does.
func (e *encoder) object(b []byte, m map[string]any, depth int) []byte {
	if m == nil {
		return append(b, "null"...)
	}
	if depth > maxEncodeDepth {
		e.bad = true
		return b
	}
	return appendSortedMap(b, m, func(b []byte, v any) []byte { return e.value(b, v, depth) })
}

func (e *encoder) array(b []byte, a []any, depth int) []byte {
	if a == nil {
		return append(b, "null"...)
	}
	if depth > maxEncodeDepth {
		e.bad = true
		return b
	}
	b = append(b, '[')
	for i, v := range a {
		if i > 0 {
			b = append(b, ',')
		}
		b = e.value(b, v, depth)
	}
	return append(b, ']')
}

// float writes f as encoding/json's float64 encoder does (ES6 number
// formatting); NaN and infinities, which it refuses, are given up on.
func (e *encoder) float(b []byte, f float64) []byte {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		e.bad = true
		return b
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// e-09 is written e-9.
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

// number writes a json.Number as encoding/json does: "" is 0, and a
// literal that is not a JSON number is given up on (encoding/json fails).
func (e *encoder) number(b []byte, n json.Number) []byte {
	s := string(n)
	if s == "" {
		s = "0"
	}
	if end, err := jsontext.NumberEnd([]byte(s), 0); err != nil || end != len(s) {
		e.bad = true
		return b
	}
	return append(b, s...)
}
