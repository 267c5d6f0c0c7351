package deploy

import (
	"errors"
	"fmt"
	"path"
	"strings"

	"gopkg.in/yaml.v3"
)

// ManifestKind says how a file in the config repository names a service's image.
type ManifestKind string

// The manifest kinds the GitOps deployer edits.
const (
	// Kustomize is a kustomization.yaml whose images: entry for the image (matched by name)
	// gets newName, newTag and digest, as `kustomize edit set image` writes them.
	Kustomize ManifestKind = "kustomize"
	// HelmValues is a Helm values file whose image keys (HelmKeys) get the repository, tag
	// and digest.
	HelmValues ManifestKind = "helm-values"
	// Manifest is plain Kubernetes YAML (a Deployment, StatefulSet, CronJob, …, several
	// documents per file allowed) whose containers running the image get the new reference.
	Manifest ManifestKind = "manifest"
)

// Target says which file of the config repository deploys a service to an environment, and
// how to find the image in it.
type Target struct {
	// Service and Environment select the requests this target serves; "" matches any.
	Service, Environment string
	// File is the path in the repository; "{service}" and "{environment}" are replaced:
	// "envs/{environment}/kustomization.yaml".
	File string
	Kind ManifestKind
	// Image is the image name to find: the kustomize entry's name, or the repository of the
	// container image ("order-service" also matches "registry.example/shop/order-service").
	// Default: the service's name.
	Image string
	// Container, for Manifest, narrows the match to containers of this name.
	Container string
	// Helm are the keys of a HelmValues file.
	Helm HelmKeys
}

// HelmKeys are dotted key paths in a values file ("image.tag" is the tag key under image:,
// or a literal "image.tag" key when the file has one). An empty key is not written. The zero
// value means image.repository and image.tag; add Digest to pin the digest as well.
type HelmKeys struct {
	Repository, Tag, Digest string
	// Image is a key that holds the whole reference (REPO:TAG@DIGEST), instead of the three.
	Image string
}

func (k HelmKeys) orDefault() HelmKeys {
	if k == (HelmKeys{}) {
		return HelmKeys{Repository: "image.repository", Tag: "image.tag"}
	}
	return k
}

func (t Target) matches(req Request) bool {
	return (t.Service == "" || t.Service == req.Service) && (t.Environment == "" || t.Environment == req.Environment)
}

func (t Target) file(req Request) string {
	return strings.NewReplacer("{service}", req.Service, "{environment}", req.Environment).Replace(t.File)
}

func (t Target) imageName(req Request) string {
	if t.Image != "" {
		return t.Image
	}
	return req.Service
}

func (t Target) validate() error {
	switch t.Kind {
	case Kustomize, HelmValues, Manifest:
	default:
		return fmt.Errorf("target %q: kind %q: want %s, %s or %s", t.File, t.Kind, Kustomize, HelmValues, Manifest)
	}
	if t.File == "" || path.IsAbs(t.File) || strings.HasPrefix(path.Clean(t.File), "..") {
		return fmt.Errorf("target %q: file must be a path inside the repository", t.File)
	}
	return nil
}

// imageRef is an image reference cut into its parts: REPO[:TAG][@DIGEST].
type imageRef struct{ Repo, Tag, Digest string }

func parseImageRef(s string) imageRef {
	var r imageRef
	if i := strings.LastIndex(s, "@"); i >= 0 {
		s, r.Digest = s[:i], s[i+1:]
	}
	if i := strings.LastIndex(s, ":"); i > strings.LastIndex(s, "/") {
		s, r.Tag = s[:i], s[i+1:]
	}
	r.Repo = s
	return r
}

func (r imageRef) String() string {
	s := r.Repo
	if r.Tag != "" {
		s += ":" + r.Tag
	}
	if r.Digest != "" {
		s += "@" + r.Digest
	}
	return s
}

// nameMatches says whether an image repository is the image name a target looks for.
func nameMatches(repo, want string) bool {
	return repo == want || !strings.Contains(want, "/") && path.Base(repo) == want
}

// place is one spot in a file that names the service's image.
type place struct {
	field   string   // for people: images[order-service], image.tag, Deployment/x containers[y].image
	current imageRef // what it names now, in the parts it holds
	// project keeps only the parts of a reference this place can hold.
	project func(imageRef) imageRef
	set     func(*yamlFile, imageRef)
}

func full(r imageRef) imageRef { return r }

// locate finds every place in f that names the target's image. It is an error when there
// is none: a target that matches nothing is a wrong configuration, not a no-op.
func locate(f *yamlFile, t Target, req Request) ([]place, error) {
	name := t.imageName(req)
	var places []place
	switch t.Kind {
	case Kustomize:
		for _, root := range f.roots() {
			_, images := mapGet(root, "images")
			if images == nil || images.Kind != yaml.SequenceNode {
				continue
			}
			for _, item := range images.Content {
				n, _ := scalarValue(item, "name")
				if item.Kind != yaml.MappingNode || !nameMatches(n, name) {
					continue
				}
				places = append(places, kustomizePlace(item, n))
			}
		}
		if len(places) == 0 {
			return nil, &MissingImageError{File: t.file(req), What: fmt.Sprintf("no images: entry named %q", name)}
		}
	case HelmValues:
		keys := t.Helm.orDefault()
		roots := f.roots()
		if len(roots) == 0 {
			return nil, &MissingImageError{File: t.file(req), What: "no mapping at the top of the values file"}
		}
		p, err := helmPlace(roots[0], keys)
		if err != nil {
			return nil, &MissingImageError{File: t.file(req), What: err.Error()}
		}
		places = append(places, p)
	case Manifest:
		for _, root := range f.roots() {
			kind, _ := scalarValue(root, "kind")
			_, meta := mapGet(root, "metadata")
			objName, _ := scalarValue(meta, "name")
			walkContainers(root, func(c *yaml.Node) {
				img, ok := scalarValue(c, "image")
				cname, _ := scalarValue(c, "name")
				if !ok || !nameMatches(parseImageRef(img).Repo, name) || t.Container != "" && cname != t.Container {
					return
				}
				_, node := mapGet(c, "image")
				places = append(places, place{
					field:   fmt.Sprintf("%s/%s containers[%s].image", kind, objName, cname),
					current: parseImageRef(img),
					project: full,
					set:     func(f *yamlFile, r imageRef) { f.setScalar(node, r.String()) },
				})
			})
		}
		if len(places) == 0 {
			what := fmt.Sprintf("no container runs image %q", name)
			if t.Container != "" {
				what = fmt.Sprintf("no container %q runs image %q", t.Container, name)
			}
			return nil, &MissingImageError{File: t.file(req), What: what}
		}
	default:
		return nil, fmt.Errorf("unknown manifest kind %q", t.Kind)
	}
	return places, nil
}

// kustomizePlace is an images: entry. The image it names is newName (or name), newTag and
// digest; an edit writes all three as `kustomize edit set image` would, and drops a tag or
// digest the new reference does not have.
func kustomizePlace(item *yaml.Node, name string) place {
	cur := imageRef{Repo: name}
	if v, ok := scalarValue(item, "newName"); ok && v != "" {
		cur.Repo = v
	}
	cur.Tag, _ = scalarValue(item, "newTag")
	cur.Digest, _ = scalarValue(item, "digest")
	return place{
		field:   fmt.Sprintf("images[%s]", name),
		current: cur,
		project: full,
		set: func(f *yamlFile, r imageRef) {
			if _, has := mapGet(item, "newName"); has != nil || r.Repo != name {
				f.setKey(item, "newName", r.Repo, "name")
			}
			if r.Tag != "" {
				f.setKey(item, "newTag", r.Tag, "newName", "name")
			} else {
				f.deleteKey(item, "newTag")
			}
			if r.Digest != "" {
				f.setKey(item, "digest", r.Digest, "newTag", "newName", "name")
			} else {
				f.deleteKey(item, "digest")
			}
		},
	}
}

// helmPlace is the image keys of a values file.
func helmPlace(root *yaml.Node, keys HelmKeys) (place, error) {
	type part struct {
		key string
		get func(imageRef) string
		put func(*imageRef, string)
	}
	var parts []part
	if keys.Image != "" {
		parts = []part{{keys.Image, imageRef.String, func(r *imageRef, v string) { *r = parseImageRef(v) }}}
	} else {
		for _, p := range []part{
			{keys.Repository, func(r imageRef) string { return r.Repo }, func(r *imageRef, v string) { r.Repo = v }},
			{keys.Tag, func(r imageRef) string { return r.Tag }, func(r *imageRef, v string) { r.Tag = v }},
			{keys.Digest, func(r imageRef) string { return r.Digest }, func(r *imageRef, v string) { r.Digest = v }},
		} {
			if p.key != "" {
				parts = append(parts, p)
			}
		}
	}
	var cur imageRef
	var fields []string
	for _, p := range parts {
		fields = append(fields, p.key)
		parent, key, err := helmParent(root, p.key)
		if err != nil {
			return place{}, err
		}
		if v, ok := scalarValue(parent, key); ok {
			p.put(&cur, v)
		}
	}
	return place{
		field:   strings.Join(fields, ", "),
		current: cur,
		project: func(r imageRef) imageRef {
			var out imageRef
			for _, p := range parts {
				p.put(&out, p.get(r))
			}
			return out
		},
		set: func(f *yamlFile, r imageRef) {
			for _, p := range parts {
				parent, key, _ := helmParent(root, p.key)
				f.setKey(parent, key, p.get(r))
			}
		},
	}, nil
}

// helmParent finds the mapping that holds a dotted key path and the key's last part. Like
// Argo CD Image Updater, it prefers a literal dotted key ("image.tag: v1") where the file has
// one, and otherwise walks the nested mappings, which must exist.
func helmParent(m *yaml.Node, dotted string) (*yaml.Node, string, error) {
	parts := strings.Split(dotted, ".")
	for {
		if m == nil || m.Kind != yaml.MappingNode {
			return nil, "", fmt.Errorf("%s: not under a mapping", dotted)
		}
		rest := strings.Join(parts, ".")
		if k, _ := mapGet(m, rest); k != nil || len(parts) == 1 {
			return m, rest, nil
		}
		_, next := mapGet(m, parts[0])
		if next == nil {
			return nil, "", fmt.Errorf("%s: no %q key", dotted, parts[0])
		}
		m, parts = next, parts[1:]
	}
}

// walkContainers calls fn for every item of a containers: or initContainers: list anywhere
// under n (a Deployment's spec.template.spec, a CronJob's jobTemplate, a bare Pod).
func walkContainers(n *yaml.Node, fn func(*yaml.Node)) {
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if (k.Value == "containers" || k.Value == "initContainers") && v.Kind == yaml.SequenceNode {
				for _, c := range v.Content {
					if c.Kind == yaml.MappingNode {
						fn(c)
					}
				}
				continue
			}
			walkContainers(v, fn)
		}
	}
	if n.Kind == yaml.SequenceNode || n.Kind == yaml.DocumentNode {
		for _, c := range n.Content {
			walkContainers(c, fn)
		}
	}
}

// MissingImageError says a target file does not name the image it should: the deployer's
// configuration and the repository disagree, and nothing was changed.
type MissingImageError struct {
	File string
	What string
}

func (e *MissingImageError) Error() string { return e.File + ": " + e.What }

// manifestEdit is one file's change.
type manifestEdit struct {
	file    string
	before  []byte
	after   []byte
	changes []string // "file: field: old → new"
}

// readImage is the image a file names for the target: every place must agree.
func readImage(src []byte, t Target, req Request) (imageRef, []place, error) {
	f, err := parseYAML(src)
	if err != nil {
		return imageRef{}, nil, fmt.Errorf("%s: %w", t.file(req), err)
	}
	places, err := locate(f, t, req)
	if err != nil {
		return imageRef{}, nil, err
	}
	cur := places[0].current
	for _, p := range places[1:] {
		if p.current != cur {
			return imageRef{}, nil, fmt.Errorf("%s: %s names %s but %s names %s; make them agree first",
				t.file(req), places[0].field, cur, p.field, p.current)
		}
	}
	return cur, places, nil
}

// editImage sets the target's image to want in src. expect is what the plan saw there;
// a place that names neither expect nor want was changed by someone else since, and is a
// conflict. A file that already names want is returned unchanged.
func editImage(src []byte, t Target, req Request, expect, want imageRef) (manifestEdit, error) {
	file := t.file(req)
	f, err := parseYAML(src)
	if err != nil {
		return manifestEdit{}, fmt.Errorf("%s: %w", file, err)
	}
	places, err := locate(f, t, req)
	if err != nil {
		return manifestEdit{}, err
	}
	e := manifestEdit{file: file, before: src, after: src}
	for _, p := range places {
		w, x := p.project(want), p.project(expect)
		switch p.current {
		case w:
			continue
		case x:
		default:
			return manifestEdit{}, &ConflictError{File: file, Field: p.field, Expected: x.String(), Found: p.current.String(), Wanted: w.String()}
		}
		p.set(f, w)
		e.changes = append(e.changes, fmt.Sprintf("%s: %s: %s → %s", file, p.field, orNone(p.current.String()), w))
	}
	if len(e.changes) == 0 {
		return e, nil
	}
	out, err := f.bytes()
	if err != nil {
		return manifestEdit{}, fmt.Errorf("%s: %w", file, err)
	}
	// Read the result back: the text edit must say exactly what the nodes say. If it does
	// not, the text was too unusual to patch, and the file is re-encoded instead.
	if err := checkEdited(out, t, req, want); err != nil {
		if out, err = f.encode(); err != nil {
			return manifestEdit{}, fmt.Errorf("%s: %w", file, err)
		}
		if err := checkEdited(out, t, req, want); err != nil {
			return manifestEdit{}, fmt.Errorf("%s: the edited file does not read back: %w", file, err)
		}
	}
	e.after = out
	return e, nil
}

func checkEdited(out []byte, t Target, req Request, want imageRef) error {
	f, err := parseYAML(out)
	if err != nil {
		return err
	}
	places, err := locate(f, t, req)
	if err != nil {
		return err
	}
	for _, p := range places {
		if p.current != p.project(want) {
			return fmt.Errorf("%s names %s, want %s", p.field, p.current, p.project(want))
		}
	}
	return nil
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// errNoTarget is returned when no target serves a request.
var errNoTarget = errors.New("no target file for this service and environment")
