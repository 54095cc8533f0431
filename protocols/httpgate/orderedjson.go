package httpgate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
	"unsafe"
)

// jsonObject is a JSON object decoded with its members in the order sent
// (duplicates kept): a client reassembling a token stream reads the
// strings of a record in that order.
type jsonObject []jsonMember

// jsonMember is one member of a jsonObject.
type jsonMember struct {
	key string
	val any
}

// decodeOrdered decodes one JSON text: objects as jsonObject, arrays as
// []any, numbers as json.Number (kept as written).
func decodeOrdered(data string) (any, error) {
	if validJSON(unsafe.Slice(unsafe.StringData(data), len(data))) {
		// A valid text (nearly all) is read in one pass, its strings
		// and numbers cut out of data; anything else is left to the
		// decoder, which says what is wrong with it.
		v, _ := decodeValid(data, 0)
		return v, nil
	}
	return decodeTokens(data)
}

// decodeTokens is decodeOrdered through encoding/json's tokens.
func decodeTokens(data string) (any, error) {
	dec := json.NewDecoder(strings.NewReader(data))
	dec.UseNumber()
	v, err := orderedValue(dec, 0)
	if err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("data after the JSON value")
	}
	return v, nil
}

// maxOrderedDepth bounds the nesting decodeOrdered follows.
const maxOrderedDepth = 10000

func orderedValue(dec *json.Decoder, depth int) (any, error) {
	if depth > maxOrderedDepth {
		return nil, fmt.Errorf("JSON nested deeper than %d", maxOrderedDepth)
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return tok, nil
	}
	switch d {
	case '{':
		obj := jsonObject{}
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return nil, err
			}
			v, err := orderedValue(dec, depth+1)
			if err != nil {
				return nil, err
			}
			obj = append(obj, jsonMember{key: k.(string), val: v})
		}
		_, err := dec.Token()
		return obj, err
	case '[':
		arr := []any{}
		for dec.More() {
			v, err := orderedValue(dec, depth+1)
			if err != nil {
				return nil, err
			}
			arr = append(arr, v)
		}
		_, err := dec.Token()
		return arr, err
	}
	return nil, fmt.Errorf("unexpected %v", d)
}

// decodeValid decodes the JSON value at data[i:], a valid JSON text
// (validJSON, which is json.Valid), as decodeTokens does, and returns where it ends.
func decodeValid(data string, i int) (any, int) {
	i = skipSpace(data, i)
	switch c := data[i]; c {
	case '{':
		obj := jsonObject{}
		i = skipSpace(data, i+1)
		for data[i] != '}' {
			var key string
			key, i = validString(data, i)
			i = skipSpace(data, i) + 1 // the colon
			var v any
			v, i = decodeValid(data, i)
			obj = append(obj, jsonMember{key: key, val: v})
			if i = skipSpace(data, i); data[i] == ',' {
				i = skipSpace(data, i+1)
			}
		}
		return obj, i + 1
	case '[':
		arr := []any{}
		i = skipSpace(data, i+1)
		for data[i] != ']' {
			var v any
			v, i = decodeValid(data, i)
			arr = append(arr, v)
			if i = skipSpace(data, i); data[i] == ',' {
				i = skipSpace(data, i+1)
			}
		}
		return arr, i + 1
	case '"':
		return validString(data, i)
	case 't':
		return true, i + 4
	case 'f':
		return false, i + 5
	case 'n':
		return nil, i + 4
	}
	e := i + 1
	for e < len(data) && strings.IndexByte("0123456789+-.eE", data[e]) >= 0 {
		e++
	}
	return json.Number(data[i:e]), e
}

// validString decodes the JSON string at data[i] of a valid text: cut
// out of data when it holds no escape and is valid UTF-8 (as it reads
// then), unquoted by encoding/json otherwise.
func validString(data string, i int) (string, int) {
	e := i + 1
	plain := true
	for data[e] != '"' {
		if data[e] == '\\' {
			plain = false
			e++
		} else if data[e] >= utf8.RuneSelf {
			plain = false
		}
		e++
	}
	if plain || !strings.Contains(data[i+1:e], "\\") && utf8.ValidString(data[i+1:e]) {
		return data[i+1 : e], e + 1
	}
	var s string
	_ = json.Unmarshal([]byte(data[i:e+1]), &s)
	return s, e + 1
}

// skipSpace returns the index of the first byte at or after i that is
// not JSON white space.
func skipSpace(data string, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	return i
}

// encodeOrdered writes v, as decodeOrdered returns it, as JSON.
func encodeOrdered(b *bytes.Buffer, v any) error {
	switch x := v.(type) {
	case jsonObject:
		b.WriteByte('{')
		for i, m := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			k, _ := json.Marshal(m.key)
			b.Write(k)
			b.WriteByte(':')
			if err := encodeOrdered(b, m.val); err != nil {
				return err
			}
		}
		b.WriteByte('}')
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := encodeOrdered(b, e); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	default:
		e, err := json.Marshal(x)
		if err != nil {
			return err
		}
		b.Write(e)
	}
	return nil
}

// marshalOrdered is encodeOrdered into a new string.
func marshalOrdered(v any) (string, error) {
	var b bytes.Buffer
	err := encodeOrdered(&b, v)
	return b.String(), err
}
