package api

import (
	"io"
	"runtime/debug"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/treaty-dev/treaty/broker"
)

func (s *Server) routes() {
	e := s.engine
	e.Use(s.observe, gin.CustomRecoveryWithWriter(io.Discard, s.recovered), s.handleErrors, rejectUnreadableURLs, s.authenticate)
	e.NoRoute(notFoundHandler)
	e.NoMethod(func(c *gin.Context) {
		render(c, 405, obj{"error": "Method " + c.Request.Method + " is not allowed here"})
	})

	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.GET("/metrics", s.serveMetrics)
	e.GET("/", s.index)

	e.POST("/contracts/publish", s.publishContracts)

	pacts := e.Group("/pacts")
	pacts.GET("/latest", s.latestPacts)
	prov := pacts.Group("/provider/:provider")
	prov.GET("", s.providerPacts)
	prov.GET("/latest", s.providerPacts)
	prov.GET("/latest/:tag", s.providerPacts)
	prov.GET("/tag/:tag", s.providerPacts)
	prov.GET("/branch", s.providerPacts)
	prov.GET("/branch/latest", s.providerPacts)
	prov.GET("/branch/:branch", s.providerPacts)
	prov.GET("/branch/:branch/latest", s.providerPacts)
	prov.GET("/provider-states", s.providerStates)
	prov.GET("/for-verification", s.forVerificationLink)
	prov.POST("/for-verification", s.pactsForVerification)

	pair := prov.Group("/consumer/:consumer")
	pair.GET("/version/:version", s.getPact)
	pair.PUT("/version/:version", s.putPact)
	pair.PATCH("/version/:version", s.putPact)
	pair.DELETE("/version/:version", s.deletePact)
	pair.GET("/versions", s.pactVersions)
	pair.GET("/latest", s.getPact)
	pair.GET("/latest/:tag", s.getPact)
	pair.GET("/branch", s.providerPacts)
	pair.GET("/branch/latest", s.providerPacts)
	pair.GET("/branch/:branch", s.providerPacts)
	pair.GET("/branch/:branch/latest", s.getPact)
	pair.GET("/pact-version/:sha", s.getPact)
	pair.GET("/pact-version/:sha/metadata/:metadata", s.getPact)
	pair.POST("/pact-version/:sha/verification-results", s.publishVerification)
	pair.POST("/pact-version/:sha/metadata/:metadata/verification-results", s.publishVerification)
	pair.GET("/pact-version/:sha/verification-results/latest", s.getVerification)
	pair.GET("/pact-version/:sha/verification-results/:number", s.getVerification)
	pair.GET("/pact-version/:sha/metadata/:metadata/verification-results/:number", s.getVerification)
	// Deprecated aliases that older clients still use.
	e.PUT("/pact/provider/:provider/consumer/:consumer/version/:version", s.putPact)
	pair.PUT("/versions/:version", s.putPact)

	e.GET("/verification-results/consumer/:consumer/version/:version/latest", s.latestVerificationsForConsumerVersion)

	e.GET("/matrix", s.getMatrix)
	e.GET("/matrix/provider/:provider/consumer/:consumer", s.matrixForIntegration)
	e.GET("/can-i-deploy", s.canIDeploy)

	s.webhookRoutes()
	s.uiRoutes()
	s.gateRoutes()
	s.pipelineRoutes()
	s.providerContractRoutes()

	e.GET("/integrations", s.integrations)
	e.DELETE("/integrations/provider/:provider/consumer/:consumer", s.deleteIntegration)

	e.GET("/pacticipants", s.listPacticipants)
	e.POST("/pacticipants", s.createPacticipant)
	p := e.Group("/pacticipants/:pacticipant")
	p.GET("", s.getPacticipant)
	p.PATCH("", s.patchPacticipant)
	p.PUT("", s.putPacticipant)
	p.DELETE("", s.deletePacticipant)
	p.GET("/versions", s.listVersions)
	p.GET("/versions/:version", s.getVersion)
	p.PUT("/versions/:version", s.putVersion)
	p.PATCH("/versions/:version", s.putVersion)
	p.DELETE("/versions/:version", s.deleteVersion)
	p.GET("/latest-version", s.latestVersion)
	p.GET("/latest-version/:tag", s.latestVersion)
	p.GET("/latest-version/:tag/can-i-deploy/to/:to", s.canIDeployLatestTagged)
	p.GET("/branches/:branch/latest-version/can-i-deploy/to-environment/:environment", s.canIDeployBranchToEnvironment)
	p.GET("/versions/:version/tags/:tag", s.getTag)
	p.PUT("/versions/:version/tags/:tag", s.putTag)
	p.DELETE("/versions/:version/tags/:tag", s.deleteTag)
	p.GET("/branches", s.listBranches)
	p.GET("/branches/:branch", s.getBranch)
	p.DELETE("/branches/:branch", s.deleteBranch)
	p.GET("/branches/:branch/latest-version", s.latestVersion)
	p.GET("/branches/:branch/versions/:version", s.getBranchVersion)
	p.PUT("/branches/:branch/versions/:version", s.putBranchVersion)
	p.DELETE("/branches/:branch/versions/:version", s.deleteBranchVersion)
	p.GET("/versions/:version/deployed-versions/environment/:uuid", s.deployedVersionsOf)
	p.POST("/versions/:version/deployed-versions/environment/:uuid", s.recordDeployment)
	p.GET("/versions/:version/released-versions/environment/:uuid", s.releasedVersionsOf)
	p.POST("/versions/:version/released-versions/environment/:uuid", s.recordRelease)

	e.GET("/environments", s.listEnvironments)
	e.POST("/environments", s.createEnvironment)
	e.GET("/environments/:uuid", s.getEnvironment)
	e.PUT("/environments/:uuid", s.putEnvironment)
	e.DELETE("/environments/:uuid", s.deleteEnvironment)
	e.GET("/environments/:uuid/deployed-versions/currently-deployed", s.currentlyDeployed)
	e.GET("/environments/:uuid/released-versions/currently-supported", s.currentlySupported)
	e.GET("/deployed-versions/:uuid", s.getDeployedVersion)
	e.PATCH("/deployed-versions/:uuid", s.patchDeployedVersion)
	e.GET("/released-versions/:uuid", s.getReleasedVersion)
	e.PATCH("/released-versions/:uuid", s.patchReleasedVersion)
}

// recovered turns a panic into the same anonymous 500 as any other internal error.
func (s *Server) recovered(c *gin.Context, err any) {
	s.log.ErrorContext(c.Request.Context(), "panic serving request", "method", c.Request.Method, "path", c.Request.URL.Path, "panic", err, "stack", string(debug.Stack()))
	render(c, 500, obj{"error": obj{"message": "An error occurred", "reference": reference()}})
	c.Abort()
}

// rejectUnreadableURLs refuses URLs whose path or query holds a NUL byte or invalid UTF-8:
// no name can contain them, and PostgreSQL cannot even compare them.
func rejectUnreadableURLs(c *gin.Context) {
	bad := func(s string) bool { return strings.ContainsRune(s, 0) || !utf8.ValidString(s) }
	if bad(c.Request.URL.Path) {
		_ = c.Error(broker.Invalid("path", "the URL path contains a NUL byte or invalid UTF-8"))
		c.Abort()
		return
	}
	for k, vs := range c.Request.URL.Query() {
		for _, v := range vs {
			if bad(k) || bad(v) {
				_ = c.Error(broker.Invalid(k, "contains a NUL byte or invalid UTF-8"))
				c.Abort()
				return
			}
		}
	}
	c.Next()
}
