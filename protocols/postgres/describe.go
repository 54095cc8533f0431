package postgres

import "github.com/jackc/pgx/v5/pgproto3"

// describeExecutes puts a Describe of its portal before every Execute of
// a batch whose results are masked. Masking needs each result's columns
// (their types, formats and lineage), and a client need not ask for them:
// Parse, Bind, Execute, Sync is a complete request. The server's answer to
// the added Describe is kept by the gateway and never reaches the client.
func (b *batch) describeExecutes() {
	if len(b.execs) == 0 {
		return
	}
	buf, ops := b.spareBuf[:0], b.spareOps[:0]
	prev := 0
	for i, at := range b.execAt {
		buf = append(buf, b.buf[prev:at]...)
		buf, _ = (&pgproto3.Describe{ObjectType: 'P', Name: b.execs[i].name}).Encode(buf)
		prev = at
	}
	buf = append(buf, b.buf[prev:]...)
	b.buf, b.spareBuf = buf, b.buf
	for _, o := range b.ops {
		if o.kind == opExecute {
			ops = append(ops, b.newOp(op{kind: opDescribePortal, name: o.name, hidden: true}))
		}
		ops = append(ops, o)
	}
	clear(b.ops)
	b.ops, b.spareOps = ops, b.ops[:0]
}

// fieldFormats returns the wire format of each column as a RowDescription
// of a portal or a simple Query states it.
func fieldFormats(fields []pgproto3.FieldDescription) []int16 {
	out := make([]int16, len(fields))
	for i, f := range fields {
		out[i] = f.Format
	}
	return out
}
