package steps

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/treaty-dev/treaty/pipelines"
	"github.com/treaty-dev/treaty/pipelines/deploy"
	"github.com/treaty-dev/treaty/pipelines/image"
)

// registerDeployers adds the deployers of pipelines/deploy.
func registerDeployers(reg *pipelines.Registry) {
	reg.RegisterDeployer(pipelines.DeployerDefinition{
		Name:    "gitops",
		Summary: "commits the new image to a config repository (kustomize images:, Helm values or plain manifests) and pushes, never forcing",
		Fields: []pipelines.Field{
			{Name: "repo", Kind: pipelines.String, Required: true, Doc: "the config repository: a URL or a path, such as a bare repository on disk"},
			{Name: "branch", Kind: pipelines.String, Doc: "the branch deployments are committed to (default main)"},
			{Name: "file", Kind: pipelines.String, Required: true, Doc: "the file that deploys the service, such as envs/${environment}/kustomization.yaml"},
			{Name: "kind", Kind: pipelines.String, Doc: "kustomize (default), helm-values or manifest"},
			{Name: "image", Kind: pipelines.String, Doc: "the image name to find in the file (default: the service's name)"},
			{Name: "container", Kind: pipelines.String, Doc: "for manifest: only containers of this name"},
		},
		New: func(cfg pipelines.DeployConfig) (deploy.Deployer, error) { return NewGitOps(cfg) },
	})
	reg.RegisterDeployer(pipelines.DeployerDefinition{
		Name:    "command",
		Summary: "runs a program that reads the deployment request as JSON on its input and answers with JSON: the escape hatch",
		Fields: []pipelines.Field{
			{Name: "run", Kind: pipelines.String, Required: true, Doc: "the program's command line (sh -c)"},
			{Name: "env", Kind: pipelines.StringList, Doc: "KEY=VALUE variables for it"},
			{Name: "timeout", Kind: pipelines.Duration, Doc: "how long one call may take (default 5m)"},
		},
		New: newCommand,
	})
	reg.RegisterDeployer(pipelines.DeployerDefinition{
		Name:    "local",
		Summary: "runs the image's binary as local processes behind a reverse proxy, replaced one by one: a rolling update on one machine",
		Fields: []pipelines.Field{
			{Name: "listen", Kind: pipelines.String, Required: true, Doc: "the proxy's address, such as 127.0.0.1:8081"},
			{Name: "replicas", Kind: pipelines.Int, Doc: "how many processes serve (default 2)"},
			{Name: "health", Kind: pipelines.String, Doc: "the path a process answers 200 to once up (default /healthz)"},
			{Name: "env", Kind: pipelines.StringList, Doc: "KEY=VALUE variables of each process; {addr} and {port} are its own"},
			{Name: "args", Kind: pipelines.StringList, Doc: "the processes' arguments, instead of the image's"},
		},
		New: newLocal,
	})
}

func withStr(cfg pipelines.DeployConfig, k string) string { s, _ := cfg.With[k].(string); return s }

func withList(cfg pipelines.DeployConfig, k string) []string {
	l, _ := cfg.With[k].([]string)
	return l
}

func newCommand(cfg pipelines.DeployConfig) (deploy.Deployer, error) {
	c := &deploy.Command{Path: "sh", Args: []string{"-c", withStr(cfg, "run")}, Env: withList(cfg, "env"), Dir: cfg.Dir}
	if t := withStr(cfg, "timeout"); t != "" {
		d, err := time.ParseDuration(t)
		if err != nil {
			return nil, fmt.Errorf("timeout %q: %w", t, err)
		}
		c.Timeout = d
	}
	return c, nil
}

// The local deployer's processes outlive a run (a rollback must find them), so this process
// has one, shared by every service and environment it deploys.
var (
	localOnce   sync.Once
	local       *deploy.Local
	localConfig sync.Map // service/environment → pipelines.DeployConfig
)

func newLocal(cfg pipelines.DeployConfig) (deploy.Deployer, error) {
	if r := withStr(cfg, "replicas"); r != "" {
		if n, err := strconv.Atoi(r); err != nil || n < 1 {
			return nil, fmt.Errorf("replicas %q: want a number above 0", r)
		}
	}
	localConfig.Store(cfg.Service+"/"+cfg.Environment, cfg)
	localOnce.Do(func() {
		cache := filepath.Join(os.TempDir(), "treaty-local")
		local = &deploy.Local{
			Listen: func(service, env string) string {
				c, _ := localConfig.Load(service + "/" + env)
				return withStr(c.(pipelines.DeployConfig), "listen")
			},
			Resolve: func(ctx context.Context, req deploy.Request) (deploy.Release, error) {
				c, _ := localConfig.Load(req.Service + "/" + req.Environment)
				cfg := c.(pipelines.DeployConfig)
				u, err := image.Unpack(ctx, req.Image, filepath.Join(cache, req.Service), image.Registry{})
				if err != nil {
					return deploy.Release{}, err
				}
				rel := deploy.Release{Binary: u.Binary, Args: u.Args, Env: append(u.Env, withList(cfg, "env")...), Dir: cfg.Dir}
				if args := withList(cfg, "args"); len(args) > 0 {
					rel.Args = args
				}
				return rel, nil
			},
			HealthPath: withStr(cfg, "health"),
		}
		if r, err := strconv.Atoi(withStr(cfg, "replicas")); err == nil {
			local.Replicas = r
		}
	})
	return local, nil
}

// NewGitOps is the gitops deployer a stage's deploy section describes.
func NewGitOps(cfg pipelines.DeployConfig) (*deploy.GitOps, error) {
	str := func(k string) string { s, _ := cfg.With[k].(string); return s }
	kind := deploy.ManifestKind(str("kind"))
	switch kind {
	case "":
		kind = deploy.Kustomize
	case deploy.Kustomize, deploy.HelmValues, deploy.Manifest:
	default:
		return nil, fmt.Errorf("kind %q is not kustomize, helm-values or manifest", kind)
	}
	repo := str("repo")
	if repo == "" {
		return nil, fmt.Errorf("the config repository (repo) is empty: set it, or the variable or environment variable it names")
	}
	// A relative path names a repository beside the spec; URLs are left as they are.
	if !strings.Contains(repo, "://") && !filepath.IsAbs(repo) {
		repo = filepath.Join(cfg.Dir, repo)
	}
	return &deploy.GitOps{Repo: repo, Branch: str("branch"), Targets: []deploy.Target{{
		Service: cfg.Service, Environment: cfg.Environment, File: str("file"), Kind: kind, Image: str("image"), Container: str("container"),
	}}}, nil
}
