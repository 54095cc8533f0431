package postgres

import (
	"encoding/binary"
	"encoding/hex"

	"github.com/jackc/pgx/v5/pgtype"
)

// maxBinaryDepth bounds how deep arrays and records are followed.
const maxBinaryDepth = 8

// binaryLeaves appends to out the text of every value inside a binary
// value of type oid, as detectors must see it: text as is, bytea as its
// bytes (not its \x form), scalars of the types pgtype knows in their text
// form, arrays and records (composite types too) element by element. ok is
// false when some part cannot be read: an unknown type, a malformed value
// or one nested too deep.
func binaryLeaves(oid uint32, v []byte, depth int, out []string) ([]string, bool) {
	if depth > maxBinaryDepth {
		return out, false
	}
	switch {
	case oid == pgtype.JSONBOID:
		if len(v) == 0 || v[0] != 1 {
			return out, false
		}
		return append(out, string(v[1:])), true
	case textual(oid), oid == pgtype.ByteaOID:
		return append(out, string(v)), true
	case oid == pgtype.RecordOID:
		return recordLeaves(v, depth, out)
	}
	if t, known := typeMap.TypeForOID(oid); known {
		switch codec := t.Codec.(type) {
		case *pgtype.ArrayCodec:
			return arrayLeaves(v, depth, out)
		case *pgtype.RangeCodec:
			return rangeLeaves(codec.ElementType.OID, v, depth, out)
		case *pgtype.MultirangeCodec:
			return multirangeLeaves(codec.ElementType.OID, v, depth, out)
		}
		if s, ok := binaryText(oid, v); ok {
			return append(out, s), true
		}
		return out, false
	}
	// A type pgtype does not know (a composite, an array of one): read
	// it as an array, else as a record; anything else cannot be read.
	if res, ok := arrayLeaves(v, depth, out); ok {
		return res, true
	}
	return recordLeaves(v, depth, out)
}

// arrayLeaves reads a binary array: dimensions, a null flag, the element
// type, the bounds, then each element with its length (-1 for NULL).
func arrayLeaves(v []byte, depth int, out []string) ([]string, bool) {
	if len(v) < 12 {
		return out, false
	}
	ndim := int32(binary.BigEndian.Uint32(v))
	flags := binary.BigEndian.Uint32(v[4:])
	elem := binary.BigEndian.Uint32(v[8:])
	if ndim < 0 || ndim > 6 || flags > 1 || len(v) < 12+8*int(ndim) {
		return out, false
	}
	n := 1
	if ndim == 0 {
		n = 0
	}
	for d := 0; d < int(ndim); d++ {
		size := int32(binary.BigEndian.Uint32(v[12+8*d:]))
		if size < 0 || n*int(size) > len(v) {
			return out, false
		}
		n *= int(size)
	}
	rest := v[12+8*int(ndim):]
	for i := 0; i < n; i++ {
		var e []byte
		var ok bool
		if e, rest, ok = lengthPrefixed(rest); !ok {
			return out, false
		}
		if e == nil {
			continue
		}
		if out, ok = binaryLeaves(elem, e, depth+1, out); !ok {
			return out, false
		}
	}
	return out, len(rest) == 0
}

// recordLeaves reads a binary record: the number of fields, then each
// field's type and its value with its length (-1 for NULL).
func recordLeaves(v []byte, depth int, out []string) ([]string, bool) {
	if len(v) < 4 {
		return out, false
	}
	n := int32(binary.BigEndian.Uint32(v))
	rest := v[4:]
	if n < 0 || int(n)*8 > len(rest) {
		return out, false
	}
	for i := 0; i < int(n); i++ {
		if len(rest) < 4 {
			return out, false
		}
		oid := binary.BigEndian.Uint32(rest)
		var f []byte
		var ok bool
		if f, rest, ok = lengthPrefixed(rest[4:]); !ok {
			return out, false
		}
		if f == nil {
			continue
		}
		if out, ok = binaryLeaves(oid, f, depth+1, out); !ok {
			return out, false
		}
	}
	return out, len(rest) == 0
}

// rangeLeaves reads a binary range: its flags, then the bounds it has,
// each with its length.
func rangeLeaves(elem uint32, v []byte, depth int, out []string) ([]string, bool) {
	const empty, lowerInf, upperInf, lowerNull, upperNull = 0x01, 0x08, 0x10, 0x20, 0x40
	if len(v) < 1 {
		return out, false
	}
	flags, rest := v[0], v[1:]
	for _, absent := range []byte{empty | lowerInf | lowerNull, empty | upperInf | upperNull} {
		if flags&absent != 0 {
			continue
		}
		var b []byte
		var ok bool
		if b, rest, ok = lengthPrefixed(rest); !ok || b == nil {
			return out, false
		}
		if out, ok = binaryLeaves(elem, b, depth+1, out); !ok {
			return out, false
		}
	}
	return out, len(rest) == 0
}

// multirangeLeaves reads a binary multirange: the number of ranges, then
// each range with its length.
func multirangeLeaves(rangeOID uint32, v []byte, depth int, out []string) ([]string, bool) {
	if len(v) < 4 {
		return out, false
	}
	n := int32(binary.BigEndian.Uint32(v))
	rest := v[4:]
	if n < 0 || int(n)*4 > len(rest) {
		return out, false
	}
	for range n {
		var r []byte
		var ok bool
		if r, rest, ok = lengthPrefixed(rest); !ok || r == nil {
			return out, false
		}
		if out, ok = binaryLeaves(rangeOID, r, depth+1, out); !ok {
			return out, false
		}
	}
	return out, len(rest) == 0
}

// lengthPrefixed splits a value with an int32 length off v; a NULL (-1)
// is nil.
func lengthPrefixed(v []byte) (val, rest []byte, ok bool) {
	if len(v) < 4 {
		return nil, v, false
	}
	n := int32(binary.BigEndian.Uint32(v))
	v = v[4:]
	switch {
	case n == -1:
		return nil, v, true
	case n < 0 || int(n) > len(v):
		return nil, v, false
	}
	return v[:n:n], v[n:], true
}

// byteaText returns the bytes of a bytea in text format ("\x..."), as a
// string detectors can read.
func byteaText(v []byte) (string, bool) {
	if len(v) < 2 || v[0] != '\\' || v[1] != 'x' {
		return "", false
	}
	b, err := hex.DecodeString(string(v[2:]))
	if err != nil {
		return "", false
	}
	return string(b), true
}
