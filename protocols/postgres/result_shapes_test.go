package postgres

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/jackc/pgx/v5/pgtype"
)

// secretExprs select a value of the customers table that must reach an
// agent masked (a field-rule column, a card number, an e-mail), each
// wrapped in a type that carries it intact: text, int8, numeric, float8,
// bytea, records, composites, arrays, ranges, json.
var secretExprs = []string{
	"pin", "card", "card_num", "note", "doc", "name || pin",
	"convert_to(note, 'UTF8')", "card::bytea", "card_num::numeric", "card_num::float8",
	"ROW(note, -1)", "ROW(card_num, -1)", "ROW(ROW(card_num), 'x')", "(note, -1)::pair",
	"ARRAY[card_num]", "ARRAY[ROW(note, -1)]", "ARRAY[convert_to(note, 'UTF8')]", "ARRAY[(note, -1)::pair]",
	"int8range(card_num, card_num + 1)", "to_json(note)", "jsonb_build_array(note, -1)", "note::varchar",
}

// forbidden returns the encodings of the table's secrets a client could
// decode: the text of pins, cards and e-mails, and cards as binary int8,
// float8 and numeric.
func forbidden(t testing.TB) [][]byte {
	t.Helper()
	out := [][]byte{[]byte("1234"), []byte("9999"), []byte("bob@example.com")}
	m := pgtype.NewMap()
	for _, card := range []int64{4111111111111111, 5500000000000004} {
		out = append(out, []byte(fmt.Sprint(card)))
		for _, oid := range []uint32{pgtype.Int8OID, pgtype.Float8OID, pgtype.NumericOID} {
			var v any = card
			if oid == pgtype.Float8OID {
				v = float64(card)
			}
			b, err := m.Encode(oid, pgtype.BinaryFormatCode, v, nil)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, b)
		}
	}
	return out
}

func leakOf(got []byte, bad [][]byte) []byte {
	for _, b := range bad {
		if bytes.Contains(got, b) {
			return b
		}
	}
	return nil
}

// extendedShape is one way of running a statement in the extended
// protocol: named or not, which Describes, which result formats, a row
// limit, Sync or Flush.
type extendedShape struct {
	name      string
	descStmt  bool
	descPort  bool
	formats   []int16
	maxRows   uint32
	flushMode bool
}

func randomShape(rng *rand.Rand, ncols int) extendedShape {
	s := extendedShape{descStmt: rng.IntN(3) == 0, descPort: rng.IntN(3) == 0, flushMode: rng.IntN(4) == 0}
	if rng.IntN(2) == 0 {
		s.name = fmt.Sprintf("s%d", rng.IntN(1000))
	}
	switch rng.IntN(3) {
	case 0: // all text
	case 1:
		s.formats = []int16{1}
	case 2:
		for range ncols {
			s.formats = append(s.formats, int16(rng.IntN(2)))
		}
	}
	if rng.IntN(3) == 0 {
		s.maxRows = 1
	}
	return s
}

// messages returns the frames of the shape for sql and how many
// RowDescriptions the client asked for.
func (s extendedShape) messages(sql string) ([]pgproto3.FrontendMessage, int) {
	ms := []pgproto3.FrontendMessage{parse(s.name, sql)}
	descs := 0
	if s.descStmt {
		ms = append(ms, &pgproto3.Describe{ObjectType: 'S', Name: s.name})
		descs++
	}
	ms = append(ms, &pgproto3.Bind{PreparedStatement: s.name, ResultFormatCodes: s.formats})
	if s.descPort {
		ms = append(ms, &pgproto3.Describe{ObjectType: 'P'})
		descs++
	}
	ms = append(ms, &pgproto3.Execute{MaxRows: s.maxRows})
	if s.maxRows > 0 {
		ms = append(ms, &pgproto3.Execute{}) // the rest
	}
	if s.flushMode {
		ms = append(ms, flush())
	}
	ms = append(ms, syncMsg())
	if s.name != "" {
		ms = append(ms, &pgproto3.Close{ObjectType: 'S', Name: s.name}, syncMsg())
	}
	return ms, descs
}

// TestResultShapesNeverLeak is the generator for results the client
// receives: random statements over the secret columns, in random
// protocol shapes (with and without Describe, named or not, text, binary
// and mixed result formats, row limits, Flush), and binary cursors in a
// simple Query. Judged by the bytes the client received: no secret in any
// encoding a client could decode, and exactly the RowDescriptions it
// asked for.
func TestResultShapesNeverLeak(t *testing.T) {
	t.Parallel()
	tg := startGateway(t)
	tg.adminExec(t, "CREATE TYPE pair AS (a text, b int)")
	bad := forbidden(t)
	seed := time.Now().UnixNano()
	rng := rand.New(rand.NewPCG(uint64(seed), 7))
	t.Logf("seed %d", seed)
	r := tg.raw(t, "agent")
	rows, cursorRows := 0, 0
	for i := range 120 {
		ncols := 1 + rng.IntN(3)
		var cols []string
		for range ncols {
			cols = append(cols, secretExprs[rng.IntN(len(secretExprs))])
		}
		sql := "SELECT " + strings.Join(cols, ", ") + " FROM customers ORDER BY id"
		r.got.Reset()
		var msgs []string
		var what string
		wantT := -1
		if i%8 == 7 {
			what = "binary cursor"
			r.send(query("BEGIN; DECLARE c BINARY CURSOR FOR " + sql + "; FETCH ALL c; COMMIT"))
			msgs = r.until(1, 5*time.Second)
		} else {
			s := randomShape(rng, ncols)
			what = fmt.Sprintf("%+v", s)
			ms, descs := s.messages(sql)
			r.send(ms...)
			n := 1
			if s.name != "" {
				n = 2
			}
			msgs = r.until(n, 5*time.Second)
			wantT = descs
		}
		if leak := leakOf(r.got.Bytes(), bad); leak != nil {
			t.Fatalf("%s (%s): %q reached the client: %q", sql, what, leak, msgs)
		}
		if msgs[len(msgs)-1] != "Z:I" {
			t.Fatalf("%s (%s): the session did not end the exchange ready: %q", sql, what, msgs)
		}
		gotT := 0
		for _, m := range msgs {
			switch {
			case m == "T":
				gotT++
			case strings.HasPrefix(m, "D:"):
				rows++
				if wantT < 0 {
					cursorRows++
				}
			case strings.HasPrefix(m, "E:"):
				t.Errorf("%s (%s): %q", sql, what, msgs)
			}
		}
		if wantT >= 0 && gotT != wantT && !has(msgs, "n") {
			t.Fatalf("%s (%s): %d RowDescriptions for %d Describes: %q", sql, what, gotT, wantT, msgs)
		}
	}
	t.Logf("%d rows reached the client, %d of them from binary cursors", rows, cursorRows)
	if rows == 0 || cursorRows == 0 {
		t.Fatal("no rows reached the client in some shapes: the generator tests nothing there")
	}
}
