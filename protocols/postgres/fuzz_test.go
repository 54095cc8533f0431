package postgres

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/analysis/pgsql"
	"github.com/airlock-sdk/airlock/gate"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
)

var (
	fuzzOnce sync.Once
	fuzzSrv  *Server
)

// fuzzServer is a Server whose upstream and catalog are unreachable: the
// fuzz targets drive its parsers directly.
func fuzzServer(t testing.TB) *Server {
	fuzzOnce.Do(func() {
		rs, err := gate.ParseRules("test.yaml", []byte(testRules))
		if err != nil {
			t.Fatal(err)
		}
		up, err := pgconn.ParseConfig("postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=1")
		if err != nil {
			t.Fatal(err)
		}
		fuzzSrv, err = New(Config{Gate: gate.New(gate.Config{Rules: rs}), Upstream: up, TLS: selfSigned(t), Authenticator: testAuth,
			StartupTimeout: time.Second, MaxMessageBytes: 1 << 16, MaxBatchBytes: 1 << 16})
		if err != nil {
			t.Fatal(err)
		}
	})
	return fuzzSrv
}

func msg(typ byte, body []byte) []byte {
	out := []byte{typ, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(out[1:], uint32(len(body)+4))
	return append(out, body...)
}

func encode(ms ...pgproto3.Message) []byte {
	var out []byte
	for _, m := range ms {
		out, _ = m.Encode(out)
	}
	return out
}

// FuzzStartup: no byte stream a client sends before its session may panic
// the startup phase.
func FuzzStartup(f *testing.F) {
	f.Add([]byte{0, 0, 0, 8, 4, 210, 22, 47})
	f.Add([]byte{0, 0, 0, 8, 4, 210, 22, 48, 0, 0, 0, 8, 4, 210, 22, 47})
	f.Add(encode(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30, Parameters: map[string]string{"user": "a"}}))
	f.Add(encode(&pgproto3.CancelRequest{ProcessID: 1, SecretKey: []byte{1, 2, 3, 4}}))
	f.Add([]byte{0x16, 3, 1, 0, 5, 1, 0, 0, 1, 0})
	f.Add([]byte{0, 0, 0, 9, 0, 3, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		s := fuzzServer(t)
		a, b := net.Pipe()
		_ = a.SetDeadline(time.Now().Add(2 * time.Second))
		_ = b.SetDeadline(time.Now().Add(2 * time.Second))
		go func() {
			_, _ = b.Write(data)
			_, _ = io.Copy(io.Discard, b)
		}()
		go func() { time.Sleep(50 * time.Millisecond); _ = b.Close() }()
		st, err := s.readStartup(a)
		if err == nil && st.cancel == nil && st.params == nil {
			t.Fatal("startup without parameters")
		}
		_ = a.Close()
	})
}

func fuzzConn(s *Server, client, upstream io.Reader) *conn {
	// Nobody answers upstream: a wait for the server ends with the context.
	ctx, stop := context.WithTimeout(context.Background(), 200*time.Millisecond)
	c := &conn{srv: s, ctx: ctx, stop: stop,
		session: &gate.Session{Protocol: gate.ProtocolPostgres, Identity: gate.Identity{Subject: "f", Groups: []string{"agents"}}},
		model:   newSessionModel(), params: map[string]string{},
		rd: newMsgReader(client, s.cfg.MaxMessageBytes), uw: bufio.NewWriter(io.Discard),
		urd: newMsgReader(upstream, s.cfg.MaxMessageBytes), cw: bufio.NewWriter(io.Discard)}
	c.urd.inPlace = true // as connectUpstream sets it
	c.unsafeParse.Store("")
	gc, err := s.cfg.Gate.Open(ctx, *c.session)
	if err != nil {
		panic(err)
	}
	c.gc, c.session = gc, gc.Session()
	return c
}

// FuzzClientMessages: no client byte stream may panic the judging side.
func FuzzClientMessages(f *testing.F) {
	f.Add(encode(&pgproto3.Query{String: "SELECT 1; DROP TABLE t"}))
	f.Add(encode(&pgproto3.Parse{Name: "s", Query: "SELECT $1"}, &pgproto3.Bind{PreparedStatement: "s", Parameters: [][]byte{[]byte("1")}},
		&pgproto3.Describe{ObjectType: 'P'}, &pgproto3.Execute{}, &pgproto3.Sync{}))
	f.Add(encode(&pgproto3.Parse{Query: "DELETE FROM t"}, &pgproto3.Bind{}, &pgproto3.Execute{}, &pgproto3.Flush{},
		&pgproto3.Execute{}, &pgproto3.Sync{}))
	f.Add(encode(&pgproto3.Bind{DestinationPortal: "p", PreparedStatement: "nope"}, &pgproto3.Execute{Portal: "p"}, &pgproto3.Sync{}))
	f.Add(encode(&pgproto3.FunctionCall{Function: 1}, &pgproto3.CopyData{Data: []byte("x")}, &pgproto3.CopyDone{}, &pgproto3.Terminate{}))
	f.Add(msg('P', []byte{0}))
	f.Add(msg('B', []byte{0, 0, 0, 1}))
	f.Add(msg('Q', nil))
	f.Fuzz(func(t *testing.T, data []byte) {
		c := fuzzConn(fuzzServer(t), bytes.NewReader(data), bytes.NewReader(nil))
		defer c.stop()
		_ = c.clientLoop()
	})
}

// FuzzBackendMessages: no server byte stream may panic the masking side,
// whatever the client asked before.
func FuzzBackendMessages(f *testing.F) {
	rows := encode(&pgproto3.RowDescription{Fields: []pgproto3.FieldDescription{
		{Name: []byte("card"), DataTypeOID: 25}, {Name: []byte("n"), DataTypeOID: 20, Format: 1}, {Name: []byte("j"), DataTypeOID: 3802}}},
		&pgproto3.DataRow{Values: [][]byte{[]byte(testCard), {0, 0, 0, 0, 0, 0, 0, 1}, []byte(`{"a":"` + testCard + `"}`)}},
		&pgproto3.CommandComplete{CommandTag: []byte("SELECT 1")}, &pgproto3.ReadyForQuery{TxStatus: 'I'})
	f.Add([]byte{1, 2, 3}, rows)
	f.Add([]byte{2, 3, 4, 6, 8}, encode(&pgproto3.ParseComplete{}, &pgproto3.BindComplete{},
		&pgproto3.DataRow{Values: [][]byte{{1, 0, 0, 0, 0, 0, 0, 1}, nil}}, &pgproto3.CommandComplete{}, &pgproto3.ReadyForQuery{TxStatus: 'T'}))
	f.Add([]byte{9, 8}, encode(&pgproto3.ErrorResponse{Severity: "ERROR", Code: "22P02", Message: "invalid input " + testCard},
		&pgproto3.NoticeResponse{Message: testCard}, &pgproto3.ReadyForQuery{TxStatus: 'E'}))
	f.Add([]byte{1}, encode(&pgproto3.CopyOutResponse{}, &pgproto3.CopyData{Data: []byte(testCard + "\n")}, &pgproto3.CopyDone{},
		&pgproto3.ParameterStatus{Name: "standard_conforming_strings", Value: "off"}, &pgproto3.NotificationResponse{Payload: testCard}))
	f.Fuzz(func(t *testing.T, opsSeed, data []byte) {
		s := fuzzServer(t)
		c := fuzzConn(s, bytes.NewReader(nil), bytes.NewReader(data))
		defer c.stop()
		rs := s.cfg.Gate.Rules()
		p, err := rs.Masks().Policy([]string{"credit_card", "card_column"})
		if err != nil {
			t.Fatal(err)
		}
		allowed := &gate.Decision{ID: gate.NewID(), Action: gate.Allow, Masker: p}
		st, _ := pgsql.ParserClassifier{}.Classify("SELECT substr(card, 1, 4), c FROM customers c")
		for i, b := range opsSeed {
			if i > 64 {
				break
			}
			o := &op{kind: opKind(b%10 + 1), name: string(rune('a' + b%3)), stmt: string(rune('a' + b%2)), policy: p,
				stmts: st.Statements, formats: []int16{int16(b % 2)}, decision: allowed}
			if o.kind == opRefuse {
				o.refusal, o.simple = refusal("42501", "no"), b%2 == 0
			}
			c.q.push(o)
		}
		bs := &backendState{stmtFields: map[string][]pgproto3.FieldDescription{}, portals: map[string]*portalInfo{}}
		for {
			typ, body, raw, err := c.urd.next()
			if err != nil {
				return
			}
			if err := c.backendMessage(bs, typ, body, raw); err != nil {
				return
			}
		}
	})
}
