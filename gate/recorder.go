package gate

import "context"

// Recorder stores session events outside the client's reach. The record
// package provides the real one (ordering, hash chain, sinks); the gate calls
// Record for every decision before the request is forwarded, and refuses the
// request when Record fails, unless the gate was configured to fail open.
//
// Record must be safe for concurrent use. An error means the event is not
// durable.
type Recorder interface {
	Record(ctx context.Context, e Event) error
}

// RecorderFunc adapts a function to a Recorder.
type RecorderFunc func(ctx context.Context, e Event) error

// Record calls f.
func (f RecorderFunc) Record(ctx context.Context, e Event) error { return f(ctx, e) }
