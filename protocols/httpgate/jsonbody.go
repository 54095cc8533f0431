package httpgate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/airlock-sdk/airlock/internal/jsontext"
)

// maxJSONDepth bounds the nesting of a request body.
const maxJSONDepth = 64

// ParseJSON parses a request body strictly into the values CEL rules see:
// map[string]any, []any, string, int64 (integral numbers that fit) or
// float64, bool and nil. It refuses what parsers disagree on: duplicate
// object keys (after unescaping, and also keys equal under Unicode simple
// case folding, "amount" and "AMOUNT", "status" and "ſtatus", which Go's
// encoding/json matches to the same field), invalid UTF-8,
// trailing data, numbers out of range or that a double does not hold
// exactly (see exactDouble), "__proto__" keys and "constructor" objects
// with a "prototype" (JavaScript code that copies or merges the body reads
// them as prototypes, whose keys the rules would not see), and nesting
// deeper than 64.
func ParseJSON(data []byte) (any, error) {
	if !utf8.Valid(data) {
		return nil, errors.New("invalid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := parseValue(dec, 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("trailing data after the JSON value")
	}
	return v, nil
}

func parseValue(dec *json.Decoder, depth int) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		if err == io.EOF {
			return nil, errors.New("empty JSON document")
		}
		return nil, err
	}
	return parseFrom(dec, tok, depth)
}

func parseFrom(dec *json.Decoder, tok json.Token, depth int) (any, error) {
	switch t := tok.(type) {
	case json.Delim:
		if depth >= maxJSONDepth {
			return nil, fmt.Errorf("JSON nested deeper than %d", maxJSONDepth)
		}
		switch t {
		case '{':
			m := map[string]any{}
			folded := map[string]string{}
			for {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				if d, ok := kt.(json.Delim); ok && d == '}' {
					return m, nil
				}
				k, ok := kt.(string)
				if !ok {
					return nil, errors.New("object key is not a string")
				}
				f := jsontext.FoldKey(k)
				if other, dup := folded[f]; dup {
					return nil, duplicateKey(k, other)
				}
				folded[f] = k
				if k == "__proto__" {
					return nil, errors.New(`object key "__proto__" is read by JavaScript code that copies the object (Object.assign, merges) as its prototype`)
				}
				v, err := parseValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				if c, ok := v.(map[string]any); ok && k == "constructor" && c["prototype"] != nil {
					return nil, errors.New(`"constructor.prototype" is read by JavaScript code that merges the object as the prototype of every object`)
				}
				m[k] = v
			}
		case '[':
			l := []any{}
			for {
				et, err := dec.Token()
				if err != nil {
					return nil, err
				}
				if d, ok := et.(json.Delim); ok && d == ']' {
					return l, nil
				}
				v, err := parseFrom(dec, et, depth+1)
				if err != nil {
					return nil, err
				}
				l = append(l, v)
			}
		}
		return nil, fmt.Errorf("unexpected %q", t)
	case json.Number:
		s := string(t)
		if !strings.ContainsAny(s, ".eE") {
			if i, err := strconv.ParseInt(s, 10, 64); err == nil {
				return i, nil
			}
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, fmt.Errorf("number %s out of range", s)
		}
		if !exactDouble(s, f) {
			return nil, fmt.Errorf("number %.40s is not held exactly by a double (the rules would read %v, a decimal parser the number as sent)", s, f)
		}
		return f, nil
	case string, bool, nil:
		return t, nil
	}
	return nil, fmt.Errorf("unexpected token %v", tok)
}

// duplicateKey is the error of key k found in an object that already
// holds other, equal to it or under case folding.
func duplicateKey(k, other string) error {
	if k == other {
		return fmt.Errorf("duplicate object key %q", k)
	}
	return fmt.Errorf("object keys %q and %q differ only in case", other, k)
}
