package capabilities

import (
	"errors"
	"fmt"
	"slices"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/oauthgate/oauthgate/internal/confdecode"
)

// AdminCapability is the capability that auto_admin adds: it implies every
// other capability of the graph.
const AdminCapability = "admin"

// closureTableBudget bounds the memory (in bytes) spent on precomputed
// per-capability closures. Larger graphs compute closures by a walk instead.
const closureTableBudget = 32 << 20

// Graph is an immutable set of capabilities with the implications between
// them. Each capability name is interned as a [Cap]. A Graph is safe for
// concurrent use.
type Graph struct {
	names     []string       // sorted; Cap i is names[i]
	index     map[string]Cap // name → Cap
	direct    [][]Cap        // direct implications, sorted, without duplicates
	closed    []Set          // closure of each Cap; nil when over closureTableBudget
	full      Set            // every capability
	autoAdmin bool
}

// NewGraph builds a graph from implications, which maps every capability to
// the capabilities it implies (`name: [implied, ...]`). Cycles are allowed:
// capabilities that imply each other are equivalent. A name that is implied
// but not defined as a key is an error ([*UnknownCapabilityError] with Key
// "graph"). With autoAdmin, the capability [AdminCapability] is added (or
// extended, if defined) to imply every capability.
func NewGraph(implications map[string][]string, autoAdmin bool) (*Graph, error) {
	return newGraph(implications, autoAdmin, closureTableBudget)
}

func newGraph(implications map[string][]string, autoAdmin bool, tableBudget int) (*Graph, error) {
	names := make([]string, 0, len(implications)+1)
	for name := range implications {
		if err := checkName(name); err != nil {
			return nil, fmt.Errorf("capabilities: graph: %w", err)
		}
		names = append(names, name)
	}
	if _, ok := implications[AdminCapability]; autoAdmin && !ok {
		names = append(names, AdminCapability)
	}
	slices.Sort(names)
	g := &Graph{
		names:     names,
		index:     make(map[string]Cap, len(names)),
		direct:    make([][]Cap, len(names)),
		autoAdmin: autoAdmin,
	}
	for i, name := range names {
		g.index[name] = Cap(i)
	}
	for i, name := range names {
		implied := implications[name]
		caps := make([]Cap, 0, len(implied))
		for _, imp := range implied {
			c, ok := g.index[imp]
			if !ok {
				return nil, &UnknownCapabilityError{Name: imp, Key: "graph", ImpliedBy: name}
			}
			caps = append(caps, c)
		}
		slices.Sort(caps)
		g.direct[i] = slices.Compact(caps)
	}
	all := make([]Cap, len(names))
	for i := range all {
		all[i] = Cap(i)
	}
	g.full = setOf(all...)
	if autoAdmin {
		admin := g.index[AdminCapability]
		g.direct[admin] = slices.DeleteFunc(slices.Clone(all), func(c Cap) bool { return c == admin })
	}
	g.buildClosureTable(tableBudget)
	return g, nil
}

// checkName rejects names that cannot be stored and read back faithfully.
func checkName(name string) error {
	if name == "" {
		return errors.New("capability name is empty")
	}
	if !utf8.ValidString(name) {
		return fmt.Errorf("capability name %q is not valid UTF-8", name)
	}
	return nil
}

// buildClosureTable precomputes the closure of every capability when it fits
// budget bytes: strongly connected components (found without
// recursion, so long chains cannot overflow the stack) are visited sinks
// first, and each one's closure is its members plus its successors' closures.
func (g *Graph) buildClosureTable(budget int) {
	n := len(g.names)
	comp, count := g.components()
	words := (n + 63) / 64
	if count*words*8 > budget {
		return
	}
	members := make([][]Cap, count)
	for v := range n {
		members[comp[v]] = append(members[comp[v]], Cap(v))
	}
	table := make([]uint64, count*words)
	row := func(i int32) []uint64 { return table[int(i)*words : int(i+1)*words] }
	for id := range int32(count) {
		out := row(id)
		for _, v := range members[id] {
			out[v>>6] |= 1 << (v & 63)
			for _, w := range g.direct[v] {
				if cw := comp[w]; cw != id {
					for i, x := range row(cw) {
						out[i] |= x
					}
				}
			}
		}
	}
	g.closed = make([]Set, n)
	for v := range n {
		g.closed[v] = Set{words: trim(row(comp[v]))}
	}
}

// components numbers the strongly connected components with Tarjan's
// algorithm, run on an explicit stack. Components are numbered in reverse
// topological order: a component's successors have smaller numbers.
func (g *Graph) components() (comp []int32, count int) {
	n := len(g.names)
	order := make([]int32, n) // visit order + 1; 0 means unvisited
	low := make([]int32, n)
	onStack := make([]bool, n)
	comp = make([]int32, n)
	var stack []Cap
	type frame struct {
		v    Cap
		next int
	}
	var calls []frame
	var counter int32
	for root := range n {
		if order[root] != 0 {
			continue
		}
		counter++
		order[root], low[root] = counter, counter
		stack = append(stack, Cap(root))
		onStack[root] = true
		calls = append(calls, frame{v: Cap(root)})
		for len(calls) > 0 {
			top := &calls[len(calls)-1]
			v := top.v
			if top.next < len(g.direct[v]) {
				w := g.direct[v][top.next]
				top.next++
				switch {
				case order[w] == 0:
					counter++
					order[w], low[w] = counter, counter
					stack = append(stack, w)
					onStack[w] = true
					calls = append(calls, frame{v: w})
				case onStack[w]:
					low[v] = min(low[v], order[w])
				}
				continue
			}
			calls = calls[:len(calls)-1]
			if len(calls) > 0 {
				p := calls[len(calls)-1].v
				low[p] = min(low[p], low[v])
			}
			if low[v] == order[v] {
				for {
					w := stack[len(stack)-1]
					stack = stack[:len(stack)-1]
					onStack[w] = false
					comp[w] = int32(count)
					if w == v {
						break
					}
				}
				count++
			}
		}
	}
	return comp, count
}

// ParseGraph parses YAML holding either a `capabilities:` section (a mapping
// with `graph:`, `auto_admin:` and the other keys of [Config]) or just a
// graph mapping (`name: [implied, ...]`, with auto_admin on). The two are
// told apart by their values: a graph's values are all lists (or empty).
func ParseGraph(yamlData []byte) (*Graph, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(yamlData, &root); err != nil {
		return nil, fmt.Errorf("capabilities: graph: %w", err)
	}
	if root.Kind == 0 {
		return NewGraph(nil, true)
	}
	doc := &root
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		doc = doc.Content[0]
	}
	if doc.Kind == yaml.ScalarNode && doc.ShortTag() == "!!null" {
		return NewGraph(nil, true)
	}
	if doc.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("capabilities: graph: line %d: expected a mapping", doc.Line)
	}
	section := false
	for i := 1; i < len(doc.Content); i += 2 {
		v := doc.Content[i]
		if v.Kind != yaml.SequenceNode && v.ShortTag() != "!!null" {
			section = true
		}
	}
	if section {
		var cfg Config
		if _, err := confdecode.Decode(doc, &cfg, confdecode.Options{}); err != nil {
			return nil, fmt.Errorf("capabilities: %w", err)
		}
		return NewGraph(cfg.Graph, cfg.AutoAdminEnabled())
	}
	var implications map[string][]string
	if err := doc.Decode(&implications); err != nil {
		return nil, fmt.Errorf("capabilities: graph: %w", err)
	}
	return NewGraph(implications, true)
}

// Lookup returns the Cap named name.
func (g *Graph) Lookup(name string) (Cap, bool) {
	c, ok := g.index[name]
	return c, ok
}

// Name returns the name of c, or "" when c is not a capability of g.
func (g *Graph) Name(c Cap) string {
	if int(c) >= len(g.names) {
		return ""
	}
	return g.names[c]
}

// Names returns every capability name, sorted; it includes
// [AdminCapability] when auto_admin is on.
func (g *Graph) Names() []string { return slices.Clone(g.names) }

// Len returns the number of capabilities.
func (g *Graph) Len() int { return len(g.names) }

// AutoAdmin reports whether [AdminCapability] was added to imply everything.
func (g *Graph) AutoAdmin() bool { return g.autoAdmin }

// All returns the set of every capability.
func (g *Graph) All() Set { return g.full }

// Implications returns the direct implications of every capability, each
// list sorted; with auto_admin, [AdminCapability] implies all the others.
func (g *Graph) Implications() map[string][]string {
	out := make(map[string][]string, len(g.names))
	for i, name := range g.names {
		implied := make([]string, len(g.direct[i]))
		for j, c := range g.direct[i] {
			implied[j] = g.names[c]
		}
		out[name] = implied
	}
	return out
}

// Set returns the set of the named capabilities, not closed over
// implications. An unknown name is an [*UnknownCapabilityError].
func (g *Graph) Set(names ...string) (Set, error) {
	caps := make([]Cap, len(names))
	for i, name := range names {
		c, ok := g.index[name]
		if !ok {
			return Set{}, &UnknownCapabilityError{Name: name}
		}
		caps[i] = c
	}
	return setOf(caps...), nil
}

// Closure returns s with every capability that its members imply, directly or
// not. Capabilities outside g are dropped.
func (g *Graph) Closure(s Set) Set {
	if g.autoAdmin {
		if admin, ok := g.index[AdminCapability]; ok && s.Has(admin) {
			return g.full
		}
	}
	n := Cap(len(g.names))
	if g.closed != nil {
		if s.Len() == 1 {
			for c := range s.All() {
				if c < n {
					return g.closed[c]
				}
			}
			return Set{}
		}
		out := make([]uint64, len(g.full.words))
		for c := range s.All() {
			if c >= n {
				break
			}
			for i, w := range g.closed[c].words {
				out[i] |= w
			}
		}
		return Set{words: trim(out)}
	}
	out := make([]uint64, len(g.full.words))
	var stack []Cap
	for c := range s.All() {
		if c >= n {
			break
		}
		if out[c>>6]&(1<<(c&63)) == 0 {
			out[c>>6] |= 1 << (c & 63)
			stack = append(stack, c)
		}
	}
	for len(stack) > 0 {
		v := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, w := range g.direct[v] {
			if out[w>>6]&(1<<(w&63)) == 0 {
				out[w>>6] |= 1 << (w & 63)
				stack = append(stack, w)
			}
		}
	}
	return Set{words: trim(out)}
}

// SetNames returns the names of the capabilities in s, sorted.
func (g *Graph) SetNames(s Set) []string {
	out := make([]string, 0, s.Len())
	for c := range s.All() {
		if int(c) < len(g.names) {
			out = append(out, g.names[c])
		}
	}
	return out
}
