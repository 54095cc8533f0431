package postgres

import (
	"time"

	"testing"

	"github.com/jackc/pgx/v5/pgproto3"
)

// carrierTransforms compute on customers.card_num, which no field rule
// covers, so that the result no longer looks like a card number.
var carrierTransforms = []string{
	"SELECT card_num / 1000000 FROM customers",
	"SELECT card_num - 1 FROM customers",
	"SELECT card_num::float8, card_num::numeric / 10 FROM customers",
	"SELECT to_hex(card_num) FROM customers",
	"SELECT encode(convert_to(card_num::text, 'UTF8'), 'base64') FROM customers",
	"SELECT substr(card_num::text, 1, 8), substr(card_num::text, 9) FROM customers",
	"SELECT x FROM (SELECT card_num / 1000 AS x FROM customers) s",
	"WITH s AS (SELECT card_num AS n FROM customers) SELECT n / 1000000 FROM s",
	"SELECT (SELECT max(card_num) FROM customers) / 1000000",
	"SELECT string_agg((card_num / 1000000)::text, ',') FROM customers",
	"SELECT id::text FROM customers UNION ALL SELECT (card_num / 1000000)::text FROM customers",
	"BEGIN; DECLARE c CURSOR FOR SELECT card_num / 1000000, to_hex(card_num) FROM customers; FETCH ALL c; COMMIT",
}

// TestCarrierTransformsWithheld checks that once a detector has found a
// card number in a column no field rule covers, no expression computed
// from that column reaches the client, in text or binary, while computed
// columns of other columns still pass.
func TestCarrierTransformsWithheld(t *testing.T) {
	t.Parallel()
	tg := startGateway(t)
	r := tg.raw(t, "agent")
	r.send(query("SELECT card_num FROM customers"))
	r.until(1, 5*time.Second)
	for _, q := range carrierTransforms {
		r := tg.raw(t, "agent")
		r.send(query(q))
		msgs := r.until(1, 5*time.Second)
		if s := pgmask3Leak(r.got.Bytes()); s != "" {
			t.Errorf("%q leaks %s: %v", q, s, msgs)
		}
		r = tg.raw(t, "agent")
		b := bind("", "")
		b.ResultFormatCodes = []int16{1}
		r.send(parse("", q), b, &pgproto3.Describe{ObjectType: 'P'}, &pgproto3.Execute{MaxRows: 1}, &pgproto3.Execute{}, syncMsg())
		msgs = r.until(1, 5*time.Second)
		if s := pgmask3Leak(r.got.Bytes()); s != "" {
			t.Errorf("%q in binary leaks %s: %v", q, s, msgs)
		}
	}
	r = tg.raw(t, "agent")
	r.send(query("SELECT lower(name), id * 2 FROM customers ORDER BY id"))
	if msgs := r.until(1, 5*time.Second); !has(msgs, "D:ada|2") {
		t.Errorf("a computed column of a plain column is withheld: %v", msgs)
	}
}
