package image

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
)

// annotationRefName names an image inside an OCI layout.
const annotationRefName = "org.opencontainers.image.ref.name"

// Save writes img into an OCI image layout directory (created when missing), so a later step
// or a resumed run can push what an earlier one built without building it again.
func Save(img *Image, dir string) error {
	p, err := layout.FromPath(dir)
	if err != nil {
		if p, err = layout.Write(dir, empty.Index); err != nil {
			return fmt.Errorf("save %s to %s: %w", img.Name(), dir, err)
		}
	}
	if err := p.ReplaceImage(img.Image, matchRefName(img.Name()),
		layout.WithAnnotations(map[string]string{annotationRefName: img.Name()})); err != nil {
		return fmt.Errorf("save %s to %s: %w", img.Name(), dir, err)
	}
	return nil
}

// Load reads the image saved as SERVICE:TAG from an OCI image layout directory.
func Load(dir, service, tag string) (*Image, error) {
	ref := service + ":" + tag
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		return nil, fmt.Errorf("load %s from %s: %w", ref, dir, err)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		return nil, fmt.Errorf("load %s from %s: %w", ref, dir, err)
	}
	for _, d := range m.Manifests {
		if d.Annotations[annotationRefName] != ref {
			continue
		}
		img, err := idx.Image(d.Digest)
		if err != nil {
			return nil, fmt.Errorf("load %s from %s: %w", ref, dir, err)
		}
		return &Image{Service: service, Tag: tag, Digest: d.Digest, Image: img}, nil
	}
	return nil, fmt.Errorf("load %s from %s: no such image in the layout", ref, dir)
}

func matchRefName(ref string) func(v1.Descriptor) bool {
	return func(d v1.Descriptor) bool { return d.Annotations[annotationRefName] == ref }
}

// Unpacked is an image's entrypoint binary, written out to run on this machine.
type Unpacked struct {
	// Binary is the path of the entrypoint on disk.
	Binary string
	// Args are the image's default arguments (its Cmd).
	Args []string
	// Env is the image's environment, KEY=VALUE.
	Env []string
	// Digest is the digest of the image it came from.
	Digest string
}

// Unpack pulls the image ref for this machine's platform and writes its entrypoint binary
// into dir, so a service built by Build runs as a local process (the local deployer) from
// exactly the digest that goes to production. The binary must be in the image's layers;
// images whose entrypoint is a shell script of a base image are not supported.
func Unpack(ctx context.Context, ref, dir string, reg Registry) (Unpacked, error) {
	img, err := Pull(ctx, ref, HostPlatform(), reg)
	if err != nil {
		return Unpacked{}, err
	}
	wrap := func(err error) error { return fmt.Errorf("unpack %s: %w", ref, err) }
	cf, err := img.ConfigFile()
	if err != nil {
		return Unpacked{}, wrap(err)
	}
	if len(cf.Config.Entrypoint) == 0 {
		return Unpacked{}, wrap(errors.New("the image has no entrypoint"))
	}
	digest, err := img.Digest()
	if err != nil {
		return Unpacked{}, wrap(err)
	}
	entry := strings.TrimPrefix(path.Clean(cf.Config.Entrypoint[0]), "/")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Unpacked{}, wrap(err)
	}
	out := filepath.Join(dir, path.Base(entry)+"-"+digest.Hex[:12])

	rc := mutate.Extract(img) // the flattened filesystem, whiteouts applied
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return Unpacked{}, wrap(fmt.Errorf("entrypoint /%s is not a file in the image", entry))
		}
		if err != nil {
			return Unpacked{}, wrap(err)
		}
		if strings.TrimPrefix(path.Clean(hdr.Name), "/") != entry || hdr.Typeflag != tar.TypeReg {
			continue
		}
		if err := writeExecutable(out, tr); err != nil {
			return Unpacked{}, wrap(err)
		}
		return Unpacked{Binary: out, Args: cf.Config.Cmd, Env: cf.Config.Env, Digest: digest.String()}, nil
	}
}

func writeExecutable(target string, r io.Reader) error {
	tmp, err := os.CreateTemp(filepath.Dir(target), ".unpack-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := io.Copy(tmp, r); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o755); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), target)
}
