package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/treaty-dev/treaty/broker"
)

type environmentBody struct {
	UUID        string           `json:"uuid"`
	Name        *string          `json:"name"`
	DisplayName string           `json:"displayName"`
	Production  *bool            `json:"production"`
	Contacts    []broker.Contact `json:"contacts"`
}

func (b environmentBody) environment() (broker.Environment, error) {
	v := &broker.ValidationError{}
	if b.Name == nil {
		v.Add("name", "is missing")
	}
	if b.Production == nil {
		v.Add("production", "is missing")
	}
	if err := v.Err(); err != nil {
		return broker.Environment{}, err
	}
	return broker.Environment{UUID: b.UUID, Name: *b.Name, DisplayName: b.DisplayName, Production: *b.Production, Contacts: b.Contacts}, nil
}

func (s *Server) listEnvironments(c *gin.Context) {
	envs, err := s.store.Environments(c.Request.Context(), c.Query("name"))
	if err != nil {
		_ = c.Error(err)
		return
	}
	u := s.urls(c)
	items := make([]obj, len(envs))
	links := make([]Link, len(envs))
	for i, e := range envs {
		items[i] = u.renderEnvironment(e)
		links[i] = Link{Href: u.environment(e.UUID), Title: "Environment", Name: e.Name}
	}
	render(c, http.StatusOK, obj{"_embedded": obj{"environments": items}, "_links": obj{
		"self":            Link{Href: u.path("environments"), Title: "Environments"},
		"pb:environments": links,
	}})
}

func (s *Server) createEnvironment(c *gin.Context) {
	var body environmentBody
	if err := s.decodeJSON(c, &body); err != nil {
		_ = c.Error(err)
		return
	}
	env, err := body.environment()
	if err != nil {
		_ = c.Error(err)
		return
	}
	env, err = s.store.CreateEnvironment(c.Request.Context(), env)
	if err != nil {
		_ = c.Error(err)
		return
	}
	u := s.urls(c)
	c.Header("Location", u.environment(env.UUID))
	render(c, http.StatusCreated, u.renderEnvironment(env))
}

func (s *Server) getEnvironment(c *gin.Context) {
	env, err := s.store.Environment(c.Request.Context(), c.Param("uuid"))
	if err != nil {
		_ = c.Error(err)
		return
	}
	render(c, http.StatusOK, s.urls(c).renderEnvironment(env))
}

// putEnvironment replaces an existing environment; it cannot create one.
func (s *Server) putEnvironment(c *gin.Context) {
	var body environmentBody
	if err := s.decodeJSON(c, &body); err != nil {
		_ = c.Error(err)
		return
	}
	env, err := body.environment()
	if err != nil {
		_ = c.Error(err)
		return
	}
	env, err = s.store.ReplaceEnvironment(c.Request.Context(), c.Param("uuid"), env)
	if err != nil {
		_ = c.Error(err)
		return
	}
	render(c, http.StatusOK, s.urls(c).renderEnvironment(env))
}

func (s *Server) deleteEnvironment(c *gin.Context) {
	if err := s.store.DeleteEnvironment(c.Request.Context(), c.Param("uuid")); err != nil {
		_ = c.Error(err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (u urls) renderEnvironment(e broker.Environment) obj {
	self := u.environment(e.UUID)
	contacts := e.Contacts
	if contacts == nil {
		contacts = []broker.Contact{}
	}
	o := obj{"uuid": e.UUID, "name": e.Name, "displayName": e.DisplayName, "production": e.Production, "contacts": contacts}
	timestamps(o, e.CreatedAt, e.UpdatedAt)
	o["_links"] = obj{
		"self": Link{Href: self, Title: "Environment", Name: e.Name},
		"pb:currently-deployed-deployed-versions": Link{Href: self + "/deployed-versions/currently-deployed",
			Title: "Versions currently deployed to " + e.DisplayName + " environment"},
		"pb:currently-supported-released-versions": Link{Href: self + "/released-versions/currently-supported",
			Title: "Versions released and supported in " + e.DisplayName + " environment"},
		"pb:environments": Link{Href: u.path("environments"), Title: "Environments"},
	}
	return o
}
