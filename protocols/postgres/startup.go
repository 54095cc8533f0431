package postgres

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/jackc/pgx/v5/pgproto3"
)

const (
	alpnPostgres = "postgresql"

	codeSSLRequest    = 80877103
	codeGSSENCRequest = 80877104
	codeCancelRequest = 80877102

	// maxStartupBytes is PostgreSQL's own bound on a startup packet.
	maxStartupBytes = 10000
)

// startupError is a FATAL error sent to the client before the session.
type startupError struct {
	code, msg string
}

func (e *startupError) Error() string { return e.msg }

func fatal(code, format string, args ...any) error {
	return &startupError{code: code, msg: fmt.Sprintf(format, args...)}
}

// prefixConn replays bytes already read before reading from the socket
// (the first bytes of a direct TLS ClientHello).
type prefixConn struct {
	net.Conn
	prefix []byte
}

func (p *prefixConn) Read(b []byte) (int, error) {
	if len(p.prefix) > 0 {
		n := copy(b, p.prefix)
		p.prefix = p.prefix[n:]
		return n, nil
	}
	return p.Conn.Read(b)
}

// startup is the result of the client's startup phase.
type startup struct {
	conn     net.Conn // plain or TLS
	tlsState *tls.ConnectionState
	params   map[string]string
	minor    uint32
	cancel   *pgproto3.CancelRequest
}

// readStartup runs the client's startup: TLS negotiation and the startup
// message. The first bytes are read straight off the socket, unbuffered, so
// nothing sent before a TLS handshake is ever taken as part of the session.
func (s *Server) readStartup(nc net.Conn) (*startup, error) {
	c := nc
	var st startup
	for range 4 { // SSLRequest, GSSENCRequest, then the startup message
		var head [8]byte
		if _, err := io.ReadFull(c, head[:]); err != nil {
			return nil, err
		}
		if head[0] == 0x16 && st.tlsState == nil {
			// PostgreSQL 17 direct TLS: a ClientHello instead of a
			// startup packet.
			if s.tls == nil {
				return nil, errors.New("direct TLS without a TLS configuration")
			}
			tc := tls.Server(&prefixConn{Conn: c, prefix: append([]byte(nil), head[:]...)}, s.tls)
			if err := tc.Handshake(); err != nil {
				return nil, fmt.Errorf("direct TLS handshake: %w", err)
			}
			cs := tc.ConnectionState()
			if cs.NegotiatedProtocol != alpnPostgres {
				_ = tc.Close()
				return nil, errors.New("direct TLS without ALPN postgresql")
			}
			c, st.tlsState = tc, &cs
			continue
		}
		n := int(binary.BigEndian.Uint32(head[0:4]))
		code := binary.BigEndian.Uint32(head[4:8])
		if n < 8 || n > maxStartupBytes {
			return nil, fatal("08P01", "invalid startup packet length")
		}
		body := make([]byte, n-8)
		if _, err := io.ReadFull(c, body); err != nil {
			return nil, err
		}
		switch code {
		case codeSSLRequest:
			if n != 8 || st.tlsState != nil {
				return nil, fatal("08P01", "unexpected SSLRequest")
			}
			if s.tls == nil {
				if _, err := c.Write([]byte{'N'}); err != nil {
					return nil, err
				}
				continue
			}
			if _, err := c.Write([]byte{'S'}); err != nil {
				return nil, err
			}
			// Nothing was buffered: any bytes the client pipelined after
			// the SSLRequest go to the TLS handshake, which rejects them.
			tc := tls.Server(c, s.tls)
			if err := tc.Handshake(); err != nil {
				return nil, fmt.Errorf("TLS handshake: %w", err)
			}
			cs := tc.ConnectionState()
			c, st.tlsState = tc, &cs
		case codeGSSENCRequest:
			if n != 8 {
				return nil, fatal("08P01", "invalid GSSENCRequest")
			}
			if _, err := c.Write([]byte{'N'}); err != nil {
				return nil, err
			}
		case codeCancelRequest:
			var cr pgproto3.CancelRequest
			if err := cr.Decode(append(head[4:8:8], body...)); err != nil {
				return nil, err
			}
			st.cancel = &cr
			return &st, nil
		default:
			major, minor := code>>16, code&0xffff
			if major != 3 {
				return nil, fatal("0A000", "unsupported frontend protocol %d.%d: server supports 3.0 to 3.2", major, minor)
			}
			params, err := decodeParams(body)
			if err != nil {
				return nil, err
			}
			st.conn, st.params, st.minor = c, params, minor
			return &st, nil
		}
	}
	return nil, fatal("08P01", "too many startup requests")
}

func decodeParams(b []byte) (map[string]string, error) {
	params := map[string]string{}
	for {
		i := bytes.IndexByte(b, 0)
		if i < 0 {
			return nil, fatal("08P01", "invalid startup packet layout")
		}
		if i == 0 {
			if len(b) != 1 {
				return nil, fatal("08P01", "invalid startup packet layout")
			}
			return params, nil
		}
		k := string(b[:i])
		b = b[i+1:]
		j := bytes.IndexByte(b, 0)
		if j < 0 {
			return nil, fatal("08P01", "invalid startup packet layout")
		}
		params[k] = string(b[:j])
		b = b[j+1:]
	}
}

// negotiate answers a client asking for a newer minor version or for
// protocol options, as PostgreSQL does.
func negotiate(w io.Writer, st *startup) (uint32, error) {
	var unknown []string
	for k := range st.params {
		if strings.HasPrefix(k, "_pq_.") {
			unknown = append(unknown, k)
		}
	}
	minor := st.minor
	if minor > 2 {
		minor = 2
	}
	if minor != st.minor || len(unknown) > 0 {
		m := &pgproto3.NegotiateProtocolVersion{NewestMinorProtocol: minor, UnrecognizedOptions: unknown}
		b, err := m.Encode(nil)
		if err != nil {
			return 0, err
		}
		if _, err := w.Write(b); err != nil {
			return 0, err
		}
	}
	return minor, nil
}

// authenticate asks for the password, reads it and calls the
// Authenticator.
func (s *Server) authenticate(ctx context.Context, c *conn, st *startup) error {
	user := st.params["user"]
	if user == "" {
		return fatal("28000", "no PostgreSQL user name specified in startup packet")
	}
	db := st.params["database"]
	if db == "" {
		db = user
	}
	if st.tlsState == nil && !s.cfg.AllowInsecurePassword {
		return fatal("28000", "airlock: password authentication requires TLS (connect with sslmode=require)")
	}
	b, _ := (&pgproto3.AuthenticationCleartextPassword{}).Encode(nil)
	if _, err := c.client.Write(b); err != nil {
		return err
	}
	typ, body, _, err := c.rd.next()
	if errors.Is(err, errMessageTooLarge) {
		return fatal("08P01", "airlock: password message too long (at most %d bytes before authentication)", MaxAuthMessageBytes)
	}
	if err != nil {
		return err
	}
	if typ != 'p' {
		return fatal("08P01", "expected password response, got message type %q", typ)
	}
	var pm pgproto3.PasswordMessage
	if err := pm.Decode(body); err != nil {
		return fatal("08P01", "invalid password packet")
	}
	id, err := s.cfg.Authenticator.Authenticate(ctx, gate.Credential{Protocol: gate.ProtocolPostgres,
		ClientAddr: c.client.RemoteAddr().String(), User: user, Database: db, Password: pm.Password})
	if err != nil {
		s.log.Info("client authentication failed", "user", user, "client", c.client.RemoteAddr().String(), "error", err)
		return fatal("28P01", "password authentication failed for user %q", user)
	}
	c.session.Identity = id
	return nil
}

// checkDatabase refuses a client that names a database other than the
// upstream's: the gateway serves one database, and a client must not land
// silently in another than the one it asked for.
func (s *Server) checkDatabase(db string) error {
	want := s.cfg.Upstream.Database
	if want == "" {
		want = s.cfg.Upstream.User
	}
	if db == "" || db == want {
		return nil
	}
	return fatal("3D000", "airlock: database %q is not served by this gateway; connect to database %q", db, want)
}

// newCancelKey returns a process id and secret for the client: 4 bytes of
// secret for protocol 3.0, 32 for 3.2.
func newCancelKey(minor uint32) (uint32, []byte) {
	n := 4
	if minor >= 2 {
		n = 32
	}
	b := make([]byte, 4+n)
	_, _ = rand.Read(b)
	pid := binary.BigEndian.Uint32(b[:4]) & 0x7fffffff
	if pid == 0 {
		pid = 1
	}
	return pid, b[4:]
}

// handleCancel forwards a client's cancel request to the session it names.
func (s *Server) handleCancel(cr *pgproto3.CancelRequest) {
	s.mu.Lock()
	c := s.sessions[cr.ProcessID]
	s.mu.Unlock()
	if c == nil || len(c.secret) != len(cr.SecretKey) || subtle.ConstantTimeCompare(c.secret, cr.SecretKey) != 1 {
		return
	}
	c.cancel()
}

// sendUpstreamCancel sends a cancel request for the upstream backend on a
// new connection, as the PostgreSQL protocol demands.
func (s *Server) sendUpstreamCancel(pid uint32, key []byte) {
	cfg := s.cfg.Upstream
	addr := net.JoinHostPort(cfg.Host, fmt.Sprint(cfg.Port))
	network := "tcp"
	if strings.HasPrefix(cfg.Host, "/") {
		network, addr = "unix", fmt.Sprintf("%s/.s.PGSQL.%d", cfg.Host, cfg.Port)
	}
	d := net.Dialer{Timeout: 5 * time.Second}
	nc, err := d.Dial(network, addr)
	if err != nil {
		s.log.Warn("cancel: dial upstream", "error", err)
		return
	}
	defer nc.Close()
	var conn net.Conn = nc
	if cfg.TLSConfig != nil {
		// PostgreSQL accepts a cancel request inside TLS too.
		if _, err := nc.Write([]byte{0, 0, 0, 8, 4, 210, 22, 47}); err != nil {
			return
		}
		var r [1]byte
		if _, err := io.ReadFull(nc, r[:]); err != nil {
			return
		}
		if r[0] == 'S' {
			tc := tls.Client(nc, cfg.TLSConfig)
			if err := tc.Handshake(); err != nil {
				return
			}
			conn = tc
		}
	}
	b, err := (&pgproto3.CancelRequest{ProcessID: pid, SecretKey: key}).Encode(nil)
	if err != nil {
		return
	}
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	_, _ = conn.Write(b)
	// The server closes the connection when it is done.
	_, _ = io.Copy(io.Discard, conn)
}
