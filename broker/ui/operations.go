package ui

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// An OpenAPI document drawn for people: one entry per operation with its parameters, request
// body and responses, each schema as a tree of properties. Everything is bounded: deep or
// recursive schemas stop with "… more", and a document's schemas together draw at most
// schemaBudget nodes, so a large document makes a long page but never an endless one.

const (
	maxSchemaDepth      = 6
	maxSchemaProperties = 60
	maxSchemaEnum       = 10
	schemaBudget        = 6000
	maxDescription      = 400
)

// operationView is one operation of the document.
type operationView struct {
	Method      string
	Path        string
	Anchor      string
	Summary     string
	Description string
	OperationID string
	Tags        []string
	Deprecated  bool
	Params      []paramView
	Body        *bodyView
	Responses   []responseView
	// Findings are the consumers' interactions the comparisons routed to this operation and
	// found something wrong with.
	Findings []interactionFindings
	Errors   int
	Warnings int
}

type paramView struct {
	Name        string
	In          string
	Description string
	Required    bool
	Deprecated  bool
	Schema      *schemaNode
}

type bodyView struct {
	Description string
	Required    bool
	Media       []mediaView
}

type mediaView struct {
	Type   string
	Schema *schemaNode
}

type responseView struct {
	Status      string
	Description string
	Headers     []paramView
	Media       []mediaView
}

// schemaNode is a schema, or a property of one, as a line of a tree.
type schemaNode struct {
	Name        string // the property's name; "" for a whole schema or an alternative
	Type        string // "object", "array of string", "string (date-time)", "one of", …
	Ref         string // the component it refers to: "Stock"
	Required    bool
	Flags       []string // nullable, read-only, write-only, deprecated
	Notes       []string // constraints: enum, pattern, bounds, default
	Description string
	Children    []schemaNode
	More        int  // properties or alternatives left out
	Recursive   bool // refers to a schema it is inside, which is not drawn again
}

// operationAnchor is the id of an operation's element. The path's characters are kept
// where an id may have them, and a short hash keeps "/a-b" and "/a/b" apart.
func operationAnchor(method, path string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(method) + " " + path))
	words := strings.FieldsFunc(slug(path), func(r rune) bool { return r == '-' })
	return "op-" + strings.ToLower(method) + "-" + strings.Join(append(words, hex.EncodeToString(sum[:3])), "-")
}

// operationKey names an operation as findings do: the lower-case method and the template.
func operationKey(method, path string) string { return strings.ToLower(method) + " " + path }

// methodOrder sorts an operation's methods as API references usually list them.
var methodOrder = map[string]int{"GET": 0, "PUT": 1, "POST": 2, "PATCH": 3, "DELETE": 4, "HEAD": 5, "OPTIONS": 6, "TRACE": 7, "QUERY": 8}

func methodRank(m string) int {
	if r, ok := methodOrder[m]; ok {
		return r
	}
	return len(methodOrder)
}

// operationsOf lists the document's operations by path, then method.
func operationsOf(spec *openapi3.T) []operationView {
	if spec == nil || spec.Paths == nil {
		return nil
	}
	b := &schemaBuilder{budget: schemaBudget}
	paths := spec.Paths.Map()
	keys := make([]string, 0, len(paths))
	for k := range paths {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []operationView
	for _, path := range keys {
		item := paths[path]
		if item == nil {
			continue
		}
		ops := item.Operations()
		methods := make([]string, 0, len(ops))
		for m := range ops {
			methods = append(methods, m)
		}
		sort.Slice(methods, func(i, j int) bool {
			if ri, rj := methodRank(methods[i]), methodRank(methods[j]); ri != rj {
				return ri < rj
			}
			return methods[i] < methods[j]
		})
		for _, m := range methods {
			op := ops[m]
			v := operationView{Method: strings.ToUpper(m), Path: path, Anchor: operationAnchor(m, path), Summary: op.Summary,
				Description: shorten(op.Description, 4*maxDescription), OperationID: op.OperationID, Tags: op.Tags, Deprecated: op.Deprecated}
			if v.Summary == "" {
				v.Summary = item.Summary
			}
			v.Params = b.params(item.Parameters, op.Parameters)
			if op.RequestBody != nil && op.RequestBody.Value != nil {
				rb := op.RequestBody.Value
				v.Body = &bodyView{Description: shorten(rb.Description, maxDescription), Required: rb.Required, Media: b.media(rb.Content)}
			}
			v.Responses = b.responses(op.Responses)
			out = append(out, v)
		}
	}
	return out
}

// schemaBuilder draws schemas within a budget of nodes shared by a whole document.
type schemaBuilder struct{ budget int }

// params merges a path's parameters with an operation's: the operation's win.
func (b *schemaBuilder) params(pathParams, opParams openapi3.Parameters) []paramView {
	type key struct{ name, in string }
	var out []paramView
	index := map[key]int{}
	for _, list := range []openapi3.Parameters{pathParams, opParams} {
		for _, ref := range list {
			if ref == nil || ref.Value == nil {
				continue
			}
			p := ref.Value
			v := paramView{Name: p.Name, In: p.In, Description: shorten(p.Description, maxDescription), Required: p.Required, Deprecated: p.Deprecated}
			switch {
			case p.Schema != nil:
				v.Schema = b.schema(p.Schema)
			case len(p.Content) > 0:
				if media := b.media(p.Content); len(media) > 0 {
					v.Schema = media[0].Schema
				}
			}
			k := key{p.Name, p.In}
			if i, ok := index[k]; ok {
				out[i] = v
				continue
			}
			index[k] = len(out)
			out = append(out, v)
		}
	}
	return out
}

func (b *schemaBuilder) media(content openapi3.Content) []mediaView {
	types := make([]string, 0, len(content))
	for t := range content {
		types = append(types, t)
	}
	sort.Strings(types)
	out := make([]mediaView, 0, len(types))
	for _, t := range types {
		mv := mediaView{Type: t}
		if mt := content[t]; mt != nil && mt.Schema != nil {
			mv.Schema = b.schema(mt.Schema)
		}
		out = append(out, mv)
	}
	return out
}

func (b *schemaBuilder) responses(rs *openapi3.Responses) []responseView {
	if rs == nil {
		return nil
	}
	m := rs.Map()
	codes := make([]string, 0, len(m))
	for c := range m {
		codes = append(codes, c)
	}
	sort.Slice(codes, func(i, j int) bool { return statusRank(codes[i]) < statusRank(codes[j]) })
	out := make([]responseView, 0, len(codes))
	for _, c := range codes {
		ref := m[c]
		if ref == nil || ref.Value == nil {
			continue
		}
		r := ref.Value
		v := responseView{Status: c, Media: b.media(r.Content)}
		if r.Description != nil {
			v.Description = shorten(*r.Description, maxDescription)
		}
		names := make([]string, 0, len(r.Headers))
		for n := range r.Headers {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			h := r.Headers[n]
			if h == nil || h.Value == nil {
				continue
			}
			pv := paramView{Name: n, In: "header", Description: shorten(h.Value.Description, maxDescription), Required: h.Value.Required}
			if h.Value.Schema != nil {
				pv.Schema = b.schema(h.Value.Schema)
			}
			v.Headers = append(v.Headers, pv)
		}
		out = append(out, v)
	}
	return out
}

// statusRank orders responses: 200 before 201 before 2XX before 404, default last.
func statusRank(code string) string {
	if code == "default" {
		return "9"
	}
	return strings.ToUpper(code)
}

func (b *schemaBuilder) schema(ref *openapi3.SchemaRef) *schemaNode {
	n := b.node("", ref, false, 0, nil)
	return &n
}

// node draws a schema; inside are the schemas it is drawn within, to stop at recursion.
func (b *schemaBuilder) node(name string, ref *openapi3.SchemaRef, isRequired bool, depth int, inside []*openapi3.Schema) schemaNode {
	b.budget--
	n := schemaNode{Name: name, Required: isRequired, Ref: refName(ref)}
	if ref == nil || ref.Value == nil {
		n.Type = "any"
		return n
	}
	s := ref.Value
	for _, outer := range inside {
		if outer == s {
			n.Type, n.Recursive = "recursive (drawn above)", true
			return n
		}
	}
	n.Type = typeOf(s)
	n.Description = shorten(s.Description, maxDescription)
	n.Flags = flagsOf(s)
	n.Notes = notesOf(s)
	if len(inside) >= 3*maxSchemaDepth || b.budget <= 0 {
		return n // arrays of arrays of …: deep enough
	}
	inside = append(inside, s)
	// What the schema holds: an array's items stand in for the array, an object's
	// properties and composition's alternatives are its children.
	var kids []func() schemaNode
	if s.Items != nil {
		item := b.node("", s.Items, false, depth, inside)
		n.Type = "array of " + describeType(item)
		if s.Type != nil && s.Type.Includes("null") {
			n.Type += " or null"
		}
		for _, note := range item.Notes {
			n.Notes = append(n.Notes, "items: "+note)
		}
		n.Children, n.More = item.Children, item.More
	}
	required := map[string]bool{}
	for _, r := range s.Required {
		required[r] = true
	}
	names := make([]string, 0, len(s.Properties))
	for p := range s.Properties {
		names = append(names, p)
	}
	sort.Strings(names)
	for _, p := range names {
		kids = append(kids, func() schemaNode { return b.node(p, s.Properties[p], required[p], depth+1, inside) })
	}
	if ap := s.AdditionalProperties; ap.Schema != nil {
		kids = append(kids, func() schemaNode { return b.node("(other keys)", ap.Schema, false, depth+1, inside) })
	} else if ap.Has != nil && !*ap.Has {
		n.Notes = append(n.Notes, "no other keys")
	}
	for _, group := range []struct {
		word string
		list openapi3.SchemaRefs
	}{{"all of", s.AllOf}, {"one of", s.OneOf}, {"any of", s.AnyOf}} {
		if len(group.list) == 0 {
			continue
		}
		if n.Type == group.word && len(names) == 0 && s.Items == nil {
			// The schema is only the composition: its alternatives are its children.
			for _, alt := range group.list {
				kids = append(kids, func() schemaNode { return b.node("", alt, false, depth+1, inside) })
			}
			continue
		}
		kids = append(kids, func() schemaNode {
			g := schemaNode{Type: group.word}
			b.budget--
			for i, alt := range group.list {
				if depth+2 > maxSchemaDepth || b.budget <= 0 {
					g.More = len(group.list) - i
					break
				}
				g.Children = append(g.Children, b.node("", alt, false, depth+2, inside))
			}
			return g
		})
	}
	if s.Not != nil {
		kids = append(kids, func() schemaNode {
			g := b.node("", s.Not, false, depth+1, inside)
			g.Type = "not " + describeType(g)
			return g
		})
	}
	for i, kid := range kids {
		if depth+1 > maxSchemaDepth || i >= maxSchemaProperties || b.budget <= 0 {
			n.More += len(kids) - i
			break
		}
		n.Children = append(n.Children, kid())
	}
	return n
}

// describeType is a node's type as its parent names it: "Stock" rather than "object".
func describeType(n schemaNode) string {
	switch {
	case n.Recursive && n.Ref != "":
		return n.Ref + " (recursive)"
	case n.Ref != "" && n.Type == "object":
		return n.Ref
	}
	return n.Type
}

// refName is the last part of a reference: "Stock" for "#/components/schemas/Stock".
func refName(ref *openapi3.SchemaRef) string {
	if ref == nil || ref.Ref == "" {
		return ""
	}
	r := ref.Ref
	if i := strings.LastIndex(r, "/"); i >= 0 {
		r = r[i+1:]
	}
	if u, err := url.PathUnescape(r); err == nil {
		r = u
	}
	return strings.NewReplacer("~1", "/", "~0", "~").Replace(r)
}

func typeOf(s *openapi3.Schema) string {
	var types []string
	if s.Type != nil {
		types = s.Type.Slice()
	}
	t := strings.Join(types, " or ")
	switch {
	case t != "":
	case len(s.Properties) > 0 || s.AdditionalProperties.Schema != nil:
		t = "object"
	case s.Items != nil:
		t = "array"
	case len(s.AllOf) > 0:
		t = "all of"
	case len(s.OneOf) > 0:
		t = "one of"
	case len(s.AnyOf) > 0:
		t = "any of"
	case s.Const != nil:
		t = "constant"
	default:
		t = "any"
	}
	if s.Format != "" {
		t += " (" + s.Format + ")"
	}
	return t
}

func flagsOf(s *openapi3.Schema) []string {
	var out []string
	for _, f := range []struct {
		on   bool
		name string
	}{{s.Nullable, "nullable"}, {s.ReadOnly, "read-only"}, {s.WriteOnly, "write-only"}, {s.Deprecated, "deprecated"}} {
		if f.on {
			out = append(out, f.name)
		}
	}
	return out
}

func notesOf(s *openapi3.Schema) []string {
	var out []string
	if len(s.Enum) > 0 {
		vals := make([]string, 0, min(len(s.Enum), maxSchemaEnum))
		for i, e := range s.Enum {
			if i == maxSchemaEnum {
				vals = append(vals, fmt.Sprintf("… %d more", len(s.Enum)-i))
				break
			}
			vals = append(vals, shorten(compactJSON(e), 60))
		}
		out = append(out, "one of "+strings.Join(vals, ", "))
	}
	if s.Const != nil {
		out = append(out, "always "+shorten(compactJSON(s.Const), 60))
	}
	if s.Pattern != "" {
		out = append(out, "pattern "+shorten(s.Pattern, 120))
	}
	num := func(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
	if s.Min != nil {
		out = append(out, "minimum "+num(*s.Min))
	}
	if s.Max != nil {
		out = append(out, "maximum "+num(*s.Max))
	}
	if s.MinLength > 0 {
		out = append(out, fmt.Sprintf("at least %d characters", s.MinLength))
	}
	if s.MaxLength != nil {
		out = append(out, fmt.Sprintf("at most %d characters", *s.MaxLength))
	}
	if s.MinItems > 0 {
		out = append(out, fmt.Sprintf("at least %d items", s.MinItems))
	}
	if s.MaxItems != nil {
		out = append(out, fmt.Sprintf("at most %d items", *s.MaxItems))
	}
	if s.UniqueItems {
		out = append(out, "unique items")
	}
	if s.Default != nil {
		out = append(out, "default "+shorten(compactJSON(s.Default), 60))
	}
	return out
}

// shorten cuts text to at most n characters, on one line.
func shorten(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	return truncate(s, n)
}
