package pgapproval_test

import (
	"os"
	"testing"

	"github.com/airlock-sdk/airlock/internal/pgtest"
)

// TestMain lets more parallel tests run at once than there are cores:
// each test waits on its own database.
func TestMain(m *testing.M) {
	pgtest.RaiseParallel()
	os.Exit(m.Run())
}
