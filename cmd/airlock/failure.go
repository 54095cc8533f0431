package main

import (
	"errors"
	"fmt"
	"io"
)

// failure is a command's error together with the exit code it ends with.
type failure struct {
	code int
	err  error
}

func (f *failure) Error() string {
	if f.err == nil {
		return fmt.Sprintf("exit %d", f.code)
	}
	return f.err.Error()
}
func (f *failure) Unwrap() error { return f.err }

// usageFailure is err as bad usage: the command exits 2.
func usageFailure(err error) error { return &failure{code: 2, err: err} }

// quietFailure ends the command with code and no message: what went
// wrong is already printed.
func quietFailure(code int) error { return &failure{code: code} }

// exitCode prints err, if any and not quiet, as "airlock NAME: err" and returns its exit
// code: 0 without an error, the failure's code, else 1.
func exitCode(stderr io.Writer, name string, err error) int {
	if err == nil {
		return 0
	}
	var f *failure
	if errors.As(err, &f) && f.err == nil {
		return f.code
	}
	fmt.Fprintf(stderr, "airlock %s: %v\n", name, err)
	if f != nil {
		return f.code
	}
	return 1
}
