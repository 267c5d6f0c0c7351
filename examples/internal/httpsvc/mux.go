package httpsvc

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// HandlerFunc is an HTTP handler that reports failures instead of writing them, so that one
// place decides what a client sees and what is logged.
type HandlerFunc func(w http.ResponseWriter, r *http.Request) error

// StatusError is an error a client may see: its status and message are written as
// {"error": message}. Err, when set, is only logged.
type StatusError struct {
	Status  int
	Message string
	Err     error
}

func (e *StatusError) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

func (e *StatusError) Unwrap() error { return e.Err }

// Errorf returns a StatusError with a formatted message.
func Errorf(status int, format string, args ...any) error {
	return &StatusError{Status: status, Message: fmt.Sprintf(format, args...)}
}

// Mux routes requests, counts them in http_requests_total{route,method,code} and writes
// handler errors. It always serves GET /healthz and GET /metrics; those two are not counted,
// so that probes and scrapes do not dilute the error ratio a rollback monitor computes.
type Mux struct {
	mux      *http.ServeMux
	log      *slog.Logger
	requests *prometheus.CounterVec
}

// NewMux returns a Mux with its own metrics registry, so tests and several services in one
// process never share counters.
func NewMux(log *slog.Logger) *Mux {
	reg := prometheus.NewRegistry()
	m := &Mux{
		mux: http.NewServeMux(),
		log: log,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "http_requests_total",
			Help: "HTTP requests by route pattern, method and status code.",
		}, []string{"route", "method", "code"}),
	}
	reg.MustRegister(m.requests)
	m.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	m.mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	return m
}

// Handle registers h for a ServeMux pattern such as "POST /charge" or "GET /users/{id}".
func (m *Mux) Handle(pattern string, h HandlerFunc) {
	// The label is the route pattern, never the raw path, so ids in URLs cannot multiply series.
	route := pattern
	if _, path, ok := strings.Cut(pattern, " "); ok {
		route = path
	}
	m.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w}
		if err := h(sw, r); err != nil {
			m.writeError(sw, r, err)
		}
		m.requests.WithLabelValues(route, r.Method, strconv.Itoa(sw.code())).Inc()
	})
}

func (m *Mux) ServeHTTP(w http.ResponseWriter, r *http.Request) { m.mux.ServeHTTP(w, r) }

func (m *Mux) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var se *StatusError
	if !errors.As(err, &se) {
		se = &StatusError{Status: http.StatusInternalServerError, Message: "internal error", Err: err}
	}
	if se.Status >= 500 {
		m.log.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path,
			"status", se.Status, "err", err)
	}
	WriteJSON(w, se.Status, map[string]string{"error": se.Message})
}

// statusWriter remembers the status code for the request counter.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) code() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}
