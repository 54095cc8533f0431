package gate

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"
)

// metrics are the gate's OpenTelemetry instruments. With no MeterProvider
// configured they are no-ops.
type metrics struct {
	decisions      metric.Int64Counter
	decideSeconds  metric.Float64Histogram
	reviews        metric.Int64Counter
	reviewSeconds  metric.Float64Histogram
	findings       metric.Int64Counter
	recordSeconds  metric.Float64Histogram
	recordFailures metric.Int64Counter
}

// DecisionBuckets are the histogram boundaries, in seconds, of decision and
// record durations: a decision takes microseconds and a durable record
// fractions of a millisecond, so the default OpenTelemetry boundaries (which
// start at 5 ms) would put every observation in the first bucket.
var DecisionBuckets = []float64{
	1e-6, 2.5e-6, 5e-6, 10e-6, 25e-6, 50e-6, 100e-6, 250e-6, 500e-6,
	1e-3, 2.5e-3, 5e-3, 10e-3, 25e-3, 50e-3, 100e-3, 250e-3, 500e-3, 1,
}

// ReviewBuckets are the boundaries of review durations: humans answer in
// seconds to hours.
var ReviewBuckets = []float64{1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 4 * 3600, 24 * 3600}

func newMetrics(mp metric.MeterProvider) *metrics {
	if mp == nil {
		mp = noop.NewMeterProvider()
	}
	m := mp.Meter("github.com/airlock-sdk/airlock/gate")
	var x metrics
	// Instrument creation only fails on invalid names, which these are not;
	// on error OpenTelemetry returns a usable no-op instrument anyway.
	x.decisions, _ = m.Int64Counter("airlock.decisions", metric.WithDescription("Decisions by action, deciding rule and protocol."))
	x.decideSeconds, _ = m.Float64Histogram("airlock.decision.duration", metric.WithUnit("s"), metric.WithDescription("Time to evaluate the rules for one request."),
		metric.WithExplicitBucketBoundaries(DecisionBuckets...))
	x.reviews, _ = m.Int64Counter("airlock.reviews", metric.WithDescription("Reviews by outcome."))
	x.reviewSeconds, _ = m.Float64Histogram("airlock.review.duration", metric.WithUnit("s"), metric.WithDescription("Time from a review's request to its outcome."),
		metric.WithExplicitBucketBoundaries(ReviewBuckets...))
	x.findings, _ = m.Int64Counter("airlock.mask.findings", metric.WithDescription("Values masked, by detector."))
	x.recordSeconds, _ = m.Float64Histogram("airlock.record.duration", metric.WithUnit("s"), metric.WithDescription("Time the recorder took to make an event durable (recorder lag)."),
		metric.WithExplicitBucketBoundaries(DecisionBuckets...))
	x.recordFailures, _ = m.Int64Counter("airlock.record.failures", metric.WithDescription("Events the recorder failed to store."))
	return &x
}

func (m *metrics) decision(ctx context.Context, d *Decision, protocol string) {
	m.decisions.Add(ctx, 1, metric.WithAttributes(
		attribute.String("action", string(d.Action)),
		attribute.String("rule", d.Rule),
		attribute.String("protocol", protocol),
		attribute.Bool("reviewed", d.Reviewed)))
	if !d.Reviewed {
		m.decideSeconds.Record(ctx, d.Elapsed.Seconds(), metric.WithAttributes(attribute.String("protocol", protocol)))
	}
}

func (m *metrics) review(ctx context.Context, outcome string, since time.Time) {
	m.reviews.Add(ctx, 1, metric.WithAttributes(attribute.String("outcome", outcome)))
	m.reviewSeconds.Record(ctx, time.Since(since).Seconds(), metric.WithAttributes(attribute.String("outcome", outcome)))
}

func (m *metrics) recorded(ctx context.Context, kind EventKind, took time.Duration, err error) {
	m.recordSeconds.Record(ctx, took.Seconds(), metric.WithAttributes(attribute.String("kind", string(kind))))
	if err != nil {
		m.recordFailures.Add(ctx, 1, metric.WithAttributes(attribute.String("kind", string(kind))))
	}
}

func (m *metrics) masked(ctx context.Context, findings []Finding) {
	for _, f := range findings {
		m.findings.Add(ctx, int64(f.Count), metric.WithAttributes(attribute.String("detector", f.Detector)))
	}
}
