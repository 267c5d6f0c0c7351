package deploy

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzEditImage edits arbitrary YAML as each manifest kind: it must never panic, and an
// edit that succeeds must read back as the new image and be a no-op when made again.
func FuzzEditImage(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "gitops", "*.yaml"))
	for _, s := range seeds {
		data, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("images: [{name: order-service, newTag: '1'}]\n"))
	f.Add([]byte("image: {repository: r/order-service, tag: \"1\"}\n"))
	f.Add([]byte("images:\n- name: order-service\n  newTag: |\n    multi\n    line\n"))
	targets := []Target{
		{Kind: Kustomize, File: "k.yaml", Image: "order-service"},
		{Kind: HelmValues, File: "v.yaml", Helm: HelmKeys{Repository: "image.repository", Tag: "image.tag", Digest: "image.digest"}},
		{Kind: HelmValues, File: "v.yaml", Helm: HelmKeys{Image: "app.image"}},
		{Kind: Manifest, File: "m.yaml", Image: "order-service"},
	}
	want := parseImageRef("127.0.0.1:5000/order-service:1234567@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")
	req := Request{Service: "order-service", Environment: "production", Version: "1234567", Image: want.String()}
	f.Fuzz(func(t *testing.T, src []byte) {
		for _, tg := range targets {
			cur, _, err := readImage(src, tg, req)
			if err != nil {
				continue
			}
			e, err := editImage(src, tg, req, cur, want)
			if err != nil {
				continue
			}
			if err := checkEdited(e.after, tg, req, want); err != nil {
				t.Fatalf("%s: edit does not read back: %v\n--- in\n%s\n--- out\n%s", tg.Kind, err, src, e.after)
			}
			again, err := editImage(e.after, tg, req, cur, want)
			if err != nil || len(again.changes) != 0 {
				t.Fatalf("%s: editing again: %v, changes %q", tg.Kind, err, again.changes)
			}
		}
	})
}
