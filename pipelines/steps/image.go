package steps

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/treaty-dev/treaty/broker/client"
	"github.com/treaty-dev/treaty/gates"
	"github.com/treaty-dev/treaty/pipelines"
	"github.com/treaty-dev/treaty/pipelines/image"
)

// layoutDir is where image-build leaves the image for image-push: an OCI layout under the
// repository's .treaty directory, one per service, so a resumed run or the next CI job finds
// it.
func layoutDir(sc *pipelines.StepContext) string {
	if l := sc.Str("layout"); l != "" {
		if filepath.IsAbs(l) {
			return l
		}
		return filepath.Join(sc.Dir, l)
	}
	return filepath.Join(sc.Vars["root"], ".treaty", "images", sc.Service)
}

// layoutLocks serialise the writes to one OCI layout in this process: its index is one file,
// rewritten whole by each save.
var layoutLocks sync.Map

func lockLayout(dir string) func() {
	mu, _ := layoutLocks.LoadOrStore(dir, &sync.Mutex{})
	mu.(*sync.Mutex).Lock()
	return mu.(*sync.Mutex).Unlock
}

func imageBuildStep() pipelines.Definition {
	return pipelines.Definition{
		Name:    "image-build",
		Summary: "builds the service into an OCI image without a daemon, tagged with the version (SERVICE:VERSION)",
		Fact:    gates.ResultBuild,
		Fields: []pipelines.Field{
			{Name: "package", Kind: pipelines.String, Doc: "the Go package of the service's main, relative to the step's directory (default .)"},
			{Name: "base", Kind: pipelines.String, Doc: "the image to build on (default: scratch)"},
			{Name: "args", Kind: pipelines.StringList, Doc: "the arguments the service runs with"},
			{Name: "env", Kind: pipelines.StringList, Doc: "KEY=VALUE variables of the image"},
			{Name: "ports", Kind: pipelines.StringList, Doc: "the ports the service listens on"},
			{Name: "source", Kind: pipelines.String, Doc: "the source repository's URL, for the image's labels"},
			{Name: "layout", Kind: pipelines.String, Doc: "the OCI layout directory the image is saved to (default $root/.treaty/images)"},
		},
		Run: func(ctx context.Context, sc *pipelines.StepContext) (pipelines.Result, error) {
			pkg := sc.Str("package")
			if pkg == "" {
				pkg = "."
			}
			opts := image.BuildOptions{Service: sc.Service, Package: pkg, Dir: sc.Dir, Commit: sc.Version, Source: sc.Str("source"),
				Base: sc.Str("base"), Args: sc.List("args"), Env: sc.List("env"), Stderr: sc.Out}
			for _, p := range sc.List("ports") {
				n, err := strconv.Atoi(p)
				if err != nil {
					return pipelines.Result{}, pipelines.Permanentf("ports: %q is not a port", p)
				}
				opts.Ports = append(opts.Ports, n)
			}
			img, err := image.Build(ctx, opts)
			if err != nil {
				return pipelines.Result{}, err
			}
			dir := layoutDir(sc)
			unlock := lockLayout(dir)
			err = image.Save(img, dir)
			unlock()
			if err != nil {
				return pipelines.Result{}, err
			}
			return pipelines.Result{Message: fmt.Sprintf("built %s (%s), saved in %s", img.Name(), img.Digest, dir)}, nil
		},
	}
}

func (d *Deps) imagePushStep() pipelines.Definition {
	return pipelines.Definition{
		Name:    "image-push",
		Summary: "pushes the image image-build made to a registry as HOST/SERVICE:VERSION, and records it, by digest, as the candidate's artifact",
		Fields: []pipelines.Field{
			{Name: "registry", Kind: pipelines.String, Required: true, Doc: "the registry host and optional path, such as 127.0.0.1:5000"},
			{Name: "username", Kind: pipelines.String, Doc: "the registry user"},
			{Name: "password", Kind: pipelines.String, Doc: "the registry password or token (use ${env.NAME})"},
			{Name: "insecure", Kind: pipelines.Bool, Doc: "speak plain HTTP to a registry that is not on loopback"},
			{Name: "layout", Kind: pipelines.String, Doc: "the OCI layout directory image-build saved the image to"},
		},
		Run: func(ctx context.Context, sc *pipelines.StepContext) (pipelines.Result, error) {
			c, err := d.client()
			if err != nil {
				return pipelines.Result{}, err
			}
			unlock := lockLayout(layoutDir(sc))
			img, err := image.Load(layoutDir(sc), sc.Service, sc.Version)
			unlock()
			if err != nil {
				return pipelines.Result{}, pipelines.Permanentf("%w (run the image-build step first)", err)
			}
			reg := image.Registry{Host: sc.Str("registry"), Username: sc.Str("username"), Password: sc.Str("password"), Insecure: sc.Str("insecure") == "true"}
			pushed, err := image.Push(ctx, img, reg)
			if err != nil {
				return pipelines.Result{}, err
			}
			ref := pushed.Pinned()
			if _, err := c.RecordArtifact(ctx, sc.Service, sc.Version, client.ArtifactRequest{Image: ref, Author: sc.Author}); err != nil {
				return pipelines.Result{}, err
			}
			repo, _, _ := strings.Cut(pushed.Ref, "@")
			if i := strings.LastIndexByte(repo, ':'); i > strings.LastIndexByte(repo, '/') {
				repo = repo[:i]
			}
			return pipelines.Result{Message: "pushed " + ref,
				Outputs: map[string]string{"image_ref": ref, "digest": pushed.Digest, "image": repo}}, nil
		},
	}
}
