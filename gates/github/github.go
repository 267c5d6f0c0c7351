// Package github makes GitHub environments enforce Treaty's gates, as a custom deployment
// protection rule. GitHub sends a deployment_protection_rule webhook when a job wants to
// deploy to a protected environment; Treaty checks the gate for the repository's pacticipant,
// the commit (the pacticipant version) and the environment, and answers on the
// deployment_callback_url with approved or rejected. A pending decision is not an answer:
// the request waits, and is looked at again when the decision's next check comes or a fact
// about the candidate is recorded.
package github

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/treaty-dev/treaty/broker"
)

// DefaultAPIURL is GitHub's REST API.
const DefaultAPIURL = "https://api.github.com"

// WaitKind names the gates' waits this package answers.
const WaitKind = "github"

// Config is the adapter's configuration.
type Config struct {
	// Secret is the webhook secret: every delivery must be signed with it.
	Secret string
	// Token authenticates the callbacks (an installation token of the GitHub App, or a
	// token allowed to review deployments).
	Token string
	// APIURL is GitHub's API; callback URLs anywhere else are refused, so the token never
	// leaves for another host.
	APIURL string
	// Repositories maps owner/name to a pacticipant, for repositories whose pacticipant's
	// repository URL does not name them.
	Repositories map[string]string
	// Environments maps a GitHub environment name to Treaty's, where they differ.
	Environments map[string]string
}

// APIBase is the configured API URL without a trailing slash.
func (c Config) APIBase() string {
	if c.APIURL == "" {
		return DefaultAPIURL
	}
	return strings.TrimRight(c.APIURL, "/")
}

// ErrSignature means a delivery was not signed with the configured secret.
var ErrSignature = fmt.Errorf("%w: the X-Hub-Signature-256 signature does not match the configured webhook secret", broker.ErrUnauthorized)

// VerifySignature checks GitHub's X-Hub-Signature-256 header, "sha256=" and the hex HMAC of
// the body, in constant time.
func VerifySignature(secret string, body []byte, header string) error {
	hexSig, ok := strings.CutPrefix(header, "sha256=")
	if secret == "" || !ok {
		return ErrSignature
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil {
		return ErrSignature
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	if !hmac.Equal(got, mac.Sum(nil)) {
		return ErrSignature
	}
	return nil
}

// Sign computes the X-Hub-Signature-256 header GitHub sends for a body.
func Sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// Repository is the part of a webhook's repository Treaty reads.
type Repository struct {
	FullName string `json:"full_name"`
	Name     string `json:"name"`
	HTMLURL  string `json:"html_url"`
	CloneURL string `json:"clone_url"`
	SSHURL   string `json:"ssh_url"`
	Owner    struct {
		Login string `json:"login"`
	} `json:"owner"`
}

// ProtectionRuleEvent is a deployment_protection_rule webhook.
type ProtectionRuleEvent struct {
	Action                string     `json:"action"`
	Environment           string     `json:"environment"`
	Event                 string     `json:"event"`
	Ref                   string     `json:"ref"`
	SHA                   string     `json:"sha"`
	DeploymentCallbackURL string     `json:"deployment_callback_url"`
	Repository            Repository `json:"repository"`
	Deployment            *struct {
		SHA     string `json:"sha"`
		Creator struct {
			Login string `json:"login"`
		} `json:"creator"`
	} `json:"deployment"`
	Installation *struct {
		ID int64 `json:"id"`
	} `json:"installation"`
}

// ParseProtectionRuleEvent reads and checks a deployment_protection_rule delivery; the
// callback URL must be on the configured API.
func ParseProtectionRuleEvent(body []byte, cfg Config) (ProtectionRuleEvent, error) {
	var ev ProtectionRuleEvent
	if err := json.Unmarshal(body, &ev); err != nil {
		return ev, broker.Invalid("body", "is not a deployment_protection_rule payload: %v", err)
	}
	if ev.SHA == "" && ev.Deployment != nil {
		ev.SHA = ev.Deployment.SHA
	}
	v := &broker.ValidationError{}
	if ev.Environment == "" {
		v.Add("environment", "is missing")
	}
	if ev.SHA == "" {
		v.Add("sha", "is missing")
	}
	if ev.Repository.FullName == "" {
		v.Add("repository.full_name", "is missing")
	}
	if err := checkCallbackURL(ev.DeploymentCallbackURL, cfg.APIBase()); err != nil {
		v.Add("deployment_callback_url", "%v", err)
	}
	return ev, v.Err()
}

func checkCallbackURL(raw, api string) error {
	u, err := url.Parse(raw)
	if raw == "" || err != nil || u.Host == "" {
		return errors.New("is missing or not a URL")
	}
	base, _ := url.Parse(api)
	if u.Scheme != base.Scheme || u.Host != base.Host || !strings.HasPrefix(u.Path, strings.TrimRight(base.Path, "/")+"/repos/") {
		return fmt.Errorf("%s is not on the configured GitHub API (%s): Treaty sends its token nowhere else", raw, api)
	}
	return nil
}

// Pacticipant finds the pacticipant of a repository: by the configured mapping, else by a
// pacticipant whose repository URL, or namespace and name, name the repository.
func Pacticipant(repo Repository, mapping map[string]string, pacticipants []broker.Pacticipant) (string, bool) {
	for full, name := range mapping {
		if strings.EqualFold(full, repo.FullName) {
			return name, true
		}
	}
	want := map[string]bool{}
	for _, u := range []string{repo.HTMLURL, repo.CloneURL, repo.SSHURL, "github.com/" + repo.FullName} {
		if n := normalRepoURL(u); n != "" {
			want[n] = true
		}
	}
	for _, p := range pacticipants {
		if n := normalRepoURL(p.RepositoryURL); n != "" && want[n] {
			return p.Name, true
		}
		if p.RepositoryNamespace != "" && p.RepositoryName != "" &&
			strings.EqualFold(p.RepositoryNamespace+"/"+p.RepositoryName, repo.FullName) {
			return p.Name, true
		}
	}
	return "", false
}

// normalRepoURL reduces https://github.com/o/r.git, git@github.com:o/r and github.com/o/r to
// one form.
func normalRepoURL(u string) string {
	u = strings.ToLower(strings.TrimSpace(u))
	if u == "" {
		return ""
	}
	for _, prefix := range []string{"https://", "http://", "ssh://", "git://", "git@"} {
		u = strings.TrimPrefix(u, prefix)
	}
	if i := strings.IndexByte(u, '@'); i >= 0 && i < strings.IndexByte(u+"/", '/') {
		u = u[i+1:] // user info
	}
	u = strings.Replace(u, ":", "/", 1)
	return strings.TrimSuffix(strings.TrimSuffix(u, "/"), ".git")
}

// Request is what a wait remembers of a protection rule request.
type Request struct {
	CallbackURL string `json:"callbackUrl"`
	// Environment is GitHub's name of the environment, which the callback must repeat.
	Environment string `json:"environmentName"`
	Repository  string `json:"repository"`
	SHA         string `json:"sha"`
	// Reject, when set, is why the request is rejected without a check (an unknown
	// repository or environment).
	Reject string `json:"reject,omitempty"`
}
