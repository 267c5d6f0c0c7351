package image

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// OCI annotation and label keys the images carry
// (https://github.com/opencontainers/image-spec/blob/main/annotations.md).
const (
	LabelRevision   = "org.opencontainers.image.revision"
	LabelSource     = "org.opencontainers.image.source"
	LabelCreated    = "org.opencontainers.image.created"
	LabelTitle      = "org.opencontainers.image.title"
	LabelBaseName   = "org.opencontainers.image.base.name"
	LabelBaseDigest = "org.opencontainers.image.base.digest"
)

// BinDir is where the service's binary goes in the image.
const BinDir = "/usr/local/bin"

// BuildOptions say what to build and how to run it.
type BuildOptions struct {
	// Service names the image repository and the binary: order-service.
	Service string
	// Package is the Go package of the service's main, as go build takes it
	// ("./examples/order-service"), relative to Dir.
	Package string
	// Dir is where go build runs: the module (or a directory in it). Default ".".
	Dir string
	// Commit is the source revision: the image's tag and its revision label. Required.
	Commit string
	// Source is the source repository's URL, for the source label.
	Source string
	// Created is the image's creation time; the zero value means now. Give the commit's time
	// and the same commit builds the same digest again.
	Created time.Time

	// Base is the image to build on, pulled from its registry; "" builds FROM scratch.
	Base string
	// BaseOptions are for pulling the base (credentials, transport).
	BaseOptions []remote.Option
	// Platform is the target, "linux/amd64" when zero: GOOS/GOARCH for the build and the
	// platform chosen from a multi-platform base.
	Platform v1.Platform

	// Args are the default arguments after the entrypoint (the image's Cmd).
	Args []string
	// Env are extra KEY=VALUE variables.
	Env []string
	// Ports are the ports the service listens on, exposed as PORT/tcp.
	Ports []int
	// Labels are extra labels; the revision, source and created labels are always set.
	Labels map[string]string
	// User runs the service; default "65534:65534" (nobody), so a scratch image has no root.
	User string

	// Go is the go command; default "go" from PATH.
	Go string
	// BuildFlags are extra go build flags, such as -tags.
	BuildFlags []string
	// Stderr receives go build's output as it runs; nil keeps it for the error only.
	Stderr io.Writer
}

// Image is a built image that is not necessarily in any registry yet.
type Image struct {
	Service string
	// Tag is the commit id: Name is SERVICE:TAG.
	Tag string
	// Digest is the manifest's digest, the identity every registry will report.
	Digest v1.Hash
	// Image is the image itself, for Push and for inspection.
	Image v1.Image
}

// Name is the image's repository-relative name, SERVICE:TAG (order-service:a3f9c21).
func (i *Image) Name() string { return i.Service + ":" + i.Tag }

var (
	serviceName = regexp.MustCompile(`^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$`)
	tagName     = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
)

func (o *BuildOptions) validate() error {
	var problems []string
	if !serviceName.MatchString(o.Service) {
		problems = append(problems, fmt.Sprintf("service %q: want a lower-case image name such as order-service", o.Service))
	}
	if !tagName.MatchString(o.Commit) {
		problems = append(problems, fmt.Sprintf("commit %q: want a commit id usable as an image tag, such as a3f9c21", o.Commit))
	}
	if o.Package == "" {
		problems = append(problems, "package: required, the Go package of the service's main (./cmd/order-service)")
	}
	for _, p := range o.Ports {
		if p <= 0 || p > 65535 {
			problems = append(problems, fmt.Sprintf("port %d: want 1 to 65535", p))
		}
	}
	for _, e := range o.Env {
		if k, _, ok := strings.Cut(e, "="); !ok || k == "" {
			problems = append(problems, fmt.Sprintf("env %q: want KEY=VALUE", e))
		}
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// Build compiles the service and assembles its image. It changes nothing outside a
// temporary directory and needs no daemon; only a Base is fetched from its registry.
func Build(ctx context.Context, opts BuildOptions) (*Image, error) {
	if err := opts.validate(); err != nil {
		return nil, fmt.Errorf("build image: %w", err)
	}
	wrap := func(err error) error { return fmt.Errorf("build image %s:%s: %w", opts.Service, opts.Commit, err) }
	if opts.Platform.OS == "" {
		opts.Platform = v1.Platform{OS: "linux", Architecture: "amd64"}
	}
	created := opts.Created
	if created.IsZero() {
		created = time.Now()
	}
	created = created.UTC().Truncate(time.Second)

	tmp, err := os.MkdirTemp("", "treaty-image-")
	if err != nil {
		return nil, wrap(err)
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, opts.Service)
	if err := compile(ctx, opts, bin); err != nil {
		return nil, wrap(err)
	}
	layer, err := binaryLayer(bin, path.Join(BinDir, opts.Service), created)
	if err != nil {
		return nil, wrap(err)
	}

	base, baseAnn, err := baseImage(ctx, opts)
	if err != nil {
		return nil, wrap(err)
	}
	img, err := mutate.Append(base, mutate.Addendum{
		Layer:     layer,
		MediaType: types.OCILayer,
		History: v1.History{
			Created:   v1.Time{Time: created},
			CreatedBy: fmt.Sprintf("treaty: go build %s (CGO_ENABLED=0) → %s/%s", opts.Package, BinDir, opts.Service),
			Comment:   "revision " + opts.Commit,
		},
	})
	if err != nil {
		return nil, wrap(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, wrap(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Variant = opts.Platform.OS, opts.Platform.Architecture, opts.Platform.Variant
	cf.Created = v1.Time{Time: created}
	cf.Config.Entrypoint = []string{path.Join(BinDir, opts.Service)}
	cf.Config.Cmd = opts.Args
	cf.Config.Env = mergeEnv(cf.Config.Env, opts.Env)
	cf.Config.WorkingDir = "/"
	cf.Config.User = opts.User
	if cf.Config.User == "" {
		cf.Config.User = "65534:65534"
	}
	if len(opts.Ports) > 0 {
		cf.Config.ExposedPorts = map[string]struct{}{}
		for _, p := range opts.Ports {
			cf.Config.ExposedPorts[strconv.Itoa(p)+"/tcp"] = struct{}{}
		}
	}
	labels := map[string]string{}
	for k, v := range cf.Config.Labels { // the base's labels, then ours
		labels[k] = v
	}
	for k, v := range opts.Labels {
		labels[k] = v
	}
	ann := map[string]string{
		LabelRevision: opts.Commit,
		LabelCreated:  created.Format(time.RFC3339),
		LabelTitle:    opts.Service,
	}
	if opts.Source != "" {
		ann[LabelSource] = opts.Source
	}
	for k, v := range ann {
		labels[k] = v
	}
	cf.Config.Labels = labels
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		return nil, wrap(err)
	}
	for k, v := range baseAnn {
		ann[k] = v
	}
	img, ok := mutate.Annotations(img, ann).(v1.Image)
	if !ok {
		return nil, wrap(errors.New("annotating the manifest lost the image"))
	}
	digest, err := img.Digest()
	if err != nil {
		return nil, wrap(err)
	}
	return &Image{Service: opts.Service, Tag: opts.Commit, Digest: digest, Image: img}, nil
}

// compile builds a static binary for the target platform.
func compile(ctx context.Context, opts BuildOptions, out string) error {
	goCmd := opts.Go
	if goCmd == "" {
		goCmd = "go"
	}
	// -trimpath and an empty build id make the binary depend on the source only, so the same
	// commit gives the same layer; the revision is in the image's labels instead of VCS stamps.
	args := append([]string{"build", "-trimpath", "-buildvcs=false", "-ldflags=-s -w -buildid=", "-o", out},
		opts.BuildFlags...)
	args = append(args, opts.Package)
	cmd := exec.CommandContext(ctx, goCmd, args...)
	cmd.Dir = opts.Dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+opts.Platform.OS, "GOARCH="+opts.Platform.Architecture)
	if opts.Platform.Architecture == "arm" && strings.HasPrefix(opts.Platform.Variant, "v") {
		cmd.Env = append(cmd.Env, "GOARM="+strings.TrimPrefix(opts.Platform.Variant, "v"))
	}
	var output bytes.Buffer
	cmd.Stdout = &output
	cmd.Stderr = &output
	if opts.Stderr != nil {
		cmd.Stdout = io.MultiWriter(&output, opts.Stderr)
		cmd.Stderr = cmd.Stdout
	}
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(output.String())
		if ctx.Err() != nil {
			return fmt.Errorf("go build %s: %w", opts.Package, ctx.Err())
		}
		if msg == "" {
			return fmt.Errorf("go build %s: %w", opts.Package, err)
		}
		return fmt.Errorf("go build %s: %w:\n%s", opts.Package, err, msg)
	}
	return nil
}

// binaryLayer is a layer holding the binary at target, with its parent directories and a
// world-writable /tmp, all stamped with the same time so the layer is reproducible.
func binaryLayer(bin, target string, mtime time.Time) (v1.Layer, error) {
	data, err := os.ReadFile(bin)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	dirs := []string{"tmp/"}
	for d := path.Dir(strings.TrimPrefix(target, "/")); d != "." && d != "/"; d = path.Dir(d) {
		dirs = append(dirs, d+"/")
	}
	sort.Strings(dirs) // parents before children
	for _, d := range dirs {
		mode := int64(0o755)
		if d == "tmp/" {
			mode = 0o1777
		}
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: d, Mode: mode, ModTime: mtime, Format: tar.FormatPAX}); err != nil {
			return nil, err
		}
	}
	hdr := &tar.Header{Typeflag: tar.TypeReg, Name: strings.TrimPrefix(target, "/"), Mode: 0o755, Size: int64(len(data)), ModTime: mtime, Format: tar.FormatPAX}
	if err := tw.WriteHeader(hdr); err != nil {
		return nil, err
	}
	if _, err := tw.Write(data); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	b := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(b)), nil
	}, tarball.WithMediaType(types.OCILayer))
}

// baseImage is the image to build on and the annotations that name it.
func baseImage(ctx context.Context, opts BuildOptions) (v1.Image, map[string]string, error) {
	if opts.Base == "" {
		scratch := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
		scratch = mutate.ConfigMediaType(scratch, types.OCIConfigJSON)
		cf, err := scratch.ConfigFile()
		if err != nil {
			return nil, nil, err
		}
		cf = cf.DeepCopy()
		cf.Config.Env = []string{"PATH=" + BinDir + ":/usr/bin:/bin"}
		img, err := mutate.ConfigFile(scratch, cf)
		return img, nil, err
	}
	ref, err := name.ParseReference(opts.Base)
	if err != nil {
		return nil, nil, fmt.Errorf("base image %q: %w", opts.Base, err)
	}
	ropts := append([]remote.Option{remote.WithContext(ctx), remote.WithPlatform(opts.Platform)}, opts.BaseOptions...)
	img, err := remote.Image(ref, ropts...)
	if err != nil {
		return nil, nil, fmt.Errorf("pull base image %s: %w", opts.Base, describe(ref.Context().RegistryStr(), err))
	}
	digest, err := img.Digest()
	if err != nil {
		return nil, nil, fmt.Errorf("base image %s: %w", opts.Base, err)
	}
	return img, map[string]string{LabelBaseName: ref.Name(), LabelBaseDigest: digest.String()}, nil
}

// mergeEnv sets each KEY=VALUE of extra over base, keeping base's order.
func mergeEnv(base, extra []string) []string {
	out := append([]string(nil), base...)
	for _, e := range extra {
		k, _, _ := strings.Cut(e, "=")
		replaced := false
		for i, b := range out {
			if bk, _, _ := strings.Cut(b, "="); bk == k {
				out[i], replaced = e, true
			}
		}
		if !replaced {
			out = append(out, e)
		}
	}
	return out
}

// HostPlatform is the platform of this machine, for images the tests run here.
func HostPlatform() v1.Platform {
	return v1.Platform{OS: runtime.GOOS, Architecture: runtime.GOARCH}
}
