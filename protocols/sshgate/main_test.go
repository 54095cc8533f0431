package sshgate

import (
	"flag"
	"os"
	"runtime"
	"strconv"
	"testing"
)

// TestMain runs twice as many parallel tests as there are CPUs unless
// -parallel says otherwise: the tests here spend most of their time
// waiting on ssh, sshd and shell processes, not computing, and the
// default (GOMAXPROCS) leaves the CPUs idle while they wait.
func TestMain(m *testing.M) {
	flag.Parse()
	explicit := false
	flag.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "test.parallel" })
	if !explicit {
		_ = flag.Set("test.parallel", strconv.Itoa(2*runtime.GOMAXPROCS(0)))
	}
	os.Exit(m.Run())
}
