package postgres

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// recordedOutput reports whether an output event of stream holds text.
func (tg *testGateway) recordedOutput(stream, text string) bool {
	for _, e := range tg.gateEvents() {
		if e.Kind == gate.EventOutput && e.Output != nil && e.Output.Stream == stream && strings.Contains(string(e.Output.Data), text) {
			return true
		}
	}
	return false
}

// TestRecordHoldsAsyncMessages: what the server sends a client outside
// any result — a notification (of the client's own statement or another
// session's) and a setting it reports (after SET, set_config, RESET) —
// is recorded as the client saw it (streams "notification" and
// "setting"), for the admin (unmasked) and the agent (masked), in each
// query mode. Judged by the record: every payload and value the client
// received is there.
func TestRecordHoldsAsyncMessages(t *testing.T) {
	t.Parallel()
	tg := startGateway(t, withRules(notifyRules))
	ctx := context.Background()
	up := tg.upstream(t)
	missing, total := 0, 0
	n := 0
	for _, user := range []string{"admin", "agent"} {
		for mode, m := range modes {
			var mu sync.Mutex
			var notes []string
			c := tg.connect(t, user, m, func(cc *pgx.ConnConfig) {
				cc.OnNotification = func(_ *pgconn.PgConn, x *pgconn.Notification) {
					mu.Lock()
					notes = append(notes, x.Channel+": "+x.Payload)
					mu.Unlock()
				}
			})
			if _, err := c.Exec(ctx, "LISTEN pgred"); err != nil {
				t.Fatal(err)
			}
			// Notifications: NOTIFY, pg_notify, another session's.
			for _, send := range []func(p string) error{
				func(p string) error { _, err := c.Exec(ctx, "NOTIFY pgred, '"+p+"'"); return err },
				func(p string) error { _, err := c.Exec(ctx, "SELECT pg_notify('pgred', '"+p+"')"); return err },
				func(p string) error { _, err := up.Exec(ctx, "NOTIFY pgred, '"+p+"'").ReadAll(); return err },
			} {
				n++
				if err := send(fmt.Sprintf("pgred-note-%d", n)); err != nil {
					t.Fatal(err)
				}
				if _, err := c.Exec(ctx, "SELECT 1"); err != nil {
					t.Fatal(err)
				}
			}
			mu.Lock()
			got := append([]string(nil), notes...)
			mu.Unlock()
			if len(got) != 3 {
				t.Fatalf("%s/%s: %d notifications, want 3: %q", user, mode, len(got), got)
			}
			for _, x := range got {
				total++
				if !tg.recordedOutput("notification", x) {
					missing++
					t.Errorf("%s/%s: notification %q reached the client, not the record", user, mode, x)
				}
			}
			// Settings the server reports: each one a step changed.
			for _, set := range []string{"SET application_name = 'pgred-app-%d'", "SELECT set_config('application_name', 'pgred-app-%d', false)",
				"SET TimeZone = 'Etc/GMT+%d'", "RESET application_name", "RESET TimeZone"} {
				n++
				before := map[string]string{}
				for _, name := range []string{"application_name", "TimeZone"} {
					before[name] = c.PgConn().ParameterStatus(name)
				}
				sql := set
				if strings.Contains(set, "%d") {
					sql = fmt.Sprintf(set, n%12+1)
				}
				if _, err := c.Exec(ctx, sql); err != nil {
					t.Fatal(err)
				}
				for _, name := range []string{"application_name", "TimeZone"} {
					v := c.PgConn().ParameterStatus(name)
					if v == before[name] {
						continue
					}
					total++
					if !tg.recordedOutput("setting", name+" = "+v) {
						missing++
						t.Errorf("%s/%s: after %q, %s = %q reached the client, not the record", user, mode, set, name, v)
					}
				}
			}
		}
	}
	t.Logf("%d of %d messages the clients got are missing from the record", missing, total)
}
