package api

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/treaty-dev/treaty/broker"
)

// matrixQuery reads GET /matrix's parameters.
func matrixQuery(raw string) (broker.MatrixQuery, error) {
	rq := parseRackQuery(raw)
	q := broker.MatrixQuery{LatestBy: rq.get("latestby"), Tag: rq.get("tag"), Branch: rq.get("branch"), Environment: rq.get("environment")}
	var errs broker.QueryErrors
	var err error
	if q.Latest, err = parseBool(rq.get("latest")); err != nil {
		errs = append(errs, "latest must be true or false")
	}
	if q.MainBranch, err = parseBool(rq.get("mainBranch")); err != nil {
		errs = append(errs, "mainBranch must be true or false")
	}
	for _, h := range rq.hashes["q"] {
		sel := broker.Selector{Pacticipant: h["pacticipant"], Version: h["version"], Tag: h["tag"], Branch: h["branch"], Environment: h["environment"]}
		if sel.Latest, err = parseBool(h["latest"]); err != nil {
			errs = append(errs, "latest must be true or false")
		}
		if sel.MainBranch, err = parseBool(h["mainBranch"]); err != nil {
			errs = append(errs, "mainBranch must be true or false")
		}
		q.Selectors = append(q.Selectors, sel)
	}
	q.Ignore = ignoreSelectors(rq)
	for _, s := range rq.values["success[]"] {
		switch s {
		case "true", "false":
			b := s == "true"
			q.Success = append(q.Success, &b)
		case "":
			q.Success = append(q.Success, nil)
		default:
			errs = append(errs, "success[] must be true, false or empty")
		}
	}
	if l := rq.get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 {
			errs = append(errs, "limit must be a whole number of at least 1")
		}
		q.Limit = n
	}
	if len(errs) > 0 {
		return q, errs
	}
	return q, nil
}

// ignoreSelectors accepts both ignore[]=Name and ignore[][pacticipant]=Name&ignore[][version]=V.
func ignoreSelectors(rq rackQuery) []broker.IgnoreSelector {
	var out []broker.IgnoreSelector
	for _, name := range rq.values["ignore[]"] {
		out = append(out, broker.IgnoreSelector{Pacticipant: name})
	}
	for _, h := range rq.hashes["ignore"] {
		out = append(out, broker.IgnoreSelector{Pacticipant: h["pacticipant"], Version: h["version"]})
	}
	return out
}

func parseBool(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "", "false":
		return false, nil
	case "true":
		return true, nil
	}
	return false, broker.ErrInvalid
}

func (s *Server) getMatrix(c *gin.Context) {
	q, err := matrixQuery(c.Request.URL.RawQuery)
	if err != nil {
		_ = c.Error(err)
		return
	}
	s.answerMatrix(c, q)
}

// canIDeploy answers GET /can-i-deploy?pacticipant=&version=&environment= (or to=TAG).
func (s *Server) canIDeploy(c *gin.Context) {
	rq := parseRackQuery(c.Request.URL.RawQuery)
	v := &broker.ValidationError{}
	pacticipant, version, env, to := rq.get("pacticipant"), rq.get("version"), rq.get("environment"), rq.get("to")
	if pacticipant == "" {
		v.Add("pacticipant", "is missing")
	}
	if version == "" {
		v.Add("version", "is missing")
	}
	if (env == "") == (to == "") {
		v.Add("environment", "specify exactly one of environment or to")
	}
	if err := v.Err(); err != nil {
		_ = c.Error(err)
		return
	}
	q := broker.MatrixQuery{Selectors: []broker.Selector{{Pacticipant: pacticipant, Version: version}}, Ignore: ignoreSelectors(rq)}
	if env != "" {
		q.Environment, q.LatestBy = env, broker.LatestByCVPV
	} else {
		q.Tag, q.Latest, q.LatestBy = to, true, broker.LatestByCVP
	}
	s.answerMatrix(c, q)
}

// canIDeployLatestTagged answers /pacticipants/{p}/latest-version/{tag}/can-i-deploy/to/{to}.
func (s *Server) canIDeployLatestTagged(c *gin.Context) {
	q := broker.MatrixQuery{
		Selectors: []broker.Selector{{Pacticipant: c.Param("pacticipant"), Latest: true, Tag: c.Param("tag")}},
		Tag:       c.Param("to"), Latest: true, LatestBy: broker.LatestByCVP,
	}
	s.answerMatrix(c, q)
}

// canIDeployBranchToEnvironment answers
// /pacticipants/{p}/branches/{b}/latest-version/can-i-deploy/to-environment/{env}.
func (s *Server) canIDeployBranchToEnvironment(c *gin.Context) {
	q := broker.MatrixQuery{
		Selectors:   []broker.Selector{{Pacticipant: c.Param("pacticipant"), Latest: true, Branch: c.Param("branch")}},
		Environment: c.Param("environment"), LatestBy: broker.LatestByCVPV,
	}
	s.answerMatrix(c, q)
}

// matrixForIntegration answers /matrix/provider/{p}/consumer/{c}.
func (s *Server) matrixForIntegration(c *gin.Context) {
	rq := parseRackQuery(c.Request.URL.RawQuery)
	q := broker.MatrixQuery{
		Selectors: []broker.Selector{{Pacticipant: c.Param("consumer")}, {Pacticipant: c.Param("provider")}},
		LatestBy:  rq.get("latestby"),
	}
	s.answerMatrix(c, q)
}

func (s *Server) answerMatrix(c *gin.Context, q broker.MatrixQuery) {
	res, err := broker.Matrix(c.Request.Context(), s.store, q)
	if err != nil {
		_ = c.Error(err)
		return
	}
	render(c, http.StatusOK, s.urls(c).renderMatrix(res))
}

// The matrix answer is the hottest response the broker renders, so it has typed structs
// rather than maps: encoding them allocates far less.
type matrixResponse struct {
	Summary matrixSummary   `json:"summary"`
	Notices []broker.Notice `json:"notices"`
	Matrix  []matrixRowJSON `json:"matrix"`
	Links   selfLink        `json:"_links"`
}

type matrixSummary struct {
	Deployable *bool  `json:"deployable"`
	Reason     string `json:"reason"`
	Success    int    `json:"success"`
	Failed     int    `json:"failed"`
	Unknown    int    `json:"unknown"`
	Ignored    *int   `json:"ignored,omitempty"`
}

type selfLink struct {
	Self Link `json:"self"`
}

type matrixParty struct {
	Name    string         `json:"name"`
	Version *matrixVersion `json:"version"`
	Links   selfLink       `json:"_links"`
}

type matrixVersion struct {
	Number    string   `json:"number"`
	CreatedAt string   `json:"createdAt"`
	Links     selfLink `json:"_links"`
}

type matrixPactJSON struct {
	CreatedAt string   `json:"createdAt"`
	Links     selfLink `json:"_links"`
}

type matrixVerificationJSON struct {
	Success    bool     `json:"success"`
	VerifiedAt string   `json:"verifiedAt"`
	Links      selfLink `json:"_links"`
}

type matrixRowJSON struct {
	Consumer           matrixParty             `json:"consumer"`
	Provider           matrixParty             `json:"provider"`
	Pact               matrixPactJSON          `json:"pact"`
	VerificationResult *matrixVerificationJSON `json:"verificationResult"`
	VerificationType   string                  `json:"verificationType,omitempty"`
	Ignored            bool                    `json:"ignored,omitempty"`
}

func (u urls) renderMatrix(res *broker.MatrixResult) matrixResponse {
	out := matrixResponse{
		Summary: matrixSummary{Deployable: res.Deployable, Reason: res.Reason(), Success: res.Counts.Success,
			Failed: res.Counts.Failed, Unknown: res.Counts.Unknown, Ignored: res.Counts.Ignored},
		Notices: res.Notices,
		Matrix:  make([]matrixRowJSON, len(res.Rows)),
		Links:   selfLink{Self: Link{Href: u.path("matrix")}},
	}
	if out.Notices == nil {
		out.Notices = []broker.Notice{}
	}
	for i, r := range res.Rows {
		out.Matrix[i] = u.renderMatrixRow(r)
	}
	return out
}

func (u urls) renderMatrixRow(r broker.MatrixRow) matrixRowJSON {
	version := func(pacticipant string, v *broker.VersionRef) *matrixVersion {
		if v == nil {
			return nil
		}
		return &matrixVersion{Number: v.Number, CreatedAt: timestamp(v.CreatedAt), Links: selfLink{Self: Link{Href: u.version(pacticipant, v.Number)}}}
	}
	row := matrixRowJSON{
		Consumer: matrixParty{Name: r.Consumer, Version: version(r.Consumer, &r.ConsumerVersion), Links: selfLink{Self: Link{Href: u.pacticipant(r.Consumer)}}},
		Provider: matrixParty{Name: r.Provider, Version: version(r.Provider, r.ProviderVersion), Links: selfLink{Self: Link{Href: u.pacticipant(r.Provider)}}},
		Pact: matrixPactJSON{CreatedAt: timestamp(r.Pact.CreatedAt), Links: selfLink{Self: Link{
			Href: u.pactVersion(r.Consumer, r.Provider, r.ConsumerVersion.Number)}}},
		Ignored: r.Ignored,
	}
	switch v := r.Verification; {
	case v == nil:
	case v.IsBidirectional():
		row.VerificationResult = &matrixVerificationJSON{Success: v.Success, VerifiedAt: timestamp(v.VerifiedAt), Links: selfLink{Self: Link{
			Href: u.bidirectionalResult(r.Consumer, r.Provider, v.ProviderVersion.Number, r.Pact.SHA)}}}
		row.VerificationType = broker.VerificationBidirectional
	default:
		row.VerificationResult = &matrixVerificationJSON{Success: v.Success, VerifiedAt: timestamp(v.VerifiedAt), Links: selfLink{Self: Link{
			Href: u.pactBySHA(r.Consumer, r.Provider, r.Pact.SHA) + "/verification-results/" + strconv.FormatInt(v.ID, 10)}}}
		row.VerificationType = broker.VerificationPact
	}
	return row
}
