package testkit

// Payloads are inputs of many shapes, well-formed and not, as JSON.
var Payloads = map[string]string{
	"empty object":       `{}`,
	"top-level task":     `{"client_id":"c1","id":"t1","name":"Top","status":{"status":"Open","color":"#fff"},"assignees":[{"id":5,"username":"ann"}],"extra":{"id":"x1","title":"X"}}`,
	"task is a string":   `{"client_id":"c1","task":"t9"}`,
	"task is a number":   `{"client_id":"c1","task":42}`,
	"task is an array":   `{"client_id":"c1","task":[{"id":"a","name":"A"},{"id":"b"},3,null]}`,
	"task is null":       `{"client_id":"c1","task":null}`,
	"task without id":    `{"client_id":"c1","task":{"name":"no id","list":{"id":"l1"}}}`,
	"client id a number": `{"client_id":12,"task":{"id":"t"}}`,
	"unknown shape":      `{"client_id":"c2","contacts":[{"id":1,"name":"Ann","company":{"id":"co","title":"Co"}},{"id":2}],"meta":{"owner":{"id":"u1","username":"u"}}}`,
	"wrong types":        `{"task":{"id":"t","status":7,"creator":"x","assignees":{"id":1},"tags":"t","priority":[1],"list":"l","custom_fields":{"a":1},"parent":{"x":1},"checklists":[1,{"items":3}]}}`,
	"self parent":        `{"task":{"id":"t","parent":"t","subtasks":[{"id":"s","name":"S","parent":"t"}]}}`,
	"weird custom field": `{"task":{"id":"t","custom_fields":[{"id":"f","type":"labels","value":[[1],{"a":1},"x"],"type_config":{"options":[{"id":[1]}]}},{"id":"g","type":"drop_down","value":{"a":1}},{"id":"h","type":"date","value":"1e99"},{"type":"number","value":1}]}}`,
	"numeric ids":        `{"things":[{"id":1.5},{"id":-0},{"id":1e300},{"id":""},{"id":true}]}`,
	"same node twice":    `{"users":[{"id":1,"name":"a"},{"id":1,"name":"a"}],"people":{"user":{"id":1}}}`,
}
