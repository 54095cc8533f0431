package mask

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
)

// JSONValue masks an already-decoded JSON value the way JSON masks a
// document: map[string]any, []any, string, float64, json.Number, bool, nil,
// and the Go integer types. It returns a new value and never modifies v.
// Any other type is an error (ErrInput): masking fails closed rather than
// pass through what it cannot inspect.
func (p *Policy) JSONValue(v any) (any, []Finding, error) {
	if p == nil {
		return v, nil, nil
	}
	w := valueMasker{p: p}
	out, err := w.walk(v)
	if err != nil {
		return nil, nil, err
	}
	return out, w.tl.result(), nil
}

type valueMasker struct {
	p    *Policy
	path []pathElem
	show []pathElem
	tl   tally
}

func (w *valueMasker) walk(v any) (any, error) {
	if len(w.path) > maxJSONDepth {
		return nil, fmt.Errorf("%w: value nested deeper than %d", ErrLimit, maxJSONDepth)
	}
	if len(w.p.fields) > 0 && len(w.path) > 0 {
		for _, f := range w.p.fields {
			if raw, ok := f.matchPath(w.path); ok {
				b, err := json.Marshal(v)
				if err != nil {
					return nil, fmt.Errorf("%w: encode value at %s: %v", ErrInput, genericPath(w.show), err)
				}
				var out any
				if err := json.Unmarshal(w.p.fieldReplace(nil, f, raw, b, &w.tl), &out); err != nil {
					return nil, fmt.Errorf("%w: %v", ErrInput, err)
				}
				return out, nil
			}
		}
	}
	where := genericPath(w.show)
	if n := len(w.path); n > 0 && !w.path[n-1].isIdx {
		if i := w.p.secretName(w.path[n-1].key); i >= 0 {
			var text string
			switch x := v.(type) {
			case string:
				text = x
			case json.Number:
				text = string(x)
			case float64:
				text = strconv.FormatFloat(x, 'f', -1, 64)
			case int:
				text = strconv.Itoa(x)
			case int64:
				text = strconv.FormatInt(x, 10)
			}
			if text != "" {
				m, null := w.p.maskWhole(i, []byte(text), where, &w.tl)
				if null {
					return nil, nil
				}
				return string(m), nil
			}
		}
	}
	switch x := v.(type) {
	case nil:
		return nil, nil
	case bool:
		return x, nil
	case string:
		m, null, err := w.p.maskText([]byte(x), where, &w.tl)
		if err != nil {
			return nil, err
		}
		if null {
			return nil, nil
		}
		return string(m), nil
	case json.Number:
		return w.number(string(x), v, where)
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return x, nil
		}
		return w.number(strconv.FormatFloat(x, 'f', -1, 64), v, where)
	case float32:
		return w.number(strconv.FormatFloat(float64(x), 'f', -1, 32), v, where)
	case int:
		return w.number(strconv.FormatInt(int64(x), 10), v, where)
	case int8:
		return x, nil
	case int16:
		return x, nil
	case uint8:
		return x, nil
	case uint16:
		return x, nil
	case int32:
		return w.number(strconv.FormatInt(int64(x), 10), v, where)
	case int64:
		return w.number(strconv.FormatInt(x, 10), v, where)
	case uint:
		return w.number(strconv.FormatUint(uint64(x), 10), v, where)
	case uint32:
		return w.number(strconv.FormatUint(uint64(x), 10), v, where)
	case uint64:
		return w.number(strconv.FormatUint(x, 10), v, where)
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			mk, _, err := w.p.maskText([]byte(k), where, &w.tl)
			if err != nil {
				return nil, err
			}
			if _, dup := out[string(mk)]; dup {
				return nil, fmt.Errorf("%w: two keys at %s are equal once masked", ErrInput, where)
			}
			w.path = append(w.path, pathElem{key: k})
			w.show = append(w.show, pathElem{key: string(mk)})
			me, err := w.walk(e)
			w.path = w.path[:len(w.path)-1]
			w.show = w.show[:len(w.show)-1]
			if err != nil {
				return nil, err
			}
			out[string(mk)] = me
		}
		return out, nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			w.path = append(w.path, pathElem{index: i, isIdx: true})
			w.show = append(w.show, pathElem{index: i, isIdx: true})
			me, err := w.walk(e)
			w.path = w.path[:len(w.path)-1]
			w.show = w.show[:len(w.show)-1]
			if err != nil {
				return nil, err
			}
			out[i] = me
		}
		return out, nil
	case []string:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = e
		}
		return w.walk(out)
	case map[string]string:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = e
		}
		return w.walk(out)
	}
	return nil, fmt.Errorf("%w: JSONValue cannot inspect a %T at %s", ErrInput, v, where)
}

// number masks a number given as text; an unmasked number is returned as
// it came (orig), a masked one becomes a string (or nil for null).
func (w *valueMasker) number(text string, orig any, where string) (any, error) {
	m, null, changed, err := w.p.maskNumber([]byte(text), where, &w.tl)
	if err != nil {
		return nil, err
	}
	switch {
	case null:
		return nil, nil
	case changed:
		return string(m), nil
	}
	return orig, nil
}
