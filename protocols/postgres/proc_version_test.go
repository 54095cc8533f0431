package postgres

import (
	"context"
	"strconv"
	"testing"
	"time"
)

// TestProcVersionConnection: on a real PostgreSQL, the function catalog's
// version checks reuse one connection; a change made outside is still
// seen on it; a connection killed (pg_terminate_backend) is reported as a
// change, and the next check connects again; a catalog no server uses any
// more closes it.
func TestProcVersionConnection(t *testing.T) {
	ctx := context.Background()
	cfg, exec := ownDatabase(t, "airlock_pver")
	k := funcCatalogFor(cfg, nil)
	if k.Current(ctx); k.procs == nil {
		t.Fatal("catalog not loaded")
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	check := func(want bool) uint32 {
		t.Helper()
		if got := k.changed(ctx); got != want {
			t.Fatalf("changed: %v, want %v", got, want)
		}
		if k.vpc == nil {
			return 0
		}
		return k.vpc.PID()
	}
	pid := check(false)
	if pid == 0 || check(false) != pid {
		t.Fatal("the version check did not keep its connection")
	}
	exec("CREATE FUNCTION pver_f() RETURNS int LANGUAGE sql AS 'SELECT 1'")
	if check(true) != pid {
		t.Fatal("a change outside: connection not kept")
	}
	if err := k.load(ctx); err != nil {
		t.Fatal(err)
	}
	check(false)
	exec("SELECT pg_terminate_backend(" + strconv.Itoa(int(pid)) + ")")
	for i := 0; i < 100 && len(exec("SELECT 1 FROM pg_stat_activity WHERE pid = "+strconv.Itoa(int(pid)))) > 0; i++ {
		time.Sleep(20 * time.Millisecond)
	}
	if check(true) != 0 {
		t.Fatal("a killed connection kept")
	}
	again := check(false)
	if again == 0 || again == pid {
		t.Fatalf("no new connection after a killed one (pid %d, was %d)", again, pid)
	}
	k.mu.Unlock()
	k.release()
	k.mu.Lock()
	if k.vpc != nil {
		t.Fatal("the last user's release left the connection open")
	}
	gone := false
	for i := 0; i < 100 && !gone; i++ {
		gone = len(exec("SELECT 1 FROM pg_stat_activity WHERE pid = "+strconv.Itoa(int(again)))) == 0
		time.Sleep(10 * time.Millisecond)
	}
	if !gone {
		t.Fatal("the released connection's backend is still there")
	}
}
