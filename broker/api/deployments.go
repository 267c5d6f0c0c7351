package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/treaty-dev/treaty/broker"
)

type deploymentBody struct {
	ApplicationInstance *string `json:"applicationInstance"`
	Target              *string `json:"target"`
}

// recordDeployment records that a version now runs in an environment, replacing the version
// that ran on the same application instance.
func (s *Server) recordDeployment(c *gin.Context) {
	var body deploymentBody
	if err := s.decodeJSON(c, &body); err != nil {
		_ = c.Error(err)
		return
	}
	instance := body.ApplicationInstance
	if instance == nil {
		instance = body.Target
	}
	if instance != nil && *instance == "" {
		instance = nil
	}
	d, err := s.store.RecordDeployment(c.Request.Context(), c.Param("pacticipant"), c.Param("version"), c.Param("uuid"), instance)
	if err != nil {
		_ = c.Error(err)
		return
	}
	u := s.urls(c)
	c.Header("Location", u.deployedVersion(d.UUID))
	render(c, http.StatusCreated, u.renderDeployed(d))
}

func (s *Server) deployedVersionsOf(c *gin.Context) {
	list, err := s.store.DeployedVersionsOf(c.Request.Context(), c.Param("pacticipant"), c.Param("version"), c.Param("uuid"))
	if err != nil {
		_ = c.Error(err)
		return
	}
	u := s.urls(c)
	render(c, http.StatusOK, obj{"_embedded": obj{"deployedVersions": u.renderDeployedList(list)},
		"_links": obj{"self": Link{Href: u.base + c.Request.URL.Path}}})
}

func (s *Server) currentlyDeployed(c *gin.Context) {
	ctx := c.Request.Context()
	env, err := s.store.Environment(ctx, c.Param("uuid"))
	if err != nil {
		_ = c.Error(err)
		return
	}
	f := broker.DeploymentFilter{Pacticipant: c.Query("pacticipant")}
	for _, key := range []string{"applicationInstance", "target"} {
		if v, ok := c.GetQuery(key); ok {
			f.InstanceSet = true
			if v != "" {
				f.Instance = &v
			}
		}
	}
	list, err := s.store.CurrentlyDeployed(ctx, env.UUID, f)
	if err != nil {
		_ = c.Error(err)
		return
	}
	u := s.urls(c)
	render(c, http.StatusOK, obj{"_embedded": obj{"deployedVersions": u.renderDeployedList(list)},
		"_links": obj{"self": Link{Href: u.environment(env.UUID) + "/deployed-versions/currently-deployed",
			Title: "Currently deployed versions for " + env.DisplayName}}})
}

func (s *Server) getDeployedVersion(c *gin.Context) {
	d, err := s.store.DeployedVersion(c.Request.Context(), c.Param("uuid"))
	if err != nil {
		_ = c.Error(err)
		return
	}
	render(c, http.StatusOK, s.urls(c).renderDeployed(d))
}

// patchDeployedVersion records an undeployment; a deployment cannot be brought back.
func (s *Server) patchDeployedVersion(c *gin.Context) {
	var body struct {
		CurrentlyDeployed *bool `json:"currentlyDeployed"`
	}
	if err := s.decodeJSON(c, &body, "application/merge-patch+json"); err != nil {
		_ = c.Error(err)
		return
	}
	ctx := c.Request.Context()
	if body.CurrentlyDeployed != nil && *body.CurrentlyDeployed {
		d, err := s.store.DeployedVersion(ctx, c.Param("uuid"))
		if err != nil {
			_ = c.Error(err)
			return
		}
		if !d.CurrentlyDeployed {
			_ = c.Error(statusError(http.StatusUnprocessableEntity, "currentlyDeployed", "A deployed version cannot be marked as currently deployed again once undeployed: record a new deployment"))
			return
		}
		render(c, http.StatusOK, s.urls(c).renderDeployed(d))
		return
	}
	var (
		d   broker.DeployedVersion
		err error
	)
	if body.CurrentlyDeployed == nil {
		d, err = s.store.DeployedVersion(ctx, c.Param("uuid"))
	} else {
		d, err = s.store.RecordUndeployment(ctx, c.Param("uuid"))
	}
	if err != nil {
		_ = c.Error(err)
		return
	}
	render(c, http.StatusOK, s.urls(c).renderDeployed(d))
}

func (u urls) renderDeployed(d broker.DeployedVersion) obj {
	var undeployed any
	if d.UndeployedAt != nil {
		undeployed = timestamp(*d.UndeployedAt)
	}
	return obj{
		"uuid":                d.UUID,
		"currentlyDeployed":   d.CurrentlyDeployed,
		"target":              d.ApplicationInstance,
		"applicationInstance": d.ApplicationInstance,
		"undeployedAt":        undeployed,
		"createdAt":           timestamp(d.CreatedAt),
		"_embedded":           u.embedRun(d.Pacticipant, d.Version, d.Environment),
		"_links":              obj{"self": Link{Href: u.deployedVersion(d.UUID)}},
	}
}

func (u urls) renderDeployedList(list []broker.DeployedVersion) []obj {
	out := make([]obj, len(list))
	for i, d := range list {
		out[i] = u.renderDeployed(d)
	}
	return out
}

// embedRun embeds the pacticipant, version and environment of a deployment or release.
func (u urls) embedRun(pacticipant, version string, env broker.Environment) obj {
	return obj{
		"pacticipant": obj{"name": pacticipant, "_links": obj{"self": Link{Href: u.pacticipant(pacticipant)}}},
		"version":     obj{"number": version, "_links": obj{"self": Link{Href: u.version(pacticipant, version), Title: "Version", Name: version}}},
		"environment": u.renderEnvironment(env),
	}
}

func (s *Server) recordRelease(c *gin.Context) {
	var ignored map[string]any
	if err := s.decodeJSON(c, &ignored); err != nil {
		_ = c.Error(err)
		return
	}
	r, created, err := s.store.RecordRelease(c.Request.Context(), c.Param("pacticipant"), c.Param("version"), c.Param("uuid"))
	if err != nil {
		_ = c.Error(err)
		return
	}
	u := s.urls(c)
	if created {
		c.Header("Location", u.releasedVersion(r.UUID))
	}
	render(c, createdOr(created), u.renderReleased(r))
}

func (s *Server) releasedVersionsOf(c *gin.Context) {
	list, err := s.store.ReleasedVersionsOf(c.Request.Context(), c.Param("pacticipant"), c.Param("version"), c.Param("uuid"))
	if err != nil {
		_ = c.Error(err)
		return
	}
	u := s.urls(c)
	render(c, http.StatusOK, obj{"_embedded": obj{"releasedVersions": u.renderReleasedList(list)},
		"_links": obj{"self": Link{Href: u.base + c.Request.URL.Path}}})
}

func (s *Server) currentlySupported(c *gin.Context) {
	ctx := c.Request.Context()
	env, err := s.store.Environment(ctx, c.Param("uuid"))
	if err != nil {
		_ = c.Error(err)
		return
	}
	list, err := s.store.CurrentlySupported(ctx, env.UUID, broker.ReleaseFilter{Pacticipant: c.Query("pacticipant"), Version: c.Query("version")})
	if err != nil {
		_ = c.Error(err)
		return
	}
	u := s.urls(c)
	render(c, http.StatusOK, obj{"_embedded": obj{"releasedVersions": u.renderReleasedList(list)},
		"_links": obj{"self": Link{Href: u.environment(env.UUID) + "/released-versions/currently-supported",
			Title: "Released versions currently supported in " + env.DisplayName}}})
}

func (s *Server) getReleasedVersion(c *gin.Context) {
	r, err := s.store.ReleasedVersion(c.Request.Context(), c.Param("uuid"))
	if err != nil {
		_ = c.Error(err)
		return
	}
	render(c, http.StatusOK, s.urls(c).renderReleased(r))
}

// patchReleasedVersion ends support for a released version (or re-supports it).
func (s *Server) patchReleasedVersion(c *gin.Context) {
	var body struct {
		CurrentlySupported *bool `json:"currentlySupported"`
	}
	if err := s.decodeJSON(c, &body, "application/merge-patch+json"); err != nil {
		_ = c.Error(err)
		return
	}
	ctx := c.Request.Context()
	r, err := s.store.ReleasedVersion(ctx, c.Param("uuid"))
	if err != nil {
		_ = c.Error(err)
		return
	}
	switch {
	case body.CurrentlySupported == nil:
	case !*body.CurrentlySupported:
		r, err = s.store.RecordSupportEnded(ctx, r.UUID)
	case !r.CurrentlySupported:
		r, _, err = s.store.RecordRelease(ctx, r.Pacticipant, r.Version, r.Environment.UUID)
	}
	if err != nil {
		_ = c.Error(err)
		return
	}
	render(c, http.StatusOK, s.urls(c).renderReleased(r))
}

func (u urls) renderReleased(r broker.ReleasedVersion) obj {
	var ended any
	if r.SupportEndedAt != nil {
		ended = timestamp(*r.SupportEndedAt)
	}
	return obj{
		"uuid":               r.UUID,
		"currentlySupported": r.CurrentlySupported,
		"supportEndedAt":     ended,
		"createdAt":          timestamp(r.CreatedAt),
		"_embedded":          u.embedRun(r.Pacticipant, r.Version, r.Environment),
		"_links":             obj{"self": Link{Href: u.releasedVersion(r.UUID)}},
	}
}

func (u urls) renderReleasedList(list []broker.ReleasedVersion) []obj {
	out := make([]obj, len(list))
	for i, r := range list {
		out[i] = u.renderReleased(r)
	}
	return out
}
