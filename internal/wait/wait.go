// Package wait blocks until something changed, a time passed or a
// context ended: the loop step of the approvers that await a verdict.
package wait

import (
	"context"
	"time"
)

// For waits until wake is closed (or receives), d has passed, or ctx
// ends. It returns ctx.Err() in the last case and nil otherwise.
func For(ctx context.Context, wake <-chan struct{}, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-wake:
	case <-t.C:
	case <-ctx.Done():
		return ctx.Err()
	}
	return nil
}
