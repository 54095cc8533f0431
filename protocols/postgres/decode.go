package postgres

import (
	"bytes"
	"encoding/binary"
	"io"

	"github.com/jackc/pgx/v5/pgproto3"
)

// pgproto3's own errors for a malformed Bind and a short Execute, so a
// session ends with the reason it always did.
var (
	errBadBind    = (&pgproto3.Bind{}).Decode(nil)
	errBadExecute = (&pgproto3.Execute{}).Decode([]byte{0})
)

// decodeBind is pgproto3's Bind.Decode into dst's own slices: the format
// codes and the parameter list reuse the room of the Bind decoded before
// instead of three allocations per Bind. It accepts and rejects exactly
// what Bind.Decode does and gives the same fields (a parameter is a slice
// of src, nil for NULL; the lists may be empty where Decode's are nil).
// The caller clears dst.Parameters after use, so the room does not keep
// src alive.
func decodeBind(dst *pgproto3.Bind, src []byte) error {
	pf, params, rf := dst.ParameterFormatCodes[:0], dst.Parameters[:0], dst.ResultFormatCodes[:0]
	*dst = pgproto3.Bind{}
	idx := bytes.IndexByte(src, 0)
	if idx < 0 {
		return errBadBind
	}
	dst.DestinationPortal = string(src[:idx])
	rp := idx + 1
	idx = bytes.IndexByte(src[rp:], 0)
	if idx < 0 {
		return errBadBind
	}
	dst.PreparedStatement = string(src[rp : rp+idx])
	rp += idx + 1

	pf, rp, ok := appendFormatCodes(pf, src, rp)
	if !ok {
		return errBadBind
	}
	dst.ParameterFormatCodes = pf

	if len(src[rp:]) < 2 {
		return errBadBind
	}
	n := int(binary.BigEndian.Uint16(src[rp:]))
	rp += 2
	for range n {
		if len(src[rp:]) < 4 {
			dst.Parameters = params
			return errBadBind
		}
		size := int(int32(binary.BigEndian.Uint32(src[rp:])))
		rp += 4
		if size == -1 {
			params = append(params, nil)
			continue
		}
		if size < 0 || len(src[rp:]) < size {
			dst.Parameters = params
			return errBadBind
		}
		params = append(params, src[rp:rp+size])
		rp += size
	}
	dst.Parameters = params

	rf, _, ok = appendFormatCodes(rf, src, rp)
	if !ok {
		return errBadBind
	}
	dst.ResultFormatCodes = rf
	return nil
}

// appendFormatCodes appends to dst the list of format codes (a count,
// then that many int16s) that src holds at rp, and returns where it ends;
// false when src is too short for the count or the codes it announces.
func appendFormatCodes(dst []int16, src []byte, rp int) ([]int16, int, bool) {
	if len(src[rp:]) < 2 {
		return dst, rp, false
	}
	n := int(binary.BigEndian.Uint16(src[rp:]))
	rp += 2
	if len(src[rp:]) < n*2 {
		return dst, rp, false
	}
	for range n {
		dst = append(dst, int16(binary.BigEndian.Uint16(src[rp:])))
		rp += 2
	}
	return dst, rp, true
}

// decodeExecute is pgproto3's Execute.Decode without its two allocations
// (a bytes.Buffer and a copy of the portal's name): it accepts and rejects
// exactly what Execute.Decode does and gives the same fields.
func decodeExecute(dst *pgproto3.Execute, src []byte) error {
	idx := bytes.IndexByte(src, 0)
	if idx < 0 {
		return io.EOF // what Decode's bytes.Buffer reports
	}
	dst.Portal = string(src[:idx])
	if len(src)-idx-1 < 4 {
		return errBadExecute
	}
	dst.MaxRows = binary.BigEndian.Uint32(src[idx+1:])
	return nil
}
