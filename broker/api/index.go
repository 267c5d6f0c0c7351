package api

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// index lists the relations the Pact clients look up before anything else. Browsers get the
// web pages' overview instead; HAL and JSON clients get HAL as always.
func (s *Server) index(c *gin.Context) {
	c.Header("Vary", "Accept")
	if wantsHTML(c.Request) {
		if pages := s.pages(); pages != nil {
			pages.Overview(c.Writer, c.Request)
			return
		}
	}
	b := s.baseURL(c)
	t := func(href, title string) Link { return Link{Href: b + href, Title: title, Templated: true} }
	l := func(href, title string) Link { return Link{Href: b + href, Title: title} }
	links := obj{
		"self":                                               l("", "Index"),
		"pb:publish-pact":                                    t("/pacts/provider/{provider}/consumer/{consumer}/version/{consumerApplicationVersion}", "Publish a pact"),
		"pb:publish-contracts":                               l("/contracts/publish", "Publish contracts"),
		"pb:latest-pact-versions":                            l("/pacts/latest", "Latest pact versions"),
		"pb:tagged-pact-versions":                            t("/pacts/provider/{provider}/consumer/{consumer}/tag/{tag}", "All versions of a pact for a given consumer, provider and consumer version tag"),
		"pb:branch-pact-versions":                            t("/pacts/provider/{provider}/consumer/{consumer}/branch/{branch}", "All versions of a pact for a given consumer, provider and consumer version branch"),
		"pb:latest-branch-pact-versions":                     t("/pacts/provider/{provider}/consumer/{consumer}/branch/{branch}/latest", "Latest version of a pact for a given consumer, provider and consumer version branch"),
		"pb:main-branch-pact-versions":                       t("/pacts/provider/{provider}/consumer/{consumer}/branch", "All versions of a pact for a given consumer, provider and the consumer's main branch"),
		"pb:latest-main-branch-pact-versions":                t("/pacts/provider/{provider}/consumer/{consumer}/branch/latest", "Latest version of a pact for a given consumer, provider and the consumer's main branch"),
		"pb:provider-pacts-with-main-branch":                 t("/pacts/provider/{provider}/branch", "All pacts for a provider from its consumers' main branches"),
		"pb:provider-pacts-with-branch":                      t("/pacts/provider/{provider}/branch/{branch}", "All pacts for a provider with a consumer version branch"),
		"pb:latest-provider-pacts-with-main-branch":          t("/pacts/provider/{provider}/branch/latest", "Latest pacts for a provider from its consumers' main branches"),
		"pb:latest-provider-pacts-with-branch":               t("/pacts/provider/{provider}/branch/{branch}/latest", "Latest pacts for a provider with a consumer version branch"),
		"pb:pacticipants":                                    l("/pacticipants", "Pacticipants"),
		"pb:pacticipant":                                     t("/pacticipants/{pacticipant}", "Fetch pacticipant by name"),
		"pb:latest-provider-pacts":                           t("/pacts/provider/{provider}/latest", "Latest pacts by provider"),
		"pb:latest-provider-pacts-with-tag":                  t("/pacts/provider/{provider}/latest/{tag}", "Latest pacts for provider with the specified tag"),
		"pb:provider-pacts-with-tag":                         t("/pacts/provider/{provider}/tag/{tag}", "All pact versions for the provider with the specified consumer version tag"),
		"pb:provider-pacts":                                  t("/pacts/provider/{provider}", "All pact versions for the specified provider"),
		"pb:latest-version":                                  t("/pacticipants/{pacticipant}/latest-version", "Latest pacticipant version"),
		"pb:latest-tagged-version":                           t("/pacticipants/{pacticipant}/latest-version/{tag}", "Latest pacticipant version with the specified tag"),
		"pb:webhooks":                                        l("/webhooks", "Webhooks"),
		"pb:webhook":                                         t("/webhooks/{uuid}", "Webhook"),
		"pb:integrations":                                    l("/integrations", "Integrations"),
		"pb:pacticipant-version-tag":                         t("/pacticipants/{pacticipant}/versions/{version}/tags/{tag}", "Get, create or delete a tag for a pacticipant version"),
		"pb:pacticipant-branch":                              t("/pacticipants/{pacticipant}/branches/{branch}", "Get or delete a pacticipant branch"),
		"pb:pacticipant-branch-version":                      t("/pacticipants/{pacticipant}/branches/{branch}/versions/{version}", "Get or add/create a pacticipant version for a branch"),
		"pb:pacticipant-version":                             t("/pacticipants/{pacticipant}/versions/{version}", "Get, create or delete a pacticipant version"),
		"pb:metrics":                                         l("/metrics", "Get Prometheus metrics"),
		"pb:can-i-deploy-pacticipant-version-to-tag":         t("/can-i-deploy?pacticipant={pacticipant}&version={version}&to={tag}", "Determine if an application version can be safely deployed to an environment identified by the given tag"),
		"pb:can-i-deploy-pacticipant-version-to-environment": t("/can-i-deploy?pacticipant={pacticipant}&version={version}&environment={environment}", "Determine if an application version can be safely deployed to an environment"),
		"pb:provider-pacts-for-verification":                 t("/pacts/provider/{provider}/for-verification", "Pact versions to be verified for the specified provider"),
		"beta:provider-pacts-for-verification":               Link{Href: b + "/pacts/provider/{provider}/for-verification", Name: "beta", Title: "DEPRECATED - please use pb:provider-pacts-for-verification", Templated: true},
		"pb:environments":                                    l("/environments", "Environments"),
		"pb:environment":                                     t("/environments/{uuid}", "Environment"),
		"pf:publish-provider-contract":                       t("/provider-contracts/provider/{provider}/publish", "Publish a provider contract (an OpenAPI document)"),
		"curies": []obj{
			{"name": "pb", "href": b + "/doc/{rel}?context=index", "templated": true},
			{"name": "beta", "href": b + "/doc/{rel}?context=index", "templated": true},
			{"name": "pf", "href": b + "/doc/{rel}?context=index", "templated": true},
		},
	}
	render(c, http.StatusOK, obj{"_links": links})
}

func (s *Server) healthz(c *gin.Context) { render(c, http.StatusOK, obj{"status": "ok"}) }

// readyz says whether this replica can serve: its database answers.
func (s *Server) readyz(c *gin.Context) {
	if err := s.store.Ping(c.Request.Context()); err != nil {
		s.log.WarnContext(c.Request.Context(), "not ready", "error", err)
		render(c, http.StatusServiceUnavailable, obj{"status": "unavailable", "error": "the database does not answer"})
		return
	}
	render(c, http.StatusOK, obj{"status": "ok"})
}
