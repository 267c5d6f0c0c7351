package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/treaty-dev/treaty/broker"
)

func (s *Server) listBranches(c *gin.Context) {
	q, err := listQuery(c)
	if err != nil {
		_ = c.Error(err)
		return
	}
	p := c.Param("pacticipant")
	list, total, err := s.store.Branches(c.Request.Context(), p, q)
	if err != nil {
		_ = c.Error(err)
		return
	}
	u := s.urls(c)
	items := make([]obj, len(list))
	for i, b := range list {
		items[i] = u.renderBranch(b)
	}
	body := obj{"_embedded": obj{"branches": items}, "_links": obj{
		"self":           Link{Href: u.pacticipant(p) + "/branches", Title: p + " branches"},
		"pb:pacticipant": Link{Href: u.pacticipant(p), Title: "Pacticipant", Name: p},
	}}
	if q.Size > 0 {
		body["page"] = obj{"number": max(q.Page, 1), "size": q.Size, "totalElements": total, "totalPages": (total + q.Size - 1) / q.Size}
	}
	render(c, http.StatusOK, body)
}

func (s *Server) getBranch(c *gin.Context) {
	b, err := s.store.Branch(c.Request.Context(), c.Param("pacticipant"), c.Param("branch"))
	if err != nil {
		_ = c.Error(err)
		return
	}
	render(c, http.StatusOK, s.urls(c).renderBranch(b))
}

func (s *Server) deleteBranch(c *gin.Context) {
	if err := s.store.DeleteBranch(c.Request.Context(), c.Param("pacticipant"), c.Param("branch")); err != nil {
		_ = c.Error(err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (u urls) renderBranch(b broker.Branch) obj {
	self := u.branch(b.Pacticipant, b.Name)
	o := obj{"name": b.Name}
	timestamps(o, b.CreatedAt, b.UpdatedAt)
	links := obj{
		"self":              Link{Href: self, Title: "Branch", Name: b.Name},
		"pb:pacticipant":    Link{Href: u.pacticipant(b.Pacticipant), Title: "Pacticipant", Name: b.Pacticipant},
		"pb:latest-version": Link{Href: self + "/latest-version", Title: "Latest version for branch"},
	}
	if b.Head != "" {
		o["_embedded"] = obj{"latestVersion": obj{"number": b.Head, "_links": obj{"self": Link{Href: u.version(b.Pacticipant, b.Head), Name: b.Head}}}}
	}
	o["_links"] = links
	return o
}

func (u urls) renderBranchVersion(p string, bv broker.BranchVersion) obj {
	o := obj{"name": bv.Branch, "latest": bv.Latest, "createdAt": timestamp(bv.CreatedAt)}
	o["_links"] = obj{
		"self":       Link{Href: u.branchVersion(p, bv.Branch, bv.Version), Title: "Branch version", Name: bv.Branch},
		"pb:branch":  Link{Href: u.branch(p, bv.Branch), Title: "Branch", Name: bv.Branch},
		"pb:version": Link{Href: u.version(p, bv.Version), Title: "Version", Name: bv.Version},
	}
	return o
}

func (s *Server) getBranchVersion(c *gin.Context) {
	bv, err := s.store.BranchVersion(c.Request.Context(), c.Param("pacticipant"), c.Param("branch"), c.Param("version"))
	if err != nil {
		_ = c.Error(err)
		return
	}
	render(c, http.StatusOK, s.urls(c).renderBranchVersion(c.Param("pacticipant"), bv))
}

// putBranchVersion records that a version was built from a branch, creating the pacticipant,
// version and branch when missing. The verifier sends {} and expects a JSON body back.
func (s *Server) putBranchVersion(c *gin.Context) {
	var ignored map[string]any
	if err := s.decodeJSON(c, &ignored); err != nil {
		_ = c.Error(err)
		return
	}
	p := c.Param("pacticipant")
	bv, created, err := s.store.AddBranchVersion(c.Request.Context(), p, c.Param("branch"), c.Param("version"))
	if err != nil {
		_ = c.Error(err)
		return
	}
	render(c, createdOr(created), s.urls(c).renderBranchVersion(p, bv))
}

func (s *Server) deleteBranchVersion(c *gin.Context) {
	if err := s.store.DeleteBranchVersion(c.Request.Context(), c.Param("pacticipant"), c.Param("branch"), c.Param("version")); err != nil {
		_ = c.Error(err)
		return
	}
	c.Status(http.StatusNoContent)
}
