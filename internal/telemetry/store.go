package telemetry

import (
	"context"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/modeltender/modeltender/internal/store"
)

// StoreStats is what the store collector reads at each scrape; *store.Store
// has it.
type StoreStats interface {
	OperationalStats(ctx context.Context) (store.OperationalStats, error)
}

// scrapeTimeout bounds the store query of one scrape, below Prometheus'
// default scrape timeout of 10 s.
const scrapeTimeout = 5 * time.Second

var (
	evaluationsDesc = prometheus.NewDesc("modeltender_evaluations",
		"Evaluations by the stage they last moved in and their outcome (undecided until the outcome stage).",
		[]string{"stage", "outcome"}, nil)
	openTasksDesc = prometheus.NewDesc("modeltender_open_tasks",
		"Human review tasks waiting for a decision, by kind.", []string{"kind"}, nil)
	oldestTaskDesc = prometheus.NewDesc("modeltender_open_task_oldest_age_seconds",
		"Age of the oldest open task of each kind.", []string{"kind"}, nil)
)

// RegisterStore adds the series read from PostgreSQL at each scrape: the
// database is the system of record, so every process reports the same
// counts, and the numbers survive restarts.
func (t *Telemetry) RegisterStore(src StoreStats) error {
	if err := t.registry.Register(storeCollector{src: src, now: t.now}); err != nil {
		return fmt.Errorf("register store metrics: %w", err)
	}
	return nil
}

type storeCollector struct {
	src StoreStats
	now func() time.Time
}

func (c storeCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- evaluationsDesc
	ch <- openTasksDesc
	ch <- oldestTaskDesc
}

func (c storeCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	stats, err := c.src.OperationalStats(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(evaluationsDesc, err)
		return
	}
	for _, e := range stats.Evaluations {
		ch <- prometheus.MustNewConstMetric(evaluationsDesc, prometheus.GaugeValue, float64(e.Count), string(e.Stage), e.Outcome)
	}
	now := c.now()
	for _, k := range stats.OpenTasks {
		ch <- prometheus.MustNewConstMetric(openTasksDesc, prometheus.GaugeValue, float64(k.Count), string(k.Kind))
		ch <- prometheus.MustNewConstMetric(oldestTaskDesc, prometheus.GaugeValue, now.Sub(k.OldestCreatedAt).Seconds(), string(k.Kind))
	}
}
