package postgres

import (
	"encoding/binary"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5/pgtype"
)

// binRecord encodes a binary record of (oid int, value []byte) fields;
// a nil value is NULL.
func binRecord(fields ...any) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(len(fields)/2))
	for i := 0; i < len(fields); i += 2 {
		b = binary.BigEndian.AppendUint32(b, uint32(fields[i].(int)))
		b = lengthValue(b, fields[i+1].([]byte))
	}
	return b
}

// binArray encodes a one-dimensional binary array of elem; nil is NULL.
func binArray(elem uint32, vals ...[]byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, 1)
	b = binary.BigEndian.AppendUint32(b, 1)
	b = binary.BigEndian.AppendUint32(b, elem)
	b = binary.BigEndian.AppendUint32(b, uint32(len(vals)))
	b = binary.BigEndian.AppendUint32(b, 1)
	for _, v := range vals {
		b = lengthValue(b, v)
	}
	return b
}

func lengthValue(b, v []byte) []byte {
	if v == nil {
		return binary.BigEndian.AppendUint32(b, 0xFFFFFFFF)
	}
	return append(binary.BigEndian.AppendUint32(b, uint32(len(v))), v...)
}

func int8Bytes(n int64) []byte { return binary.BigEndian.AppendUint64(nil, uint64(n)) }

func TestBinaryLeaves(t *testing.T) {
	t.Parallel()
	const composite = 90000 // a type pgtype does not know
	card := int8Bytes(4111111111111111)
	note := []byte("paid with " + testCard)
	cases := []struct {
		name string
		oid  uint32
		v    []byte
		want []string // nil: cannot be read
	}{
		{"int8", pgtype.Int8OID, card, []string{testCard}},
		{"bytea is its bytes", pgtype.ByteaOID, []byte{0xff, '4', '1'}, []string{"\xff41"}},
		{"jsonb", pgtype.JSONBOID, []byte("\x01{}"), []string{"{}"}},
		{"record", pgtype.RecordOID, binRecord(pgtype.TextOID, note, pgtype.Int4OID, []byte{0xff, 0xff, 0xff, 0xff}),
			[]string{string(note), "-1"}},
		{"record with NULL", pgtype.RecordOID, binRecord(pgtype.Int8OID, card, pgtype.TextOID, []byte(nil)), []string{testCard}},
		{"composite", composite, binRecord(pgtype.Int8OID, card), []string{testCard}},
		{"array of records", composite, binArray(pgtype.RecordOID, binRecord(pgtype.ByteaOID, note), nil),
			[]string{string(note)}},
		{"int8 array", pgtype.Int8ArrayOID, binArray(pgtype.Int8OID, card), []string{testCard}},
		{"empty array", pgtype.Int8ArrayOID, binArray(pgtype.Int8OID), []string{}},
		{"int8range", pgtype.Int8rangeOID, append([]byte{0x02}, lengthValue(lengthValue(nil, card), int8Bytes(1))...),
			[]string{testCard, "1"}},
		{"unknown type", composite, []byte("plain"), nil},
		{"truncated record", pgtype.RecordOID, binRecord(pgtype.Int8OID, card)[:10], nil},
		{"trailing bytes", pgtype.RecordOID, append(binRecord(pgtype.Int8OID, card), 0), nil},
	}
	for _, tc := range cases {
		got, ok := binaryLeaves(tc.oid, tc.v, 0, nil)
		if tc.want == nil {
			if ok {
				t.Errorf("%s: read as %q, want unreadable", tc.name, got)
			}
			continue
		}
		if !ok || !slices.Equal(got, tc.want) && len(got)+len(tc.want) > 0 {
			t.Errorf("%s: %q, %v; want %q", tc.name, got, ok, tc.want)
		}
	}
	deep := binRecord(pgtype.Int8OID, card)
	for range maxBinaryDepth + 1 {
		deep = binRecord(pgtype.RecordOID, deep)
	}
	if _, ok := binaryLeaves(pgtype.RecordOID, deep, 0, nil); ok {
		t.Error("a record nested too deep was read")
	}
}

// FuzzBinaryLeaves: any bytes from the server, under any type, are read
// or refused, never a panic.
func FuzzBinaryLeaves(f *testing.F) {
	f.Add(uint32(pgtype.RecordOID), binRecord(pgtype.Int8OID, int8Bytes(1)))
	f.Add(uint32(pgtype.Int8ArrayOID), binArray(pgtype.Int8OID, int8Bytes(1)))
	f.Add(uint32(pgtype.Int4rangeOID), []byte{0x02, 0, 0, 0, 4, 0, 0, 0, 1, 0, 0, 0, 4, 0, 0, 0, 2})
	f.Add(uint32(90000), []byte{0, 0, 0, 1, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, oid uint32, v []byte) {
		_, _ = binaryLeaves(oid, v, 0, nil)
	})
}
