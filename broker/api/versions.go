package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/treaty-dev/treaty/broker"
)

func (s *Server) getVersion(c *gin.Context) {
	ctx := c.Request.Context()
	v, err := s.store.Version(ctx, c.Param("pacticipant"), c.Param("version"))
	if err != nil {
		_ = c.Error(err)
		return
	}
	envs, err := s.store.Environments(ctx, "")
	if err != nil {
		_ = c.Error(err)
		return
	}
	render(c, http.StatusOK, s.urls(c).renderVersion(v, envs))
}

// latestVersion answers latest-version, latest-version/{tag} and branches/{b}/latest-version.
func (s *Server) latestVersion(c *gin.Context) {
	ctx := c.Request.Context()
	v, err := s.store.LatestVersion(ctx, c.Param("pacticipant"), broker.VersionSelector{Tag: c.Param("tag"), Branch: c.Param("branch")})
	if err != nil {
		_ = c.Error(err)
		return
	}
	envs, err := s.store.Environments(ctx, "")
	if err != nil {
		_ = c.Error(err)
		return
	}
	render(c, http.StatusOK, s.urls(c).renderVersion(v, envs))
}

func (s *Server) listVersions(c *gin.Context) {
	q, err := listQuery(c)
	if err != nil {
		_ = c.Error(err)
		return
	}
	p := c.Param("pacticipant")
	list, total, err := s.store.Versions(c.Request.Context(), p, q)
	if err != nil {
		_ = c.Error(err)
		return
	}
	u := s.urls(c)
	items := make([]obj, len(list))
	links := make([]Link, len(list))
	for i, v := range list {
		items[i] = u.renderVersion(v, nil)
		links[i] = Link{Href: u.version(p, v.Number), Title: "Version", Name: v.Number}
	}
	body := obj{
		"_embedded": obj{"versions": items},
		"_links": obj{
			"self":           Link{Href: u.pacticipant(p) + "/versions", Title: "All application versions of " + p},
			"pb:pacticipant": Link{Href: u.pacticipant(p), Title: "Pacticipant", Name: p},
			"pb:versions":    links,
		},
	}
	if q.Size > 0 {
		body["page"] = obj{"number": max(q.Page, 1), "size": q.Size, "totalElements": total, "totalPages": (total + q.Size - 1) / q.Size}
	}
	render(c, http.StatusOK, body)
}

type versionBody struct {
	BuildURL *string `json:"buildUrl"`
	Tags     []struct {
		Name string `json:"name"`
	} `json:"tags"`
}

// putVersion creates a version or updates its build URL and tags (branches are set through
// the branch-version resource).
func (s *Server) putVersion(c *gin.Context) {
	ctx := c.Request.Context()
	types := []string{"application/json"}
	if c.Request.Method == http.MethodPatch {
		types = patchTypes
	}
	var body versionBody
	if err := s.decodeJSON(c, &body, types...); err != nil {
		_ = c.Error(err)
		return
	}
	patch := broker.VersionPatch{BuildURL: body.BuildURL}
	for _, t := range body.Tags {
		patch.Tags = append(patch.Tags, t.Name)
	}
	v, created, err := s.store.PutVersion(ctx, c.Param("pacticipant"), c.Param("version"), patch)
	if err != nil {
		_ = c.Error(err)
		return
	}
	envs, err := s.store.Environments(ctx, "")
	if err != nil {
		_ = c.Error(err)
		return
	}
	render(c, createdOr(created), s.urls(c).renderVersion(v, envs))
}

func (s *Server) deleteVersion(c *gin.Context) {
	if err := s.store.DeleteVersion(c.Request.Context(), c.Param("pacticipant"), c.Param("version")); err != nil {
		_ = c.Error(err)
		return
	}
	c.Status(http.StatusNoContent)
}

// renderVersion renders a version; envs, when given, become the record-deployment and
// record-release links the CLI picks by environment name.
func (u urls) renderVersion(v broker.Version, envs []broker.Environment) obj {
	self := u.version(v.Pacticipant, v.Number)
	o := obj{"number": v.Number, "buildUrl": nilIfEmpty(v.BuildURL)}
	timestamps(o, v.CreatedAt, v.UpdatedAt)
	branches := make([]obj, len(v.Branches))
	for i, b := range v.Branches {
		branches[i] = obj{"name": b.Branch, "latest": b.Latest, "_links": obj{"self": Link{
			Href: u.branchVersion(v.Pacticipant, b.Branch, v.Number), Title: "Branch version", Name: b.Branch}}}
	}
	tags := make([]obj, len(v.Tags))
	for i, t := range v.Tags {
		tags[i] = u.renderTag(t)
	}
	o["_embedded"] = obj{"branchVersions": branches, "branches": branches, "tags": tags}
	links := obj{
		"self":           Link{Href: self, Title: "Version", Name: v.Number},
		"pb:pacticipant": Link{Href: u.pacticipant(v.Pacticipant), Title: "Pacticipant", Name: v.Pacticipant},
		"pb:tag":         Link{Href: self + "/tags/{tag}", Title: "Get, create or delete a tag for this pacticipant version", Templated: true},
		"pb:latest-verification-results-where-pacticipant-is-consumer": Link{
			Href: u.path("verification-results", "consumer", seg(v.Pacticipant), "version", seg(v.Number), "latest"), Title: "Latest verification results for consumer version"},
	}
	deployed := []Link{}
	for _, d := range v.Deployments {
		deployed = append(deployed, Link{Href: u.deployedVersion(d.UUID), Title: "Deployed to " + d.Environment.DisplayName, Name: d.Environment.Name})
	}
	released := []Link{}
	for _, r := range v.Releases {
		released = append(released, Link{Href: u.releasedVersion(r.UUID), Title: "Released to " + r.Environment.DisplayName, Name: r.Environment.Name})
	}
	links["pb:deployed-environments"] = deployed
	links["pb:released-environments"] = released
	if envs != nil {
		record := make([]Link, len(envs))
		release := make([]Link, len(envs))
		for i, e := range envs {
			record[i] = Link{Href: self + "/deployed-versions/environment/" + seg(e.UUID), Title: "Record deployment to " + e.DisplayName, Name: e.Name}
			release[i] = Link{Href: self + "/released-versions/environment/" + seg(e.UUID), Title: "Record release to " + e.DisplayName, Name: e.Name}
		}
		links["pb:record-deployment"] = record
		links["pb:record-release"] = release
	}
	o["_links"] = links
	return o
}

func (u urls) renderTag(t broker.Tag) obj {
	return obj{"name": t.Name, "createdAt": timestamp(t.CreatedAt), "_links": obj{
		"self":           Link{Href: u.tag(t.Pacticipant, t.Version, t.Name), Title: "Tag", Name: t.Name},
		"pb:version":     Link{Href: u.version(t.Pacticipant, t.Version), Title: "Version", Name: t.Version},
		"pb:pacticipant": Link{Href: u.pacticipant(t.Pacticipant), Title: "Pacticipant", Name: t.Pacticipant},
	}}
}

func (s *Server) getTag(c *gin.Context) {
	t, err := s.store.Tag(c.Request.Context(), c.Param("pacticipant"), c.Param("version"), c.Param("tag"))
	if err != nil {
		_ = c.Error(err)
		return
	}
	render(c, http.StatusOK, s.urls(c).renderTag(t))
}

// putTag tags a version, creating the pacticipant and version when missing; the body is
// ignored, as clients send {} or {"name": …}.
func (s *Server) putTag(c *gin.Context) {
	var ignored map[string]any
	if err := s.decodeJSON(c, &ignored); err != nil {
		_ = c.Error(err)
		return
	}
	t, created, err := s.store.AddTag(c.Request.Context(), c.Param("pacticipant"), c.Param("version"), c.Param("tag"))
	if err != nil {
		_ = c.Error(err)
		return
	}
	u := s.urls(c)
	if created {
		c.Header("Location", u.tag(t.Pacticipant, t.Version, t.Name))
	}
	render(c, createdOr(created), u.renderTag(t))
}

func (s *Server) deleteTag(c *gin.Context) {
	if err := s.store.DeleteTag(c.Request.Context(), c.Param("pacticipant"), c.Param("version"), c.Param("tag")); err != nil {
		_ = c.Error(err)
		return
	}
	c.Status(http.StatusNoContent)
}
