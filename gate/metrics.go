package gate

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"
)

// metrics are the gate's OpenTelemetry instruments. With no MeterProvider
// configured they are no-ops that build nothing (off); with one, the
// attribute sets of measurements are built once per combination of values
// (see attrCache).
type metrics struct {
	off            bool
	decisions      metric.Int64Counter
	decideSeconds  metric.Float64Histogram
	reviews        metric.Int64Counter
	reviewSeconds  metric.Float64Histogram
	findings       metric.Int64Counter
	recordSeconds  metric.Float64Histogram
	recordFailures metric.Int64Counter

	byDecision *attrCache[decisionAttrs]
	byProtocol *attrCache[string]
	byOutcome  *attrCache[string]
	byKind     *attrCache[EventKind]
	byDetector *attrCache[string]
}

// decisionAttrs are the attribute values of a decision's count.
type decisionAttrs struct {
	action   Action
	rule     string
	protocol string
	reviewed bool
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
	if _, isNoop := mp.(noop.MeterProvider); mp == nil || isNoop {
		return &metrics{off: true}
	}
	m := mp.Meter("github.com/airlock-sdk/airlock/gate")
	x := metrics{
		byDecision: newAttrCache(func(a decisionAttrs) *measureOpts {
			return newMeasureOpts(attribute.String("action", string(a.action)), attribute.String("rule", a.rule),
				attribute.String("protocol", a.protocol), attribute.Bool("reviewed", a.reviewed))
		}),
		byProtocol: newAttrCache(func(p string) *measureOpts { return newMeasureOpts(attribute.String("protocol", p)) }),
		byOutcome:  newAttrCache(func(o string) *measureOpts { return newMeasureOpts(attribute.String("outcome", o)) }),
		byKind:     newAttrCache(func(k EventKind) *measureOpts { return newMeasureOpts(attribute.String("kind", string(k))) }),
		byDetector: newAttrCache(func(d string) *measureOpts { return newMeasureOpts(attribute.String("detector", d)) }),
	}
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
	if m.off {
		return
	}
	m.decisions.Add(ctx, 1, m.byDecision.get(decisionAttrs{d.Action, d.Rule, protocol, d.Reviewed}).add...)
	if !d.Reviewed {
		m.decideSeconds.Record(ctx, d.Elapsed.Seconds(), m.byProtocol.get(protocol).rec...)
	}
}

func (m *metrics) review(ctx context.Context, outcome string, since time.Time) {
	if m.off {
		return
	}
	o := m.byOutcome.get(outcome)
	m.reviews.Add(ctx, 1, o.add...)
	m.reviewSeconds.Record(ctx, time.Since(since).Seconds(), o.rec...)
}

// timed reports whether recorded wants the recorder's duration: a caller
// skips reading the clock when it does not.
func (m *metrics) timed() bool { return !m.off }

func (m *metrics) recorded(ctx context.Context, kind EventKind, took time.Duration, err error) {
	if m.off {
		return
	}
	o := m.byKind.get(kind)
	m.recordSeconds.Record(ctx, took.Seconds(), o.rec...)
	if err != nil {
		m.recordFailures.Add(ctx, 1, o.add...)
	}
}

func (m *metrics) masked(ctx context.Context, findings []Finding) {
	if m.off {
		return
	}
	for _, f := range findings {
		m.findings.Add(ctx, int64(f.Count), m.byDetector.get(f.Detector).add...)
	}
}
