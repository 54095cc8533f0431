package postgres

import (
	"os"
	"testing"

	"github.com/airlock-sdk/airlock/internal/pgtest"
)

// TestMain lets more parallel tests run at once than there are cores:
// most of this package's tests wait on PostgreSQL and the gateway.
func TestMain(m *testing.M) {
	pgtest.RaiseParallel()
	os.Exit(m.Run())
}
