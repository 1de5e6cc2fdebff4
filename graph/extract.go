package graph

import (
	"encoding/json"
	"strings"
	"time"
)

// Bounds of one extraction, so that a hostile payload cannot blow up the graph,
// the stack or the time spent on it. A graph that reaches a bound is cut short:
// what was extracted until then is returned, with every edge still between nodes.
const (
	maxExtractDepth         = 32
	maxExtractNodes         = 10_000
	maxExtractRelationships = 20_000
)

// Edge types of the knowledge graph.
const (
	RelHasTask      = "HAS_TASK"
	RelHasStatus    = "HAS_STATUS"
	RelCreatedBy    = "CREATED_BY"
	RelAssignedTo   = "ASSIGNED_TO"
	RelWatchedBy    = "WATCHED_BY"
	RelHasTag       = "HAS_TAG"
	RelHasPriority  = "HAS_PRIORITY"
	RelInList       = "IN_LIST"
	RelInFolder     = "IN_FOLDER"
	RelInSpace      = "IN_SPACE"
	RelSubtaskOf    = "SUBTASK_OF"
	RelHasField     = "HAS_FIELD"
	RelHasChecklist = "HAS_CHECKLIST"
	RelHasItem      = "HAS_ITEM"
)

// dateLayout is RFC 3339 with milliseconds when they are not zero, the precision of ClickUp's dates.
const dateLayout = "2006-01-02T15:04:05.999Z07:00"

// Extract builds the knowledge graph of one payload. It never fails: unknown shapes still give a graph.
//
// The client is opts.ClientID, else the payload's "client_id" string, else "unknown".
// A task (payload["task"] when it is an object, else the payload itself when it has
// an "id" and a "name") is read as a ClickUp task; every other object with an "id"
// becomes a node of the type named by its key, linked from the object it is nested in.
// The same input always gives the same nodes and relationships in the same order.
func Extract(data map[string]any, opts ExtractOptions) KnowledgeGraph {
	x := extractor{details: opts.IncludeTaskDetails, fresh: -1}
	nodes := estimateNodes(data)
	x.nodes = make([]Node, 0, nodes)
	x.rels = make([]Relationship, 0, nodes+4)
	x.arena.Grow(nodes * 48)
	x.scratch = make([]byte, 0, 64)

	clientID := opts.ClientID
	if clientID == "" {
		clientID, _ = data["client_id"].(string)
	}
	if clientID == "" {
		clientID = "unknown"
	}
	client := x.node("client", clientID, clientID, 0)

	switch task := data["task"].(type) {
	case map[string]any:
		if x.task(task, 1, client, RelHasTask) < 0 {
			x.walk("task", task, client, 1)
		}
		x.walkObject(data, client, 0, skipPayloadTask)
	case string, float64, json.Number:
		if t := x.node("task", task, "", 1); t >= 0 {
			x.set(t, "id", task)
			x.edge(client, t, RelHasTask, nil)
		}
		x.walkObject(data, client, 0, skipPayloadTask)
	default:
		if looksLikeTask(data) {
			x.task(data, 0, client, RelHasTask)
		} else {
			x.walkObject(data, client, 0, nil)
		}
	}
	return x.graph(clientID, opts)
}

// skipPayloadTask skips the "task" key of a payload whose task was extracted already.
func skipPayloadTask(k string) bool { return k == "task" }

// looksLikeTask reports whether a payload is itself a task: it has an id and a name.
func looksLikeTask(m map[string]any) bool {
	if _, ok := m["name"].(string); !ok {
		return false
	}
	_, ok := naturalID(m["id"])
	return ok
}

// edgeKey identifies a relationship, to add each one once.
type edgeKey struct{ source, target, typ string }

// edgeRef identifies a relationship by its nodes' indexes, for the linear scan.
type edgeRef struct {
	source, target int32
	typ            string
}

// Below these sizes a linear scan finds a node or a relationship faster than
// a map, and saves its allocation; above them the maps are built.
const (
	nodeScanLimit = 48
	edgeScanLimit = 64
)

// estimateNodes guesses the number of nodes of a payload, to size the slices.
func estimateNodes(data map[string]any) int {
	t, ok := data["task"].(map[string]any)
	if !ok {
		t = data
	}
	n := 4
	for _, k := range [...]string{"assignees", "watchers", "tags", "custom_fields", "checklists", "subtasks"} {
		if l, ok := t[k].([]any); ok {
			n += len(l)
		}
	}
	for _, k := range [...]string{"status", "creator", "priority", "list", "folder", "space", "parent"} {
		if t[k] != nil {
			n++
		}
	}
	if n == 4 {
		n += len(data) // maybe an unknown shape: at least room for its members
	}
	return min(n, 256)
}

// extractor accumulates one graph. Node ids are built in scratch and, when new,
// copied into arena, so that they share one allocation; a string returned by a
// strings.Builder stays valid and unchanged while the builder grows.
type extractor struct {
	details   bool
	fresh     int // index of the node just added, until a known node is met again
	nodes     []Node
	rels      []Relationship
	index     map[string]int         // node id → index, once there are nodeScanLimit nodes
	seen      map[edgeKey]struct{}   // once there are edgeScanLimit relationships
	hashes    [nodeScanLimit]uint64  // hashes[i] = idHash(nodes[i].ID) below nodeScanLimit nodes
	refs      [edgeScanLimit]edgeRef // refs[i] identifies rels[i] below edgeScanLimit relationships
	hash      uint64                 // idHash of scratch, set by find
	arena     strings.Builder
	scratch   []byte
	edgeTypes map[string]string // generic HAS_<TYPE> names, built once per type
}

// graph assembles the result with its metadata.
func (x *extractor) graph(clientID string, opts ExtractOptions) KnowledgeGraph {
	hint := len(x.nodes) // as many types as nodes at worst; a small map up to 8
	if hint > 8 {
		hint = 16
	}
	types := make(map[string]int, hint)
	for i := range x.nodes {
		types[x.nodes[i].Type]++
	}
	return KnowledgeGraph{
		ClientID:       clientID,
		ExtractionID:   opts.ExtractionID,
		KnowledgeNodes: x.nodes,
		Relationships:  x.rels,
		Metadata: GraphMetadata{
			Source:             opts.Source,
			ExtractedAt:        opts.Now,
			NodeCount:          len(x.nodes),
			RelationshipCount:  len(x.rels),
			NodeTypes:          types,
			IncludeTaskDetails: opts.IncludeTaskDetails,
			SchemaVersion:      GraphSchemaVersion,
		},
	}
}

// intern copies scratch into the arena and returns it as a string.
func (x *extractor) intern() string {
	start := x.arena.Len()
	x.arena.Write(x.scratch)
	return x.arena.String()[start:]
}

// node returns the index of node "<typ>:<natural>", adding it when absent with
// label (or the natural id when label is empty) and room for hint properties.
// It returns -1 when natural is not a usable id or the graph is full.
func (x *extractor) node(typ string, natural any, label string, hint int) int {
	x.scratch = append(append(x.scratch[:0], typ...), ':')
	var ok bool
	if x.scratch, ok = appendNatural(x.scratch, natural); !ok {
		return -1
	}
	return x.addNode(typ, label, hint)
}

// lowerNode is node for a natural id given as text, lowercased (status, tag, priority names).
func (x *extractor) lowerNode(typ, name, label string, hint int) int {
	name = strings.TrimSpace(name)
	if name == "" {
		return -1
	}
	x.scratch = appendLower(append(append(x.scratch[:0], typ...), ':'), name)
	return x.addNode(typ, label, hint)
}

// addNode adds the node whose id is in scratch unless it exists, and returns its index.
func (x *extractor) addNode(typ, label string, hint int) int {
	if i := x.find(); i >= 0 {
		x.fresh = -1
		if n := &x.nodes[i]; label != "" && n.Label == n.ID[len(n.Type)+1:] {
			n.Label = label // a placeholder (e.g. a parent task known by id) gets its name
		}
		return i
	}
	if len(x.nodes) >= maxExtractNodes {
		return -1
	}
	id := x.intern()
	if label == "" {
		label = id[len(typ)+1:]
	}
	x.nodes = append(x.nodes, Node{ID: id, Type: typ, Label: label, Properties: make(map[string]any, hint)})
	i := len(x.nodes) - 1
	x.fresh = i
	switch {
	case x.index != nil:
		x.index[id] = i
	case i < nodeScanLimit-1:
		x.hashes[i] = x.hash
	case len(x.nodes) == nodeScanLimit:
		x.index = make(map[string]int, 2*nodeScanLimit)
		for j := range x.nodes {
			x.index[x.nodes[j].ID] = j
		}
	}
	return i
}

// find returns the index of the node whose id is in scratch, or -1.
func (x *extractor) find() int {
	if x.index != nil {
		if i, ok := x.index[string(x.scratch)]; ok {
			return i
		}
		return -1
	}
	h := idHash(x.scratch)
	x.hash = h
	for i, nh := range x.hashes[:len(x.nodes)] {
		if nh == h && x.nodes[i].ID == string(x.scratch) {
			return i
		}
	}
	return -1
}

// idHash is FNV-1a of a node id, to compare ids quickly.
func idHash(b []byte) uint64 {
	h := uint64(14695981039346656037)
	for _, c := range b {
		h = (h ^ uint64(c)) * 1099511628211
	}
	return h
}

// set gives node i property k = v unless v is nil or the node has k already.
func (x *extractor) set(i int, k string, v any) {
	if i < 0 || v == nil {
		return
	}
	p := x.nodes[i].Properties
	if i == x.fresh {
		p[k] = v // a node being filled for the first time: each key comes once
		return
	}
	if _, ok := p[k]; !ok {
		p[k] = v
	}
}

// edge adds the relationship from node src to node dst once. props may be nil.
func (x *extractor) edge(src, dst int, typ string, props map[string]any) {
	if src < 0 || dst < 0 || src == dst || len(x.rels) >= maxExtractRelationships {
		return
	}
	k := edgeKey{x.nodes[src].ID, x.nodes[dst].ID, typ}
	ref := edgeRef{int32(src), int32(dst), typ}
	if x.seen != nil {
		if _, dup := x.seen[k]; dup {
			return
		}
		x.seen[k] = struct{}{}
	} else {
		for _, r := range x.refs[:len(x.rels)] {
			if r.source == ref.source && r.target == ref.target && r.typ == typ {
				return
			}
		}
		x.refs[len(x.rels)] = ref
	}
	if props == nil {
		props = map[string]any{}
	}
	x.rels = append(x.rels, Relationship{Source: k.source, Target: k.target, Type: typ, Properties: props})
	if x.seen == nil && len(x.rels) == edgeScanLimit {
		x.seen = make(map[edgeKey]struct{}, 2*edgeScanLimit)
		for i := range x.rels {
			r := &x.rels[i]
			x.seen[edgeKey{r.Source, r.Target, r.Type}] = struct{}{}
		}
	}
}

// date converts a ClickUp date (milliseconds since the epoch, as a string or a
// number) to RFC 3339 in UTC. Anything else is returned unchanged.
func (x *extractor) date(v any) any {
	ms, ok := toInt(v)
	if !ok || ms < minDateMillis || ms > maxDateMillis {
		return v
	}
	x.scratch = time.UnixMilli(ms).UTC().AppendFormat(x.scratch[:0], dateLayout)
	return x.intern()
}

// Dates outside years 0001–9999 are not converted.
const (
	minDateMillis = -62135596800000
	maxDateMillis = 253402300799999
)
