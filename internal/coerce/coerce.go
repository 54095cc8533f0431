// Package coerce reads the scalars of decoded JSON (and the values of
// query and form parameters) as the typed binders of web frameworks and
// tool servers read them: Jackson, Rails, Laravel, Pydantic. The gateways
// judge a request also under each such reading (see Tree), so that a rule
// comparing a value as one type is not bypassed by the same value sent as
// another, which the upstream coerces.
//
//	for _, r := range coerce.Tree(body, spelled, types) {
//		alt := withBody(req, r.Body)
//		if rules.Decide(ctx, alt).GuardsMoreThan(base) { refuse(r.Why()) }
//	}
//
// The one thing not to forget: a reading is judged with the rules, never
// forwarded; what is forwarded is the value as sent.
package coerce

import (
	"math"
	"strconv"
	"strings"
)

// Typed binders coerce a JSON scalar to the type of the field it binds:
// Jackson (ALLOW_COERCION_OF_SCALARS and ACCEPT_FLOAT_AS_INT, both on by
// default) reads "09" and 9.5 as the long 9, 7 as the String "7", "true"
// and 1 as the boolean true; Rails' to_i reads "9abc" as 9 and its
// ActiveModel boolean reads every string but "0", "f", "false", "off" (and
// their upper cases) as true, "no" and "x" included, and JavaScript's
// Boolean() (zod's coerce.boolean) every non-empty one; Laravel's intval
// reads "5e3" as 5000; Pydantic's lax mode reads "5000.0" as 5000 and
// "no", "n" and " 0" as false; JavaScript's Number() reads "0x9" as 9 and
// "Infinity" above any bound, and its String(), Number() and Boolean()
// read an array of one element as the element and every object and array
// as true (see js.go). A coercion is one such reading.

// Coercion reads a scalar as another type: what it reads it as (To) and
// who reads it so (By).
type Coercion struct {
	To, By string
	conv   func(v any) (any, bool)
}

// Read returns v as c reads it, and whether it differs from v.
func (c *Coercion) Read(v any) (any, bool) { return c.conv(v) }

// The coercions, by what they read a scalar as.
var (
	asInteger         = &Coercion{"an integer", "Jackson, ASP.NET and Rails' to_i", toInteger}
	asIntegerOfNumber = &Coercion{"an integer", "Laravel's intval and Pydantic", toIntegerOfNumber}
	asNumber          = &Coercion{"a number", "Jackson and Pydantic binding a double", toNumber}
	asIntegerText     = &Coercion{"its integer's digits", "binders that read it as an integer", toIntegerText}
	asText            = &Coercion{"a string", "Jackson and Rails binding a string", toText}
	asBoolean         = &Coercion{"a boolean", "Rails' ActiveModel (and Jackson, for a number)", toBoolean}
	asLaxFalse        = &Coercion{"a boolean", "Pydantic", toLaxFalse}
	asTruthy          = &Coercion{"a boolean", "JavaScript's Boolean() (zod's coerce, Express apps)", toTruthy}
)

// All are the readings every scalar under a name the rules read is judged
// as.
var All = []*Coercion{asInteger, asIntegerOfNumber, asNumber, asIntegerText, asText, asBoolean, asLaxFalse, asTruthy, asJSNumber, asJSInteger, asResolved, asFolded}

// ByType are, by the type of a constant the rules compare a name with
// (see Types), the coercions to that type, the likeliest first.
var ByType = map[string][]*Coercion{
	"int":    {asInteger, asIntegerOfNumber, asJSInteger},
	"double": {asNumber, asJSNumber},
	"string": {asText, asIntegerText, asResolved},
	"bool":   {asBoolean, asLaxFalse, asTruthy},
}

// maxExactInteger bounds the integers read as doubles (2^53): beyond it
// the gateways refuse them.
const maxExactInteger = 1 << 53

// toInteger reads a string's leading integer (Integer: "09", "+9",
// " 9", "9abc") and a double's integer part (9.5 is 9).
func toInteger(v any) (any, bool) {
	switch x := v.(type) {
	case string:
		if n, ok := Integer(x); ok {
			if i, ok := parseInt(n); ok {
				return i, true
			}
		}
	case float64:
		if math.Abs(x) < 1<<63 {
			return int64(x), true
		}
	}
	return nil, false
}

// toIntegerOfNumber reads a string holding a number as that number's
// integer part ("5e3" is 5000, "9.0" is 9), and one holding '_' as the
// integer before it ("1_0" is 1), where that differs from its leading
// integer (toInteger), and a boolean as 1 or 0.
func toIntegerOfNumber(v any) (any, bool) {
	switch x := v.(type) {
	case string:
		var n int64
		if f, ok := parseNumber(x); ok && math.Abs(f) < 1<<63 {
			n = int64(f)
		} else if d, ok := CInteger(x); ok {
			if n, ok = parseInt(d); !ok {
				return nil, false
			}
		} else {
			return nil, false
		}
		if lead, ok := toInteger(x); ok && lead == n {
			return nil, false // the reading of toInteger
		}
		return n, true
	case bool:
		if x {
			return int64(1), true
		}
		return int64(0), true
	}
	return nil, false
}

// toNumber reads a string holding a number as a double ("5e3" is 5000.0)
// and an integer as a double.
func toNumber(v any) (any, bool) {
	switch x := v.(type) {
	case string:
		if f, ok := parseNumber(x); ok {
			return f, true
		}
	case int64:
		if x <= maxExactInteger && x >= -maxExactInteger {
			return float64(x), true
		}
	}
	return nil, false
}

// toIntegerText reads a string holding an integer as the integer's
// canonical digits ("09" is "9"): a rule comparing the string "9" does
// not see "09", which an integer binder reads as 9.
func toIntegerText(v any) (any, bool) {
	s, ok := v.(string)
	if !ok {
		return nil, false
	}
	if n, ok := Integer(s); ok && n != s {
		return n, true
	}
	return nil, false
}

// toText reads a number or a boolean as its text (JavaScript's String()
// of it: 7 is "7", 7.5 is "7.5", true is "true").
func toText(v any) (any, bool) {
	switch x := v.(type) {
	case int64:
		return strconv.FormatInt(x, 10), true
	case float64:
		if math.Abs(x) < 1e21 {
			return strconv.FormatFloat(x, 'f', -1, 64), true
		}
		return strconv.FormatFloat(x, 'g', -1, 64), true
	case bool:
		return strconv.FormatBool(x), true
	}
	return nil, false
}

// railsFalse are the strings Rails' ActiveModel boolean reads as false;
// it reads every other non-empty string as true.
var railsFalse = map[string]bool{"0": true, "f": true, "F": true, "false": true, "FALSE": true, "off": true, "OFF": true}

// toBoolean reads a non-empty string as Rails does (see railsFalse) and a
// number as whether it is not zero (Jackson, Rails).
func toBoolean(v any) (any, bool) {
	switch x := v.(type) {
	case string:
		if x == "" {
			return nil, false
		}
		return !railsFalse[x], true
	case int64:
		return x != 0, true
	case float64:
		return x != 0, true
	}
	return nil, false
}

// toLaxFalse reads as false the strings Pydantic reads as false and Rails
// as true ("no", "n", "Off", " 0").
func toLaxFalse(v any) (any, bool) {
	s, ok := v.(string)
	if !ok || railsFalse[s] {
		return nil, false
	}
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "0", "off", "f", "false", "n", "no":
		return false, true
	}
	return nil, false
}

// toTruthy reads as true the strings Rails reads as false ("false", "0",
// "off"): JavaScript's Boolean() reads every non-empty string as true.
func toTruthy(v any) (any, bool) {
	s, ok := v.(string)
	if !ok || !railsFalse[s] {
		return nil, false
	}
	return true, true
}

// parseNumber reads s, trimmed, as a finite decimal number (not Go's
// hexadecimal floats, underscores, "Inf" or "NaN").
func parseNumber(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	if s == "" || strings.ContainsFunc(s, func(r rune) bool {
		return !('0' <= r && r <= '9' || r == '.' || r == 'e' || r == 'E' || r == '+' || r == '-')
	}) {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}

func parseInt(s string) (int64, bool) {
	i, err := strconv.ParseInt(s, 10, 64)
	return i, err == nil
}
