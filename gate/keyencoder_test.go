package gate

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"
	"unsafe"
)

// randomValue fills a value of type t at random: strings from a small
// alphabet (so equal values occur), nil and empty lists, nested objects.
func randomValue(r *rand.Rand, t reflect.Type, depth int) reflect.Value {
	v := reflect.New(t).Elem()
	switch t.Kind() {
	case reflect.String:
		v.SetString([]string{"", "a", "ab", "payments", "SELECT", "ü\x00"}[r.IntN(6)])
	case reflect.Bool:
		v.SetBool(r.IntN(2) == 0)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(r.Int64N(1<<20) - 1<<19)
	case reflect.Slice:
		switch n := r.IntN(4); {
		case n == 0 || depth > 3:
			// nil
		default:
			s := reflect.MakeSlice(t, 0, n)
			for range n - 1 {
				s = reflect.Append(s, randomValue(r, t.Elem(), depth+1))
			}
			v.Set(s) // n-1 elements: empty but not nil when n == 1
		}
	case reflect.Struct:
		if t == timeType {
			v.Set(reflect.ValueOf(time.Unix(r.Int64N(1<<40), r.Int64N(1e9))))
			break
		}
		for i := 0; i < t.NumField(); i++ {
			if t.Field(i).IsExported() {
				v.Field(i).Set(randomValue(r, t.Field(i).Type, depth+1))
			}
		}
	case reflect.Pointer:
		if r.IntN(2) == 0 {
			p := reflect.New(t.Elem())
			p.Elem().Set(randomValue(r, t.Elem(), depth+1))
			v.Set(p)
		}
	case reflect.Map:
		if r.IntN(2) == 0 {
			m := reflect.MakeMap(t)
			for range r.IntN(3) {
				m.SetMapIndex(randomValue(r, t.Key(), depth+1), randomValue(r, t.Elem(), depth+1))
			}
			v.Set(m)
		}
	}
	return v
}

// keyEncodingsDiffer compares a key encoder with appendValue on n random
// lists of each request object type, and returns the first difference.
func keyEncodingsDiffer(seed uint64, n int, encoderOf func(reflect.Type) keyEncoder) error {
	r := rand.New(rand.NewPCG(seed, 3))
	for _, elem := range objectTypes {
		t := reflect.SliceOf(elem)
		enc := encoderOf(t)
		for range n {
			v := randomValue(r, t, 0)
			p := reflect.New(t)
			p.Elem().Set(v)
			want, okWant := appendValue([]byte("prefix"), v)
			got, okGot := enc([]byte("prefix"), unsafe.Pointer(p.Pointer()))
			if okWant != okGot || !bytes.Equal(want, got) {
				return fmt.Errorf("%s %#v:\nappendValue %q %v\nencoder     %q %v", t, v.Interface(), want, okWant, got, okGot)
			}
		}
	}
	return nil
}

// The key encoders write exactly the bytes appendValue writes, for every
// request object type.
func TestKeyEncoderMatchesAppendValue(t *testing.T) {
	if len(objectTypes) < 3 {
		t.Fatalf("object types %v: the vocabulary has lists of statements, tables and commands", objectTypes)
	}
	seed := uint64(time.Now().UnixNano())
	if err := keyEncodingsDiffer(seed, 2000, keyEncoderOf); err != nil {
		t.Fatalf("seed %d: %v", seed, err)
	}
}

// The comparison catches an encoder that leaves out a field.
func TestKeyEncoderComparisonCatchesAMissingField(t *testing.T) {
	broken := func(t reflect.Type) keyEncoder {
		enc := keyEncoderOf(t)
		return func(b []byte, p unsafe.Pointer) ([]byte, bool) {
			h := *(*sliceHeader)(p)
			if h.len > 0 {
				// Drop the last field's bytes of the first element by
				// encoding a copy whose first element has it zeroed.
				cp := reflect.New(t)
				cp.Elem().Set(reflect.AppendSlice(reflect.MakeSlice(t, 0, h.len), reflect.NewAt(t, p).Elem()))
				first := cp.Elem().Index(0)
				last := first.Field(first.NumField() - 1)
				last.Set(reflect.Zero(last.Type()))
				return enc(b, unsafe.Pointer(cp.Pointer()))
			}
			return enc(b, p)
		}
	}
	if keyEncodingsDiffer(1, 2000, broken) == nil {
		t.Fatal("an encoder that ignores a field went unnoticed")
	}
}
