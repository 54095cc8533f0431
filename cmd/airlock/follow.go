package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/airlock-sdk/airlock/record"
)

// followReplay prints a record file's entries, then keeps printing entries
// as they are appended (record.Follow), until ctx ends or the followed
// session ends.
func followReplay(ctx context.Context, o replayOptions, pr *printer, stderr io.Writer) int {
	// Reading the existing entries is no "large record" to show progress
	// for: the output follows the file.
	pr.prog = nil
	pr.tag = o.session == ""
	if o.session != "" {
		pr.header(o.session)
	}
	status := 0
	opts := record.FollowOptions{Poll: o.poll, Session: o.session, Idle: func() { _ = pr.w.Flush() }}
	for e, err := range record.Follow(ctx, o.source, opts) {
		var bad *record.LineError
		switch {
		case errors.As(err, &bad):
			pr.problem(err.Error())
			status = 1
		case err != nil:
			_ = pr.w.Flush()
			fmt.Fprintln(stderr, "airlock replay:", err)
			return 1
		default:
			pr.entry(e)
		}
	}
	return status
}
