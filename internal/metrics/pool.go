package metrics

import (
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
)

var (
	poolTotal    = prometheus.NewDesc("paylinks_pg_pool_conns", "PostgreSQL pool connections open.", nil, nil)
	poolIdle     = prometheus.NewDesc("paylinks_pg_pool_idle_conns", "PostgreSQL pool connections idle.", nil, nil)
	poolInUse    = prometheus.NewDesc("paylinks_pg_pool_acquired_conns", "PostgreSQL pool connections in use.", nil, nil)
	poolMax      = prometheus.NewDesc("paylinks_pg_pool_max_conns", "PostgreSQL pool size limit.", nil, nil)
	poolAcquires = prometheus.NewDesc("paylinks_pg_pool_acquires_total", "Connections acquired from the PostgreSQL pool.", nil, nil)
	poolWaits    = prometheus.NewDesc("paylinks_pg_pool_empty_acquires_total", "Acquires that waited because the PostgreSQL pool had no idle connection.", nil, nil)
	poolWait     = prometheus.NewDesc("paylinks_pg_pool_acquire_wait_seconds_total", "Time spent waiting for a PostgreSQL pool connection.", nil, nil)
)

// poolCollector reads a pgx pool's statistics at each scrape.
type poolCollector struct{ pool *pgxpool.Pool }

func (c *poolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{poolTotal, poolIdle, poolInUse, poolMax, poolAcquires, poolWaits, poolWait} {
		ch <- d
	}
}

func (c *poolCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.pool.Stat()
	ch <- prometheus.MustNewConstMetric(poolTotal, prometheus.GaugeValue, float64(s.TotalConns()))
	ch <- prometheus.MustNewConstMetric(poolIdle, prometheus.GaugeValue, float64(s.IdleConns()))
	ch <- prometheus.MustNewConstMetric(poolInUse, prometheus.GaugeValue, float64(s.AcquiredConns()))
	ch <- prometheus.MustNewConstMetric(poolMax, prometheus.GaugeValue, float64(s.MaxConns()))
	ch <- prometheus.MustNewConstMetric(poolAcquires, prometheus.CounterValue, float64(s.AcquireCount()))
	ch <- prometheus.MustNewConstMetric(poolWaits, prometheus.CounterValue, float64(s.EmptyAcquireCount()))
	ch <- prometheus.MustNewConstMetric(poolWait, prometheus.CounterValue, s.AcquireDuration().Seconds())
}
