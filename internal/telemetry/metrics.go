package telemetry

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Latency buckets of the in-process checks: a policy decision takes about a
// millisecond and a license review a few hundred microseconds
// (bench/README.md), so the buckets run from 0.25 ms to about 1 s.
var checkBuckets = prometheus.ExponentialBuckets(0.00025, 2, 13)

func (t *Telemetry) registerOwnMetrics() {
	t.httpDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: "modeltender",
		Name:      "http_request_duration_seconds",
		Help:      "Time to answer an HTTP request, by method, route pattern (not the raw path) and status code.",
		Buckets:   prometheus.DefBuckets,
	}, []string{"method", "route", "code"})
	t.policyDuration = prometheus.NewHistogram(prometheus.HistogramOpts{
		Namespace: "modeltender",
		Name:      "policy_decision_duration_seconds",
		Help:      "Time of one policy decision on a candidate (safety, procurement, openness).",
		Buckets:   checkBuckets,
	})
	t.licenseDuration = prometheus.NewHistogram(prometheus.HistogramOpts{
		Namespace: "modeltender",
		Name:      "license_review_duration_seconds",
		Help:      "Time of one license review of a candidate's components.",
		Buckets:   checkBuckets,
	})
	t.registry.MustRegister(t.httpDuration, t.policyDuration, t.licenseDuration)
}

// ObservePolicyDecision records how long one policy decision took.
func (t *Telemetry) ObservePolicyDecision(d time.Duration) {
	if t != nil {
		t.policyDuration.Observe(d.Seconds())
	}
}

// ObserveLicenseReview records how long one license review took.
func (t *Telemetry) ObserveLicenseReview(d time.Duration) {
	if t != nil {
		t.licenseDuration.Observe(d.Seconds())
	}
}
