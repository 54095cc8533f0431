package postgres

import (
	"fmt"
	"os"
	"testing"

	"github.com/airlock-sdk/airlock/internal/pgtest"
)

// TestMain lets more parallel tests run at once than there are cores:
// most of this package's tests wait on PostgreSQL and the gateway. It
// drops the template of the test databases (newDB) at the end.
func TestMain(m *testing.M) {
	pgtest.RaiseParallel()
	code := m.Run()
	if err := pgtest.DropTemplates(); err != nil {
		fmt.Fprintln(os.Stderr, "pgtest:", err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}
