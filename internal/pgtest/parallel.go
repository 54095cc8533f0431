package pgtest

import (
	"flag"
	"runtime"
	"strconv"
)

// WaitBound is how many parallel tests RaiseParallel lets run at once.
const WaitBound = 4

// RaiseParallel raises go test's -parallel default (GOMAXPROCS) to
// WaitBound unless the command line set -parallel: call it from TestMain
// before m.Run in a package whose parallel tests mostly wait on PostgreSQL
// round trips, where running more of them than there are cores shortens
// the run. An explicit -parallel still wins.
func RaiseParallel() {
	if !flag.Parsed() {
		flag.Parse()
	}
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "test.parallel" })
	if !set && runtime.GOMAXPROCS(0) < WaitBound {
		_ = flag.Set("test.parallel", strconv.Itoa(WaitBound))
	}
}
