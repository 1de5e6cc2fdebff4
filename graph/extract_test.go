package graph

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/webhook-mcp/webhook-mcp/internal/testkit"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// update rewrites golden files: go test ./webhook -run Golden -update
var update = flag.Bool("update", false, "rewrite the golden files of the tests")

// extractNow is the fixed extraction time of the tests.
var extractNow = time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)

// testOpts are extraction options with fixed id and time.
func testOpts(details bool) ExtractOptions {
	return ExtractOptions{Source: "make.com_chatgpt_clients", IncludeTaskDetails: details,
		ExtractionID: "00000000-0000-4000-8000-000000000001", Now: extractNow}
}

// loadFixture decodes a fixture the way the server decodes payloads.
func loadFixture(tb testing.TB, name string) map[string]any {
	tb.Helper()
	var m map[string]any
	require.NoError(tb, json.Unmarshal(testkit.Fixture(tb, name), &m))
	return m
}

// nodeByID indexes a graph's nodes.
func nodeByID(g KnowledgeGraph) map[string]Node {
	m := make(map[string]Node, len(g.KnowledgeNodes))
	for _, n := range g.KnowledgeNodes {
		m[n.ID] = n
	}
	return m
}

// findEdge returns the relationship source -typ-> target.
func findEdge(g KnowledgeGraph, source, typ, target string) (Relationship, bool) {
	for _, r := range g.Relationships {
		if r.Source == source && r.Target == target && r.Type == typ {
			return r, true
		}
	}
	return Relationship{}, false
}

func TestExtractSeedExample(t *testing.T) {
	t.Parallel()
	g := Extract(loadFixture(t, "seed_example.json"), testOpts(true))
	checkGraphInvariants(t, g)

	assert.Equal(t, "client-123", g.ClientID)
	assert.Equal(t, []Node{
		{ID: "client:client-123", Type: "client", Label: "client-123", Properties: map[string]any{}},
		{ID: "task:task_123", Type: "task", Label: "Client Task Name", Properties: map[string]any{
			"id": "task_123", "name": "Client Task Name", "description": "Task description"}},
	}, g.KnowledgeNodes)
	assert.Equal(t, []Relationship{
		{Source: "client:client-123", Target: "task:task_123", Type: RelHasTask, Properties: map[string]any{}},
	}, g.Relationships)
	assert.Equal(t, GraphMetadata{
		Source: "make.com_chatgpt_clients", ExtractedAt: extractNow, NodeCount: 2, RelationshipCount: 1,
		NodeTypes: map[string]int{"client": 1, "task": 1}, IncludeTaskDetails: true, SchemaVersion: GraphSchemaVersion,
	}, g.Metadata)
	assert.Equal(t, "00000000-0000-4000-8000-000000000001", g.ExtractionID)
}

func TestExtractFullClickUpNodes(t *testing.T) {
	t.Parallel()
	g := Extract(loadFixture(t, "clickup_task_full.json"), testOpts(true))
	checkGraphInvariants(t, g)
	nodes := nodeByID(g)

	tests := []struct {
		id, typ, label string
		props          map[string]any // a subset of the node's properties
	}{
		{"client:client-123", "client", "client-123", nil},
		{"task:86b2x7k4q", "task", "Prepare Q3 onboarding deck for Northwind", map[string]any{
			"id": "86b2x7k4q", "custom_id": "ACME-142", "status": "in progress", "priority": "high",
			"url": "https://app.clickup.com/t/86b2x7k4q", "archived": false, "points": 3.0,
			"time_estimate": 14400000.0, "team_id": "9012345678",
			"date_created": "2024-07-01T12:00:00Z", "date_updated": "2024-07-10T12:00:00.123Z",
			"due_date": "2024-07-19T20:00:00Z", "start_date": "2024-07-03T12:00:00Z"}},
		{"status:in progress", "status", "in progress", map[string]any{"type": "custom", "color": "#5f55ee"}},
		{"person:48210357", "person", "Dana Whitfield", map[string]any{"email": "dana.whitfield@example.com", "initials": "DW"}},
		{"person:61750042", "person", "Rafael Ortiz", map[string]any{"initials": "RO"}},
		{"person:70311986", "person", "Mei Tanaka", map[string]any{"email": "mei.tanaka@example.com"}},
		{"tag:onboarding", "tag", "Onboarding", nil},
		{"tag:q3-priority", "tag", "q3-priority", nil},
		{"priority:high", "priority", "high", nil},
		{"list:901204567890", "list", "Client Onboarding", nil},
		{"folder:90120987654", "folder", "Accounts", nil},
		{"space:90121122334", "space", "90121122334", nil},
		{"task:86b2x6r1m", "task", "86b2x6r1m", nil},
		{"checklist:c7d1a9e0-3b52-4f7e-9c1a-2f0e6b8d4a11", "checklist", "Deck review", nil},
		{"checklist_item:0b9e2f61-5d3c-4a8e-b7f4-91c2d6e3a5b0", "checklist_item", "Legal sign-off on pricing slide", map[string]any{"resolved": true}},
		{"custom_field:3d85f7b9-8c38-436e-a7c0-f845c238464f", "custom_field", "Plan", map[string]any{
			"type": "drop_down", "options": []any{"Starter", "Growth", "Enterprise"}}},
		{"custom_field:4e96a8ca-9d49-447f-b8d1-a956d349575a", "custom_field", "Integrations", map[string]any{
			"type": "labels", "options": []any{"Salesforce", "Slack", "HubSpot"}}},
		{"custom_field:b50d1f3b-04b0-4be6-8f48-1a2cea0bce2b", "custom_field", "Renewal Notes", map[string]any{"type": "short_text"}},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			t.Parallel()
			n, ok := nodes[tt.id]
			require.True(t, ok, "node %s missing", tt.id)
			assert.Equal(t, tt.typ, n.Type)
			assert.Equal(t, tt.label, n.Label)
			for k, v := range tt.props {
				assert.Equal(t, v, n.Properties[k], "property %s", k)
			}
		})
	}

	for _, typ := range []string{"client", "task", "status", "person", "tag", "priority", "list", "folder",
		"space", "custom_field", "checklist", "checklist_item"} {
		assert.Positive(t, g.Metadata.NodeTypes[typ], "node type %s", typ)
	}
	assert.Equal(t, 12, g.Metadata.NodeTypes["custom_field"])
	assert.Equal(t, 3, g.Metadata.NodeTypes["person"])
	assert.Equal(t, len(g.KnowledgeNodes), g.Metadata.NodeCount)
	assert.Equal(t, len(g.Relationships), g.Metadata.RelationshipCount)
}

func TestExtractFullClickUpRelationships(t *testing.T) {
	t.Parallel()
	g := Extract(loadFixture(t, "clickup_task_full.json"), testOpts(true))
	const task = "task:86b2x7k4q"
	field := func(id string) string { return "custom_field:" + id }

	tests := []struct {
		name, source, typ, target string
		props                     map[string]any
	}{
		{"has task", "client:client-123", RelHasTask, task, map[string]any{}},
		{"status", task, RelHasStatus, "status:in progress", map[string]any{}},
		{"creator", task, RelCreatedBy, "person:48210357", map[string]any{}},
		{"assignee 1", task, RelAssignedTo, "person:48210357", map[string]any{}},
		{"assignee 2", task, RelAssignedTo, "person:61750042", map[string]any{}},
		{"watcher", task, RelWatchedBy, "person:70311986", map[string]any{}},
		{"tag", task, RelHasTag, "tag:onboarding", map[string]any{}},
		{"priority", task, RelHasPriority, "priority:high", map[string]any{}},
		{"list", task, RelInList, "list:901204567890", map[string]any{}},
		{"folder", "list:901204567890", RelInFolder, "folder:90120987654", map[string]any{}},
		{"space", "folder:90120987654", RelInSpace, "space:90121122334", map[string]any{}},
		{"parent", task, RelSubtaskOf, "task:86b2x6r1m", map[string]any{}},
		{"checklist", task, RelHasChecklist, "checklist:c7d1a9e0-3b52-4f7e-9c1a-2f0e6b8d4a11", map[string]any{}},
		{"checklist item", "checklist:c7d1a9e0-3b52-4f7e-9c1a-2f0e6b8d4a11", RelHasItem,
			"checklist_item:5e8a4c27-9f13-4b6d-a2e0-7c3b1d9f8e62", map[string]any{}},
		{"item assignee", "checklist_item:0b9e2f61-5d3c-4a8e-b7f4-91c2d6e3a5b0", RelAssignedTo, "person:70311986", map[string]any{}},
		{"short_text", task, RelHasField, field("0a52c486-5f05-403b-b4fd-c512ff05131c"), map[string]any{"value": "NW-2024-017"}},
		{"text", task, RelHasField, field("1b63d597-6a16-414c-85ae-d623a016242d"),
			map[string]any{"value": "Kick-off call held on 2 July; follow-up scheduled."}},
		{"number", task, RelHasField, field("2c74e6a8-7b27-425d-96bf-e734b127353e"), map[string]any{"value": 45.0}},
		{"drop_down", task, RelHasField, field("3d85f7b9-8c38-436e-a7c0-f845c238464f"), map[string]any{"value": "Enterprise"}},
		{"labels", task, RelHasField, field("4e96a8ca-9d49-447f-b8d1-a956d349575a"),
			map[string]any{"value": []any{"Salesforce", "HubSpot"}}},
		{"users", task, RelHasField, field("5fa7b9db-ae5a-4580-89e2-ba67e45a686b"), map[string]any{"value": []any{"Mei Tanaka"}}},
		{"date", task, RelHasField, field("60b8caec-bf6b-4691-9af3-cb78f56b797c"), map[string]any{"value": "2024-06-17T12:00:00Z"}},
		{"checkbox", task, RelHasField, field("71c9dbfd-c07c-47a2-8b04-dc89a67c8a8d"), map[string]any{"value": true}},
		{"url", task, RelHasField, field("82daec0e-d18d-48b3-9c15-ed9ab78d9b9e"),
			map[string]any{"value": "https://drive.example.com/folders/northwind-onboarding"}},
		{"email", task, RelHasField, field("93ebfd1f-e29e-49c4-8d26-fe0ac89eac0f"),
			map[string]any{"value": "accounts.payable@northwind.example"}},
		{"currency", task, RelHasField, field("a4fc0e2a-f3af-4ad5-9e37-0f1bd9afbd1a"),
			map[string]any{"value": 48500.5, "currency": "EUR"}},
		{"no value", task, RelHasField, field("b50d1f3b-04b0-4be6-8f48-1a2cea0bce2b"), map[string]any{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, ok := findEdge(g, tt.source, tt.typ, tt.target)
			require.True(t, ok, "relationship %s -%s-> %s missing", tt.source, tt.typ, tt.target)
			assert.Equal(t, tt.props, r.Properties)
		})
	}

	_, ok := findEdge(g, task, RelInSpace, "space:90121122334")
	assert.False(t, ok, "a task in a list in a folder is not linked to the space directly")
}

func TestExtractTaskDetails(t *testing.T) {
	t.Parallel()
	tests := []struct {
		fixture, task string
		details       []string
	}{
		{"seed_example.json", "task:task_123", []string{"description"}},
		{"clickup_task_full.json", "task:86b2x7k4q", []string{"description", "text_content"}},
	}
	for _, tt := range tests {
		for _, include := range []bool{true, false} {
			t.Run(tt.fixture+"/details="+strconv.FormatBool(include), func(t *testing.T) {
				t.Parallel()
				g := Extract(loadFixture(t, tt.fixture), testOpts(include))
				n, ok := nodeByID(g)[tt.task]
				require.True(t, ok)
				assert.Equal(t, include, g.Metadata.IncludeTaskDetails)
				assert.Contains(t, n.Properties, "id")
				assert.Contains(t, n.Properties, "name")
				for _, k := range tt.details {
					_, has := n.Properties[k]
					assert.Equal(t, include, has, "property %s with IncludeTaskDetails=%v", k, include)
				}
			})
		}
	}
}

func TestExtractGolden(t *testing.T) {
	t.Parallel()
	got := stableJSON(t, Extract(loadFixture(t, "clickup_task_full.json"), testOpts(true)))
	path := filepath.Join("testdata", "clickup_full_graph.golden.json")
	if *update {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(path, append(got, '\n'), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./webhook -run Golden -update to create it")
	assert.JSONEq(t, string(want), string(got))
}

func TestExtractInvariants(t *testing.T) {
	t.Parallel()
	inputs := map[string][]byte{
		"seed": testkit.Fixture(t, "seed_example.json"),
		"full": testkit.Fixture(t, "clickup_task_full.json"),
	}
	for name, p := range testkit.Payloads {
		inputs[name] = []byte(p)
	}
	for name, raw := range inputs {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var a, b map[string]any
			require.NoError(t, json.Unmarshal(raw, &a))
			require.NoError(t, json.Unmarshal(raw, &b))
			g1 := Extract(a, testOpts(true))
			g2 := Extract(b, ExtractOptions{Source: "make.com_chatgpt_clients", IncludeTaskDetails: true,
				ExtractionID: "another", Now: time.Now()})
			checkGraphInvariants(t, g1)
			assert.Equal(t, string(stableJSON(t, g1)), string(stableJSON(t, g2)))
		})
	}
}

func TestExtractClientID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, optClient, payload, want string
	}{
		{"option wins", "opt", `{"client_id":"payload"}`, "opt"},
		{"payload", "", `{"client_id":"payload"}`, "payload"},
		{"absent", "", `{}`, "unknown"},
		{"not a string", "", `{"client_id":7}`, "unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var m map[string]any
			require.NoError(t, json.Unmarshal([]byte(tt.payload), &m))
			g := Extract(m, ExtractOptions{ClientID: tt.optClient})
			assert.Equal(t, tt.want, g.ClientID)
			require.NotEmpty(t, g.KnowledgeNodes)
			assert.Equal(t, "client:"+tt.want, g.KnowledgeNodes[0].ID)
		})
	}
	assert.Equal(t, "unknown", Extract(nil, ExtractOptions{}).ClientID)
}

func TestExtractShapes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, payload string
		edges         [][3]string // source, type, target
		labels        map[string]string
	}{
		{"top-level task", testkit.Payloads["top-level task"],
			[][3]string{{"client:c1", RelHasTask, "task:t1"}, {"task:t1", RelHasStatus, "status:open"},
				{"task:t1", RelAssignedTo, "person:5"}, {"task:t1", "HAS_EXTRA", "extra:x1"}},
			map[string]string{"task:t1": "Top", "status:open": "Open", "person:5": "ann", "extra:x1": "X"}},
		{"task id only", testkit.Payloads["task is a string"],
			[][3]string{{"client:c1", RelHasTask, "task:t9"}}, map[string]string{"task:t9": "t9"}},
		{"task list", testkit.Payloads["task is an array"],
			[][3]string{{"client:c1", RelHasTask, "task:a"}, {"client:c1", RelHasTask, "task:b"}},
			map[string]string{"task:a": "A", "task:b": "b"}},
		{"task without id", testkit.Payloads["task without id"],
			[][3]string{{"client:c1", "HAS_LIST", "list:l1"}}, nil},
		{"unknown shape", testkit.Payloads["unknown shape"],
			[][3]string{{"client:c2", "HAS_CONTACT", "contact:1"}, {"client:c2", "HAS_CONTACT", "contact:2"},
				{"contact:1", "HAS_COMPANY", "company:co"}, {"client:c2", "HAS_OWNER", "owner:u1"}},
			map[string]string{"contact:1": "Ann", "contact:2": "2", "company:co": "Co", "owner:u1": "u"}},
		{"subtasks", testkit.Payloads["self parent"],
			[][3]string{{"task:s", RelSubtaskOf, "task:t"}}, map[string]string{"task:s": "S"}},
		{"priority level", `{"task":{"id":"t","priority":1}}`,
			[][3]string{{"task:t", RelHasPriority, "priority:urgent"}}, nil},
		{"hidden folder", `{"task":{"id":"t","list":{"id":"l"},"folder":{"id":"f","hidden":true},"space":{"id":"s"}}}`,
			[][3]string{{"task:t", RelInList, "list:l"}, {"list:l", RelInSpace, "space:s"}}, nil},
		{"project as folder", `{"task":{"id":"t","project":{"id":"f","name":"F"},"space":{"id":"s"}}}`,
			[][3]string{{"task:t", RelInFolder, "folder:f"}, {"folder:f", RelInSpace, "space:s"}}, nil},
		{"json numbers", `{"categories":[{"id":7,"label":"L"}]}`,
			[][3]string{{"client:unknown", "HAS_CATEGORY", "category:7"}}, map[string]string{"category:7": "L"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var m map[string]any
			require.NoError(t, json.Unmarshal([]byte(tt.payload), &m))
			g := Extract(m, testOpts(false))
			checkGraphInvariants(t, g)
			for _, e := range tt.edges {
				_, ok := findEdge(g, e[0], e[1], e[2])
				assert.True(t, ok, "relationship %v missing from %v", e, g.Relationships)
			}
			nodes := nodeByID(g)
			for id, l := range tt.labels {
				assert.Equal(t, l, nodes[id].Label, "label of %s", id)
			}
		})
	}

	t.Run("json.Number values", func(t *testing.T) {
		t.Parallel()
		g := Extract(map[string]any{"task": map[string]any{"id": json.Number("12"), "date_created": json.Number("0"),
			"creator": map[string]any{"id": json.Number("3")}}}, testOpts(false))
		checkGraphInvariants(t, g)
		n := nodeByID(g)["task:12"]
		assert.Equal(t, "1970-01-01T00:00:00Z", n.Properties["date_created"])
		_, ok := findEdge(g, "task:12", RelCreatedBy, "person:3")
		assert.True(t, ok)
	})
}

func TestExtractBounds(t *testing.T) {
	t.Parallel()
	deep := map[string]any{"id": "leaf"}
	for range 200 {
		deep = map[string]any{"id": "n", "child": deep}
	}
	wide := make([]any, 3*maxExtractNodes)
	for i := range wide {
		wide[i] = map[string]any{"id": float64(i)}
	}
	tests := map[string]map[string]any{
		"deep": {"node": deep},
		"wide": {"items": wide},
	}
	for name, payload := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			g := Extract(payload, testOpts(false))
			checkGraphInvariants(t, g)
			assert.LessOrEqual(t, len(g.KnowledgeNodes), maxExtractNodes)
			assert.LessOrEqual(t, len(g.Relationships), maxExtractRelationships)
		})
	}
}

func TestExtractDeduplicatesLargeGraphs(t *testing.T) {
	t.Parallel()
	items := make([]any, 0, 2*edgeScanLimit+10)
	for range 2 { // every item twice: the second round must add nothing
		for i := range edgeScanLimit + 5 {
			items = append(items, map[string]any{"id": float64(i), "owner": map[string]any{"id": "o"}})
		}
	}
	g := Extract(map[string]any{"client_id": "c", "items": items}, testOpts(false))
	checkGraphInvariants(t, g)
	assert.Equal(t, edgeScanLimit+5+2, len(g.KnowledgeNodes), "client, owner and each item once")
	assert.Equal(t, 2*(edgeScanLimit+5), len(g.Relationships), "HAS_ITEM and HAS_OWNER once per item")
	_, ok := findEdge(g, "item:68", "HAS_OWNER", "owner:o")
	assert.True(t, ok)
}
