package graph

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
)

// MemoryEntity is an entity line of the JSONL file of the reference MCP
// "memory" server (npm @modelcontextprotocol/server-memory): its
// MEMORY_FILE_PATH holds one JSON object a line, entities and relations.
type MemoryEntity struct {
	Type         string   `json:"type"` // "entity"
	Name         string   `json:"name"`
	EntityType   string   `json:"entityType"`
	Observations []string `json:"observations"`
}

// MemoryRelation is a relation line of the memory server's JSONL file.
type MemoryRelation struct {
	Type         string `json:"type"` // "relation"
	From         string `json:"from"`
	To           string `json:"to"`
	RelationType string `json:"relationType"`
}

// memoryLabelKey is the observation key of a node's label: the first
// observation of every exported entity is "label: <label>".
const memoryLabelKey = "label"

// memoryNotesKey is the property that keeps the observations of an imported
// entity that are not "key: value" (free text written by a memory client).
const memoryNotesKey = "observations"

// WriteMemoryJSONL writes g in the memory server's format: one entity per node
// (name: the stable node id, entityType: the node type, observations: "label:
// <label>" then "key: value" per property in key order), then one relation
// per relationship (from/to: node ids, relationType: its type). A string
// value is written as it is unless it would read back as other JSON (a
// number, true, a quoted string…), which is written JSON-encoded, like every
// value that is not a string; ReadMemoryJSONL reverses this exactly.
// Relationship properties have no place in the format and are not written.
func WriteMemoryJSONL(w io.Writer, g ClientGraph) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, n := range g.Nodes {
		e := MemoryEntity{Type: "entity", Name: n.ID, EntityType: n.Type,
			Observations: []string{memoryLabelKey + ": " + n.Label}}
		keys := make([]string, 0, len(n.Properties))
		for k := range n.Properties {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			v, err := memoryValue(n.Properties[k])
			if err != nil {
				return fmt.Errorf("memory jsonl: node %s: property %s: %w", n.ID, k, err)
			}
			e.Observations = append(e.Observations, k+": "+v)
		}
		if err := enc.Encode(e); err != nil {
			return fmt.Errorf("memory jsonl: node %s: %w", n.ID, err)
		}
	}
	for _, r := range g.Relationships {
		if err := enc.Encode(MemoryRelation{Type: "relation", From: r.Source, To: r.Target, RelationType: r.Type}); err != nil {
			return fmt.Errorf("memory jsonl: relationship %s-%s->%s: %w", r.Source, r.Type, r.Target, err)
		}
	}
	return nil
}

// memoryValue is the text of a property value in an observation.
func memoryValue(v any) (string, error) {
	if s, ok := v.(string); ok {
		var probe any
		if json.Unmarshal([]byte(s), &probe) != nil {
			return s, nil // reads back as the same string
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return strings.TrimSuffix(buf.String(), "\n"), nil
}

// ReadMemoryJSONL reads the memory server's JSONL format into a graph of
// clientID, the inverse of WriteMemoryJSONL: an entity is a node whose id is
// its name (prefixed "<entityType>:" when it does not start so, the form of
// every stable node id), whose label is its "label: …" observation (else its
// name) and whose properties are its other "key: value" observations; other
// observations are kept as the list property "observations". A relation is
// a relationship between the nodes its from and to name, which must be
// entities of the file. Blank lines are skipped; a line of another type or
// one that is not JSON is an error naming its line number.
func ReadMemoryJSONL(r io.Reader, clientID string) (KnowledgeGraph, error) {
	g := KnowledgeGraph{ClientID: clientID, KnowledgeNodes: []Node{}, Relationships: []Relationship{}}
	ids := map[string]string{} // entity name -> node id
	var rels []MemoryRelation
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 16<<20)
	for line := 1; sc.Scan(); line++ {
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		var head struct {
			Type string `json:"type"`
		}
		if err := json.Unmarshal(b, &head); err != nil {
			return KnowledgeGraph{}, fmt.Errorf("memory jsonl: line %d: %w", line, err)
		}
		switch head.Type {
		case "entity":
			var e MemoryEntity
			if err := json.Unmarshal(b, &e); err != nil {
				return KnowledgeGraph{}, fmt.Errorf("memory jsonl: line %d: %w", line, err)
			}
			if e.Name == "" || e.EntityType == "" {
				return KnowledgeGraph{}, fmt.Errorf("memory jsonl: line %d: an entity needs a name and an entityType", line)
			}
			if _, dup := ids[e.Name]; dup {
				return KnowledgeGraph{}, fmt.Errorf("memory jsonl: line %d: entity %q is given twice", line, e.Name)
			}
			n := memoryNode(e)
			ids[e.Name] = n.ID
			g.KnowledgeNodes = append(g.KnowledgeNodes, n)
		case "relation":
			var rel MemoryRelation
			if err := json.Unmarshal(b, &rel); err != nil {
				return KnowledgeGraph{}, fmt.Errorf("memory jsonl: line %d: %w", line, err)
			}
			if rel.From == "" || rel.To == "" || rel.RelationType == "" {
				return KnowledgeGraph{}, fmt.Errorf("memory jsonl: line %d: a relation needs from, to and relationType", line)
			}
			rels = append(rels, rel)
		default:
			return KnowledgeGraph{}, fmt.Errorf("memory jsonl: line %d: type %q is neither entity nor relation", line, head.Type)
		}
	}
	if err := sc.Err(); err != nil {
		return KnowledgeGraph{}, fmt.Errorf("memory jsonl: %w", err)
	}
	for _, rel := range rels {
		from, okFrom := ids[rel.From]
		to, okTo := ids[rel.To]
		if !okFrom || !okTo {
			return KnowledgeGraph{}, fmt.Errorf("memory jsonl: relation %s-%s->%s: %w", rel.From, rel.RelationType, rel.To, errDanglingRelation)
		}
		g.Relationships = append(g.Relationships, Relationship{Source: from, Target: to, Type: rel.RelationType, Properties: map[string]any{}})
	}
	return g, nil
}

// errDanglingRelation is a relation whose end is no entity of the file.
var errDanglingRelation = errors.New("from and to must name entities of the file")

// memoryNode is the node of an entity.
func memoryNode(e MemoryEntity) Node {
	n := Node{ID: e.Name, Type: e.EntityType, Properties: map[string]any{}}
	if !strings.HasPrefix(e.Name, e.EntityType+":") {
		n.ID = e.EntityType + ":" + e.Name
	}
	var notes []any
	labelled := false
	for _, o := range e.Observations {
		k, v, ok := strings.Cut(o, ": ")
		switch {
		case ok && k == memoryLabelKey && !labelled:
			n.Label, labelled = v, true
		case ok && k != "" && !strings.ContainsAny(k, " \t\n"):
			var val any
			if json.Unmarshal([]byte(v), &val) != nil {
				val = v
			}
			n.Properties[k] = val
		default:
			notes = append(notes, o)
		}
	}
	if !labelled {
		n.Label = strings.TrimPrefix(e.Name, e.EntityType+":")
	}
	if notes != nil {
		n.Properties[memoryNotesKey] = notes
	}
	return n
}
