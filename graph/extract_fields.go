package graph

// fieldValue normalises a custom field's value by its type: drop_down → the
// chosen option's name, labels → the labels' names, users → a list of usernames (userNames),
// checkbox → bool, number/currency/emoji → number. Other types, and values that
// do not fit their type, are kept as they are.
func fieldValue(typ string, v any, options []any) any {
	switch typ {
	case "drop_down":
		for _, o := range options {
			if o, ok := o.(map[string]any); ok && optionMatches(o, v) {
				if name := o["name"]; name != nil {
					return name
				}
			}
		}
	case "labels":
		ids, ok := v.([]any)
		if !ok {
			return v
		}
		return labelNames(ids, options)
	case "users":
		return userNames(v)
	case "checkbox":
		switch b := v.(type) {
		case bool:
			return b
		case string:
			return b == "true" || b == "1"
		}
	case "number", "currency", "emoji":
		if _, ok := v.(float64); ok {
			return v
		}
		if f, ok := toFloat(v); ok {
			return f
		}
	}
	return v
}

// userNames normalises the value of a users field to a list with one entry per
// user: an object gives its username, else its email, else its id (else it is
// kept whole); a bare id (number or string) is kept as it is. A single user (an object or a bare id)
// becomes a list of one; null entries are dropped.
func userNames(v any) []any {
	list, ok := v.([]any)
	if !ok {
		list = []any{v}
	}
	names := make([]any, 0, len(list))
	for _, u := range list {
		switch u := u.(type) {
		case nil:
		case map[string]any:
			if name := firstOf(u, "username", "email", "id"); name != nil {
				names = append(names, name)
			} else {
				names = append(names, u) // no name to show: the object as it is
			}
		default:
			names = append(names, u)
		}
	}
	return names
}

// optionMatches reports whether a drop_down value designates option o: by its
// id, or by its orderindex (ClickUp's API v2 sends the orderindex).
func optionMatches(o map[string]any, v any) bool {
	if s, ok := v.(string); ok && s != "" && o["id"] == s {
		return true
	}
	a, ok1 := toFloat(v)
	b, ok2 := toFloat(o["orderindex"])
	return ok1 && ok2 && a == b
}

// optionNames lists the names (drop_down) or labels (labels) of field options.
func optionNames(options []any) []any {
	names := make([]any, 0, len(options))
	for _, o := range options {
		if o, ok := o.(map[string]any); ok {
			if name := optionLabel(o, nil); name != nil {
				names = append(names, name)
			}
		}
	}
	return names
}

// optionLabel is an option's "label" (labels fields) or "name" (drop_down), else def.
func optionLabel(o map[string]any, def any) any {
	if l := o["label"]; l != nil {
		return l
	}
	if l := o["name"]; l != nil {
		return l
	}
	return def
}

// labelNames maps the option ids of a labels field's value to the options' labels;
// unknown ids stay as they are. Long lists are matched through a map, so that a
// hostile payload costs linear time.
func labelNames(ids, options []any) []any {
	names := make([]any, len(ids))
	var byID map[string]any
	if len(ids)*len(options) > 256 {
		byID = make(map[string]any, len(options))
		for _, o := range options {
			if o, ok := o.(map[string]any); ok {
				if id := text(o["id"]); id != "" {
					if _, dup := byID[id]; !dup {
						byID[id] = optionLabel(o, o["id"])
					}
				}
			}
		}
	}
	for j, v := range ids {
		names[j] = v
		id := text(v)
		if id == "" {
			continue
		}
		if byID != nil {
			if l, ok := byID[id]; ok {
				names[j] = l
			}
			continue
		}
		for _, o := range options {
			if o, ok := o.(map[string]any); ok && text(o["id"]) == id {
				names[j] = optionLabel(o, v)
				break
			}
		}
	}
	return names
}
