package main

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/oauthgate/oauthgate/gateway"
)

// serveMetrics are the gateway's Prometheus metrics, on their own registry
// (served only on metrics_listen).
type serveMetrics struct {
	reg       *prometheus.Registry
	requests  *prometheus.CounterVec
	duration  *prometheus.HistogramVec
	decisions *prometheus.CounterVec
	idp       *prometheus.HistogramVec
	tokens    *prometheus.CounterVec
}

func newServeMetrics() *serveMetrics {
	m := &serveMetrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "oauthgate_requests_total",
			Help: "Requests by route class (upstream, check, auth, jwks, health, none) and status code.",
		}, []string{"route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "oauthgate_request_duration_seconds",
			Help:    "Time from a request's arrival to the end of its answer, by route class.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route"}),
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "oauthgate_auth_decisions_total",
			Help: "Access rule outcomes (allow, unauthenticated, login_redirect, forbidden, invalid_token, error) on upstream and check routes.",
		}, []string{"route", "decision"}),
		idp: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "oauthgate_idp_request_duration_seconds",
			Help:    "Requests to identity providers (discovery, keys, token exchange, refresh) by host and outcome (status code or error).",
			Buckets: prometheus.DefBuckets,
		}, []string{"host", "outcome"}),
		tokens: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "oauthgate_token_verifications_total",
			Help: "Bearer tokens checked on upstream and check routes, by result (valid, invalid).",
		}, []string{"result"}),
	}
	m.reg.MustRegister(m.requests, m.duration, m.decisions, m.idp, m.tokens,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// watchReady exports the gateway's readiness.
func (m *serveMetrics) watchReady(g *gateway.Gateway) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "oauthgate_ready",
		Help: "1 once the identity provider's discovery has succeeded.",
	}, func() float64 {
		if g.Ready() {
			return 1
		}
		return 0
	}))
}

func (m *serveMetrics) handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}))
	return mux
}

// serveObserver turns the gateway's reports into metrics and JSON access
// log lines. RequestInfo holds no token, cookie or query string.
type serveObserver struct {
	metrics *serveMetrics
	log     *slog.Logger // nil: no access log
}

func (o *serveObserver) Request(i gateway.RequestInfo) {
	m := o.metrics
	m.requests.WithLabelValues(i.Route, strconv.Itoa(i.Status)).Inc()
	m.duration.WithLabelValues(i.Route).Observe(i.Duration.Seconds())
	if i.Decision != "" {
		m.decisions.WithLabelValues(i.Route, i.Decision).Inc()
	}
	if i.Bearer && i.Decision != "" && i.Decision != gateway.DecisionError {
		result := "valid"
		if i.Decision == gateway.DecisionInvalidToken {
			result = "invalid"
		}
		m.tokens.WithLabelValues(result).Inc()
	}
	if o.log == nil {
		return
	}
	attrs := []slog.Attr{
		slog.String("route", i.Route),
		slog.String("method", i.Method),
		slog.String("path", i.Path),
		slog.Int("status", i.Status),
		slog.Int64("bytes", i.Bytes),
		slog.Float64("duration_ms", float64(i.Duration.Microseconds())/1000),
		slog.String("client", i.Client),
	}
	if i.Upstream != "" {
		attrs = append(attrs, slog.String("upstream", i.Upstream))
	}
	if i.Decision != "" {
		attrs = append(attrs, slog.String("decision", i.Decision))
	}
	if i.Identity != "" {
		attrs = append(attrs, slog.String("identity", i.Identity))
	}
	o.log.LogAttrs(context.Background(), slog.LevelInfo, "access", attrs...)
}

func (o *serveObserver) IdPRequest(host string, status int, d time.Duration, err error) {
	outcome := strconv.Itoa(status)
	if err != nil {
		outcome = "error"
	}
	o.metrics.idp.WithLabelValues(host, outcome).Observe(d.Seconds())
}
