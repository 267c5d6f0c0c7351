package deploy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// yamlFile is a YAML stream edited in place: the parsed nodes say where a value is, and the
// edit replaces just those bytes (or inserts whole lines), so comments, quoting, indentation
// and key order stay as people wrote them and the commit's diff is the one line that changed.
// An edit the text cannot take safely (a flow mapping, a multi-line scalar, a missing parent)
// is made on the nodes instead, and then the whole stream is re-encoded: correct, if less
// tidy.
type yamlFile struct {
	src      []byte
	lineOff  []int // byte offset where each line starts
	docs     []*yaml.Node
	edits    []textEdit
	reencode bool
	// orig keeps the source value of every scalar changed so far: spans are found from the
	// text as it was, whatever the nodes say now.
	orig map[*yaml.Node]string
}

// textEdit replaces src[start:end] with text; start == end inserts.
type textEdit struct {
	start, end int
	text       string
}

func parseYAML(src []byte) (*yamlFile, error) {
	f := &yamlFile{src: src, lineOff: []int{0}, orig: map[*yaml.Node]string{}}
	for i, b := range src {
		if b == '\n' {
			f.lineOff = append(f.lineOff, i+1)
		}
	}
	dec := yaml.NewDecoder(bytes.NewReader(src))
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		f.docs = append(f.docs, &n)
	}
	return f, nil
}

// root is the top mapping of each document that has one.
func (f *yamlFile) roots() []*yaml.Node {
	var out []*yaml.Node
	for _, d := range f.docs {
		if d.Kind == yaml.DocumentNode && len(d.Content) == 1 && d.Content[0].Kind == yaml.MappingNode {
			out = append(out, d.Content[0])
		}
	}
	return out
}

// offset is the byte offset of a node position (1-based line, 1-based column in characters).
func (f *yamlFile) offset(line, col int) (int, bool) {
	if line < 1 || line > len(f.lineOff) || col < 1 {
		return 0, false
	}
	off := f.lineOff[line-1]
	for range col - 1 {
		if off >= len(f.src) || f.src[off] == '\n' {
			return 0, false
		}
		_, size := utf8.DecodeRune(f.src[off:])
		off += size
	}
	return off, true
}

// lineEnd is the offset just past the newline that ends line (1-based), or the end of src.
func (f *yamlFile) lineEnd(line int) int {
	if line < len(f.lineOff) {
		return f.lineOff[line]
	}
	return len(f.src)
}

// scalarSpan is where a single-line scalar's source text is, quotes included.
func (f *yamlFile) scalarSpan(n *yaml.Node) (start, end int, ok bool) {
	if n.Kind != yaml.ScalarNode || n.Style&(yaml.TaggedStyle|yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		return 0, 0, false
	}
	start, ok = f.offset(n.Line, n.Column)
	if !ok {
		return 0, 0, false
	}
	rest := f.src[start:f.lineEnd(n.Line)]
	value, changed := f.orig[n]
	if !changed {
		value = n.Value
	}
	switch n.Style {
	case 0:
		if !bytes.HasPrefix(rest, []byte(value)) || value == "" {
			return 0, 0, false
		}
		return start, start + len(value), true
	case yaml.DoubleQuotedStyle:
		if len(rest) == 0 || rest[0] != '"' {
			return 0, 0, false
		}
		for i := 1; i < len(rest); i++ {
			switch rest[i] {
			case '\\':
				i++
			case '"':
				return start, start + i + 1, true
			}
		}
	case yaml.SingleQuotedStyle:
		if len(rest) == 0 || rest[0] != '\'' {
			return 0, 0, false
		}
		for i := 1; i < len(rest); i++ {
			if rest[i] == '\'' {
				if i+1 < len(rest) && rest[i+1] == '\'' {
					i++
					continue
				}
				return start, start + i + 1, true
			}
		}
	}
	return 0, 0, false
}

// endLine is the last line a block node's text is on, or 0 when that cannot be known.
func (f *yamlFile) endLine(n *yaml.Node) int {
	switch n.Kind {
	case yaml.ScalarNode:
		if _, _, ok := f.scalarSpan(n); ok {
			return n.Line
		}
		return 0
	case yaml.AliasNode:
		return n.Line
	case yaml.MappingNode:
		// Nodes this edit added have no line; the text ends with the last one that has.
		if n.Style&yaml.FlowStyle == 0 {
			for i := len(n.Content) - 2; i >= 0; i -= 2 {
				if n.Content[i].Line != 0 {
					return f.endLine(n.Content[i+1])
				}
			}
		}
	case yaml.SequenceNode:
		if n.Style&yaml.FlowStyle == 0 {
			for i := len(n.Content) - 1; i >= 0; i-- {
				if n.Content[i].Line != 0 {
					return f.endLine(n.Content[i])
				}
			}
		}
	}
	return 0
}

// encodeScalar writes value as a YAML string in the given style, quoting a plain value that
// would otherwise read as another type (a commit id of digits, "true", "1e10").
func encodeScalar(value string, style yaml.Style) string {
	out, err := yaml.Marshal(&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: value, Style: style & (yaml.DoubleQuotedStyle | yaml.SingleQuotedStyle)})
	if err != nil {
		return fmt.Sprintf("%q", value)
	}
	return strings.TrimSuffix(string(out), "\n")
}

// setScalar changes a scalar's value, in place when its text allows.
func (f *yamlFile) setScalar(n *yaml.Node, value string) {
	if n.Value == value {
		return
	}
	if start, end, ok := f.scalarSpan(n); ok {
		f.edits = append(f.edits, textEdit{start: start, end: end, text: encodeScalar(value, n.Style)})
	} else {
		f.reencode = true
	}
	if _, ok := f.orig[n]; !ok && n.Kind == yaml.ScalarNode {
		f.orig[n] = n.Value
	}
	n.Kind, n.Tag, n.Value, n.Content = yaml.ScalarNode, "!!str", value, nil
	if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) == 0 {
		n.Style = 0
	}
}

// mapGet returns the key and value nodes of key in mapping m.
func mapGet(m *yaml.Node, key string) (k, v *yaml.Node) {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Kind == yaml.ScalarNode && m.Content[i].Value == key {
			return m.Content[i], m.Content[i+1]
		}
	}
	return nil, nil
}

// scalarValue is the string value of key in m, and whether it is a scalar there.
func scalarValue(m *yaml.Node, key string) (string, bool) {
	_, v := mapGet(m, key)
	if v == nil || v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
		return "", false
	}
	return v.Value, true
}

// setKey sets key to a string value in mapping m. A missing key is added after the first
// of the after keys that m has (so kustomize's name/newName/newTag/digest keep their usual
// order), or after all the others.
func (f *yamlFile) setKey(m *yaml.Node, key, value string, after ...string) {
	if _, v := mapGet(m, key); v != nil {
		f.setScalar(v, value)
		return
	}
	pos := len(m.Content)
	for _, a := range after {
		if i := mapIndex(m, a); i >= 0 {
			pos = i + 2
			break
		}
	}
	f.insertLines(m, pos, []string{key + ": " + encodeScalar(value, 0)})
	m.Content = append(m.Content[:pos], append([]*yaml.Node{
		{Kind: yaml.ScalarNode, Tag: "!!str", Value: key},
		{Kind: yaml.ScalarNode, Tag: "!!str", Value: value},
	}, m.Content[pos:]...)...)
}

// mapIndex is the index of key's key node in m.Content, or -1.
func mapIndex(m *yaml.Node, key string) int {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Kind == yaml.ScalarNode && m.Content[i].Value == key {
			return i
		}
	}
	return -1
}

// insertLines adds lines to block mapping m before its entry at pos (a key's index in
// m.Content; len(m.Content) is the end), indented like its keys.
func (f *yamlFile) insertLines(m *yaml.Node, pos int, lines []string) {
	if len(m.Content) == 0 || m.Style&yaml.FlowStyle != 0 {
		f.reencode = true
		return
	}
	// The entry before pos ends on the last line to insert after.
	before := &yaml.Node{Kind: yaml.MappingNode, Content: m.Content[:pos]}
	last := f.endLine(before)
	first := m.Content[0]
	start, ok := f.offset(first.Line, 1)
	if last == 0 || !ok {
		f.reencode = true
		return
	}
	// The keys' column, as spaces: a mapping that is a sequence item ("- name: x") has its
	// later keys under the first key, not under the dash.
	indent := strings.Repeat(" ", first.Column-1)
	if prefix := string(f.src[start : start+len(indent)]); strings.TrimLeft(prefix, " -") != "" {
		f.reencode = true
		return
	}
	var text strings.Builder
	for _, l := range lines {
		text.WriteString(indent + l + "\n")
	}
	at := f.lineEnd(last)
	if at == len(f.src) && (len(f.src) == 0 || f.src[len(f.src)-1] != '\n') {
		f.edits = append(f.edits, textEdit{start: at, end: at, text: "\n" + strings.TrimSuffix(text.String(), "\n")})
		return
	}
	f.edits = append(f.edits, textEdit{start: at, end: at, text: text.String()})
}

// deleteKey removes key from mapping m: its lines when the key starts its own line and its
// value ends on a known line.
func (f *yamlFile) deleteKey(m *yaml.Node, key string) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		if k.Kind != yaml.ScalarNode || k.Value != key {
			continue
		}
		m.Content = append(m.Content[:i:i], m.Content[i+2:]...)
		lineStart, ok := f.offset(k.Line, 1)
		keyStart, ok2 := f.offset(k.Line, k.Column)
		last := f.endLine(v)
		if !ok || !ok2 || last == 0 || m.Style&yaml.FlowStyle != 0 ||
			strings.TrimLeft(string(f.src[lineStart:keyStart]), " ") != "" {
			f.reencode = true
			return
		}
		f.edits = append(f.edits, textEdit{start: lineStart, end: f.lineEnd(last)})
		return
	}
}

// appendItem adds a block mapping of the given key/value pairs at the end of sequence seq.
func (f *yamlFile) appendItem(seq *yaml.Node, pairs [][2]string) {
	item := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	for _, p := range pairs {
		item.Content = append(item.Content,
			&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: p[0]},
			&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: p[1]})
	}
	defer func() { seq.Content = append(seq.Content, item) }()
	last := f.endLine(seq)
	if last == 0 {
		f.reencode = true
		return
	}
	start, ok := f.offset(seq.Content[0].Line, 1)
	if !ok {
		f.reencode = true
		return
	}
	line := string(f.src[start:f.lineEnd(seq.Content[0].Line)])
	dash := len(line) - len(strings.TrimLeft(line, " "))
	if !strings.HasPrefix(line[dash:], "- ") {
		f.reencode = true
		return
	}
	indent := strings.Repeat(" ", dash)
	var text strings.Builder
	for i, p := range pairs {
		lead := indent + "  "
		if i == 0 {
			lead = indent + "- "
		}
		text.WriteString(lead + p[0] + ": " + encodeScalar(p[1], 0) + "\n")
	}
	at := f.lineEnd(last)
	if at == len(f.src) && len(f.src) > 0 && f.src[len(f.src)-1] != '\n' {
		f.edits = append(f.edits, textEdit{start: at, end: at, text: "\n" + strings.TrimSuffix(text.String(), "\n")})
		return
	}
	f.edits = append(f.edits, textEdit{start: at, end: at, text: text.String()})
}

// bytes is the edited stream.
func (f *yamlFile) bytes() ([]byte, error) {
	if f.reencode {
		return f.encode()
	}
	edits := append([]textEdit(nil), f.edits...)
	sort.SliceStable(edits, func(i, j int) bool { return edits[i].start < edits[j].start })
	var out bytes.Buffer
	pos := 0
	for _, e := range edits {
		if e.start < pos {
			return nil, errors.New("overlapping edits")
		}
		out.Write(f.src[pos:e.start])
		out.WriteString(e.text)
		pos = e.end
	}
	out.Write(f.src[pos:])
	return out.Bytes(), nil
}

// encode writes the nodes out again, two-space indented.
func (f *yamlFile) encode() ([]byte, error) {
	var out bytes.Buffer
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(2)
	for _, d := range f.docs {
		if err := enc.Encode(d); err != nil {
			return nil, err
		}
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}
