package postgres

import (
	"slices"

	"github.com/jackc/pgx/v5/pgproto3"
)

// maxDescriptions bounds the RowDescriptions a session remembers decoded.
const maxDescriptions = 256

// descriptions remembers decoded RowDescriptions by their exact bytes. A
// session that runs one statement many times receives the same
// RowDescription each time (and, under masking, one per Execute from the
// gateway's own Describe); decoding it once saves copying every column
// name on every execution. The decoded value is shared, so it is never
// changed after it is made (portalInfo and result only read it).
type descriptions map[string]*portalInfo

// decode returns the columns and wire formats the RowDescription body
// states.
func (d *descriptions) decode(body []byte) (*portalInfo, error) {
	if p, ok := (*d)[string(body)]; ok {
		return p, nil
	}
	var rd pgproto3.RowDescription
	if err := rd.Decode(body); err != nil {
		return nil, err
	}
	fields := copyFields(rd.Fields)
	p := &portalInfo{fields: fields, formats: fieldFormats(fields)}
	if *d == nil || len(*d) >= maxDescriptions {
		*d = descriptions{}
	}
	(*d)[string(body)] = p
	return p, nil
}

// bound notes the portal a BindComplete confirmed: the statement's columns
// in the formats the Bind asked for. The portal's previous description is
// kept when it states the same, as it does when a client binds one
// statement again and again.
func (bs *backendState) bound(portal string, fields []pgproto3.FieldDescription, formats []int16) {
	if p := bs.portals[portal]; p != nil && sameFields(p.fields, fields) && slices.Equal(p.formats, formats) {
		return
	}
	bs.portals[portal] = &portalInfo{fields: fields, formats: formats}
}

// sameFields reports whether a and b are the same slice (not merely equal).
func sameFields(a, b []pgproto3.FieldDescription) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}
