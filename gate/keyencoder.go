package gate

import (
	"encoding/binary"
	"reflect"
	"sync"
	"time"
	"unsafe"
)

// Cache keys of request objects (sql.statements, ssh.commands) without
// reflection per request. appendValue walks a value by reflection; on the
// key of every PostgreSQL request that walk was most of the key's cost. A
// key encoder is the same walk done once per type, at init: it leaves
// closures that read each field at its offset and write exactly the bytes
// appendValue writes (TestKeyEncoderMatchesAppendValue compares the two on
// generated values). Kinds no request object uses today (maps, interfaces,
// floats, unsigned integers, arrays) fall back to appendValue.

// keyEncoder appends the key encoding of the value of its type stored at p.
type keyEncoder func(b []byte, p unsafe.Pointer) ([]byte, bool)

var keyEncoders sync.Map // reflect.Type -> keyEncoder

// keyEncoderOf returns the encoder of values of type t, built once.
func keyEncoderOf(t reflect.Type) keyEncoder {
	if e, ok := keyEncoders.Load(t); ok {
		return e.(keyEncoder)
	}
	e := buildKeyEncoder(t, map[reflect.Type]bool{})
	keyEncoders.Store(t, e)
	return e
}

// sliceHeader is the layout of a Go slice.
type sliceHeader struct {
	data     unsafe.Pointer
	len, cap int
}

// buildKeyEncoder builds the encoder of t; building holds the types being
// built, so a recursive type falls back to appendValue instead of looping.
func buildKeyEncoder(t reflect.Type, building map[reflect.Type]bool) keyEncoder {
	reflective := func(b []byte, p unsafe.Pointer) ([]byte, bool) { return appendValue(b, reflect.NewAt(t, p).Elem()) }
	if building[t] {
		return reflective
	}
	building[t] = true
	defer delete(building, t)
	switch t.Kind() {
	case reflect.String:
		return func(b []byte, p unsafe.Pointer) ([]byte, bool) {
			return appendString(append(b, 's'), *(*string)(p)), true
		}
	case reflect.Bool:
		return func(b []byte, p unsafe.Pointer) ([]byte, bool) { return appendBool(b, *(*bool)(p)), true }
	case reflect.Int:
		return func(b []byte, p unsafe.Pointer) ([]byte, bool) { return appendInt(b, int64(*(*int)(p))), true }
	case reflect.Int64:
		return func(b []byte, p unsafe.Pointer) ([]byte, bool) { return appendInt(b, *(*int64)(p)), true }
	case reflect.Slice:
		return sliceKeyEncoder(t, building)
	case reflect.Pointer:
		elem := buildKeyEncoder(t.Elem(), building)
		return func(b []byte, p unsafe.Pointer) ([]byte, bool) {
			q := *(*unsafe.Pointer)(p)
			if q == nil {
				return append(b, 'n'), true
			}
			return elem(append(b, 'p'), q)
		}
	case reflect.Struct:
		return structKeyEncoder(t, building)
	}
	return reflective
}

func sliceKeyEncoder(t reflect.Type, building map[reflect.Type]bool) keyEncoder {
	elem, size := buildKeyEncoder(t.Elem(), building), t.Elem().Size()
	return func(b []byte, p unsafe.Pointer) ([]byte, bool) {
		h := (*sliceHeader)(p)
		if h.data == nil {
			return append(b, 'n'), true
		}
		b = binary.AppendUvarint(append(b, 'l'), uint64(h.len))
		for i := 0; i < h.len; i++ {
			var ok bool
			if b, ok = elem(b, unsafe.Add(h.data, uintptr(i)*size)); !ok {
				return nil, false
			}
		}
		return b, true
	}
}

func structKeyEncoder(t reflect.Type, building map[reflect.Type]bool) keyEncoder {
	if t == timeType {
		return func(b []byte, p unsafe.Pointer) ([]byte, bool) {
			return binary.AppendVarint(append(b, 't'), (*time.Time)(p).UnixNano()), true
		}
	}
	plan := structPlanOf(t)
	if !plan.exported {
		return func([]byte, unsafe.Pointer) ([]byte, bool) { return nil, false } // as appendValue
	}
	type field struct {
		off uintptr
		enc keyEncoder
	}
	fields := make([]field, plan.fields)
	for i := range fields {
		f := t.Field(i)
		fields[i] = field{f.Offset, buildKeyEncoder(f.Type, building)}
	}
	return func(b []byte, p unsafe.Pointer) ([]byte, bool) {
		b = appendString(append(b, 'S'), plan.name)
		for _, f := range fields {
			var ok bool
			if b, ok = f.enc(b, unsafe.Add(p, f.off)); !ok {
				return nil, false
			}
		}
		return b, true
	}
}
