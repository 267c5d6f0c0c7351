package openapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi2conv"
	"github.com/getkin/kin-openapi/openapi3"
	"go.yaml.in/yaml/v4"
)

// Limits on what Load accepts: a provider contract is a document a person wrote, and one
// far past these is a mistake or an attack.
const (
	// MaxDocumentSize is the largest document Load reads.
	MaxDocumentSize = 10 << 20
	// maxDepth bounds the nesting of the document's JSON/YAML tree.
	maxDepth = 256
	// maxNodes bounds the number of values in the tree (after YAML aliases are expanded).
	maxNodes = 2_000_000
)

// ErrExternalRef is wrapped by the error Load returns for a document that refers to another
// document: such references are refused, never fetched, so that publishing a contract can
// neither read the broker's files nor make it call out.
var ErrExternalRef = errors.New("external $ref")

// Document is a loaded OpenAPI document (3.0 or 3.1; Swagger 2.0 is converted to 3.0). It
// is safe for concurrent use: comparisons share the index built on first use.
type Document struct {
	spec     *openapi3.T
	version  string // as declared: "2.0", "3.0.3", "3.1.0", …
	basePath string // Swagger 2.0's basePath, which the reference requires as a prefix
	sha      string
	warnings []string

	once  sync.Once
	index *index
}

// Load parses an OpenAPI document. JSON or YAML is told from the content, whatever a
// declared content type says. A document that kin-openapi's validation finds invalid is
// still returned, with the problems as warnings (PactFlow accepts such documents with a
// warning notice); one that cannot be parsed, is neither OpenAPI 3 nor Swagger 2, refers to
// another document, or is past the size limits is an error.
func Load(data []byte) (*Document, error) {
	if len(data) > MaxDocumentSize {
		return nil, fmt.Errorf("the document is %d bytes, more than the %d Treaty accepts", len(data), MaxDocumentSize)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, errors.New("the document is empty")
	}
	tree, err := parseTree(data)
	if err != nil {
		return nil, err
	}
	root, ok := tree.(map[string]any)
	if !ok {
		return nil, errors.New("not an OpenAPI document: the top level is not an object")
	}
	if err := checkTree(tree); err != nil {
		return nil, err
	}
	// The identity is the SHA-256 of the canonical JSON, whose map keys are sorted: the same
	// document in YAML or JSON has one identity. The JSON itself is made only when
	// kin-openapi has to read it.
	var canonical []byte
	sum, ok := canonicalSHA(tree)
	if !ok {
		if canonical, err = json.Marshal(tree); err != nil {
			return nil, fmt.Errorf("not an OpenAPI document: %v", err)
		}
		sum = sha256.Sum256(canonical)
	}
	canonicalJSON := func() []byte {
		if canonical == nil {
			canonical, _ = json.Marshal(tree) // canonicalSHA wrote it: it marshals
		}
		return canonical
	}
	d := &Document{sha: hex.EncodeToString(sum[:])}

	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = false
	loader.ReadFromURIFunc = func(_ *openapi3.Loader, u *url.URL) ([]byte, error) {
		return nil, fmt.Errorf("%w %q is refused: Treaty never fetches other documents", ErrExternalRef, u.String())
	}

	switch {
	case root["swagger"] != nil:
		v := fmt.Sprint(root["swagger"])
		if v != "2.0" {
			return nil, fmt.Errorf("not an OpenAPI document: swagger %q is not 2.0", v)
		}
		var doc2 openapi2.T
		if err := json.Unmarshal(canonicalJSON(), &doc2); err != nil {
			return nil, fmt.Errorf("not a valid Swagger 2.0 document: %v", err)
		}
		spec, err := openapi2conv.ToV3WithLoader(&doc2, loader, nil)
		if err != nil {
			return nil, fmt.Errorf("converting Swagger 2.0 to OpenAPI 3: %w", loadError(err))
		}
		d.spec, d.version, d.basePath = spec, "2.0", strings.TrimRight(doc2.BasePath, "/")
	case root["openapi"] != nil:
		v := fmt.Sprint(root["openapi"])
		if !strings.HasPrefix(v, "3.") {
			return nil, fmt.Errorf("not an OpenAPI document: openapi %q is not 3.x", v)
		}
		// The tree is read into kin-openapi's types by decodeSpec, or, when it cannot,
		// kin-openapi reads the canonical JSON (its own loader would try YAML first, slowly);
		// then the references are resolved.
		spec, ok := decodeSpec(root)
		if !ok {
			spec = &openapi3.T{}
			if err := json.Unmarshal(canonicalJSON(), spec); err != nil {
				return nil, fmt.Errorf("not a valid OpenAPI document: %w", err)
			}
		}
		if err := loader.ResolveRefsIn(spec, nil); err != nil {
			return nil, fmt.Errorf("not a valid OpenAPI document: %w", loadError(err))
		}
		d.spec, d.version = spec, v
	default:
		return nil, errors.New(`not an OpenAPI document: it has neither "openapi" nor "swagger"`)
	}
	if d.spec.Paths == nil {
		d.spec.Paths = openapi3.NewPaths()
	}
	d.warnings = d.validate()
	return d, nil
}

// loadError keeps kin-openapi's message but makes a refused reference say so plainly.
func loadError(err error) error {
	var ext *openapi3.DisallowedExternalRefError
	if errors.As(err, &ext) {
		return fmt.Errorf("%w %q is refused: Treaty never fetches other documents", ErrExternalRef, ext.Ref)
	}
	return err
}

// parseTree decodes JSON or YAML into plain Go values (maps with string keys).
func parseTree(data []byte) (any, error) {
	trimmed := bytes.TrimLeft(data, " \t\r\n\ufeff")
	if len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '[') {
		if v, ok := readJSON(trimmed, false); ok {
			return v, nil
		}
		var v any
		dec := json.NewDecoder(bytes.NewReader(trimmed))
		if err := dec.Decode(&v); err == nil && !dec.More() {
			return v, nil
		}
		// Not JSON after all (or JSON with duplicate keys…): YAML is a superset, try it.
	}
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		return nil, fmt.Errorf("not JSON or YAML: %v", err)
	}
	return stringKeys(v, 0)
}

// stringKeys turns YAML's map[any]any (a response code like 200 is an integer key) into
// map[string]any, as JSON would have it.
func stringKeys(v any, depth int) (any, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("the document nests deeper than %d levels", maxDepth)
	}
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			c, err := stringKeys(e, depth+1)
			if err != nil {
				return nil, err
			}
			t[k] = c
		}
		return t, nil
	case map[any]any:
		m := make(map[string]any, len(t))
		for k, e := range t {
			c, err := stringKeys(e, depth+1)
			if err != nil {
				return nil, err
			}
			m[fmt.Sprint(k)] = c
		}
		return m, nil
	case []any:
		for i, e := range t {
			c, err := stringKeys(e, depth+1)
			if err != nil {
				return nil, err
			}
			t[i] = c
		}
		return t, nil
	}
	return v, nil
}

// checkTree bounds the work the rest of loading can do and refuses references to other
// documents before kin-openapi sees them.
func checkTree(tree any) error {
	nodes := 0
	if treeFine(tree, 0, &nodes) {
		return nil
	}
	return explainTree(tree)
}

// treeFine reports whether the tree is within the limits and refers to no other document.
// It is checkTree without the work of saying what is wrong, and where: explainTree does that
// when it is not.
func treeFine(v any, depth int, nodes *int) bool {
	if *nodes++; *nodes > maxNodes || depth > maxDepth {
		return false
	}
	switch t := v.(type) {
	case map[string]any:
		if ref, ok := t["$ref"].(string); ok && !strings.HasPrefix(ref, "#") {
			return false
		}
		for _, e := range t {
			if !treeFine(e, depth+1, nodes) {
				return false
			}
		}
	case []any:
		for _, e := range t {
			if !treeFine(e, depth+1, nodes) {
				return false
			}
		}
	}
	return true
}

// explainTree says what checkTree refuses: the first bad reference in a stable order.
func explainTree(tree any) error {
	nodes := 0
	var walk func(v any, path string, depth int) error
	walk = func(v any, path string, depth int) error {
		nodes++
		if nodes > maxNodes {
			return fmt.Errorf("the document has more than %d values", maxNodes)
		}
		if depth > maxDepth {
			return fmt.Errorf("the document nests deeper than %d levels", maxDepth)
		}
		switch t := v.(type) {
		case map[string]any:
			if ref, ok := t["$ref"].(string); ok && !strings.HasPrefix(ref, "#") {
				return fmt.Errorf("%w %q at %s is refused: Treaty never fetches other documents; bundle the document first",
					ErrExternalRef, ref, path)
			}
			keys := make([]string, 0, len(t))
			for k := range t {
				keys = append(keys, k)
			}
			sort.Strings(keys) // report the first bad reference in a stable order
			for _, k := range keys {
				if err := walk(t[k], path+"."+k, depth+1); err != nil {
					return err
				}
			}
		case []any:
			for i, e := range t {
				if err := walk(e, fmt.Sprintf("%s[%d]", path, i), depth+1); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return walk(tree, "[root]", 0)
}

// validate runs kin-openapi's validation and turns what it finds into warnings.
func (d *Document) validate() []string {
	var out []string
	opts := []openapi3.ValidationOption{openapi3.EnableMultiError(), openapi3.DisableExamplesValidation()}
	if d.spec.IsOpenAPI31OrLater() {
		opts = append(opts, openapi3.IsOpenAPI31OrLater())
	}
	if err := d.spec.Validate(context.Background(), opts...); err != nil {
		var me openapi3.MultiError
		if errors.As(err, &me) {
			for _, e := range me {
				out = append(out, "invalid document: "+e.Error())
			}
		} else {
			out = append(out, "invalid document: "+err.Error())
		}
	}
	if d.spec.Info != nil {
		out = append(out, profileWarnings(d.spec.Info.Extensions)...)
	}
	return out
}

// SHA identifies the document's content: the SHA-256 of its canonical JSON form, so the same
// document in YAML and in JSON, or with its keys in another order, has one identity.
func (d *Document) SHA() string { return d.sha }

// Version is the version the document declares: "2.0" for Swagger, else its "openapi".
func (d *Document) Version() string { return d.version }

// Warnings lists what is wrong with the document without stopping comparisons: kin-openapi's
// validation errors, unusable settings, patterns Treaty cannot evaluate. A broker shows them
// as warning notices when the document is published.
func (d *Document) Warnings() []string {
	d.compiled() // compiling finds more (patterns, unknown security schemes)
	out := append([]string(nil), d.warnings...)
	out = append(out, d.index.warnings...)
	return out
}

// OpenAPI returns the kin-openapi form of the document (Swagger 2.0 converted to 3.0). It
// is shared: do not modify it.
func (d *Document) OpenAPI() *openapi3.T { return d.spec }
