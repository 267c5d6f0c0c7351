package image

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// Registry says where images go and how to log in.
type Registry struct {
	// Host is the registry and an optional path prefix: "127.0.0.1:5000" or
	// "registry.example/team". Loopback and private hosts are spoken to over plain HTTP.
	Host string
	// Username and Password, when set, are basic credentials (or a token as the password).
	Username, Password string
	// Insecure allows plain HTTP to any host.
	Insecure bool
	// Attempts bounds the tries for a temporary failure (a reset connection, a 5xx); default 3.
	Attempts int
	// Transport, when set, replaces the HTTP transport.
	Transport http.RoundTripper
}

// Pushed is an image in a registry.
type Pushed struct {
	// Ref is the tagged reference: HOST/SERVICE:TAG.
	Ref string
	// Digest is the manifest digest, sha256:….
	Digest string
}

// Pinned is the reference by digest, keeping the tag for people: HOST/SERVICE:TAG@sha256:….
// Deployers write it; it names exactly one image wherever the tag moves.
func (p Pushed) Pinned() string { return p.Ref + "@" + p.Digest }

func (r Registry) options(ctx context.Context) []remote.Option {
	attempts := r.Attempts
	if attempts <= 0 {
		attempts = 3
	}
	opts := []remote.Option{
		remote.WithContext(ctx),
		remote.WithUserAgent("treaty"),
		remote.WithRetryBackoff(remote.Backoff{Duration: 200 * time.Millisecond, Factor: 2, Jitter: 0.1, Steps: attempts}),
	}
	if r.Username != "" || r.Password != "" {
		opts = append(opts, remote.WithAuth(&authn.Basic{Username: r.Username, Password: r.Password}))
	}
	if r.Transport != nil {
		opts = append(opts, remote.WithTransport(r.Transport))
	}
	return opts
}

func (r Registry) nameOptions() []name.Option {
	opts := []name.Option{name.StrictValidation}
	if r.Insecure {
		opts = append(opts, name.Insecure)
	}
	return opts
}

// Push sends img to the registry as HOST/SERVICE:TAG and returns where it is.
func Push(ctx context.Context, img *Image, reg Registry) (Pushed, error) {
	if reg.Host == "" {
		return Pushed{}, fmt.Errorf("push %s: registry host is empty", img.Name())
	}
	ref := strings.TrimSuffix(reg.Host, "/") + "/" + img.Name()
	tag, err := name.NewTag(ref, reg.nameOptions()...)
	if err != nil {
		return Pushed{}, fmt.Errorf("push %s: %w", ref, err)
	}
	if err := remote.Write(tag, img.Image, reg.options(ctx)...); err != nil {
		return Pushed{}, fmt.Errorf("push %s: %w", ref, describe(tag.RegistryStr(), err))
	}
	return Pushed{Ref: tag.Name(), Digest: img.Digest.String()}, nil
}

// Tag gives an image that is already in the registry, named by digest (REF@sha256:… as Push
// returned it), another tag in the same repository — "staging", "production", a release
// number — without pulling or rebuilding anything. The digest stays the same.
func Tag(ctx context.Context, pinned, tag string, reg Registry) (Pushed, error) {
	src, err := name.NewDigest(pinned, reg.nameOptions()...)
	if err != nil {
		return Pushed{}, fmt.Errorf("tag %s: want REF@sha256:DIGEST: %w", pinned, err)
	}
	dst := src.Context().Tag(tag)
	if !tagName.MatchString(tag) {
		return Pushed{}, fmt.Errorf("tag %s as %q: not a valid tag", pinned, tag)
	}
	opts := reg.options(ctx)
	desc, err := remote.Get(src, opts...)
	if err != nil {
		return Pushed{}, fmt.Errorf("tag %s: %w", pinned, describe(src.RegistryStr(), err))
	}
	if err := remote.Tag(dst, desc, opts...); err != nil {
		return Pushed{}, fmt.Errorf("tag %s as %s: %w", pinned, dst.Name(), describe(dst.RegistryStr(), err))
	}
	return Pushed{Ref: dst.Name(), Digest: desc.Digest.String()}, nil
}

// Pull fetches an image by reference (tag or digest) for the given platform (the zero value
// takes linux/amd64 from a multi-platform index).
func Pull(ctx context.Context, ref string, platform v1.Platform, reg Registry) (v1.Image, error) {
	r, err := name.ParseReference(ref, reg.nameOptions()...)
	if err != nil {
		return nil, fmt.Errorf("pull %s: %w", ref, err)
	}
	opts := reg.options(ctx)
	if platform.OS != "" {
		opts = append(opts, remote.WithPlatform(platform))
	}
	img, err := remote.Image(r, opts...)
	if err != nil {
		return nil, fmt.Errorf("pull %s: %w", ref, describe(r.Context().RegistryStr(), err))
	}
	return img, nil
}

// Resolve returns the digest a reference names now: what a tag points to.
func Resolve(ctx context.Context, ref string, reg Registry) (string, error) {
	r, err := name.ParseReference(ref, reg.nameOptions()...)
	if err != nil {
		return "", fmt.Errorf("resolve %s: %w", ref, err)
	}
	desc, err := remote.Head(r, reg.options(ctx)...)
	if err != nil {
		return "", fmt.Errorf("resolve %s: %w", ref, describe(r.Context().RegistryStr(), err))
	}
	return desc.Digest.String(), nil
}

// describe says plainly when the registry could not be reached at all, and otherwise keeps
// the registry's own error (which names the status and the registry's error codes).
func describe(host string, err error) error {
	var opErr *net.OpError
	var dnsErr *net.DNSError
	var terr *transport.Error
	switch {
	case errors.As(err, &terr):
		if terr.StatusCode == http.StatusUnauthorized || terr.StatusCode == http.StatusForbidden {
			return fmt.Errorf("registry %s refused the credentials: %w", host, err)
		}
		return err
	case errors.As(err, &opErr), errors.As(err, &dnsErr):
		return fmt.Errorf("registry %s is unreachable: %w", host, err)
	}
	return err
}
