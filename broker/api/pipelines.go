package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/treaty-dev/treaty/broker"
	"github.com/treaty-dev/treaty/pipelines"
)

// pipelineRoutes registers Treaty's own JSON API of pipeline runs: the runs of each service
// with their steps, statuses, durations and log tails, written by `treaty pipeline run` as it
// goes; and the deploy locks, one lease per (service, environment).
func (s *Server) pipelineRoutes() {
	ps := s.pipelineStore()
	if ps == nil {
		return
	}
	g := s.engine.Group("/pipelines")
	g.GET("/runs", s.listRuns)
	g.POST("/runs", s.createRun)
	g.GET("/runs/:id", s.getRun)
	g.PATCH("/runs/:id", s.updateRun)
	g.PUT("/runs/:id/steps", s.recordStep)
	g.GET("/services/:service/runs", s.listRuns)
	g.GET("/locks", s.listLocks)
	g.PUT("/locks/:service/:environment", s.acquireLock)
	g.DELETE("/locks/:service/:environment", s.releaseLock)
}

func (s *Server) pipelineStore() pipelines.Store {
	ps, _ := s.store.(pipelines.Store)
	return ps
}

func runID(c *gin.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id < 1 {
		return 0, broker.NotFound("pipeline run %q", c.Param("id"))
	}
	return id, nil
}

func (s *Server) listRuns(c *gin.Context) {
	ctx := c.Request.Context()
	q := pipelines.RunQuery{Service: c.Param("service"), Status: pipelines.Status(c.Query("status"))}
	if q.Service == "" {
		q.Service = c.Query("service")
	}
	v := &broker.ValidationError{}
	if q.Status != "" && !q.Status.Valid() {
		v.Add("status", "%q is not a run status", q.Status)
	}
	if raw := c.Query("limit"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 || n > 500 {
			v.Add("limit", "must be a number from 1 to 500")
		}
		q.Limit = n
	}
	if raw := c.Query("before"); raw != "" {
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || n < 1 {
			v.Add("before", "must be a run id")
		}
		q.BeforeID = n
	}
	if err := v.Err(); err != nil {
		_ = c.Error(err)
		return
	}
	runs, err := s.pipelineStore().Runs(ctx, q)
	if err != nil {
		_ = c.Error(err)
		return
	}
	if runs == nil {
		runs = []pipelines.Run{}
	}
	render(c, http.StatusOK, obj{"runs": runs})
}

func (s *Server) createRun(c *gin.Context) {
	var r pipelines.Run
	if err := s.decodeJSON(c, &r); err != nil {
		_ = c.Error(err)
		return
	}
	r.ID, r.Steps = 0, nil
	out, err := s.pipelineStore().CreateRun(c.Request.Context(), r)
	if err != nil {
		_ = c.Error(err)
		return
	}
	render(c, http.StatusCreated, out)
}

func (s *Server) getRun(c *gin.Context) {
	id, err := runID(c)
	if err != nil {
		_ = c.Error(err)
		return
	}
	r, err := s.pipelineStore().Run(c.Request.Context(), id)
	if err != nil {
		_ = c.Error(err)
		return
	}
	render(c, http.StatusOK, r)
}

func (s *Server) updateRun(c *gin.Context) {
	id, err := runID(c)
	if err != nil {
		_ = c.Error(err)
		return
	}
	var r pipelines.Run
	if err := s.decodeJSON(c, &r, "application/json", "application/merge-patch+json"); err != nil {
		_ = c.Error(err)
		return
	}
	r.ID = id
	out, err := s.pipelineStore().UpdateRun(c.Request.Context(), r)
	if err != nil {
		_ = c.Error(err)
		return
	}
	render(c, http.StatusOK, out)
}

func (s *Server) recordStep(c *gin.Context) {
	id, err := runID(c)
	if err != nil {
		_ = c.Error(err)
		return
	}
	var st pipelines.StepRun
	if err := s.decodeJSON(c, &st); err != nil {
		_ = c.Error(err)
		return
	}
	out, err := s.pipelineStore().RecordStep(c.Request.Context(), id, st)
	if err != nil {
		_ = c.Error(err)
		return
	}
	render(c, http.StatusOK, out)
}

func (s *Server) listLocks(c *gin.Context) {
	locks, err := s.pipelineStore().Locks(c.Request.Context())
	if err != nil {
		_ = c.Error(err)
		return
	}
	if locks == nil {
		locks = []pipelines.Lock{}
	}
	render(c, http.StatusOK, obj{"locks": locks})
}

// lockBody asks for a lease: who holds it, and for how long (a Go duration, such as 2m).
type lockBody struct {
	Holder string `json:"holder"`
	TTL    string `json:"ttl"`
}

func (s *Server) acquireLock(c *gin.Context) {
	var body lockBody
	if err := s.decodeJSON(c, &body); err != nil {
		_ = c.Error(err)
		return
	}
	ttl, err := time.ParseDuration(body.TTL)
	if err != nil {
		_ = c.Error(broker.Invalid("ttl", "%q is not a duration such as 2m", body.TTL))
		return
	}
	l, err := s.pipelineStore().AcquireLock(c.Request.Context(), c.Param("service"), c.Param("environment"), body.Holder, ttl)
	if err != nil {
		_ = c.Error(err)
		return
	}
	render(c, http.StatusOK, l)
}

func (s *Server) releaseLock(c *gin.Context) {
	holder := c.Query("holder")
	if holder == "" {
		_ = c.Error(broker.Invalid("holder", "is missing: say whose lease to release (?holder=…)"))
		return
	}
	if err := s.pipelineStore().ReleaseLock(c.Request.Context(), c.Param("service"), c.Param("environment"), holder); err != nil {
		_ = c.Error(err)
		return
	}
	c.Status(http.StatusNoContent)
}
