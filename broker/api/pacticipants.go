package api

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/treaty-dev/treaty/broker"
)

// pacticipantBody is what clients send to create or change a pacticipant.
type pacticipantBody struct {
	Name                *string `json:"name"`
	DisplayName         *string `json:"displayName"`
	MainBranch          *string `json:"mainBranch"`
	RepositoryURL       *string `json:"repositoryUrl"`
	RepositoryName      *string `json:"repositoryName"`
	RepositoryNamespace *string `json:"repositoryNamespace"`
}

func (b pacticipantBody) patch() broker.PacticipantPatch {
	return broker.PacticipantPatch{Name: b.Name, DisplayName: b.DisplayName, MainBranch: b.MainBranch,
		RepositoryURL: b.RepositoryURL, RepositoryName: b.RepositoryName, RepositoryNamespace: b.RepositoryNamespace}
}

var patchTypes = []string{"application/json", "application/merge-patch+json"}

func (s *Server) listPacticipants(c *gin.Context) {
	q, err := listQuery(c)
	if err != nil {
		_ = c.Error(err)
		return
	}
	list, total, err := s.store.Pacticipants(c.Request.Context(), q)
	if err != nil {
		_ = c.Error(err)
		return
	}
	u := s.urls(c)
	items := make([]obj, len(list))
	deprecated := make([]obj, len(list))
	links := make([]Link, len(list))
	for i, p := range list {
		items[i] = u.renderPacticipant(p)
		deprecated[i] = u.renderPacticipant(p)
		deprecated[i]["title"] = "Pacticipant"
		links[i] = Link{Href: u.pacticipant(p.Name), Title: "Pacticipant", Name: p.Name}
	}
	body := obj{
		"_embedded":    obj{"pacticipants": items},
		"pacticipants": deprecated, // the Rust CLI's list-pacticipants reads this copy
		"_links": obj{
			"self":                       Link{Href: u.path("pacticipants")},
			"pb:pacticipants-with-label": Link{Href: u.path("pacticipants", "label", "{label}"), Templated: true},
			"pb:pacticipants":            links,
			"pacticipants":               links,
		},
	}
	if q.Size > 0 {
		body["page"] = obj{"number": max(q.Page, 1), "size": q.Size, "totalElements": total, "totalPages": (total + q.Size - 1) / q.Size}
	}
	render(c, http.StatusOK, body)
}

func (s *Server) createPacticipant(c *gin.Context) {
	var body pacticipantBody
	if err := s.decodeJSON(c, &body); err != nil {
		_ = c.Error(err)
		return
	}
	if body.Name == nil {
		_ = c.Error(broker.Invalid("name", "is missing"))
		return
	}
	name := *body.Name
	body.Name = nil
	p, err := s.store.CreatePacticipant(c.Request.Context(), name, body.patch())
	if err != nil {
		_ = c.Error(err)
		return
	}
	u := s.urls(c)
	c.Header("Location", u.pacticipant(p.Name))
	render(c, http.StatusCreated, u.renderPacticipant(p))
}

func (s *Server) getPacticipant(c *gin.Context) {
	p, err := s.store.Pacticipant(c.Request.Context(), c.Param("pacticipant"))
	if err != nil {
		_ = c.Error(err)
		return
	}
	render(c, http.StatusOK, s.urls(c).renderPacticipant(p))
}

func (s *Server) patchPacticipant(c *gin.Context) {
	var body pacticipantBody
	if err := s.decodeJSON(c, &body, patchTypes...); err != nil {
		_ = c.Error(err)
		return
	}
	p, created, err := s.store.PatchPacticipant(c.Request.Context(), c.Param("pacticipant"), body.patch())
	if err != nil {
		_ = c.Error(err)
		return
	}
	render(c, createdOr(created), s.urls(c).renderPacticipant(p))
}

func (s *Server) putPacticipant(c *gin.Context) {
	var body pacticipantBody
	if err := s.decodeJSON(c, &body); err != nil {
		_ = c.Error(err)
		return
	}
	p, err := s.store.ReplacePacticipant(c.Request.Context(), c.Param("pacticipant"), body.patch())
	if err != nil {
		_ = c.Error(err)
		return
	}
	render(c, http.StatusOK, s.urls(c).renderPacticipant(p))
}

func (s *Server) deletePacticipant(c *gin.Context) {
	if err := s.store.DeletePacticipant(c.Request.Context(), c.Param("pacticipant")); err != nil {
		_ = c.Error(err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (u urls) renderPacticipant(p broker.Pacticipant) obj {
	self := u.pacticipant(p.Name)
	o := obj{
		"name":                p.Name,
		"displayName":         orDefault(p.DisplayName, broker.DefaultDisplayName(p.Name)),
		"mainBranch":          nilIfEmpty(p.MainBranch),
		"repositoryUrl":       nilIfEmpty(p.RepositoryURL),
		"repositoryName":      nilIfEmpty(p.RepositoryName),
		"repositoryNamespace": nilIfEmpty(p.RepositoryNamespace),
	}
	timestamps(o, p.CreatedAt, p.UpdatedAt)
	embedded := obj{"labels": []obj{}}
	if p.LatestVersion != "" {
		latest := obj{"number": p.LatestVersion, "_links": obj{"self": Link{Href: u.version(p.Name, p.LatestVersion), Title: "Version", Name: p.LatestVersion}}}
		embedded["latestVersion"] = latest
		embedded["latest-version"] = latest
	}
	o["_embedded"] = embedded
	o["_links"] = obj{
		"self":           Link{Href: self, Title: "Pacticipant", Name: p.Name},
		"pb:versions":    Link{Href: self + "/versions"},
		"versions":       Link{Href: self + "/versions", Title: "Deprecated - use pb:versions"},
		"pb:branches":    Link{Href: self + "/branches"},
		"pb:version":     Link{Href: self + "/versions/{version}", Title: "Get, create or delete a pacticipant version", Templated: true},
		"pb:version-tag": Link{Href: self + "/versions/{version}/tags/{tag}", Title: "Get, create or delete a tag for a version of " + p.Name, Templated: true},
		"pb:branch-version": Link{Href: self + "/branches/{branch}/versions/{version}",
			Title: "Get or add/create a version for a branch of " + p.Name, Templated: true},
		"pb:latest-version": Link{Href: self + "/latest-version", Title: "Latest version"},
		"pb:label":          Link{Href: self + "/labels/{label}", Title: "Get, create or delete a label for " + p.Name, Templated: true},
		"pb:can-i-deploy-badge": Link{Href: self + "/latest-version/{tag}/can-i-deploy/to/{environment}/badge",
			Title: "Can I Deploy " + p.Name + " badge", Templated: true},
		"pb:can-i-deploy-branch-to-environment-badge": Link{Href: self + "/branches/{branch}/latest-version/can-i-deploy/to-environment/{environment}/badge",
			Title: "Can I Deploy " + p.Name + " from branch to environment badge", Templated: true},
	}
	return o
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func createdOr(created bool) int {
	if created {
		return http.StatusCreated
	}
	return http.StatusOK
}

// listQuery reads the page, size and q parameters.
func listQuery(c *gin.Context) (broker.ListQuery, error) {
	q := broker.ListQuery{Q: c.Query("q")}
	for _, p := range []struct {
		name string
		dst  *int
	}{{"page", &q.Page}, {"size", &q.Size}} {
		raw := c.Query(p.name)
		if raw == "" {
			continue
		}
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 || n > 100000 {
			return q, broker.Invalid(p.name, "must be a whole number from 1 to 100000")
		}
		*p.dst = n
	}
	if q.Page > 0 && q.Size == 0 {
		q.Size = 100
	}
	return q, nil
}
