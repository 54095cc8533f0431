package postgres

import (
	"encoding/binary"
	"math"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgtype"
)

// TestBinaryTextConcurrent: sessions decode binary values (Bind
// parameters, result columns) at once; each decoding must use a codec map
// of its own (run with -race: a shared pgtype.Map's plan cache is written
// by every Encode). Every value still reads as PostgreSQL's text form.
func TestBinaryTextConcurrent(t *testing.T) {
	t.Parallel()
	i8 := binary.BigEndian.AppendUint64(nil, 4111111111111111)
	f8 := binary.BigEndian.AppendUint64(nil, math.Float64bits(1.5))
	cases := []struct {
		oid  uint32
		v    []byte
		want string
	}{
		{pgtype.Int8OID, i8, "4111111111111111"},
		{pgtype.Float8OID, f8, "1.5"},
		{pgtype.BoolOID, []byte{1}, "t"},
		{pgtype.Int4OID, binary.BigEndian.AppendUint32(nil, 1234), "1234"},
		{pgtype.NumericOID, []byte{0, 1, 0, 0, 0, 0, 0, 0, 0, 7}, "7"},
	}
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				c := cases[(g+i)%len(cases)]
				if got, ok := binaryText(c.oid, c.v); !ok || got != c.want {
					select {
					case errs <- got:
					default:
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for got := range errs {
		t.Errorf("binaryText read %q", got)
	}
}
