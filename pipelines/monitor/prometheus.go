package monitor

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
)

// Prometheus is a Source that asks a Prometheus server's HTTP API.
type Prometheus struct {
	address string
	api     promv1.API
}

// NewPrometheus returns a Source for the Prometheus at address (http://127.0.0.1:9090).
// rt may be nil for the default transport.
func NewPrometheus(address string, rt http.RoundTripper) (*Prometheus, error) {
	c, err := api.NewClient(api.Config{Address: address, RoundTripper: rt})
	if err != nil {
		return nil, fmt.Errorf("prometheus %q: %w", address, err)
	}
	return &Prometheus{address: address, api: promv1.NewAPI(c)}, nil
}

// Query runs an instant query at a time. A scalar gives one value; a vector its samples'
// values; a matrix every value of every series; a string is an error.
func (p *Prometheus) Query(ctx context.Context, query string, at time.Time) (Sample, error) {
	var opts []promv1.Option
	if d, ok := ctx.Deadline(); ok {
		// Prometheus parses the timeout as whole units ("999ms", "10s"), not as Go prints
		// a fraction ("999.998ms"), so it is truncated to a unit it reads.
		timeout := time.Until(d).Truncate(time.Millisecond)
		if timeout >= time.Second {
			timeout = timeout.Truncate(time.Second)
		}
		if timeout > 0 {
			opts = append(opts, promv1.WithTimeout(timeout))
		}
	}
	v, warnings, _, err := p.api.Query(ctx, query, at, opts...)
	s := Sample{Warnings: warnings}
	if err != nil {
		var opErr *net.OpError
		var perr *promv1.Error
		switch {
		case errors.As(err, &perr) && perr.Type == promv1.ErrBadData:
			return s, fmt.Errorf("prometheus %s rejected the query %q: %s", p.address, query, perr.Msg)
		case errors.As(err, &opErr):
			return s, fmt.Errorf("prometheus %s is unreachable: %w", p.address, err)
		}
		return s, fmt.Errorf("prometheus %s: query %q: %w", p.address, query, err)
	}
	switch v := v.(type) {
	case *model.Scalar:
		s.Values = []float64{float64(v.Value)}
	case model.Vector:
		for _, smp := range v {
			s.Values = append(s.Values, float64(smp.Value))
		}
	case model.Matrix:
		for _, series := range v {
			for _, pt := range series.Values {
				s.Values = append(s.Values, float64(pt.Value))
			}
		}
	default:
		return s, fmt.Errorf("prometheus %s: query %q gave a %s, want a number", p.address, query, v.Type())
	}
	return s, nil
}
