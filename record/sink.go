package record

import "context"

// Sink stores sealed events. It is the one interface a storage back end
// implements, as small as slog.Handler: the Recorder orders, chains and
// batches; the sink only makes a batch durable.
//
// Write must make every event of batch durable before it returns nil, and must
// return an error otherwise; the events of a batch are in order within each
// session, and a batch never holds a session's events out of order with an
// earlier batch. A sink may keep batch's slice only until Write returns; the
// Body bytes are immutable and may be kept. Write and Close must be safe for
// concurrent use.
type Sink interface {
	Write(ctx context.Context, batch []Event) error
	Close() error
}
