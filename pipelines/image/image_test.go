package image_test

import (
	"archive/tar"
	"bytes"
	"context"
	"debug/elf"
	"io"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/treaty-dev/treaty/pipelines/image"
	"github.com/treaty-dev/treaty/pipelines/image/registrytest"
)

const (
	moduleRoot = "../.."
	commit     = "a3f9c21"
	source     = "https://git.example/treaty/examples"
)

var created = time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)

func buildOptions() image.BuildOptions {
	return image.BuildOptions{
		Service: "order-service",
		Package: "./examples/order-service",
		Dir:     moduleRoot,
		Commit:  commit,
		Source:  source,
		Created: created,
		Args:    []string{"--listen", "0.0.0.0:8080"},
		Env:     []string{"ORDER_DEPENDENCY_TIMEOUT=2s"},
		Ports:   []int{8080},
		Labels:  map[string]string{"team": "checkout"},
	}
}

// built is the order-service image, built once for the tests that only read it.
var built = sync.OnceValues(func() (*image.Image, error) {
	return image.Build(context.Background(), buildOptions())
})

func mustBuild(t *testing.T) *image.Image {
	t.Helper()
	img, err := built()
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func TestBuildPushPull(t *testing.T) {
	reg := registrytest.Start(t)
	ctx := context.Background()
	img := mustBuild(t)
	if img.Name() != "order-service:"+commit {
		t.Errorf("Name() = %q", img.Name())
	}

	pushed, err := image.Push(ctx, img, image.Registry{Host: reg.Host})
	if err != nil {
		t.Fatal(err)
	}
	wantRef := reg.Host + "/order-service:" + commit
	if pushed.Ref != wantRef || pushed.Digest != img.Digest.String() {
		t.Fatalf("pushed %+v, want ref %s digest %s", pushed, wantRef, img.Digest)
	}
	if got := pushed.Pinned(); got != wantRef+"@"+img.Digest.String() {
		t.Errorf("Pinned() = %s", got)
	}
	// The tag resolves to the digest Build computed.
	if d, err := image.Resolve(ctx, pushed.Ref, image.Registry{Host: reg.Host}); err != nil || d != pushed.Digest {
		t.Fatalf("Resolve(tag) = %s, %v; want %s", d, err, pushed.Digest)
	}

	// Pull it back by digest, as a deployer would, and read it as a runtime would.
	got, err := image.Pull(ctx, pushed.Pinned(), v1.Platform{}, image.Registry{Host: reg.Host})
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := got.Digest(); d != img.Digest {
		t.Errorf("pulled digest %s, want %s", d, img.Digest)
	}
	manifest, err := got.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	if manifest.MediaType != types.OCIManifestSchema1 || manifest.Config.MediaType != types.OCIConfigJSON {
		t.Errorf("media types %s / %s, want OCI", manifest.MediaType, manifest.Config.MediaType)
	}
	if manifest.Annotations[image.LabelRevision] != commit || manifest.Annotations[image.LabelSource] != source {
		t.Errorf("manifest annotations %v", manifest.Annotations)
	}

	cf, err := got.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cf.OS != "linux" || cf.Architecture != "amd64" {
		t.Errorf("platform %s/%s", cf.OS, cf.Architecture)
	}
	if !cf.Created.Time.Equal(created) {
		t.Errorf("created %v, want %v", cf.Created.Time, created)
	}
	c := cf.Config
	if !slices.Equal(c.Entrypoint, []string{"/usr/local/bin/order-service"}) ||
		!slices.Equal(c.Cmd, []string{"--listen", "0.0.0.0:8080"}) {
		t.Errorf("entrypoint %q cmd %q", c.Entrypoint, c.Cmd)
	}
	if !slices.Contains(c.Env, "ORDER_DEPENDENCY_TIMEOUT=2s") || !slices.ContainsFunc(c.Env, func(e string) bool { return strings.HasPrefix(e, "PATH=") }) {
		t.Errorf("env %q", c.Env)
	}
	if _, ok := c.ExposedPorts["8080/tcp"]; !ok || len(c.ExposedPorts) != 1 {
		t.Errorf("exposed ports %v", c.ExposedPorts)
	}
	if c.User != "65534:65534" {
		t.Errorf("user %q, want nobody", c.User)
	}
	wantLabels := map[string]string{
		image.LabelRevision: commit,
		image.LabelSource:   source,
		image.LabelCreated:  "2026-03-14T15:09:26Z",
		image.LabelTitle:    "order-service",
		"team":              "checkout",
	}
	for k, v := range wantLabels {
		if c.Labels[k] != v {
			t.Errorf("label %s = %q, want %q", k, c.Labels[k], v)
		}
	}

	// FROM scratch: one layer, holding a static binary and the directories above it.
	layers, err := got.Layers()
	if err != nil {
		t.Fatal(err)
	}
	if len(layers) != 1 || len(cf.RootFS.DiffIDs) != 1 || len(cf.History) != 1 {
		t.Fatalf("%d layers, %d diff ids, %d history entries; want 1 each", len(layers), len(cf.RootFS.DiffIDs), len(cf.History))
	}
	files := layerFiles(t, layers[0])
	for _, name := range []string{"tmp/", "usr/", "usr/local/", "usr/local/bin/", "usr/local/bin/order-service"} {
		if _, ok := files[name]; !ok {
			t.Errorf("layer lacks %s; has %v", name, mapKeys(files))
		}
	}
	bin := files["usr/local/bin/order-service"]
	if bin.hdr == nil || bin.hdr.Mode&0o111 == 0 || !bin.hdr.ModTime.Equal(created) {
		t.Fatalf("binary header %+v", bin.hdr)
	}
	f, err := elf.NewFile(bytes.NewReader(bin.data))
	if err != nil {
		t.Fatalf("binary is not ELF: %v", err)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("binary has a dynamic loader (PT_INTERP): want a static binary (CGO_ENABLED=0)")
		}
	}
	if f.Machine != elf.EM_X86_64 {
		t.Errorf("binary machine %v, want x86-64", f.Machine)
	}
}

// Promotion moves tags, never bytes: the digest built once is what every tag names.
func TestTagKeepsTheDigest(t *testing.T) {
	reg := registrytest.Start(t)
	ctx := context.Background()
	r := image.Registry{Host: reg.Host}
	pushed, err := image.Push(ctx, mustBuild(t), r)
	if err != nil {
		t.Fatal(err)
	}
	for _, tag := range []string{"staging", "production", "v1.4.0"} {
		tagged, err := image.Tag(ctx, pushed.Pinned(), tag, r)
		if err != nil {
			t.Fatal(err)
		}
		if tagged.Digest != pushed.Digest || tagged.Ref != reg.Host+"/order-service:"+tag {
			t.Errorf("Tag(%s) = %+v, want digest %s", tag, tagged, pushed.Digest)
		}
		if d, err := image.Resolve(ctx, tagged.Ref, r); err != nil || d != pushed.Digest {
			t.Errorf("Resolve(%s) = %s, %v; want %s", tagged.Ref, d, err, pushed.Digest)
		}
	}
	// A tag that is not a tag is refused before anything is sent.
	if _, err := image.Tag(ctx, pushed.Pinned(), "no/slashes", r); err == nil {
		t.Error("Tag with an invalid tag: no error")
	}
	// Tag needs a digest: a tag alone could have moved since the gate looked at it.
	if _, err := image.Tag(ctx, pushed.Ref, "production", r); err == nil || !strings.Contains(err.Error(), "REF@sha256") {
		t.Errorf("Tag of a tagged reference: %v, want an error asking for a digest", err)
	}
}

// The same commit, built again with its commit time, gives the same digest.
func TestBuildIsReproducible(t *testing.T) {
	first := mustBuild(t)
	again, err := image.Build(context.Background(), buildOptions())
	if err != nil {
		t.Fatal(err)
	}
	if again.Digest != first.Digest {
		t.Errorf("rebuild digest %s, want %s", again.Digest, first.Digest)
	}
	other := buildOptions()
	other.Commit = "b4e0d32"
	changed, err := image.Build(context.Background(), other)
	if err != nil {
		t.Fatal(err)
	}
	if changed.Digest == first.Digest {
		t.Error("another commit built the same digest: the revision label is missing")
	}
}

func TestBuildOnABase(t *testing.T) {
	reg := registrytest.Start(t)
	ctx := context.Background()
	r := image.Registry{Host: reg.Host}

	// The base comes from the local registry, as a mirrored distroless image would.
	base := baseImage(t)
	baseRef := reg.Host + "/base:1"
	if err := pushRaw(baseRef, base); err != nil {
		t.Fatal(err)
	}
	baseDigest, _ := base.Digest()

	opts := buildOptions()
	opts.Service = "user-service"
	opts.Package = "./examples/user-service"
	opts.Base = baseRef
	opts.Env = []string{"PATH=/usr/local/bin:/custom/bin"}
	img, err := image.Build(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	pushed, err := image.Push(ctx, img, r)
	if err != nil {
		t.Fatal(err)
	}
	got, err := image.Pull(ctx, pushed.Pinned(), v1.Platform{}, r)
	if err != nil {
		t.Fatal(err)
	}
	layers, _ := got.Layers()
	if len(layers) != 2 {
		t.Fatalf("%d layers, want the base's and ours", len(layers))
	}
	if files := layerFiles(t, layers[0]); files["etc/base-release"].hdr == nil {
		t.Errorf("first layer is not the base's: %v", mapKeys(files))
	}
	cf, _ := got.ConfigFile()
	if cf.Config.Labels["base.vendor"] != "treaty-test" || cf.Config.Labels[image.LabelRevision] != commit {
		t.Errorf("labels %v: want the base's and ours", cf.Config.Labels)
	}
	if !slices.Equal(cf.Config.Env, []string{"PATH=/usr/local/bin:/custom/bin", "LANG=C.UTF-8"}) {
		t.Errorf("env %q: want the base's, with PATH replaced", cf.Config.Env)
	}
	m, _ := got.Manifest()
	if m.Annotations[image.LabelBaseName] != baseRef || m.Annotations[image.LabelBaseDigest] != baseDigest.String() {
		t.Errorf("annotations %v: want the base's name and digest", m.Annotations)
	}
}

func TestUnreachableRegistry(t *testing.T) {
	ctx := context.Background()
	host := registrytest.Closed(t)
	start := time.Now()
	_, err := image.Push(ctx, mustBuild(t), image.Registry{Host: host})
	if err == nil {
		t.Fatal("push to a closed port: no error")
	}
	for _, want := range []string{"push " + host + "/order-service:" + commit, "registry " + host + " is unreachable", "connection refused"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v to give up on a refused connection", d)
	}

	opts := buildOptions()
	opts.Base = host + "/base:1"
	if _, err := image.Build(ctx, opts); err == nil || !strings.Contains(err.Error(), "pull base image "+host+"/base:1") ||
		!strings.Contains(err.Error(), "unreachable") {
		t.Errorf("build on an unreachable base: %v", err)
	}
}

func TestBuildRefusesBadInput(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		modify func(*image.BuildOptions)
		want   string
	}{
		{"service", func(o *image.BuildOptions) { o.Service = "Order Service" }, `service "Order Service"`},
		{"commit", func(o *image.BuildOptions) { o.Commit = "" }, `commit ""`},
		{"package", func(o *image.BuildOptions) { o.Package = "" }, "package: required"},
		{"port", func(o *image.BuildOptions) { o.Ports = []int{70000} }, "port 70000"},
		{"env", func(o *image.BuildOptions) { o.Env = []string{"NOEQUALS"} }, `env "NOEQUALS"`},
		{"compile", func(o *image.BuildOptions) { o.Package = "./examples/no-such-service" }, "go build ./examples/no-such-service"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := buildOptions()
			tc.modify(&opts)
			_, err := image.Build(ctx, opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

// A later step (or a resumed run) pushes what an earlier one built and saved.
func TestSaveLoadUnpack(t *testing.T) {
	reg := registrytest.Start(t)
	ctx := context.Background()
	r := image.Registry{Host: reg.Host}
	img := mustBuild(t)
	dir := filepath.Join(t.TempDir(), "oci")
	if err := image.Save(img, dir); err != nil {
		t.Fatal(err)
	}
	if err := image.Save(img, dir); err != nil { // saving again replaces, not duplicates
		t.Fatal(err)
	}
	loaded, err := image.Load(dir, "order-service", commit)
	if err != nil {
		t.Fatal(err)
	}
	if loaded.Digest != img.Digest {
		t.Fatalf("loaded digest %s, want %s", loaded.Digest, img.Digest)
	}
	if _, err := image.Load(dir, "order-service", "nope"); err == nil {
		t.Error("Load of a missing tag: no error")
	}
	pushed, err := image.Push(ctx, loaded, r)
	if err != nil {
		t.Fatal(err)
	}

	// The local deployer runs the image's own binary.
	un, err := image.Unpack(ctx, pushed.Pinned(), t.TempDir(), r)
	if err != nil {
		t.Fatal(err)
	}
	if un.Digest != pushed.Digest || !slices.Equal(un.Args, []string{"--listen", "0.0.0.0:8080"}) {
		t.Errorf("unpacked %+v", un)
	}
	out, err := exec.Command(un.Binary, "-h").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "-listen") {
		t.Errorf("running the unpacked binary: %v\n%s", err, out)
	}
}

type file struct {
	hdr  *tar.Header
	data []byte
}

func layerFiles(t *testing.T, l v1.Layer) map[string]file {
	t.Helper()
	rc, err := l.Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	files := map[string]file{}
	tr := tar.NewReader(rc)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return files
		}
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		files[hdr.Name] = file{hdr: hdr, data: data}
	}
}

func mapKeys(m map[string]file) []string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// baseImage is a one-layer OCI image with a file, a label and an environment.
func baseImage(t *testing.T) v1.Image {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	content := []byte("treaty test base\n")
	_ = tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: "etc/", Mode: 0o755})
	_ = tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: "etc/base-release", Mode: 0o644, Size: int64(len(content))})
	_, _ = tw.Write(content)
	_ = tw.Close()
	b := buf.Bytes()
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil },
		tarball.WithMediaType(types.OCILayer))
	if err != nil {
		t.Fatal(err)
	}
	img := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	img, err = mutate.AppendLayers(img, layer)
	if err != nil {
		t.Fatal(err)
	}
	cf, _ := img.ConfigFile()
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", "amd64"
	cf.Config.Labels = map[string]string{"base.vendor": "treaty-test"}
	cf.Config.Env = []string{"PATH=/usr/bin:/bin", "LANG=C.UTF-8"}
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func pushRaw(ref string, img v1.Image) error {
	r, err := nameParse(ref)
	if err != nil {
		return err
	}
	return remote.Write(r, img)
}

func nameParse(ref string) (name.Reference, error) { return name.ParseReference(ref) }
