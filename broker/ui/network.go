package ui

import (
	"fmt"
	"net/http"
	"sort"

	"github.com/treaty-dev/treaty/broker/store"
)

// maxNetworkEdges bounds the integrations drawn; a larger broker is browsed around one
// pacticipant at a time.
const maxNetworkEdges = 1000

type networkData struct {
	Focus     string
	Names     []string
	Graph     graph
	Edges     []graphEdge
	Total     int
	Truncated bool
}

// graph is a drawing of services (nodes) and integrations (edges, consumer → provider),
// laid out in columns on the server: consumers on the left of their providers.
type graph struct {
	Width, Height int
	Nodes         []graphNode
	Edges         []graphEdge
}

type graphNode struct {
	Name       string
	Label      string // the name, shortened to fit
	X, Y, W, H int
	TextX      int
	TextY      int
	SubY       int
	Sub        string
	URL        string
	Focus      bool
}

type graphEdge struct {
	Consumer        string
	Provider        string
	Result          string
	ProviderVersion string
	Path            string
	URL             string
	Title           string
}

// network draws every integration, or those of one pacticipant, coloured by the latest
// verification of its latest pact.
func (p *Pages) network(r *http.Request) (*page, error) {
	ctx := r.Context()
	in := readParams(r)
	focus := in.name("pacticipant")
	if err := in.err(); err != nil {
		return nil, err
	}
	if focus != "" {
		if _, err := p.store.MatrixPacticipant(ctx, focus); err != nil {
			return nil, err
		}
	}
	list, total, err := p.store.IntegrationStatuses(ctx, store.IntegrationQuery{Limit: maxNetworkEdges})
	if err != nil {
		return nil, err
	}
	d := networkData{Focus: focus, Total: total, Truncated: total > len(list)}
	names := map[string]bool{}
	var edges []graphEdge
	for _, it := range list {
		names[it.Consumer], names[it.Provider] = true, true
		if focus != "" && it.Consumer != focus && it.Provider != focus {
			continue
		}
		e := graphEdge{Consumer: it.Consumer, Provider: it.Provider, Result: verificationResult(it.Verification),
			URL: p.links.IntegrationMatrix(it.Consumer, it.Provider)}
		if it.Verification != nil {
			e.ProviderVersion = it.Verification.ProviderVersion
		}
		e.Title = fmt.Sprintf("%s → %s: %s", e.Consumer, e.Provider, resultLabels[e.Result])
		if e.ProviderVersion != "" {
			e.Title += " by " + e.ProviderVersion
		}
		edges = append(edges, e)
	}
	for n := range names {
		d.Names = append(d.Names, n)
	}
	sort.Strings(d.Names)
	d.Graph = layoutGraph(edges, focus, p.links)
	d.Edges = d.Graph.Edges
	title := "Network"
	if focus != "" {
		title = "Network of " + focus
	}
	return &page{template: "network", title: title, nav: "network", data: d}, nil
}

// Drawing sizes, in SVG units (pixels at 100%).
const (
	nodeHeight   = 40
	rowGap       = 22
	colGap       = 120
	margin       = 24
	charWidth    = 8 // a generous average for 13px system-ui
	subCharWidth = 7 // 11px monospace
	maxNodeW     = 260
	minNodeW     = 120
)

// layoutGraph places the services in columns by the longest chain of consumers before them
// (cycles are broken where a depth-first walk finds them), orders each column to keep edges
// short (a few barycentre sweeps), and draws each integration as a curve.
func layoutGraph(edges []graphEdge, focus string, l links) graph {
	var names []string
	seen := map[string]bool{}
	out := map[string][]string{}
	in := map[string][]string{}
	for _, e := range edges {
		for _, n := range []string{e.Consumer, e.Provider} {
			if !seen[n] {
				seen[n] = true
				names = append(names, n)
			}
		}
		out[e.Consumer] = append(out[e.Consumer], e.Provider)
		in[e.Provider] = append(in[e.Provider], e.Consumer)
	}
	if focus != "" && !seen[focus] {
		names = append(names, focus)
	}
	sort.Strings(names)
	for _, n := range names {
		sort.Strings(out[n])
	}

	// Break cycles: an edge to a node still on the depth-first stack goes backwards.
	back := map[[2]string]bool{}
	state := map[string]int{} // 0 new, 1 on the stack, 2 done
	var visit func(string)
	visit = func(n string) {
		state[n] = 1
		for _, m := range out[n] {
			switch state[m] {
			case 0:
				visit(m)
			case 1:
				back[[2]string{n, m}] = true
			}
		}
		state[n] = 2
	}
	for _, n := range names {
		if len(in[n]) == 0 && state[n] == 0 {
			visit(n)
		}
	}
	for _, n := range names {
		if state[n] == 0 {
			visit(n)
		}
	}

	// Longest-path layering over the acyclic edges, in topological order.
	layer := map[string]int{}
	indeg := map[string]int{}
	for _, n := range names {
		for _, m := range out[n] {
			if !back[[2]string{n, m}] && m != n {
				indeg[m]++
			}
		}
	}
	queue := []string{}
	for _, n := range names {
		if indeg[n] == 0 {
			queue = append(queue, n)
		}
	}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		for _, m := range out[n] {
			if back[[2]string{n, m}] || m == n {
				continue
			}
			layer[m] = max(layer[m], layer[n]+1)
			if indeg[m]--; indeg[m] == 0 {
				queue = append(queue, m)
			}
		}
	}
	depth := 0
	for _, n := range names {
		depth = max(depth, layer[n]+1)
	}
	columns := make([][]string, depth)
	for _, n := range names {
		columns[layer[n]] = append(columns[layer[n]], n)
	}

	// Barycentre ordering: sort each column by the mean position of its neighbours in the
	// column before (forward sweep) or after (backward sweep).
	pos := map[string]float64{}
	setPos := func() {
		for _, col := range columns {
			for i, n := range col {
				pos[n] = float64(i) / float64(max(len(col), 1))
			}
		}
	}
	setPos()
	sweep := func(c int, neighbours map[string][]string) {
		bary := map[string]float64{}
		for _, n := range columns[c] {
			sum, k := 0.0, 0
			for _, m := range neighbours[n] {
				sum += pos[m]
				k++
			}
			if k == 0 {
				bary[n] = pos[n]
			} else {
				bary[n] = sum / float64(k)
			}
		}
		sort.SliceStable(columns[c], func(i, j int) bool { return bary[columns[c][i]] < bary[columns[c][j]] })
		for i, n := range columns[c] {
			pos[n] = float64(i) / float64(max(len(columns[c]), 1))
		}
	}
	for range 4 {
		for c := 1; c < depth; c++ {
			sweep(c, in)
		}
		for c := depth - 2; c >= 0; c-- {
			sweep(c, out)
		}
	}

	// Coordinates: each column as wide as its longest name, centred vertically.
	g := graph{}
	tallest := 0
	for _, col := range columns {
		tallest = max(tallest, len(col))
	}
	nodes := map[string]*graphNode{}
	x := margin
	for _, col := range columns {
		w := minNodeW
		for _, n := range col {
			w = max(w, min(maxNodeW, len([]rune(n))*charWidth+28), len(subtitle(in[n], out[n]))*subCharWidth+24)
		}
		top := margin + (tallest-len(col))*(nodeHeight+rowGap)/2
		for i, n := range col {
			label := n
			if r := []rune(n); len(r)*charWidth+28 > w {
				label = string(r[:max((w-28)/charWidth-1, 1)]) + "…"
			}
			y := top + i*(nodeHeight+rowGap)
			node := graphNode{Name: n, Label: label, X: x, Y: y, W: w, H: nodeHeight, TextX: x + 12, TextY: y + 17, SubY: y + 32,
				URL: l.PacticipantMatrix(n), Focus: n == focus,
				Sub: subtitle(in[n], out[n])}
			g.Nodes = append(g.Nodes, node)
			nodes[n] = &g.Nodes[len(g.Nodes)-1]
		}
		x += w + colGap
	}
	g.Width = max(x-colGap+margin, 320)
	g.Height = max(margin*2+tallest*(nodeHeight+rowGap)-rowGap, 120)

	for _, e := range edges {
		a, b := nodes[e.Consumer], nodes[e.Provider]
		x1, y1 := a.X+a.W, a.Y+a.H/2
		x2, y2 := b.X-6, b.Y+b.H/2 // leave room for the arrow head
		dx := max((x2-x1)/2, 60)
		if a == b {
			// A pacticipant that consumes itself: a loop over its box.
			e.Path = fmt.Sprintf("M %d %d C %d %d, %d %d, %d %d", a.X+a.W-20, a.Y, a.X+a.W+30, a.Y-40, a.X+20, a.Y-40, a.X+24, a.Y-6)
		} else {
			e.Path = fmt.Sprintf("M %d %d C %d %d, %d %d, %d %d", x1, y1, x1+dx, y1, x2-dx, y2, x2, y2)
		}
		g.Edges = append(g.Edges, e)
	}
	return g
}

// subtitle counts a node's consumers and providers.
func subtitle(consumers, providers []string) string {
	return plural(len(consumers), "consumer", "consumers") + " · " + plural(len(providers), "provider", "providers")
}
