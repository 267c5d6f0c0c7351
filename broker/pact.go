package broker

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"unicode/utf8"
)

// PactDocument is a parsed pact file: any Pact specification version (2, 3 or 4, HTTP and
// message interactions). It keeps the whole document as generic JSON so that what was
// published is served back intact; numbers keep their exact text.
type PactDocument struct {
	doc map[string]any
}

// ParsePact parses a pact file. It must be a JSON object naming its consumer and provider.
func ParsePact(data []byte) (*PactDocument, error) {
	if !utf8.Valid(data) {
		return nil, fmt.Errorf("pact content is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("pact content is not valid JSON: %v", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("pact content has trailing data after the JSON document")
	}
	doc, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("pact content must be a JSON object")
	}
	return &PactDocument{doc: doc}, nil
}

// ConsumerName is consumer.name, or "" when absent.
func (p *PactDocument) ConsumerName() string { return nameOf(p.doc["consumer"]) }

// ProviderName is provider.name, or "" when absent.
func (p *PactDocument) ProviderName() string { return nameOf(p.doc["provider"]) }

func nameOf(v any) string {
	m, ok := v.(map[string]any)
	if !ok {
		return ""
	}
	s, _ := m["name"].(string)
	return s
}

// SpecificationVersion is the Pact specification version from the metadata, in any of the
// spellings the clients have used, or "" when none is given.
func (p *PactDocument) SpecificationVersion() string {
	meta, _ := p.doc["metadata"].(map[string]any)
	for _, key := range []string{"pactSpecification", "pact-specification"} {
		if m, ok := meta[key].(map[string]any); ok {
			if s, ok := m["version"].(string); ok {
				return s
			}
		}
	}
	if s, ok := meta["pactSpecificationVersion"].(string); ok {
		return s
	}
	return ""
}

// Interactions returns the HTTP and message interactions (V2/V3 "interactions", V3 "messages",
// V4 "interactions" of every type).
func (p *PactDocument) Interactions() []map[string]any {
	var out []map[string]any
	for _, key := range []string{"interactions", "messages"} {
		list, _ := p.doc[key].([]any)
		for _, it := range list {
			if m, ok := it.(map[string]any); ok {
				out = append(out, m)
			}
		}
	}
	return out
}

// SHA identifies the pact's content: the SHA-1 of its interactions and messages (each sorted,
// keys sorted recursively) and its specification version. Names, other metadata and the order
// of interactions do not change it, so the same expectations published twice are one content
// and share their verifications. Interaction _ids are left out, so a pact fetched from the
// broker and published again keeps its identity.
func (p *PactDocument) SHA() string {
	content := map[string]any{}
	hasList := false
	for _, key := range []string{"interactions", "messages"} {
		list, ok := p.doc[key].([]any)
		if !ok {
			continue
		}
		hasList = true
		items := make([]string, 0, len(list))
		for _, it := range list {
			items = append(items, canonicalJSON(withoutID(it)))
		}
		sort.Strings(items)
		raw := make([]json.RawMessage, len(items))
		for i, s := range items {
			raw[i] = json.RawMessage(s)
		}
		content[key] = raw
	}
	if v := p.SpecificationVersion(); v != "" {
		content["pact_specification_version"] = v
	}
	var text string
	if hasList {
		text = canonicalJSON(content)
	} else {
		text = canonicalJSON(p.doc)
	}
	sum := sha1.Sum([]byte(text))
	return hex.EncodeToString(sum[:])
}

// WithInteractionIDs returns the document as JSON with an "_id" on every interaction: the
// SHA-1 of the interaction's canonical form. Verifiers echo it back in their test results.
func (p *PactDocument) WithInteractionIDs() []byte {
	for _, key := range []string{"interactions", "messages"} {
		list, _ := p.doc[key].([]any)
		for _, it := range list {
			if m, ok := it.(map[string]any); ok {
				m["_id"] = InteractionID(m)
			}
		}
	}
	return []byte(canonicalJSON(p.doc))
}

// InteractionID is the stable id of one interaction.
func InteractionID(interaction map[string]any) string {
	sum := sha1.Sum([]byte(canonicalJSON(withoutID(interaction))))
	return hex.EncodeToString(sum[:])
}

// JSON returns the document as JSON.
func (p *PactDocument) JSON() []byte { return []byte(canonicalJSON(p.doc)) }

// Merge adds other's interactions to p. An interaction of other with the same description
// and provider state as one of p's must be identical to it; a changed one is a conflict.
func (p *PactDocument) Merge(other *PactDocument) error {
	for _, key := range []string{"interactions", "messages"} {
		incoming, ok := other.doc[key].([]any)
		if !ok {
			continue
		}
		existing, _ := p.doc[key].([]any)
		index := map[string]string{}
		for _, it := range existing {
			index[interactionKey(it)] = canonicalJSON(withoutID(it))
		}
		for _, it := range incoming {
			k := interactionKey(it)
			if have, ok := index[k]; ok {
				if have != canonicalJSON(withoutID(it)) {
					return fmt.Errorf("an interaction with the same description and provider state but different content already exists: %s", describeInteraction(it))
				}
				continue
			}
			index[k] = canonicalJSON(withoutID(it))
			existing = append(existing, it)
		}
		p.doc[key] = existing
	}
	return nil
}

func interactionKey(it any) string {
	m, _ := it.(map[string]any)
	return canonicalJSON([]any{m["type"], m["description"], m["providerState"], m["providerStates"]})
}

func describeInteraction(it any) string {
	m, _ := it.(map[string]any)
	d, _ := m["description"].(string)
	return fmt.Sprintf("%q", d)
}

func withoutID(v any) any {
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	if _, has := m["_id"]; !has {
		return v
	}
	c := make(map[string]any, len(m))
	for k, val := range m {
		if k != "_id" {
			c[k] = val
		}
	}
	return c
}

// canonicalJSON serialises v with sorted keys and no HTML escaping, the form every hash uses.
func canonicalJSON(v any) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// Only values produced by ParsePact reach here, and those always encode.
		panic(fmt.Sprintf("canonical JSON: %v", err))
	}
	return string(bytes.TrimRight(buf.Bytes(), "\n"))
}

// ProviderStatesOf lists the provider states the pact's interactions name, in both the V2
// ("providerState") and V3+ ("providerStates" with params) forms.
func ProviderStatesOf(p *PactDocument) []ProviderState {
	var out []ProviderState
	for _, it := range p.Interactions() {
		if s, ok := it["providerState"].(string); ok && s != "" {
			out = append(out, ProviderState{Name: s})
		}
		list, _ := it["providerStates"].([]any)
		for _, st := range list {
			m, _ := st.(map[string]any)
			name, _ := m["name"].(string)
			if name == "" {
				continue
			}
			params, _ := m["params"].(map[string]any)
			out = append(out, ProviderState{Name: name, Params: params})
		}
	}
	return out
}

// DiffInteractions summarises how after's interactions differ from before's, by description:
// what a person needs to see to understand a refused change.
func DiffInteractions(before, after *PactDocument) string {
	index := func(d *PactDocument) map[string]string {
		m := map[string]string{}
		for _, it := range d.Interactions() {
			desc, _ := it["description"].(string)
			m[desc] = canonicalJSON(withoutID(it))
		}
		return m
	}
	b, a := index(before), index(after)
	var added, removed, changed []string
	for k, v := range a {
		if old, ok := b[k]; !ok {
			added = append(added, k)
		} else if old != v {
			changed = append(changed, k)
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			removed = append(removed, k)
		}
	}
	sort.Strings(added)
	sort.Strings(removed)
	sort.Strings(changed)
	var buf bytes.Buffer
	buf.WriteString("Differences between the published pact and this one:")
	for _, part := range []struct {
		label string
		list  []string
	}{{"changed", changed}, {"added", added}, {"removed", removed}} {
		for _, d := range part.list {
			fmt.Fprintf(&buf, "\n  %s: interaction %q", part.label, d)
		}
	}
	if len(added)+len(removed)+len(changed) == 0 {
		buf.WriteString("\n  the metadata or specification version changed")
	}
	return buf.String()
}
