package graph

// isTaskKey reports whether the task extraction reads key k of a task itself,
// so that the generic walk leaves it alone.
func isTaskKey(k string) bool {
	switch k {
	case "id", "name", "status", "creator", "assignees", "watchers", "tags", "priority",
		"list", "folder", "project", "space", "parent", "custom_fields", "checklists", "subtasks",
		"custom_id", "url", "archived", "points", "time_estimate", "time_spent", "team_id",
		"date_created", "date_updated", "date_closed", "date_done", "due_date", "start_date",
		"description", "text_content", "markdown_description", "client_id", "action_id":
		return true
	}
	return false
}

// task adds a ClickUp task (API v2 shape; the seed example's {id,name,description}
// is a subset) with everything it links to, and returns its node index, or -1
// when it has no id. The task is linked to node from by rel first (from → task,
// or task → from for SUBTASK_OF). depth is the nesting level of t in the payload.
func (x *extractor) task(t map[string]any, depth, from int, rel string) int {
	id, ok := naturalID(t["id"])
	if !ok || depth > maxExtractDepth {
		return -1
	}
	i := x.node("task", id, text(t["name"]), min(len(t), 24))
	if i < 0 {
		return -1
	}
	if rel == RelSubtaskOf {
		x.edge(i, from, rel, nil)
	} else {
		x.edge(from, i, rel, nil)
	}
	x.set(i, "id", id)
	x.set(i, "name", t["name"])
	// Scalars are copied as they are, dates converted to RFC 3339, texts only with details.
	for _, k := range [...]string{"custom_id", "url", "archived", "points", "time_estimate", "time_spent", "team_id"} {
		x.set(i, k, t[k])
	}
	for _, k := range [...]string{"date_created", "date_updated", "date_closed", "date_done", "due_date", "start_date"} {
		if v := t[k]; v != nil {
			x.set(i, k, x.date(v))
		}
	}
	if x.details {
		for _, k := range [...]string{"description", "text_content", "markdown_description"} {
			x.set(i, k, t[k])
		}
	}
	x.status(i, t["status"])
	x.edge(i, x.person(t["creator"]), RelCreatedBy, nil)
	x.people(i, t["assignees"], RelAssignedTo)
	x.people(i, t["watchers"], RelWatchedBy)
	x.tags(i, t["tags"])
	x.priority(i, t["priority"])
	x.containers(i, t)
	x.parent(i, t["parent"])
	x.customFields(i, t["custom_fields"])
	x.checklists(i, t["checklists"])
	if subs, ok := t["subtasks"].([]any); ok {
		for _, s := range subs {
			if s, ok := s.(map[string]any); ok {
				x.task(s, depth+2, i, RelSubtaskOf)
			}
		}
	}
	x.walkObject(t, i, depth, isTaskKey)
	return i
}

// status adds the status node (id: lowercased name; properties: type, color)
// from a ClickUp status object or a plain status name.
func (x *extractor) status(task int, v any) {
	raw := v // the name as decoded, to keep it boxed once
	s, _ := v.(map[string]any)
	if s != nil {
		raw = s["status"]
	}
	name := text(raw)
	n := x.lowerNode("status", name, name, 2)
	if n < 0 {
		return
	}
	x.set(task, "status", raw)
	if s != nil {
		x.set(n, "type", s["type"])
		x.set(n, "color", s["color"])
	}
	x.edge(task, n, RelHasStatus, nil)
}

// person adds a ClickUp user (object with id, username, email, initials) or a
// bare user id, and returns its node index or -1.
func (x *extractor) person(v any) int {
	u, ok := v.(map[string]any)
	if !ok {
		return x.node("person", v, "", 0)
	}
	label := text(u["username"])
	if label == "" {
		label = text(u["email"])
	}
	i := x.node("person", u["id"], label, 2)
	x.set(i, "email", u["email"])
	x.set(i, "initials", u["initials"])
	return i
}

// people links task to each user of a list with edges of type rel.
func (x *extractor) people(task int, v any, rel string) {
	list, _ := v.([]any)
	for _, u := range list {
		x.edge(task, x.person(u), rel, nil)
	}
}

// tags adds tag:<lowercased name> nodes (their colours are left out).
func (x *extractor) tags(task int, v any) {
	list, _ := v.([]any)
	for _, t := range list {
		name := text(t)
		if tag, ok := t.(map[string]any); ok {
			name = text(tag["name"])
		}
		x.edge(task, x.lowerNode("tag", name, name, 0), RelHasTag, nil)
	}
}

// priority adds priority:<name> from a ClickUp priority object, a name, or a
// level 1–4, and the name as the task's "priority" property.
func (x *extractor) priority(task int, v any) {
	var name string
	switch p := v.(type) {
	case map[string]any:
		v = p["priority"]
		name = text(v)
	case string:
		name = p
	default:
		if n, ok := toInt(v); ok && n > 0 && n <= 4 {
			name = [...]string{"urgent", "high", "normal", "low"}[n-1] // ClickUp's levels
			v = name
		}
	}
	n := x.lowerNode("priority", name, name, 0)
	if n < 0 {
		return
	}
	x.set(task, "priority", v)
	x.edge(task, n, RelHasPriority, nil)
}

// containers links task → list → folder → space, skipping the ones absent.
// "project" is ClickUp's older name of a folder; a hidden folder is the one
// ClickUp gives folderless lists, so such a list is linked to its space directly.
func (x *extractor) containers(task int, t map[string]any) {
	from := task
	if l, ok := t["list"].(map[string]any); ok {
		if n := x.node("list", l["id"], text(l["name"]), 0); n >= 0 {
			x.edge(from, n, RelInList, nil)
			from = n
		}
	}
	f, ok := t["folder"].(map[string]any)
	if !ok {
		f, ok = t["project"].(map[string]any)
	}
	if hidden, _ := f["hidden"].(bool); ok && !hidden {
		if n := x.node("folder", f["id"], text(f["name"]), 0); n >= 0 {
			x.edge(from, n, RelInFolder, nil)
			from = n
		}
	}
	if s, ok := t["space"].(map[string]any); ok {
		x.edge(from, x.node("space", s["id"], text(s["name"]), 0), RelInSpace, nil)
	}
}

// parent adds the parent task (known by id, labelled by it; or an object with id and name).
func (x *extractor) parent(task int, v any) {
	label := ""
	if p, ok := v.(map[string]any); ok {
		v, label = p["id"], text(p["name"])
	}
	id, ok := naturalID(v)
	if !ok {
		return
	}
	x.edge(task, x.node("task", id, label, 0), RelSubtaskOf, nil)
}

// checklists adds checklist:<id> nodes and their checklist_item:<id> nodes
// (property: resolved); an item's assignee is linked with ASSIGNED_TO.
func (x *extractor) checklists(task int, v any) {
	list, _ := v.([]any)
	for _, c := range list {
		c, ok := c.(map[string]any)
		if !ok {
			continue
		}
		n := x.node("checklist", c["id"], text(c["name"]), 0)
		if n < 0 {
			continue
		}
		x.edge(task, n, RelHasChecklist, nil)
		items, _ := c["items"].([]any)
		for _, it := range items {
			it, ok := it.(map[string]any)
			if !ok {
				continue
			}
			m := x.node("checklist_item", it["id"], text(it["name"]), 1)
			x.set(m, "resolved", it["resolved"])
			x.edge(n, m, RelHasItem, nil)
			if it["assignee"] != nil {
				x.edge(m, x.person(it["assignee"]), RelAssignedTo, nil)
			}
		}
	}
}

// customFields adds custom_field:<id> nodes (label: the field's name; properties:
// type, and the option names of drop_down and labels fields) and a HAS_FIELD edge
// from the task carrying the normalised value. A field without a value keeps its
// edge, with no "value" property, so that the field node is not left unlinked.
func (x *extractor) customFields(task int, v any) {
	list, _ := v.([]any)
	for _, f := range list {
		f, ok := f.(map[string]any)
		if !ok {
			continue
		}
		typ := text(f["type"])
		n := x.node("custom_field", f["id"], text(f["name"]), 2)
		if n < 0 {
			continue
		}
		x.set(n, "type", f["type"])
		cfg, _ := f["type_config"].(map[string]any)
		options, _ := cfg["options"].([]any)
		if (typ == "drop_down" || typ == "labels") && len(options) > 0 {
			x.set(n, "options", optionNames(options))
		}
		value, has := f["value"]
		if !has || value == nil {
			x.edge(task, n, RelHasField, nil)
			continue
		}
		if typ == "date" {
			value = x.date(value)
		} else {
			value = fieldValue(typ, value, options)
		}
		props := make(map[string]any, 2)
		props["value"] = value
		if c := cfg["currency_type"]; c != nil && typ == "currency" {
			props["currency"] = c
		}
		x.edge(task, n, RelHasField, props)
	}
}
