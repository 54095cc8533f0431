package gate

import (
	"encoding/binary"
	"fmt"
	"path"
	"reflect"
	"slices"
	"time"
	"unsafe"

	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
)

// Reading struct fields found by reflection, without reflection per request.
//
// At init, fieldReader turns a struct field into a typed reader: a closure
// that loads the field at its offset from the struct the request points to.
// The field's type is checked against the reader's once, there; at run time
// a read costs what `r.SSH.Kind` costs, plus a call. This is the pattern
// unsafe.Pointer's rule 1 and 3 allow (an offset within the same struct,
// reinterpreted as the field's own type).

// Go types the vocabulary reads directly.
var (
	stringType      = reflect.TypeFor[string]()
	boolType        = reflect.TypeFor[bool]()
	intType         = reflect.TypeFor[int]()
	int64Type       = reflect.TypeFor[int64]()
	stringsType     = reflect.TypeFor[[]string]()
	jsonMapType     = reflect.TypeFor[map[string]any]()
	stringListsType = reflect.TypeFor[map[string][]string]()
	stringMapType   = reflect.TypeFor[map[string]string]()
	jsonValueType   = reflect.TypeFor[any]()
)

// fieldAt returns a reader of the field of type F at offset off in the
// struct get returns; zero when get returns nil.
func fieldAt[T, F any](get func(*Request) *T, off uintptr) func(*Request) F {
	return func(r *Request) F {
		p := get(r)
		if p == nil {
			var zero F
			return zero
		}
		return *(*F)(unsafe.Add(unsafe.Pointer(p), off))
	}
}

// fieldReader returns the reader of field f of the struct get returns, of
// one of the types variable.derive knows.
func fieldReader[T any](get func(*Request) *T, f reflect.StructField) (any, error) {
	off := f.Offset
	switch f.Type {
	case stringType:
		return fieldAt[T, string](get, off), nil
	case boolType:
		return fieldAt[T, bool](get, off), nil
	case intType:
		return func(r *Request) int64 {
			p := get(r)
			if p == nil {
				return 0
			}
			return int64(*(*int)(unsafe.Add(unsafe.Pointer(p), off)))
		}, nil
	case int64Type:
		return fieldAt[T, int64](get, off), nil
	case stringsType:
		return fieldAt[T, []string](get, off), nil
	case jsonMapType:
		return fieldAt[T, map[string]any](get, off), nil
	case stringListsType:
		return fieldAt[T, map[string][]string](get, off), nil
	case stringMapType:
		return fieldAt[T, map[string]string](get, off), nil
	case jsonValueType:
		return fieldAt[T, any](get, off), nil
	}
	if f.Type.Kind() == reflect.Slice && f.Type.Elem().Kind() == reflect.Struct {
		idx := f.Index[0]
		zero := reflect.Zero(f.Type)
		return objectsReader{
			elem: f.Type.Elem(),
			get: func(r *Request) reflect.Value {
				p := get(r)
				if p == nil {
					return zero
				}
				return reflect.ValueOf(p).Elem().Field(idx)
			},
			ptr: func(r *Request) unsafe.Pointer {
				p := get(r)
				if p == nil {
					return nil
				}
				return unsafe.Add(unsafe.Pointer(p), off)
			},
		}, nil
	}
	return nil, fmt.Errorf("a field of type %s: the vocabulary reads strings, bools, ints, []string, map[string]any, map[string][]string, map[string]string, any and lists of structs", f.Type)
}

// objectsReader reads a list of request objects (sql.statements,
// ssh.commands): rules select their fields, so they stay Go structs, which
// the CEL type adapter and the native evaluator read by reflection.
type objectsReader struct {
	elem reflect.Type
	get  func(*Request) reflect.Value
	// ptr is the address of the list, nil when its struct is absent.
	ptr func(*Request) unsafe.Pointer
}

// objectTypes are the struct types of request objects, in the order the
// vocabulary meets them; CEL declares them as native types.
var objectTypes = objectTypesIn(vocabulary)

func objectTypesIn(vs []*variable) []reflect.Type {
	var out []reflect.Type
	var add func(t reflect.Type)
	add = func(t reflect.Type) {
		if slices.Contains(out, t) {
			return
		}
		out = append(out, t)
		for i := 0; i < t.NumField(); i++ {
			if f := t.Field(i); f.IsExported() && f.Type.Kind() == reflect.Slice && f.Type.Elem().Kind() == reflect.Struct {
				add(f.Type.Elem())
			}
		}
	}
	for _, v := range vs {
		if r, ok := v.read.(objectsReader); ok {
			add(r.elem)
		}
	}
	return out
}

// celObjectName is the name CEL's native types give a struct type.
func celObjectName(t reflect.Type) string { return path.Base(t.PkgPath()) + "." + t.Name() }

// sizes checks a struct's fields against the estimator's sizes. It holds
// their offsets by type, so a check is a few loops over a pointer with no
// call per field.
type sizes struct {
	strs     []uintptr // any string type
	strLists []uintptr // []string
	jsonMaps []uintptr // map[string]any
	strMaps  []uintptr // map[string][]string
	strStrs  []uintptr // map[string]string
	jsonVals []uintptr // any
	objects  []objectsField
}

// objectsField is a list of request objects within a struct.
type objectsField struct {
	off   uintptr
	size  uintptr // of one element
	sizes *sizes  // of one element
}

// objectSizes are the size checks of the object types, built at init (and
// only read after).
var objectSizes = map[reflect.Type]*sizes{}

// sizesOf returns the size check of request object type t, over every
// exported field (what CEL sees of a request object).
func sizesOf(t reflect.Type) (*sizes, error) {
	if s, ok := objectSizes[t]; ok {
		return s, nil
	}
	s := &sizes{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		off, ft := f.Offset, f.Type
		switch {
		case ft.Kind() == reflect.String:
			s.strs = append(s.strs, off)
		case ft.Kind() == reflect.Bool, ft.Kind() >= reflect.Int && ft.Kind() <= reflect.Float64:
			// a fixed size
		case ft == stringsType:
			s.strLists = append(s.strLists, off)
		case ft == jsonMapType:
			s.jsonMaps = append(s.jsonMaps, off)
		case ft == stringListsType:
			s.strMaps = append(s.strMaps, off)
		case ft == stringMapType:
			s.strStrs = append(s.strStrs, off)
		case ft == jsonValueType:
			s.jsonVals = append(s.jsonVals, off)
		case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct:
			elem, err := sizesOf(ft.Elem())
			if err != nil {
				return nil, err
			}
			s.objects = append(s.objects, objectsField{off: off, size: ft.Elem().Size(), sizes: elem})
		default:
			return nil, fmt.Errorf("%s.%s: a field of type %s has no size bound", t, f.Name, ft)
		}
	}
	objectSizes[t] = s
	return s, nil
}

// ok reports whether the struct at p is within the estimator's sizes.
func (s *sizes) ok(p unsafe.Pointer) bool {
	for _, off := range s.strs {
		if !strOK(*(*string)(unsafe.Add(p, off))) {
			return false
		}
	}
	for _, off := range s.strLists {
		if !strsOK(*(*[]string)(unsafe.Add(p, off))) {
			return false
		}
	}
	for _, off := range s.jsonMaps {
		if !anyOK(*(*map[string]any)(unsafe.Add(p, off)), 0) {
			return false
		}
	}
	for _, off := range s.strStrs {
		if !strMapOK(*(*map[string]string)(unsafe.Add(p, off))) {
			return false
		}
	}
	for _, off := range s.strMaps {
		if !mapOK(*(*map[string][]string)(unsafe.Add(p, off))) {
			return false
		}
	}
	for _, off := range s.jsonVals {
		if !anyOK(*(*any)(unsafe.Add(p, off)), 0) {
			return false
		}
	}
	for _, o := range s.objects {
		if !o.ok(unsafe.Add(p, o.off)) {
			return false
		}
	}
	return true
}

// ok reports whether the list at p (the address of the field holding it,
// not of its struct) and each of its objects are within the estimator's
// sizes.
func (o objectsField) ok(p unsafe.Pointer) bool {
	data, n := sliceAt(p)
	if n > maxEstimatedList {
		return false
	}
	for i := 0; i < n; i++ {
		if !o.sizes.ok(unsafe.Add(data, uintptr(i)*o.size)) {
			return false
		}
	}
	return true
}

// sliceAt returns the data pointer and length of the slice at p, whatever
// its element type: every slice header has the same layout.
func sliceAt(p unsafe.Pointer) (unsafe.Pointer, int) {
	s := *(*[]struct{})(p)
	return unsafe.Pointer(unsafe.SliceData(s)), len(s)
}

// CEL values of the readers' results.

func stringVal(s string) ref.Val       { return types.String(s) }
func boolVal(b bool) ref.Val           { return types.Bool(b) }
func intVal(n int64) ref.Val           { return types.Int(n) }
func timestampVal(t time.Time) ref.Val { return types.Timestamp{Time: t} }
func strList(s []string) ref.Val {
	if s == nil {
		return emptyStrings
	}
	return types.NewStringList(types.DefaultTypeAdapter, s)
}

// objectList converts every element once, so that the many rules of one
// decision iterating the same list do not each convert it again.
func objectList(items reflect.Value) ref.Val {
	vals := make([]ref.Val, items.Len())
	for i := range vals {
		vals[i] = celAdapter.NativeToValue(items.Index(i).Addr().Interface())
	}
	return types.NewRefValList(celAdapter, vals)
}

// Cache-key encodings of the readers' results, the same as appendValue's.

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 'T')
	}
	return append(b, 'F')
}

func appendInt(b []byte, n int64) []byte { return binary.AppendVarint(append(b, 'i'), n) }

func appendStrings(b []byte, list []string) []byte {
	if list == nil {
		return append(b, 'n')
	}
	b = binary.AppendUvarint(append(b, 'l'), uint64(len(list)))
	for _, s := range list {
		b = appendString(append(b, 's'), s)
	}
	return b
}
