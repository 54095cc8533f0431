package postgres

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgproto3"
)

func selfSigned(t testing.TB) *tls.Config {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, MinVersion: tls.VersionTLS12}
}

func withTLS(t testing.TB) gwOption {
	cfg := selfSigned(t)
	return func(_ *gate.Config, c *Config) {
		c.TLS = cfg
		c.AllowInsecurePassword = false
	}
}

func TestTLS(t *testing.T) {
	t.Parallel()
	tg := startGateway(t, withTLS(t))
	ctx := context.Background()
	for _, neg := range []string{"postgres", "direct"} {
		t.Run(neg, func(t *testing.T) {
			url := strings.Replace(tg.url("agent"), "sslmode=disable", "sslmode=require&sslnegotiation="+neg, 1)
			c, err := pgx.Connect(ctx, url)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close(ctx)
			var card string
			if err := c.QueryRow(ctx, "SELECT card FROM customers WHERE id = 1").Scan(&card); err != nil {
				t.Fatal(err)
			}
			if card == testCard {
				t.Fatal("card not masked")
			}
		})
	}
	// No TLS: the password is not asked for.
	_, err := pgx.Connect(ctx, tg.url("agent"))
	if err == nil || !strings.Contains(err.Error(), "requires TLS") {
		t.Fatalf("cleartext password without TLS: %v", err)
	}
	// Direct TLS without the ALPN protocol is refused.
	tc, err := tls.Dial("tcp", tg.addr, &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"http/1.1"}})
	if err == nil {
		_ = tc.SetDeadline(time.Now().Add(3 * time.Second))
		b, _ := (&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30, Parameters: map[string]string{"user": "agent"}}).Encode(nil)
		_, _ = tc.Write(b)
		if n, _ := io.ReadFull(tc, make([]byte, 1)); n > 0 {
			t.Fatal("direct TLS without ALPN was served")
		}
		tc.Close()
	}
}

// TestSSLRequestPipelinedBytes: bytes sent after SSLRequest before the
// handshake must never be processed as part of the session.
func TestSSLRequestPipelinedBytes(t *testing.T) {
	t.Parallel()
	tg := startGateway(t, withTLS(t))
	nc, err := net.Dial("tcp", tg.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(3 * time.Second))
	msg := []byte{0, 0, 0, 8, 4, 210, 22, 47}
	startup, _ := (&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30,
		Parameters: map[string]string{"user": "agent", "database": tg.db}}).Encode(nil)
	if _, err := nc.Write(append(msg, startup...)); err != nil {
		t.Fatal(err)
	}
	var r [1]byte
	if _, err := io.ReadFull(nc, r[:]); err != nil || r[0] != 'S' {
		t.Fatalf("SSLRequest answer %q %v", r, err)
	}
	// The injected startup message is taken as a (broken) TLS handshake:
	// the server never answers with AuthenticationCleartextPassword.
	rest, _ := io.ReadAll(nc)
	if len(rest) > 0 && rest[0] == 'R' {
		t.Fatalf("pipelined plaintext was processed: %q", rest)
	}
}

func TestProtocolNegotiation(t *testing.T) {
	t.Parallel()
	tg := startGateway(t)
	// Protocol 3.2 and an unknown option: NegotiateProtocolVersion, then a
	// 32-byte cancel key.
	nc, err := net.Dial("tcp", tg.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(5 * time.Second))
	fe := pgproto3.NewFrontend(nc, nc)
	fe.Send(&pgproto3.StartupMessage{ProtocolVersion: 196611, Parameters: map[string]string{
		"user": "admin", "database": tg.db, "_pq_.test": "1"}})
	if err := fe.Flush(); err != nil {
		t.Fatal(err)
	}
	m, err := fe.Receive()
	if err != nil {
		t.Fatal(err)
	}
	npv, ok := m.(*pgproto3.NegotiateProtocolVersion)
	if !ok || npv.NewestMinorProtocol != 2 || len(npv.UnrecognizedOptions) != 1 {
		t.Fatalf("got %#v", m)
	}
	if m, err = fe.Receive(); err != nil {
		t.Fatal(err)
	}
	if _, ok := m.(*pgproto3.AuthenticationCleartextPassword); !ok {
		t.Fatalf("got %#v", m)
	}
	fe.Send(&pgproto3.PasswordMessage{Password: "secret"})
	if err := fe.Flush(); err != nil {
		t.Fatal(err)
	}
	var key *pgproto3.BackendKeyData
	for {
		m, err := fe.Receive()
		if err != nil {
			t.Fatal(err)
		}
		if k, ok := m.(*pgproto3.BackendKeyData); ok {
			key = &pgproto3.BackendKeyData{ProcessID: k.ProcessID, SecretKey: append([]byte(nil), k.SecretKey...)}
		}
		if _, ok := m.(*pgproto3.ReadyForQuery); ok {
			break
		}
	}
	if key == nil || len(key.SecretKey) != 32 {
		t.Fatalf("cancel key %+v", key)
	}
	// A wrong key cancels nothing and is not an error for the client.
	cc, err := net.Dial("tcp", tg.addr)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := (&pgproto3.CancelRequest{ProcessID: key.ProcessID, SecretKey: make([]byte, 32)}).Encode(nil)
	_, _ = cc.Write(b)
	_ = cc.Close()
	// GSSENCRequest is declined with 'N'.
	gc, err := net.Dial("tcp", tg.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer gc.Close()
	_ = gc.SetDeadline(time.Now().Add(3 * time.Second))
	_, _ = gc.Write([]byte{0, 0, 0, 8, 4, 210, 22, 48})
	var r [1]byte
	if _, err := io.ReadFull(gc, r[:]); err != nil || r[0] != 'N' {
		t.Fatalf("GSSENCRequest answer %q %v", r, err)
	}
}
