// Package tbrecorder gives the tests of a conformance kit a testing.TB that
// notes failures instead of failing, so they can check that the kit fails
// a broken implementation.
package tbrecorder

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// recorder is a testing.TB over a real one (for cleanup, temporary
// directories, logging) whose failures are only noted. Fatal ends the
// calling goroutine, as it does in a test.
type recorder struct {
	testing.TB
	mu       sync.Mutex
	failures []string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failures = append(r.failures, fmt.Sprintf(format, args...))
}

func (r *recorder) Error(args ...any) { r.Errorf("%s", fmt.Sprint(args...)) }

func (r *recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	runtime.Goexit()
}

func (r *recorder) Fatal(args ...any) { r.Fatalf("%s", fmt.Sprint(args...)) }
func (r *recorder) FailNow()          { r.Fatalf("FailNow") }
func (r *recorder) Fail()             { r.Errorf("Fail") }

func (r *recorder) Failed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.failures) > 0
}

// Run runs f with a testing.TB over t that notes failures, and returns
// them. A Fatal inside f ends f there.
func Run(t testing.TB, f func(tb testing.TB)) []string {
	rec := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(rec)
	}()
	<-done
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return rec.failures
}

// WantCheckFailed fails t unless one of failures is of check: a failure a
// conformance kit reported with the check's name as prefix ("check: ...").
func WantCheckFailed(t testing.TB, failures []string, check string) {
	t.Helper()
	for _, f := range failures {
		if strings.HasPrefix(f, check+": ") {
			return
		}
	}
	t.Fatalf("no failure of check %s; the kit reported:\n%s", check, strings.Join(failures, "\n"))
}

// WantNone fails t when failures holds any: what (a correct
// implementation) failed the kit.
func WantNone(t testing.TB, failures []string, what string) {
	t.Helper()
	if len(failures) > 0 {
		t.Fatalf("%s failed:\n%s", what, strings.Join(failures, "\n"))
	}
}
