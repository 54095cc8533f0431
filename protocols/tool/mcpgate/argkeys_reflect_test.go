package mcpgate

import (
	"reflect"
	"strconv"
)

// reflectStructWithTag is struct{ F int `json:"tag"` }.
func reflectStructWithTag(tag string) reflect.Type {
	return reflect.StructOf([]reflect.StructField{{Name: "F", Type: reflect.TypeFor[int](), Tag: reflect.StructTag(`json:` + strconv.Quote(tag))}})
}

func reflectNew(t reflect.Type) reflect.Value { return reflect.New(t) }
