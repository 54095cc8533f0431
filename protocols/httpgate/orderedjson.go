package httpgate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
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
