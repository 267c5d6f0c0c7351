package ui

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/treaty-dev/treaty/broker"
)

// How a pact changed between two versions, for people: which interactions were added,
// removed or changed (matched by description and provider states), and for a changed one
// every JSON value that differs, by path, with its old and new value.

// Kinds of change.
const (
	changeAdded   = "added"
	changeRemoved = "removed"
	changeChanged = "changed"
)

// jsonChange is one value that differs between two JSON documents.
type jsonChange struct {
	Path string // a JSONPath such as $.response.body.transaction_id
	Kind string
	Old  string // compact JSON, "" when added
	New  string // compact JSON, "" when removed
}

// diffJSON lists the differences between a and b below path, in document order (object keys
// sorted). Arrays are compared element by element.
func diffJSON(path string, a, b any) []jsonChange {
	switch av := a.(type) {
	case map[string]any:
		bv, ok := b.(map[string]any)
		if !ok {
			break
		}
		keys := map[string]bool{}
		for k := range av {
			keys[k] = true
		}
		for k := range bv {
			keys[k] = true
		}
		sorted := make([]string, 0, len(keys))
		for k := range keys {
			sorted = append(sorted, k)
		}
		sort.Strings(sorted)
		var out []jsonChange
		for _, k := range sorted {
			p := childPath(path, k)
			x, inA := av[k]
			y, inB := bv[k]
			switch {
			case !inA:
				out = append(out, jsonChange{Path: p, Kind: changeAdded, New: compactJSON(y)})
			case !inB:
				out = append(out, jsonChange{Path: p, Kind: changeRemoved, Old: compactJSON(x)})
			default:
				out = append(out, diffJSON(p, x, y)...)
			}
		}
		return out
	case []any:
		bv, ok := b.([]any)
		if !ok {
			break
		}
		var out []jsonChange
		for i := 0; i < max(len(av), len(bv)); i++ {
			p := fmt.Sprintf("%s[%d]", path, i)
			switch {
			case i >= len(av):
				out = append(out, jsonChange{Path: p, Kind: changeAdded, New: compactJSON(bv[i])})
			case i >= len(bv):
				out = append(out, jsonChange{Path: p, Kind: changeRemoved, Old: compactJSON(av[i])})
			default:
				out = append(out, diffJSON(p, av[i], bv[i])...)
			}
		}
		return out
	}
	if sameJSON(a, b) {
		return nil
	}
	return []jsonChange{{Path: path, Kind: changeChanged, Old: compactJSON(a), New: compactJSON(b)}}
}

var plainKey = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func childPath(path, key string) string {
	if plainKey.MatchString(key) {
		return path + "." + key
	}
	return path + "['" + strings.ReplaceAll(key, "'", `\'`) + "']"
}

func sameJSON(a, b any) bool {
	ja, errA := json.Marshal(a)
	jb, errB := json.Marshal(b)
	return errA == nil && errB == nil && string(ja) == string(jb)
}

// interactionChange is an interaction that was added, removed or changed.
type interactionChange struct {
	Kind        string
	Description string
	States      string
	Anchor      string // the interaction's anchor on the page of the version that has it
	Changes     []jsonChange
}

// pactDiff is how after differs from before.
type pactDiff struct {
	Interactions []interactionChange
	Unchanged    int
	// SpecBefore and SpecAfter are the Pact specification versions, when they differ.
	SpecBefore, SpecAfter string
}

// Summary counts the interactions by kind of change: "1 changed, 1 added, 2 unchanged".
func (d pactDiff) Summary() string {
	n := map[string]int{}
	for _, c := range d.Interactions {
		n[c.Kind]++
	}
	var parts []string
	for _, k := range []string{changeChanged, changeAdded, changeRemoved} {
		if n[k] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n[k], k))
		}
	}
	if d.Unchanged > 0 {
		parts = append(parts, fmt.Sprintf("%d unchanged", d.Unchanged))
	}
	return strings.Join(parts, ", ")
}

// Empty reports whether nothing a person would notice changed.
func (d pactDiff) Empty() bool { return len(d.Interactions) == 0 && d.SpecBefore == d.SpecAfter }

// diffPacts compares two pacts' interactions and specification versions (the rest of the
// metadata does not change a pact's content). Interactions are paired by type, description
// and provider states; what is left over was added or removed.
func diffPacts(beforeDoc, afterDoc *broker.PactDocument) pactDiff {
	before, after := beforeDoc.Interactions(), afterDoc.Interactions()
	type entry struct {
		it   map[string]any
		used bool
	}
	index := map[string][]*entry{}
	var order []*entry
	for _, it := range before {
		e := &entry{it: it}
		k := interactionKey(it)
		index[k] = append(index[k], e)
		order = append(order, e)
	}
	var d pactDiff
	for _, it := range after {
		k := interactionKey(it)
		var match *entry
		for _, e := range index[k] {
			if !e.used {
				match = e
				break
			}
		}
		desc, _ := it["description"].(string)
		if match == nil {
			d.Interactions = append(d.Interactions, interactionChange{Kind: changeAdded, Description: desc, States: statesText(it), Anchor: anchorOf(it)})
			continue
		}
		match.used = true
		changes := diffJSON("$", withoutKeys(match.it, "_id"), withoutKeys(it, "_id"))
		if len(changes) == 0 {
			d.Unchanged++
			continue
		}
		d.Interactions = append(d.Interactions, interactionChange{Kind: changeChanged, Description: desc, States: statesText(it),
			Anchor: anchorOf(it), Changes: changes})
	}
	for _, e := range order {
		if !e.used {
			desc, _ := e.it["description"].(string)
			d.Interactions = append(d.Interactions, interactionChange{Kind: changeRemoved, Description: desc, States: statesText(e.it), Anchor: anchorOf(e.it)})
		}
	}
	if b, a := beforeDoc.SpecificationVersion(), afterDoc.SpecificationVersion(); a != b {
		d.SpecBefore, d.SpecAfter = b, a
	}
	return d
}

func interactionKey(it map[string]any) string {
	data, _ := json.Marshal([]any{it["type"], it["description"], it["providerState"], it["providerStates"]})
	return string(data)
}

// statesText names an interaction's provider states on one line.
func statesText(it map[string]any) string {
	var names []string
	if s, ok := it["providerState"].(string); ok && s != "" {
		names = append(names, s)
	}
	list, _ := it["providerStates"].([]any)
	for _, st := range list {
		m, _ := st.(map[string]any)
		if n, ok := m["name"].(string); ok {
			names = append(names, n)
		}
	}
	return strings.Join(names, "; ")
}

// withoutKeys copies an object without some keys; other values pass through.
func withoutKeys(v any, keys ...string) any {
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	out := make(map[string]any, len(m))
	for k, val := range m {
		out[k] = val
	}
	for _, k := range keys {
		delete(out, k)
	}
	return out
}
